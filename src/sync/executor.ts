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

import type { MessageRecord } from '../state/types.js';
import type { SyncState } from '../state/SyncState.js';
import type { AppendMessage, FetchedBodies, FolderRead, FolderStatus, MessageEnvelope, Store } from '../store/types.js';
import type { AppendAction, FlagChange, FolderPlan, SideSnapshot } from './planTypes.js';
import type { FolderResult, MessageFailure, SyncObserver } from './types.js';
import { BATCH_MAX_BYTES, inBatches } from './batches.js';
import { diffRecords, recordKey } from './recordDiff.js';


export interface FolderExecution {
  nameA: string;
  nameB: string;
  /** Display name for messages: A's name, with B's when it differs. */
  label: string;
  plan: FolderPlan;
  /** The records the plan was made from (to revert a record when its action fails). */
  recordsBefore: readonly MessageRecord[];
  snapshotA: SideSnapshot;
  /**
   * Envelopes A returned for the messages the plan appends (INTERNALDATE, size). An append
   * without one is settled like one whose body A did not return (see settleUnreturned).
   */
  envelopesA: ReadonlyMap<number, MessageEnvelope>;
  readA: ReadOutcome;
  readB: ReadOutcome;
}

/** What the executor needs of a side's read: its status, and what it left out. */
export type ReadOutcome = Pick<FolderRead, 'status' | 'unidentified' | 'unread' | 'incompleteRows'>;

export interface ExecutionContext {
  storeA: Store;
  storeB: Store;
  state: SyncState;
  observer: SyncObserver;
  /** Checked between batches: when aborted, stop after the current batch. */
  signal?: AbortSignal;
  /** Called after each append batch, so the engine can commit the state now and then. */
  onBatchDone?: () => Promise<void>;
}

/** What the executor did, with what the engine needs to know about its own writes to B. */
export interface FolderExecutionResult extends FolderResult {
  /** The folder's statuses were recorded (nothing failed or withheld, not cut short). */
  statusRecorded: boolean;
  /** Highest UID B gave our appends (0: none). */
  maxAppendedUid: number;
  /** Appends B stored without telling their UID (no UIDPLUS). */
  appendsWithoutUid: number;
}

export async function executeFolderPlan(ctx: ExecutionContext, job: FolderExecution): Promise<FolderExecutionResult> {
  const { nameA, nameB, plan } = job;
  const result: FolderExecutionResult = {
    folder: job.label, skipped: false, copied: 0, bytes: 0, flagsUpdated: 0, expunged: 0, failed: 0,
    statusRecorded: false, maxAppendedUid: 0, appendsWithoutUid: 0,
  };
  const fail = (failure: Omit<MessageFailure, 'folder'>): void => {
    result.failed++;
    ctx.observer.failure({ folder: job.label, ...failure });
  };

  // Records start as the plan wants them; failed actions put the old ones back.
  const records = new Map<string, MessageRecord>();
  for (const r of plan.records) records.set(recordKey(r), r);
  const beforeByUidB = new Map<number, MessageRecord>();
  for (const r of job.recordsBefore) if (r.uidB) beforeByUidB.set(r.uidB, r);
  const plannedByUidB = new Map<number, MessageRecord>();
  for (const r of plan.records) if (r.uidB) plannedByUidB.set(r.uidB, r);

  // 1. Flags on B, grouped so that one UID STORE covers every message needing the same change.
  const flagFailures = await applyFlagChanges(ctx.storeB, plan.flagChanges);
  for (const change of plan.flagChanges) {
    if (!flagFailures.has(change.uidB)) {
      result.flagsUpdated++;
      continue;
    }
    fail({ uid: change.uidB, side: 'B', reason: flagFailures.get(change.uidB) ?? 'flag update failed' });
    // Keep the old merge base so the same change is tried again next run.
    const planned = plannedByUidB.get(change.uidB);
    const before = beforeByUidB.get(change.uidB);
    if (planned) records.set(recordKey(planned), before ? { ...planned, flags: before.flags } : { ...planned, flags: [] });
  }

  // 2. Mirror: expunge exactly these UIDs on B.
  if (plan.expunges.length > 0) {
    const uids = plan.expunges.map((e) => e.uidB);
    try {
      await ctx.storeB.expungeMessages(uids);
      result.expunged += uids.length;
    } catch (err) {
      for (const e of plan.expunges) {
        fail({ uid: e.uidB, side: 'B', reason: `not expunged: ${errorText(err)}` });
        records.set(recordKey(e.record), e.record); // not forgotten: it is still there
      }
    }
  }

  // 3. Record what is now true (pairs, B-only messages), before the long part. A message the
  // state knew whose copy B lost stays known, as A-only, until its new copy is confirmed: it is
  // not new on A, so the next run would never see it again if its record went now.
  const aOnly = (action: AppendAction): MessageRecord => ({
    uidA: action.uidA, uidB: 0, gid: action.gid, flags: [...(job.snapshotA.get(action.uidA)?.flags ?? action.flags)],
  });
  const stillKnown = knownAppends(job.recordsBefore, plan.appends).map(aOnly);
  for (const op of diffRecords(nameA, nameB, job.recordsBefore, [...records.values(), ...stillKnown])) ctx.state.apply(op);
  await ctx.state.flush();

  // 4. Copy what B lacks. A message A did not return (no envelope, no body) is kept as A-only
  // and settled once the copying is done (step 5).
  const { ready, withoutEnvelope } = splitByEnvelope(job.envelopesA, plan.appends);
  for (const action of withoutEnvelope) ctx.state.apply({ op: 'put', nameA, nameB, record: aOnly(action) });
  const unreturned: Unreturned[] = withoutEnvelope.map((action) => ({ uid: action.uidA, missing: 'envelope' }));
  const copy = await copyInBatches(ctx, job, ready, aOnly, fail);
  result.copied += copy.copied;
  result.bytes += copy.bytes;
  result.maxAppendedUid = copy.maxAppendedUid;
  result.appendsWithoutUid = copy.appendsWithoutUid;
  unreturned.push(...copy.unreturned);

  // 5. What a side did not return: still there (a failure, looked at again next run) or said to be gone.
  const saidGone =
    (await settleUnreturned(ctx, job, 'a', [...unreturned, ...leftOutOf(job.readA)], fail)) +
    (await settleUnreturned(ctx, job, 'b', leftOutOf(job.readB), fail));

  // 6. The folder is done: record the statuses the reads started from (see recordStatuses).
  result.statusRecorded = await recordStatuses(ctx, job, result.failed === 0 && saidGone === 0 && !copy.interrupted, result.maxAppendedUid);
  return result;
}

