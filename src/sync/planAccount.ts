// The plan phase: every folder pair read in this run is planned (pure: no
// I/O), then the account's plan is put together: the folder plans in the
// order they will be carried out, the exact work of each, the warnings the
// plans call for (a keyword B cannot store is named once for the account),
// and an index by global id across folders, which tells a message that left
// one folder of A for another (copied to its new folder, deleted from its old
// one in mirror mode: the executor copies first, everywhere, and deletes last).

import { planGuarded } from './mirrorGuard.js';
import type { FolderPlan, SideSnapshot } from './planTypes.js';
import type { PairReading } from './pairRead.js';
import { SIDES, type Side } from './side.js';
import type { PlannedWork, Withholding } from './types.js';

export interface PairPlan {
  /**
   * The reading, less the planner's input but for the snapshots of the sides
   * the plan copies from (the executor's one-sided records take their flags
   * from them), and A's size (for what is already there).
   */
  reading: Omit<PairReading, 'input'> & { snapshots: Partial<Record<Side, SideSnapshot>>; messagesOnA: number };
  plan: FolderPlan;
  /** Mirror: the guard withheld this folder's deletions, with why. */
  withheld?: Withholding;
  /** Mirror: deletions withheld because A lost those messages in a rollback (held records). */
  held?: Withholding;
  work: PlannedWork;
  /** What the plan calls for saying (reused UIDs, deletions in doubt, bodies not compared, the guard). */
  warnings: string[];
}

/** A global id the plans copy into one folder and delete from another. */
export interface MovedMessage {
  gid: string;
  from: string;
  to: string;
}

export interface AccountPlan {
  /** In the order of the readings (INBOX first). */
  pairs: PairPlan[];
  /** Keywords each side cannot store, each once for the account (copies lack them). */
  droppedKeywords: { a: string[]; b: string[] };
  /** Messages that left one folder for another (by global id, across the account's plans). */
  moved: MovedMessage[];
}

/**
 * @param blind what of A the run could not see (a folder not read, a message
 *   without identity), when something: a message may have moved there, so
 *   mirror's deletions all wait, kept in doubt (the folders are planned again next run).
 */
export function planAccount(readings: readonly PairReading[], blind?: string): AccountPlan {
  const planned = readings.map((reading) => (blind === undefined ? planPair(reading) : deletionsInDoubt(planPair(reading), blind)));
  const dropped = { a: new Set<string>(), b: new Set<string>() };
  for (const p of planned) for (const side of SIDES) for (const keyword of p.plan.droppedKeywords[side]) dropped[side].add(keyword);
  const moved = movedAcrossFolders(planned);
  return { pairs: deletionsAfterCopies(planned, moved), droppedKeywords: { a: [...dropped.a].sort(), b: [...dropped.b].sort() }, moved };
}

/** A pair's deletions kept, in doubt: the message may have moved where the run could not see. */
function deletionsInDoubt(pair: PairPlan, blind: string): PairPlan {
  const { plan } = pair;
  const n = plan.expunges.length;
  if (n === 0) return pair;
  const label = pair.reading.job.label;
  return {
    ...pair,
    plan: { ...plan, expunges: [], records: [...plan.records, ...plan.expunges.map((e) => e.record)], expungesInDoubt: (plan.expungesInDoubt ?? 0) + n },
    work: { ...pair.work, expunges: 0 },
    warnings: [
      ...pair.warnings,
      `${label}: not deleting ${n} B message${n === 1 ? '' : 's'} A lacks in this run: ${blind}, and they may have moved there`,
    ],
  };
}

/**
 * A deletion of a message the plan also copies into another folder (it moved
 * there) waits for that copy (ExpungeAction.waitsForCopy): were the copy to
 * fail, the message would be in neither folder of that side. Every deletion of
 * such a global id waits, however many copies of it move.
 */
