import { describe, expect, it } from 'vitest';
import { planFolder } from '../../src/sync/planFolder.js';
import type { CopyAction, FlagAcceptance, FlagChange, FolderPlanInput, SideSnapshot, SnapshotMessage } from '../../src/sync/planTypes.js';
import type { MessageRecord } from '../../src/state/types.js';

/** Flag changes without the base a new pair keeps until they are confirmed (FlagChange.baseMeanwhile, checked in engine tests). */
function withoutMeanwhile(changes: readonly FlagChange[]): FlagChange[] {
  return changes.map(({ baseMeanwhile: _meanwhile, ...rest }) => rest);
}

const anyFlags: FlagAcceptance = { flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'], allowsNewKeywords: true };
const noKeywords: FlagAcceptance = { flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'], allowsNewKeywords: false };

/** A snapshot from [uid, flags, gid?, size?] rows. */
function snap(...rows: [number, string[], string?, number?][]): SideSnapshot {
  const m = new Map<number, SnapshotMessage>();
  for (const [uid, flags, gid, size] of rows) {
    const msg: SnapshotMessage = { flags, ...(gid !== undefined ? { gid } : {}), ...(size !== undefined ? { size } : {}) };
    m.set(uid, msg);
  }
  return m;
}
const rec = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => ({ uidA, uidB, gid, flags });
/** The record of a message whose envelope the run read: its gid hashes a Message-ID (see MessageRecord.byMessageId). */
const recM = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => ({ ...rec(uidA, uidB, gid, flags), byMessageId: true });

function plan(over: Partial<FolderPlanInput>) {
  return planFolder({ mode: 'copy', records: [], a: snap(), b: snap(), accepts: { a: anyFlags, b: anyFlags }, allowExpunge: true, ...over });
}

/** A copy from A to B, for any reason (the reasons have tests of their own). */
const copyToB = (uid: number, gid: string, flags: string[], size: number, byMessageId = size > 0): CopyAction => ({
  from: 'a', to: 'b', uid, gid, flags, sourceFlags: expect.any(Array) as unknown as string[], size, why: expect.any(String) as unknown as string,
  // An envelope read (a size) of a message whose id is not its size's: a server-side move may stand in for the copy.
  ...(byMessageId && { byMessageId: true as const }),
});
const flagsOnB = (uid: number, add: string[], remove: string[]): FlagChange =>
  ({ side: 'b', uid, add, remove, why: expect.any(String) as unknown as string });

const nothing = { appends: [], flagChanges: [], expunges: [], droppedKeywords: { a: [], b: [] }, reusedUids: [], expungesWithheld: 0 };

describe('planFolder: first run', () => {
  it('appends every A message to an empty B, in A UID order, with sizes and filtered flags', () => {
    const p = plan({
      a: snap([3, ['\\Seen', 'kw'], 'g3', 30], [1, ['\\Flagged'], 'g1', 10]),
      accepts: { a: anyFlags, b: noKeywords },
    });
    expect(p.appends).toEqual([
      copyToB(1, 'g1', ['\\Flagged'], 10),
      copyToB(3, 'g3', ['\\Seen'], 30),
    ]);
    expect(p.droppedKeywords).toEqual({ a: [], b: ['kw'] });
    expect(p.records).toEqual([]);
  });

  it('copies with the same flags share one read-only flag list (a plan may hold a million copies)', () => {
    const p = plan({
      a: snap([1, ['\\Seen', 'kw'], 'g1', 10], [2, ['kw', '\\Seen'], 'g2', 20], [3, ['\\Seen'], 'g3', 30]),
      accepts: { a: anyFlags, b: noKeywords },
    });
    const [one, two, three] = p.appends;
    expect(one!.sourceFlags).toEqual(['\\Seen', 'kw']);
    expect(two!.sourceFlags).toBe(one!.sourceFlags);
    expect(one!.flags).toEqual(['\\Seen']);
    expect(two!.flags).toBe(one!.flags);
    // All its flags accepted: the copy's list is the source's.
    expect(three!.flags).toBe(one!.flags);
    expect(three!.sourceFlags).toBe(three!.flags);
    expect(Object.isFrozen(one!.flags) && Object.isFrozen(one!.sourceFlags)).toBe(true);
  });

  it('matches a pre-populated B by gid (lost state): no duplicate, flags aligned to A', () => {
    const p = plan({
      a: snap([1, ['\\Seen'], 'g1'], [2, [], 'g2']),
      b: snap([10, [], 'g1'], [11, ['x'], 'g2'], [12, [], 'gB']),
    });
    expect(p.appends).toEqual([]);
    expect(withoutMeanwhile(p.flagChanges)).toEqual([
      flagsOnB(10, ['\\Seen'], []),
      flagsOnB(11, [], ['x']),
    ]);
    expect(p.records).toEqual([rec(0, 12, 'gB'), rec(1, 10, 'g1', ['\\Seen']), rec(2, 11, 'g2')]);
    expect(p.expunges).toEqual([]);
  });

  it('matches exact duplicates as a multiset: min(countA, countB) pairs in UID order, the rest appended', () => {
    const input = {
      a: snap([5, [], 'g', 1], [2, [], 'g', 1], [9, [], 'g', 1], [7, [], 'h', 2]),
      b: snap([30, [], 'g', 1], [20, [], 'h', 2], [21, [], 'h', 2]),
      mode: 'mirror' as const,
      allowExpunge: true,
    };
    // Several candidates of one size: the bodies are compared (here all equal, as duplicates are).
    expect(plan(input).needDigests).toEqual({ a: [2, 5, 9, 7], b: [30, 20, 21] });
    const same = (uids: number[], digest: (uid: number) => string) => new Map(uids.map((uid) => [uid, digest(uid)]));
    const digests = { a: same([2, 5, 7, 9], (u) => (u === 7 ? 'H' : 'G')), b: same([20, 21, 30], (u) => (u === 30 ? 'G' : 'H')) };
    const p = plan({ ...input, digests });
    expect(p.needDigests).toBeUndefined();
    expect(p.records).toEqual([recM(2, 30, 'g'), recM(7, 20, 'h')]);
    expect(p.appends.map((x) => x.uid)).toEqual([5, 9]);
    expect(p.expunges).toEqual([{ side: 'b', uid: 21, why: expect.any(String), record: recM(0, 21, 'h'), flags: [], size: 2 }]);
  });
});

describe('planFolder: many duplicates', () => {
  it('matches 300 000 copies of one gid without hitting argument limits', () => {
    const a = new Map<number, SnapshotMessage>();
    const digestsA = new Map<number, string>();
    for (let uid = 1; uid <= 300_000; uid++) {
      a.set(uid, { flags: [], gid: 'same', size: 1 });
      digestsA.set(uid, 'D');
    }
    const b = snap([1, [], 'same', 1]);
    expect(plan({ a, b }).needDigests?.a).toHaveLength(300_000);
    const p = plan({ a, b, digests: { a: digestsA, b: new Map([[1, 'D']]) } });
    expect(p.records).toEqual([recM(1, 1, 'same')]);
    expect(p.appends).toHaveLength(299_999);
  });
});

describe('planFolder: versions of a message (one gid, different bodies)', () => {
  const digestsOf = (rows: [number, string][]) => new Map(rows);
  type Case = {
    name: string;
    mode?: 'copy' | 'mirror';
    records?: MessageRecord[];
    a: SideSnapshot;
    b: SideSnapshot;
    digests?: { a: [number, string][]; b: [number, string][] };
    expected: {
      records: MessageRecord[];
      appends: number[];
      expunges: number[];
      needDigests?: { a: number[]; b: number[] };
      uncompared?: number;
      flagChanges?: FlagChange[];
    };
  };
  const cases: Case[] = [
    {
      name: 'one candidate on each side pairs whatever the sizes (a server may rewrite on APPEND)',
      mode: 'mirror',
      a: snap([1, [], 'g', 10]),
      b: snap([1, [], 'g', 12]),
      expected: { records: [recM(1, 1, 'g')], appends: [], expunges: [] },
    },
    {
      name: 'sizes decide alone when no size is on both sides: no body read',
      mode: 'mirror',
      a: snap([1, [], 'g', 10], [2, [], 'g', 20]),
      b: snap([7, [], 'g', 30], [8, [], 'g', 40]),
      expected: { records: [], appends: [1, 2], expunges: [7, 8] },
    },
    {
      name: 'sizes narrow the comparison: B’s version of another size goes, the same-size pair is compared',
      mode: 'mirror',
      a: snap([2, [], 'g', 20]),
      b: snap([1, [], 'g', 10], [2, [], 'g', 20]),
      expected: { records: [recM(0, 2, 'g')], appends: [2], expunges: [1], needDigests: { a: [2], b: [2] } },
    },
    {
      name: 'the version A kept stays, the other goes (mirror, digests given)',
      mode: 'mirror',
      a: snap([2, [], 'g', 20]),
      b: snap([1, [], 'g', 10], [2, [], 'g', 20]),
      digests: { a: [[2, 'v2']], b: [[2, 'v2']] },
      expected: { records: [recM(2, 2, 'g')], appends: [], expunges: [1] },
    },
    {
      name: 'pairs follow the bodies whatever the UID order, and flags the right version',
      mode: 'mirror',
      a: snap([1, ['\\Seen'], 'g', 10], [2, [], 'g', 20]),
      b: snap([5, [], 'g', 20], [6, [], 'g', 10]),
      digests: { a: [[1, 'x'], [2, 'y']], b: [[5, 'y'], [6, 'x']] },
      expected: {
        records: [recM(1, 6, 'g', ['\\Seen']), recM(2, 5, 'g')],
        appends: [],
        expunges: [],
        flagChanges: [flagsOnB(6, ['\\Seen'], [])],
      },
    },
    {
      name: 'copy: a version B lacks is copied, B’s other one kept',
      mode: 'copy',
      a: snap([1, [], 'g', 10], [2, [], 'g', 20]),
      b: snap([7, [], 'g', 30], [8, [], 'g', 10]),
      digests: { a: [[1, 'x']], b: [[8, 'x']] },
      expected: { records: [recM(0, 7, 'g'), recM(1, 8, 'g')], appends: [2], expunges: [] },
    },
    {
      name: 'twins of one size: digests needed, and meanwhile nothing deleted, A’s copied',
      mode: 'mirror',
      a: snap([2, [], 'g', 10]),
      b: snap([1, [], 'g', 10], [2, [], 'g', 10]),
      expected: {
        records: [recM(0, 1, 'g'), recM(0, 2, 'g')],
        appends: [2],
        expunges: [],
        needDigests: { a: [2], b: [1, 2] },
      },
    },
    {
      name: 'twins of one size: digests decide (mirror deletes the one A lost)',
      mode: 'mirror',
      a: snap([2, [], 'g', 10]),
      b: snap([1, [], 'g', 10], [2, [], 'g', 10]),
      digests: { a: [[2, 'y']], b: [[1, 'x'], [2, 'y']] },
      expected: { records: [recM(2, 2, 'g')], appends: [], expunges: [1] },
    },
    {
      name: 'twins of one size: digests decide (copy copies the twin B lacks)',
      mode: 'copy',
      a: snap([1, [], 'g', 10], [2, [], 'g', 10]),
      b: snap([1, [], 'g', 10]),
      digests: { a: [[1, 'x'], [2, 'y']], b: [[1, 'y']] },
      expected: { records: [recM(2, 1, 'g')], appends: [1], expunges: [] },
    },
    {
      name: 'equal counts of one size are compared too: B’s other twin is not A’s',
      mode: 'mirror',
      a: snap([1, [], 'g', 10], [2, [], 'g', 10]),
      b: snap([1, [], 'g', 10], [2, [], 'g', 10]),
      digests: { a: [[1, 'x'], [2, 'y']], b: [[1, 'x'], [2, 'z']] },
      expected: { records: [recM(1, 1, 'g')], appends: [2], expunges: [2] },
    },
    {
      name: 'digests unavailable on A: B’s versions kept, A’s copied, nothing deleted',
      mode: 'mirror',
      a: snap([2, [], 'g', 10]),
      b: snap([1, [], 'g', 10], [2, [], 'g', 10]),
      digests: { a: [], b: [[1, 'x'], [2, 'y']] },
      expected: { records: [recM(0, 1, 'g'), recM(0, 2, 'g')], appends: [2], expunges: [], uncompared: 1 },
    },
    {
      name: 'a digest unavailable on B: that one kept, the one shown absent from A deleted',
      mode: 'mirror',
      a: snap([3, [], 'g', 10]),
      b: snap([1, [], 'g', 10], [2, [], 'g', 10]),
      digests: { a: [[3, 'y']], b: [[1, 'x']] },
      expected: { records: [recM(0, 2, 'g')], appends: [3], expunges: [1], uncompared: 1 },
    },
    {
      name: 'a candidate known only from a record (no size) makes the group compare bodies',
      mode: 'mirror',
      records: [rec(0, 7, 'g')],
      a: snap([3, [], 'g', 10], [4, [], 'g', 20]),
      b: snap([7, []]),
      expected: { records: [rec(0, 7, 'g')], appends: [3, 4], expunges: [], needDigests: { a: [3, 4], b: [7] } },
    },
    {
      name: 'a record-backed candidate with its digest pairs by digest',
      mode: 'mirror',
      records: [rec(0, 7, 'g')],
      a: snap([3, [], 'g', 10], [4, [], 'g', 20]),
      b: snap([7, []]),
      digests: { a: [[3, 'x'], [4, 'y']], b: [[7, 'y']] },
      expected: { records: [recM(4, 7, 'g')], appends: [3], expunges: [] },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan({
        mode: c.mode ?? 'copy',
        records: c.records ?? [],
        a: c.a,
        b: c.b,
        ...(c.digests && { digests: { a: digestsOf(c.digests.a), b: digestsOf(c.digests.b) } }),
      });
      expect(p.records).toEqual(c.expected.records);
      expect(p.appends.map((x) => x.uid)).toEqual(c.expected.appends);
      expect(p.expunges.map((x) => x.uid)).toEqual(c.expected.expunges);
      expect(p.needDigests).toEqual(c.expected.needDigests);
      expect(p.uncompared).toEqual(c.expected.uncompared);
      expect(withoutMeanwhile(p.flagChanges)).toEqual(c.expected.flagChanges ?? []);
    });
  }
});

describe('planFolder: known pairs', () => {
  const records = [rec(1, 11, 'g1', ['\\Seen']), rec(2, 12, 'g2', [])];

  it('does nothing when nothing changed', () => {
    const p = plan({ records, a: snap([1, ['\\Seen']], [2, []]), b: snap([11, ['\\Seen']], [12, []]) });
    expect(p).toEqual({ ...nothing, records });
  });

  it('copy: applies A’s flag changes to B and keeps B’s own', () => {
    const p = plan({
      records,
      a: snap([1, ['\\Flagged']], [2, []]),
      b: snap([11, ['\\Seen', 'mine']], [12, ['own']]),
    });
    expect(p.flagChanges).toEqual([flagsOnB(11, ['\\Flagged'], ['\\Seen'])]);
    expect(p.records).toEqual([rec(1, 11, 'g1', ['\\Flagged']), rec(2, 12, 'g2', [])]);
  });

  it('mirror: makes B’s flags equal to A’s', () => {
    const p = plan({
      mode: 'mirror',
      records,
      a: snap([1, ['\\Seen']], [2, []]),
      b: snap([11, ['\\Seen', 'mine']], [12, []]),
    });
    expect(p.flagChanges).toEqual([flagsOnB(11, [], ['mine'])]);
  });

  it('never counts a flag B cannot store as a difference, and warns about it once', () => {
    const first = plan({
      mode: 'mirror',
      accepts: { a: anyFlags, b: noKeywords },
      records: [rec(1, 11, 'g1', [])],
      a: snap([1, ['\\Seen', 'kw']]),
      b: snap([11, []]),
    });
    expect(first.flagChanges).toEqual([flagsOnB(11, ['\\Seen'], [])]);
    expect(first.droppedKeywords).toEqual({ a: [], b: ['kw'] });
    expect(first.records).toEqual([rec(1, 11, 'g1', ['\\Seen', 'kw'])]);
    const second = plan({
      mode: 'mirror',
      accepts: { a: anyFlags, b: noKeywords },
      records: first.records,
      a: snap([1, ['\\Seen', 'kw']]),
      b: snap([11, ['\\Seen']]),
    });
    expect(second).toEqual({ ...nothing, records: first.records });
  });

  it('never removes a flag B holds but does not list in PERMANENTFLAGS', () => {
    const p = plan({
      mode: 'mirror',
      accepts: { a: anyFlags, b: noKeywords },
      records: [rec(1, 11, 'g1', [])],
      a: snap([1, []]),
      b: snap([11, ['sessionOnly', '\\Seen']]),
    });
    expect(p.flagChanges).toEqual([flagsOnB(11, [], ['\\Seen'])]);
  });

  it('re-appends an A message whose copy on B is gone (copy and mirror)', () => {
    for (const mode of ['copy', 'mirror'] as const) {
      const p = plan({ mode, records, a: snap([1, ['\\Seen']], [2, []]), b: snap([12, []]) });
      expect(p.appends).toEqual([copyToB(1, 'g1', ['\\Seen'], 0)]);
      expect(p.records).toEqual([rec(2, 12, 'g2', [])]);
      expect(p.expunges).toEqual([]);
    }
  });

  it('drops a record whose message is gone from both sides', () => {
    const p = plan({ records, a: snap([2, []]), b: snap([12, []]) });
    expect(p.records).toEqual([rec(2, 12, 'g2', [])]);
    expect(p.appends).toEqual([]);
  });
});

describe('planFolder: messages gone from A', () => {
  const records = [rec(1, 11, 'g1', ['\\Seen']), rec(2, 12, 'g2', [])];
  const b = snap([11, ['\\Seen', 'x']], [12, []]);
  const a = snap([2, []]);

  it('copy: keeps B’s message as a B-only record with B’s flags', () => {
    const p = plan({ mode: 'copy', records, a, b });
    expect(p.records).toEqual([rec(0, 11, 'g1', ['\\Seen', 'x']), rec(2, 12, 'g2', [])]);
    expect(p.expunges).toEqual([]);
    expect(p.expungesWithheld).toBe(0);
  });

  it('mirror: expunges B’s copy, with the record to keep if that fails', () => {
    const p = plan({ mode: 'mirror', records, a, b });
    expect(p.expunges).toEqual([{ side: 'b', uid: 11, why: expect.any(String), record: rec(0, 11, 'g1', ['\\Seen', 'x']), flags: ['\\Seen', 'x'] }]);
    expect(p.records).toEqual([rec(2, 12, 'g2', [])]);
  });

  it('mirror without allowExpunge: keeps the record and counts the withheld expunge', () => {
    const p = plan({ mode: 'mirror', records, a, b, allowExpunge: false });
    expect(p.expunges).toEqual([]);
    expect(p.expungesWithheld).toBe(1);
    expect(p.records).toEqual([rec(0, 11, 'g1', ['\\Seen', 'x']), rec(2, 12, 'g2', [])]);
  });

  it('re-pairs a B-only record with a new A message of the same gid instead of appending', () => {
    const p = plan({
      records: [rec(0, 11, 'g1', ['\\Seen'])],
      a: snap([5, ['\\Seen'], 'g1', 50]),
      b: snap([11, ['\\Seen']]),
    });
    expect(p.appends).toEqual([]);
    expect(p.records).toEqual([recM(5, 11, 'g1', ['\\Seen'])]);
    expect(p.flagChanges).toEqual([]);
  });
});

describe('planFolder: messages a side holds but did not list (unread)', () => {
  const records = [rec(1, 11, 'g1', ['\\Seen']), rec(2, 12, 'g2', [])];
  const unread = (uid: number, flags: string[]): [number, SnapshotMessage] => [uid, { flags, unread: true }];

  it('mirror: A unread, B changed: no flag change, the record as it was', () => {
    const p = plan({ mode: 'mirror', records, a: new Map([unread(1, ['\\Seen']), [2, { flags: [] }]]), b: snap([11, ['x']], [12, []]) });
    expect(p).toEqual({ ...nothing, records });
  });

  it('mirror: A unread, its B copy gone: not appended again; B unread, A gone: not expunged', () => {
    const aUnread = plan({ mode: 'mirror', records, a: new Map([unread(1, ['\\Seen']), [2, { flags: [] }]]), b: snap([12, []]) });
    expect(aUnread).toEqual({ ...nothing, records });
    const bUnread = plan({ mode: 'mirror', records, a: snap([2, []]), b: new Map([unread(11, ['\\Seen']), [12, { flags: [] }]]) });
    expect(bUnread).toEqual({ ...nothing, records });
  });

  it('A unread while B\'s UID now holds another message: the record keeps only A, B\'s message is unknown', () => {
    const p = plan({ records: [rec(1, 11, 'g1')], a: new Map([unread(1, [])]), b: snap([11, ['x'], 'other', 5]) });
    expect(p.reusedUids).toEqual([{ side: 'b', uid: 11 }]);
    expect(p.records).toEqual([recM(0, 11, 'other', ['x']), rec(1, 0, 'g1')]);
    expect(p.appends).toEqual([]);
  });

  it('mirror: A unread, B renumbered (its side voided): B\'s message of that gid is kept, not expunged', () => {
    const p = plan({ mode: 'mirror', records: [rec(1, 0, 'g1', ['\\Seen'])], a: new Map([unread(1, ['\\Seen'])]), b: snap([40, ['\\Seen'], 'g1', 5]) });
    expect(p.expunges).toEqual([]);
    expect(p.expungesWithheld).toBe(0);
    expect(p.records).toEqual([recM(0, 40, 'g1', ['\\Seen']), rec(1, 0, 'g1', ['\\Seen'])]);
  });

  it('copy: B unread while A changed its flags: no flag change, the record as it was', () => {
    const p = plan({ records, a: snap([1, ['\\Flagged']], [2, []]), b: new Map([unread(11, ['\\Seen']), [12, { flags: [] }]]) });
    expect(p).toEqual({ ...nothing, records });
  });
});

describe('planFolder: UID reuse and voided sides', () => {
  it('A UID reused: reported, the new message appended, the old B copy unpaired', () => {
    const input = {
      records: [rec(5, 7, 'g')],
      a: snap([5, [], 'h', 100]),
      b: snap([7, []]),
    };
    const copy = plan({ ...input, mode: 'copy' });
    expect(copy.reusedUids).toEqual([{ side: 'a', uid: 5 }]);
    expect(copy.appends).toEqual([copyToB(5, 'h', [], 100)]);
    expect(copy.records).toEqual([rec(0, 7, 'g')]);
    const mirror = plan({ ...input, mode: 'mirror' });
    expect(mirror.expunges).toEqual([{ side: 'b', uid: 7, why: expect.any(String), record: rec(0, 7, 'g'), flags: [] }]);
  });

  it('B UID reused: reported, B’s new message is unknown, A’s message is copied again', () => {
    const p = plan({
      mode: 'copy',
      records: [rec(5, 7, 'g', ['\\Seen'])],
      a: snap([5, ['\\Seen']]),
      b: snap([7, [], 'other']),
    });
    expect(p.reusedUids).toEqual([{ side: 'b', uid: 7 }]);
    expect(p.appends).toEqual([copyToB(5, 'g', ['\\Seen'], 0)]);
    expect(p.records).toEqual([rec(0, 7, 'other')]);
  });

  describe('a message at a reused UID gets a new UID (issue 8 §2) where the mode writes that side and its store can', () => {
    const reused = { records: [rec(5, 7, 'g', ['\\Seen'])], a: snap([5, ['\\Seen']]), b: snap([7, [], 'other']) };
    const renumberB = { side: 'b', uid: 7, gid: 'other', how: 'move', why: expect.stringMatching(/^B UID 7 held another message when last synced/) };

    it('copy and two-way: planned on B (MOVE, or COPY without it), the message kept and its other actions still naming UID 7', () => {
      const copy = plan({ ...reused, mode: 'copy', reassignWith: { a: 'move', b: 'move' } });
      expect(copy.reassignments).toEqual([renumberB]);
      expect(copy.records).toEqual([rec(0, 7, 'other')]);
      const twoWay = plan({ ...reused, mode: 'two-way', allowExpunge: true, reassignWith: { b: 'copy' } });
      expect(twoWay.reassignments).toEqual([{ ...renumberB, how: 'copy' }]);
      expect(twoWay.appends.map((a) => [a.from, a.uid, a.gid])).toEqual([['a', 5, 'g'], ['b', 7, 'other']]);
    });

    it('none where the store cannot, where the mode never writes that side, or where the message is expunged (its UID freed)', () => {
      expect(plan({ ...reused, mode: 'copy' }).reassignments).toBeUndefined();
      const onA = { records: [rec(7, 5, 'g')], a: snap([7, [], 'other']), b: snap([5, []]) };
      expect(plan({ ...onA, mode: 'mirror', allowExpunge: true, reassignWith: { a: 'move', b: 'move' } }).reassignments).toBeUndefined();
      expect(plan({ ...onA, mode: 'two-way', allowExpunge: true, reassignWith: { a: 'move' } }).reassignments).toEqual([
        expect.objectContaining({ side: 'a', uid: 7, gid: 'other', how: 'move' }),
      ]);
      const mirror = plan({ ...reused, mode: 'mirror', allowExpunge: true, reassignWith: { b: 'move' } });
      expect(mirror.expunges.map((e) => [e.side, e.uid])).toEqual([['b', 7]]);
      expect(mirror.reassignments).toBeUndefined();
    });
  });

  it('a verified known UID with the same gid is simply present (its record learns that its gid hashes a Message-ID)', () => {
    const p = plan({ records: [rec(5, 7, 'g')], a: snap([5, [], 'g', 1]), b: snap([7, [], 'g', 1]) });
    expect(p).toEqual({ ...nothing, records: [recM(5, 7, 'g')] });
  });

  it('re-matches one-sided records (after a UIDVALIDITY change of B) by gid', () => {
    const p = plan({
      records: [rec(1, 0, 'g1', ['\\Seen']), rec(2, 0, 'g2')],
      a: snap([1, ['\\Seen']], [2, []]),
      b: snap([100, ['\\Seen'], 'g1'], [101, [], 'g9']),
    });
    expect(p.records).toEqual([rec(0, 101, 'g9'), rec(1, 100, 'g1', ['\\Seen'])]);
    expect(p.appends.map((x) => x.uid)).toEqual([2]);
  });
});

describe('planFolder: review of issue 6 (identity in doubt)', () => {
  it('a new version replacing a synced message (A side gone, same gid on A again) is not paired by gid alone', () => {
    // 1↔11 synced; A expunged 1 and got 2, same gid: sizes must decide, B's size is asked for.
    const input = { records: [rec(1, 11, 'g')], a: snap([2, [], 'g', 120]), b: snap([11, []]) };
    expect(plan({ ...input, mode: 'mirror' }).needDigests).toEqual({ a: [2], b: [11] });
    // With B's size known and different: another version, no body needed.
    const sized = plan({ ...input, mode: 'mirror', b: snap([11, [], undefined, 100]) });
    expect(sized.needDigests).toBeUndefined();
    expect(sized.appends.map((x) => x.uid)).toEqual([2]);
    expect(sized.expunges.map((e) => e.uid)).toEqual([11]);
    // A record that never had an A side (B-only) still pairs on the gid alone.
    const bOnly = plan({ records: [rec(0, 11, 'g')], a: snap([2, [], 'g', 120]), b: snap([11, []]) });
    expect(bOnly.needDigests).toBeUndefined();
    expect(bOnly.records).toEqual([recM(2, 11, 'g')]);
  });

  it('mirror: while A holds a message no record names and it gave no identity for, nothing on B is deleted', () => {
    const p = plan({ mode: 'mirror', a: snap([1, [], 'g1', 10]), b: snap([11, [], 'g1', 10], [12, [], 'g2', 10]), unidentified: { a: [2], b: [] } });
    expect(p.expunges).toEqual([]);
    expect(p.expungesInDoubt).toBe(1);
    expect(p.expungesWithheld).toBe(0);
    expect(p.records).toEqual([recM(0, 12, 'g2'), recM(1, 11, 'g1')]);
    // A known one (present in the snapshot, unread) is the records' business: no doubt about others.
    const known = plan({ mode: 'mirror', records: [rec(2, 13, 'g3')], a: snap([2, [], undefined]), b: snap([12, [], 'g2', 10], [13, []]), unidentified: { a: [2], b: [] } });
    expect(known.expunges.map((e) => e.uid)).toEqual([12]);
  });

  it('a Message-ID-less message of another size on B (its gid hashes the size) is still the recorded copy', () => {
    const sized: SnapshotMessage = { flags: ['\\Flagged'], gid: 'other-size', size: 107, sizedGid: true };
    const p = plan({ mode: 'copy', records: [rec(5, 7, 'g')], a: snap([5, []]), b: new Map([[7, sized]]) });
    expect(p.reusedUids).toEqual([]);
    expect(p.appends).toEqual([]);
    expect(p.records).toEqual([rec(5, 7, 'g')]);
    // On A, whose bytes the record's gid was made from, the same difference is another message.
    const onA = plan({ mode: 'copy', records: [rec(5, 7, 'g')], a: new Map([[5, sized]]), b: snap([7, []]) });
    expect(onA.reusedUids).toEqual([{ side: 'a', uid: 5 }]);
  });
});

describe('planFolder: what a side lost when it went back in time (held records)', () => {
  const held = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => ({ ...rec(uidA, uidB, gid, flags), held: 'rollback' });
  // Pairs 1↔11 and 2↔12; A went back in time and lost 2 (its UID 2 now holds a new message, h).
  const records = [rec(1, 11, 'g1'), rec(2, 12, 'g2', ['\\Seen'])];
  const a = snap([1, []], [2, [], 'h', 50]);
  const b = snap([11, []], [12, ['\\Seen']]);

  const cases: { name: string; over: Partial<FolderPlanInput>; expunged: number[]; withheld: number; held?: number; kept: MessageRecord[] }[] = [
    { name: 'mirror, A rolled back: marked held, withheld', over: { mode: 'mirror', wentBack: ['a'] },
      expunged: [], withheld: 1, held: 1, kept: [held(0, 12, 'g2', ['\\Seen']), rec(1, 11, 'g1')] },
    { name: 'mirror, A rolled back, expungeHeld (--force): expunged', over: { mode: 'mirror', wentBack: ['a'], expungeHeld: true },
      expunged: [12], withheld: 0, kept: [rec(1, 11, 'g1')] },
    { name: 'mirror, A rolled back, no expunge allowed: still counted as held', over: { mode: 'mirror', wentBack: ['a'], allowExpunge: false, expungeHeld: true },
      expunged: [], withheld: 1, held: 1, kept: [held(0, 12, 'g2', ['\\Seen']), rec(1, 11, 'g1')] },
    { name: 'copy, A rolled back: marked, nothing withheld (copy deletes nothing)', over: { mode: 'copy', wentBack: ['a'] },
      expunged: [], withheld: 0, kept: [held(0, 12, 'g2', ['\\Seen']), rec(1, 11, 'g1')] },
    { name: 'mirror, only B rolled back: A deleting it is an ordinary expunge', over: { mode: 'mirror', wentBack: ['b'] },
      expunged: [12], withheld: 0, kept: [rec(1, 11, 'g1')] },
    { name: 'mirror, no rollback: an ordinary expunge', over: { mode: 'mirror' },
      expunged: [12], withheld: 0, kept: [rec(1, 11, 'g1')] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = plan({ records, a, b, ...c.over });
      expect(p.expunges.map((e) => e.uid)).toEqual(c.expunged);
      expect(p.expungesWithheld).toBe(c.withheld);
      expect(p.expungesHeld).toBe(c.held);
      expect(p.records).toEqual(c.kept);
      expect(p.appends.map((x) => x.uid)).toEqual([2]); // the new message on the reused UID
    });
  }

  it('a held record stays held in later runs (no rollback seen any more) until expungeHeld', () => {
    const later = { records: [held(0, 12, 'g2'), rec(1, 11, 'g1')], a: snap([1, []]), b: snap([11, []], [12, []]) };
    const p = plan({ ...later, mode: 'mirror' });
    expect(p).toMatchObject({ expunges: [], expungesWithheld: 1, expungesHeld: 1, records: [held(0, 12, 'g2'), rec(1, 11, 'g1')] });
    const forced = plan({ ...later, mode: 'mirror', expungeHeld: true });
    expect(forced.expunges).toEqual([{ side: 'b', uid: 12, why: expect.any(String), record: held(0, 12, 'g2'), flags: [] }]);
    expect(forced.expungesHeld).toBeUndefined();
  });

  it('a held B message pairs with the same message back on A: the mark goes, nothing is copied', () => {
    const p = plan({ mode: 'mirror', records: [held(0, 12, 'g2')], a: snap([7, ['\\Seen'], 'g2', 50]), b: snap([12, []]) });
    expect(p).toMatchObject({ appends: [], expunges: [], expungesWithheld: 0, records: [rec(7, 12, 'g2', ['\\Seen'])] });
    expect(p.expungesHeld).toBeUndefined();
    expect(withoutMeanwhile(p.flagChanges)).toEqual([flagsOnB(12, ['\\Seen'], [])]);
  });

  it('a B-only record that was never paired is not marked by a rollback of A', () => {
    const p = plan({ mode: 'mirror', wentBack: ['a'], records: [rec(0, 12, 'g2')], b: snap([12, []]) });
    expect(p.expunges.map((e) => e.uid)).toEqual([12]);
    expect(p.expungesHeld).toBeUndefined();
  });

  it('a held message whose body cannot be compared is kept, still held', () => {
    const p = plan({
      mode: 'mirror', records: [held(0, 12, 'g2'), held(0, 13, 'g2')],
      a: snap([7, [], 'g2', 50]), b: snap([12, [], undefined, 50], [13, [], undefined, 50]),
      digests: { a: new Map(), b: new Map() },
    });
    expect(p.appends.map((x) => x.uid)).toEqual([7]);
    expect(p.records).toEqual([held(0, 12, 'g2'), held(0, 13, 'g2')]);
  });
});

