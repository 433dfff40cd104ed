import { describe, expect, it } from 'vitest';
import {
  filterAccepted,
  flagAccepted,
  flagDelta,
  flagsAgainstBase,
  mergeFlags,
  normalizeFlags,
  normalizedView,
  sameFlags,
} from '../../src/sync/flags.js';

describe('normalizeFlags', () => {
  it('drops \\Recent, canonicalises system flags, dedupes and sorts', () => {
    expect(normalizeFlags(['$Label1', '\\SEEN', '\\recent', '\\flagged', '\\Seen', 'Junk', '$Label1', '\\Answered'])).toEqual([
      '\\Answered',
      '\\Flagged',
      '\\Seen',
      '$Label1',
      'Junk',
    ]);
  });

  it('keeps keywords as they are (case included) and sorts them ordinally', () => {
    expect(normalizeFlags(['b', 'B', 'a', '$x'])).toEqual(['$x', 'B', 'a', 'b']);
  });

  it('keeps unknown backslash flags among the keywords', () => {
    expect(normalizeFlags(['\\Important', '\\draft'])).toEqual(['\\Draft', '\\Important']);
  });

  it('returns an empty list for nothing', () => {
    expect(normalizeFlags([])).toEqual([]);
    expect(normalizeFlags(['\\Recent'])).toEqual([]);
  });
});

describe('normalizedView', () => {
  it('returns the input itself when it is already normalised', () => {
    const flags = Object.freeze(['\\Flagged', '\\Seen', '$a', 'b']);
    expect(normalizedView(flags)).toBe(flags);
    expect(normalizedView([])).toEqual([]);
  });

  it('normalises otherwise', () => {
    for (const flags of [['\\Seen', '\\Flagged'], ['\\seen'], ['\\Recent'], ['a', 'a'], ['b', 'a'], ['']]) {
      expect(normalizedView(flags)).toEqual(normalizeFlags(flags));
      expect(normalizedView(flags)).not.toBe(flags);
    }
  });
});

describe('sameFlags', () => {
  it('compares normalised lists', () => {
    expect(sameFlags(['\\Seen'], ['\\Seen'])).toBe(true);
    expect(sameFlags(['\\Seen'], ['\\Seen', 'a'])).toBe(false);
    expect(sameFlags(['a'], ['b'])).toBe(false);
  });
});

describe('\\Deleted', () => {
  it('is an ordinary system flag: kept and spelled canonically', () => {
    expect(normalizeFlags(['\\deleted', '\\Seen', 'k'])).toEqual(['\\Deleted', '\\Seen', 'k']);
  });
});