/**
 * Records the folder's statuses when nothing is left over. A folder with
 * failures, messages said to be gone (the next read confirms it), deletions the
 * guard withheld, bodies the plan could not compare, or cut short keeps its old
 * statuses, so it is read and planned again next run (and a withholding is
 * reported again until --force carries it out). Held records need no such help:
 * their mark keeps them withheld, and a mirror run never skips a folder that has any.
 */
async function recordStatuses(ctx: ExecutionContext, job: FolderExecution, settled: boolean, maxAppendedUid: number): Promise<boolean> {
  const { nameA, nameB, plan } = job;
  const unmarkedWithheld = plan.expungesWithheld - (plan.expungesHeld ?? 0);
  const complete = settled && unmarkedWithheld === 0 && plan.uncompared === undefined && !ctx.signal?.aborted;
  if (complete) {
    ctx.state.apply({ op: 'status', nameA, nameB, side: 'a', status: job.readA.status });
    ctx.state.apply({ op: 'status', nameA, nameB, side: 'b', status: statusAfterAppends(job.readB.status, maxAppendedUid) });
  }
  await ctx.state.flush();
  return complete;
}

/**
 * B's status as read before this run wrote to it (so a change someone else made
 * meanwhile is read next run), but with UIDNEXT past the UIDs B gave our own
 * appends: a B restored from a backup taken before them then shows a UIDNEXT
 * lower than recorded, and is seen to have gone back in time.
 */
function statusAfterAppends(before: FolderStatus, maxAppendedUid: number): FolderStatus {
  return maxAppendedUid + 1 > before.uidNext ? { ...before, uidNext: maxAppendedUid + 1 } : before;
}

/**
 * A message a side did not return (expunged since it was read, or a server that
 * failed to answer): an append's body or envelope, the envelope of a message
 * new on either side, which then cannot be identified, or the flags of a known
 * message (its record was left as it was).
 */
export interface Unreturned {
  uid: number;
  missing: 'body' | 'envelope' | 'flags';
  /** What the server sent instead, when it sent something unusable. */
  why?: string | undefined;
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
  unreturned: Unreturned[];
  interrupted: boolean;
}

type Fail = (failure: Omit<MessageFailure, 'folder'>) => void;

