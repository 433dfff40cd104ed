// Body bytes in flight, counted across every connection of a run: a batch
// holds its bytes from before its fetch until its append is answered, so the
// bodies held at once stay within one budget however many folders copy at
// once. A request bigger than the whole budget waits until nothing else is
// held, then goes alone. Waiters are served in order, so a big batch is not
// starved by small ones.

/** Bytes taken from a budget; release() gives them back (once, whatever the number of calls). */
export interface BudgetHold {
  readonly bytes: number;
  release(): void;
}

interface Waiter {
  bytes: number;
  grant: (hold: BudgetHold) => void;
}

export class ByteBudget {
  readonly capacity: number;
  private held = 0;
  private readonly waiting: Waiter[] = [];

  constructor(capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`a byte budget needs a positive capacity, not ${capacity}`);
    this.capacity = capacity;
  }

  /** Bytes held now (a request bigger than the budget counts as the whole budget). */
  get inFlight(): number {
    return this.held;
  }

  /**
   * `bytes` from the budget, once they fit (and every earlier waiter was served).
   * Call it holding nothing of this budget: a caller waiting for more while it
   * holds some could wait for itself. To take more while holding, use tryAcquire.
   */
  acquire(bytes: number): Promise<BudgetHold> {
    const cost = this.costOf(bytes);
    if (this.waiting.length === 0 && this.fits(cost)) return Promise.resolve(this.take(cost));
    return new Promise((grant) => this.waiting.push({ bytes: cost, grant }));
  }

  /** `bytes` now if they fit and nobody waits, else undefined: never waits, so it is safe while holding. */
  tryAcquire(bytes: number): BudgetHold | undefined {
    const cost = this.costOf(bytes);
    return this.waiting.length === 0 && this.fits(cost) ? this.take(cost) : undefined;
  }

  private costOf(bytes: number): number {
    return Math.min(Math.max(0, bytes), this.capacity);
  }

  private fits(cost: number): boolean {
    return this.held + cost <= this.capacity;
  }

  private take(cost: number): BudgetHold {
    this.held += cost;
    let released = false;
    return {
      bytes: cost,
      release: () => {
        if (released) return;
        released = true;
        this.held -= cost;
        this.serveWaiting();
      },
    };
  }

  private serveWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const waiter = this.waiting.shift()!;
      waiter.grant(this.take(waiter.bytes));
    }
  }
}
