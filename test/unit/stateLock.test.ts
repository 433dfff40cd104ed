// The state lock: held by a live process, stale, garbled, raced for.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StateError } from '../../src/errors.js';
import { StateLock } from '../../src/state/StateLock.js';
import { SyncState } from '../../src/state/SyncState.js';
import { STATE_TEST_IDENTITY as ID } from '../support/stateOps.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const childScript = fileURLToPath(new URL('../support/stateChild.ts', import.meta.url));

let dir: string;
let path: string;
const children: ChildProcess[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'replimap-lock-'));
  path = join(dir, 'state');
});
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

/** A PID that belonged to a process which has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid!;
}

async function openError(p: Promise<unknown>): Promise<StateError> {
  const e = await p.then(
    () => new Error('expected a StateError'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(StateError);
  expect((e as StateError).exitCode).toBe(4);
  return e as StateError;
}

describe('state lock', () => {
  it('refuses a state held by another live process, and works once it is gone', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, 'hold', path], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
    children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
    });
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${child.pid} ${hostname()}\n`);

    const err = await openError(SyncState.open(path, ID));
    expect(err.message).toMatch(new RegExp(`^another replimap run \\(pid ${child.pid}\\) is already using ${path}`));
    // The refused open did not disturb the holder's lock.
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${child.pid} ${hostname()}\n`);
    // A read-only open is allowed, with a warning.
    const ro = await SyncState.open(path, ID, { readOnly: true });
    expect(ro.warnings.join('\n')).toMatch(/another replimap run may be changing/);
    await ro.close();

    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.stdin!.end();
    expect(await exited).toBe(0);
    await expect(stat(`${path}.lock`)).rejects.toThrow(/ENOENT/);
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([]);
    await s.close();
  });

  it('refuses a lock held by this very process (opened twice)', async () => {
    const s = await SyncState.open(path, ID);
    const err = await openError(SyncState.open(path, ID));
    expect(err.message).toContain(`pid ${process.pid}`);
    await s.close();
    await expect(stat(`${path}.lock`)).rejects.toThrow(/ENOENT/);
  });

  it('takes over a lock left by a dead process, with a warning', async () => {
    const pid = deadPid();
    await writeFile(`${path}.lock`, `${pid} ${hostname()}\n`);
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([`took over the stale lock ${path}.lock (pid ${pid} is no longer running)`]);
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    await s.close();
    expect(await readdir(dir)).toEqual([]);
  });

  it('treats a lock as stale when its PID now belongs to a younger process', async () => {
    const sleeper = spawn('sleep', ['30']);
    children.push(sleeper);
    await writeFile(`${path}.lock`, `${sleeper.pid} ${hostname()}\n`);
    const hourAgo = new Date(Date.now() - 3600_000);
    await utimes(`${path}.lock`, hourAgo, hourAgo);
    const s = await SyncState.open(path, ID);
    expect(s.warnings.join('\n')).toMatch(/started after the lock was written/);
    await s.close();
  });

  it('treats a lock on another host as held', async () => {
    await writeFile(`${path}.lock`, `${deadPid()} some-other-host.example\n`);
    const err = await openError(SyncState.open(path, ID));
    expect(err.message).toMatch(/on host some-other-host\.example\) is already using/);
  });

  it('waits for, then refuses, a fresh unreadable lock; takes over an old one', async () => {
    await writeFile(`${path}.lock`, '');
    const err = await openError(SyncState.open(path, ID));
    expect(err.message).toMatch(/is unreadable/);
    await writeFile(`${path}.lock`, 'garbage\n');
    const old = new Date(Date.now() - 120_000);
    await utimes(`${path}.lock`, old, old);
    const s = await SyncState.open(path, ID);
    expect(s.warnings.join('\n')).toMatch(/took over the stale lock .* \(it held no PID\)/);
    await s.close();
  });

  it('lets exactly one of several racing runs take over the same stale lock', async () => {
    // The interleaving differs from round to round; a plain unlink-and-create
    // takeover lets two runs win in some of them.
    const pid = deadPid();
    for (let round = 0; round < 25; round++) {
      await writeFile(`${path}.lock`, `${pid} ${hostname()}\n`);
      const results = await Promise.allSettled([1, 2, 3, 4, 5].map(() => StateLock.acquire(path)));
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r) => r.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const r of lost) {
        expect(r.reason).toBeInstanceOf(StateError);
        expect((r.reason as StateError).message).toMatch(/already using/);
      }
      await (won[0] as PromiseFulfilledResult<{ lock: StateLock }>).value.lock.release();
      // No temp or aside files left over.
      expect(await readdir(dir)).toEqual([]);
    }
  });

  it('lets exactly one of several racing processes take over a stale lock', async () => {
    await writeFile(`${path}.lock`, `${deadPid()} ${hostname()}\n`);
    const racers = [1, 2, 3, 4].map(() => {
      const c = spawn(process.execPath, ['--import', 'tsx', childScript, 'hold', path], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
      children.push(c);
      let out = '';
      c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const first = new Promise<string>((resolve) => {
        c.stdout!.on('data', () => {
          if (out.includes('\n')) resolve(out);
        });
        c.on('exit', () => resolve(out));
      });
      return { c, first };
    });
    const outputs = await Promise.all(racers.map((r) => r.first));
    const holders = racers.filter((_r, i) => outputs[i]!.startsWith('ready'));
    expect(holders).toHaveLength(1);
    expect(outputs.filter((o) => o.startsWith('refused another replimap run'))).toHaveLength(3);
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`${holders[0]!.c.pid} ${hostname()}\n`);
    const done = new Promise((resolve) => holders[0]!.c.on('exit', resolve));
    holders[0]!.c.stdin!.end();
    expect(await done).toBe(0);
    expect(await readdir(dir)).toEqual([]);
  });

  it('skips a takeover claim abandoned by a dead run', async () => {
    const pid = deadPid();
    await writeFile(`${path}.lock`, `${pid} ${hostname()}\n`);
    const { ino } = await stat(`${path}.lock`);
    await writeFile(`${path}.lock.takeover-${ino}-1`, `${pid} ${hostname()}\n`);
    await writeFile(`${path}.lock.${pid}-0123abcd`, `${pid} ${hostname()}\n`); // a killed run's temp file
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([`took over the stale lock ${path}.lock (pid ${pid} is no longer running)`]);
    expect((await readdir(dir)).sort()).toEqual(['state.lock']);
    await s.close();
  });

  it('release() leaves a lock alone that is no longer ours', async () => {
    const { lock } = await StateLock.acquire(path);
    await writeFile(`${path}.lock`, `1 ${hostname()}\n`);
    await lock.release();
    expect(await readFile(`${path}.lock`, 'utf8')).toBe(`1 ${hostname()}\n`);
  });
});