/** Appends with their envelope (and its size, which the plan lacks for known messages), and those A gave none. */
function splitByEnvelope(
  envelopesA: ReadonlyMap<number, MessageEnvelope>,
  appends: readonly AppendAction[],
): { ready: AppendAction[]; withoutEnvelope: AppendAction[] } {
  const ready: AppendAction[] = [];
  const withoutEnvelope: AppendAction[] = [];
  for (const action of appends) {
    const envelope = envelopesA.get(action.uidA);
    if (!envelope) withoutEnvelope.push(action);
    else ready.push(action.size === envelope.size ? action : { ...action, size: envelope.size });
  }
  return { ready, withoutEnvelope };
}

/** Appends whose A message the state already knew (its B copy is gone). */
function knownAppends(recordsBefore: readonly MessageRecord[], appends: readonly AppendAction[]): AppendAction[] {
  if (appends.length === 0) return [];
  const byUidA = new Map(appends.map((a) => [a.uidA, a]));
  const known: AppendAction[] = [];
  for (const r of recordsBefore) {
    const action = r.uidA !== 0 ? byUidA.get(r.uidA) : undefined;
    if (action) known.push(action);
  }
  return known;
}

/** Appends in batches; the next batch is fetched from A while B stores this one. */
async function copyInBatches(
  ctx: ExecutionContext,
  job: FolderExecution,
  appends: readonly AppendAction[],
  aOnly: (action: AppendAction) => MessageRecord,
  fail: Fail,
): Promise<CopyResult> {
  const { nameA, nameB } = job;
  const out: CopyResult = { copied: 0, bytes: 0, maxAppendedUid: 0, appendsWithoutUid: 0, unreturned: [], interrupted: false };
  const batches = batchAppends(appends);
  let pendingBodies = batches.length > 0 ? fetchBatch(ctx.storeA, batches[0]!) : undefined;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i]!;
    // Fetched while B stored the previous batch, or (when the two were too big together) now.
    const fetched = await (pendingBodies ?? fetchBatch(ctx.storeA, batch));
    pendingBodies = undefined;
    if (ctx.signal?.aborted) {
      out.interrupted = true;
      break;
    }
    if (i + 1 < batches.length && mayOverlap(batch, batches[i + 1]!)) pendingBodies = fetchBatch(ctx.storeA, batches[i + 1]!);

    const toSend = readyToSend(ctx, job, batch, fetched, aOnly, fail, out.unreturned);
    if (toSend.length === 0) continue;

    for (const { action } of toSend) ctx.state.apply({ op: 'intent', nameA, nameB, side: 'a', uid: action.uidA, gid: action.gid });
    await ctx.state.flush();

    let outcomes;
    try {
      outcomes = (await ctx.storeB.append(nameB, toSend.map((t) => t.message))).outcomes;
    } catch (err) {
      // The whole batch failed in a way the driver could not pin on one message
      // (e.g. the connection dropped): the result is unknown, so record nothing;
      // the next run finds whatever arrived by global id.
      await drain(pendingBodies);
      throw err;
    }
    let batchMessages = 0;
    let batchBytes = 0;
    toSend.forEach(({ action, message }, k) => {
      const outcome = outcomes[k];
      if (outcome?.ok) {
        batchMessages++;
        batchBytes += message.body.length;
        if (outcome.uid) out.maxAppendedUid = Math.max(out.maxAppendedUid, outcome.uid);
        else out.appendsWithoutUid++;
        // Without UIDPLUS the B UID is unknown: keep the message as A-only; the
        // next run pairs it by global id with the copy it finds on B.
        ctx.state.apply({ op: 'put', nameA, nameB, record: { ...aOnly(action), uidB: outcome.uid ?? 0 } });
      } else {
        fail({ uid: action.uidA, side: 'A', reason: outcome ? errorText(outcome.error) : 'no result from server' });
        // Known as A-only, so the next run tries again.
        ctx.state.apply({ op: 'put', nameA, nameB, record: aOnly(action) });
      }
    });
    await ctx.state.flush();
    out.copied += batchMessages;
    out.bytes += batchBytes;
    ctx.observer.progress(job.label, batchMessages, batchBytes);
    if (ctx.onBatchDone) await ctx.onBatchDone();
  }
  await drain(pendingBodies);
  return out;
}

/**
 * The messages of a batch whose body arrived, ready for B (a body shorter than
 * announced that the store let through is warned about). A body refused (far
 * larger or shorter than announced, or answered NO) is a failure; one A did not return waits for step 5.
 * Both are known as A-only meanwhile, so the next run tries again.
 */
