// Makes the stand-ins a plan asks for (--placeholders, StandInAction): the
// originals' envelopes and headers read from their side (one FETCH each per
// batch, never their bodies), each
// stand-in built (standIn.ts) and appended to the other side, its intent
// flushed first. A confirmed one replaces the original's deferred record by a
// record pairing the two (MessageRecord.standIn); a failed one leaves it
// deferred, listed as a failure, so the next run tries again.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { AppendOutcome, MessageEnvelope, Store } from '../store/types.js';
import type { FolderPlan, StandInAction } from './planTypes.js';
import { mayWrite, sideLabel, SIDES, uidsBySide, type Side } from './side.js';
import { buildStandIn } from './standIn.js';
import type { MessageFailure, SyncMode, SyncObserver } from './types.js';

/** What of a folder's execution (executor.ts) the stand-ins use and change. */
export interface StandInRun {
  ctx: { stores: { a: Store; b: Store }; mode: SyncMode; state: SyncState; observer: SyncObserver };
  job: { nameA: string; nameB: string; label: string; plan: Pick<FolderPlan, 'standIns'> };
  result: { maxAppendedUid: number; maxAppendedUidA: number };
  fail: (failure: Omit<MessageFailure, 'folder'>) => void;
}

/** The pair's stand-ins, from each side in turn. */
export async function makeStandIns(run: StandInRun): Promise<void> {
  for (const from of SIDES) {
    const actions = (run.job.plan.standIns ?? []).filter((a) => a.from === from);
    if (actions.length === 0) continue;
    const to = actions[0]!.to;
    if (!mayWrite(run.ctx.mode, to)) {
      for (const a of actions) run.fail({ uid: a.uid, side: sideLabel(from), reason: `no stand-in: ${run.ctx.mode} mode never writes to ${sideLabel(to)}` });
      continue;
    }
    try {
      await makeFrom(run, from, actions);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      for (const a of actions) run.fail({ uid: a.uid, side: sideLabel(from), reason: `no stand-in: ${err.message}` });
    }
  }
}

async function makeFrom(run: StandInRun, from: Side, actions: readonly StandInAction[]): Promise<void> {
  const { ctx, job } = run;
  const to = actions[0]!.to;
  const uids = actions.map((a) => a.uid);
  const envelopes = new Map<number, MessageEnvelope>((await ctx.stores[from].fetchEnvelopes(uids)).map((e) => [e.uid, e]));
  const headers = await ctx.stores[from].fetchHeaders(uids);
  const ready = actions.flatMap((action) => {
    const envelope = envelopes.get(action.uid);
    if (envelope === undefined) {
      run.fail({ uid: action.uid, side: sideLabel(from), reason: 'no stand-in: the server returned no envelope' });
      return [];
    }
    return [{ action, envelope, standIn: buildStandIn({ ...envelope, header: headers.get(action.uid) }, action.gid) }];
  });
  if (ready.length === 0) return;
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
}

/** A confirmed stand-in pairs with its original; one whose UID the server did not name, or that failed, leaves it deferred. */
function recordOutcome(run: StandInRun, action: StandInAction, standInGid: string, outcome: AppendOutcome | undefined): void {
  const { ctx, job, result } = run;
  if (outcome?.ok !== true || outcome.uid === undefined) {
    const reason = outcome === undefined ? 'no result from server' : outcome.ok ? 'the server named no UID for it (no UIDPLUS)' : outcome.error.message;
    run.fail({ uid: action.uid, side: sideLabel(action.from), reason: `stand-in on ${sideLabel(action.to)}: ${reason}` });
    return;
  }
  if (action.to === 'b') result.maxAppendedUid = Math.max(result.maxAppendedUid, outcome.uid);
  else result.maxAppendedUidA = Math.max(result.maxAppendedUidA, outcome.uid);
  const record = {
    ...uidsBySide(action.from, action.uid, outcome.uid), gid: action.gid, flags: [...action.sourceFlags], standIn: action.to, standInGid, size: action.size,
  };
  ctx.state.apply({ op: 'put', nameA: job.nameA, nameB: job.nameB, record });
}
