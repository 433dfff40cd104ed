import { describe, expect, it } from 'vitest';
import { ConnectError, ConnectionLostError } from '../../src/errors.js';
import type { Store } from '../../src/store/types.js';
import { ExtraConnections, type StorePair } from '../../src/sync/extraConnections.js';
import { MAX_LOSSES_IN_A_ROW, runFolderJobs } from '../../src/sync/folderJobs.js';
import type { PairResult } from '../../src/sync/pairExecute.js';
import type { FolderPairJob } from '../../src/sync/types.js';
import { PeriodicCommit } from '../../src/sync/periodicCommit.js';

/** Only what runFolderJobs touches of a store: usable, connect and close. */
function fakeStore(label: 'A' | 'B', id: number, refuse = false): Store {
  return {
    label, id, usable: true,
    connect: async () => {
      if (refuse) throw new ConnectError(label, 'connection refused');
    },
    close: async () => undefined,
  } as unknown as Store;
}

const job = (name: string): FolderPairJob => ({ nameA: name, nameB: name, label: name, missingOn: [], rescanB: false });
const result = (folder: string): PairResult => ({ folder }) as unknown as PairResult;

function setup(outcome: (name: string, pair: StorePair) => 'ok' | 'lost', options: { refuseReconnect?: boolean; signal?: AbortSignal; skips?: (name: string) => boolean } = {}) {
  let opened = 0;
  const main: StorePair = { a: fakeStore('A', opened++), b: fakeStore('B', opened++) };
  const lost: string[] = [];
  const seenBy: Record<string, number> = {};
  const run = runFolderJobs({
    jobs: ['INBOX', 'F1', 'F2', 'F3', 'F4'].map(job),
    connections: 1, main,
    extra: new ExtraConnections((l) => fakeStore(l, opened++), 1, () => undefined),
    periodic: new PeriodicCommit({ commit: async () => undefined }, 60_000, false),
    open: (label) => fakeStore(label, opened++, options.refuseReconnect),
    work: async (pair, j) => {
      seenBy[j.label] = (pair.a as unknown as { id: number }).id;
      if (outcome(j.label, pair) === 'ok') return result(j.label);
      throw new ConnectionLostError('A', `connection lost during SELECT "${j.label}"`);
    },
    lost: (j, err) => lost.push(`${j.label}: ${err.store}`),
    ...(options.signal && { signal: options.signal }),
    ...(options.skips && { skips: (j: FolderPairJob) => options.skips!(j.label) }),
  });
  return { run, lost, seenBy, main };
}

describe('runFolderJobs', () => {
  it('a folder whose connection is lost fails alone; the next folders go on a new pair', async () => {
    const { run, lost, seenBy, main } = setup((name) => (name === 'F1' ? 'lost' : 'ok'));
    expect((await run).map((r) => r.folder)).toEqual(['INBOX', 'F2', 'F3', 'F4']);
    expect(lost).toEqual(['F1: A']);
    expect(seenBy.F2).not.toBe(seenBy.F1);
    // The main pair is replaced in place: the engine's later steps use the live one.
    expect((main.a as unknown as { id: number }).id).toBe(seenBy.F4);
  });

  it(`gives up after ${MAX_LOSSES_IN_A_ROW} losses in a row`, async () => {
    const { run, lost } = setup(() => 'lost');
    await expect(run).rejects.toBeInstanceOf(ConnectionLostError);
    expect(lost).toHaveLength(MAX_LOSSES_IN_A_ROW - 1);
  });

  it('a job skipped between losses (a turn of a pair that failed) does not start the count again', async () => {
    const { run, lost } = setup((name) => (name === 'F2' ? 'ok' : 'lost'), { skips: (name) => name === 'F2' });
    await expect(run).rejects.toBeInstanceOf(ConnectionLostError);
    expect(lost).toEqual(['INBOX: A', 'F1: A']);
  });

  it('a folder that finishes between losses starts the count again', async () => {
    const { run, lost } = setup((name) => (name === 'F2' ? 'ok' : 'lost'));
    expect((await run).map((r) => r.folder)).toEqual(['F2']);
    expect(lost).toEqual(['INBOX: A', 'F1: A', 'F3: A', 'F4: A']);
  });

  it('a pair that cannot be opened again ends the run (exit 3)', async () => {
    const { run, lost } = setup((name) => (name === 'INBOX' ? 'lost' : 'ok'), { refuseReconnect: true });
    await expect(run).rejects.toBeInstanceOf(ConnectError);
    expect(lost).toEqual(['INBOX: A']);
  });

  it('after a signal, a lost connection is the interruption: no failure listed, no reconnect', async () => {
    const stop = new AbortController();
    const { run, lost } = setup(() => {
      stop.abort('SIGINT');
      return 'lost';
    }, { signal: stop.signal });
    expect(await run).toEqual([]);
    expect(lost).toEqual([]);
  });
});

describe('runFolderJobs with keys (the copy queue’s turns of one pair)', () => {
  it('jobs of one key never run at once and run in order; a worker takes a later job of a free key, or waits', async () => {
    let opened = 0;
    const main: StorePair = { a: fakeStore('A', opened++), b: fakeStore('B', opened++) };
    // Turns: P1, P1, P2, P1, P3 (the queue's order); each job waits a few ticks so that workers overlap.
    const turns = ['P1#1', 'P1#2', 'P2#1', 'P1#3', 'P3#1'].map((label) => ({ label, pair: label.split('#')[0]! }));
    const running = new Set<string>();
    const overlaps: string[] = [];
    const started: string[] = [];
    const results = await runFolderJobs({
      jobs: turns,
      connections: 3, main,
      extra: new ExtraConnections((l) => fakeStore(l, opened++), 3, () => undefined),
      periodic: new PeriodicCommit({ commit: async () => undefined }, 60_000, false),
      open: (label) => fakeStore(label, opened++),
      key: (t) => t.pair,
      work: async (_pair, t) => {
        if (running.has(t.pair)) overlaps.push(t.label);
        running.add(t.pair);
        started.push(t.label);
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        running.delete(t.pair);
        return t.label;
      },
      lost: () => undefined,
    });
    expect(overlaps).toEqual([]);
    expect(results).toEqual(['P1#1', 'P1#2', 'P2#1', 'P1#3', 'P3#1']);
    // Each pair's turns start in the queue's order.
    expect(started.filter((l) => l.startsWith('P1'))).toEqual(['P1#1', 'P1#2', 'P1#3']);
    // Three keys: at most three connection pairs (here all three used).
    expect(opened).toBe(6);
  });
});
