// Planning, pure (no I/O): each folder pair as soon as it is read (planPair:
// its plan, exact work and warnings; the planner's input is then dropped, so
// the read phase holds one pair's snapshots at a time per connection), then,
// once every pair is read, the account's plan from all of them (planAccount):
// a keyword a side cannot store named once, an index by global id across
// folders, which tells a message that left one folder of A for another (its
// deletion from the old one waits for its copy in the new one, and the guard
// does not count it: guardMoves.ts), the copies a
// side's server can make itself from another folder (planTransfers.ts: moves
// and copies instead of appends, sizes asked for first where unknown), and,
// when the run could not see all of A, every deletion kept in doubt; a UID a
// size question found holding another message is left alone. Nothing
// is done before the account's plan is complete.

import { releaseMoves, type PairRecheck } from './guardMoves.js';
import { planGuarded } from './mirrorGuard.js';
import type { ExpungeAction, FolderPlan, TransferAction } from './planTypes.js';
import { planTransfers, type SizeQuestion, type TransferInput } from './planTransfers.js';
import { leaveReusedAlone } from './reusedFound.js';
import type { PairReading } from './pairRead.js';
import { SIDES, type Side } from './side.js';
import type { PlannedWork, Withholding } from './types.js';

export interface PairPlan {
  /** The reading, less the planner's input, and how many messages A holds (for what is already there). */
  reading: Omit<PairReading, 'input'> & { messagesOnA: number };
  plan: FolderPlan;
  /** Mirror: the guard withheld this folder's deletions, with why. */
  withheld?: Withholding;
  /** Mirror: deletions withheld because A lost those messages in a rollback (held records). */
  held?: Withholding;
  work: PlannedWork;
  /** What the plan calls for saying (reused UIDs, deletions in doubt, bodies not compared, the guard). */
  warnings: string[];
  /** Withheld: the plan with its deletions, for the account's plan to let go when they are moves (guardMoves.ts). */
  recheck?: PairRecheck;
}

/** A global id the plans copy into one folder and delete from another. */
export interface MovedMessage {
  gid: string;
  from: string;
  to: string;
}

export interface AccountPlan {
  /** In the order of the pair plans given. */
  pairs: PairPlan[];
  /** Keywords each side cannot store, each once for the account (copies lack them). */
  droppedKeywords: { a: string[]; b: string[] };
  /** Messages that left one folder for another (by global id, across the account's plans). */
  moved: MovedMessage[];
  /** Copies replaced by server-side moves and copies (planTransfers.ts); done before any pair's appends. */
  transfers: TransferAction[];
  /** Sizes to read before the final plan (see planTransfers): this plan is not acted on. Absent when none. */
  needSizes?: SizeQuestion[];
  /** Global ids, by side, whose unchanged pairs' records the planner wants (see planTransfers): this plan is not acted on. */
  needSources?: Record<Side, string[]>;
  /** What the account's view calls for saying (deletions kept in doubt). */
  warnings: string[];
}

/**
 * The account's plan from every pair's: deletions of a message copied into
 * another folder wait for that copy; when the run could not see all of A
 * (`blind`: a folder not read, a message without identity), a message may
 * have moved there, so mirror's deletions all wait, kept in doubt (the folders
 * are planned again next run).
 */
export function planAccount(planned: readonly PairPlan[], blind?: string, transfer?: TransferInput): AccountPlan {
  const warnings: string[] = [];
  const guarded = releaseMoves(planned);
  const doubted = blind === undefined ? guarded : guarded.map((p) => deletionsInDoubt(p, blind, warnings));
  // A UID the size questions found holding another message: nothing is done to it (reusedFound.ts).
  const inDoubt = leaveReusedAlone(doubted, transfer?.reused, warnings);
  const dropped = { a: new Set<string>(), b: new Set<string>() };
  for (const p of inDoubt) for (const side of SIDES) for (const keyword of p.plan.droppedKeywords[side]) dropped[side].add(keyword);
  const { pairs, transfers, needSizes, needSources } = transfer === undefined ? { pairs: inDoubt, transfers: [] } : planTransfers(inDoubt, transfer);
  const arrivals = arrivalsByGid(pairs, transfers);
  const moved = [...movedAcrossFolders(pairs, arrivals), ...transfers.filter((t) => t.kind === 'move').map((t) => ({ gid: t.copy.gid, from: t.source.label, to: t.target.label }))];
  return {
    pairs: deletionsAfterCopies(deletionsAfterDeferred(pairs), arrivals), droppedKeywords: { a: [...dropped.a].sort(), b: [...dropped.b].sort() },
    moved, transfers, warnings, ...(needSizes && { needSizes }), ...(needSources && { needSources }),
  };
}

