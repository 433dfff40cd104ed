// The seeding/reading helpers every sync test trusts: what goes in must come
// back out exactly (bytes, flags, keywords, internal dates, UIDs, folder names).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import {
  encodeMailboxName,
  expungeUids,
  imapDateTime,
  inNamespace,
  listFolders,
  openClient,
  readFolder,
  seedFolder,
  seedFolderBulk,
  setFlags,
  type SeedMessage,
} from '../support/imap.js';

function message(n: number, extraHeaders = ''): Buffer {
  return Buffer.from(
    `From: Sender ${n} <s${n}@example.org>\r\nTo: r@example.org\r\nSubject: message ${n}\r\n` +
      `Message-ID: <m${n}@example.org>\r\n${extraHeaders}\r\nbody line ${n}\r\n${'z'.repeat(n % 97)}\r\n`,
  );
}

const seeds: SeedMessage[] = [
  { raw: message(1), flags: ['\\Seen'], internalDate: new Date('2001-02-03T04:05:06Z') },
  { raw: message(2), flags: ['\\Flagged', '$Forwarded', 'project-x', 'NonJunk'], internalDate: new Date('1999-12-31T23:59:59Z') },
  { raw: message(3, 'X-Umlaut: Grüße\r\n'), flags: [], internalDate: new Date('2024-02-29T12:00:00Z') },
  { raw: message(3, 'X-Umlaut: Grüße\r\n'), flags: ['\\Answered', '\\Draft'], internalDate: new Date('1970-01-02T00:00:00Z') },
];

