// holdsAnotherMessage: when a global id read at a known UID proves that the UID
// holds another message than its record names.
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/state/types.js';
import { holdsAnotherMessage } from '../../src/sync/knownIdentity.js';

const rec = (uidA: number, uidB: number, extra: Partial<MessageRecord> = {}): MessageRecord => ({ uidA, uidB, gid: 'g', flags: [], ...extra });
const SIDES = ['a', 'b'] as const;

describe('holdsAnotherMessage', () => {
  it('the same id is the same message, on either side, whatever the record says of its id', () => {
    for (const side of SIDES) {
      for (const record of [rec(1, 2), rec(1, 2, { byMessageId: true })]) {
        expect(holdsAnotherMessage(record, side, { gid: 'g' })).toBe(false);
        expect(holdsAnotherMessage(record, side, { gid: 'g', sizedGid: true })).toBe(false);
      }
    }
  });

  it('another id that hashes a Message-ID is another message, on either side', () => {
    for (const side of SIDES) {
      expect(holdsAnotherMessage(rec(1, 2), side, { gid: 'other', sizedGid: false })).toBe(true);
      expect(holdsAnotherMessage(rec(0, 2), side, { gid: 'other' })).toBe(true);
    }
  });

  it('without the mark, another id that hashes a size proves nothing where the record id may come from the other side', () => {
    // A pair's id is A's: B may store the same Message-ID-less message with other bytes.
    expect(holdsAnotherMessage(rec(1, 2), 'b', { gid: 'other', sizedGid: true })).toBe(false);
    expect(holdsAnotherMessage(rec(1, 2), 'a', { gid: 'other', sizedGid: true })).toBe(true);
    // A B-only record's id may be B's or (it lost its A side) A's: neither side proves anything.
    expect(holdsAnotherMessage(rec(0, 2), 'b', { gid: 'other', sizedGid: true })).toBe(false);
  });

  it('with the mark (the record id hashes a Message-ID), another id that hashes a size is another message, on either side', () => {
    for (const record of [rec(1, 2, { byMessageId: true }), rec(0, 2, { byMessageId: true }), rec(1, 0, { byMessageId: true })]) {
      for (const side of SIDES) {
        if ((side === 'a' ? record.uidA : record.uidB) === 0) continue;
        expect(holdsAnotherMessage(record, side, { gid: 'other', sizedGid: true }), `${record.uidA} ${record.uidB} ${side}`).toBe(true);
      }
    }
  });
});
