// The account's one transfer queue (issue 9 §1): every pair's copies cut into
// batches (newest first within the pair, as ever), then all batches of the
// account in one order: folder priority tier first (--priority, INBOX, \Sent,
// \Drafts, the rest), then, within a tier, the newest INTERNALDATE of the
// batch, across folders. The act phase's workers take the queue's turns in
// order; a turn is a run of consecutive batches of one pair, so a folder whose
// batches come one after another is opened once. Pure: decided from the plan.

import { inBatches } from './batches.js';
import type { CopyEnvelopes } from './copyEnvelopes.js';
import type { CopyAction } from './planTypes.js';
import { SIDES, type Side } from './side.js';

/** What the queue looks at of one pair (given in act order: its rank breaks ties). */
export interface QueuedPair {
  /** Its priority tier (folderOrder.ts tierRule), lower first. */
  tier: number;
  /** The copies' envelopes, for their INTERNALDATE. */
  envelopes: Record<Side, CopyEnvelopes>;
  /** The copies the executor is ready to make, by source side. */
  copies: Record<Side, readonly CopyAction[]>;
}

/** Copies from one side sent together (one fetch, one append). */
export interface CopyBatch {
  from: Side;
  copies: CopyAction[];
}

/** Consecutive batches of one pair in the queue; `last`: the pair is finished after this turn. */
export interface CopyTurn {
  /** The pair's index in the input. */
  pair: number;
  batches: CopyBatch[];
  last: boolean;
}

/** A pair's batches, A's copies first, each side's newest first (see newestFirst). */
export function pairBatches(pair: Pick<QueuedPair, 'envelopes' | 'copies'>): CopyBatch[] {
  return SIDES.flatMap((from) => inBatches(newestFirst(pair.envelopes[from], pair.copies[from]), (a) => a.size).map((copies) => ({ from, copies })));
}

/**
 * The account's turns: batches by tier, then newest first across the pairs of
 * a tier (a batch's date is the newest of its own and the batches before it of
 * its side, so each side's batches keep their order), ties by act order. A
 * pair without copies gets one empty turn after its tier's batches (its flags,
 * its checks, its statuses).
 */
export function copyQueue(pairs: readonly QueuedPair[]): CopyTurn[] {
  const keyed: { tier: number; at: number; pair: number; seq: number; batch?: CopyBatch }[] = [];
  pairs.forEach((pair, index) => {
    const batches = pairBatches(pair);
    if (batches.length === 0) keyed.push({ tier: pair.tier, at: -Infinity, pair: index, seq: 0 });
    let at = Infinity;
    let from: Side | undefined;
    batches.forEach((batch, seq) => {
      if (batch.from !== from) [at, from] = [Infinity, batch.from];
      at = Math.min(at, newestOf(pair.envelopes[batch.from], batch.copies));
      keyed.push({ tier: pair.tier, at, pair: index, seq, batch });
    });
  });
  keyed.sort((x, y) => x.tier - y.tier || compareNewest(x.at, y.at) || x.pair - y.pair || x.seq - y.seq);
  const turns: CopyTurn[] = [];
  for (const k of keyed) {
    const previous = turns[turns.length - 1];
    const turn = previous?.pair === k.pair ? previous : (turns[turns.length] = { pair: k.pair, batches: [], last: false });
    if (k.batch) turn.batches.push(k.batch);
  }
  const seen = new Set<number>();
  for (let i = turns.length - 1; i >= 0; i--) {
    const turn = turns[i]!;
    if (!seen.has(turn.pair)) turn.last = true;
    seen.add(turn.pair);
  }
  return turns;
}

/**
 * Copies by INTERNALDATE, newest first (issue 9 §1: the newest mail arrives
 * first); ties by UID. Copies sharing a global id keep their UID order among
 * the places they take: a run that died before recording its appends pairs
 * such twins by UID order on both sides (matchByGid), so the target must
 * receive them in their source's order.
 */
export function newestFirst(envelopes: CopyEnvelopes, copies: readonly CopyAction[]): CopyAction[] {
  const sorted = copies
    .map((action) => ({ action, at: dateOf(envelopes, action) }))
    .sort((x, y) => y.at - x.at || x.action.uid - y.action.uid)
    .map((k) => k.action);
  const twins = new Map<string, CopyAction[]>();
  for (const a of sorted) {
    const list = twins.get(a.gid);
    if (list === undefined) twins.set(a.gid, [a]);
    else list.push(a);
  }
  const inUidOrder = new Map([...twins].filter(([, list]) => list.length > 1).map(([gid, list]) => [gid, [...list].sort((x, y) => x.uid - y.uid)]));
  if (inUidOrder.size === 0) return sorted;
  return sorted.map((a) => inUidOrder.get(a.gid)?.shift() ?? a);
}

/** A copy's INTERNALDATE in ms (0 when unknown or invalid: oldest). */
function dateOf(envelopes: CopyEnvelopes, action: CopyAction): number {
  return envelopes.get(action.uid)?.internalDate.getTime() || 0;
}

function newestOf(envelopes: CopyEnvelopes, copies: readonly CopyAction[]): number {
  return copies.reduce((max, a) => Math.max(max, dateOf(envelopes, a)), -Infinity);
}

/** Newer first. */
function compareNewest(x: number, y: number): number {
  return x === y ? 0 : y > x ? 1 : -1;
}
