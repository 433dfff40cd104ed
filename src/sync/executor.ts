// Carries out one folder's plan on the two stores and records every result in
// the state as it happens. It decides nothing: what to do comes from the plan.
//
// Order matters for crash safety: a state op is applied only after the server
// confirmed the change it describes, and an append's intent is flushed to the
// journal before the APPEND is sent. Folder statuses are recorded last, so a
// run killed anywhere re-reads the folder from the old base next time and
// finds (by global id) whatever it appended without recording. A message the
// state knew is never dropped before its new copy is confirmed: it stays as an
// A-only record, since no later read from the old base would show it again.

import type { MessageRecord, StateOp } from '../state/types.js';
import type { SyncState } from '../state/SyncState.js';
import type { AppendMessage, AppendResult, FetchedBodies, FolderRead, FolderStatus, Store } from '../store/types.js';
import type { CopyAction, ExpungeAction, FlagChange, FolderPlan } from './planTypes.js';
import type { FolderResult, MessageFailure, SideWork, SyncMode, SyncObserver } from './types.js';
import { BODY_BYTES_IN_FLIGHT } from './batches.js';
import { ByteBudget, type BudgetHold } from './byteBudget.js';
import type { CopyEnvelopes } from './copyEnvelopes.js';
import { pairBatches, type CopyBatch } from './copyQueue.js';
import { describeFlagDelta } from './flags.js';
import { diffRecords, recordKey } from './recordDiff.js';
import { mayWrite, sideLabel, SIDES, uidOn, uidsBySide, type Side } from './side.js';
import type { TimeBudget } from './timeBudget.js';
import { makeStandIns } from './standInExecute.js';
import { reassignUids } from './uidReassign.js';
import type { Unreturned } from './unreturned.js';

export interface FolderExecution {
  nameA: string;
  nameB: string;
  /** Display name for messages: A's name, with B's when it differs. */
  label: string;
  plan: FolderPlan;
  /** The records the plan was made from (to revert a record when its action fails). */
  recordsBefore: readonly MessageRecord[];
  /**
   * The records as the state holds them, when they differ from recordsBefore (a
   * voided side, a new identity rule): the base the first record diff is made against.
   */
  recordsInState?: readonly MessageRecord[];
  /**
   * Envelopes each side returned for the messages the plan copies from it (INTERNALDATE, size).
   * A copy without one is settled like one whose body was not returned (see settleUnreturned).
   */
  envelopes: { a: CopyEnvelopes; b: CopyEnvelopes };
  reads: { a: ReadOutcome; b: ReadOutcome };
  /** The copies the account's plan replaced by server-side transfers into this pair (known ones stay one-sided until confirmed). */
  transfersIn?: readonly CopyAction[];
  /** Records of messages moved out of this pair by the server: kept until the move is confirmed. */
  movedOut?: readonly MessageRecord[];
}

/** What the executor needs of a side's read: its status, and what it left out. */
export type ReadOutcome = Pick<FolderRead, 'status' | 'unidentified' | 'unread' | 'incompleteRows'>;

export interface ExecutionContext {
  stores: { a: Store; b: Store };
  /** The run's mode: an action writing a side the mode does not write (see mayWrite) is refused, a listed failure. */
  mode: SyncMode;
  state: SyncState;
  observer: SyncObserver;
  /** Checked between batches: when aborted, stop after the current batch. */
  signal?: AbortSignal;
  /** Called after each append batch, so the engine can commit the state now and then. */
  onBatchDone?: () => Promise<void>;
  /** Runs a wait for the body budget so that it holds up no periodic commit (PeriodicCommit.outside); absent: just waits. */
  waitingOutside?: <T>(wait: () => Promise<T>) => Promise<T>;
  /** Body bytes in flight, shared by every connection of the run (absent: each folder's copies get their own). */
  bodyBudget?: ByteBudget;
  /** --max-time: asked before each batch of copies and each side's deletions (none: no limit). */
  budget?: TimeBudget;
}

/** What the executor did, with what the engine needs to know about its own writes to B. */
export interface FolderExecutionResult extends FolderResult {
  bySide: { a: SideWork; b: SideWork };
  /** The folder's statuses were recorded (nothing failed or withheld, not cut short). */
  statusRecorded: boolean;
  /** Highest UID B gave our appends (0: none). */
  maxAppendedUid: number;
  /** Highest UID A gave our appends (0: none; two-way only appends to A). */
  maxAppendedUidA: number;
  /** Appends B stored without telling their UID (no UIDPLUS). */
  appendsWithoutUid: number;
  /** Stand-ins (--placeholders) each side stored (their UID named or not): they count in its MESSAGES as copies do. */
  standInsAppended: Record<Side, number>;
}

