// Issue 9 §4 against real Cyrus IMAP 3.6, the server with OBJECTID (RFC 8474):
// the IMAP driver lists each folder's MAILBOXID, which RENAME keeps, and the
// state records it; through the real command, a folder renamed on Cyrus A (a
// child below it, new mail in it) is renamed on Dovecot B with one RENAME,
// proven by the id, no body of the renamed folders sent again; a folder
// deleted and created again under the same name on A is another folder.
// Bodies compared by digest with their flags; what reached B measured by the
// CLI's --json stats and Dovecot's count of B's commands by name.
//
// Skipped only where Cyrus is not installed, and never in CI (CI=true): .ci/run installs it.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandCounts, startBenchServer } from '../../bench/benchServers.js';
import { ImapStore } from '../../src/store/imap/ImapStore.js';
import { cyrusMissing, startCyrus, type CyrusServer } from '../support/cyrus.js';
import type { DovecotServer } from '../support/dovecot.js';
import { listFolders, openClient, readFolder, seedFolder, type ImapTestServer, type SeedMessage } from '../support/imap.js';
import { passwordEnv, runCli, specOf, tempDir } from '../support/sync.js';
import { taggedMessage } from '../support/taggedMessages.js';

const missing = cyrusMissing();
if (missing !== undefined && process.env.CI === 'true') throw new Error(`${missing}; CI must run the Cyrus tests`);
if (missing !== undefined) console.warn(`cyrusRenames.test.ts skipped: ${missing}`);

interface SyncJson {
  ok: boolean;
  copied: number;
  bytes: number;
  foldersRenamed: number;
  foldersCreated: number;
  foldersDeleted: number;
  failed: unknown[];
  warnings: string[];
  stats: { b: { bytesOut: number } };
}

/** Tagged messages padded to about 3,000 bytes each, so that a body sent shows in the byte counts. */
function padded(tag: string, count: number, from = 0): SeedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const head = taggedMessage(n, tag);
    const line = `${tag} ${n} ${'.'.repeat(60)}\r\n`;
    return { raw: head + line.repeat(Math.ceil((3000 - head.length) / line.length)), flags: n % 2 === 0 ? ['\\Seen'] : [] };
  });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function contentsOf(server: ImapTestServer, folder: string): Promise<string[]> {
  return (await readFolder(server, folder)).map((m) => `${sha256(m.body)} ${m.flags.join(' ')}`).sort();
}

async function folderNames(server: ImapTestServer): Promise<string[]> {
  return (await listFolders(server)).map((f) => f.name).sort();
}