describe('planFolder: records out of order or corrupt', () => {
  it('handles records in any order', () => {
    const p = plan({
      mode: 'mirror',
      records: [rec(3, 13, 'g3'), rec(1, 11, 'g1', ['\\Seen']), rec(2, 12, 'g2')],
      a: snap([1, []], [2, []], [3, []], [4, [], 'g4', 4]),
      b: snap([11, ['\\Seen']], [12, []], [13, []]),
    });
    expect(p.records).toEqual([rec(1, 11, 'g1'), rec(2, 12, 'g2'), rec(3, 13, 'g3')]);
    expect(p.flagChanges).toEqual([flagsOnB(11, [], ['\\Seen'])]);
    expect(p.appends.map((x) => x.uid)).toEqual([4]);
  });

  it('lets a UID belong to one record only: a second claim counts as absent on that side', () => {
    const p = plan({
      mode: 'copy',
      records: [rec(1, 11, 'g'), rec(1, 12, 'g')],
      a: snap([1, []]),
      b: snap([11, []], [12, []]),
    });
    expect(p.records).toEqual([rec(0, 12, 'g'), rec(1, 11, 'g')]);
    expect(p.appends).toEqual([]);
  });
});

describe('planFolder: \\Deleted', () => {
  it('copies \\Deleted like any flag', () => {
    const p = plan({ a: snap([1, ['\\Deleted', '\\Seen'], 'g', 3]) });
    expect(p.appends).toEqual([copyToB(1, 'g', ['\\Deleted', '\\Seen'], 3)]);
  });

  it('propagates \\Deleted set or cleared on A, and never expunges because of it', () => {
    for (const mode of ['copy', 'mirror'] as const) {
      const p = plan({
        mode,
        records: [rec(1, 11, 'g1'), rec(2, 12, 'g2', ['\\Deleted'])],
        a: snap([1, ['\\Deleted']], [2, []]),
        b: snap([11, []], [12, ['\\Deleted']]),
      });
      expect(p.flagChanges).toEqual([
        flagsOnB(11, ['\\Deleted'], []),
        flagsOnB(12, [], ['\\Deleted']),
      ]);
      expect(p.expunges).toEqual([]);
      expect(p.records).toEqual([rec(1, 11, 'g1', ['\\Deleted']), rec(2, 12, 'g2')]);
    }
  });
});