type Fail = (failure: Omit<MessageFailure, 'folder'>) => void;

/** The executor's working data for one folder (from its record pass to its deletions). */
export interface Execution {
  ctx: ExecutionContext;
  job: FolderExecution;
  result: FolderExecutionResult;
  fail: Fail;
  /** Records as the plan wants them; failed (or refused) actions put the old ones back. */
  records: Map<string, MessageRecord>;
  /** The copies the other side confirmed, by copyKey (a copy may be rewritten with its envelope's size on the way). */
  confirmed: Set<string>;
  /** Planned records whose flag change is not confirmed yet, by record key (recorded with their old flags meanwhile). */
  flagsPending: Map<string, MessageRecord>;
  /**
   * Server-side transfers into or out of this folder not (yet) confirmed: while
   * any is, its statuses are not recorded, so the next run reads it again.
   */
  transfersUnsettled: number;
  /** Messages a side did not return for a copy (no envelope, no body): settled once the pair's copies are done. */
  unreturned: Record<Side, Unreturned[]>;
  /** A batch of copies was not started (--max-time) or was cut short by a signal: the statuses are not recorded. */
  cutShort: boolean;
}

/**
 * One folder's plan, every step at once (a run records every folder, then
 * moves and copies on the servers, then acts on every folder's appends and
 * flags before any folder's deletions: see recordPlanned, appendAndChangeFlags,
 * deleteAndFinish).
 */
export async function executeFolderPlan(ctx: ExecutionContext, job: FolderExecution): Promise<FolderExecutionResult> {
  const { stores, ...recordCtx } = ctx;
  const acting = await appendAndChangeFlags(await recordPlanned(recordCtx, job), stores);
  return deleteAndFinish(acting, stores, new Set());
}

/** A folder between its passes. */
export interface FolderActing {
  readonly run: Execution;
  /** Messages a side said were gone since they were read (the next read decides). */
  saidGone: number;
  interrupted: boolean;
  /** Global ids of the copies confirmed, once per copy. */
  confirmedGids: string[];
}

/** What the record pass needs: no store (it does no I/O but the state's flush). */
export type RecordContext = Omit<ExecutionContext, 'stores'>;

/** Stores of a run between passes: the record pass must not touch one. */
const NO_STORES = new Proxy({} as ExecutionContext['stores'], {
  get: () => {
    throw new Error('the record pass does no I/O');
  },
});

/**
 * The record pass, before anything is done on a server: record what is now
 * true (pairs, one-sided messages) against what the state holds (a voided
 * side's records and their held marks go in one step). A message the state
 * knew whose copy a side lost stays known, one-sided, until its new copy
 * (append or server-side transfer) is confirmed: it is not new on its side,
 * so the next run would never see it again if its record went now. What the
 * deletions or moves will remove stays until they are confirmed, and a flag
 * change not done yet keeps the old flags: a record never claims flags the
 * server does not have (they are recorded once the server confirms them).
 */
export async function recordPlanned(ctx: RecordContext, job: FolderExecution): Promise<FolderActing> {
  const result: FolderExecutionResult = {
    folder: job.label, skipped: false, copied: 0, bytes: 0, flagsUpdated: 0, expunged: 0, failed: 0, transferred: 0,
    bySide: { a: noWork(), b: noWork() }, statusRecorded: false, maxAppendedUid: 0, maxAppendedUidA: 0, appendsWithoutUid: 0, standInsAppended: { a: 0, b: 0 },
  };
  const fail: Fail = (failure) => {
    result.failed++;
    ctx.observer.failure({ folder: job.label, ...failure });
  };
  const run: Execution = {
    ctx: { ...ctx, stores: NO_STORES }, job, result, fail,
    records: new Map(job.plan.records.map((r) => [recordKey(r), r])), confirmed: new Set(), flagsPending: new Map(), transfersUnsettled: 0,
    unreturned: { a: [], b: [] }, cutShort: false,
  };
  for (const [key, { planned, oldFlags }] of withFlagsNotYetChanged(job)) {
    run.flagsPending.set(key, planned);
    run.records.set(key, { ...planned, flags: oldFlags });
  }
  const stillKnown = knownCopies(job.recordsBefore, [...job.plan.appends, ...(job.transfersIn ?? [])]).map((action) => onlyOnSource(action));
  const toDelete = [...job.plan.expunges.map((e) => e.record), ...(job.movedOut ?? [])];
  const base = job.recordsInState ?? job.recordsBefore;
  for (const op of diffRecords(job.nameA, job.nameB, base, [...run.records.values(), ...stillKnown, ...toDelete])) ctx.state.apply(op);
  await ctx.state.flush();
  return { run, saidGone: 0, interrupted: false, confirmedGids: [] };
}

