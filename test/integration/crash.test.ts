// Issue: crash safety. The real command is killed with SIGKILL at random
// moments while it copies; every rerun must finish the work without
// duplicating or losing a single message. Fresh random points on each run;
// the seed is printed (set REPLIMAP_CRASH_SEED to replay one).

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import { generateMessages, prng } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { listFolders, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';

const FOLDERS = ['INBOX', 'Archive', 'Archive/2024', 'Lists'];
const KILLS = 20;

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function bodiesPerFolder(server: DovecotServer): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const f of FOLDERS) out.set(f, (await readFolder(server, f)).map((m) => digest(m.body)).sort());
  return out;
}

describe('SIGKILL at random points, then rerun', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let dir: string;
  const seed = Number(process.env.REPLIMAP_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));

  beforeAll(async () => {
    console.log(`crash test seed: ${seed} (replay with REPLIMAP_CRASH_SEED=${seed})`);
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    const messages = generateMessages(2000, { seed });
    for (const [i, folder] of FOLDERS.entries()) {
      const part = messages.filter((_, k) => k % FOLDERS.length === i);
      await seedFolder(a, folder, part.map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
    }
    dir = tempDir();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('B ends with every message of A exactly once, and a valid state', async () => {
    const random = prng(seed);
    const statePath = join(dir, 'crash.state');
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '-q'];
    // Commit often, so that kills also land during and between state rewrites.
    const env = { ...passwordEnv(a, b), REPLIMAP_COMMIT_INTERVAL_MS: '150' };
    const killedAt: number[] = [];
    let extra = 0;
    // Kill points are drawn from the time a whole run takes, learnt as we go
    // (a run that finishes before its kill shortens the window), so that most
    // of them land while the run is working, not after it is done.
    let window = 2500;
    for (let k = 0; k < KILLS; k++) {
      // Keep work in the pipeline: new mail and a few flag changes before each run.
      if (k > 0) {
        const folder = FOLDERS[Math.floor(random() * FOLDERS.length)]!;
        const more = generateMessages(100, { seed: seed + k, folder }).map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate }));
        await seedFolder(a, folder, more);
        extra += more.length;
        const inA = await readFolder(a, folder);
        const pick = inA.filter(() => random() < 0.05).map((m) => m.uid);
        if (pick.length > 0) await setFlags(a, folder, pick, ['\\Flagged'], []);
      }
      const delay = Math.floor(150 + random() * (window - 150));
      const started = Date.now();
      const run = await runCli(args, env, { killAfterMs: delay, signal: 'SIGKILL' });
      killedAt.push(run.signal === 'SIGKILL' ? delay : -delay);
      if (run.signal !== 'SIGKILL') {
        expect(run.stderr, 'a run that was not killed must succeed').toBe('');
        expect(run.code).toBe(0);
        window = Math.max(300, Math.floor((Date.now() - started) * 0.9));
      }
    }
    console.log(`kill points (ms; negative: finished before the kill): ${killedAt.join(' ')}`);
    expect(killedAt.filter((t) => t > 0).length).toBeGreaterThan(KILLS / 2);

    const final = await runCli([...args.filter((x) => x !== '-q'), '--json'], env);
    expect(final.code, final.stderr).toBe(0);
    const again = await runCli([...args.filter((x) => x !== '-q'), '--json'], env);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).copied).toBe(0);

    const [inA, inB] = await Promise.all([bodiesPerFolder(a), bodiesPerFolder(b)]);
    let total = 0;
    for (const f of FOLDERS) {
      expect(inB.get(f), `folder ${f}: every message exactly once`).toEqual(inA.get(f));
      total += inA.get(f)!.length;
    }
    expect(total).toBe(2000 + extra);
    expect((await listFolders(b)).map((f) => f.name)).toEqual(expect.arrayContaining(FOLDERS));

    const state = await SyncState.open(statePath, { storeA: a.url(), storeB: b.url() }, { readOnly: true });
    const recorded = state.folderKeys().reduce((n, k) => n + state.folder(k.nameA, k.nameB)!.records().length, 0);
    await state.close();
    expect(recorded).toBe(total);
  }, 300_000); // a dozen killed runs and reruns: slow on a loaded machine, never a timing assertion
});

describe('SIGINT / SIGTERM stop cleanly', () => {
  const folders = Array.from({ length: 8 }, (_, i) => (i === 0 ? 'INBOX' : `Box${i}`));
  let a: DovecotServer;
  const targets: DovecotServer[] = [];
  beforeAll(async () => {
    a = await startDovecot();
    for (const [i, folder] of folders.entries()) {
      const messages = generateMessages(150, { seed: 70 + i, folder });
      await seedFolder(a, folder, messages.map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
    }
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), ...targets.map((t) => t.stop())]);
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    it(`${signal} → exit ${code}, state saved, rerun completes without duplicates`, async () => {
      const b = await startDovecot();
      targets.push(b);
      const statePath = join(tempDir(), `${signal}.state`);
      // One folder at a time, and the signal as soon as the first one is done:
      // the others are still to do, whatever the machine's speed.
      const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--connections', '1'];
      const env = passwordEnv(a, b);
      const stopped = await runCli(args, env, { killOnStderr: /copied \d+ messages/, signal });
      expect(stopped.code, stopped.stderr).toBe(code);
      expect(stopped.stderr).toMatch(/stopped by SIG(INT|TERM)/);
      expect(existsSync(statePath)).toBe(true);
      const partial = (await Promise.all(folders.map((f) => readFolder(b, f).catch(() => [])))).reduce((n, m) => n + m.length, 0);
      expect(partial).toBeGreaterThanOrEqual(150);
      expect(partial).toBeLessThan(150 * folders.length);
      const rerun = await runCli([...args, '--json'], env);
      expect(rerun.code, rerun.stderr).toBe(0);
      expect(JSON.parse(rerun.stdout).copied).toBe(150 * folders.length - partial);
      for (const f of folders) {
        const inB = (await readFolder(b, f)).map((m) => digest(m.body));
        expect(new Set(inB).size, f).toBe(inB.length);
        expect(inB, f).toHaveLength(150);
      }
    });
  }
});
