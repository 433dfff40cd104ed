// Messages found at reused UIDs get new ones (issue 8 §2). A server restored
// from a backup, or whose index was rebuilt, gave the UID the state recorded
// for message X to another message Y: a client that cached that UID would show
// X's text for Y. Y is kept and moved within its own folder (UID MOVE, or UID
// COPY then UID EXPUNGE of the old UID), which gives it a new UID; X comes back
// from the other side as planned.
//
// It runs last in the pair, after its appends, flag changes and deletions, so
// that every planned action still names Y by the UID it was read under. Crash
// safety: Y's record moves to the new UID once the server gave it (COPYUID),
// and only then is the old UID expunged. A kill after the COPY leaves Y twice
// (both kept: one known, one new, copied like any new message); a kill after
// the MOVE leaves the record naming the old UID, now gone: the next run finds
// Y at its new UID, unknown, and pairs it by global id (and digest) with its
// partner, as it does a message renumbered by a new UIDVALIDITY.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { MessageRecord } from '../state/types.js';
import type { CopyResult, FolderStatus, Store } from '../store/types.js';
import type { FolderPlan, UidReassignment } from './planTypes.js';
import { mayWrite, sideLabel, SIDES, uidOn, type Side } from './side.js';
import type { MessageFailure, ReassignedUid, SyncMode, SyncObserver } from './types.js';

/** What of a folder's execution (executor.ts) the reassignments use and change. */
export interface ReassignRun {
  ctx: { stores: { a: Store; b: Store }; mode: SyncMode; state: SyncState; observer: SyncObserver };
  job: { nameA: string; nameB: string; label: string; plan: Pick<FolderPlan, 'reassignments'>; reads: Record<Side, { status: FolderStatus }> };
  result: { reassigned?: ReassignedUid[]; maxAppendedUid: number; maxAppendedUidA: number };
  fail: (failure: Omit<MessageFailure, 'folder'>) => void;
}

/** The pair's reassignments on each side; `cannotAct`: why the folder could not be opened for them (each then fails). */
export async function reassignUids(run: ReassignRun, cannotAct: string | undefined): Promise<void> {
  const all = run.job.plan.reassignments ?? [];
  for (const side of SIDES) {
    const wanted = all.filter((r) => r.side === side);
    if (wanted.length === 0) continue;
    const refused = !mayWrite(run.ctx.mode, side)
      ? `refused: ${run.ctx.mode} mode never writes to ${sideLabel(side)}`
      : cannotAct === undefined ? undefined : `not given a new UID: ${cannotAct}`;
    if (refused !== undefined) {
      for (const r of wanted) run.fail({ uid: r.uid, side: sideLabel(side), reason: refused });
      continue;
    }
    await reassignOn(run, side, wanted);
  }
}

async function reassignOn(run: ReassignRun, side: Side, wanted: readonly UidReassignment[]): Promise<void> {
  const { ctx, job } = run;
  const store = ctx.stores[side];
  const name = side === 'a' ? job.nameA : job.nameB;
  const how = wanted[0]!.how;
  const uids = wanted.map((r) => r.uid);
  for (const r of wanted) ctx.observer.verbose(`${job.label}: giving ${sideLabel(side)} UID ${r.uid} a new UID (${how}): ${r.why}`);
  let result: CopyResult;
  try {
    const method = how === 'move' ? store.moveMessages : store.copyMessages;
    if (method === undefined) throw new StoreError('folder', `${sideLabel(side)} cannot ${how} messages`);
    result = await method.call(store, uids, name);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    for (const uid of uids) run.fail({ uid, side: sideLabel(side), reason: `not given a new UID (${how}): ${err.message}` });
    return;
  }
  // New UIDs under another UIDVALIDITY than read name nothing the state knows: the next run pairs them by global id.
  const sameFolder = result.uidValidity === undefined || result.uidValidity === job.reads[side].status.uidValidity;
  const newUids = sameFolder ? result.uids : new Map<number, number>();
  recordNewUids(run, side, newUids);
  await ctx.state.flush();
  if (how === 'copy') await expungeOldUids(run, side, uids);
  const given = (run.result.reassigned ??= []);
  for (const uid of uids) {
    const newUid = newUids.get(uid);
    given.push({ side: sideLabel(side) as 'A' | 'B', uid, ...(newUid !== undefined && { newUid }) });
    if (newUid !== undefined) raiseMaxAppended(run, side, newUid);
  }
}

/** Each record naming an old UID now names the new one (a record without a new UID keeps the old: the next run pairs by gid). */
function recordNewUids(run: ReassignRun, side: Side, newUids: ReadonlyMap<number, number>): void {
  const { ctx, job } = run;
  if (newUids.size === 0) return;
  // Rare: index this folder's records only now.
  const byOld = new Map<number, MessageRecord>();
  for (const r of ctx.state.folder(job.nameA, job.nameB)?.records() ?? []) if (newUids.has(uidOn(r, side))) byOld.set(uidOn(r, side), r);
  for (const [oldUid, newUid] of newUids) {
    const record = byOld.get(oldUid);
    if (record === undefined) continue;
    ctx.state.apply({ op: 'del', nameA: job.nameA, nameB: job.nameB, uidA: record.uidA, uidB: record.uidB });
    ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record: side === 'a' ? { ...record, uidA: newUid } : { ...record, uidB: newUid } });
  }
}

/** Without MOVE: the old UIDs go once their copies are recorded. A failure leaves the message twice (listed; never a loss). */
async function expungeOldUids(run: ReassignRun, side: Side, uids: number[]): Promise<void> {
  try {
    await run.ctx.stores[side].expungeMessages(uids);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    for (const uid of uids) run.fail({ uid, side: sideLabel(side), reason: `copied to a new UID, but the old UID was not expunged: ${err.message}` });
  }
}

/** A new UID counts as our own write: the side's recorded UIDNEXT goes past it (see statusAfterAppends). */
function raiseMaxAppended(run: ReassignRun, side: Side, uid: number): void {
  if (side === 'b') run.result.maxAppendedUid = Math.max(run.result.maxAppendedUid, uid);
  else run.result.maxAppendedUidA = Math.max(run.result.maxAppendedUidA, uid);
}
