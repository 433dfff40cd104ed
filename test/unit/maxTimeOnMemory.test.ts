// Issue 9 §1 on the real engine with memory stores: the folder order of the act
// phase, newest mail first within a folder, and --max-time (a budget of 0
// starts only the run's first batch; a fake clock for a budget that lasts a
// few batches). Every run ends clean and saves its state: the next runs finish
// the work, every body exactly once.

import { afterEach, describe, expect, it } from 'vitest';
import { MemoryServer, type MemoryOperation } from '../../src/store/memory/MemoryServer.js';
import { runSync } from '../../src/sync/engine.js';
import type { SyncObserver, SyncOptions, SyncSummary } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { serverPair, type ServerPair } from '../support/memoryWorld.js';
import { defaultOptions, syncSpecs, type EngineRun } from '../support/sync.js';

afterEach(forgetMemorySpecs);

type World = ServerPair;

const day = (n: number): Date => new Date(Date.UTC(2023, 0, 1) + n * 86_400_000);

const world = serverPair;

/** `count` messages numbered from `first`, dated by `dayOf` (UID order is not date order). */
function seed(server: MemoryServer, folder: string, first: number, count: number, dayOf: (i: number) => number): void {
  if (!server.hasFolder(folder)) server.createFolder(folder);
  server.append(folder, Array.from({ length: count }, (_, i) => ({ raw: conformanceMessage(first + i), internalDate: day(dayOf(i)) })));
}

/** One line per message (body digest, flags, date), sorted: a loss or a duplicate shows. */
function contents(server: MemoryServer, folder: string): string[] {
  if (!server.hasFolder(folder)) return [];
  return server.messages(folder).map((m) => `${digest(m.body)} ${m.flags.join(',')} ${m.internalDate.toISOString()}`).sort();
}

function sync(w: World, options: Partial<SyncOptions> = {}, now?: () => number): Promise<EngineRun> {
  return syncSpecs(w.specs.a, w.specs.b, w.statePath, { connections: 1, ...options }, now);
}

const ACTING = new Set<MemoryOperation>(['fetchBodies', 'expungeMessages', 'moveMessages', 'copyMessages']);

/**
 * A clock only acting moves (60 s a body fetch, a deletion, a server-side move
 * or copy): reading and planning take no time, so with --max-time 1 ms every
 * pair is read and the act phase stops after its first batch.
 */
function actingClock(w: World): () => number {
  return clockMovedBy(ACTING, [w.a, w.b]);
}

/** A clock 60 s later after each of `ops` on `servers`. */
function clockMovedBy(ops: ReadonlySet<MemoryOperation>, servers: readonly MemoryServer[]): () => number {
  let clock = 0;
  for (const server of servers) {
    server.afterOperation = (op) => {
      if (ops.has(op)) clock += 60_000;
    };
  }
  return () => clock;
}

/** Runs with `options` until one leaves nothing (at most `limit` runs); returns the summaries. */
async function untilDone(w: World, options: Partial<SyncOptions>, limit: number): Promise<SyncSummary[]> {
  const summaries: SyncSummary[] = [];
  for (let i = 0; i < limit; i++) {
    const run = await sync(w, options);
    expect(run.failures).toEqual([]);
    summaries.push(run.summary);
    if (run.summary.left === undefined) return summaries;
  }
  throw new Error(`still work left after ${limit} runs`);
}

const FOLDERS = ['INBOX', 'Lists/dev', 'Sent'];

/** A: INBOX with 450 messages (three batches), Lists/dev with 30, a \Sent folder with 10; dates not in UID order. */
function bigWorld(): World {
  const a = new MemoryServer({ specialUse: { Sent: '\\Sent' } });
  seed(a, 'INBOX', 1, 450, (i) => (i * 37) % 450);
  seed(a, 'Lists/dev', 1000, 30, (i) => 500 + i);
  seed(a, 'Sent', 2000, 10, (i) => 600 + i);
  return world(a);
}