/**
 * After the transfers, one folder alone: copy what a side lacks (A's copies
 * first, each side's newest first), then finish (see finishCopies). A run of
 * the engine does the same through the account's copy queue (copyQueue.ts).
 */
export async function appendAndChangeFlags(acting: FolderActing, stores: ExecutionContext['stores']): Promise<FolderActing> {
  const copies = await prepareCopies(acting);
  await copyBatches(acting, stores, pairBatches({ envelopes: acting.run.job.envelopes, copies }));
  return finishCopies(acting, stores);
}

/**
 * The copies of a pair ready to be made, by source side (no I/O but the
 * state's flush): a copy to a side the mode does not write is a failure, one
 * whose envelope its side did not return waits to be settled (finishCopies);
 * both are known one-sided meanwhile. The rest carry their envelope's size.
 */
export async function prepareCopies(acting: FolderActing): Promise<Record<Side, CopyAction[]>> {
  const { run } = acting;
  const { ctx, job, fail } = run;
  const ready: Record<Side, CopyAction[]> = { a: [], b: [] };
  for (const from of SIDES) {
    const actions = job.plan.appends.filter((a) => a.from === from);
    if (actions.length === 0) continue;
    const refused = refusal(ctx, actions[0]!.to);
    const split = refused === undefined ? splitByEnvelope(job.envelopes[from], actions) : { ready: [], withoutEnvelope: [] };
    for (const action of refused === undefined ? split.withoutEnvelope : actions) {
      ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: onlyOnSource(action) });
      if (refused !== undefined) fail({ uid: action.uid, side: sideLabel(action.to), reason: refused });
      else run.unreturned[from].push({ uid: action.uid, missing: 'envelope' });
    }
    ready[from] = split.ready;
  }
  await ctx.state.flush();
  return ready;
}

/**
 * Some of a pair's batches of copies, in the order given (the copy queue's;
 * the next batch from the same side is fetched while this one is stored).
 * Each copy not confirmed stays known as a one-sided record on its source, so
 * the next run tries again.
 */
export async function copyBatches(acting: FolderActing, stores: ExecutionContext['stores'], batches: readonly CopyBatch[]): Promise<void> {
  const { run } = acting;
  run.ctx = { ...run.ctx, stores };
  for (let start = 0; start < batches.length && !run.ctx.signal?.aborted; ) {
    const from = batches[start]!.from;
    let end = start;
    while (end < batches.length && batches[end]!.from === from) end++;
    const copy = await copyInBatches(run, batches.slice(start, end).map((b) => b.copies), run.unreturned[from]);
    addCopies(run, from, copy);
    start = end;
  }
}

/**
 * Once a pair's copies are done: change flags (grouped so that one UID STORE
 * covers every message needing the same change; each record updated once its
 * change is confirmed), then settle what a side did not return (still there:
 * a failure, looked at again next run; or said to be gone).
 */
export async function finishCopies(acting: FolderActing, stores: ExecutionContext['stores']): Promise<FolderActing> {
  const { run } = acting;
  run.ctx = { ...run.ctx, stores };
  const { job } = run;
  // Stand-ins (--placeholders) once the pair's copies are all done: a cut-short pair makes them next run (counted as left, see mayStartChunk).
  await makeStandIns(run);
  await changeFlags(run);
  let saidGone = 0;
  for (const side of SIDES) saidGone += await settleUnreturned(run, side, [...run.unreturned[side], ...leftOutOf(job.reads[side])]);
  const confirmedGids = job.plan.appends.filter((a) => run.confirmed.has(copyKey(a))).map((a) => a.gid);
  return { run, saidGone, interrupted: run.cutShort, confirmedGids };
}

/**
 * The second pass, once every folder of the run had its first: the deletions
 * (one waiting for the copy of its message into another folder stays when
 * that copy is not confirmed anywhere in the run), then the statuses.
 */
export async function deleteAndFinish(
  acting: FolderActing,
  stores: ExecutionContext['stores'],
  unconfirmed: ReadonlySet<string>,
  /** Why the folder could not be opened for its deletions: each is then a failure, its record kept. */
  cannotDelete?: string,
): Promise<FolderExecutionResult> {
  const { run } = acting;
  // The second pass may run on another connection than the first.
  run.ctx = { ...run.ctx, stores };
  const kept = await expunge(run, unconfirmed, cannotDelete);
  await reassignUids(run, cannotDelete);
  const { ctx, job, result } = run;
  const settled = result.failed === 0 && acting.saidGone === 0 && !acting.interrupted && kept === 0 && run.transfersUnsettled === 0;
  result.statusRecorded = await recordStatuses(ctx, job, settled, { a: result.maxAppendedUidA, b: result.maxAppendedUid });
  return result;
}

