// holdsAnotherMessage: when a global id read at a known UID proves that the UID
// holds another message than its record names.
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/state/types.js';
import { globalIdFromFields, type IdentityFields } from '../../src/sync/identity.js';
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

  describe('a record that keeps the size its Message-ID-less id hashes (MessageRecord.size, bug 3)', () => {
    const fields: IdentityFields = { date: 'Wed, 2 Jan 2019 09:00:02 +0000', from: 's2@example.org', subject: 'note 2' };
    const other: IdentityFields = { ...fields, subject: 'note 9' };
    const record = (uidA: number, uidB: number, size?: number): MessageRecord => ({
      uidA, uidB, gid: globalIdFromFields(fields, 100), flags: [], ...(size !== undefined && { size }),
    });
    const read = (f: IdentityFields, size: number) => ({ gid: globalIdFromFields(f, size), sizedGid: true, fields: f });

    it.each([
      { case: 'the same headers, other bytes (another size): the same message', now: read(fields, 101), another: false },
      { case: 'other headers, the same size: another message', now: read(other, 100), another: true },
      { case: 'other headers, another size: another message', now: read(other, 101), another: true },
      { case: 'the same headers and size: the same id, the same message', now: read(fields, 100), another: false },
    ])('on B of a pair, and on a B-only record: $case', ({ now, another }) => {
      expect(holdsAnotherMessage(record(1, 2, 100), 'b', now)).toBe(another);
      expect(holdsAnotherMessage(record(0, 2, 100), 'b', now)).toBe(another);
    });

    it('without the size (a record written before), or a read without the fields, proves nothing on B: as before', () => {
      expect(holdsAnotherMessage(record(1, 2), 'b', read(other, 100))).toBe(false);
      expect(holdsAnotherMessage(record(1, 2, 100), 'b', { gid: globalIdFromFields(other, 100), sizedGid: true })).toBe(false);
    });

    it('on A, whose bytes made the id, another id is another message whatever the headers, as before', () => {
      expect(holdsAnotherMessage(record(1, 2, 100), 'a', read(fields, 101))).toBe(true);
    });
  });
});
