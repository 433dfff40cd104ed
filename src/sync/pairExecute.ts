// The act phase of one folder pair, in passes the engine runs over every pair
// in turn: the record pass (what is true now, no I/O but the flush), then
// (after the account's server-side transfers) appends and flag changes, then
// deletions and statuses (a message that moved between folders is in its new
// one before it leaves the old one). Each pass that acts opens again the
// folders it acts on (refused if their UIDVALIDITY changed since they were
// read) and hands the plan to the executor; in a dry run the plan is
// described instead.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import type { ByteBudget } from './byteBudget.js';
import {
  copyBatches, deleteAndFinish, finishCopies, leftOutOf, prepareCopies, recordPlanned,
  type FolderActing, type FolderExecution, type ReadOutcome,
} from './executor.js';
import type { CopyBatch } from './copyQueue.js';
import { describeFlagDelta } from './flags.js';
import { expectedStatusOfB, type ExpectedStatus } from './ownWrites.js';
import { ownWritesToCheck, recordOwnWritesTwoWay } from './twoWayOwnWrites.js';
import { mayWrite, sideLabel, SIDES, type Side } from './side.js';
import type { PairPlan } from './planAccount.js';
import type { CopyAction, TransferAction } from './planTypes.js';
import type { TimeBudget } from './timeBudget.js';
import type { FolderResult, SideWork, SyncObserver, SyncOptions, Withholding } from './types.js';

export interface PairExecuteContext {
  state: SyncState;
  options: SyncOptions;
  observer: SyncObserver;
  signal?: AbortSignal;
  onBatchDone?: () => Promise<void>;
  /** Body bytes in flight, shared by every connection of the run (see ByteBudget). */
  bodyBudget?: ByteBudget;
  /** Runs a wait for the body budget outside the periodic commits (see ExecutionContext.waitingOutside). */
  waitingOutside?: <T>(wait: () => Promise<T>) => Promise<T>;
  /** --max-time (see timeBudget.ts). */
  budget?: TimeBudget;
}

export interface PairResult extends FolderResult {
  /** A messages already on B (left alone). */
  alreadyThere: number;
  /** Mirror: deletions not done because the folder's guard refused them. */
  expungesWithheld: number;
  /** Mirror: the guard's withholding in this folder, with its reason. */
  withheld?: Withholding;
  /** Mirror: deletions withheld because A lost those messages in a rollback (held records; --force). */
  held?: Withholding;
  /** Copy mode: what B's status must be if only this run wrote to it (see expectedStatusOfB). */
  expectedB?: ExpectedStatus;
  /** Sides found restored from an older backup (read again in full, nothing deleted because of it). */
  rollbacks: ('a' | 'b')[];
}

/** A pair between its passes (record; appends and flags; deletions and statuses). */
export interface PairActing {
  label: string;
  pair: PairPlan;
  /** Undefined in a dry run (nothing was done). */
  acting?: FolderActing;
  /** Server-side transfers into this pair (for its counts and its expected status). */
  transfersIn: readonly TransferAction[];
  /** Moves out of this pair. */
  movedOut: readonly TransferAction[];
}

/**
 * The record pass on a pair (no I/O but the state's flush): what is true now
 * (see recordPlanned), given the account's transfers. In a dry run, nothing.
 */
export async function recordPass(ctx: PairExecuteContext, pair: PairPlan, transfers: readonly TransferAction[]): Promise<PairActing> {
  const label = pair.reading.job.label;
  const into = transfers.filter((t) => t.target.label === label);
  const out = transfers.filter((t) => t.kind === 'move' && t.source.label === label);
  const counts = { transfersIn: into, movedOut: out };
  if (ctx.options.dryRun) return { label, pair, ...counts };
  const job: FolderExecution = { ...execution(pair), transfersIn: into.map((t) => t.copy), movedOut: out.map((t) => t.source.record) };
  const { state, observer, signal, onBatchDone, bodyBudget, waitingOutside, budget } = ctx;
  return { label, pair, ...counts, acting: await recordPlanned({ mode: ctx.options.mode, state, observer, signal, onBatchDone, bodyBudget, waitingOutside, budget }, job) };
}

/**
 * After the transfers, before the account's copy queue: a pair's copies ready
 * to be made, by source side (none in a dry run), said with -v.
 */
