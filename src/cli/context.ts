// Everything the CLI touches outside itself, injectable so tests can run
// main() in-process and read what it printed.

import type { StoreSpec } from '../store/spec.js';
import type { Store } from '../store/types.js';
import type { SyncJob, SyncObserver, SyncSummary } from '../sync/types.js';

/** An output stream: process.stdout/stderr, or anything writable in tests. */
export type CliStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

interface SignalSource {
  on(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
  off(signal: 'SIGINT' | 'SIGTERM', listener: () => void): unknown;
}

export interface CliContext {
  stdout: CliStream;
  stderr: CliStream;
  env: Readonly<Record<string, string | undefined>>;
  /** Where SIGINT/SIGTERM arrive (the process). */
  signals: SignalSource;
  /** Exit at once (a second SIGINT/SIGTERM during a sync). */
  exit: (code: number) => void;
  now: () => Date;
  /** The sync engine's runSync. */
  runSync(job: SyncJob, observer: SyncObserver, signal?: AbortSignal): Promise<SyncSummary>;
  /** createStore(label, spec): a Store, not yet connected. */
  createStore(label: string, spec: StoreSpec): Promise<Store>;
}

export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    signals: process,
    exit: (code) => process.exit(code),
    now: () => new Date(),
    // Loaded on use: --help, --version and usage errors need no IMAP code.
    runSync: async (job, observer, signal) => (await import('../sync/engine.js')).runSync(job, observer, signal),
    createStore: async (label, spec) => (await import('../store/createStore.js')).createStore(label, spec),
  };
}
