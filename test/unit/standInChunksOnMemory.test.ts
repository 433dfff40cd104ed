// --placeholders makes a folder's stand-ins in chunks bounded by count and
// bytes (the copy batches' limits, inBatches), asking the signal and the
// --max-time budget before each chunk. Here the limit is 2 messages a chunk
// (inBatches mocked: the copy batches get it too), so seven held-back
// messages take four chunks: every stand-in is made once, with its
// original's headers; out of time or interrupted after a chunk, the rest is
// left deferred (counted in `left`) and the next run makes it; a run killed
// at any write across the chunks leaves, after a rerun, one stand-in each.
// The last tests take the real limits (count, and bytes of headers).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { MemoryOperation, MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { MAX_HEADER_BYTES } from '../../src/store/readRules.js';
import { BATCH_MAX_BYTES, BATCH_MAX_MESSAGES } from '../../src/sync/batches.js';
import { runSync } from '../../src/sync/engine.js';
import { STAND_IN_HEADER } from '../../src/sync/standIn.js';
import type { SyncMode, SyncObserver, SyncOptions } from '../../src/sync/types.js';
import { killedRun, WRITE_OPERATIONS } from '../support/memoryKill.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { serverPair, type ServerPair } from '../support/memoryWorld.js';
import { expectOriginalHeadersOn, withOriginalHeaders } from '../support/standInHeaders.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { defaultOptions, syncSpecs, type EngineRun } from '../support/sync.js';

/** The chunk limit: 2 messages (`small`), or the real one. */
const knob = vi.hoisted(() => ({ small: true }));

vi.mock('../../src/sync/batches.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/sync/batches.js')>();
  const { boundedBatches } = await import('../../src/store/batches.js');
  return {
    ...real,
    inBatches: <T>(items: readonly T[], sizeOf: (item: T) => number): T[][] =>
      knob.small ? boundedBatches(items, sizeOf, { maxItems: 2, maxBytes: real.BATCH_MAX_BYTES }) : real.inBatches(items, sizeOf),
  };
});

afterEach(forgetMemorySpecs);

const LIMIT = 10_000;
/** A's held-back messages (≈30 kB each; message 1 is small and copied). */
const BIG = [11, 12, 13, 14, 15, 16, 17];
const CHUNKS = Math.ceil(BIG.length / 2);

/** A: INBOX with message 1 (small) and `big` (each with To, Cc, an X- field and MIME fields, `lines` long); B empty. */
function world(big = BIG, lines = 1000): ServerPair {
  const w = serverPair();
  w.a.append('INBOX', [{ raw: conformanceMessage(1) }, ...big.map((n) => ({ raw: withOriginalHeaders(conformanceMessage(n, lines)) }))]);
  return w;
}

function optionsOf(mode: SyncMode, more: Partial<SyncOptions> = {}): Partial<SyncOptions> {
  return { mode, connections: 1, messageFilter: { maxSize: LIMIT }, placeholders: true, ...more };
}

function sync(w: ServerPair, mode: SyncMode, more: Partial<SyncOptions> = {}, now?: () => number): Promise<EngineRun> {
  return syncSpecs(w.specs.a, w.specs.b, w.statePath, optionsOf(mode, more), now);
}

/** A header field's first line. */
const fieldOf = (body: Buffer, name: string): string | undefined =>
  new RegExp(`^${name}: *(.*)$`, 'imu').exec(body.toString('latin1').split('\r\n\r\n')[0]!)?.[1];
const standInsOn = (server: MemoryServer): Buffer[] => server.messages('INBOX').map((m) => m.body).filter((b) => fieldOf(b, STAND_IN_HEADER) !== undefined);

