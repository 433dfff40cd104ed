// The act phase of one folder pair: open again the folders the plan acts on
// (refused if their UIDVALIDITY changed since they were read), hand the plan
// to the executor, and report; in a dry run, describe the plan instead.

import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import { executeFolderPlan, leftOutOf, type ReadOutcome } from './executor.js';
import { expectedStatusOfB, type ExpectedStatus } from './ownWrites.js';
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
  const alreadyThere = countOnA(reading) - plan.appends.length;
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
  // The folders the plan acts on, as they were read (the UIDs of the read must still hold).
  if (plan.appends.length > 0 || leftOutOf(reads.a).length > 0) {
    await stores.a.openFolder(job.nameA, { readOnly: true, uidValidity: reads.a.status.uidValidity });
  }
  if (plan.flagChanges.length > 0 || plan.expunges.length > 0 || leftOutOf(reads.b).length > 0) {
    await stores.b.openFolder(job.nameB, { readOnly: false, uidValidity: reads.b.status.uidValidity });
  }
  const result = await executeFolderPlan(
    { storeA: stores.a, storeB: stores.b, state: ctx.state, observer: ctx.observer, signal: ctx.signal, onBatchDone: ctx.onBatchDone },
    {
      nameA: job.nameA, nameB: job.nameB, label: job.label, plan, recordsBefore: reading.records,
      snapshotA: reading.snapshotA, envelopesA: reading.envelopesA, readA: reads.a, readB: reads.b,
    },
  );
  const expectedB = expectedStatusOfB(ctx.options, job, reads.b, result);
  return {
    folder: result.folder, skipped: result.skipped, copied: result.copied, bytes: result.bytes,
    flagsUpdated: result.flagsUpdated, expunged: result.expunged, failed: result.failed,
    ...common, ...(expectedB && { expectedB }),
  };
}

/** Messages A holds in the folder now. */
function countOnA(reading: PairPlan['reading']): number {
  return reading.snapshotA.size;
}

function describePlan(observer: SyncObserver, pair: PairPlan): void {
  const { plan, work, reading } = pair;
  const { label, nameB } = reading.job;
  if (work.appends > 0) {
    observer.wouldDo(`${label}: copy ${work.appends} messages (${work.appendBytes} bytes) to B ${nameB}`);
    for (const a of plan.appends) {
      observer.verbose(`${label}: would copy A UID ${a.uidA} (${reading.envelopesA.get(a.uidA)?.size ?? a.size} bytes)`);
    }
  }
  if (work.flagUpdates > 0) {
    observer.wouldDo(`${label}: update flags of ${work.flagUpdates} messages on B`);
    for (const c of plan.flagChanges) {
      const change = [...c.add.map((f) => `+${f}`), ...c.remove.map((f) => `-${f}`)].join(' ');
      observer.verbose(`${label}: would set B UID ${c.uidB} ${change}`);
    }
  }
  for (const e of plan.expunges) {
    observer.wouldDo(`${label}: delete B UID ${e.uidB} (global id ${e.record.gid}) from B ${nameB}`);
  }
  describeUnreturned(observer, label, [
    ...plan.appends.filter((a) => !reading.envelopesA.has(a.uidA)).map((a) => ({ side: 'A', uid: a.uidA, missing: 'envelope' })),
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