describe('--max-time on the engine', () => {
  it('a budget of 0 reads the first pair and copies its first batch only (the newest 200 of INBOX), says what is left, and later runs finish: every body once', async () => {
    const w = bigWorld();
    const first = await sync(w, { maxTimeMs: 0 });
    expect(first.failures).toEqual([]);
    expect(first.summary.copied).toBe(200);
    const sizeOf = (folder: string): number => w.a.messages(folder).reduce((sum, m) => sum + m.body.length, 0);
    const copiedBytes = w.b.messages('INBOX').reduce((sum, m) => sum + m.body.length, 0);
    // Lists/dev and Sent were not read (the budget was spent): left as folders, their messages unknown yet.
    expect(first.summary.left).toEqual({ messages: 250, bytes: sizeOf('INBOX') - copiedBytes, folders: 3, deletions: 0, folderDeletions: 0 });
    // Newest first: B's INBOX holds A's 200 newest, received newest first (UID order is date order, descending).
    const newestOnA = w.a.messages('INBOX').map((m) => m.internalDate.getTime()).sort((x, y) => y - x).slice(0, 200);
    expect(w.b.messages('INBOX').map((m) => m.internalDate.getTime())).toEqual(newestOnA);

    const rest = await untilDone(w, { maxTimeMs: 0 }, 10);
    // One batch a run: INBOX's other two, then Sent (\Sent comes before the rest), then Lists/dev.
    expect(rest.map((s) => s.copied)).toEqual([200, 50, 10, 30]);
    for (const folder of FOLDERS) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
    const again = await sync(w);
    expect([again.summary.copied, again.summary.left, again.failures]).toEqual([0, undefined, []]);
  });

  it('a budget is asked before each batch’s fetch: a fake clock 60 s later per fetch and 90 s allow two batches', async () => {
    const w = bigWorld();
    let clock = 0;
    w.a.afterOperation = (op) => {
      if (op === 'fetchBodies') clock += 60_000;
    };
    const observer = quietObserver();
    const summary = await runSync({ a: w.specs.a, b: w.specs.b, statePath: w.statePath, options: { ...defaultOptions, connections: 1, maxTimeMs: 90_000 } }, observer, undefined, () => clock);
    expect(summary.failed).toEqual([]);
    expect(summary.copied).toBe(400);
    expect(summary.left).toMatchObject({ messages: 90, folders: 3 });
    w.a.afterOperation = undefined;
    await untilDone(w, {}, 1);
    for (const folder of FOLDERS) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
  });

  it('without --max-time nothing is left and the summary has no `left`', async () => {
    const w = bigWorld();
    const run = await sync(w);
    expect([run.summary.copied, run.summary.left]).toEqual([490, undefined]);
  });

  it('mirror: out of time before the deletions, they are left for the next run (kept on B, counted), then done', async () => {
    const w = bigWorld();
    await sync(w, { mode: 'mirror' });
    seed(w.a, 'INBOX', 3000, 1, () => 900);
    w.a.expunge('Lists/dev', w.a.messages('Lists/dev').slice(0, 3).map((m) => m.uid));
    const cut = await sync(w, { mode: 'mirror', maxTimeMs: 1 }, actingClock(w));
    expect(cut.failures).toEqual([]);
    expect([cut.summary.copied, cut.summary.expunged]).toEqual([1, 0]);
    expect(cut.summary.left).toEqual({ messages: 0, bytes: 0, folders: 1, deletions: 3, folderDeletions: 0 });
    expect(w.b.messages('Lists/dev')).toHaveLength(30);
    const done = await sync(w, { mode: 'mirror' });
    expect([done.summary.copied, done.summary.expunged, done.summary.left, done.failures]).toEqual([0, 3, undefined, []]);
    for (const folder of FOLDERS) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
  });

  it('mirror: server-side moves are batches too (one group per source folder); one left over is done next run, no body sent', async () => {
    const w = bigWorld();
    await sync(w, { mode: 'mirror' });
    const moveOnA = (from: string, n: number): void => {
      const uids = w.a.messages(from).slice(0, n).map((m) => m.uid);
      w.a.copy(from, uids, 'Lists/dev');
      w.a.expunge(from, uids);
    };
    moveOnA('INBOX', 4);
    moveOnA('Sent', 3);
    const cut = await sync(w, { mode: 'mirror', maxTimeMs: 1 }, actingClock(w));
    expect(cut.failures).toEqual([]);
    expect([cut.summary.copied, cut.summary.bytes]).toEqual([0, 0]);
    // The first group (4 or 3 moves) went; the other is left, with no bytes to send.
    expect([[4, 3], [3, 4]]).toContainEqual([cut.summary.transferred, cut.summary.left?.messages]);
    expect(cut.summary.left).toMatchObject({ bytes: 0, folders: 1 });
    const done = await sync(w, { mode: 'mirror' });
    expect([done.summary.copied, done.summary.transferred, done.summary.left, done.failures]).toEqual([0, 7 - cut.summary.transferred, undefined, []]);
    for (const folder of FOLDERS) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
  });

  it('two-way: a budget of 0 a run, both directions, until both sides hold the same mail', async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 7000n });
    seed(a, 'INBOX', 1, 250, (i) => i);
    seed(b, 'INBOX', 5000, 20, (i) => 1000 + i);
    seed(b, 'Notes', 6000, 5, (i) => i);
    const w = world(a, b);
    const runs = await untilDone(w, { mode: 'two-way', maxTimeMs: 0 }, 10);
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.reduce((n, s) => n + s.copied, 0)).toBe(275);
    for (const folder of ['INBOX', 'Notes']) expect(contents(w.a, folder)).toEqual(contents(w.b, folder));
    expect(contents(w.a, 'INBOX')).toHaveLength(270);
  });
});