/** No work yet, on one side. */
export function noWork(): SideWork {
  return { copied: 0, bytes: 0, flagsUpdated: 0, expunged: 0 };
}

/** Why an action on `side` is refused, or undefined when the mode lets the run write there. */
function refusal(ctx: ExecutionContext, side: Side): string | undefined {
  return mayWrite(ctx.mode, side) ? undefined : `refused: ${ctx.mode} mode never writes to ${sideLabel(side)}`;
}

/**
 * The planned records whose flags a flag change still has to make true, by
 * record key, each with the merge base it had before this run (for a pair
 * new in this run, the one its change names, else none): the record pass
 * keeps that until the change is confirmed. One pass over each record list,
 * none when nothing changes.
 */
function withFlagsNotYetChanged(job: FolderExecution): Map<string, { planned: MessageRecord; oldFlags: readonly string[] }> {
  const out = new Map<string, { planned: MessageRecord; oldFlags: readonly string[] }>();
  if (job.plan.flagChanges.length === 0) return out;
  const changing = { a: new Set<number>(), b: new Set<number>() };
  for (const c of job.plan.flagChanges) changing[c.side].add(c.uid);
  const old = { a: new Map<number, readonly string[]>(), b: new Map<number, readonly string[]>() };
  // A pair the state had no record of: the base its change names, if any (FlagChange.baseMeanwhile).
  for (const c of job.plan.flagChanges) if (c.baseMeanwhile !== undefined) old[c.side].set(c.uid, c.baseMeanwhile);
  for (const r of job.recordsBefore) for (const side of SIDES) if (changing[side].has(uidOn(r, side))) old[side].set(uidOn(r, side), r.flags);
  for (const r of job.plan.records) {
    const side = SIDES.find((s) => changing[s].has(uidOn(r, s)));
    if (side === undefined) continue;
    const oldFlags = SIDES.map((s) => old[s].get(uidOn(r, s))).find((f) => f !== undefined) ?? [];
    out.set(recordKey(r), { planned: r, oldFlags });
  }
  return out;
}

/**
 * Flag changes; each confirmed one records its new flags, a failed or refused
 * one keeps the old merge base (recorded by the record pass), so the same
 * change is tried again next run.
 */
async function changeFlags(run: Execution): Promise<void> {
  const { ctx, job, fail } = run;
  if (job.plan.flagChanges.length === 0) return;
  const done = { a: new Set<number>(), b: new Set<number>() };
  for (const side of SIDES) {
    const changes = job.plan.flagChanges.filter((c) => c.side === side);
    if (changes.length === 0) continue;
    const refused = refusal(ctx, side);
    const failures = refused === undefined ? await applyFlagChanges(ctx.stores[side], changes) : undefined;
    for (const change of changes) {
      const reason = refused ?? failures!.get(change.uid);
      if (reason === undefined) {
        run.result.flagsUpdated++;
        run.result.bySide[side].flagsUpdated++;
        done[side].add(change.uid);
      } else fail({ uid: change.uid, side: sideLabel(change.side), reason });
    }
  }
  // A record whose every change (one per side) was confirmed takes its planned flags.
  const changes = job.plan.flagChanges;
  for (const planned of run.flagsPending.values()) {
    const confirmed = changes.every((c) => uidOn(planned, c.side) !== c.uid || done[c.side].has(c.uid));
    if (confirmed) ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: planned });
  }
  await ctx.state.flush();
}

/**
 * Expunge exactly the planned UIDs, per side. A failed or refused expunge
 * keeps its record (the message is still there); so does one waiting for a
 * copy of its message that `unconfirmed` names (in doubt, keep), which leaves
 * the folder's statuses unrecorded, so the next run plans it again. An
 * expunged message's record goes. Returns how many were kept waiting.
 */
