// --bwlimit: one token bucket shared by every connection of a run, in both
// directions. Each caller reserves the bytes it is about to move and is told
// how long to wait first; the bucket may go into debt, so reservations are
// served in the order they were made (a big read cannot starve a small write
// forever). Pure accounting: the clock is passed in, the caller does the waiting.

/** What the bucket saw, for --stats and --json. */
export interface BucketReport {
  /** The limit, bytes per second. */
  rate: number;
  /** The most that may pass at once (the bucket's depth). */
  burst: number;
  /** Bytes that went through the bucket (every byte on the wire of every connection). */
  bytes: number;
  /** Sum of the waits the bucket imposed, milliseconds. */
  waitedMs: number;
  /**
   * The largest amount by which the bytes released by some moment exceeded
   * rate × (that moment − the first reservation): at most `burst` when the limit held.
   */
  peakExcess: number;
}

export class TokenBucket {
  readonly burst: number;
  private tokens: number;
  private last: number | undefined;
  private first: number | undefined;
  private bytes = 0;
  private waitedMs = 0;
  private peakExcess = 0;

  constructor(
    /** Bytes per second, > 0. */
    readonly rate: number,
    private readonly now: () => number = Date.now,
    burst?: number,
  ) {
    if (!(rate > 0)) throw new RangeError(`a token bucket needs a positive rate, not ${rate}`);
    this.burst = burst ?? defaultBurst(rate);
    this.tokens = this.burst;
  }

  /**
   * Takes `bytes` from the bucket; returns how many milliseconds to wait before
   * moving them (0: at once). The bytes count as moved at now + the wait.
   */
  reserve(bytes: number): number {
    const t = this.now();
    if (this.first === undefined) this.first = t;
    if (this.last !== undefined) this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000);
    this.last = t;
    this.tokens -= bytes;
    const wait = this.tokens < 0 ? Math.ceil((-this.tokens * 1000) / this.rate) : 0;
    this.bytes += bytes;
    this.waitedMs += wait;
    // Release times only grow (a debt is repaid in order), so checking at each one checks them all.
    const allowed = ((t + wait - this.first) * this.rate) / 1000;
    this.peakExcess = Math.max(this.peakExcess, this.bytes - allowed);
    return wait;
  }

  report(): BucketReport {
    return { rate: this.rate, burst: this.burst, bytes: this.bytes, waitedMs: this.waitedMs, peakExcess: Math.round(this.peakExcess) };
  }
}

/** An eighth of a second of traffic, and never less than one slice of a read or write. */
export const THROTTLE_SLICE_BYTES = 16 * 1024;

function defaultBurst(rate: number): number {
  return Math.max(THROTTLE_SLICE_BYTES, Math.round(rate / 8));
}