export async function prepareCopyPass(ctx: PairExecuteContext, { pair, acting }: PairActing): Promise<Record<Side, CopyAction[]>> {
  if (acting === undefined) return { a: [], b: [] };
  explainFlagChanges(ctx.observer, pair, 'setting');
  explainCopies(ctx.observer, pair, 'copying');
  explainDeferred((text) => ctx.observer.verbose(text), pair, 'holding back');
  explainStandInsLeft((text) => ctx.observer.verbose(text), pair, 'leaving');
  return prepareCopies(acting);
}

/** One turn of the copy queue: some of a pair's batches, its source folders opened again (a no-op when they are open). */
export async function copyTurn(ctx: PairExecuteContext, { pair, acting }: PairActing, stores: { a: Store; b: Store }, batches: readonly CopyBatch[]): Promise<void> {
  if (acting === undefined || batches.length === 0) return;
  // Out of time, the batches are only left for the next run (no I/O): no folder is opened for them.
  if (ctx.budget?.wouldStart() !== false) await openWhereActing(ctx, pair, stores, (side) => batches.some((b) => b.from === side));
  await copyBatches(acting, stores, batches);
}

/**
 * Once the queue made all of a pair's copies: open again the folders it
 * changes flags in or checks what their read left out, and finish its copies
 * (see finishCopies). In a dry run, describe the plan instead.
 */
export async function finishCopyPass(ctx: PairExecuteContext, pairActing: PairActing, stores: { a: Store; b: Store }): Promise<PairActing> {
  const { pair, acting } = pairActing;
  const { plan, reading } = pair;
  if (acting === undefined) {
    describePlan(ctx.observer, pair);
    return pairActing;
  }
  await openWhereActing(ctx, pair, stores, (side) =>
    plan.flagChanges.some((c) => c.side === side) || leftOutOf(reading.reads[side]).length > 0 || acting.run.unreturned[side].length > 0 ||
      (plan.standIns ?? []).some((a) => a.from === side),
  );
  return { ...pairActing, acting: await finishCopies(acting, stores) };
}

/**
 * The second pass on a pair, once every pair had its first: deletions (the
 * folder opened again where it has any), statuses, and the pair's result.
 * `unconfirmed`: the global ids whose copy the first pass did not confirm, anywhere.
 */
export async function deletePass(
  ctx: PairExecuteContext,
  { pair, acting, transfersIn, movedOut }: PairActing,
  stores: { a: Store; b: Store },
  unconfirmed: ReadonlySet<string>,
): Promise<PairResult> {
  const { plan, reading, work } = pair;
  const { job } = reading;
  const deferred = plan.deferred && { deferred: plan.deferred.a.messages + plan.deferred.b.messages, deferredBytes: plan.deferred.a.bytes + plan.deferred.b.bytes };
  const common = {
    // A message B received by a server-side transfer was not there already either, nor one held back.
    alreadyThere: reading.messagesOnA - plan.appends.filter((a) => a.from === 'a').length - transfersIn.filter((t) => t.copy.from === 'a').length -
      (plan.deferred?.a.messages ?? 0),
    ...deferred,
    expungesWithheld: plan.expungesWithheld, rollbacks: reading.rollbacks,
    ...(pair.withheld && { withheld: pair.withheld }), ...(pair.held && { held: pair.held }),
  };
  if (acting === undefined) {
    return {
      folder: job.label, skipped: false, copied: work.appends, bytes: work.appendBytes, transferred: transfersIn.length,
      flagsUpdated: work.flagUpdates, expunged: work.expunges, failed: 0, bySide: plannedBySide(pair), ...common,
      ...(plan.reassignments && { reassigned: plan.reassignments.map((r) => ({ side: r.side === 'a' ? 'A' as const : 'B' as const, uid: r.uid })) }),
    };
  }
  // A folder that cannot be opened again fails its deletions alone: what its first pass did still counts.
  let cannotDelete: string | undefined;
  try {
    await openWhereActing(ctx, pair, stores, (side) => plan.expunges.some((e) => e.side === side) || reassigns(plan, side));
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    cannotDelete = err.message;
  }
  explainExpunges(ctx.observer, pair);
  const result = await deleteAndFinish(acting, stores, unconfirmed, cannotDelete);
  const ownWrites = ownWritesToCheck(ctx.options, { ...job, reads: reading.reads }, result, transfersIn.length + movedOut.length);
  if (ownWrites.length > 0 && !ctx.signal?.aborted) await recordOwnWritesTwoWay(stores, ctx.state, job, ownWrites, ctx.observer);
  // A folder server-side transfers wrote to or took from is simply read again next run.
  const expectedB = transfersIn.length + movedOut.length === 0 ? expectedStatusOfB(ctx.options, job, reading.reads.b, result) : undefined;
  return {
    folder: result.folder, skipped: result.skipped, copied: result.copied, bytes: result.bytes, transferred: result.transferred,
    flagsUpdated: result.flagsUpdated, expunged: result.expunged, failed: result.failed, bySide: result.bySide,
    ...(result.reassigned && { reassigned: result.reassigned }),
    ...common, ...(expectedB && { expectedB }),
  };
}