function readyToSend(
  ctx: ExecutionContext,
  job: FolderExecution,
  batch: readonly AppendAction[],
  { bodies, refused, sizeMismatches }: FetchedBodies,
  aOnly: (action: AppendAction) => MessageRecord,
  fail: Fail,
  unreturned: Unreturned[],
): { action: AppendAction; message: AppendMessage }[] {
  const { nameA, nameB } = job;
  const toSend: { action: AppendAction; message: AppendMessage }[] = [];
  for (const action of batch) {
    const body = bodies.get(action.uidA);
    const refusal = refused.get(action.uidA);
    if (body && refusal === undefined) {
      const mismatch = sizeMismatches?.get(action.uidA);
      if (mismatch !== undefined) ctx.observer.warning(`${job.label}: A UID ${action.uidA}: ${mismatch}`);
      toSend.push({ action, message: { body, flags: action.flags, internalDate: job.envelopesA.get(action.uidA)!.internalDate } });
      continue;
    }
    ctx.state.apply({ op: 'put', nameA, nameB, record: aOnly(action) });
    if (refusal !== undefined) fail({ uid: action.uidA, side: 'A', reason: refusal });
    else unreturned.push({ uid: action.uidA, missing: 'body' });
  }
  return toSend;
}

/**
 * A side answered OK but left these messages out. Asked directly whether they
 * still exist: if so the server failed to give them, a failure listed by UID,
 * and the folder is read again next run (an append's A-only record makes it try
 * again). A failed check is a failure too. If the server says they are gone
 * (expunged since they were read), that is no failure, but the same server just
 * failed to give them, so its word alone drops nothing: an append's A-only
 * record stays and the folder is read again, whose read decides (a message
 * really gone is vanished then, one still there is copied). Returns how many
 * were said to be gone.
 */
async function settleUnreturned(
  ctx: ExecutionContext,
  job: FolderExecution,
  side: 'a' | 'b',
  unreturned: readonly Unreturned[],
  fail: Fail,
): Promise<number> {
  if (unreturned.length === 0) return 0;
  const label = side === 'a' ? 'A' : 'B';
  let existing: Set<number>;
  try {
    existing = await (side === 'a' ? ctx.storeA : ctx.storeB).existingUids(unreturned.map((u) => u.uid));
  } catch (err) {
    for (const { uid, missing } of unreturned) {
      fail({ uid, side: label, reason: `server returned no ${missing}, and checking whether the message still exists failed: ${errorText(err)}` });
    }
    return 0;
  }
  let saidGone = 0;
  for (const { uid, missing, why } of unreturned) {
    if (existing.has(uid)) {
      fail({ uid, side: label, reason: `server returned no ${missing}${why ? ` (${why})` : ''} for a message it still has` });
      continue;
    }
    saidGone++;
    ctx.observer.verbose(`${job.label}: ${label} UID ${uid} is gone from ${label} since it was read, says ${label}; the next run's read confirms it`);
  }
  return saidGone;
}

/** Group flag changes so that one command covers every message needing the same flags added (or removed). */
async function applyFlagChanges(store: Store, changes: readonly FlagChange[]): Promise<Map<number, string>> {
  const failures = new Map<number, string>();
  const groups = new Map<string, { op: 'add' | 'remove'; flags: string[]; uids: number[] }>();
  for (const change of changes) {
    for (const [op, flags] of [['add', change.add], ['remove', change.remove]] as const) {
      if (flags.length === 0) continue;
      const key = `${op} ${flags.join(' ')}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { op, flags: [...flags], uids: [] }));
      group.uids.push(change.uidB);
    }
  }
  for (const group of groups.values()) {
    try {
      if (group.op === 'add') await store.addFlags(group.uids, group.flags);
      else await store.removeFlags(group.uids, group.flags);
    } catch (err) {
      for (const uid of group.uids) failures.set(uid, `flags ${group.op === 'add' ? '+' : '-'}${group.flags.join(' ')}: ${errorText(err)}`);
    }
  }
  return failures;
}

export function batchAppends(appends: readonly AppendAction[]): AppendAction[][] {
  return inBatches(appends, (action) => action.size);
}

/**
 * The next batch is fetched while B stores this one only when the two fit in
 * twice the batch limit: a message bigger than the limit travels alone, so
 * memory holds one big message at a time (plus its bytes arriving), not two.
 */
function mayOverlap(current: readonly AppendAction[], next: readonly AppendAction[]): boolean {
  const bytes = (batch: readonly AppendAction[]): number => batch.reduce((sum, a) => sum + a.size, 0);
  return bytes(current) + bytes(next) <= 2 * BATCH_MAX_BYTES;
}

function fetchBatch(store: Store, batch: readonly AppendAction[]): Promise<FetchedBodies> {
  const promise = store.fetchBodies(batch.map((a) => ({ uid: a.uidA, size: a.size })));
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