describe('planFolder: two-way', () => {
  const twoWay = (over: Partial<FolderPlanInput>) => plan({ mode: 'two-way', allowExpunge: true, ...over });
  // Copies of messages whose envelope was read, with a Message-ID: a server-side move may stand in (byMessageId).
  const copy = (from: 'a' | 'b', uid: number, gid: string, flags: string[] = []) =>
    ({ from, to: from === 'a' ? 'b' : 'a', uid, gid, flags, sourceFlags: flags, size: expect.any(Number) as unknown as number, why: expect.any(String) as unknown as string, byMessageId: true });

  it('copies what is new on either side to the other, with its flags', () => {
    const p = twoWay({ a: snap([1, ['\\Seen'], 'gA', 10]), b: snap([7, ['\\Flagged'], 'gB', 20]) });
    expect(p.appends).toEqual([copy('a', 1, 'gA', ['\\Seen']), copy('b', 7, 'gB', ['\\Flagged'])]);
    expect(p.appends.map((a) => a.why)).toEqual(['new on A', 'new on B']);
    expect([p.expunges, p.flagChanges, p.records]).toEqual([[], [], []]);
  });

  it("merges flags as deltas against the base: the issue's example", () => {
    const p = twoWay({
      records: [rec(1, 5, 'g', ['\\Flagged'])],
      a: snap([1, ['\\Answered', '\\Flagged']]),
      b: snap([5, ['\\Seen']]),
    });
    expect(p.flagChanges).toEqual([
      { side: 'a', uid: 1, add: ['\\Seen'], remove: ['\\Flagged'], why: 'flags changed on B: +\\Seen -\\Flagged' },
      { side: 'b', uid: 5, add: ['\\Answered'], remove: [], why: 'flags changed on A: +\\Answered' },
    ]);
    expect(p.records).toEqual([rec(1, 5, 'g', ['\\Answered', '\\Seen'])]);
  });

  it('\\Deleted is a flag like the others: merged as a delta, never an expunge', () => {
    const p = twoWay({
      records: [rec(1, 5, 'g', ['\\Seen'])],
      a: snap([1, []]),
      b: snap([5, ['\\Deleted', '\\Seen']]),
    });
    expect(p.flagChanges).toEqual([
      { side: 'a', uid: 1, add: ['\\Deleted'], remove: [], why: 'flags changed on B: +\\Deleted' },
      { side: 'b', uid: 5, add: [], remove: ['\\Seen'], why: 'flags changed on A: -\\Seen' },
    ]);
    expect(p.records).toEqual([rec(1, 5, 'g', ['\\Deleted'])]);
    expect(p.expunges).toEqual([]);
  });

  it('without a base (a pair matched by gid), a flag one side has and the other lacks is added: add wins', () => {
    const p = twoWay({ a: snap([1, ['\\Seen'], 'g', 10]), b: snap([5, [], 'g', 10]) });
    expect(withoutMeanwhile(p.flagChanges)).toEqual([{ side: 'b', uid: 5, add: ['\\Seen'], remove: [], why: 'matched by global id: flags of both sides merged' }]);
  });

  it('expunges on one side what the other expunged after both had it; the expunge wins over a flag change, and says so', () => {
    const p = twoWay({
      records: [rec(1, 5, 'g1'), rec(2, 6, 'g2', ['\\Seen']), rec(3, 7, 'g3')],
      // The UIDs to expunge were read (their gids): the record's message is still there.
      a: snap([2, ['\\Seen']], [3, ['\\Flagged'], 'g3']),
      b: snap([5, [], 'g1'], [6, ['\\Seen']]),
    });
    expect(p.expunges).toEqual([
      { side: 'a', uid: 3, record: rec(3, 7, 'g3'), flags: ['\\Flagged'], why: "two-way: B deleted it; its flag change on A since the last run (+\\Flagged) is lost: the expunge wins" },
      { side: 'b', uid: 5, record: rec(1, 5, 'g1'), flags: [], why: 'two-way: A deleted it' },
    ]);
    expect(p.expungesOverFlagChanges).toBe(1);
    expect(p.appends).toEqual([]);
    expect(p.records).toEqual([rec(2, 6, 'g2', ['\\Seen'])]);
  });

  it('expunges no known UID whose identity the run did not read: asks for it (needIdentity), keeps the record, deletes nothing', () => {
    const p = twoWay({ records: [rec(1, 5, 'g1'), rec(2, 6, 'g2'), rec(3, 7, 'g3')], a: snap([2, []], [3, []]), b: snap([5, []], [6, []]) });
    expect([p.expunges, p.appends, p.needIdentity]).toEqual([[], [], { a: [3], b: [5] }]);
    expect(p.records).toEqual([rec(1, 5, 'g1'), rec(2, 6, 'g2'), rec(3, 7, 'g3')]);
  });

  it('planned again with the identities read: the record\'s message is expunged, a UID holding another message is kept, reassigned and copied', () => {
    const records = [recM(1, 5, 'g1'), recM(2, 6, 'g2')];
    const p = twoWay({ records, a: snap(), b: snap([5, [], 'g1'], [6, [], 'gNew', 40]) });
    expect(p.needIdentity).toBeUndefined();
    expect(p.expunges.map((e) => [e.side, e.uid])).toEqual([['b', 5]]);
    expect(p.appends.map((c) => [c.from, c.uid, c.gid])).toEqual([['b', 6, 'gNew']]);
    expect(p.reusedUids).toEqual([{ side: 'b', uid: 6 }]);
  });

  it('never deletes what the state does not prove was on the other side: a pending one-sided record is copied', () => {
    const p = twoWay({
      records: [{ ...rec(0, 5, 'gB'), status: 'pending' }, rec(4, 0, 'gA')],
      a: snap([4, []]),
      b: snap([5, []]),
    });
    expect(p.expunges).toEqual([]);
    expect(p.appends.map((a) => [a.from, a.uid])).toEqual([['a', 4], ['b', 5]]);
  });

  it('without allowExpunge (the guard withheld them) keeps both sides, counts them, and keeps their records whole (the proof for the next run)', () => {
    const p = twoWay({ records: [rec(1, 5, 'g1'), rec(2, 6, 'g2')], a: snap([2, []]), b: snap([5, []]), allowExpunge: false });
    expect([p.expunges, p.appends]).toEqual([[], []]);
    expect(p.expungesWithheld).toBe(2);
    expect(p.records).toEqual([rec(1, 5, 'g1'), rec(2, 6, 'g2')]);
  });

  it('a side that went back in time gets back what it lost, and its loss deletes nothing', () => {
    for (const lost of ['a', 'b'] as const) {
      const p = twoWay({
        records: [rec(1, 5, 'g1'), rec(2, 6, 'g2')],
        a: lost === 'a' ? snap([1, []]) : snap([1, []], [2, []]),
        b: lost === 'b' ? snap([5, []]) : snap([5, []], [6, []]),
        wentBack: [lost],
      });
      expect(p.expunges).toEqual([]);
      expect(p.appends).toEqual([expect.objectContaining({ from: lost === 'a' ? 'b' : 'a', uid: lost === 'a' ? 6 : 2, why: `${lost.toUpperCase()} lost it when it went back in time` })]);
    }
  });

  it("a held record (mirror's rollback mark) is copied back to the side that lost it", () => {
    const p = twoWay({ records: [{ ...rec(0, 6, 'g2'), held: 'rollback' }], b: snap([6, []]) });
    expect(p.expunges).toEqual([]);
    expect(p.appends.map((a) => [a.from, a.uid])).toEqual([['b', 6]]);
  });

  it('a known UID now holding another message is no deletion: the other side\'s copy goes back', () => {
    const p = twoWay({ records: [rec(2, 6, 'g2')], a: snap([2, [], 'gNew', 30]), b: snap([6, []]) });
    expect(p.reusedUids).toEqual([{ side: 'a', uid: 2 }]);
    expect(p.expunges).toEqual([]);
    expect(p.appends.map((a) => [a.from, a.uid, a.gid])).toEqual([['a', 2, 'gNew'], ['b', 6, 'g2']]);
  });

  it('pairs the same message appended on both sides (same gid) and unions their flags', () => {
    const p = twoWay({ a: snap([3, ['\\Seen'], 'g', 40]), b: snap([9, ['\\Flagged'], 'g', 40]) });
    expect(p.appends).toEqual([]);
    expect(p.flagChanges.map((c) => [c.side, c.uid, c.add])).toEqual([['a', 3, ['\\Flagged']], ['b', 9, ['\\Seen']]]);
    expect(p.records).toEqual([recM(3, 9, 'g', ['\\Flagged', '\\Seen'])]);
  });

  it('re-matches by gid after a side lost its UIDs (new UIDVALIDITY): nothing copied twice, nothing deleted', () => {
    const p = twoWay({ records: [rec(0, 5, 'g1'), rec(0, 6, 'g2')], a: snap([11, [], 'g1', 10], [12, [], 'g2', 10]), b: snap([5, []], [6, []]) });
    expect([p.appends, p.expunges]).toEqual([[], []]);
    expect(p.records).toEqual([recM(11, 5, 'g1'), recM(12, 6, 'g2')]);
  });

  it('a flag a side cannot store is no change of that side: the base keeps it, the other side keeps it (either side)', () => {
    for (const side of ['a', 'b'] as const) {
      // The last run copied the message with $Work to the side that cannot store it: the base has $Work.
      const accepts = side === 'b' ? { a: anyFlags, b: noKeywords } : { a: noKeywords, b: anyFlags };
      const flags = (mine: string[], other: string[]) => (side === 'b' ? { a: snap([1, other]), b: snap([5, mine]) } : { a: snap([1, mine]), b: snap([5, other]) });
      const settled = twoWay({ accepts, records: [rec(1, 5, 'g', ['\\Seen', '$Work'])], ...flags(['\\Seen'], ['\\Seen', '$Work']) });
      expect(settled).toEqual({ ...nothing, records: [rec(1, 5, 'g', ['\\Seen', '$Work'])] });
      // A real change of that side is still merged, and $Work stays on the other side.
      const unseen = twoWay({ accepts, records: [rec(1, 5, 'g', ['\\Seen', '$Work'])], ...flags([], ['\\Seen', '$Work']) });
      expect(unseen.flagChanges).toEqual([{ side: side === 'b' ? 'a' : 'b', uid: side === 'b' ? 1 : 5, add: [], remove: ['\\Seen'], why: `flags changed on ${side.toUpperCase()}: -\\Seen` }]);
      expect(unseen.records).toEqual([rec(1, 5, 'g', ['$Work'])]);
      // The other side removing $Work still removes it from the base.
      const dropped = twoWay({ accepts, records: [rec(1, 5, 'g', ['\\Seen', '$Work'])], ...flags(['\\Seen'], ['\\Seen']) });
      expect(dropped).toEqual({ ...nothing, records: [rec(1, 5, 'g', ['\\Seen'])] });
      // The other side deletes it: the side that cannot store $Work changed nothing, no flag change is lost.
      const gone = twoWay({ accepts, records: [rec(1, 5, 'g', ['\\Seen', '$Work'])], ...(side === 'b' ? { a: snap(), b: snap([5, ['\\Seen'], 'g']) } : { a: snap([1, ['\\Seen'], 'g']), b: snap() }) });
      expect(gone.expunges.map((e) => [e.side, e.why])).toEqual([[side, `two-way: ${side === 'b' ? 'A' : 'B'} deleted it`]]);
      expect(gone.expungesOverFlagChanges).toBeUndefined();
    }
  });

  it('deletes nothing on a side while the other holds messages it gave no identity for', () => {
    const p = twoWay({ records: [rec(1, 5, 'g1')], a: snap(), b: snap([5, []]), unidentified: { a: [3], b: [] } });
    expect(p.expunges).toEqual([]);
    expect(p.expungesInDoubt).toBe(1);
  });
});

