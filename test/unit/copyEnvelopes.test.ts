import { describe, expect, it } from 'vitest';
import { CompactEnvelopes } from '../../src/sync/copyEnvelopes.js';

const envelope = (uid: number, size: number, iso: string) => ({ uid, size, internalDate: new Date(iso) });

describe('CompactEnvelopes', () => {
  it('gives back each UID its size and INTERNALDATE, in any order given, and nothing for another UID', () => {
    const given = [envelope(7, 70, '2021-03-04T05:06:07Z'), envelope(2, 20, '2015-01-01T00:00:00+02:00'), envelope(4_294_967_295, 5_000_000_000, '2023-12-31T23:59:59Z')];
    const compact = new CompactEnvelopes(given);
    for (const e of given) {
      expect(compact.has(e.uid)).toBe(true);
      expect(compact.get(e.uid)).toEqual(e);
    }
    for (const uid of [0, 1, 3, 8, 100]) {
      expect(compact.has(uid)).toBe(false);
      expect(compact.get(uid)).toBeUndefined();
    }
  });

  it('keeps the last envelope of a UID given twice, as a Map would, and an invalid date as invalid', () => {
    const compact = new CompactEnvelopes([envelope(5, 1, '2020-01-01T00:00:00Z'), envelope(5, 2, 'not a date')]);
    expect(compact.get(5)!.size).toBe(2);
    expect(Number.isNaN(compact.get(5)!.internalDate.getTime())).toBe(true);
  });

  it('holds nothing when given nothing', () => {
    const compact = new CompactEnvelopes([]);
    expect(compact.has(1)).toBe(false);
    expect(compact.get(1)).toBeUndefined();
  });
});
