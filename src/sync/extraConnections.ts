// The connection pairs beyond the first, for syncing several folders at once.
// Servers cap the connections of one user (Dovecot's mail_max_userip_connections,
// often 10; some providers allow 2 or 3). The first pair is required; an extra
// one is a speed-up only: when either store refuses one, the run goes on with
// the pairs it has, and says so once.

import type { Store } from '../store/types.js';
import { errorText } from './executor.js';

export type StorePair = { a: Store; b: Store };

export class ExtraConnections {
  /** Pairs open, the first one included. */
  private open = 1;
  private refused = false;
  /** Opens one at a time: the count in the warning is then exact, and a refusal stops the next attempts. */
  private opening: Promise<unknown> = Promise.resolve();
  /** Pairs opened by an earlier phase of the run and handed back: used again before opening more. */
  private readonly idle: StorePair[] = [];

  constructor(
    private readonly connect: (label: 'A' | 'B') => Store,
    /** --connections: the pairs asked for. */
    private readonly wanted: number,
    private readonly warn: (text: string) => void,
    private readonly signal?: AbortSignal,
  ) {}

  /** One more logged-in pair (an idle one first), or undefined when no more can (or need to) be opened. */
  openPair(stillNeeded: () => boolean): Promise<StorePair | undefined> {
    const idle = this.idle.pop();
    if (idle !== undefined) return Promise.resolve(idle);
    const attempt = this.opening.then(() => (this.refused || this.signal?.aborted || !stillNeeded() ? undefined : this.tryPair()));
    this.opening = attempt;
    return attempt;
  }

  /** A pair whose work is done, kept for the run's next phase (the engine closes every store at the end). */
  release(pair: StorePair): void {
    this.idle.push(pair);
  }

  private async tryPair(): Promise<StorePair | undefined> {
    const pair: StorePair = { a: this.connect('A'), b: this.connect('B') };
    const settled = await Promise.allSettled([pair.a.connect(), pair.b.connect()]);
    const failures = settled.flatMap((s, i) => (s.status === 'rejected' ? [{ label: i === 0 ? 'A' : 'B', error: s.reason as unknown }] : []));
    if (failures.length === 0) {
      this.open++;
      return pair;
    }
    this.refused = true;
    // The half that did open is closed too: a connection without its partner serves nothing.
    await Promise.all([pair.a.close(), pair.b.close()]);
    if (!this.signal?.aborted) {
      const why = failures.map((f) => `${f.label} accepted only ${this.open} connections (${reasonOf(f.label, f.error)})`).join('; ');
      this.warn(`${why}; syncing ${this.open} folder${this.open === 1 ? '' : 's'} at once instead of ${this.wanted}`);
    }
    return undefined;
  }
}

/** The ConnectError's text without its leading "B: ". */
function reasonOf(label: string, error: unknown): string {
  const text = errorText(error);
  return text.startsWith(`${label}: `) ? text.slice(label.length + 2) : text;
}
