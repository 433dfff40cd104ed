// The helpers every layer shares for names, flags and batches (src/store/names.ts, batches.ts).

import { describe, expect, it } from 'vitest';
import { boundedBatches } from '../../src/store/batches.js';
import { canonicalInbox, inboxFirst, isInbox, reportedFlags, withoutRecent } from '../../src/store/names.js';

describe('names', () => {
  it('INBOX is any spelling of it, and no other name', () => {
    expect(['INBOX', 'inbox', 'InBoX'].map(isInbox)).toEqual([true, true, true]);
    expect(['INBOX.Sent', 'Inbox2', ''].map(isInbox)).toEqual([false, false, false]);
    expect(['inbox', 'Inbox/Sub', 'Sent'].map(canonicalInbox)).toEqual(['INBOX', 'Inbox/Sub', 'Sent']);
  });

  it('inboxFirst sorts INBOX (any spelling) first, then by code unit', () => {
    expect(['b', 'Archive', 'inbox', 'Archive/2020', 'Zeta', 'a'].sort(inboxFirst)).toEqual(['inbox', 'Archive', 'Archive/2020', 'Zeta', 'a', 'b']);
  });

  it('flags as a store reports them: \\Recent dropped in any case, each once, in code-unit order', () => {
    expect(withoutRecent(['\\Seen', '\\RECENT', '\\recent', '$Work'])).toEqual(['\\Seen', '$Work']);
    expect(reportedFlags(['\\Seen', '\\Recent', '$Work', '\\Seen', '\\Answered'])).toEqual(['$Work', '\\Answered', '\\Seen']);
    expect(reportedFlags(new Set<string>())).toEqual([]);
  });
});

describe('boundedBatches', () => {
  it('cuts by count and by bytes, in order; a bigger item goes alone', () => {
    expect(boundedBatches([1, 2, 3, 4, 5], () => 0, { maxItems: 2, maxBytes: 100 })).toEqual([[1, 2], [3, 4], [5]]);
    expect(boundedBatches([40, 40, 30, 500, 10], (n) => n, { maxBytes: 100 })).toEqual([[40, 40], [30], [500], [10]]);
    expect(boundedBatches([], () => 1, { maxBytes: 1 })).toEqual([]);
  });

  it('without maxItems only bytes count', () => {
    expect(boundedBatches(Array.from({ length: 1000 }, () => 1), (n) => n, { maxBytes: 1000 })).toHaveLength(1);
  });
});
