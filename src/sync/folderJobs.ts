// The folder pairs of a run phase (reading, then acting), worked through on up to --connections pairs of
// connections at once. A connection lost during one folder (a server process
// crashing on a damaged mailbox, a --timeout silence) fails that folder alone:
// the worker opens a new pair and goes on with the next one. A server that
// keeps dropping connections ends the run (exit 3) after a few folders in a
// row, and a pair that cannot be opened again ends it at once. A message whose
// body FETCH costs the connection is not a loss here: the driver refuses that
// message alone and the folder finishes (Store.fetchBodies).

import { ConnectionLostError } from '../errors.js';
import type { Store } from '../store/types.js';
import type { ExtraConnections, StorePair } from './extraConnections.js';
import { isInterruption } from './interruption.js';
import type { PeriodicCommit } from './periodicCommit.js';

/** Connection losses in a row on one worker (no folder finishing between them) before the run gives up. */
export const MAX_LOSSES_IN_A_ROW = 3;

/** A job names its folder pair (for the failure a lost connection makes). */
export interface FolderJob {
  label: string;
}

export interface FolderJobsInput<J extends FolderJob, R> {
  jobs: J[];
  connections: number;
  /** The pair already open; replaced in place (a and b) when its connection is lost. */
  main: StorePair;
  extra: ExtraConnections;
  periodic: PeriodicCommit;
  /** Creates a store (not connected), known to the engine for signals, stats and closing. */
  open: (label: 'A' | 'B') => Store;
  /** Works on one folder pair; undefined when it failed alone (reported by `work` itself). */
  work: (stores: StorePair, job: J) => Promise<R | undefined>;
  /** A folder whose connection was lost: report it as failed. */
  lost: (job: J, error: ConnectionLostError) => void;
  /** Called once by a worker that did some job, when the queue is empty (e.g. to leave its open folders). */
  done?: (stores: StorePair) => Promise<void>;
  /**
   * Jobs of one key are never worked on at once (e.g. the turns of one folder
   * pair in the copy queue): a worker takes the first job, in order, whose key
   * no other worker holds, and waits while every job left has a held key.
   */
  key?: (job: J) => string;
  /** A job with nothing left to do (e.g. a turn of a pair that failed): taken and dropped, no work, so no sign the connections are sound. */
  skips?: (job: J) => boolean;
  signal?: AbortSignal;
}

/**
 * Run the folder jobs. The first pair is the one already open; the others are
 * opened only when there is work for them, and a store refusing one only means
 * fewer folders at once.
 */
export async function runFolderJobs<J extends FolderJob, R>(input: FolderJobsInput<J, R>): Promise<R[]> {
  const { jobs, connections, main, extra, periodic, signal } = input;
  const queue = new KeyedQueue(jobs, input.key, periodic);
  /** By the job's index: the results come in the jobs' order, whichever worker finished first. */
  const results: (R | undefined)[] = [];
  const worker = async (stores: StorePair): Promise<void> => {
    periodic.join();
    let lostInARow = 0;
    let worked = false;
    try {
      // A pair idle since the last phase may have lost a connection meanwhile: not a failure of the next folder.
      if (queue.length > 0 && !signal?.aborted && (!stores.a.usable || !stores.b.usable)) await reopenPair(stores, input.open);
      for (let next = await queue.take(signal); next; next = await queue.take(signal)) {
        const { job, index } = next;
        try {
          if (input.skips?.(job) === true) continue;
          worked = true;
          await periodic.safePoint();
          results[index] = await input.work(stores, job);
          lostInARow = 0;
        } catch (err) {
          // After a signal, a lost connection is the stop it asked for; a dead server stops the run.
          if (!(err instanceof ConnectionLostError) || signal?.aborted || ++lostInARow >= MAX_LOSSES_IN_A_ROW) throw err;
          input.lost(job, err);
          await reopenPair(stores, input.open);
        } finally {
          queue.release(next);
        }
      }
      // Best effort: a connection lost here fails the next phase's first command on it, which reconnects.
      if (worked && input.done && !signal?.aborted) await input.done(stores).catch(() => undefined);
    } finally {
      await periodic.leave();
    }
  };
  // Connected before taking a job: a pair that cannot be opened leaves no job behind.
  const extraWorker = async (): Promise<void> => {
    const stores = await extra.openPair(() => queue.length > 0);
    if (!stores) return;
    await worker(stores);
    extra.release(stores);
  };
  const count = Math.max(1, Math.min(connections, queue.keys));
  const workers = [worker(main)];
  for (let i = 1; i < count; i++) workers.push(extraWorker());
  // Let every worker finish its current folder before an error propagates, so
  // nothing is half-recorded when the state is closed. After a signal, a
  // connection cut under a worker is the stop it asked for, not an error.
  const settled = await Promise.allSettled(workers);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !isInterruption(s.reason, signal));
  if (failed) throw failed.reason;
  return results.filter((r): r is R => r !== undefined);
}

/** The jobs left, in order, with the keys workers hold (see FolderJobsInput.key). */
class KeyedQueue<J> {
  private readonly entries: { job: J; index: number; key: string | undefined }[];
  private readonly held = new Set<string>();
  private released: { promise: Promise<void>; resolve: () => void } | undefined;
  /** How many jobs could be worked on at once: one per key (each job its own without keys). */
  readonly keys: number;

  constructor(
    jobs: readonly J[],
    keyOf: ((job: J) => string) | undefined,
    private readonly periodic: PeriodicCommit,
  ) {
    this.entries = jobs.map((job, index) => ({ job, index, key: keyOf?.(job) }));
    this.keys = keyOf ? new Set(this.entries.map((e) => e.key)).size : jobs.length;
  }

  get length(): number {
    return this.entries.length;
  }

  /** The next job no other worker holds the key of, waiting (outside the periodic commits) while there is none; undefined: none left. */
  async take(signal: AbortSignal | undefined): Promise<{ job: J; index: number; key: string | undefined } | undefined> {
    for (;;) {
      if (this.entries.length === 0 || signal?.aborted) return undefined;
      const i = this.entries.findIndex((e) => e.key === undefined || !this.held.has(e.key));
      if (i >= 0) {
        const [entry] = this.entries.splice(i, 1);
        if (entry!.key !== undefined) this.held.add(entry!.key);
        return entry;
      }
      if (this.released === undefined) {
        let resolve!: () => void;
        const promise = new Promise<void>((r) => (resolve = r));
        this.released = { promise, resolve };
      }
      const { promise } = this.released;
      await this.periodic.outside(() => promise);
    }
  }

  /** A worker is done with a job: its key is free again. */
  release(entry: { key: string | undefined }): void {
    if (entry.key === undefined) return;
    this.held.delete(entry.key);
    this.released?.resolve();
    this.released = undefined;
  }
}

/**
 * A new pair in place of `pair` (both sides: the one that stayed may still be
 * busy with the abandoned folder). Throws when either side cannot be reached.
 */
async function reopenPair(pair: StorePair, open: (label: 'A' | 'B') => Store): Promise<void> {
  await Promise.all([pair.a.close(), pair.b.close()]);
  pair.a = open('A');
  pair.b = open('B');
  await Promise.all([pair.a.connect(), pair.b.connect()]);
}
