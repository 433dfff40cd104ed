// Commits the state now and then during a long run, so the journal stays
// short and a restart replays little. The journal alone already keeps every
// result safe; this only bounds its size.
//
// A commit rewrites the whole state, so no worker may change it meanwhile:
// when a commit is due, each worker stops at its next safe point (between
// batches, between folders) and the last one to arrive commits, then all go on.

export interface Committable {
  commit(): Promise<void>;
}

export class PeriodicCommit {
  private lastCommit = Date.now();
  private active = 0;
  private waiting = 0;
  /** The commit itself is running (not just due): a worker that joined late only waits. */
  private committing = false;
  private gate: { promise: Promise<void>; release: () => void; fail: (err: unknown) => void } | undefined;

  constructor(
    private readonly state: Committable,
    private readonly intervalMs: number,
    private readonly enabled: boolean,
  ) {}

  /** A worker starts taking part. */
  join(): void {
    this.active++;
  }

  /** A worker is done; if the others are all waiting for it, commit now. */
  async leave(): Promise<void> {
    this.active--;
    if (this.gate && !this.committing && this.waiting === this.active) await this.commitAndRelease();
  }

  /**
   * Runs `wait` (a wait for another worker, holding no half-done change: e.g.
   * for the run's body budget) without holding up a commit: the worker leaves
   * meanwhile (a commit the others wait for goes on without it) and, back,
   * waits for a commit running then. Otherwise a worker waiting at a safe point
   * and one waiting for bytes the first holds would wait for each other.
   */
  async outside<T>(wait: () => Promise<T>): Promise<T> {
    await this.leave();
    try {
      return await wait();
    } finally {
      this.join();
      // The committing worker reports a failed commit; here the state is only not ours to touch until it ends.
      if (this.committing) await this.gate!.promise.catch(() => undefined);
    }
  }

  /** Called by a worker where it holds no half-done change. Waits while a commit runs. */
  async safePoint(): Promise<void> {
    // Joined while a commit runs (an extra connection opened meanwhile): the state is not ours to touch yet.
    if (this.committing) {
      await this.gate!.promise;
      return;
    }
    if (!this.gate) {
      if (!this.enabled || Date.now() - this.lastCommit < this.intervalMs) return;
      let release!: () => void;
      let fail!: (err: unknown) => void;
      const promise = new Promise<void>((resolve, reject) => {
        release = resolve;
        fail = reject;
      });
      promise.catch(() => undefined); // seen by every waiter below; never unhandled
      this.gate = { promise, release, fail };
    }
    this.waiting++;
    if (this.waiting === this.active) {
      await this.commitAndRelease();
      return;
    }
    await this.gate.promise;
  }

  private async commitAndRelease(): Promise<void> {
    const gate = this.gate!;
    this.committing = true;
    try {
      await this.state.commit();
      this.lastCommit = Date.now();
      gate.release();
    } catch (err) {
      gate.fail(err);
      throw err;
    } finally {
      this.committing = false;
      this.gate = undefined;
      this.waiting = 0;
    }
  }
}