async function expunge(run: Execution, unconfirmed: ReadonlySet<string>, cannotDelete: string | undefined): Promise<number> {
  const { ctx, job, fail } = run;
  let waiting = 0;
  for (const side of SIDES) {
    const expunges: ExpungeAction[] = [];
    for (const e of job.plan.expunges) {
      if (e.side !== side) continue;
      if (e.waitsForCopy !== undefined && unconfirmed.has(e.record.gid)) {
        waiting++;
        ctx.observer.verbose(`${job.label}: keeping ${sideLabel(side)} UID ${e.uid}: its copy into ${e.waitsForCopy} was not confirmed`);
      } else expunges.push(e);
    }
    if (expunges.length === 0) continue;
    if (ctx.budget?.mayStart() === false) {
      // Out of time: left for the next run (its records stay, its statuses are not recorded).
      waiting += expunges.length;
      ctx.budget.leave(job.label, { deletions: expunges.length });
      ctx.observer.verbose(`${job.label}: ${expunges.length} deletions on ${sideLabel(side)} left for the next run (--max-time)`);
      continue;
    }
    let reason = refusal(ctx, side) ?? (cannotDelete === undefined ? undefined : `not expunged: ${cannotDelete}`);
    if (reason === undefined) {
      try {
        await ctx.stores[side].expungeMessages(expunges.map((e) => e.uid));
        run.result.expunged += expunges.length;
        run.result.bySide[side].expunged += expunges.length;
        // A stand-in replaced by the real message is named by its record's `after` form by now.
        for (const e of expunges) ctx.state.apply({ op: 'del', nameA: job.nameA, nameB: job.nameB, uidA: (e.after ?? e.record).uidA, uidB: (e.after ?? e.record).uidB });
        continue;
      } catch (err) {
        reason = `not expunged: ${errorText(err)}`;
      }
    }
    for (const e of expunges) fail({ uid: e.uid, side: sideLabel(side), reason });
  }
  return waiting;
}

/** Adds what a batch of copies from `from` did to the pair's result. */
function addCopies(run: Execution, from: Side, copy: CopyResult): void {
  const { result } = run;
  const to = result.bySide[from === 'a' ? 'b' : 'a'];
  result.copied += copy.copied;
  result.bytes += copy.bytes;
  to.copied += copy.copied;
  to.bytes += copy.bytes;
  if (from === 'a') result.maxAppendedUid = Math.max(result.maxAppendedUid, copy.maxAppendedUid);
  else result.maxAppendedUidA = Math.max(result.maxAppendedUidA, copy.maxAppendedUid);
  result.appendsWithoutUid += copy.appendsWithoutUid;
  run.cutShort ||= copy.interrupted;
}

/**
 * The message of a copy as a one-sided record on its source, with the flags it
 * has there, its copy pending (wanted, not confirmed) until the copy succeeds.
 * It keeps the copy's knowledge that its global id hashes a Message-ID.
 */
export function onlyOnSource(action: CopyAction): MessageRecord {
  // A copy replacing a stand-in: the record pairing the source with the stand-in stays until it is confirmed.
  return action.standIn?.record ?? pendingOnSource(action);
}

/** The message of a copy as a one-sided record on its source, its copy pending. */
function pendingOnSource(action: CopyAction): MessageRecord {
  return { ...uidsBySide(action.from, action.uid, 0), gid: action.gid, flags: [...action.sourceFlags], status: 'pending', ...markOf(action) };
}

/**
 * What the record of a copy's message keeps of its global id: that it hashes a
 * Message-ID (MessageRecord.byMessageId), or the size it hashes (MessageRecord.size).
 */
export function markOf(action: CopyAction): Pick<MessageRecord, 'byMessageId' | 'size'> {
  if (action.byMessageId === true) return { byMessageId: true };
  return action.gidSize !== undefined ? { size: action.gidSize } : {};
}

/**
 * Records the folder's statuses when nothing is left over. A folder with
 * failures, messages said to be gone (the next read confirms it), deletions the
 * guard withheld or kept in doubt, bodies the plan could not compare, or cut short keeps its old
 * statuses, so it is read and planned again next run (and a withholding is
 * reported again until --force carries it out). Held records need no such help:
 * their mark keeps them withheld, and a mirror run never skips a folder that has any.
 */
async function recordStatuses(
  ctx: ExecutionContext,
  job: FolderExecution,
  settled: boolean,
  maxAppendedUid: { a: number; b: number },
): Promise<boolean> {
  const { nameA, nameB, plan } = job;
  const unmarkedWithheld = plan.expungesWithheld - (plan.expungesHeld ?? 0);
  // Deletions kept in doubt (or whose UID's identity the server did not give, or a UID a size question found reused) are planned again next run:
  // the folder must not look unchanged then.
  const inDoubt = plan.expungesInDoubt !== undefined || plan.needIdentity !== undefined || plan.reusedFound !== undefined;
  const complete = settled && unmarkedWithheld === 0 && plan.uncompared === undefined && !inDoubt && !ctx.signal?.aborted;
  if (complete) {
    for (const side of SIDES) {
      ctx.state.apply({ op: 'status', nameA, nameB, side, status: statusAfterAppends(job.reads[side].status, maxAppendedUid[side]) });
    }
  }
  await ctx.state.flush();
  return complete;
}

/**
 * A side's status as read before this run wrote to it (so a change someone else made
 * meanwhile is read next run), but with UIDNEXT past the UIDs that side gave our own
 * appends: a side restored from a backup taken before them then shows a UIDNEXT
 * lower than recorded, and is seen to have gone back in time.
 */