async function onClient(server: ImapTestServer, work: (client: Awaited<ReturnType<typeof openClient>>) => Promise<unknown>): Promise<void> {
  const client = await openClient(server);
  try {
    await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Each selectable folder's MAILBOXID as replimap's IMAP driver lists it. */
async function mailboxIds(server: CyrusServer): Promise<Map<string, string | undefined>> {
  const store = new ImapStore('A', specOf(server));
  await store.connect();
  try {
    expect(store.features.mailboxIds).toBe(true);
    return new Map((await store.listFolders({ status: true })).map((f) => [f.name, f.status?.mailboxId]));
  } finally {
    await store.close();
  }
}

const mirror = (a: CyrusServer, b: DovecotServer, statePath: string): string[] =>
  ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', 'mirror', '--delete-folders'];

/** A mirror run with --delete-folders: its --json summary. */
async function sync(a: CyrusServer, b: DovecotServer, statePath: string): Promise<SyncJson> {
  const run = await runCli([...mirror(a, b, statePath), '--json'], passwordEnv(a, b));
  expect(run.code, `exit code; stderr: ${run.stderr}\nstdout: ${run.stdout.slice(0, 2000)}`).toBe(0);
  const json = JSON.parse(run.stdout) as SyncJson;
  expect([json.ok, json.failed]).toEqual([true, []]);
  return json;
}

/** What a dry run would do, as it prints it. */
async function dryRun(a: CyrusServer, b: DovecotServer, statePath: string): Promise<string> {
  const run = await runCli([...mirror(a, b, statePath), '--dry-run'], passwordEnv(a, b));
  expect(run.code, `exit code; stderr: ${run.stderr}`).toBe(0);
  return run.stdout;
}

describe.skipIf(missing !== undefined)('Cyrus A (OBJECTID) → Dovecot B: renames by MAILBOXID, through the CLI', () => {
  let a: CyrusServer;
  let b: DovecotServer;
  const statePath = join(tempDir(), 'cyrus.state');

  beforeAll(async () => {
    [a, b] = await Promise.all([startCyrus(), startBenchServer()]);
    await seedFolder(a, 'INBOX', padded('inbox', 3));
    await seedFolder(a, 'Projects', padded('projects', 40));
    await seedFolder(a, 'Projects/2025', padded('p2025', 20));
    await seedFolder(a, 'Notes', padded('notes', 4));
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('lists every folder\'s MAILBOXID, the same over repeated listings (Cyrus 3.6 garbles them in a LIST-STATUS with the counters)', async () => {
    const first = await mailboxIds(a);
    expect([...first.keys()].sort()).toEqual(['INBOX', 'Notes', 'Projects', 'Projects/2025']);
    for (const id of first.values()) expect(id).toMatch(/^[A-Za-z0-9_-]{1,255}$/);
    expect(new Set(first.values()).size).toBe(4);
    for (let i = 0; i < 3; i++) expect(await mailboxIds(a)).toEqual(first);
  });

  it('records both folders\' ids; a rename of Projects (its child below, new mail in it) is one RENAME on B, proven by the id; only the new mail is sent', async () => {
    expect((await sync(a, b, statePath)).copied).toBe(67);
    const ids = await mailboxIds(a);
    const state = await readFile(statePath, 'utf8');
    expect(state).toContain(`%mailboxid:${ids.get('Projects')}\n`);
    expect(state).toContain(`%mailboxid:${ids.get('Projects/2025')}\n`);

    await onClient(a, (client) => client.mailboxRename('Projects', 'Work'));
    await seedFolder(a, 'Work', padded('projects', 2, 40));
    const after = await mailboxIds(a);
    expect([after.get('Work'), after.get('Work/2025')]).toEqual([ids.get('Projects'), ids.get('Projects/2025')]);

    // Proven by the id, not by reading the new folder's records first.
    expect(await dryRun(a, b, statePath)).toContain('rename folder Projects to Work on B (A renamed Projects to Work (same MAILBOXID))');
    await commandCounts(b); // zeroes B's counters
    const run = await sync(a, b, statePath);
    const commands = await commandCounts(b);
    expect(run).toMatchObject({ copied: 2, foldersRenamed: 2, foldersCreated: 0, foldersDeleted: 0 });
    expect(commands.byName.RENAME, JSON.stringify(commands.byName)).toBe(1);
    expect(commands.byName.CREATE ?? 0, JSON.stringify(commands.byName)).toBe(0);
    // The two new messages' bodies (about 6 KB) and commands: far below the 180 KB the renamed folders weigh.
    expect(run.bytes).toBeLessThan(8_000);
    expect(run.stats.b.bytesOut).toBeLessThan(20_000);
    expect(await folderNames(b)).toEqual(['INBOX', 'Notes', 'Work', 'Work/2025']);
    for (const f of ['INBOX', 'Notes', 'Work', 'Work/2025']) expect(await contentsOf(b, f), `B's ${f}`).toEqual(await contentsOf(a, f));

    const again = await sync(a, b, statePath);
    expect(again).toMatchObject({ copied: 0, foldersRenamed: 0, foldersCreated: 0, foldersDeleted: 0 });
  });

  it('Notes deleted and created again on A (one old message, one new): another folder, re-matched by global id, not renamed', async () => {
    const oldId = (await mailboxIds(a)).get('Notes');
    await onClient(a, async (client) => {
      await client.mailboxDelete('Notes');
      await client.mailboxCreate('Notes');
    });
    await seedFolder(a, 'Notes', [padded('notes', 1, 1)[0]!, padded('notes', 1, 9)[0]!]);
    expect((await mailboxIds(a)).get('Notes')).not.toBe(oldId);

    const run = await sync(a, b, statePath);
    expect(run).toMatchObject({ copied: 1, foldersRenamed: 0, foldersCreated: 0, foldersDeleted: 0 });
    expect(run.warnings.join('\n')).toMatch(/Notes: (A's folder has another MAILBOXID|UIDVALIDITY of A changed)/);
    // Mirror: B's Notes now holds what A's does, the old message kept, not sent again.
    expect(await contentsOf(b, 'Notes')).toEqual(await contentsOf(a, 'Notes'));
    const state = await readFile(statePath, 'utf8');
    expect(state).toContain(`%mailboxid:${(await mailboxIds(a)).get('Notes')}\n`);
    expect((await sync(a, b, statePath)).copied).toBe(0);
  });
});
