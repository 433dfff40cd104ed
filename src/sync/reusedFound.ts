// Known UIDs a size question found holding another message than the state
// records there (planner, pure). The folder's counters hid a restore plus new
// mail, so this side's records of the folder are not to be trusted in this
// run: no flag change and no deletion on such a UID (they were meant for the
// recorded message, and would hit the new one), a warning, and the folder's
// statuses are not recorded (FolderPlan.reusedFound), so it is read again next run.

import type { FolderPlan } from './planTypes.js';
import type { FoundReused } from './planTransfers.js';
import { SIDES, sideLabel } from './side.js';
import type { FolderPairJob, PlannedWork } from './types.js';

/** What of a pair's plan this reads and rewrites (PairPlan has it). */
interface ReusedPair {
  reading: { job: FolderPairJob };
  plan: FolderPlan;
  work: PlannedWork;
}

/** Each pair's plan without flag changes and deletions on the UIDs found reused (their records kept), each warned of in `warnings`. */
export function leaveReusedAlone<P extends ReusedPair>(pairs: readonly P[], found: readonly FoundReused[] | undefined, warnings: string[]): P[] {
  if (found === undefined || found.length === 0) return [...pairs];
  return pairs.map((p) => {
    const here = found.filter((f) => f.label === p.reading.job.label);
    if (here.length === 0) return p;
    const left = withoutActionsOn(p, here);
    for (const side of SIDES) warnings.push(...warning(p.reading.job.label, side, here));
    return left;
  });
}

function withoutActionsOn<P extends ReusedPair>(pair: P, found: readonly FoundReused[]): P {
  const hit = (side: 'a' | 'b', uid: number): boolean => found.some((f) => f.side === side && f.uid === uid);
  const { plan } = pair;
  const flagChanges = plan.flagChanges.filter((c) => !hit(c.side, c.uid));
  const kept = plan.expunges.filter((e) => hit(e.side, e.uid));
  const expunges = plan.expunges.filter((e) => !hit(e.side, e.uid));
  const reusedFound = SIDES.flatMap((side) => found.filter((f) => f.side === side).map((f) => ({ side, uid: f.uid })));
  return {
    ...pair,
    plan: { ...plan, flagChanges, expunges, records: [...plan.records, ...kept.map((e) => e.record)], reusedFound },
    work: { ...pair.work, flagUpdates: flagChanges.length, expunges: expunges.length },
  };
}

function warning(label: string, side: 'a' | 'b', found: readonly { side: 'a' | 'b'; uid: number }[]): string[] {
  const uids = found.filter((f) => f.side === side).map((f) => f.uid);
  if (uids.length === 0) return [];
  const which = uids.length === 1 ? `UID ${uids[0]} holds` : `UIDs ${uids.join(' ')} hold`;
  return [
    `${label}: ${sideLabel(side)} ${which} another message than recorded although its counters are as recorded ` +
      `(restored from a backup?); not changing ${uids.length === 1 ? 'its' : 'their'} flags or deleting ${uids.length === 1 ? 'it' : 'them'} in this run; ` +
      'the folder is read again next run',
  ];
}