/** Exactly one stand-in on B for each held-back message of A (its headers, its size), and B's real messages A's small ones. */
function expectOneStandInEach(w: ServerPair, made = BIG.length): void {
  const originals = w.a.messages('INBOX').map((m) => m.body).filter((b) => b.length > LIMIT);
  const standIns = standInsOn(w.b);
  const subjects = standIns.map((b) => fieldOf(b, 'Subject')!);
  expect(new Set(subjects).size).toBe(subjects.length); // none made twice
  expect(standIns).toHaveLength(made);
  for (const standIn of standIns) {
    const original = originals.find((b) => fieldOf(b, 'Subject') === fieldOf(standIn, 'Subject'))!;
    expect(fieldOf(standIn, STAND_IN_HEADER)).toBe(String(original.length));
    expectOriginalHeadersOn(standIn, original);
  }
  const real = w.b.messages('INBOX').map((m) => m.body).filter((b) => fieldOf(b, STAND_IN_HEADER) === undefined);
  expect(real.map(digest)).toEqual(w.a.messages('INBOX').filter((m) => m.body.length <= LIMIT).map((m) => digest(m.body)));
}

/** The INBOX records: how many pair an original with its stand-in, how many are deferred without one. */
async function recordCounts(w: ServerPair): Promise<{ paired: number; deferredAlone: number }> {
  const state = await SyncState.open(w.statePath, { storeA: w.specs.a.displayUrl, storeB: w.specs.b.displayUrl }, { readOnly: true });
  try {
    const records = state.folder('INBOX', 'INBOX')?.records() ?? [];
    return {
      paired: records.filter((r) => r.standIn === 'b' && r.uidA !== 0 && r.uidB !== 0).length,
      deferredAlone: records.filter((r) => r.status === 'deferred' && r.uidB === 0 && r.standInGid === undefined).length,
    };
  } finally {
    await state.close();
  }
}

async function expectSettled(w: ServerPair, mode: SyncMode): Promise<void> {
  const again = await sync(w, mode);
  expect(again.failures).toEqual([]);
  expect([again.summary.copied, again.summary.expunged, again.summary.flagsUpdated, again.summary.left]).toEqual([0, 0, 0, undefined]);
  expectOneStandInEach(w);
}

/** A run without limits makes the stand-ins left, none twice, and a run after it does nothing. */
async function expectRestMadeNext(w: ServerPair, mode: SyncMode): Promise<void> {
  const next = await sync(w, mode);
  expect([next.failures, next.summary.left]).toEqual([[], undefined]);
  expectOneStandInEach(w);
  expect(await recordCounts(w)).toEqual({ paired: BIG.length, deferredAlone: 0 });
  await expectSettled(w, mode);
}

/** Counts each `op` on `server` (its hook replaced). */
function counting(server: MemoryServer, op: MemoryOperation): { calls: number[][] } {
  const seen = { calls: [] as number[][] };
  server.afterOperation = (o, args) => {
    if (o === op) seen.calls.push(args.uids ?? []);
  };
  return seen;
}

const MODES = ['copy', 'mirror', 'two-way'] as const;

