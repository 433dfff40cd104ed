import { describe, expect, it } from 'vitest';
import type { MessageRecord, SideStatus } from '../../src/state/types.js';
import type { FolderRead, MessageEnvelope } from '../../src/store/types.js';
import { globalId } from '../../src/sync/identity.js';
import { rollbackEvidence, reusedKnownUids } from '../../src/sync/rollback.js';

const headers = (n: number): string => `Message-ID: <m${n}@example.org>\r\n`;
const envelope = (uid: number, n: number): MessageEnvelope => ({
  uid, flags: [], size: 100, internalDate: new Date(0), identityHeaders: headers(n),
});
const record = (uidA: number, uidB: number, n: number): MessageRecord => ({ uidA, uidB, gid: globalId(headers(n), 100), flags: [] });
const stored: SideStatus = { uidValidity: 7n, uidNext: 4, highestModseq: 10n, messages: 3 };
const read = (over: Partial<FolderRead>): FolderRead => ({
  // UIDNEXT above every known UID of either side (B's are 11-13).
  status: { uidValidity: 7n, uidNext: 16, highestModseq: 12n, messages: 5 },
  uidValidityChanged: false, permanentFlags: { flags: [], allowsNewKeywords: true }, readOnly: false,
  kind: 'delta', messages: [], vanished: [], envelopes: [], unidentified: [], unread: [], ...over,
});
const records = [record(1, 11, 1), record(2, 12, 2), record(3, 13, 3)];

describe('rollbackEvidence', () => {
  it('nothing when the known UIDs read back hold the recorded messages (new UIDs do not count)', () => {
    expect(rollbackEvidence(stored, read({ envelopes: [envelope(3, 3), envelope(4, 9), envelope(5, 8)] }), records, 'a')).toBeUndefined();
  });

  it('a known UID holding another message, though the counters moved on', () => {
    const r = read({ envelopes: [envelope(13, 7), envelope(14, 9)] });
    expect(reusedKnownUids(records, 'b', r)).toEqual([13]);
    expect(rollbackEvidence(stored, r, records, 'b')).toMatch(/UID 13 now holds another message/);
    // The same envelope means nothing on the other side, where 13 is not a known UID.
    expect(rollbackEvidence(stored, r, records, 'a')).toBeUndefined();
  });

  it('a known UID at or above UIDNEXT, though the counters are as recorded (a killed run recorded it, a restore took it back)', () => {
    const restored: SideStatus = { uidValidity: 7n, uidNext: 13, highestModseq: 10n, messages: 3 };
    const r = read({ status: { ...restored } });
    expect(rollbackEvidence(restored, r, records, 'b')).toMatch(/UID 13 is known, yet UIDNEXT is 13/);
    expect(rollbackEvidence(restored, r, records, 'a')).toBeUndefined();
    // Under another UIDVALIDITY the UIDs say nothing.
    expect(rollbackEvidence(restored, { ...r, uidValidityChanged: true }, records, 'b')).toBeUndefined();
    // Nor is a stored status needed (a killed first run recorded none).
    expect(rollbackEvidence(undefined, r, records, 'b')).toMatch(/UID 13 is known, yet UIDNEXT is 13/);
  });

  it('counters that went down', () => {
    const r = read({ status: { uidValidity: 7n, uidNext: 3, highestModseq: 8n, messages: 2 } });
    expect(rollbackEvidence(stored, r, records, 'a')).toMatch(/UIDNEXT 4 → 3, HIGHESTMODSEQ 10 → 8/);
  });

  it('never after a new UIDVALIDITY (every UID is void anyway)', () => {
    const r = read({ uidValidityChanged: true, status: { uidValidity: 8n, uidNext: 6, messages: 5 }, envelopes: [envelope(3, 7)] });
    expect(rollbackEvidence(stored, r, records, 'a')).toBeUndefined();
    // --full reads without a base: the driver cannot say, the status does.
    expect(rollbackEvidence(stored, { ...r, uidValidityChanged: false }, records, 'a')).toBeUndefined();
  });

  it('without a stored status (a folder whose runs always failed), a known UID holding another message still counts', () => {
    expect(rollbackEvidence(undefined, read({ envelopes: [envelope(3, 7)] }), records, 'a')).toMatch(/UID 3 now holds another message/);
    expect(rollbackEvidence(undefined, read({ envelopes: [envelope(3, 3)] }), records, 'a')).toBeUndefined();
  });

  it('a Message-ID-less copy on B of another size than A\'s original (its gid hashes the size) is no evidence', () => {
    const noId = 'From: <n@example.org>\r\nSubject: note\r\n';
    const withoutId = [{ uidA: 1, uidB: 11, gid: globalId(noId, 100), flags: [] }];
    const onB: MessageEnvelope = { uid: 11, flags: [], size: 107, internalDate: new Date(0), identityHeaders: noId };
    expect(rollbackEvidence(stored, read({ envelopes: [onB] }), withoutId, 'b')).toBeUndefined();
    // On A, whose bytes made the record's gid, another size is another message.
    expect(rollbackEvidence(stored, read({ envelopes: [{ ...onB, uid: 1 }] }), withoutId, 'a')).toMatch(/UID 1 now holds/);
  });

  it('a Message-ID-less message on B at the UID of a record whose id hashes a Message-ID (marked) is evidence', () => {
    const noId = 'From: <n@example.org>\r\nSubject: note\r\n';
    const onB: MessageEnvelope = { uid: 11, flags: [], size: 107, internalDate: new Date(0), identityHeaders: noId };
    const marked = [{ ...record(1, 11, 1), byMessageId: true as const }];
    expect(rollbackEvidence(stored, read({ envelopes: [onB] }), marked, 'b')).toMatch(/UID 11 now holds another message/);
    // Without the mark (an older state), the rule stays as above: no evidence on B.
    expect(rollbackEvidence(stored, read({ envelopes: [onB] }), [record(1, 11, 1)], 'b')).toBeUndefined();
  });
});
