// Issue 9 §4 against real Dovecot, through the real command: a folder renamed
// on one side (with the folder below it) is renamed on the other with one
// RENAME, its messages neither read from the source nor sent again. Dovecot
// 2.3 has no OBJECTID (MAILBOXID), so the rename is read from the state
// (same UIDVALIDITY, record UIDs holding the records' messages). Bodies are
// compared by digest with their flags; what reached the renamed side is
// measured by the CLI's --json stats (bytes sent) and by Dovecot's count of
// B's commands by name (no APPEND).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandCounts, startBenchServer } from '../../bench/benchServers.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { listFolders, openClient, readFolder, seedFolder, type SeedMessage } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';
import { taggedMessage } from '../support/taggedMessages.js';

type Mode = 'copy' | 'mirror' | 'two-way';

interface SyncJson {
  ok: boolean;
  copied: number;
  bytes: number;
  foldersRenamed: number;
  folders: number;
  foldersSkipped: number;
  foldersCreated: number;
  foldersDeleted: number;
  failed: unknown[];
  warnings: string[];
  stats: { a: { bytesOut: number }; b: { bytesOut: number } };
}

/** Tagged messages padded to about `bytes` each, so that a body sent shows in the byte counts. */
function padded(tag: string, count: number, bytes = 3000): SeedMessage[] {
  return Array.from({ length: count }, (_, n) => {
    const head = taggedMessage(n, tag);
    const line = `${tag} ${n} ${'.'.repeat(60)}\r\n`;
    return { raw: head + line.repeat(Math.ceil((bytes - head.length) / line.length)), flags: n % 2 === 0 ? ['\\Seen'] : [] };
  });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function contentsOf(server: DovecotServer, folder: string): Promise<string[]> {
  return (await readFolder(server, folder)).map((m) => `${sha256(m.body)} ${m.flags.join(' ')}`).sort();
}

async function folderNames(server: DovecotServer): Promise<string[]> {
  return (await listFolders(server)).map((f) => f.name).sort();
}

async function renameOn(server: DovecotServer, from: string, to: string): Promise<void> {
  const client = await openClient(server);
  try {
    await client.mailboxRename(from, to);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function sync(a: DovecotServer, b: DovecotServer, statePath: string, mode: Mode, extra: string[] = []): Promise<SyncJson> {
  const run = await runCli(['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', mode, '--json', ...extra], passwordEnv(a, b));
  expect(run.code, `exit code; stderr: ${run.stderr}\nstdout: ${run.stdout.slice(0, 2000)}`).toBe(0);
  const json = JSON.parse(run.stdout) as SyncJson;
  expect([json.ok, json.failed]).toEqual([true, []]);
  return json;
}

describe('folder renames (issue 9 §4), through the CLI', () => {
  const servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('mirror: A renames Projects (with Projects/2025): B renamed with one RENAME, no body sent, digests equal', async () => {
    const [a, b] = await Promise.all([startDovecot(), startBenchServer()]);
    servers.push(a, b);
    const statePath = join(tempDir(), 'rename.state');
    await seedFolder(a, 'INBOX', padded('inbox', 5));
    await seedFolder(a, 'Projects', padded('projects', 60));
    await seedFolder(a, 'Projects/2025', padded('p2025', 40));
    expect((await sync(a, b, statePath, 'mirror', ['--delete-folders'])).copied).toBe(105);
    expect((await sync(a, b, statePath, 'mirror', ['--delete-folders'])).copied).toBe(0);

    await renameOn(a, 'Projects', 'Work');
    await commandCounts(b); // zeroes B's counters
    const run = await sync(a, b, statePath, 'mirror', ['--delete-folders']);
    const commands = await commandCounts(b);

    expect(run).toMatchObject({ copied: 0, bytes: 0, foldersRenamed: 2, foldersCreated: 0, foldersDeleted: 0 });
    // Dovecot's RENAME keeps UIDVALIDITY, UIDNEXT and HIGHESTMODSEQ: the renamed pairs are not even read.
    expect(run.foldersSkipped).toBe(run.folders);
    expect(Object.entries(commands.byName).filter(([name, n]) => n > 0 && /APPEND/i.test(name)), JSON.stringify(commands.byName)).toEqual([]);
    expect(commands.byName.RENAME, JSON.stringify(commands.byName)).toBe(1);
    // Commands only: far below the 300 KB the renamed folders' bodies weigh.
    expect(run.stats.b.bytesOut).toBeLessThan(10_000);
    expect(await folderNames(b)).toEqual(['INBOX', 'Work', 'Work/2025']);
    for (const f of ['INBOX', 'Work', 'Work/2025']) expect(await contentsOf(b, f), `B's ${f}`).toEqual(await contentsOf(a, f));

    const after = await sync(a, b, statePath, 'mirror', ['--delete-folders']);
    expect(after).toMatchObject({ copied: 0, foldersRenamed: 0, foldersCreated: 0, foldersDeleted: 0 });
  });

  it('two-way: B renames a folder, A renames it too, nothing sent again', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir(), 'rename2.state');
    await seedFolder(a, 'Projects', padded('projects', 30));
    await seedFolder(a, 'Projects/2025', padded('p2025', 20));
    expect((await sync(a, b, statePath, 'two-way')).copied).toBe(50);
    expect((await sync(a, b, statePath, 'two-way')).copied).toBe(0);

    await renameOn(b, 'Projects', 'Archive 2025');
    const run = await sync(a, b, statePath, 'two-way');
    expect(run).toMatchObject({ copied: 0, bytes: 0, foldersRenamed: 2, foldersCreated: 0, foldersDeleted: 0 });
    expect(run.stats.a.bytesOut).toBeLessThan(10_000);
    expect(await folderNames(a)).toEqual(['Archive 2025', 'Archive 2025/2025', 'INBOX']);
    for (const f of ['Archive 2025', 'Archive 2025/2025']) expect(await contentsOf(a, f), `A's ${f}`).toEqual(await contentsOf(b, f));

    const after = await sync(a, b, statePath, 'two-way');
    expect(after).toMatchObject({ copied: 0, foldersRenamed: 0, foldersCreated: 0, foldersDeleted: 0 });
  });
});