function reassigns(plan: PairPlan['plan'], side: Side): boolean {
  return plan.reassignments?.some((r) => r.side === side) === true;
}

/**
 * The pair's folders, as they were read (the UIDs of the read must still hold), on the sides
 * `acts` names: read-only on a side the mode does not write (the executor refuses any write there).
 */
async function openWhereActing(ctx: PairExecuteContext, pair: PairPlan, stores: { a: Store; b: Store }, acts: (side: Side) => boolean): Promise<void> {
  const { job, reads } = pair.reading;
  for (const side of SIDES) {
    if (!acts(side)) continue;
    const name = side === 'a' ? job.nameA : job.nameB;
    await stores[side].openFolder(name, { readOnly: !mayWrite(ctx.options.mode, side), uidValidity: reads[side].status.uidValidity });
  }
}

function execution({ plan, reading }: PairPlan): FolderExecution {
  const { job } = reading;
  return {
    nameA: job.nameA, nameB: job.nameB, label: job.label, plan, recordsBefore: reading.records,
    ...(reading.recordsInState !== reading.records && { recordsInState: reading.recordsInState }),
    envelopes: reading.envelopes, reads: reading.reads,
  };
}

/** A dry run's counts per side, from the plan (what a real run would do). */
function plannedBySide({ plan, reading }: PairPlan): Record<Side, SideWork> {
  const onSide = (side: Side): SideWork => {
    const copies = plan.appends.filter((a) => a.to === side);
    return {
      copied: copies.length,
      bytes: copies.reduce((sum, a) => sum + (reading.envelopes[a.from].get(a.uid)?.size ?? a.size), 0),
      flagsUpdated: plan.flagChanges.filter((c) => c.side === side).length,
      expunged: plan.expunges.filter((e) => e.side === side).length,
    };
  };
  return { a: onSide('a'), b: onSide('b') };
}

/** -v: each copy to `to` and why (a real run says it before acting, a dry run instead). */
function explainCopies(observer: SyncObserver, { plan, reading }: PairPlan, verb: string, to?: Side): void {
  for (const a of plan.appends) {
    if (to !== undefined && a.to !== to) continue;
    const size = reading.envelopes[a.from].get(a.uid)?.size ?? a.size;
    observer.verbose(`${reading.job.label}: ${verb} ${sideLabel(a.from)} UID ${a.uid} (${size} bytes) to ${sideLabel(a.to)}: ${a.why}`);
  }
}

/** What the message filter held back in the pair, per side (deferred: copied by a run whose filter lets them through). */
function explainDeferred(say: (text: string) => void, { plan, reading }: PairPlan, verb: string): void {
  for (const side of SIDES) {
    const held = plan.deferred?.[side];
    if (held === undefined || held.messages === 0) continue;
    say(`${reading.job.label}: ${verb} ${held.messages} messages (${held.bytes} bytes) of ${sideLabel(side)}: the message filter defers them`);
  }
}

/** The stand-ins the plan leaves alone, never copied as mail (FolderPlan.standInsLeft), each and why. */
function explainStandInsLeft(say: (text: string) => void, { plan, reading }: PairPlan, verb: string): void {
  for (const l of plan.standInsLeft ?? []) say(`${reading.job.label}: ${verb} ${sideLabel(l.side)} UID ${l.uid} alone: ${l.why}`);
}