describe('test/support/imap', () => {
  let slash: DovecotServer;
  let dotted: DovecotServer;
  let trimmed: DovecotServer;

  beforeAll(async () => {
    [slash, dotted, trimmed] = await Promise.all([
      startDovecot({ specialUse: { Trash: '\\Trash' } }),
      startDovecot({ separator: '.', inboxPrefix: true, specialUse: { Sent: '\\Sent' } }),
      // no MULTIAPPEND, no UIDPLUS: the one-by-one path
      startDovecot({ capabilities: 'IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE LIST-EXTENDED SPECIAL-USE' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([slash?.stop(), dotted?.stop(), trimmed?.stop()]);
  });

  for (const which of ['slash', 'trimmed'] as const) {
    it(`${which}: seeds a nested non-ASCII folder and reads it back exactly`, async () => {
      const server = which === 'slash' ? slash : trimmed;
      const folder = 'Größe & Maß/日本語/Entwürfe';
      const uids = await seedFolder(server, folder, seeds);
      expect(uids).toEqual([1, 2, 3, 4]);
      const back = await readFolder(server, folder);
      expect(back.map((m) => m.uid)).toEqual(uids);
      back.forEach((m, i) => {
        const seed = seeds[i]!;
        expect(m.body.equals(seed.raw as Buffer)).toBe(true);
        expect(m.size).toBe((seed.raw as Buffer).length);
        expect(m.flags).toEqual([...(seed.flags ?? [])].sort());
        expect(m.internalDate.toISOString()).toBe(seed.internalDate!.toISOString());
      });
      // reading did not mark anything \Seen
      expect((await readFolder(server, folder))[1]!.flags).not.toContain('\\Seen');
      const names = (await listFolders(server)).map((f) => f.name);
      expect(names).toEqual(expect.arrayContaining(['Größe & Maß', 'Größe & Maß/日本語', folder]));
      // appending more continues the UID sequence
      expect(await seedFolder(server, folder, [{ raw: message(9) }])).toEqual([5]);
    });
  }

  it("'.' server with INBOX. prefix: names with or without the prefix reach the same folder", async () => {
    expect(inNamespace(dotted, 'Archive.2019')).toBe('INBOX.Archive.2019');
    expect(inNamespace(dotted, 'INBOX')).toBe('INBOX');
    expect(inNamespace(slash, 'Archive/2019')).toBe('Archive/2019');
    await seedFolder(dotted, 'Archive.2019', [seeds[0]!]);
    await seedFolder(dotted, 'INBOX.Archive.2019', [seeds[1]!]);
    const back = await readFolder(dotted, 'INBOX.Archive.2019');
    expect(back.map((m) => m.body.toString())).toEqual([seeds[0]!.raw.toString(), seeds[1]!.raw.toString()]);
    const folders = await listFolders(dotted);
    const archive = folders.find((f) => f.name === 'INBOX.Archive.2019');
    expect(archive?.delimiter).toBe('.');
    expect(folders.find((f) => f.name === 'INBOX.Sent')?.specialUse).toBe('\\Sent');
  });

  it('listFolders reports only declared special use, and subscriptions', async () => {
    await seedFolder(slash, 'Sent', [seeds[0]!]); // named like a sent folder, not declared
    await slash.doveadm(['mailbox', 'create', '-u', 'alice', 'Unsubscribed']);
    const folders = await listFolders(slash);
    const byName = new Map(folders.map((f) => [f.name, f]));
    expect(byName.get('Trash')).toMatchObject({ specialUse: '\\Trash', subscribed: true, delimiter: '/' });
    expect(byName.get('Sent')?.specialUse).toBeUndefined();
    // imapflow's CREATE subscribes, as mail clients do
    expect(byName.get('Sent')?.subscribed).toBe(true);
    expect(byName.get('Unsubscribed')?.subscribed).toBe(false);
    expect(byName.get('INBOX')).toBeDefined();
  });

  it('setFlags adds and removes flags and keywords; expungeUids removes exactly those UIDs', async () => {
    const uids = await seedFolder(slash, 'Flags', seeds);
    await setFlags(slash, 'Flags', [uids[0]!, uids[2]!], ['\\Flagged', '$Label1'], ['\\Seen']);
    await setFlags(slash, 'Flags', [uids[1]!], [], ['project-x', '\\Flagged']);
    let back = await readFolder(slash, 'Flags');
    expect(back[0]!.flags).toEqual(['$Label1', '\\Flagged']);
    expect(back[1]!.flags).toEqual(['$Forwarded', 'NonJunk']);
    expect(back[2]!.flags).toEqual(['$Label1', '\\Flagged']);
    await expungeUids(slash, 'Flags', [uids[1]!, uids[3]!]);
    back = await readFolder(slash, 'Flags');
    expect(back.map((m) => m.uid)).toEqual([uids[0], uids[2]]);
  });

  it('seedFolderBulk streams a generator in MULTIAPPEND batches, in order', async () => {
    function* many(): Generator<SeedMessage> {
      for (let i = 0; i < 1200; i++) yield { raw: message(i), flags: i % 2 ? ['\\Seen'] : [], internalDate: new Date(Date.UTC(2021, 0, 1, 0, 0, i % 60)) };
    }
    const progress: number[] = [];
    const result = await seedFolderBulk(slash, 'Bulk/Deep', many(), { batch: { messages: 500 }, onProgress: (n) => progress.push(n) });
    expect(result).toEqual({ count: 1200, firstUid: 1, lastUid: 1200 });
    expect(progress).toEqual([500, 1000, 1200]);
    const back = await readFolder(slash, 'Bulk/Deep');
    expect(back).toHaveLength(1200);
    expect(back[777]!.body.equals(message(777))).toBe(true);
    expect(back[777]!.flags).toEqual(['\\Seen']);
    expect(back[778]!.flags).toEqual([]);
  });

  it('openClient logs in as another user with its password', async () => {
    const client = await openClient(slash);
    try {
      expect(client.authenticated).toBeTruthy();
    } finally {
      await client.logout();
    }
    await expect(openClient(slash, 'alice', 'wrong')).rejects.toThrow();
  });
});

describe('encoding helpers', () => {
  it('encodes mailbox names in modified UTF-7', () => {
    expect(encodeMailboxName('INBOX')).toBe('INBOX');
    expect(encodeMailboxName('Entwürfe')).toBe('Entw&APw-rfe');
    expect(encodeMailboxName('日本語')).toBe('&ZeVnLIqe-');
    expect(encodeMailboxName('Größe & Maß')).toBe('Gr&APYA3w-e &- Ma&AN8-');
  });

  it('formats IMAP date-times in UTC', () => {
    expect(imapDateTime(new Date('1999-12-31T23:59:59Z'))).toBe('31-Dec-1999 23:59:59 +0000');
    expect(imapDateTime(new Date('2040-06-01T02:03:04Z'))).toBe('01-Jun-2040 02:03:04 +0000');
  });
});
