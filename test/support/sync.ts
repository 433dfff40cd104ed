// Running replimap against test servers: through the engine directly (fast,
// for most sync tests) or as the real command (exit codes, signals, kills).

import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ImapStoreSpec, StoreSpec } from '../../src/store/spec.js';
import { runSync } from '../../src/sync/engine.js';
import type { MessageFailure, SyncObserver, SyncOptions, SyncSummary } from '../../src/sync/types.js';
import { expect } from 'vitest';
import type { DovecotServer } from './dovecot.js';

export const REPO = new URL('../../', import.meta.url).pathname;
export const CLI = join(REPO, 'bin/replimap.js');

export function specOf(server: Pick<DovecotServer, 'host' | 'imapsPort' | 'passwordOf' | 'caPem' | 'url'>, user = 'alice'): ImapStoreSpec {
  return {
    kind: 'imap',
    host: server.host,
    port: server.imapsPort,
    security: 'tls',
    user,
    password: server.passwordOf(user),
    tlsCa: server.caPem,
    insecure: false,
    displayUrl: server.url(user),
  };
}

/**
 * A plaintext imap:// spec for reaching `server` through a proxy on `port` of
 * 127.0.0.1 (see filterProxy.ts: it hides STARTTLS, so --insecure logs in in plaintext).
 */
export function plainSpecVia(server: DovecotServer, port: number, user = 'alice'): ImapStoreSpec {
  return {
    kind: 'imap',
    host: '127.0.0.1',
    port,
    security: 'starttls-optional',
    user,
    password: server.passwordOf(user),
    insecure: true,
    displayUrl: `imap://${user}@127.0.0.1:${port}`,
  };
}

export function tempDir(prefix = 'replimap-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const defaultOptions: SyncOptions = {
  mode: 'copy',
  dryRun: false,
  filter: { include: [], exclude: [] },
  deleteFolders: false,
  force: false,
  full: false,
  connections: 2,
};

export interface EngineRun {
  summary: SyncSummary;
  warnings: string[];
  failures: MessageFailure[];
  wouldDo: string[];
  verbose: string[];
}

/** Run one sync through the engine, as the CLI would, and keep what it reported. */
export async function syncOnce(
  a: DovecotServer,
  b: DovecotServer,
  statePath: string,
  options: Partial<SyncOptions> = {},
  users: { a?: string; b?: string } = {},
  /** Reach a side another way than specOf (e.g. through a proxy, see plainSpecVia). */
  specs: { a?: ImapStoreSpec; b?: ImapStoreSpec } = {},
): Promise<EngineRun> {
  return syncSpecs(specs.a ?? specOf(a, users.a), specs.b ?? specOf(b, users.b), statePath, options);
}

/** syncOnce for any two store specs (e.g. memory stores, see src/store/memory). */
export async function syncSpecs(a: StoreSpec, b: StoreSpec, statePath: string, options: Partial<SyncOptions> = {}, now?: () => number): Promise<EngineRun> {
  const warnings: string[] = [];
  const failures: MessageFailure[] = [];
  const wouldDo: string[] = [];
  const verbose: string[] = [];
  const observer: SyncObserver = {
    phase: () => undefined,
    started: () => undefined,
    folderPlanned: () => undefined,
    progress: () => undefined,
    folderFinished: () => undefined,
    wouldDo: (t) => { wouldDo.push(t); },
    warning: (t) => { warnings.push(t); },
    failure: (f) => { failures.push(f); },
    verbose: (t) => { verbose.push(t); },
  };
  const summary = await runSync({ a, b, statePath, options: { ...defaultOptions, ...options } }, observer, undefined, now);
  return { summary, warnings, failures, wouldDo, verbose };
}

/**
 * An engine clock that only stored batches move, 60 s each (reads take no
 * time on it): a --max-time budget without a wall clock. Pass `now` to runSync
 * with `observer`, which fails the test on any message failure.
 */
export function batchClock(): { observer: SyncObserver; now: () => number } {
  let clock = 0;
  const none = (): void => undefined;
  const observer: SyncObserver = {
    phase: none, started: none, folderPlanned: none, folderFinished: none, wouldDo: none, warning: none, verbose: none,
    failure: (f) => expect.fail(`${f.folder} UID ${f.uid}: ${f.reason}`),
    progress: () => {
      clock += 60_000;
    },
  };
  return { observer, now: () => clock };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the real `replimap` command (bin/replimap.js on the built dist/). */
export interface RunCliOptions {
  /** Send `signal` (default SIGKILL) after this long. */
  killAfterMs?: number;
  /** Send `signal` as soon as stderr matches this (e.g. the first finished folder). */
  killOnStderr?: RegExp;
  /** Send `signal` this long after stderr first matches the pattern (e.g. a line printed just before the act phase). */
  killAfterStderr?: { pattern: RegExp; delayMs: number };
  /** Send `signal` once this promise resolves (e.g. a proxy reporting a stall). */
  killWhen?: Promise<unknown>;
  signal?: NodeJS.Signals;
}

export function runCli(args: string[], env: Record<string, string> = {}, options: RunCliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    let signalled = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (options.killOnStderr && !signalled && options.killOnStderr.test(stderr)) {
        signalled = true;
        child.kill(options.signal ?? 'SIGKILL');
      }
      const after = options.killAfterStderr;
      if (after && !signalled && after.pattern.test(stderr)) {
        signalled = true;
        timer = setTimeout(() => child.kill(options.signal ?? 'SIGKILL'), after.delayMs);
      }
    });
    let timer: NodeJS.Timeout | undefined;
    if (options.killAfterMs !== undefined) {
      timer = setTimeout(() => child.kill(options.signal ?? 'SIGKILL'), options.killAfterMs);
    }
    let exited = false;
    void options.killWhen?.then(() => {
      if (!exited && !signalled) {
        signalled = true;
        child.kill(options.signal ?? 'SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      exited = true;
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Environment with both passwords, for runCli. */
export function passwordEnv(a: Pick<DovecotServer, 'passwordOf'>, b: Pick<DovecotServer, 'passwordOf'>, users: { a?: string; b?: string } = {}): Record<string, string> {
  return { REPLIMAP_PASSWORD_A: a.passwordOf(users.a), REPLIMAP_PASSWORD_B: b.passwordOf(users.b) };
}

/** The --json summary of a CLI run that must have exited 0 with nothing failed. */
export function okSummaryOf<T extends { ok: boolean; failed: unknown[] }>(run: CliRun): T {
  expect(run.code, `exit code; stderr: ${run.stderr}\nstdout: ${run.stdout.slice(0, 2000)}`).toBe(0);
  const json = JSON.parse(run.stdout) as T;
  expect(json.ok).toBe(true);
  expect(json.failed).toEqual([]);
  return json;
}

/**
 * Runs `sync` (at most `maxRuns` times) until a run skips `folders` folders as
 * unchanged: their counters are then those the state recorded (a restore that
 * brings them back is invisible). Expects no failure and that it happened;
 * returns the folders skipped per run.
 */
export async function syncUntilSkipped(sync: () => Promise<EngineRun>, folders: number, maxRuns = 3): Promise<number[]> {
  const skipped: number[] = [];
  for (let i = 0; i < maxRuns && skipped.at(-1) !== folders; i++) {
    const settled = await sync();
    expect(settled.failures).toEqual([]);
    skipped.push(settled.summary.foldersSkipped);
  }
  expect(skipped.at(-1), `folders skipped per run: ${skipped.join(' ')}`).toBe(folders);
  return skipped;
}
