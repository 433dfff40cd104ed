import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/state/types.js';
import type { SnapshotMessage } from '../../src/sync/planTypes.js';
import { SidePresence } from '../../src/sync/presence.js';

const rec = (uidA: number, uidB: number, gid: string): MessageRecord => ({ uidA, uidB, gid, flags: [] });

describe('SidePresence: four facts, not one "undefined"', () => {
  const b = new Map<number, SnapshotMessage>([
    [11, { flags: ['\\Seen'] }],
    [13, { flags: [], gid: 'other', size: 5 }],
    [14, { flags: [], gid: 'g4', size: 5 }],
  ]);
  const records = [rec(1, 11, 'g1'), rec(2, 0, 'g2'), rec(3, 12, 'g3'), rec(4, 13, 'g4x'), rec(5, 14, 'g4')];

  it('present, never-stored, gone, uid-reused', () => {
    const presence = new SidePresence('b', b, records);
    const kinds = records.map((r) => {
      const p = presence.of(r);
      return p.kind === 'present' ? `present ${p.message.flags.join(',')}` : p.kind === 'uid-reused' ? `uid-reused ${p.uid}` : p.kind;
    });
    expect(kinds).toEqual(['present \\Seen', 'never-stored', 'gone', 'uid-reused 13', 'present ']);
    // A reused UID is not claimed: its message is unknown to the records, and collected as such.
    expect(presence.claimedWithGid(13)).toBe(false);
    expect(presence.claimedWithGid(14)).toBe(true);
    expect(presence.withoutGid).toBe(1);
  });

  it('a UID a second record names (a corrupt state) is gone for that record', () => {
    const presence = new SidePresence('b', b, [rec(1, 11, 'g1'), rec(2, 11, 'g1')]);
    expect(presence.of(rec(1, 11, 'g1')).kind).toBe('present');
    expect(presence.of(rec(2, 11, 'g1')).kind).toBe('gone');
  });

  it('a Message-ID-less id of another size is another message only on A, whose bytes made the record\'s id', () => {
    const sized = new Map<number, SnapshotMessage>([[7, { flags: [], gid: 'resized', size: 9, sizedGid: true }]]);
    expect(new SidePresence('b', sized, [rec(5, 7, 'g')]).of(rec(5, 7, 'g')).kind).toBe('present');
    expect(new SidePresence('a', sized, [rec(7, 5, 'g')]).of(rec(7, 5, 'g')).kind).toBe('uid-reused');
  });

  it('at the UID of a record whose id hashes a Message-ID (marked), an id that hashes a size is another message on either side', () => {
    const sized = new Map<number, SnapshotMessage>([[7, { flags: [], gid: 'resized', size: 9, sizedGid: true }]]);
    const onB = { ...rec(5, 7, 'g'), byMessageId: true as const };
    expect(new SidePresence('b', sized, [onB]).of(onB)).toEqual({ kind: 'uid-reused', uid: 7 });
    const onA = { ...rec(7, 5, 'g'), byMessageId: true as const };
    expect(new SidePresence('a', sized, [onA]).of(onA)).toEqual({ kind: 'uid-reused', uid: 7 });
  });
});
