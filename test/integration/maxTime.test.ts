// Issue 9 §1 against real Dovecot, through the real command: --max-time stops
// cleanly (exit 0, state saved) and says what is left; the next runs continue
// where it stopped, the newest mail first, until B holds every message of A
// exactly once (bodies compared by digest). A budget of 0s is the tiniest: it
// lets each run read its first pair and start its first batch only, so the
// test needs no clock. The account's one copy queue (newest batch first across
// the folders of a tier) is shown on the engine with a clock that only stored
// batches move.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMessages } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readFolder, seedFolder, type StoredMessage } from '../support/imap.js';
import { batchClock, defaultOptions, passwordEnv, runCli, specOf, tempDir } from '../support/sync.js';
import { runSync } from '../../src/sync/engine.js';

const FOLDERS = ['INBOX', 'Lists'];
const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function digests(server: DovecotServer, folder: string): Promise<string[]> {
  return (await readFolder(server, folder)).map((m) => digest(m.body)).sort();
}

/** The `n` newest of `messages` by INTERNALDATE (ties: lower UID first), as sorted digests. */
function newest(messages: readonly StoredMessage[], n: number): string[] {
  return [...messages].sort((x, y) => y.internalDate.getTime() - x.internalDate.getTime() || x.uid - y.uid).slice(0, n).map((m) => digest(m.body)).sort();
}

describe('--max-time, then resume', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let dir: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    const messages = generateMessages(500, { seed: 9 });
    await seedFolder(a, 'INBOX', messages.slice(0, 440).map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
    await seedFolder(a, 'Lists', messages.slice(440).map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
    dir = tempDir();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('stops on time with exit 0 and `left`, continues newest first, and ends with every body once', async () => {
    const statePath = join(dir, 'maxtime.state');
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--connections', '1'];
    const env = passwordEnv(a, b);
    const inboxA = await readFolder(a, 'INBOX');

    const first = await runCli([...args, '--max-time', '0s', '--json'], env);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const json = JSON.parse(first.stdout) as { ok: boolean; copied: number; left: { messages: number; bytes: number; folders: number } };
    expect(json.ok).toBe(true);
    expect(json.copied).toBeGreaterThan(0);
    // Lists was not read (the budget was spent after INBOX's read): a folder left, its messages not counted yet.
    expect(json.left.messages).toBe(440 - json.copied);
    expect(json.left.bytes).toBeGreaterThan(0);
    expect(json.left.folders).toBe(2);
    // INBOX first, its newest mail first.
    expect(await digests(b, 'INBOX')).toEqual(newest(inboxA, json.copied));

    // -q still prints the summary when work is left: it is not all done.
    const second = await runCli([...args, '--max-time', '0s', '-q'], env);
    expect([second.code, second.stderr]).toEqual([0, '']);
    expect(second.stdout).toMatch(/stopped by --max-time, NOT all done/);
    expect(second.stdout).toMatch(/left: +\d+ messages .* not done: --max-time spent; the next run continues/);

    const rest = await runCli([...args, '--max-time', '1h', '--json'], env);
    expect([rest.code, rest.stderr]).toEqual([0, '']);
    expect((JSON.parse(rest.stdout) as { left: unknown }).left).toEqual({ messages: 0, bytes: 0, folders: 0, deletions: 0, folderDeletions: 0 });
    for (const folder of FOLDERS) expect(await digests(b, folder), folder).toEqual(await digests(a, folder));

    const again = await runCli([...args, '--json'], env);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.stdout) as { copied: number }).copied).toBe(0);
    for (const folder of FOLDERS) expect(await digests(b, folder), folder).toEqual(await digests(a, folder));
  });
});

describe('one copy queue across folders, on Dovecot', () => {
  let a: DovecotServer;
  let b: DovecotServer;

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    const messages = generateMessages(600, { seed: 19 });
    const at = (year: number, i: number): Date => new Date(Date.UTC(year, 0, 1) + i * 3_600_000);
    // Old: 200 messages of 2024 (the account's newest) and 200 of 2005; Mid: 200 of 2015. Both in the last tier.
    await seedFolder(a, 'Old', messages.slice(0, 400).map((m, i) => ({ raw: m.raw, internalDate: at(i % 2 === 0 ? 2024 : 2005, i) })));
    await seedFolder(a, 'Mid', messages.slice(400).map((m, i) => ({ raw: m.raw, internalDate: at(2015, i) })));
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('a budget of two batches copies Old’s 2024 mail, then Mid’s, before Old’s 2005 mail; the next run the rest, every body once', async () => {
    const statePath = join(tempDir(), 'queue.state');
    // Each stored batch moves the clock 60 s: 90 s let two batches start (reads take no time on this clock).
    const { observer, now } = batchClock();
    const job = (maxTimeMs?: number) => ({
      a: specOf(a), b: specOf(b), statePath, options: { ...defaultOptions, connections: 1, ...(maxTimeMs !== undefined && { maxTimeMs }) },
    });
    const cut = await runSync(job(90_000), observer, undefined, now);
    expect(cut.copied).toBe(400);
    expect(cut.left).toMatchObject({ messages: 200, folders: 1 });
    const oldOnA = await readFolder(a, 'Old');
    expect(await digests(b, 'Old')).toEqual(newest(oldOnA, 200));
    expect(await digests(b, 'Mid')).toEqual(await digests(a, 'Mid'));

    const rest = await runSync(job(), observer);
    expect([rest.copied, rest.left, rest.failed]).toEqual([200, undefined, []]);
    for (const folder of ['Old', 'Mid']) expect(await digests(b, folder), folder).toEqual(await digests(a, folder));
  });
});