function statusAfterAppends(before: FolderStatus, maxAppendedUid: number): FolderStatus {
  return maxAppendedUid + 1 > before.uidNext ? { ...before, uidNext: maxAppendedUid + 1 } : before;
}

/** What the read of a side left out: new messages without an envelope, known ones without flags. */
export function leftOutOf(read: ReadOutcome): Unreturned[] {
  return [
    ...read.unidentified.map((uid): Unreturned => ({ uid, missing: 'envelope', why: read.incompleteRows?.get(uid) })),
    ...read.unread.map((uid): Unreturned => ({ uid, missing: 'flags' })),
  ];
}

interface CopyResult {
  copied: number;
  bytes: number;
  maxAppendedUid: number;
  appendsWithoutUid: number;
  interrupted: boolean;
}

/** Copies with their envelope (and its size, which the plan lacks for known messages), and those their side gave none. */
function splitByEnvelope(
  envelopes: CopyEnvelopes,
  copies: readonly CopyAction[],
): { ready: CopyAction[]; withoutEnvelope: CopyAction[] } {
  const ready: CopyAction[] = [];
  const withoutEnvelope: CopyAction[] = [];
  for (const action of copies) {
    const envelope = envelopes.get(action.uid);
    if (!envelope) withoutEnvelope.push(action);
    else ready.push(action.size === envelope.size ? action : { ...action, size: envelope.size });
  }
  return { ready, withoutEnvelope };
}

/** A copy's key in Execution.confirmed: one copy per source UID in a pair's plan. */
function copyKey(action: CopyAction): string {
  return `${action.from}\u0000${action.uid}`;
}

/** Copies whose message the state already knew on its source (its copy on the other side is gone). */
function knownCopies(recordsBefore: readonly MessageRecord[], copies: readonly CopyAction[]): CopyAction[] {
  const known: CopyAction[] = [];
  for (const from of SIDES) {
    const bySource = new Map(copies.filter((c) => c.from === from).map((c) => [c.uid, c]));
    if (bySource.size === 0) continue;
    for (const r of recordsBefore) {
      const uid = uidOn(r, from);
      const action = uid !== 0 ? bySource.get(uid) : undefined;
      if (action) known.push(action);
    }
  }
  return known;
}

/** The journal's note that a copy is about to be made (flushed before it is), naming its source side. */
export function intentOf(names: { nameA: string; nameB: string }, action: CopyAction): StateOp {
  return { op: 'intent', nameA: names.nameA, nameB: names.nameB, side: action.from, uid: action.uid, gid: action.gid };
}

/**
 * Copies from one side in batches; the next batch is fetched from there while
 * the other side stores this one when the run's body budget has room for it
 * now (never waiting for it while holding a batch). Each batch holds its bytes
 * from before its fetch until its append is answered.
 */
async function copyInBatches(run: Execution, batches: readonly CopyAction[][], unreturned: Unreturned[]): Promise<CopyResult> {
  const { ctx } = run;
  const out: CopyResult = { copied: 0, bytes: 0, maxAppendedUid: 0, appendsWithoutUid: 0, interrupted: false };
  if (batches.length === 0) return out;
  const source = ctx.stores[batches[0]![0]!.from];
  const budget = ctx.bodyBudget ?? new ByteBudget(BODY_BYTES_IN_FLIGHT);
  let next: BatchInFlight | undefined;
  try {
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      if (next === undefined && ctx.budget?.mayStart() === false) {
        leaveForNextRun(run, batches.slice(i));
        out.interrupted = true;
        break;
      }
      // Fetched while the other side stored the previous batch, or (when the budget had no room then) now.
      const current = next ?? (await fetchWithin(budget, source, batch, ctx.waitingOutside));
      next = undefined;
      try {
        const fetched = await current.bodies;
        if (ctx.signal?.aborted) {
          out.interrupted = true;
          break;
        }
        // The next batch is fetched early only when it may start (a fetch is its start).
        if (i + 1 < batches.length && ctx.budget?.mayStart() !== false) next = fetchIfRoom(budget, source, batches[i + 1]!);
        await storeBatch(run, readyToSend(run, batch, fetched, unreturned), out);
      } finally {
        current.hold.release();
      }
    }
  } finally {
    // A batch fetched ahead and not stored (an append failed, or a signal): its answer is awaited, its bytes given back.
    if (next) {
      await drain(next.bodies);
      next.hold.release();
    }
  }
  return out;
}