describe('one copy queue across folders (issue 9 §1)', () => {
  /** Alpha: 400 messages, 200 of the newest days (1000…) and 200 of the oldest (0…); Beta: 200 from days 500…; both in the last tier. */
  function interleavedWorld(): World {
    const a = new MemoryServer();
    seed(a, 'Alpha', 1, 400, (i) => (i % 2 === 0 ? 1000 + i / 2 : (i - 1) / 2));
    seed(a, 'Beta', 1000, 200, (i) => 500 + i);
    return world(a);
  }

  /** The `n` newest messages of A's Alpha and Beta, as "folder digest", sorted. */
  const newestOnA = (w: World, n: number): string[] =>
    ['Alpha', 'Beta'].flatMap((f) => w.a.messages(f).map((m) => ({ line: `${f} ${digest(m.body)}`, at: m.internalDate.getTime() })))
      .sort((x, y) => y.at - x.at).slice(0, n).map((m) => m.line).sort();
  const onB = (w: World): string[] => ['Alpha', 'Beta'].flatMap((f) => (w.b.hasFolder(f) ? w.b.messages(f).map((m) => `${f} ${digest(m.body)}`) : [])).sort();

  it('a budget for two batches copies the 400 newest of the account (Alpha’s newest, then Beta’s, before Alpha’s oldest); the next run the rest, each once', async () => {
    const w = interleavedWorld();
    const cut = await sync(w, { maxTimeMs: 90_000 }, clockMovedBy(new Set(['fetchBodies']), [w.a]));
    expect(cut.failures).toEqual([]);
    expect(cut.summary.copied).toBe(400);
    expect(cut.summary.left).toMatchObject({ messages: 200, folders: 1 });
    expect(onB(w)).toEqual(newestOnA(w, 400));
    w.a.afterOperation = undefined;
    const done = await sync(w);
    expect([done.summary.copied, done.summary.left, done.failures]).toEqual([200, undefined, []]);
    for (const folder of ['Alpha', 'Beta']) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
  });

  it('once the budget is spent, the queue’s later turns open no folder: their batches are only left for the next run', async () => {
    const w = interleavedWorld();
    const clock = clockMovedBy(new Set(['fetchBodies']), [w.a]);
    const moveClock = w.a.afterOperation;
    const seen: MemoryOperation[] = [];
    w.a.afterOperation = (op, args) => {
      seen.push(op);
      moveClock?.(op, args);
    };
    const cut = await sync(w, { maxTimeMs: 90_000 }, clock);
    w.a.afterOperation = undefined;
    expect([cut.failures, cut.summary.copied]).toEqual([[], 400]);
    // Two batches fetched (the budget spent by then); the later turns (Alpha’s oldest) are left without opening a folder.
    const afterLastBatch = seen.slice(seen.lastIndexOf('fetchBodies') + 1);
    expect(afterLastBatch.filter((op) => op === 'openFolder')).toEqual([]);
    const done = await sync(w);
    expect([done.summary.copied, done.summary.left, done.failures]).toEqual([200, undefined, []]);
  });

  it('with three connections, the queue’s pairs are copied at once, each pair’s batches one at a time: every body once', async () => {
    const w = interleavedWorld();
    seed(w.a, 'INBOX', 3000, 450, (i) => (i * 37) % 450);
    const run = await sync(w, { connections: 3 });
    expect([run.summary.copied, run.summary.left, run.failures]).toEqual([1050, undefined, []]);
    for (const folder of ['INBOX', 'Alpha', 'Beta']) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
    const again = await sync(w, { connections: 3 });
    expect([again.summary.copied, again.summary.folders - again.summary.foldersSkipped]).toEqual([0, 0]);
  });
});

