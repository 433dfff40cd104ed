// Carries out one folder's plan on the two stores and records every result in
// the state as it happens. It decides nothing: what to do comes from the plan.
//
// Order matters for crash safety: a state op is applied only after the server
// confirmed the change it describes, and an append's intent is flushed to the
// journal before the APPEND is sent. Folder statuses are recorded last, so a
// run killed anywhere re-reads the folder from the old base next time and
// finds (by global id) whatever it appended without recording.

import type { MessageRecord } from '../state/types.js';
import type { SyncState } from '../state/SyncState.js';
import type { AppendMessage, FetchedBodies, FolderRead, MessageEnvelope, Store } from '../store/types.js';
import type { AppendAction, FlagChange, FolderPlan, SideSnapshot } from './planTypes.js';
import type { FolderResult, MessageFailure, SyncObserver } from './types.js';
import { BATCH_MAX_BYTES, inBatches } from './batches.js';
import { diffRecords } from './recordDiff.js';


export interface FolderExecution {
  nameA: string;
  nameB: string;
  /** Display name for messages: A's name, with B's when it differs. */
  label: string;
  plan: FolderPlan;
  /** The records the plan was made from (to revert a record when its action fails). */
  recordsBefore: readonly MessageRecord[];
  snapshotA: SideSnapshot;
  /** Envelope of every A message the plan appends (for its INTERNALDATE). */
  envelopesA: ReadonlyMap<number, MessageEnvelope>;
  readA: FolderRead;
  readB: FolderRead;
}

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

  // 3. Record what is now true (pairs, B-only messages), before the long part.
  for (const op of diffRecords(nameA, nameB, job.recordsBefore, [...records.values()])) ctx.state.apply(op);
  await ctx.state.flush();

  /** Record a message not copied as A-only (with A's flags as the base), so the next run tries again. */
  const keepAsAOnly = (action: AppendAction): void => {
    const flags = job.snapshotA.get(action.uidA)?.flags ?? action.flags;
    ctx.state.apply({ op: 'put', nameA, nameB, record: { uidA: action.uidA, uidB: 0, gid: action.gid, flags: [...flags] } });
  };

  // 4. Copy what B lacks, in batches; fetch the next batch from A while B stores this one.
  const batches = batchAppends(plan.appends);
  let pendingBodies = batches.length > 0 ? fetchBatch(ctx.storeA, batches[0]!) : undefined;
  let interrupted = false;
  let unread = 0;
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i]!;
    // Fetched while B stored the previous batch, or (when the two were too big together) now.
    const { bodies, refused } = await (pendingBodies ?? fetchBatch(ctx.storeA, batch));
    pendingBodies = undefined;
    if (ctx.signal?.aborted) {
      interrupted = true;
      break;
    }
    if (i + 1 < batches.length && mayOverlap(batch, batches[i + 1]!)) pendingBodies = fetchBatch(ctx.storeA, batches[i + 1]!);

    const toSend: { action: AppendAction; message: AppendMessage }[] = [];
    for (const action of batch) {
      const body = bodies.get(action.uidA);
      const refusal = refused.get(action.uidA);
      if (refusal !== undefined) {
        // A body far larger than A announced: not copied, listed, and known as A-only so the next run tries again.
        fail({ uid: action.uidA, side: 'A', reason: refusal });
        keepAsAOnly(action);
        continue;
      }
      if (!body) {
        // Most likely expunged on A since it was read; but if the server merely
        // failed to return it, forgetting it would lose it for good. So it is
        // recorded as A-only and the folder is read again next run: the message
        // is then copied, or its record dropped as vanished.
        ctx.observer.verbose(`${job.label}: A UID ${action.uidA} could not be read (expunged meanwhile?); looked at again next run`);
        keepAsAOnly(action);
        unread++;
        continue;
      }
      const envelope = job.envelopesA.get(action.uidA);
      if (!envelope) throw new Error(`internal: no envelope for A UID ${action.uidA} in ${job.label}`);
      toSend.push({ action, message: { body, flags: action.flags, internalDate: envelope.internalDate } });
    }
    if (toSend.length === 0) continue;

    for (const { action } of toSend) ctx.state.apply({ op: 'intent', nameA, nameB, uidA: action.uidA, gid: action.gid });
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
      const baseFlags = job.snapshotA.get(action.uidA)?.flags ?? action.flags;
      if (outcome?.ok) {
        batchMessages++;
        batchBytes += message.body.length;
        if (outcome.uid) result.maxAppendedUid = Math.max(result.maxAppendedUid, outcome.uid);
        else result.appendsWithoutUid++;
        // Without UIDPLUS the B UID is unknown: keep the message as A-only; the
        // next run pairs it by global id with the copy it finds on B.
        ctx.state.apply({
          op: 'put', nameA, nameB,
          record: { uidA: action.uidA, uidB: outcome.uid ?? 0, gid: action.gid, flags: [...baseFlags] },
        });
      } else {
        fail({ uid: action.uidA, side: 'A', reason: outcome ? errorText(outcome.error) : 'no result from server' });
        keepAsAOnly(action);
      }
    });
    await ctx.state.flush();
    result.copied += batchMessages;
    result.bytes += batchBytes;
    ctx.observer.progress(job.label, batchMessages, batchBytes);
    if (ctx.onBatchDone) await ctx.onBatchDone();
  }
  await drain(pendingBodies);

  // 5. The folder is done: record the statuses the reads started from. A folder
  // with failures, unread messages, deletions the guard withheld, bodies the
  // plan could not compare, or cut short keeps its old statuses, so it is read
  // and planned again next run (and a withholding is reported again until
  // --force carries it out).
  const complete = result.failed === 0 && unread === 0 && plan.expungesWithheld === 0 && plan.uncompared === undefined;
  if (complete && !interrupted && !ctx.signal?.aborted) {
    ctx.state.apply({ op: 'status', nameA, nameB, side: 'a', status: job.readA.status });
    ctx.state.apply({ op: 'status', nameA, nameB, side: 'b', status: job.readB.status });
    result.statusRecorded = true;
  }
  await ctx.state.flush();
  return result;
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

function recordKey(r: MessageRecord): string {
  return `${r.uidA}:${r.uidB}`;
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
