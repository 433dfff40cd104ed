// Issue: a real IMAP→IMAP copy (migration) with a state file. A '/' server
// with everything at the top level is copied onto a '.' server that keeps
// everything under INBOX. and names its sent folder differently.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { standardCorpus, type CorpusMessage } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { listFolders, readFolder, seedFolder, setFlags, type StoredMessage } from '../support/imap.js';
import { syncOnce, tempDir } from '../support/sync.js';

const SENT_A = 'Sent Items';

/** Where a folder of A ('/' server, no prefix) lands on B ('.' server, INBOX. prefix). */
function nameOnB(nameA: string): string {
  if (nameA === 'INBOX') return 'INBOX';
  if (nameA === SENT_A) return 'INBOX.Sent';
  return 'INBOX.' + nameA.split('/').join('.');
}

async function seedCorpus(server: DovecotServer, corpus: CorpusMessage[]): Promise<void> {
  const byFolder = new Map<string, CorpusMessage[]>();
  for (const m of corpus) byFolder.set(m.folder, [...(byFolder.get(m.folder) ?? []), m]);
  for (const [folder, messages] of byFolder) {
    await seedFolder(server, folder, messages.map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
  }
}

/** Sorted by body then date: copies arrive newest first (issue 9 §1), so B's UID order is not A's. */
function comparable(messages: StoredMessage[]): { flags: string[]; date: number; size: number; sha: string }[] {
  return messages
    .map((m) => ({
      flags: m.flags,
      date: m.internalDate.getTime(),
      size: m.size,
      sha: m.body.toString('base64'),
    }))
    .sort((x, y) => (x.sha < y.sha ? -1 : x.sha > y.sha ? 1 : x.date - y.date));
}

describe('copy A → B (migration)', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let dir: string;
  let statePath: string;
  let corpus: CorpusMessage[];
  let foldersA: string[];

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startDovecot({ separator: '/', specialUse: { [SENT_A]: '\\Sent', Trash: '\\Trash' } }),
      startDovecot({ separator: '.', inboxPrefix: true, specialUse: { Sent: '\\Sent', Trash: '\\Trash' } }),
    ]);
    corpus = standardCorpus('/');
    corpus.push({ ...corpus[0]!, folder: SENT_A, flags: ['\\Seen'] });
    await seedCorpus(a, corpus);
    foldersA = (await listFolders(a)).map((f) => f.name);
    dir = tempDir();
    statePath = join(dir, 'pair.state');
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('dry run changes nothing on B and writes no state', async () => {
    const before = (await listFolders(b)).map((f) => f.name).sort();
    const run = await syncOnce(a, b, statePath, { dryRun: true });
    expect(run.summary.dryRun).toBe(true);
    expect(run.summary.copied).toBe(corpus.length);
    expect(run.wouldDo.some((l) => l.includes('copy'))).toBe(true);
    expect((await listFolders(b)).map((f) => f.name).sort()).toEqual(before);
    expect(await readFolder(b, 'INBOX')).toEqual([]);
    expect(existsSync(statePath)).toBe(false);
  });

  it('first run copies every folder and message byte-exact with flags, keywords and dates', async () => {
    const run = await syncOnce(a, b, statePath);
    expect(run.failures).toEqual([]);
    expect(run.summary.copied).toBe(corpus.length);

    const listedB = await listFolders(b);
    const namesB = new Set(listedB.map((f) => f.name));
    for (const name of foldersA) expect(namesB, `folder ${name} on B`).toContain(nameOnB(name));
    for (const name of foldersA) {
      const [ma, mb] = await Promise.all([readFolder(a, name), readFolder(b, nameOnB(name))]);
      expect(mb.length, `count in ${name}`).toBe(ma.length);
      expect(comparable(mb), `messages in ${name}`).toEqual(comparable(ma));
    }
    // The sent folder landed in B's own \Sent folder, not a new "Sent Items".
    expect(namesB.has('INBOX.Sent Items')).toBe(false);
    expect(listedB.find((f) => f.name === 'INBOX.Sent')?.specialUse).toBe('\\Sent');
    // Subscriptions follow A.
    const subscribedA = (await listFolders(a)).filter((f) => f.subscribed).map((f) => nameOnB(f.name));
    const subscribedB = new Set(listedB.filter((f) => f.subscribed).map((f) => f.name));
    for (const s of subscribedA) expect(subscribedB, `subscription ${s}`).toContain(s);
    // The state file is private.
    expect(statSync(statePath).mode & 0o777).toBe(0o600);
  });

  it('a second run moves nothing', async () => {
    const run = await syncOnce(a, b, statePath);
    expect(run.summary.copied).toBe(0);
    expect(run.summary.flagsUpdated).toBe(0);
    const total = (await Promise.all(foldersA.map((n) => readFolder(b, nameOnB(n))))).reduce((s, m) => s + m.length, 0);
    expect(total).toBe(corpus.length);
  });

  it('flag changes on A reach B on the next run', async () => {
    const inbox = await readFolder(a, 'INBOX');
    await setFlags(a, 'INBOX', [inbox[0]!.uid], ['\\Flagged', '$Label7'], []);
    await setFlags(a, 'INBOX', [inbox[1]!.uid], [], inbox[1]!.flags);
    const run = await syncOnce(a, b, statePath);
    expect(run.summary.copied).toBe(0);
    expect(run.summary.flagsUpdated).toBe(2);
    expect(comparable(await readFolder(b, 'INBOX'))).toEqual(comparable(await readFolder(a, 'INBOX')));
  });

  it('dry run leaves the state file byte-identical', async () => {
    const inbox = await readFolder(a, 'INBOX');
    await setFlags(a, 'INBOX', [inbox[2]!.uid], ['\\Answered'], []);
    const before = readFileSync(statePath);
    const bInbox = await readFolder(b, 'INBOX');
    const run = await syncOnce(a, b, statePath, { dryRun: true });
    expect(run.summary.flagsUpdated).toBe(1);
    expect(readFileSync(statePath).equals(before)).toBe(true);
    expect(await readFolder(b, 'INBOX')).toEqual(bInbox);
  });
});

describe('copy onto a B that already holds some of the mail', () => {
  it('does not copy what B has, keeps exact duplicates, and works without a state', async () => {
    const [a, b] = await Promise.all([startDovecot({ separator: '.' }), startDovecot({ separator: '/' })]);
    try {
      const corpus = standardCorpus('.').filter((m) => m.raw.length < 1_000_000);
      await seedCorpus(a, corpus);
      // B already has every other message of A (same bytes), as after an earlier migration attempt.
      const half = corpus.filter((_, i) => i % 2 === 0).map((m) => ({ ...m, folder: m.folder.split('.').join('/') }));
      await seedCorpus(b, half);
      const statePath = join(tempDir(), 'pre.state');
      const run = await syncOnce(a, b, statePath);
      expect(run.failures).toEqual([]);
      expect(run.summary.copied).toBe(corpus.length - half.length);
      for (const folder of new Set(corpus.map((m) => m.folder))) {
        const [ma, mb] = await Promise.all([readFolder(a, folder), readFolder(b, folder.split('.').join('/'))]);
        const bodies = (ms: StoredMessage[]): string[] => ms.map((m) => m.body.toString('base64')).sort();
        expect(bodies(mb), `messages in ${folder}`).toEqual(bodies(ma));
      }
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
