// The act phase of one folder pair: open again the folders the plan acts on
// (refused if their UIDVALIDITY changed since they were read), hand the plan
// to the executor, and report; in a dry run, describe the plan instead.

import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import { executeFolderPlan, leftOutOf, type ReadOutcome } from './executor.js';
import { describeFlagDelta } from './flags.js';
import { expectedStatusOfB, type ExpectedStatus } from './ownWrites.js';
import { mayWrite, sideLabel, SIDES, type Side } from './side.js';
import type { PairPlan } from './planAccount.js';
import type { FolderResult, SyncObserver, SyncOptions, Withholding } from './types.js';

export interface PairExecuteContext {
  state: SyncState;
  options: SyncOptions;
  observer: SyncObserver;
  signal?: AbortSignal;
  onBatchDone?: () => Promise<void>;
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

export async function executePair(ctx: PairExecuteContext, pair: PairPlan, stores: { a: Store; b: Store }): Promise<PairResult> {
  const { plan, reading, work } = pair;
  const { job, reads } = reading;
  const alreadyThere = reading.messagesOnA - plan.appends.filter((a) => a.from === 'a').length;
  const common = {
    alreadyThere, expungesWithheld: plan.expungesWithheld, rollbacks: reading.rollbacks,
    ...(pair.withheld && { withheld: pair.withheld }), ...(pair.held && { held: pair.held }),
  };
  if (ctx.options.dryRun) {
    describePlan(ctx.observer, pair);
    return {
      folder: job.label, skipped: false, copied: work.appends, bytes: work.appendBytes,
      flagsUpdated: work.flagUpdates, expunged: work.expunges, failed: 0, ...common,
    };
  }
  // The folders the plan acts on, as they were read (the UIDs of the read must still hold): to copy
  // from, to change flags or expunge in, or to check what the read left out (an APPEND needs none).
  // Read-only on a side the mode does not write (the executor refuses any write there).
  for (const side of SIDES) {
    const actsOn = plan.appends.some((a) => a.from === side) || plan.flagChanges.some((c) => c.side === side) ||
      plan.expunges.some((e) => e.side === side) || leftOutOf(reads[side]).length > 0;
    if (!actsOn) continue;
    const name = side === 'a' ? job.nameA : job.nameB;
    await stores[side].openFolder(name, { readOnly: !mayWrite(ctx.options.mode, side), uidValidity: reads[side].status.uidValidity });
  }
  const result = await executeFolderPlan(
    { stores, mode: ctx.options.mode, state: ctx.state, observer: ctx.observer, signal: ctx.signal, onBatchDone: ctx.onBatchDone },
    {
      nameA: job.nameA, nameB: job.nameB, label: job.label, plan, recordsBefore: reading.records,
      snapshots: reading.snapshots, envelopes: reading.envelopes, reads,
    },
  );
  const expectedB = expectedStatusOfB(ctx.options, job, reads.b, result);
  return {
    folder: result.folder, skipped: result.skipped, copied: result.copied, bytes: result.bytes,
    flagsUpdated: result.flagsUpdated, expunged: result.expunged, failed: result.failed,
    ...common, ...(expectedB && { expectedB }),
  };
}

function describePlan(observer: SyncObserver, pair: PairPlan): void {
  const { plan, work, reading } = pair;
  const { label, nameA, nameB } = reading.job;
  const nameOn = (side: Side): string => (side === 'a' ? nameA : nameB);
  if (work.appends > 0) {
    observer.wouldDo(`${label}: copy ${work.appends} messages (${work.appendBytes} bytes) to B ${nameB}`);
    for (const a of plan.appends) {
      const size = reading.envelopes[a.from].get(a.uid)?.size ?? a.size;
      observer.verbose(`${label}: would copy ${sideLabel(a.from)} UID ${a.uid} (${size} bytes) to ${sideLabel(a.to)}: ${a.why}`);
    }
  }
  if (work.flagUpdates > 0) {
    observer.wouldDo(`${label}: update flags of ${work.flagUpdates} messages on B`);
    for (const c of plan.flagChanges) {
      observer.verbose(`${label}: would set ${sideLabel(c.side)} UID ${c.uid} ${describeFlagDelta(c)}: ${c.why}`);
    }
  }
  for (const e of plan.expunges) {
    const side = sideLabel(e.side);
    observer.wouldDo(`${label}: delete ${side} UID ${e.uid} (global id ${e.record.gid}) from ${side} ${nameOn(e.side)}: ${e.why}`);
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
