// Makes the stand-ins a plan asks for (--placeholders, StandInAction), in
// chunks bounded by count and bytes like the copy batches (inBatches: a chunk
// holds its originals' headers, up to MAX_HEADER_BYTES each, and the stand-ins
// built from them). Per chunk: the originals' envelopes and headers read from
// their side (never their bodies), each stand-in built (standIn.ts) and
// appended to the other side, its intent flushed first. A confirmed one
// replaces the original's deferred record by a record pairing the two
// (MessageRecord.standIn); a failed one leaves it deferred, listed as a
// failure, so the next run tries again; one the server stored without naming
// its UID (no UIDPLUS) stays deferred naming the stand-in's gid, no failure:
// the next run adopts it (as a copy without a UID is found by its gid). An
// original its side no longer returns is settled as a copy's (executor.ts
// settleUnreturned: gone, or a failure when still there). Before each chunk
// the signal and the --max-time budget are asked, and the signal again after
// the chunk's fetches: stopped there, the chunks not started are left as the
// record pass left them (deferred; counted in `left` when out of time, or when
// the budget cut the pair's copies) and the folder's statuses are not
// recorded, so the next run makes them. A lost connection (or one cut by a
// signal) is not caught here: as in a batch of copies, it ends the pair's work.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import { MAX_HEADER_BYTES } from '../store/readRules.js';
import type { AppendOutcome, MessageEnvelope, Store } from '../store/types.js';
import { inBatches } from './batches.js';
import type { FolderPlan, StandInAction } from './planTypes.js';
import { mayWrite, sideLabel, SIDES, uidsBySide, type Side } from './side.js';
import { buildStandIn } from './standIn.js';
import type { TimeBudget } from './timeBudget.js';
import type { MessageFailure, SyncMode, SyncObserver } from './types.js';
import type { Unreturned } from './unreturned.js';

/** What of a folder's execution (executor.ts) the stand-ins use and change. */
export interface StandInRun {
  ctx: {
    stores: { a: Store; b: Store }; mode: SyncMode; state: SyncState; observer: SyncObserver;
    /** Asked before each chunk: aborted, no further chunk starts. */
    signal?: AbortSignal | undefined;
    /** --max-time: asked before each chunk (none: no limit). */
    budget?: TimeBudget | undefined;
    /** Called after each chunk, so the engine can commit the state now and then (a safe point). */
    onBatchDone?: (() => Promise<void>) | undefined;
  };
  job: { nameA: string; nameB: string; label: string; plan: Pick<FolderPlan, 'standIns'> };
  result: { maxAppendedUid: number; maxAppendedUidA: number; standInsAppended: Record<Side, number>; appendsWithoutUid: number };
  fail: (failure: Omit<MessageFailure, 'folder'>) => void;
  /** Originals their side did not return (no envelope): settled with the copies' (executor.ts settleUnreturned). */
  unreturned: Record<Side, Unreturned[]>;
  /**
   * Set when a signal or --max-time kept stand-ins from being made: the folder's statuses are then not recorded.
   * Set already (the pair's copies cut short): no stand-in is made, those of a budget cut are counted as left.
   */
  cutShort: boolean;
}

/** Stand-ins from one side made together (one FETCH of envelopes, one of headers, one APPEND). */
interface StandInChunk {
  from: Side;
  actions: StandInAction[];
}

/**
 * The pair's stand-ins, from each side in turn, chunk by chunk. A StoreError
 * fails the chunk's stand-ins and the next chunk is tried; any other error (a
 * lost connection, one cut by a signal) goes up as a copy's does: the chunk's
 * intents are flushed, the next run adopts what arrived (by standInGid).
 */
export async function makeStandIns(run: StandInRun): Promise<void> {
  const chunks = SIDES.flatMap((from) => chunksFrom(run, from));
  for (let i = 0; i < chunks.length; i++) {
    if (!mayStartChunk(run, chunks.slice(i))) return;
    const { from, actions } = chunks[i]!;
    try {
      if ((await makeChunk(run, from, actions)) === 'signalled') return;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      for (const a of actions) run.fail({ uid: a.uid, side: sideLabel(from), reason: `no stand-in: ${err.message}` });
    }
    if (run.ctx.onBatchDone) await run.ctx.onBatchDone();
  }
}

/** The stand-ins to make from `from`, in chunks; all refused (listed) when the mode never writes to their side. */
function chunksFrom(run: StandInRun, from: Side): StandInChunk[] {
  const actions = (run.job.plan.standIns ?? []).filter((a) => a.from === from);
  if (actions.length === 0) return [];
  const to = actions[0]!.to;
  if (!mayWrite(run.ctx.mode, to)) {
    for (const a of actions) run.fail({ uid: a.uid, side: sideLabel(from), reason: `no stand-in: ${run.ctx.mode} mode never writes to ${sideLabel(to)}` });
    return [];
  }
  return inBatches(actions, headerBytesAtMost).map((chunk) => ({ from, actions: chunk }));
}

/** What a stand-in holds in memory while its chunk is made: its original's header, never more than MAX_HEADER_BYTES nor than the message. */
function headerBytesAtMost(action: StandInAction): number {
  return action.size > 0 ? Math.min(action.size, MAX_HEADER_BYTES) : MAX_HEADER_BYTES;
}

