// Runs the CLI's main() in-process with captured output, a fake engine and
// fake signals, so CLI tests need no server and no child process.

import { EventEmitter } from 'node:events';
import * as readline from 'node:readline';
import { Writable } from 'node:stream';
import type { CliContext } from '../../src/cli/context.js';
import { main } from '../../src/cli/main.js';
import type { StoreSpec } from '../../src/store/spec.js';
import type { Store } from '../../src/store/types.js';
import type { SyncJob, SyncObserver, SyncSummary } from '../../src/sync/types.js';

export class CaptureStream extends Writable {
  text = '';
  isTTY: boolean | undefined;
  columns = 100;
  constructor(isTTY?: boolean) {
    super({ decodeStrings: false });
    this.isTTY = isTTY;
  }
  // What ora and cli-progress call on a terminal stream (tty.WriteStream).
  cursorTo(x: number, y?: number | (() => void), cb?: () => void): boolean {
    if (typeof y === 'function') return readline.cursorTo(this, x, undefined, y);
    return readline.cursorTo(this, x, y, cb);
  }
  moveCursor(dx: number, dy: number, cb?: () => void): boolean {
    return readline.moveCursor(this, dx, dy, cb);
  }
  clearLine(dir: -1 | 0 | 1, cb?: () => void): boolean {
    return readline.clearLine(this, dir, cb);
  }
  clearScreenDown(cb?: () => void): boolean {
    return readline.clearScreenDown(this, cb);
  }
  override _write(chunk: unknown, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += typeof chunk === 'string' ? chunk : String(chunk);
    done();
  }
}

export function emptySummary(overrides: Partial<SyncSummary> = {}): SyncSummary {
  return {
    mode: 'copy',
    dryRun: false,
    folders: 0,
    foldersSkipped: 0,
    foldersCreated: 0,
    copied: 0,
    bytes: 0,
    transferred: 0,
    deferred: 0,
    deferredBytes: 0,
    flagsUpdated: 0,
    expunged: 0,
    foldersDeleted: 0,
    skipped: 0,
    deletionsWithheld: 0,
    withheld: [],
    rollbacks: [],
    failed: [],
    warnings: [],
    elapsedMs: 1234,
    stats: {
      a: { commands: 10, bytesIn: 2000, bytesOut: 300, wireIn: 2000, wireOut: 300, compressed: 0, connections: 1 },
      b: { commands: 7, bytesIn: 500, bytesOut: 4_100_000, wireIn: 500, wireOut: 4_100_000, compressed: 0, connections: 1 },
    },
    ...overrides,
  };
}

export type FakeEngine = (job: SyncJob, observer: SyncObserver, signal: AbortSignal | undefined, h: Harness) => Promise<SyncSummary>;

export interface Harness {
  ctx: CliContext;
  stdout: CaptureStream;
  stderr: CaptureStream;
  signals: EventEmitter;
  exits: number[];
  jobs: SyncJob[];
  stores: Array<{ label: string; spec: StoreSpec }>;
  run(...args: string[]): Promise<number>;
}

export interface HarnessOptions {
  env?: Record<string, string | undefined>;
  engine?: FakeEngine;
  store?: (label: string, spec: StoreSpec) => Store;
  stderrIsTTY?: boolean;
  now?: () => Date;
}

export function cliHarness(options: HarnessOptions = {}): Harness {
  const stdout = new CaptureStream();
  const stderr = new CaptureStream(options.stderrIsTTY);
  const signals = new EventEmitter();
  const h: Harness = {
    stdout,
    stderr,
    signals,
    exits: [],
    jobs: [],
    stores: [],
    ctx: {
      stdout,
      stderr,
      env: options.env ?? { HOME: '/home/test' },
      signals: signals as unknown as CliContext['signals'],
      exit: (code) => {
        h.exits.push(code);
      },
      now: options.now ?? (() => new Date('2026-11-23T19:20:01.345Z')),
      runSync: async (job, observer, signal) => {
        h.jobs.push(job);
        if (!options.engine) return emptySummary({ mode: job.options.mode, dryRun: job.options.dryRun });
        return options.engine(job, observer, signal, h);
      },
      createStore: async (label, spec) => {
        h.stores.push({ label, spec });
        if (!options.store) throw new Error('no fake store given');
        return options.store(label, spec);
      },
    },
    run: (...args) => main(['node', 'replimap', ...args], h.ctx),
  };
  return h;
}