describe('reads under --max-time', () => {
  it('copy mode: a pair whose read has not started when the budget is spent is not read: left as a folder, nothing of it recorded; the next run reads and copies it', async () => {
    const w = bigWorld();
    // INBOX is read (the first read always starts), Sent at 60 s, Lists/dev at 120 s is not.
    const cut = await sync(w, { maxTimeMs: 90_000 }, clockMovedBy(new Set(['readFolder']), [w.a]));
    expect(cut.failures).toEqual([]);
    expect(cut.verbose).toContain('Lists/dev: not read, left for the next run (--max-time)');
    expect(contents(w.b, 'Lists/dev')).toEqual([]);
    // The act phase's first batch always starts: the newest 200 of INBOX; the rest of INBOX and Sent are left, and Lists/dev unread.
    expect(cut.summary.copied).toBe(200);
    expect(cut.summary.left).toMatchObject({ messages: 260, folders: 3 });
    w.a.afterOperation = undefined;
    const done = await sync(w);
    expect([done.summary.copied, done.summary.left, done.failures]).toEqual([290, undefined, []]);
    for (const folder of FOLDERS) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
  });

  it('a run with only deletions to make and a budget of 0 deletes (its first act) or says what is left, and later runs finish', async () => {
    const w = bigWorld();
    await sync(w, { mode: 'mirror' });
    // Once more, so that every pair is unchanged (the first run's own appends moved B's statuses): only Lists/dev is read next.
    await sync(w, { mode: 'mirror' });
    w.a.expunge('Lists/dev', w.a.messages('Lists/dev').slice(0, 3).map((m) => m.uid));
    const one = await sync(w, { mode: 'mirror', maxTimeMs: 0 });
    expect(one.failures).toEqual([]);
    expect([one.summary.expunged, one.summary.left]).toEqual([3, undefined]);
    expect(contents(w.b, 'Lists/dev')).toEqual(contents(w.a, 'Lists/dev'));

    // Deletions in two folders, new mail in the second: mirror reads every changed folder whatever the budget (a run
    // that left one unread could delete nothing, and would leave the same one unread every time), so budget-0 runs converge.
    w.a.expunge('Lists/dev', w.a.messages('Lists/dev').slice(0, 2).map((m) => m.uid));
    w.a.expunge('Sent', w.a.messages('Sent').slice(0, 2).map((m) => m.uid));
    seed(w.a, 'Lists/dev', 9000, 1, () => 2000);
    const runs = await untilDone(w, { mode: 'mirror', maxTimeMs: 0 }, 5);
    expect(runs.reduce((n, r) => n + r.expunged, 0)).toBe(4);
    expect(runs.reduce((n, r) => n + r.copied, 0)).toBe(1);
    for (const folder of FOLDERS) expect(contents(w.b, folder)).toEqual(contents(w.a, folder));
  });
});

describe('the act phase’s folder order', () => {
  /** INBOX, \Sent, \Drafts and two others: Alpha with more (older) mail, Zeta with the newest. Five messages each, Alpha six. */
  function orderWorld(): World {
    const a = new MemoryServer({ specialUse: { Sent: '\\Sent', Drafts: '\\Drafts' } });
    seed(a, 'INBOX', 1, 5, (i) => i);
    seed(a, 'Sent', 100, 5, (i) => i);
    seed(a, 'Drafts', 200, 5, (i) => i);
    seed(a, 'Alpha', 300, 6, (i) => 10 + i);
    seed(a, 'Zeta', 400, 5, (i) => 50 + i);
    return world(a);
  }

  /** The folder each run (every pair read, one batch copied: here one folder) filled on B. */
  async function filledInTurn(w: World, options: Partial<SyncOptions>): Promise<string[]> {
    const filled: string[] = [];
    const names = w.a.folderNames();
    const now = actingClock(w);
    for (let i = 0; i < names.length; i++) {
      const before = new Map(names.map((n) => [n, contents(w.b, n).length]));
      const run = await sync(w, { maxTimeMs: 1, ...options }, now);
      expect(run.failures).toEqual([]);
      filled.push(...names.filter((n) => contents(w.b, n).length !== before.get(n)));
    }
    for (const n of names) expect(contents(w.b, n)).toEqual(contents(w.a, n));
    return filled;
  }

  it('INBOX, Sent, Drafts, then the folder with the newest mail to copy', async () => {
    expect(await filledInTurn(orderWorld(), {})).toEqual(['INBOX', 'Sent', 'Drafts', 'Zeta', 'Alpha']);
  });

  it('--priority globs first, in the order given', async () => {
    expect(await filledInTurn(orderWorld(), { priority: ['Alpha', 'Dra*'] })).toEqual(['Alpha', 'Drafts', 'INBOX', 'Sent', 'Zeta']);
  });
});

function quietObserver(): SyncObserver {
  const none = (): void => undefined;
  return { phase: none, started: none, folderPlanned: none, progress: none, folderFinished: none, wouldDo: none, warning: none, failure: none, verbose: none };
}