describe('planFolder: errors', () => {
  it('refuses an unknown message without a gid (a caller bug, never silent)', () => {
    expect(() => plan({ a: snap([1, []]) })).toThrow(/UID 1 .*no global id/);
  });
});

describe('planFolder: every action names its side and says why', () => {
  it('copies: new on A, B\'s copy gone, not on B yet, B\'s UID reused', () => {
    const p = plan({
      records: [rec(2, 12, 'g2'), rec(3, 0, 'g3'), rec(4, 14, 'g4')],
      a: snap([1, [], 'g1', 10], [2, []], [3, []], [4, []]),
      b: snap([14, [], 'other', 20]),
    });
    expect(p.appends.map(({ from, to, uid, why }) => ({ from, to, uid, why }))).toEqual([
      { from: 'a', to: 'b', uid: 1, why: 'new on A' },
      { from: 'a', to: 'b', uid: 2, why: "B's copy is gone" },
      { from: 'a', to: 'b', uid: 3, why: 'not on B yet' },
      { from: 'a', to: 'b', uid: 4, why: 'UID 14 on B now holds another message' },
    ]);
  });

  it('mirror expunges: A deleted it, never on A, A\'s UID reused', () => {
    const p = plan({
      mode: 'mirror',
      records: [rec(1, 11, 'g1'), rec(0, 12, 'g2'), rec(3, 13, 'g3')],
      a: snap([3, [], 'another', 30]),
      b: snap([11, []], [12, []], [13, []], [14, [], 'g4', 40]),
    });
    expect(p.expunges.map(({ side, uid, why }) => ({ side, uid, why }))).toEqual([
      { side: 'b', uid: 11, why: 'mirror: A deleted it' },
      { side: 'b', uid: 12, why: 'mirror: not on A' },
      { side: 'b', uid: 13, why: 'mirror: UID 3 on A now holds another message' },
      { side: 'b', uid: 14, why: 'mirror: not on A' },
    ]);
  });

  it('flag changes: what A changed; in mirror, B\'s own change undone; a pair matched by global id', () => {
    const records = [rec(1, 11, 'g1', ['\\Seen']), rec(2, 12, 'g2')];
    const p = plan({ mode: 'mirror', records, a: snap([1, ['\\Flagged']], [2, []], [3, ['\\Seen'], 'g3', 3]), b: snap([11, ['\\Seen']], [12, ['kw']], [13, [], 'g3', 3]) });
    expect(p.flagChanges.map(({ side, uid, why }) => ({ side, uid, why }))).toEqual([
      { side: 'b', uid: 11, why: 'flags changed on A: +\\Flagged -\\Seen' },
      { side: 'b', uid: 12, why: "B's flags follow A's" },
      { side: 'b', uid: 13, why: 'matched by global id: flags as on A' },
    ]);
  });
});

