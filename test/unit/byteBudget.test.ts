// The run's budget of body bytes in flight (src/sync/byteBudget.ts): what it
// grants at once, what waits and in which order, and a request bigger than
// the whole budget. Order is observed by settling promises, not by time.

import { describe, expect, it } from 'vitest';
import { ByteBudget, type BudgetHold } from '../../src/sync/byteBudget.js';

/** Lets every promise that can settle now settle. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A request's hold once granted (undefined while it waits). */
function request(budget: ByteBudget, bytes: number, granted: string[], name: string): { hold: () => BudgetHold | undefined } {
  let hold: BudgetHold | undefined;
  void budget.acquire(bytes).then((h) => {
    hold = h;
    granted.push(name);
  });
  return { hold: () => hold };
}

describe('ByteBudget', () => {
  it('grants what fits at once and makes the rest wait until bytes are given back', async () => {
    const budget = new ByteBudget(100);
    const granted: string[] = [];
    const first = request(budget, 60, granted, 'first');
    const second = request(budget, 60, granted, 'second');
    await settle();
    expect(granted).toEqual(['first']);
    expect(budget.inFlight).toBe(60);
    first.hold()!.release();
    await settle();
    expect(granted).toEqual(['first', 'second']);
    expect(budget.inFlight).toBe(60);
    second.hold()!.release();
    expect(budget.inFlight).toBe(0);
  });

  it('serves waiters in order: a small request does not pass a big one waiting', async () => {
    const budget = new ByteBudget(100);
    const granted: string[] = [];
    const first = request(budget, 50, granted, 'first');
    request(budget, 80, granted, 'big');
    request(budget, 10, granted, 'small');
    await settle();
    expect(granted).toEqual(['first']);
    // 10 bytes would fit beside the first, but the big request came before.
    expect(budget.tryAcquire(10)).toBeUndefined();
    first.hold()!.release();
    await settle();
    expect(granted).toEqual(['first', 'big', 'small']);
    expect(budget.inFlight).toBe(90);
  });

  it('lets a request bigger than the budget go alone, once nothing else is held', async () => {
    const budget = new ByteBudget(100);
    const granted: string[] = [];
    const small = request(budget, 30, granted, 'small');
    const huge = request(budget, 250, granted, 'huge');
    await settle();
    expect(granted).toEqual(['small']);
    small.hold()!.release();
    await settle();
    expect(granted).toEqual(['small', 'huge']);
    expect([huge.hold()!.bytes, budget.inFlight]).toEqual([100, 100]);
    expect(budget.tryAcquire(1)).toBeUndefined();
    huge.hold()!.release();
    expect(budget.inFlight).toBe(0);
  });

  it('tryAcquire takes bytes only when they fit now; a release given twice counts once', () => {
    const budget = new ByteBudget(100);
    const a = budget.tryAcquire(70)!;
    expect(a.bytes).toBe(70);
    expect(budget.tryAcquire(40)).toBeUndefined();
    const b = budget.tryAcquire(30)!;
    expect(budget.inFlight).toBe(100);
    a.release();
    a.release();
    expect(budget.inFlight).toBe(30);
    b.release();
    expect(budget.inFlight).toBe(0);
  });

  it('refuses a budget of no bytes', () => {
    expect(() => new ByteBudget(0)).toThrow(RangeError);
  });
});
