// A real SIGKILL at a random moment while a child process applies, flushes
// and commits ops: the next open must give a valid state equal to some prefix
// of the op stream that includes everything the child reported as flushed.
import { afterEach, beforeEach, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord, SideStatus } from '../../src/state/types.js';
import { STATE_TEST_IDENTITY as ID, churnFolder, churnModel, renameModel } from '../support/stateOps.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('../support/stateChild.ts', import.meta.url));

let dir: string;
let child: ChildProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'replimap-crash-'));
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child (`churn <run>` or `renames`) until it has flushed at least `minOps`, waits a random moment, SIGKILLs it. */
async function churnAndKill(path: string, childArgs: string[], minOps: number): Promise<number> {
  const c = spawn(process.execPath, ['--import', 'tsx', childScript, childArgs[0]!, path, ...childArgs.slice(1)], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  child = c;
  let flushed = 0;
  let pending = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => c.on('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) {
        const m = /^flushed (\d+)$/.exec(l);
        if (m) flushed = Number(m[1]);
      }
      if (flushed >= minOps) resolve();
    });
    void exited.then(() => reject(new Error('churn child exited on its own')));
  });
  await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
  c.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  // Everything the child had printed before it died was flushed before it was printed.
  for (const l of pending.split('\n')) {
    const m = /^flushed (\d+)$/.exec(l);
    if (m) flushed = Number(m[1]);
  }
  return flushed;
}

function asMap(records: readonly MessageRecord[]): Map<number, MessageRecord> {
  return new Map(records.map((r) => [r.uidA, { ...r, flags: [...r.flags] }]));
}

function statusText(s: SideStatus | undefined): string {
  return s === undefined ? '-' : `${s.uidValidity} ${s.uidNext} ${s.highestModseq ?? '-'} ${s.messages}`;
}

/** The smallest n >= from for which the folder equals churnModel(n, run), if any. */
function matchingPrefix(s: SyncState, run: number, from: number): number | undefined {
  const { nameA, nameB } = churnFolder(run);
  const f = s.folder(nameA, nameB);
  if (f === undefined) return undefined;
  const got = asMap(f.records());
  // The last put made the highest uidA present, and only a few ops follow it
  // before the next put: no prefix beyond that can match.
  const maxUid = Math.max(0, ...got.keys());
  for (let n = Math.max(from, 1); n <= maxUid + 12; n++) {
    const model = churnModel(n, run);
    if (model.records.size !== got.size) continue;
    if (statusText(model.statusA) !== statusText(f.statusA)) continue;
    if ([...model.records].every(([uid, r]) => JSON.stringify(got.get(uid)) === JSON.stringify(r))) return n;
  }
  return undefined;
}

it('recovers a prefix of the flushed ops after SIGKILL, three runs in a row', async () => {
  const path = join(dir, 'state');
  const recovered: number[] = [];
  // Each run works in its own folder on top of what the killed runs before it
  // left (so it starts by replaying their journal and appends after it).
  for (let run = 0; run < 3; run++) {
    const flushed = await churnAndKill(path, ['churn', String(run)], 200 + Math.floor(Math.random() * 600));
    const s = await SyncState.open(path, ID);
    expect(s.warnings.join('\n')).toMatch(/took over the stale lock .* is no longer running/);
    const match = matchingPrefix(s, run, flushed);
    expect(match, `state after kill #${run + 1} (flushed ${flushed}) is not a prefix of the op stream`).toBeDefined();
    expect(match!).toBeGreaterThanOrEqual(flushed);
    recovered.push(match!);
    // Earlier runs' folders are exactly as recovered then.
    for (let earlier = 0; earlier < run; earlier++) expect(matchingPrefix(s, earlier, recovered[earlier]!)).toBe(recovered[earlier]);
    expect(s.folderKeys()).toHaveLength(run + 1);
    await s.close();
    // Nothing left behind but the state and its journal (no temp files of a killed commit, no lock).
    for (const name of await readdir(dir)) expect(['state', 'state.journal']).toContain(name);
  }
});

it('recovers a prefix of flushed folder renames after SIGKILL: the pair under its latest name, its records (pending ones too) with it', async () => {
  const path = join(dir, 'state');
  const flushed = await churnAndKill(path, ['renames'], 150 + Math.floor(Math.random() * 400));
  const s = await SyncState.open(path, ID);
  // Exactly one pair: renames never leave the old name behind, nor lose the pair.
  const [names, ...others] = s.folderKeys();
  expect(others).toEqual([]);
  const got = asMap(s.folder(names!.nameA, names!.nameB)!.records());
  const maxUid = Math.max(0, ...got.keys());
  let match: number | undefined;
  for (let n = flushed; n <= maxUid + 3 && match === undefined; n++) {
    const model = renameModel(n);
    if (model.names.nameA !== names!.nameA || model.names.nameB !== names!.nameB || model.records.size !== got.size) continue;
    if ([...model.records].every(([uid, r]) => JSON.stringify(got.get(uid)) === JSON.stringify(r))) match = n;
  }
  expect(match, `state after the kill (flushed ${flushed}) is not a prefix of the rename stream`).toBeDefined();
  // Pending records kept their status through renames, commits and the replay.
  expect([...got.values()].filter((r) => r.status === 'pending').length).toBeGreaterThan(0);
  await s.commit();
  await s.close();
  const t = await SyncState.open(path, ID);
  expect(asMap(t.folder(names!.nameA, names!.nameB)!.records())).toEqual(got);
  await t.close();
});
