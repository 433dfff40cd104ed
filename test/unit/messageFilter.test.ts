// The message filter's pieces: parsing sizes and days, the rule both stores
// apply (IMAP SEARCH's), and the key the state records.

import { describe, expect, it } from 'vitest';
import { checkFilter, parseDay, parseSize } from '../../src/config/filterArgs.js';
import { filterKey, heldBackBy, isActiveFilter } from '../../src/store/messageFilter.js';

describe('parseSize', () => {
  it('reads bytes and binary k, M, G in either case', () => {
    expect([parseSize('1234'), parseSize('500k'), parseSize('10M'), parseSize('2g'), parseSize(' 1K ')]).toEqual([1234, 512_000, 10_485_760, 2_147_483_648, 1024]);
  });
  it('refuses anything else', () => {
    for (const bad of ['', 'M', '1.5M', '-1', '10 MB', '10T', '9'.repeat(20)]) expect(() => parseSize(bad), bad).toThrow(/expected a size/);
  });
});

describe('parseDay', () => {
  const now = new Date('2026-11-30T14:00:00Z');
  it('reads a day, or days and weeks before today (UTC)', () => {
    expect([parseDay('2026-09-01', now), parseDay('90d', now), parseDay('12w', now), parseDay('0d', now)]).toEqual(['2026-09-01', '2026-09-01', '2026-09-07', '2026-11-30']);
  });
  it('refuses a day that does not exist and other words', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '26-09-01', 'yesterday', '3m', '']) expect(() => parseDay(bad, now), bad).toThrow(/expected a day/);
  });
});

describe('checkFilter', () => {
  it('refuses bounds that let nothing through', () => {
    expect(() => checkFilter({ minSize: 2000, maxSize: 1000 })).toThrow(/--min-size/);
    expect(() => checkFilter({ since: '2026-05-01', before: '2026-05-01' })).toThrow(/--since/);
    expect(() => checkFilter({ minSize: 1000, maxSize: 1000, since: '2026-05-01', before: '2026-05-02' })).not.toThrow();
  });
});

describe('heldBackBy (IMAP SEARCH rules)', () => {
  const at = (iso: string): Date => new Date(iso);
  it('sizes: LARGER and SMALLER are strict, so a message of exactly the bound passes', () => {
    expect([999, 1000, 1001].map((size) => heldBackBy({ maxSize: 1000 }, size, at('2026-01-01T00:00:00Z')))).toEqual([false, false, true]);
    expect([999, 1000, 1001].map((size) => heldBackBy({ minSize: 1000 }, size, at('2026-01-01T00:00:00Z')))).toEqual([true, false, false]);
  });
  it('days: --since keeps that day, --before drops it; the time of day does not count', () => {
    const filter = { since: '2026-05-02', before: '2026-05-04' };
    const days = ['2026-05-01T23:59:59Z', '2026-05-02T00:00:00Z', '2026-05-03T23:59:59Z', '2026-05-04T00:00:00Z'];
    expect(days.map((d) => heldBackBy(filter, 10, at(d)))).toEqual([true, false, false, true]);
  });
});

describe('filterKey', () => {
  it('names the bounds in a fixed order, empty for no filter', () => {
    expect(filterKey({ before: '2026-02-01', maxSize: 10, since: '2026-01-01', minSize: 1 })).toBe('max-size=10 min-size=1 since=2026-01-01 before=2026-02-01');
    expect([filterKey(undefined), filterKey({}), isActiveFilter({}), isActiveFilter({ minSize: 0 })]).toEqual(['', '', false, true]);
  });
});