describe('filterAccepted', () => {
  const dovecot = { flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'], allowsNewKeywords: true };
  const strict = { flags: ['\\Seen', '\\Flagged', '$Forwarded'], allowsNewKeywords: false };

  it('keeps listed system flags and any keyword when \\* is allowed', () => {
    expect(filterAccepted(['\\Seen', 'anything', '\\Draft'], dovecot)).toEqual({
      kept: ['\\Draft', '\\Seen', 'anything'],
      dropped: [],
    });
  });

  it('drops unlisted flags and keywords when \\* is not allowed', () => {
    expect(filterAccepted(['\\Seen', '\\Answered', '$forwarded', 'Other'], strict)).toEqual({
      kept: ['\\Seen', '$forwarded'],
      dropped: ['\\Answered', 'Other'],
    });
  });

  it('never lets \\* cover an unknown backslash flag', () => {
    expect(flagAccepted('\\Important', dovecot)).toBe(false);
    expect(flagAccepted('\\Important', { flags: ['\\Important'], allowsNewKeywords: false })).toBe(true);
  });

  it('keeps everything when PERMANENTFLAGS was empty or absent (RFC 3501 default, read-only folder)', () => {
    expect(filterAccepted(['\\Seen', 'kw', '\\Important'], { flags: [], allowsNewKeywords: false })).toEqual({
      kept: ['\\Seen', '\\Important', 'kw'],
      dropped: [],
    });
  });

  it('with only \\* listed, keeps keywords but no system flag', () => {
    expect(filterAccepted(['\\Seen', 'kw'], { flags: [], allowsNewKeywords: true })).toEqual({
      kept: ['kw'],
      dropped: ['\\Seen'],
    });
  });
});

describe('flagsAgainstBase', () => {
  const noKeywords = { flags: ['\\Seen', '\\Flagged'], allowsNewKeywords: false };
  it("adds the base's flags the side cannot store, normalised; a flag it can store stays absent (a real removal)", () => {
    expect(flagsAgainstBase(['\\Seen'], ['\\Flagged', '\\Seen', '$Work', '\\Important'], noKeywords)).toEqual(['\\Seen', '$Work', '\\Important']);
  });
  it('is the flags themselves when the side stores everything or the base holds nothing it cannot store', () => {
    const now = ['\\Seen'];
    expect(flagsAgainstBase(now, ['$Work'], { flags: [], allowsNewKeywords: false })).toBe(now);
    expect(flagsAgainstBase(now, ['\\Flagged', '\\Seen'], noKeywords)).toBe(now);
  });
});

describe('flagDelta', () => {
  it('gives what to add and what to remove', () => {
    expect(flagDelta(['\\Seen', 'a'], ['\\Flagged', 'a'])).toEqual({ add: ['\\Flagged'], remove: ['\\Seen'] });
    expect(flagDelta(['\\seen'], ['\\Seen'])).toEqual({ add: [], remove: [] });
  });
});

describe('mergeFlags', () => {
  it('copy: applies A’s changes since the base to B and keeps B’s own changes', () => {
    // A added \Flagged and removed \Seen; B added kw on its own.
    const r = mergeFlags(['\\Seen'], ['\\Flagged'], ['\\Seen', 'kw'], 'copy');
    expect(r).toEqual({ a: ['\\Flagged'], b: ['\\Flagged', 'kw'], base: ['\\Flagged'] });
  });

  it('copy: a flag B removed on its own stays removed while A does not change it', () => {
    expect(mergeFlags(['\\Seen'], ['\\Seen'], [], 'copy').b).toEqual([]);
  });

  it('copy: without a base, B gets A’s flags', () => {
    expect(mergeFlags(null, ['\\Seen'], ['\\Flagged'], 'copy')).toEqual({
      a: ['\\Seen'],
      b: ['\\Seen'],
      base: ['\\Seen'],
    });
  });

  it('mirror: B gets A’s flags whatever the base', () => {
    expect(mergeFlags(['x'], ['\\Seen'], ['x', 'y'], 'mirror')).toEqual({
      a: ['\\Seen'],
      b: ['\\Seen'],
      base: ['\\Seen'],
    });
  });

  it('two-way: changes of both sides are merged', () => {
    // base {Flagged, Seen}; A removed \Flagged and added k; B removed \Seen and added j.
    const r = mergeFlags(['\\Flagged', '\\Seen'], ['\\Seen', 'k'], ['\\Flagged', 'j'], 'two-way');
    expect(r).toEqual({ a: ['j', 'k'], b: ['j', 'k'], base: ['j', 'k'] });
    // A removal on one side wins over no change on the other.
    expect(mergeFlags(['x'], [], ['x'], 'two-way').b).toEqual([]);
    // Both added the same flag: once.
    expect(mergeFlags([], ['x'], ['x'], 'two-way').b).toEqual(['x']);
  });

  it('two-way: without a base, the union', () => {
    expect(mergeFlags(undefined, ['a'], ['b'], 'two-way').b).toEqual(['a', 'b']);
  });

  it('normalises its inputs', () => {
    expect(mergeFlags(['\\SEEN'], ['\\seen', '\\Recent'], ['\\Seen'], 'copy').b).toEqual(['\\Seen']);
  });
});
