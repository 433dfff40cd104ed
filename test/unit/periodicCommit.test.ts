import { describe, expect, it } from 'vitest';
import { PeriodicCommit } from '../../src/sync/periodicCommit.js';

/** A state whose commit takes a while and notices any change made meanwhile. */
function fakeState() {
  let committing = false;
  const log: string[] = [];
  return {
    log,
    commits: 0,
    apply(who: string) {
      if (committing) throw new Error(`${who} changed the state during a commit`);
      log.push(who);
    },
    async commit() {
      committing = true;
      await new Promise((r) => setTimeout(r, 5));
      committing = false;
      this.commits++;
    },
  };
}

describe('PeriodicCommit', () => {
  it('never lets a worker change the state while a commit runs, and commits when due', async () => {
    const state = fakeState();
    const periodic = new PeriodicCommit(state, 0, true);
    const worker = async (name: string, batches: number, pause: number) => {
      periodic.join();
      try {
        for (let i = 0; i < batches; i++) {
          state.apply(`${name}${i}`);
          await new Promise((r) => setTimeout(r, pause));
          state.apply(`${name}${i}'`);
          await periodic.safePoint();
        }
      } finally {
        await periodic.leave();
      }
    };
    await Promise.all([worker('a', 6, 1), worker('b', 3, 4), worker('c', 9, 0)]);
    expect(state.log).toHaveLength(2 * (6 + 3 + 9));
    expect(state.commits).toBeGreaterThan(0);
  });

  it('does nothing before the interval has passed, or when disabled', async () => {
    const state = fakeState();
    const slow = new PeriodicCommit(state, 60_000, true);
    slow.join();
    await slow.safePoint();
    await slow.leave();
    const off = new PeriodicCommit(state, 0, false);
    off.join();
    await off.safePoint();
    await off.leave();
    expect(state.commits).toBe(0);
  });

  it('a worker that leaves releases the others waiting for a commit', async () => {
    const state = fakeState();
    const periodic = new PeriodicCommit(state, 0, true);
    periodic.join();
    periodic.join();
    const waiting = periodic.safePoint();
    await periodic.leave();
    await waiting;
    expect(state.commits).toBe(1);
  });

  it('a worker that joins while a commit runs waits for it instead of committing again', async () => {
    const state = fakeState();
    let overlapping = 0;
    let running = 0;
    const commit = state.commit.bind(state);
    state.commit = async () => {
      if (running++ > 0) overlapping++;
      try {
        await commit();
      } finally {
        running--;
      }
    };
    const periodic = new PeriodicCommit(state, 0, true);
    periodic.join();
    const first = periodic.safePoint(); // the only worker: commits now
    // An extra connection finished opening meanwhile: its worker joins and reaches its first safe point.
    periodic.join();
    const late = periodic.safePoint();
    await Promise.all([first, late]);
    expect(overlapping).toBe(0);
    state.apply('after');
    await Promise.all([periodic.leave(), periodic.leave()]);
    expect(state.commits).toBeGreaterThanOrEqual(1);
  });
});
