import { describe, expect, it } from 'vitest';
import { buildSnapshot, voidSide } from '../../src/sync/snapshot.js';
import type { MessageRecord } from '../../src/state/types.js';

const records: MessageRecord[] = [
  { uidA: 1, uidB: 11, gid: 'g1', flags: ['\\Seen'] },
  { uidA: 2, uidB: 12, gid: 'g2', flags: [] },
  { uidA: 3, uidB: 0, gid: 'g3', flags: ['k'] },
  { uidA: 0, uidB: 14, gid: 'g4', flags: ['\\Flagged'] },
];

describe('buildSnapshot', () => {
  it('delta: known UIDs with recorded flags, minus vanished, with changed flags, plus new envelopes', () => {
    const snap = buildSnapshot(records, 'a', {
      kind: 'delta',
      messages: [
        { uid: 2, flags: ['\\seen', '\\Recent'] },
        { uid: 7, flags: ['x'] },
      ],
      vanished: [3],
      envelopes: [{ uid: 7, flags: ['x'], size: 70, gid: 'g7' }],
    });
    expect([...snap]).toEqual([
      [1, { flags: ['\\Seen'] }],
      [2, { flags: ['\\Seen'] }],
      [7, { flags: ['x'], gid: 'g7', size: 70 }],
    ]);
  });

  it('full: exactly the messages listed', () => {
    const snap = buildSnapshot(records, 'b', {
      kind: 'full',
      messages: [
        { uid: 12, flags: ['\\Answered'] },
        { uid: 20, flags: [] },
      ],
      vanished: [11, 14],
      envelopes: [{ uid: 20, flags: [], size: 5, gid: 'g20' }],
    });
    expect([...snap]).toEqual([
      [12, { flags: ['\\Answered'] }],
      [20, { flags: [], gid: 'g20', size: 5 }],
    ]);
  });

  it('gives known UIDs the gid and size of their envelope (verification)', () => {
    const snap = buildSnapshot(records, 'a', {
      kind: 'delta',
      messages: [],
      vanished: [],
      envelopes: [{ uid: 1, flags: ['\\Flagged'], size: 10, gid: 'other' }],
    });
    expect(snap.get(1)).toEqual({ flags: ['\\Flagged'], gid: 'other', size: 10 });
  });

  it('prefers the flags of the message listing over the envelope’s', () => {
    const snap = buildSnapshot([], 'a', {
      kind: 'full',
      messages: [{ uid: 5, flags: ['\\Seen'] }],
      vanished: [],
      envelopes: [{ uid: 5, flags: [], size: 1, gid: 'g' }],
    });
    expect(snap.get(5)!.flags).toEqual(['\\Seen']);
  });

  it('leaves out an unknown UID without envelope, and a vanished UID even with one', () => {
    const snap = buildSnapshot([], 'a', {
      kind: 'delta',
      messages: [{ uid: 8, flags: [] }],
      vanished: [9],
      envelopes: [{ uid: 9, flags: [], size: 1, gid: 'g9' }],
    });
    expect(snap.size).toBe(0);
  });

  it('full: a known UID left out of the listing is there with its recorded flags, unread; an unknown one is left out', () => {
    const snap = buildSnapshot(records, 'a', {
      kind: 'full',
      messages: [{ uid: 1, flags: ['\\Seen'] }],
      vanished: [],
      envelopes: [],
      unread: [2, 3, 9],
    });
    expect([...snap]).toEqual([
      [1, { flags: ['\\Seen'] }],
      [2, { flags: [], unread: true }],
      [3, { flags: ['k'], unread: true }],
    ]);
  });

  it('delta: a known UID left out is marked unread', () => {
    const snap = buildSnapshot(records, 'b', { kind: 'delta', messages: [], vanished: [], envelopes: [], unread: [12] });
    expect(snap.get(12)).toEqual({ flags: [], unread: true });
    expect(snap.get(11)).toEqual({ flags: ['\\Seen'] });
  });

  it('uses only the given side’s UIDs', () => {
    const snap = buildSnapshot(records, 'b', { kind: 'delta', messages: [], vanished: [], envelopes: [] });
    expect([...snap.keys()]).toEqual([11, 12, 14]);
  });
});

describe('voidSide', () => {
  it('sets one side’s UIDs to 0 and drops records left with none', () => {
    expect(voidSide(records, 'a')).toEqual([
      { uidA: 0, uidB: 11, gid: 'g1', flags: ['\\Seen'] },
      { uidA: 0, uidB: 12, gid: 'g2', flags: [] },
      { uidA: 0, uidB: 14, gid: 'g4', flags: ['\\Flagged'] },
    ]);
    expect(voidSide(records, 'b').map((r) => [r.uidA, r.uidB])).toEqual([
      [1, 0],
      [2, 0],
      [3, 0],
    ]);
  });

  it('does not change its input', () => {
    const copy = structuredClone(records);
    voidSide(records, 'a');
    expect(records).toEqual(copy);
  });
});
