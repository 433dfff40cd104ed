// Issue 9 §2 against real Dovecot, through the real command: --max-size and
// --since hold messages back as deferred, asked of A's server with one UID
// SEARCH per folder (Dovecot counts A's commands by name), exit 0 with the
// count in --json; `replimap status` lists them without connecting; a run
// without the filter copies them from folders that did not change. Bodies are
// compared by digest.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandCounts, startBenchServer, type CommandCounts } from '../../bench/benchServers.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readFolder, seedFolder, type SeedMessage } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';
import { taggedMessage } from '../support/taggedMessages.js';

const FOLDERS = ['INBOX', 'Archive'] as const;
const LIMIT = 50_000;

/** Tagged messages of about `bytes` each, received on consecutive days from `firstDay` (noon UTC). */
function messages(tag: string, count: number, bytes: number, firstDay: number): SeedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const head = taggedMessage(i, tag);
    const line = `${tag} ${i} ${'.'.repeat(60)}\r\n`;
    const raw = head + line.repeat(Math.max(0, Math.ceil((bytes - head.length) / line.length)));
    return { raw, internalDate: new Date(Date.UTC(2026, 0, firstDay + i, 12, 0, 0)) };
  });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function contentsOf(server: DovecotServer, folder: string, keep: (size: number, date: Date) => boolean = () => true): Promise<string[]> {
  return (await readFolder(server, folder)).filter((m) => keep(m.size, m.internalDate)).map((m) => sha256(m.body)).sort();
}

interface SyncJson {
  ok: boolean;
  exitCode: number;
  copied: number;
  bytes: number;
  deferred: number;
  deferredBytes: number;
  foldersSkipped: number;
  expunged: number;
  failed: unknown[];
}

interface StatusJson {
  ok: boolean;
  folders: { folder: string; deferred: number; bytes: number }[];
  total: { deferred: number; bytes: number };
  filter: string;
}

const searches = (c: CommandCounts): number => (c.byName.SEARCH ?? 0) + (c.byName['UID SEARCH'] ?? 0) + (c.byName.UID_SEARCH ?? 0);

describe('message filters through the CLI (issue 9 §2)', () => {
  const servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it('--max-size defers big messages (one SEARCH per folder of A), status lists them, a run without it copies them', async () => {
    // A is a bench server: Dovecot counts its commands by name.
    const [a, b] = await Promise.all([startBenchServer(), startDovecot()]);
    servers.push(a, b);
    await seedFolder(a, 'INBOX', [...messages('small', 6, 3_000, 1), ...messages('big', 3, 120_000, 10)]);
    await seedFolder(a, 'Archive', [...messages('old', 2, 3_000, 1), ...messages('huge', 1, 400_000, 20)]);
    const statePath = join(tempDir(), 'filters.state');
    const env = passwordEnv(a, b);
    const args = (...extra: string[]): string[] => ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--json', ...extra];
    const sync = async (...extra: string[]): Promise<{ json: SyncJson; commands: CommandCounts }> => {
      await commandCounts(a); // zeroes A's counters
      const run = await runCli(args(...extra), env);
      expect(run.code, `stderr: ${run.stderr}`).toBe(0);
      const json = JSON.parse(run.stdout) as SyncJson;
      expect([json.ok, json.failed]).toEqual([true, []]);
      return { json, commands: await commandCounts(a) };
    };
    const status = async (): Promise<StatusJson> => {
      // No password: status never connects.
      const run = await runCli(['status', a.url(), b.url(), '--state', statePath, '--json'], {});
      expect(run.code, `stderr: ${run.stderr}`).toBe(0);
      return JSON.parse(run.stdout) as StatusJson;
    };
    const small = (size: number): boolean => size <= LIMIT;
    const bigBytes = (await readFolder(a, 'INBOX')).concat(await readFolder(a, 'Archive')).filter((m) => !small(m.size)).reduce((n, m) => n + m.size, 0);

    const first = await sync('--max-size', String(LIMIT));
    expect(first.json).toMatchObject({ copied: 8, deferred: 4, deferredBytes: bigBytes });
    expect(searches(first.commands), `A's commands: ${JSON.stringify(first.commands.byName)}`).toBe(2);
    for (const f of FOLDERS) expect(await contentsOf(b, f), f).toEqual(await contentsOf(a, f, small));
    expect(first.json.bytes).toBeLessThan(bigBytes / 10);
    expect(await status()).toMatchObject({
      ok: true, filter: `max-size=${LIMIT}`, total: { deferred: 4, bytes: bigBytes },
      folders: [{ folder: 'Archive', deferred: 1 }, { folder: 'INBOX', deferred: 3 }],
    });

    const same = await sync('--max-size', String(LIMIT));
    expect(same.json).toMatchObject({ copied: 0, foldersSkipped: 2 });
    expect(searches(same.commands)).toBe(0);

    const loose = await sync();
    expect(loose.json).toMatchObject({ copied: 4, deferred: 0, foldersSkipped: 0 });
    expect(searches(loose.commands)).toBe(0); // no filter, no SEARCH for it
    for (const f of FOLDERS) expect(await contentsOf(b, f), f).toEqual(await contentsOf(a, f));
    expect((await status()).total).toEqual({ deferred: 0, bytes: 0 });
  });

  it('mirror with --since: older mail deferred and not deleted from B, copied once the filter goes', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    await seedFolder(a, 'INBOX', messages('day', 10, 2_000, 1));
    // B already has one of the old messages (an earlier copy): it pairs and stays.
    await seedFolder(b, 'INBOX', messages('day', 1, 2_000, 1));
    const statePath = join(tempDir(), 'since.state');
    const env = passwordEnv(a, b);
    const run = async (...extra: string[]): Promise<SyncJson> => {
      const r = await runCli(['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', 'mirror', '--json', ...extra], env);
      expect(r.code, `stderr: ${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout) as SyncJson;
    };
    const recent = (_size: number, date: Date): boolean => date >= new Date(Date.UTC(2026, 0, 6));
    const first = await run('--since', '2026-01-06');
    expect(first).toMatchObject({ ok: true, copied: 5, deferred: 4, expunged: 0 });
    expect(await contentsOf(b, 'INBOX')).toEqual((await contentsOf(a, 'INBOX', (s, d) => recent(s, d) || d.getUTCDate() === 1)));
    const all = await run();
    expect(all).toMatchObject({ ok: true, copied: 4, deferred: 0, expunged: 0 });
    expect(await contentsOf(b, 'INBOX')).toEqual(await contentsOf(a, 'INBOX'));
  });
});