describe('planFolder: a flag a side cannot store, in copy and mirror', () => {
  // A is never written there, so no copy put the base's flags on A: A's flags are what A has.
  it('A lacking a base flag it cannot store is A removing it: B follows (mirror, copy)', () => {
    for (const mode of ['copy', 'mirror'] as const) {
      const p = plan({ mode, accepts: { a: noKeywords, b: anyFlags }, records: [rec(1, 11, 'g1', ['\\Seen', 'kw'])], a: snap([1, ['\\Seen']]), b: snap([11, ['\\Seen', 'kw']]) });
      expect([p.flagChanges, p.records]).toEqual([[flagsOnB(11, [], ['kw'])], [rec(1, 11, 'g1', ['\\Seen'])]]);
    }
  });
});

describe('planFolder: copy and mirror restrict the side-symmetric plan to writing B', () => {
  // B changed everything it could: new messages, flag changes, deletions of copies; A too.
  const records = [rec(1, 11, 'g1', ['\\Seen']), rec(2, 12, 'g2'), rec(3, 13, 'g3')];
  const a = snap([1, []], [2, ['\\Flagged']], [4, [], 'g4', 4]);
  const b = snap([11, ['\\Seen', 'mine']], [13, []], [15, ['\\Seen'], 'g5', 5]);
  for (const mode of ['copy', 'mirror'] as const) {
    it(`${mode}: no action on A, whatever B changed`, () => {
      const p = plan({ mode, records, a, b, accepts: { a: noKeywords, b: anyFlags } });
      expect(p.appends.every((x) => x.from === 'a' && x.to === 'b')).toBe(true);
      expect(p.flagChanges.every((c) => c.side === 'b')).toBe(true);
      expect(p.expunges.every((e) => e.side === 'b')).toBe(true);
      // A's acceptance plays no part: nothing is written to A, so nothing is dropped there.
      expect(p.droppedKeywords.a).toEqual([]);
      expect(p.appends.map((x) => x.uid)).toEqual([2, 4]);
      if (mode === 'copy') {
        // B keeps its own flags and messages; A's flag change reaches B.
        expect(p.flagChanges).toEqual([flagsOnB(11, [], ['\\Seen'])]);
        expect(p.expunges).toEqual([]);
        expect(p.records).toContainEqual(recM(0, 15, 'g5', ['\\Seen']));
      } else {
        // B follows A: B's own flag undone, what A lacks deleted.
        expect(p.flagChanges).toEqual([flagsOnB(11, [], ['\\Seen', 'mine'])]);
        expect(p.expunges.map((e) => e.uid)).toEqual([13, 15]);
      }
    });
  }

  it('a flag one side cannot store is judged per side: B\'s acceptance filters B\'s changes and copies', () => {
    const p = plan({
      mode: 'mirror',
      accepts: { a: anyFlags, b: noKeywords },
      records: [rec(1, 11, 'g1')],
      a: snap([1, ['kw', '\\Seen']], [2, ['other'], 'g2', 2]),
      b: snap([11, []]),
    });
    expect(p.flagChanges).toEqual([flagsOnB(11, ['\\Seen'], [])]);
    expect(p.appends).toEqual([copyToB(2, 'g2', [], 2)]);
    expect(p.droppedKeywords).toEqual({ a: [], b: ['kw', 'other'] });
  });
});

