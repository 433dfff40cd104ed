// Issue 9 §1 against real Dovecot, through the real command: --max-time stops
// cleanly (exit 0, state saved) and says what is left; the next runs continue
// where it stopped, the newest mail first, until B holds every message of A
// exactly once (bodies compared by digest). A budget of 0s is the tiniest: it
// lets each run start its first batch only, so the test needs no clock.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMessages } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readFolder, seedFolder, type StoredMessage } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';

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
    expect(json.left.messages).toBe(500 - json.copied);
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
