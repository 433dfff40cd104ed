// The bench's Maildir seeder must produce exactly what an IMAP client would
// have APPENDed: same bytes, flags, keywords and INTERNALDATE, same UID order.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mailOwner } from '../../bench/benchServers.js';
import { cloneMaildir, virtualSize, writeMaildir, type SeedMessage } from '../../bench/maildirSeeder.js';
import { compareMailboxes, describeFidelity, digestOf, isFaithful, readMailbox, type MailboxDigest } from '../../bench/readback.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';

const folders = ['INBOX', 'Work', 'Work/Projects', 'Lists'];
const flagSets = [[], ['\\Seen'], ['\\Seen', '$Forwarded'], ['\\Flagged', '\\Answered', 'custom-1'], ['\\Draft', 'Junk', '$label2'], ['\\Deleted', '\\Seen']];

function corpus(): SeedMessage[] {
  const out: SeedMessage[] = [];
  for (let i = 0; i < 48; i++) {
    const id = i % 6 === 5 ? '' : `Message-ID: <seed-${i % 40}@example.org>\r\n`; // some repeat: exact duplicates
    const body = i % 40 % 9 === 0 ? 'line one\nbare LF line\r\n' : `body ${i % 40}\r\n${'x'.repeat(((i % 40) * 997) % 5000)}\r\n`;
    out.push({
      folder: folders[i % folders.length]!,
      raw: Buffer.from(`From: Seeder <s@example.org>\r\nSubject: m ${i % 40}\r\n${id}Date: Tue, 2 Feb 2021 10:00:00 +0100\r\n\r\n${body}`),
      flags: flagSets[(i % 40) % flagSets.length]!,
      internalDate: new Date(Date.UTC(2018, i % 12, 1 + (i % 27), i % 24, 7, 9)), // duplicates may differ in date
    });
  }
  return out;
}

function expectedDigest(messages: SeedMessage[]): MailboxDigest {
  const out: MailboxDigest = new Map();
  for (const m of messages) {
    const list = out.get(m.folder) ?? [];
    // Dovecot serves bare LF as CRLF: that is what an APPEND of this message would read back too.
    const served = Buffer.from(m.raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
    list.push(digestOf(served, m.flags, m.internalDate, list.length + 1));
    out.set(m.folder, list);
  }
  return out;
}

describe('bench Maildir seeder', () => {
  let server: DovecotServer;
  let template: string;
  beforeAll(async () => {
    server = await startDovecot();
    template = await mkdtemp(join(tmpdir(), 'bench-seed-test-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (template) await rm(template, { recursive: true, force: true });
  });

  it('counts CRLF line ends in the virtual size', () => {
    expect(virtualSize(Buffer.from('a\r\nb\nc\n'))).toBe(9);
  });

  it('writes a template that Dovecot serves byte-exact with flags, keywords, dates and UID order', async () => {
    const messages = corpus();
    const counts = await writeMaildir(template, messages);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(messages.length);
    await cloneMaildir(template, server.maildirOf(), await mailOwner(server));
    const read = await readMailbox({ host: server.host, port: server.imapsPort, secure: true, caPem: server.caPem, user: 'alice', password: server.passwordOf() });
    const expected = expectedDigest(messages);
    const report = compareMailboxes(expected, read);
    expect(describeFidelity(report)).toMatch(/^faithful/);
    expect(isFaithful(report)).toBe(true);
    expect(report.duplicatesSource).toBeGreaterThan(0);
    expect(report.messagesWithoutMessageIdSource).toBeGreaterThan(0);
    // UIDs follow the order written, not whatever readdir returns.
    for (const [folder, list] of expected) {
      expect(read.get(folder)!.map((m) => m.sha256)).toEqual(list.map((m) => m.sha256));
    }
    const status = await server.doveadm(['mailbox', 'status', '-u', 'alice', 'uidvalidity', 'Work']);
    expect(status).toContain('uidvalidity=1700000000');
  });
});