/** Sends one batch's bodies to the other side, each copy's intent flushed first, and records each answer. */
async function storeBatch(run: Execution, toSend: { action: CopyAction; message: AppendMessage }[], out: CopyResult): Promise<void> {
  if (toSend.length === 0) return;
  const { ctx, job } = run;
  const to = toSend[0]!.action.to;
  for (const { action } of toSend) ctx.state.apply(intentOf(job, action));
  await ctx.state.flush();
  // A throw here (e.g. the connection dropped) leaves the batch's result unknown:
  // nothing is recorded; the next run finds whatever arrived by global id.
  const { outcomes } = await ctx.stores[to].append(to === 'a' ? job.nameA : job.nameB, toSend.map((t) => t.message));
  const done = recordOutcomes(run, toSend, outcomes, out);
  await ctx.state.flush();
  ctx.observer.progress(job.label, done.messages, done.bytes);
  if (ctx.onBatchDone) await ctx.onBatchDone();
}

/**
 * Batches a spent --max-time budget keeps from starting: counted as left. Their
 * records stay as the record pass left them (a known message pending, a new one
 * absent: the folder's statuses are not recorded, so its next read finds it again).
 */
function leaveForNextRun(run: Execution, batches: readonly (readonly CopyAction[])[]): void {
  const copies = batches.flat();
  const bytes = copies.reduce((sum, a) => sum + a.size, 0);
  run.ctx.budget?.leave(run.job.label, { messages: copies.length, bytes });
  run.ctx.observer.verbose(`${run.job.label}: ${copies.length} copies (${bytes} bytes) left for the next run (--max-time)`);
}

/** Each copy of a batch as its target answered: paired with its new UID, or a failure kept one-sided. */
function recordOutcomes(
  run: Execution,
  toSend: readonly { action: CopyAction; message: AppendMessage }[],
  outcomes: AppendResult['outcomes'],
  out: CopyResult,
): { messages: number; bytes: number } {
  const { ctx, job } = run;
  let messages = 0;
  let bytes = 0;
  toSend.forEach(({ action, message }, k) => {
    const outcome = outcomes[k];
    const { status: _pending, ...record } = pendingOnSource(action);
    if (outcome?.ok) {
      run.confirmed.add(copyKey(action));
      messages++;
      bytes += message.body.length;
      if (outcome.uid) out.maxAppendedUid = Math.max(out.maxAppendedUid, outcome.uid);
      else out.appendsWithoutUid++;
      // A replaced stand-in's record names it alone first (it takes the UID off the pair's record), so no
      // prefix of these ops holds one UID twice; its expunge comes later.
      if (action.standIn) ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: action.standIn.orphan });
      // Without UIDPLUS the new UID is unknown: keep the message one-sided; the
      // next run pairs it by global id with the copy it finds there.
      ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: { ...record, ...uidsBySide(action.from, action.uid, outcome.uid ?? 0) } });
    } else {
      fail(run, action, outcome ? errorText(outcome.error) : 'no result from server');
      // Known one-sided, its copy pending (or paired with its stand-in still), so the next run tries again.
      ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: onlyOnSource(action) });
    }
  });
  out.copied += messages;
  out.bytes += bytes;
  return { messages, bytes };
}

/** A copy that failed, listed under its source's UID (as the user finds the message). */
function fail(run: Execution, action: CopyAction, reason: string): void {
  run.fail({ uid: action.uid, side: sideLabel(action.from), reason });
}

/**
 * The messages of a batch whose body arrived, ready to send (a body shorter
 * than announced that the store let through is warned about). A body refused
 * (far larger or shorter than announced, or answered NO) is a failure; one its
 * side did not return waits for step 5. Both are known one-sided meanwhile, so
 * the next run tries again.
 */
function readyToSend(
  run: Execution,
  batch: readonly CopyAction[],
  { bodies, refused, sizeMismatches }: FetchedBodies,
  unreturned: Unreturned[],
): { action: CopyAction; message: AppendMessage }[] {
  const { ctx, job } = run;
  const toSend: { action: CopyAction; message: AppendMessage }[] = [];
  for (const action of batch) {
    const body = bodies.get(action.uid);
    const refusal = refused.get(action.uid);
    if (body && refusal === undefined) {
      const mismatch = sizeMismatches?.get(action.uid);
      if (mismatch !== undefined) ctx.observer.warning(`${job.label}: ${sideLabel(action.from)} UID ${action.uid}: ${mismatch}`);
      const internalDate = job.envelopes[action.from].get(action.uid)!.internalDate;
      toSend.push({ action, message: { body, flags: action.flags, internalDate } });
      continue;
    }
    ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: onlyOnSource(action) });
    if (refusal !== undefined) fail(run, action, refusal);
    else unreturned.push({ uid: action.uid, missing: 'body' });
  }
  return toSend;
}

