// The guard's decision revisited in the account's plan (pure): a deletion
// from folder X of a message that arrives in another folder of the same side
// in this run (moved there on the other side: appended, or moved or copied by
// the server), or that the side keeps in another folder (a copy a killed run
// made before its deletion), is no loss, so neither the folder's limit nor the
// account-wide count counts it. Only the account's plan knows what arrives where; each
// pair's guard decided alone (planGuarded) and kept, when it withheld, its
// plan with the deletions (GuardRecheck). A deletion counted as moved still
// waits for its copy (ExpungeAction.waitsForCopy, planAccount): were the copy
// to fail, nothing is deleted.

import { accountStillLacking, withholdingOf, type GuardRecheck } from './mirrorGuard.js';
import type { FolderPlan } from './planTypes.js';
import { other, SIDES, uidOn, type Side } from './side.js';
import type { AccountLoss, PlannedWork, Withholding } from './types.js';

/** A withheld pair's plan with its deletions, the guard's inputs, and that plan's work and warnings. */
export type PairRecheck = GuardRecheck & { work: PlannedWork; warnings: string[] };

/** What of a pair's plan the guard's second look reads and rewrites (PairPlan has it). */
export interface GuardedPair {
  reading: { job: { label: string } };
  plan: FolderPlan;
  work: PlannedWork;
  warnings: string[];
  withheld?: Withholding;
  recheck?: PairRecheck;
}

/** The pairs, each withheld one planned with its deletions when, moves not counted, the guard lets them go. */
export function releaseMoves<P extends GuardedPair>(pairs: readonly P[]): P[] {
  if (!pairs.some((p) => p.recheck !== undefined)) return [...pairs];
  const moved = movedOut(pairs);
  const cleared = accountsCleared(pairs, moved);
  return pairs.map((p, i) => {
    const { recheck } = p;
    if (recheck === undefined) return p;
    const accountCleared = recheck.guard.accountLoss !== undefined && cleared.has(recheck.guard.accountLoss.side);
    if (withholdingOf(recheck, moved[i]!, accountCleared) !== undefined) return p;
    const { withheld: _withheld, recheck: _recheck, ...rest } = p;
    return { ...rest, plan: recheck.plan, work: recheck.work, warnings: recheck.warnings } as P;
  });
}

/**
 * Per pair and side, how many of its deletions (those it would make: a
 * withheld pair's too) are of a global id that side has in another folder
 * after this run: arriving there (appended, moved or copied) or kept there (a
 * record the pair's plan does not delete, e.g. the copy a killed COPY +
 * EXPUNGE left). Each such message accounts for one deletion only, in pair order.
 */
function movedOut(pairs: readonly GuardedPair[]): Record<Side, number>[] {
  const elsewhere = { a: new Map<string, string[]>(), b: new Map<string, string[]>() };
  const add = (side: Side, gid: string, label: string): void => {
    const labels = elsewhere[side].get(gid);
    if (labels === undefined) elsewhere[side].set(gid, [label]);
    else labels.push(label);
  };
  for (const p of pairs) for (const copy of p.plan.appends) add(copy.to, copy.gid, p.reading.job.label);
  for (const p of pairs) {
    const plan = p.recheck?.plan ?? p.plan;
    for (const side of SIDES) {
      const deleted = new Set(plan.expunges.filter((e) => e.side === side).map((e) => e.uid));
      for (const r of plan.records) if (uidOn(r, side) !== 0 && !deleted.has(uidOn(r, side))) add(side, r.gid, p.reading.job.label);
    }
  }
  return pairs.map((p) => {
    const label = p.reading.job.label;
    const out = { a: 0, b: 0 };
    for (const e of (p.recheck?.plan ?? p.plan).expunges) {
      const labels = elsewhere[e.side].get(e.record.gid);
      const at = labels?.findIndex((to) => to !== label) ?? -1;
      if (at < 0) continue;
      labels!.splice(at, 1);
      out[e.side]++;
    }
    return out;
  });
}

/**
 * The sides whose account-wide count no longer withholds once the messages
 * moved out of its withheld folders are not counted as lacking (a folder's
 * moves count up to what that folder dropped). Their deletions land on the
 * other side: mirror's A lacks, B deletes.
 */
function accountsCleared(pairs: readonly GuardedPair[], moved: readonly Record<Side, number>[]): Set<Side> {
  const losses = new Map<Side, { loss: AccountLoss; movedBack: number }>();
  pairs.forEach((p, i) => {
    const loss = p.recheck?.guard.accountLoss;
    if (loss === undefined) return;
    const back = Math.min(loss.dropped, moved[i]![other(loss.side)]);
    const seen = losses.get(loss.side);
    losses.set(loss.side, { loss, movedBack: (seen?.movedBack ?? 0) + back });
  });
  return new Set(SIDES.filter((side) => {
    const count = losses.get(side);
    return count !== undefined && !accountStillLacking(count.loss, count.movedBack);
  }));
}
