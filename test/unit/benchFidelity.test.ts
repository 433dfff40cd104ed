import { describe, expect, it } from 'vitest';
import { compareMailboxes, describeFidelity, digestOf, isFaithful, type MailboxDigest } from '../../bench/readback.js';

const date = new Date('2021-03-04T05:06:07Z');
const msg = (n: number, extra = ''): Buffer =>
  Buffer.from(`From: a@example.org\r\n${extra}Subject: m${n}\r\nMessage-ID: <m${n}@example.org>\r\n\r\nbody ${n}\r\n`);
const noId = Buffer.from('From: a@example.org\r\nSubject: no id\r\n\r\nbody\r\n');

function box(entries: Record<string, [Buffer, string[], Date?][]>): MailboxDigest {
  const out: MailboxDigest = new Map();
  for (const [folder, list] of Object.entries(entries)) {
    out.set(folder, list.map(([raw, flags, d], i) => digestOf(raw, flags, d ?? date, i + 1)));
  }
  return out;
}

describe('compareMailboxes', () => {
  const source = box({
    INBOX: [
      [msg(1), ['\\Seen']],
      [msg(1), ['\\Seen']], // exact duplicate
      [noId, []],
      [msg(2), ['\\Flagged', '$Forwarded', 'custom']],
    ],
    Work: [[msg(3), ['\\Answered', '\\Recent']]],
  });

  it('calls an identical copy faithful, ignoring \\Recent', () => {
    const copy = box({
      INBOX: [
        [msg(2), ['custom', '$Forwarded', '\\Flagged']],
        [noId, []],
        [msg(1), ['\\Seen']],
        [msg(1), ['\\Seen']],
      ],
      Work: [[msg(3), ['\\Answered']]],
    });
    const r = compareMailboxes(source, copy);
    expect(isFaithful(r)).toBe(true);
    expect(r.duplicatesSource).toBe(1);
    expect(r.duplicatesKept).toBe(1);
    expect(r.messagesWithoutMessageIdKept).toBe(1);
    expect(describeFidelity(r)).toMatch(/^faithful/);
  });

  it('notices a merged duplicate, a lost keyword, a changed date and a missing folder', () => {
    const copy = box({
      INBOX: [
        [msg(1), ['\\Seen']],
        [noId, [], new Date('2022-01-01T00:00:00Z')],
        [msg(2), ['\\Flagged', '$Forwarded']],
      ],
    });
    const r = compareMailboxes(source, copy);
    expect(isFaithful(r)).toBe(false);
    expect(r.missing).toBe(2); // the second copy of msg 1, and Work's message
    expect(r.duplicatesKept).toBe(0);
    expect(r.keywordMismatches).toBe(1);
    expect(r.dateMismatches).toBe(1);
    expect(r.missingFolders).toEqual(['Work']);
    expect(describeFidelity(r)).toContain('INTERNALDATE not preserved on 1');
  });

  it('pairs copies that only gained an X-TUID or X-OfflineIMAP header, and reports them as altered', () => {
    const copy = box({
      INBOX: [
        [msg(1, 'X-TUID: abcdef\r\n'), ['\\Seen']],
        [msg(1, 'X-TUID: ghijkl\r\n'), ['\\Seen']],
        [noId, []],
        [msg(2, 'X-OfflineIMAP: 123-456\r\n'), ['\\Flagged', '$Forwarded', 'custom']],
      ],
      Work: [[msg(3), []]],
    });
    const r = compareMailboxes(source, copy);
    expect(r.altered).toBe(3);
    expect(r.missing).toBe(0);
    expect(r.extra).toBe(0);
    expect(r.addedHeaders).toEqual(['X-OFFLINEIMAP', 'X-TUID']);
    expect(r.duplicatesKept).toBe(1);
    expect(r.systemFlagMismatches).toBe(1); // Work: \Answered lost
    expect(isFaithful(r)).toBe(false);
  });

  it('counts a changed body as missing plus extra', () => {
    const copy = box({ INBOX: [[msg(1), ['\\Seen']], [msg(1), ['\\Seen']], [noId, []], [msg(9), []]], Work: [[msg(3), ['\\Answered']]] });
    const r = compareMailboxes(source, copy);
    expect(r.missing).toBe(1);
    expect(r.extra).toBe(1);
  });
});

describe('compareMailboxes on re-serialised headers', () => {
  it('pairs a copy whose header whitespace was collapsed and counts it as rewritten', () => {
    const original = Buffer.from('From: a@example.org\r\nSubject:  two  spaces\r\n\r\nbody  with  spaces\r\n');
    const rewritten = Buffer.from('From: a@example.org\r\nSubject: two spaces\r\n\r\nbody  with  spaces\r\n');
    const bodyChanged = Buffer.from('From: a@example.org\r\nSubject: two spaces\r\n\r\nbody with spaces\r\n');
    const source = box({ INBOX: [[original, []], [original, ['\\Seen']]] });
    const r = compareMailboxes(source, box({ INBOX: [[rewritten, []], [bodyChanged, ['\\Seen']]] }));
    expect(r.altered).toBe(1);
    expect(r.headersRewritten).toBe(1);
    expect(r.missing).toBe(1); // whitespace in the body is content: not forgiven
    expect(r.extra).toBe(1);
    expect(describeFidelity(r)).toContain('header whitespace rewritten');
  });
});
