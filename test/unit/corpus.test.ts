// The generated mail must be exact-comparable (CRLF only, no bare CR, no NUL),
// deterministic, and must really contain the odd cases the sync tests rely on.

import { describe, expect, it } from 'vitest';
import { generateMessages, generateMessageStream, rfc5322Date, sampleMail, standardCorpus, type CorpusMessage } from '../support/corpus.js';

function header(raw: Buffer, name: string): string | undefined {
  const head = raw.toString('utf8').split('\r\n\r\n')[0]!;
  const line = head.split('\r\n').find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'));
  return line?.slice(name.length + 1).trim();
}

function expectExactComparable(messages: CorpusMessage[]): void {
  for (const m of messages) {
    const text = m.raw.toString('latin1');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/[\r\n\0]/);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(m.internalDate.getTime() % 1000).toBe(0);
    expect(m.internalDate.getTime()).toBeLessThan(Date.now());
  }
}

describe('standardCorpus', () => {
  const slash = standardCorpus('/');
  const dot = standardCorpus('.');

  it('is exact-comparable and deterministic', () => {
    expectExactComparable(slash);
    const again = standardCorpus('/');
    expect(again.map((m) => m.raw.toString('base64'))).toEqual(slash.map((m) => m.raw.toString('base64')));
  });

  it('has about 60 messages plus one of 5 MB', () => {
    const big = slash.filter((m) => m.raw.length >= 5 * 1024 * 1024);
    expect(big).toHaveLength(1);
    const small = slash.filter((m) => m.raw.length < 1_000_000);
    expect(small.length).toBeGreaterThanOrEqual(50);
    expect(small.length).toBeLessThanOrEqual(70);
  });

  it('builds folder names with the separator, nested and non-ASCII', () => {
    const folders = new Set(slash.map((m) => m.folder));
    for (const f of ['INBOX', 'Archive', 'Archive/2019', 'Archive/2019/Q1', 'Entwürfe', '日本語', 'Größe & Maß', 'Größe & Maß/Unterordner', 'Work Stuff']) {
      expect(folders).toContain(f);
    }
    expect(new Set(dot.map((m) => m.folder))).toContain('Archive.2019.Q1');
    expect(dot.map((m) => m.folder.split('.').join('/'))).toEqual(slash.map((m) => m.folder));
    // no name may contain the other server's separator
    expect([...folders].some((f) => f.includes('.'))).toBe(false);
  });

  it('covers every system flag and the keywords', () => {
    const flags = new Set(slash.flatMap((m) => m.flags));
    for (const f of ['\\Seen', '\\Flagged', '\\Answered', '\\Draft', '$Forwarded', '$Label1', 'NonJunk', 'project-x']) expect(flags).toContain(f);
    expect(slash.some((m) => m.flags.length === 0)).toBe(true);
  });

  it('has byte-identical twins in one folder, and messages without identity headers', () => {
    const seen = new Map<string, CorpusMessage>();
    let twins = 0;
    for (const m of slash) {
      const key = m.folder + '\0' + m.raw.toString('base64');
      if (seen.has(key)) twins++;
      seen.set(key, m);
    }
    expect(twins).toBe(1);
    expect(slash.filter((m) => header(m.raw, 'Message-ID') === undefined).length).toBeGreaterThanOrEqual(3);
    const bare = slash.filter((m) => ['Message-ID', 'Date', 'From', 'Subject'].every((h) => header(m.raw, h) === undefined));
    expect(bare).toHaveLength(1);
  });

  it('has odd dates, 8-bit headers and an attachment', () => {
    const dates = slash.map((m) => header(m.raw, 'Date') ?? '');
    expect(dates).toContain('Thu, 1 Jan 1970 00:00:00 +0000');
    expect(dates).toContain('Fri, 31 Dec 1999 23:59:59 -1200');
    expect(dates.some((d) => /20(3[89]|[4-9]\d)|2106/.test(d))).toBe(true);
    expect(slash.some((m) => m.internalDate.getUTCFullYear() === 1970)).toBe(true);
    const eightBit = slash.filter((m) => /[\x80-\xff]/.test(m.raw.toString('latin1').split('\r\n\r\n')[0]!));
    expect(eightBit.length).toBeGreaterThan(0);
    expect(slash.some((m) => /Content-Disposition: attachment/.test(m.raw.toString('latin1')))).toBe(true);
  });
});

describe('generateMessages', () => {
  it('is deterministic from the seed and differs between seeds', () => {
    const a = generateMessages(50, { seed: 5 });
    const b = generateMessages(50, { seed: 5 });
    const c = generateMessages(50, { seed: 6 });
    expect(a.map((m) => m.raw.toString('base64'))).toEqual(b.map((m) => m.raw.toString('base64')));
    expect(a[0]!.raw.equals(c[0]!.raw)).toBe(false);
    expect([...generateMessageStream(50, { seed: 5 })].map((m) => m.raw.length)).toEqual(a.map((m) => m.raw.length));
  });

  it('has realistic sizes, unique Message-IDs and the requested folder', () => {
    const msgs = generateMessages(1000, { seed: 11, folder: 'Work' });
    expectExactComparable(msgs);
    expect(msgs.every((m) => m.folder === 'Work')).toBe(true);
    const sizes = msgs.map((m) => m.raw.length).sort((x, y) => x - y);
    expect(sizes[500]).toBeGreaterThan(2_000);
    expect(sizes[500]).toBeLessThan(30_000);
    expect(sizes[999]).toBeGreaterThan(100_000);
    expect(sizes[999]).toBeLessThanOrEqual(1_100_000);
    expect(msgs.filter((m) => /Content-Disposition: attachment/.test(m.raw.toString('latin1'))).length).toBeGreaterThan(20);
    const ids = msgs.map((m) => header(m.raw, 'Message-ID'));
    expect(new Set(ids).size).toBe(1000);
    const other = generateMessages(10, { seed: 12 }).map((m) => header(m.raw, 'Message-ID'));
    expect(other.some((id) => ids.includes(id))).toBe(false);
  });
});

describe('sampleMail and helpers', () => {
  it('is small, readable and has a "Sent Items" folder', () => {
    const mail = sampleMail();
    expectExactComparable(mail);
    expect(mail.length).toBeGreaterThanOrEqual(25);
    expect(mail.length).toBeLessThanOrEqual(35);
    expect(new Set(mail.map((m) => m.folder))).toEqual(new Set(['INBOX', 'Sent Items', 'Projects/Apollo', 'Projects/Gemini', 'Archive/2023']));
    expect(header(mail[0]!.raw, 'Subject')).toBe('Lunch on Friday?');
    expect(new Set(sampleMail('.').map((m) => m.folder))).toContain('Projects.Apollo');
  });

  it('formats RFC 5322 dates in a sender time zone', () => {
    expect(rfc5322Date(new Date('2000-01-01T11:59:59Z'), -720)).toBe('Fri, 31 Dec 1999 23:59:59 -1200');
    expect(rfc5322Date(new Date('2024-02-29T00:00:00Z'))).toBe('Thu, 29 Feb 2024 00:00:00 +0000');
  });
});
