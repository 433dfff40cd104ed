// What the act phase needs of the envelopes of a plan's copies: each one's
// size and INTERNALDATE, by UID. The account's plan holds every folder's
// until the run has acted on all of them, so they are kept in typed arrays
// (20 bytes a copy) rather than as envelope objects with a Date each (about
// 250 bytes a copy, most of what an initial copy's plan held per message).

import type { MessageEnvelope } from '../store/types.js';

/** A copy's envelope, as much of it as the act phase reads. */
export type CopyEnvelope = Pick<MessageEnvelope, 'uid' | 'size' | 'internalDate'>;

/** One side's copy envelopes by UID. A Map of envelopes is one too. */
export interface CopyEnvelopes {
  get(uid: number): CopyEnvelope | undefined;
  has(uid: number): boolean;
}

/** Copy envelopes in three typed arrays, by ascending UID (found by binary search). */
export class CompactEnvelopes implements CopyEnvelopes {
  private readonly uids: Uint32Array;
  private readonly sizes: Float64Array;
  /** INTERNALDATE in ms since the epoch (NaN for an invalid date, as Date keeps it). */
  private readonly dates: Float64Array;

  /** The last envelope of a UID wins, as in a Map. */
  constructor(envelopes: Iterable<CopyEnvelope>) {
    const byUid = new Map<number, CopyEnvelope>();
    for (const e of envelopes) byUid.set(e.uid, e);
    const sorted = [...byUid.values()].sort((x, y) => x.uid - y.uid);
    this.uids = Uint32Array.from(sorted, (e) => e.uid);
    this.sizes = Float64Array.from(sorted, (e) => e.size);
    this.dates = Float64Array.from(sorted, (e) => e.internalDate.getTime());
  }

  get(uid: number): CopyEnvelope | undefined {
    const i = this.indexOf(uid);
    return i < 0 ? undefined : { uid, size: this.sizes[i]!, internalDate: new Date(this.dates[i]!) };
  }

  has(uid: number): boolean {
    return this.indexOf(uid) >= 0;
  }

  private indexOf(uid: number): number {
    let low = 0;
    let high = this.uids.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const at = this.uids[mid]!;
      if (at === uid) return mid;
      if (at < uid) low = mid + 1;
      else high = mid - 1;
    }
    return -1;
  }
}
