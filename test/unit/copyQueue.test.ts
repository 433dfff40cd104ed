// The account's copy queue (copyQueue.ts), pure: by tier, then newest batch
// first across the pairs of a tier; each pair's batches keep their order; a
// pair is marked finished on its last turn only.

import { describe, expect, it } from 'vitest';
import { BATCH_MAX_MESSAGES } from '../../src/sync/batches.js';
import { copyQueue, newestFirst, pairBatches, type CopyTurn, type QueuedPair } from '../../src/sync/copyQueue.js';
import type { CopyEnvelope } from '../../src/sync/copyEnvelopes.js';
import type { CopyAction } from '../../src/sync/planTypes.js';
import type { Side } from '../../src/sync/side.js';

const DAY = 86_400_000;

/** A pair copying from `from` one message per day given (UID = position + 1, global id unique unless `gids`). */
function pair(tier: number, days: readonly number[], from: Side = 'a', gids?: readonly string[]): QueuedPair {
  const envelopes = new Map<number, CopyEnvelope>();
  const copies: CopyAction[] = days.map((day, i) => {
    const uid = i + 1;
    envelopes.set(uid, { uid, size: 100, internalDate: new Date(day * DAY) });
    return { from, to: from === 'a' ? 'b' : 'a', uid, gid: gids?.[i] ?? `g${tier}-${day}-${uid}`, flags: [], sourceFlags: [], size: 100, why: 'new' };
  });
  const none = new Map<number, CopyEnvelope>();
  return { tier, envelopes: { a: from === 'a' ? envelopes : none, b: from === 'b' ? envelopes : none }, copies: { a: from === 'a' ? copies : [], b: from === 'b' ? copies : [] } };
}

/** Days from `first` down, `count` of them (newest first is their own order). */
const days = (count: number, first: number): number[] => Array.from({ length: count }, (_, i) => first - i);

/** Each turn as "pair:batch sizes", and which are last. */
const shape = (turns: readonly CopyTurn[]): string[] => turns.map((t) => `${t.pair}:${t.batches.map((b) => b.copies.length).join('+')}${t.last ? '!' : ''}`);

describe('copyQueue', () => {
  it('within a tier, batches go newest first across pairs: a folder with newer mail cuts in between another folder’s batches', () => {
    const n = BATCH_MAX_MESSAGES;
    // Pair 0: 2n messages, days 1000 down (two batches: 1000.., 1000-n..); pair 1: one batch of days between them.
    const older = pair(3, days(2 * n, 1000));
    const between = pair(3, days(10, 1000 - n + 5));
    expect(shape(copyQueue([older, between]))).toEqual([`0:${n}`, '1:10!', `0:${n}!`]);
  });

  it('tiers first: a lower tier’s old mail goes before a higher tier’s new mail', () => {
    const inbox = pair(0, days(5, 10));
    const rest = pair(3, days(5, 9000));
    expect(shape(copyQueue([rest, inbox]))).toEqual(['1:5!', '0:5!']);
  });

  it('consecutive batches of one pair are one turn (its folders opened once)', () => {
    const n = BATCH_MAX_MESSAGES;
    const big = pair(3, days(3 * n, 5000));
    const old = pair(3, days(3, 10));
    expect(shape(copyQueue([old, big]))).toEqual([`1:${n}+${n}+${n}!`, '0:3!']);
  });

  it('a pair without copies gets one empty last turn after its tier’s batches', () => {
    const flagsOnly = pair(0, []);
    const inbox = pair(0, days(2, 10));
    const later = pair(1, days(2, 99));
    expect(shape(copyQueue([flagsOnly, later, inbox]))).toEqual(['2:2!', '0:!', '1:2!']);
  });

  it('equal dates keep the act order (the pairs’ order given)', () => {
    expect(shape(copyQueue([pair(3, [7]), pair(3, [7]), pair(3, [7])]))).toEqual(['0:1!', '1:1!', '2:1!']);
  });

  it('every copy is queued exactly once, each pair’s batches in their own order, whatever the dates', () => {
    const n = BATCH_MAX_MESSAGES;
    // Dates out of UID order, and twins (one global id twice) that keep their UID order: batch dates need not fall.
    const shuffled = (count: number, seed: number): number[] => Array.from({ length: count }, (_, i) => (i * seed) % 997);
    const pairs = [pair(3, shuffled(2 * n + 7, 37)), pair(3, shuffled(n + 3, 101), 'b'), pair(2, shuffled(5, 13)), pair(3, [], 'a')];
    const twin = pair(3, shuffled(n + 1, 53), 'a', Array.from({ length: n + 1 }, (_, i) => (i === 0 || i === n ? 'twin' : `t${i}`)));
    pairs.push(twin);
    const turns = copyQueue(pairs);
    pairs.forEach((p, i) => {
      const queued = turns.filter((t) => t.pair === i).flatMap((t) => t.batches.map((b) => b.copies));
      expect(queued).toEqual(pairBatches(p).map((b) => b.copies));
      expect(turns.filter((t) => t.pair === i && t.last)).toHaveLength(1);
      expect(turns.filter((t) => t.pair === i).reverse()[0]?.last).toBe(true);
    });
    // The twins keep their UID order among the places they take.
    const twinCopies = pairBatches(twin).flatMap((b) => b.copies).filter((c) => c.gid === 'twin');
    expect(twinCopies.map((c) => c.uid)).toEqual([1, n + 1]);
  });
});

describe('newestFirst', () => {
  it('sorts by INTERNALDATE, newest first, ties by UID; an invalid date goes last', () => {
    const p = pair(0, [5, 9, 5, 1]);
    const envelopes = new Map([...(p.envelopes.a as Map<number, CopyEnvelope>)]);
    envelopes.set(4, { uid: 4, size: 100, internalDate: new Date(NaN) });
    expect(newestFirst(envelopes, p.copies.a).map((c) => c.uid)).toEqual([2, 1, 3, 4]);
  });
});