/** Where each global id is copied to (appends and server-side copies and moves), by folder pair label, once per copy. */
function arrivalsByGid(pairs: readonly PairPlan[], transfers: readonly TransferAction[]): Map<string, string[]> {
  const into = new Map<string, string[]>();
  const add = (gid: string, label: string): void => {
    const labels = into.get(gid);
    if (labels === undefined) into.set(gid, [label]);
    else labels.push(label);
  };
  for (const p of pairs) for (const { gid } of p.plan.appends) add(gid, p.reading.job.label);
  for (const t of transfers) add(t.copy.gid, t.target.label);
  return into;
}

/** A pair's deletions kept, in doubt: the message may have moved where the run could not see. */
function deletionsInDoubt(pair: PairPlan, blind: string, warnings: string[]): PairPlan {
  const { plan } = pair;
  const n = plan.expunges.length;
  if (n === 0) return pair;
  const what = plan.expunges.every((e) => e.side === 'b') ? `B message${n === 1 ? '' : 's'} A lacks` : `message${n === 1 ? '' : 's'} the other side lacks`;
  warnings.push(`${pair.reading.job.label}: not deleting ${n} ${what} in this run: ${blind}, and they may have moved there`);
  return {
    ...pair,
    plan: { ...plan, expunges: [], records: [...plan.records, ...plan.expunges.map((e) => e.record)], expungesInDoubt: (plan.expungesInDoubt ?? 0) + n },
    work: { ...pair.work, expunges: 0 },
  };
}

/**
 * A deletion of a message the plan also copies into another folder (it moved
 * there) waits for that copy (ExpungeAction.waitsForCopy): were the copy to
 * fail, the message would be in neither folder of that side. Every deletion of
 * such a global id waits, however many copies of it move.
 */