/**
 * May the next chunk start? Not after a signal; not once --max-time is spent
 * (the run's first batch always starts), nor once it cut the pair's copies
 * (`cutShort` already: stand-ins come after the copies): `rest` (this chunk
 * and the later ones) is then left for the next run, counted in `left` as
 * messages (their originals' bytes stay deferred: no body is sent for a stand-in).
 */
function mayStartChunk(run: StandInRun, rest: readonly StandInChunk[]): boolean {
  const { ctx, job } = run;
  if (ctx.signal?.aborted) {
    run.cutShort = true;
    return false;
  }
  if (!run.cutShort && ctx.budget?.mayStart() !== false) return true;
  const messages = rest.reduce((sum, chunk) => sum + chunk.actions.length, 0);
  ctx.budget?.leave(job.label, { messages });
  ctx.observer.verbose(`${job.label}: ${messages} stand-ins left for the next run (--max-time)`);
  run.cutShort = true;
  return false;
}

/**
 * One chunk: envelopes and headers read, stand-ins built, intents and deferred
 * records naming them flushed, then one APPEND. A signal during the fetches:
 * nothing is sent ('signalled', the chunk left as the rest, as copies do).
 */
async function makeChunk(run: StandInRun, from: Side, actions: readonly StandInAction[]): Promise<'made' | 'signalled'> {
  const { ctx, job } = run;
  const to = actions[0]!.to;
  const uids = actions.map((a) => a.uid);
  const envelopes = new Map<number, MessageEnvelope>((await ctx.stores[from].fetchEnvelopes(uids)).map((e) => [e.uid, e]));
  const headers = await ctx.stores[from].fetchHeaders(uids);
  if (ctx.signal?.aborted) {
    run.cutShort = true;
    return 'signalled';
  }
  const ready = actions.flatMap((action) => {
    const envelope = envelopes.get(action.uid);
    if (envelope === undefined) {
      // Expunged since it was read (or a server failing to answer): settled as a copy's is, once the pair's work is done.
      run.unreturned[from].push({ uid: action.uid, missing: 'envelope' });
      return [];
    }
    return [{ action, envelope, standIn: buildStandIn({ ...envelope, header: headers.get(action.uid) }, action.gid) }];
  });
  if (ready.length === 0) return 'made';
  for (const { action } of ready) ctx.observer.verbose(`${job.label}: making a stand-in on ${sideLabel(to)} for ${sideLabel(from)} UID ${action.uid}: ${action.why}`);
  for (const { action, standIn } of ready) {
    ctx.state.apply({ op: 'intent', nameA: job.nameA, nameB: job.nameB, side: from, uid: action.uid, gid: action.gid });
    // Deferred still, naming the stand-in's gid: a run killed after the APPEND finds the stand-in by it (planFolder adoptStandIns).
    const making = { ...uidsBySide(from, action.uid, 0), gid: action.gid, flags: [...action.sourceFlags], status: 'deferred' as const, size: action.size };
    ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: { ...making, standIn: to, standInGid: standIn.gid } });
  }
  await ctx.state.flush();
  const messages = ready.map(({ action, envelope, standIn }) => ({ body: standIn.body, flags: action.flags, internalDate: envelope.internalDate }));
  const { outcomes } = await ctx.stores[to].append(to === 'a' ? job.nameA : job.nameB, messages);
  ready.forEach(({ action, standIn }, k) => recordOutcome(run, action, standIn.gid, outcomes[k]));
  await ctx.state.flush();
  return 'made';
}

/**
 * A confirmed stand-in pairs with its original; one that failed leaves it
 * deferred, a failure; one stored without its UID named (no UIDPLUS) leaves
 * it deferred naming the stand-in's gid, no failure: the next run reads the
 * folder (its status is recorded from before the APPEND) and adopts it.
 */
function recordOutcome(run: StandInRun, action: StandInAction, standInGid: string, outcome: AppendOutcome | undefined): void {
  const { ctx, job, result } = run;
  if (outcome?.ok !== true) {
    const reason = outcome === undefined ? 'no result from server' : outcome.error.message;
    run.fail({ uid: action.uid, side: sideLabel(action.from), reason: `stand-in on ${sideLabel(action.to)}: ${reason}` });
    return;
  }
  result.standInsAppended[action.to]++;
  if (outcome.uid === undefined) {
    result.appendsWithoutUid++;
    ctx.observer.verbose(`${job.label}: ${sideLabel(action.to)} named no UID for the stand-in of ${sideLabel(action.from)} UID ${action.uid} (no UIDPLUS): the next run pairs it by its gid`);
    return;
  }
  if (action.to === 'b') result.maxAppendedUid = Math.max(result.maxAppendedUid, outcome.uid);
  else result.maxAppendedUidA = Math.max(result.maxAppendedUidA, outcome.uid);
  const record = {
    ...uidsBySide(action.from, action.uid, outcome.uid), gid: action.gid, flags: [...action.sourceFlags], standIn: action.to, standInGid, size: action.size,
  };
  ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record });
}