describe('planFolder: records that know their global id hashes a Message-ID (byMessageId)', () => {
  const sized = (uid: number, gid: string, size: number): [number, SnapshotMessage] => [uid, { flags: [], gid, size, sizedGid: true }];
  const marked = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => recM(uidA, uidB, gid, flags);

  it('pairs and one-sided records made from envelopes read now carry it only when the id hashes no size (else the size it hashes)', () => {
    const p = plan({
      mode: 'copy',
      a: new Map([[1, { flags: [], gid: 'id', size: 10 }], sized(2, 'noid', 20)]),
      b: new Map([[11, { flags: [], gid: 'id', size: 10 }], sized(12, 'noid', 20), [13, { flags: [], gid: 'bOnly', size: 5 }], sized(14, 'bNoid', 6)]),
      // Message-ID-less ids pair only on equal bodies (see matchByGid.ts).
      digests: { a: new Map([[2, 'x']]), b: new Map([[12, 'x']]) },
    });
    expect(p.records).toEqual([marked(0, 13, 'bOnly'), { ...rec(0, 14, 'bNoid'), size: 6 }, marked(1, 11, 'id'), { ...rec(2, 12, 'noid'), size: 20 }]);
  });

  it('a marked record keeps its mark when kept, when its flags change, and when one side is gone', () => {
    const records = [marked(1, 11, 'g1', ['\\Seen']), marked(2, 12, 'g2'), marked(3, 13, 'g3')];
    const p = plan({ mode: 'copy', records, a: snap([1, ['\\Seen']], [2, ['\\Flagged']]), b: snap([11, ['\\Seen']], [12, []], [13, []]) });
    expect(p.records).toEqual([marked(0, 13, 'g3'), marked(1, 11, 'g1', ['\\Seen']), marked(2, 12, 'g2', ['\\Flagged'])]);
    // Its copy, not read now, says nothing of the envelope it was not read from.
    const again = plan({ mode: 'copy', records: [marked(1, 11, 'g1')], a: snap([1, []]), b: snap() });
    expect(again.appends).toEqual([copyToB(1, 'g1', [], 0)]);
    // Re-paired by gid with a message whose envelope was not read: the pair keeps the record's mark.
    const repaired = plan({ mode: 'copy', records: [marked(0, 11, 'g1')], a: snap([5, [], 'g1']), b: snap([11, []]) });
    expect(repaired.records).toEqual([marked(5, 11, 'g1')]);
  });

  it('an envelope read now teaches a record without it, unless its id hashes a size (then the record learns that size)', () => {
    const records = [rec(1, 11, 'g1'), rec(2, 12, 'g2')];
    const p = plan({ records, a: new Map([[1, { flags: [], gid: 'g1', size: 5 }], sized(2, 'g2', 6)]), b: snap([11, []], [12, []]) });
    expect(p.records).toEqual([marked(1, 11, 'g1'), { ...rec(2, 12, 'g2'), size: 6 }]);
  });

  it('the size a Message-ID-less id hashes travels with the id: to copies, to rebuilt and re-paired records, from unread records', () => {
    const copied = plan({ mode: 'two-way', a: new Map([sized(1, 'noid', 20)]) });
    expect(copied.appends.map((x) => [x.uid, x.gidSize, x.byMessageId])).toEqual([[1, 20, undefined]]);
    // A record whose flags change keeps it; a one-sided record re-paired by gid (its message unread) keeps its own.
    const sizedRec = { ...rec(1, 11, 'noid', ['\\Seen']), size: 20 };
    const changed = plan({ mode: 'two-way', records: [sizedRec], a: snap([1, ['\\Seen', '\\Flagged']]), b: snap([11, ['\\Seen']]) });
    expect(changed.records).toEqual([{ ...sizedRec, flags: ['\\Flagged', '\\Seen'] }]);
    const repaired = plan({ mode: 'copy', records: [{ ...rec(0, 11, 'noid'), size: 20 }], a: snap([5, [], 'noid']), b: snap([11, []]) });
    expect(repaired.records).toEqual([{ ...rec(5, 11, 'noid'), size: 20 }]);
    // Copied again from an unread record: the copy takes the record's size.
    const again = plan({ mode: 'two-way', records: [{ ...rec(0, 11, 'noid'), size: 20 }], b: snap([11, []]) });
    expect(again.appends.map((x) => [x.from, x.uid, x.gidSize])).toEqual([['b', 11, 20]]);
  });

  it('two-way: a Message-ID-less message on B at the UID of a marked record is another message (F1)', () => {
    const p = plan({ mode: 'two-way', records: [marked(1, 5, 'm0')], a: snap([1, []]), b: new Map([sized(5, 'noid', 40)]) });
    expect(p.reusedUids).toEqual([{ side: 'b', uid: 5 }]);
    expect(p.appends.map((x) => [x.from, x.uid, x.gid])).toEqual([['a', 1, 'm0'], ['b', 5, 'noid']]);
    // Unmarked (an older state), the same read proves nothing on B: today's rule.
    const old = plan({ mode: 'two-way', records: [rec(1, 5, 'm0')], a: snap([1, []]), b: new Map([sized(5, 'noid', 40)]) });
    expect(old.reusedUids).toEqual([]);
  });
});