describe('--placeholders: stand-ins in chunks', () => {
  it.each(MODES)('%s: several chunks, one FETCH of headers and one APPEND each: every stand-in made once, headers and sizes right', async (mode) => {
    const w = world();
    const headerFetches = counting(w.a, 'fetchHeaders');
    const appends = counting(w.b, 'append');
    const run = await sync(w, mode);
    expect(run.failures).toEqual([]);
    expect(run.summary.left).toBeUndefined();
    expect(headerFetches.calls.map((uids) => uids.length)).toEqual([2, 2, 2, 1]);
    expect(appends.calls).toHaveLength(1 + CHUNKS); // the small message's copy, then one per chunk
    expectOneStandInEach(w);
    expect(await recordCounts(w)).toEqual({ paired: BIG.length, deferredAlone: 0 });
    await expectSettled(w, mode);
  });

  it.each(MODES)('%s: --max-time spent after the first chunk: the rest is left (deferred, counted), the next run makes it, none twice', async (mode) => {
    const w = world();
    // The clock moves 60 s with each APPEND to B: with --max-time 1 ms, each run starts its first batch alone.
    let clock = 0;
    w.b.afterOperation = (op) => {
      if (op === 'append') clock += 60_000;
    };
    const first = await sync(w, mode, { maxTimeMs: 1 }, () => clock);
    expect(first.failures).toEqual([]);
    // The copy of the small message was the run's first batch: no chunk of stand-ins started.
    expect(first.summary.left).toEqual({ messages: BIG.length, bytes: 0, folders: 1, deletions: 0, folderDeletions: 0 });
    expect(standInsOn(w.b)).toEqual([]);
    expect(await recordCounts(w)).toEqual({ paired: 0, deferredAlone: BIG.length });

    const second = await sync(w, mode, { maxTimeMs: 1 }, () => clock);
    expect(second.failures).toEqual([]);
    expect(second.summary.left).toEqual({ messages: BIG.length - 2, bytes: 0, folders: 1, deletions: 0, folderDeletions: 0 });
    expect(second.verbose).toContain(`INBOX: ${BIG.length - 2} stand-ins left for the next run (--max-time)`);
    expectOneStandInEach(w, 2);
    expect(await recordCounts(w)).toEqual({ paired: 2, deferredAlone: BIG.length - 2 }); // never half-recorded

    await expectRestMadeNext(w, mode);
  });

  it.each(MODES)('%s: a signal after the first chunk starts no other; the next run makes the rest, none twice', async (mode) => {
    const w = world();
    const controller = new AbortController();
    let appends = 0;
    w.b.afterOperation = (op) => {
      // The second APPEND to B is the first chunk of stand-ins (the small message's copy comes first).
      if (op === 'append' && ++appends === 2) controller.abort('SIGINT');
    };
    const quiet: SyncObserver = {
      phase: () => undefined, started: () => undefined, folderPlanned: () => undefined, progress: () => undefined, folderFinished: () => undefined,
      wouldDo: () => undefined, warning: () => undefined, failure: () => undefined, verbose: () => undefined,
    };
    const job = { a: w.specs.a, b: w.specs.b, statePath: w.statePath, options: { ...defaultOptions, ...optionsOf(mode) } };
    const interrupted = await runSync(job, quiet, controller.signal).then(() => 'finished', (e: unknown) => String(e));
    expect(interrupted).toMatch(/SIGINT/u);
    expect(appends).toBe(2);
    expectOneStandInEach(w, 2);
    expect(await recordCounts(w)).toEqual({ paired: 2, deferredAlone: BIG.length - 2 });
    w.b.afterOperation = undefined;
    await expectRestMadeNext(w, mode);
  });

  it.each(MODES)('%s: a run killed at any write across the chunks leaves, after a rerun, one stand-in each and no stray', async (mode) => {
    for (const when of ['before', 'after'] as const) {
      for (let k = 1; ; k++) {
        const w = world();
        const wantA = w.a.messages('INBOX').map((m) => digest(m.body));
        const killed = await killedRun(w, w.statePath, when, k, () => sync(w, mode), (op) => WRITE_OPERATIONS.has(op));
        const rerun = await sync(w, mode);
        expect(rerun.failures, `${when} ${k}`).toEqual([]);
        expect(w.a.messages('INBOX').map((m) => digest(m.body)), `${when} ${k}`).toEqual(wantA);
        expectOneStandInEach(w);
        expect(await recordCounts(w), `${when} ${k}`).toEqual({ paired: BIG.length, deferredAlone: 0 });
        await expectSettled(w, mode);
        if ('finished' in killed) break;
      }
    }
  });

  // The real limits: a chunk holds at most BATCH_MAX_MESSAGES stand-ins and BATCH_MAX_BYTES of their originals' headers,
  // each counted as MAX_HEADER_BYTES at most (or its message's size, when smaller).
  it.each([
    { what: 'count', count: BATCH_MAX_MESSAGES + 1, lines: 1000, chunk: BATCH_MAX_MESSAGES },
    { what: 'bytes', count: 130, lines: 2600, chunk: Math.floor(BATCH_MAX_BYTES / MAX_HEADER_BYTES) },
  ])('the real limits bound a chunk by $what', async ({ count, lines, chunk }) => {
    knob.small = false;
    try {
      const big = Array.from({ length: count }, (_, i) => 100 + i);
      const w = world(big, lines);
      const headerFetches = counting(w.a, 'fetchHeaders');
      const run = await sync(w, 'copy');
      expect(run.failures).toEqual([]);
      expect(headerFetches.calls.map((uids) => uids.length)).toEqual([chunk, count - chunk]);
      expectOneStandInEach(w, count);
    } finally {
      knob.small = true;
    }
  });
});