/**
 * A side answered OK but left these messages out. Asked directly whether they
 * still exist: if so the server failed to give them, a failure listed by UID,
 * and the folder is read again next run (a copy's one-sided record makes it try
 * again). A failed check is a failure too. If the server says they are gone
 * (expunged since they were read), that is no failure, but the same server just
 * failed to give them, so its word alone drops nothing: a copy's one-sided
 * record stays and the folder is read again, whose read decides (a message
 * really gone is vanished then, one still there is copied). Returns how many
 * were said to be gone.
 */
async function settleUnreturned(run: Execution, side: Side, unreturned: readonly Unreturned[]): Promise<number> {
  if (unreturned.length === 0) return 0;
  const { ctx, job } = run;
  const label = sideLabel(side);
  let existing: Set<number>;
  try {
    existing = await ctx.stores[side].existingUids(unreturned.map((u) => u.uid));
  } catch (err) {
    for (const { uid, missing } of unreturned) {
      run.fail({ uid, side: label, reason: `server returned no ${missing}, and checking whether the message still exists failed: ${errorText(err)}` });
    }
    return 0;
  }
  let saidGone = 0;
  for (const { uid, missing, why } of unreturned) {
    if (existing.has(uid)) {
      run.fail({ uid, side: label, reason: `server returned no ${missing}${why ? ` (${why})` : ''} for a message it still has` });
      continue;
    }
    saidGone++;
    ctx.observer.verbose(`${job.label}: ${label} UID ${uid} is gone from ${label} since it was read, says ${label}; the next run's read confirms it`);
  }
  return saidGone;
}

/** Group flag changes (of one side) so that one command covers every message needing the same flags added (or removed). */
export async function applyFlagChanges(store: Store, changes: readonly FlagChange[]): Promise<Map<number, string>> {
  const failures = new Map<number, string>();
  const groups = new Map<string, { op: 'add' | 'remove'; flags: string[]; uids: number[] }>();
  for (const change of changes) {
    for (const [op, flags] of [['add', change.add], ['remove', change.remove]] as const) {
      if (flags.length === 0) continue;
      const key = `${op} ${flags.join(' ')}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { op, flags: [...flags], uids: [] }));
      group.uids.push(change.uid);
    }
  }
  for (const group of groups.values()) {
    try {
      if (group.op === 'add') await store.addFlags(group.uids, group.flags);
      else await store.removeFlags(group.uids, group.flags);
    } catch (err) {
      const change = group.op === 'add' ? { add: group.flags, remove: [] } : { add: [], remove: group.flags };
      for (const uid of group.uids) failures.set(uid, `flags ${describeFlagDelta(change)}: ${errorText(err)}`);
    }
  }
  return failures;
}

/** A batch's bodies on their way, with the budget's bytes they hold. */
interface BatchInFlight {
  hold: BudgetHold;
  bodies: Promise<FetchedBodies>;
}

/**
 * Fetches a batch once the budget has room for it (the caller holds nothing of
 * the budget). A wait, if any, goes through `outside`: a worker waiting for
 * bytes must not hold up a commit that the worker holding them waits for.
 */
async function fetchWithin(
  budget: ByteBudget,
  store: Store,
  batch: readonly CopyAction[],
  outside: ExecutionContext['waitingOutside'],
): Promise<BatchInFlight> {
  const bytes = bytesOf(batch);
  const hold = budget.tryAcquire(bytes) ?? (await (outside ? outside(() => budget.acquire(bytes)) : budget.acquire(bytes)));
  return { hold, bodies: fetchBatch(store, batch) };
}

/** Fetches a batch ahead if the budget has room for it now, else undefined (fetched when its turn comes). */
function fetchIfRoom(budget: ByteBudget, store: Store, batch: readonly CopyAction[]): BatchInFlight | undefined {
  const hold = budget.tryAcquire(bytesOf(batch));
  return hold && { hold, bodies: fetchBatch(store, batch) };
}

function bytesOf(batch: readonly CopyAction[]): number {
  return batch.reduce((sum, a) => sum + a.size, 0);
}

/** A batch's bodies; never throws: a driver's immediate throw (no folder open) comes as a rejection, so the batch's budget hold is given back. */
function fetchBatch(store: Store, batch: readonly CopyAction[]): Promise<FetchedBodies> {
  let promise: Promise<FetchedBodies>;
  try {
    promise = store.fetchBodies(batch.map((a) => ({ uid: a.uid, size: a.size })));
  } catch (err) {
    promise = Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  // Avoid an unhandled rejection if the consumer stops before awaiting it.
  promise.catch(() => undefined);
  return promise;
}

async function drain(pending: Promise<unknown> | undefined): Promise<void> {
  if (pending) await pending.catch(() => undefined);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