function deletionsAfterCopies(pairs: PairPlan[], copiedInto: ReadonlyMap<string, readonly string[]>): PairPlan[] {
  if (copiedInto.size === 0) return pairs;
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

/**
 * A deletion of a message whose copy into another folder of that side the
 * message filter deferred (it moved there, held back by size or date) is kept,
 * in doubt: were it done, the side would hold the message nowhere until a
 * looser filter. Such a deletion comes back next run, and waits for the copy
 * once the filter lets it through.
 */
function deletionsAfterDeferred(pairs: PairPlan[]): PairPlan[] {
  const deferredInto = new Map<string, string[]>();
  for (const p of pairs) {
    if (p.plan.deferred === undefined) continue;
    for (const r of p.plan.records) {
      if (r.status !== 'deferred') continue;
      // Held back from the side whose UID it lacks.
      const key = `${r.uidA === 0 ? 'a' : 'b'}\u0000${r.gid}`;
      deferredInto.set(key, [...(deferredInto.get(key) ?? []), p.reading.job.label]);
    }
  }
  if (deferredInto.size === 0) return pairs;
  return pairs.map((p) => {
    const label = p.reading.job.label;
    const waits = (e: ExpungeAction): boolean => deferredInto.get(`${e.side}\u0000${e.record.gid}`)?.some((to) => to !== label) === true;
    const kept = p.plan.expunges.filter(waits);
    if (kept.length === 0) return p;
    const plan = {
      ...p.plan, expunges: p.plan.expunges.filter((e) => !waits(e)), records: [...p.plan.records, ...kept.map((e) => e.record)],
      expungesInDoubt: (p.plan.expungesInDoubt ?? 0) + kept.length,
    };
    return { ...p, plan, work: { ...p.work, expunges: p.work.expunges - kept.length } };
  });
}

/** One pair's plan (pure), with its exact work and what it calls for saying. */
export function planPair(reading: PairReading): PairPlan {
  const { input, ...kept } = reading;
  const { plan, withheld, held, recheck } = planGuarded(input, reading.guard);
  const heldReason = held ? [held.reason] : [];
  return {
    reading: { ...kept, messagesOnA: input.a.size }, plan, work: workOf(reading, plan),
    ...(withheld && { withheld }), ...(held && { held }),
    warnings: [...planWarnings(reading, plan), ...(withheld ? [withheld.reason] : []), ...heldReason],
    ...(recheck && { recheck: { ...recheck, work: workOf(reading, recheck.plan), warnings: [...planWarnings(reading, recheck.plan), ...heldReason] } }),
  };
}

function workOf(reading: PairReading, plan: FolderPlan): PlannedWork {
  return {
    appends: plan.appends.length,
    appendBytes: plan.appends.reduce((sum, a) => sum + (reading.envelopes[a.from].get(a.uid)?.size ?? a.size), 0),
    flagUpdates: plan.flagChanges.length,
    expunges: plan.expunges.length,
  };
}

function planWarnings(reading: PairReading, plan: FolderPlan): string[] {
  const label = reading.job.label;
  const out: string[] = [];
  for (const side of ['a', 'b'] as const) {
    const given = new Set((plan.reassignments ?? []).filter((r) => r.side === side).map((r) => r.uid));
    const uids = plan.reusedUids.filter((r) => r.side === side && !given.has(r.uid)).map((r) => r.uid);
    if (uids.length === 0) continue;
    const which = uids.length === 1 ? `UID ${uids[0]} now holds` : `${uids.length} UIDs (${uids[0]}…${uids[uids.length - 1]}) now hold`;
    out.push(
      `${label}: ${side.toUpperCase()} ${which} a different message than recorded (UIDs reused); ` +
        `treating ${uids.length === 1 ? 'it as a new message' : 'them as new messages'}`,
    );
  }
  if (plan.expungesOverFlagChanges !== undefined) {
    const n = plan.expungesOverFlagChanges;
    out.push(
      `${label}: deleting ${n} message${n === 1 ? '' : 's'} the other side expunged although ${n === 1 ? 'its' : 'their'} flags ` +
        'changed since the last run (the expunge wins; -v lists them)',
    );
  }
  if (plan.expungesInDoubt !== undefined) {
    const n = plan.expungesInDoubt;
    const [what, holder] = reading.input.mode === 'two-way' ? [`message${n === 1 ? '' : 's'} the other side lacks`, 'a side'] : [`B message${n === 1 ? '' : 's'} A lacks`, 'A'];
    out.push(
      `${label}: not deleting ${n} ${what}: ` +
        `${holder} holds messages it did not list or identify (listed as failed), which may be these`,
    );
  }
  // Asked before acting (see identitiesAnswered): still asked after it is a UID the server left out.
  for (const side of ['a', 'b'] as const) {
    const uids = plan.needIdentity?.[side] ?? [];
    if (uids.length === 0) continue;
    const which = uids.length === 1 ? `UID ${uids[0]}` : `UIDs ${uids.join(' ')}`;
    out.push(
      `${label}: not deleting ${side.toUpperCase()} ${which} the other side deleted: ` +
        `${side.toUpperCase()} did not say what ${uids.length === 1 ? 'it holds' : 'they hold'} now; the folder is read again next run`,
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

/** The index by global id: copied (appended or copied on the server) into one folder, deleted from another. */
function movedAcrossFolders(pairs: readonly PairPlan[], copiedInto: ReadonlyMap<string, readonly string[]>): MovedMessage[] {
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
  for (const [gid, labels] of copiedInto) {
    for (const to of labels) {
      const from = deletedFrom.get(gid)?.find((label) => label !== to);
      if (from !== undefined) moved.push({ gid, from, to });
    }
  }
  return moved;
}