function deletionsAfterCopies(pairs: PairPlan[], moved: readonly MovedMessage[]): PairPlan[] {
  if (moved.length === 0) return pairs;
  const copiedInto = new Map<string, string[]>();
  for (const p of pairs) {
    for (const { gid } of p.plan.appends) {
      const labels = copiedInto.get(gid);
      if (labels === undefined) copiedInto.set(gid, [p.reading.job.label]);
      else labels.push(p.reading.job.label);
    }
  }
  return pairs.map((p) => {
    const label = p.reading.job.label;
    const elsewhere = (gid: string): string | undefined => copiedInto.get(gid)?.find((to) => to !== label);
    if (!p.plan.expunges.some((e) => elsewhere(e.record.gid) !== undefined)) return p;
    const expunges = p.plan.expunges.map((e) => {
      const to = elsewhere(e.record.gid);
      return to === undefined ? e : { ...e, waitsForCopy: to, why: `${e.why}; it moved to ${to}: deleted once its copy there is confirmed` };
    });
    return { ...p, plan: { ...p.plan, expunges } };
  });
}

function planPair(reading: PairReading): PairPlan {
  const { input, ...kept } = reading;
  const { plan, withheld, held } = planGuarded(input, reading.guard);
  const work: PlannedWork = {
    appends: plan.appends.length,
    appendBytes: plan.appends.reduce((sum, a) => sum + (reading.envelopes[a.from].get(a.uid)?.size ?? a.size), 0),
    flagUpdates: plan.flagChanges.length,
    expunges: plan.expunges.length,
  };
  return {
    reading: { ...kept, snapshots: sourceSnapshots(input, plan), messagesOnA: input.a.size }, plan, work,
    ...(withheld && { withheld }), ...(held && { held }),
    warnings: [...planWarnings(reading, plan), ...[withheld, held].flatMap((w) => (w ? [w.reason] : []))],
  };
}

/** The snapshots of the sides the plan copies from (only those: the account plan holds every folder's). */
function sourceSnapshots(input: PairReading['input'], plan: FolderPlan): Partial<Record<Side, SideSnapshot>> {
  const out: Partial<Record<Side, SideSnapshot>> = {};
  for (const copy of plan.appends) out[copy.from] = input[copy.from];
  return out;
}

function planWarnings(reading: PairReading, plan: FolderPlan): string[] {
  const label = reading.job.label;
  const out: string[] = [];
  for (const side of ['a', 'b'] as const) {
    const uids = plan.reusedUids.filter((r) => r.side === side).map((r) => r.uid);
    if (uids.length === 0) continue;
    const which = uids.length === 1 ? `UID ${uids[0]} now holds` : `${uids.length} UIDs (${uids[0]}…${uids[uids.length - 1]}) now hold`;
    out.push(
      `${label}: ${side.toUpperCase()} ${which} a different message than recorded (UIDs reused); ` +
        `treating ${uids.length === 1 ? 'it as a new message' : 'them as new messages'}`,
    );
  }
  if (plan.expungesInDoubt !== undefined) {
    out.push(
      `${label}: not deleting ${plan.expungesInDoubt} B message${plan.expungesInDoubt === 1 ? '' : 's'} A lacks: ` +
        'A holds messages it did not list or identify (listed as failed), which may be these',
    );
  }
  if (plan.uncompared !== undefined) {
    const why = reading.digestErrors.join('; ');
    out.push(
      `${label}: could not compare the bodies of ${plan.uncompared} messages that share a global id` +
        `${why ? ` (${why})` : ''}; keeping B's and copying A's rather than deleting; the folder is read again next run`,
    );
  }
  return out;
}

/** The index by global id: copied into one folder, deleted from another. */
function movedAcrossFolders(pairs: readonly PairPlan[]): MovedMessage[] {
  const deletedFrom = new Map<string, string[]>();
  for (const p of pairs) {
    for (const e of p.plan.expunges) {
      const folders = deletedFrom.get(e.record.gid);
      if (folders === undefined) deletedFrom.set(e.record.gid, [p.reading.job.label]);
      else folders.push(p.reading.job.label);
    }
  }
  if (deletedFrom.size === 0) return [];
  const moved: MovedMessage[] = [];
  for (const p of pairs) {
    for (const a of p.plan.appends) {
      const from = deletedFrom.get(a.gid)?.find((label) => label !== p.reading.job.label);
      if (from !== undefined) moved.push({ gid: a.gid, from, to: p.reading.job.label });
    }
  }
  return moved;
}