/** -v: each flag change on `side` and why. */
function explainFlagChanges(observer: SyncObserver, { plan, reading }: PairPlan, verb: string, side?: Side): void {
  for (const c of plan.flagChanges) {
    if (side !== undefined && c.side !== side) continue;
    observer.verbose(`${reading.job.label}: ${verb} ${sideLabel(c.side)} UID ${c.uid} ${describeFlagDelta(c)}: ${c.why}`);
  }
}

/** -v: each deletion and why. */
function explainExpunges(observer: SyncObserver, { plan, reading }: PairPlan): void {
  for (const e of plan.expunges) {
    observer.verbose(`${reading.job.label}: deleting ${sideLabel(e.side)} UID ${e.uid} (global id ${e.record.gid}): ${e.why}`);
  }
}

/** Dry run: the server-side moves and copies (the account's, before any pair's appends). */
export function describeTransfers(observer: SyncObserver, transfers: readonly TransferAction[]): void {
  for (const t of transfers) {
    const side = sideLabel(t.side);
    observer.wouldDo(`${t.target.label}: ${t.kind} ${side} UID ${t.source.uid} from ${side} ${t.side === 'a' ? t.source.nameA : t.source.nameB} (global id ${t.copy.gid}, no body sent)`);
    observer.verbose(`${t.target.label}: would ${t.kind} ${side} UID ${t.source.uid} from ${t.source.label}: ${t.why}`);
  }
}

function describePlan(observer: SyncObserver, pair: PairPlan): void {
  const { plan, reading } = pair;
  const { label, nameA, nameB } = reading.job;
  const nameOn = (side: Side): string => (side === 'a' ? nameA : nameB);
  const bySide = plannedBySide(pair);
  for (const to of SIDES) {
    const { copied, bytes } = bySide[to];
    if (copied === 0) continue;
    observer.wouldDo(`${label}: copy ${copied} messages (${bytes} bytes) to ${sideLabel(to)} ${nameOn(to)}`);
    explainCopies(observer, pair, 'would copy', to);
  }
  explainDeferred((text) => observer.wouldDo(text), pair, 'would hold back');
  explainStandInsLeft((text) => observer.wouldDo(text), pair, 'would leave');
  for (const a of plan.standIns ?? []) {
    observer.wouldDo(`${label}: make a stand-in on ${sideLabel(a.to)} ${nameOn(a.to)} for ${sideLabel(a.from)} UID ${a.uid} (global id ${a.gid}): ${a.why}`);
  }
  for (const side of SIDES) {
    if (bySide[side].flagsUpdated === 0) continue;
    observer.wouldDo(`${label}: update flags of ${bySide[side].flagsUpdated} messages on ${sideLabel(side)}`);
    explainFlagChanges(observer, pair, 'would set', side);
  }
  for (const e of plan.expunges) {
    const side = sideLabel(e.side);
    observer.wouldDo(`${label}: delete ${side} UID ${e.uid} (global id ${e.record.gid}) from ${side} ${nameOn(e.side)}: ${e.why}`);
  }
  for (const r of plan.reassignments ?? []) {
    observer.wouldDo(`${label}: give ${sideLabel(r.side)} UID ${r.uid} (global id ${r.gid}) a new UID in ${sideLabel(r.side)} ${nameOn(r.side)} (${r.how}): ${r.why}`);
  }
  describeUnreturned(observer, label, [
    ...plan.appends.filter((a) => !reading.envelopes[a.from].has(a.uid)).map((a) => ({ side: sideLabel(a.from), uid: a.uid, missing: 'envelope' })),
    ...unreturnedIn(reading.reads.a, 'A'),
    ...unreturnedIn(reading.reads.b, 'B'),
  ]);
}

interface UnreturnedMessage {
  side: string;
  uid: number;
  missing: string;
}

function unreturnedIn(read: ReadOutcome, side: string): UnreturnedMessage[] {
  return leftOutOf(read).map(({ uid, missing }) => ({ side, uid, missing }));
}

/** Dry run: messages a real run would check and, if still there, list as failed (the server did not return them). */
function describeUnreturned(observer: SyncObserver, label: string, messages: UnreturnedMessage[]): void {
  for (const { side, uid, missing } of messages) {
    observer.warning(`${label}: ${side} returned no ${missing} for UID ${uid}; a real run lists it as failed if it still exists`);
  }
}