describe('planFolder: the message filter (heldBack)', () => {
  it('defers a held-back copy: a one-sided deferred record with its size, counted, no append', () => {
    const p = plan({ a: snap([1, [], 'g', 10], [2, [], 'h', 5000]), heldBack: { a: new Set([2]) } });
    expect(p.appends.map((x) => x.uid)).toEqual([1]);
    expect(p.records).toEqual([{ ...recM(2, 0, 'h'), status: 'deferred', size: 5000 }]);
    expect(p.deferred).toEqual({ a: { messages: 1, bytes: 5000 }, b: { messages: 0, bytes: 0 } });
  });

  it('copies a deferred record the filter no longer holds back, and keeps it deferred while it does', () => {
    const deferred: MessageRecord = { ...rec(2, 0, 'h'), status: 'deferred', size: 5000 };
    const input = { records: [deferred], a: snap([2, []]) };
    expect(plan(input).appends.map((x) => [x.uid, x.gid])).toEqual([[2, 'h']]);
    // Its size comes from the snapshot (the read phase gives it the record's).
    const still = plan({ ...input, a: snap([2, [], undefined, 5000]), heldBack: { a: new Set([2]) } });
    expect([still.appends, still.records]).toEqual([[], [{ ...rec(2, 0, 'h'), status: 'deferred', size: 5000 }]]);
  });

  it('mirror: a held-back A message pairs with B\'s copy, and deletes nothing on B', () => {
    const p = plan({ mode: 'mirror', a: snap([1, [], 'g', 5000]), b: snap([7, [], 'g', 5000], [8, [], 'x', 3]), heldBack: { a: new Set([1]) } });
    expect(p.records).toEqual([recM(1, 7, 'g')]);
    expect(p.expunges.map((e) => e.uid)).toEqual([8]);
    expect(p.deferred).toBeUndefined();
  });

  it('a held-back UID already on both sides is left alone; B\'s held-back UIDs do not matter in copy mode', () => {
    const p = plan({ records: [rec(1, 7, 'g')], a: snap([1, []]), b: snap([7, []], [9, [], 'z', 4]), heldBack: { a: new Set([1]), b: new Set([9]) } });
    expect([p.appends, p.records, p.deferred]).toEqual([[], [recM(0, 9, 'z'), rec(1, 7, 'g')], undefined]);
  });

  it('two-way: defers from either side', () => {
    const p = plan({ mode: 'two-way', a: snap([1, [], 'g', 5000]), b: snap([9, [], 'z', 6000], [10, [], 'y', 3]), heldBack: { a: new Set([1]), b: new Set([9]) } });
    expect(p.appends.map((x) => [x.from, x.uid])).toEqual([['b', 10]]);
    expect(p.records).toEqual([{ ...recM(0, 9, 'z'), status: 'deferred', size: 6000 }, { ...recM(1, 0, 'g'), status: 'deferred', size: 5000 }]);
  });
});
