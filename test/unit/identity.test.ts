import { describe, expect, it } from 'vitest';
import { globalId, globalIdFromFields, identityOf, parseIdentityHeaders } from '../../src/sync/identity.js';

const CRLF = '\r\n';
const headers = (...lines: string[]): string => lines.join(CRLF) + CRLF + CRLF;

describe('parseIdentityHeaders', () => {
  it('reads the four fields, case-insensitively, with normalised values', () => {
    const raw = headers(
      'message-ID: <abc@example.org>',
      'DATE:   Mon, 1 Jan 2024 10:00:00 +0000 ',
      'From: Alice <alice@example.org>',
      'subject: Hello\tworld',
    );
    expect(parseIdentityHeaders(raw)).toEqual({
      messageId: '<abc@example.org>',
      date: 'Mon, 1 Jan 2024 10:00:00 +0000',
      from: 'Alice <alice@example.org>',
      subject: 'Hello world',
    });
  });

  it('unfolds folded lines and collapses white space', () => {
    const raw = headers('Subject: a very', '\tlong   subject', '  that goes on', 'From: x@y');
    expect(parseIdentityHeaders(raw)).toEqual({ subject: 'a very long subject that goes on', from: 'x@y' });
  });

  it('uses the first occurrence of a field that appears twice', () => {
    const raw = headers('Subject: first', 'Message-ID: <one@x>', 'Subject: second', 'Message-ID: <two@x>');
    expect(parseIdentityHeaders(raw)).toEqual({ subject: 'first', messageId: '<one@x>' });
  });

  it('keeps only the <…> part of a Message-ID, without folding white space', () => {
    expect(parseIdentityHeaders('Message-ID: (comment) <id@host> trailing\r\n').messageId).toBe('<id@host>');
    expect(parseIdentityHeaders('Message-ID:\r\n <long-id-\r\n part@host>\r\n').messageId).toBe('<long-id-part@host>');
    expect(parseIdentityHeaders('Message-ID: bare-id@host\r\n').messageId).toBe('bare-id@host');
  });

  it('treats empty input and empty values as absent', () => {
    expect(parseIdentityHeaders('')).toEqual({});
    expect(parseIdentityHeaders('\r\n')).toEqual({});
    expect(parseIdentityHeaders(headers('Message-ID:   ', 'Subject:'))).toEqual({});
    expect(parseIdentityHeaders(headers('Message-ID: < >', 'Subject: s'))).toEqual({ subject: 's' });
  });

  it('accepts LF-only line ends, ignores other fields and stops at the blank line', () => {
    const raw = 'X-Other: 1\nSubject: s\n\nFrom: body@not.header\n';
    expect(parseIdentityHeaders(raw)).toEqual({ subject: 's' });
  });

  it('keeps 8-bit (UTF-8) text as it is', () => {
    expect(parseIdentityHeaders(headers('Subject: Grüße  aus Köln', 'From: Jürgen <j@x.de>'))).toEqual({
      subject: 'Grüße aus Köln',
      from: 'Jürgen <j@x.de>',
    });
  });
});

describe('globalId', () => {
  const full = headers('Message-ID: <m1@x>', 'Date: d', 'From: f', 'Subject: s');

  it('is 16 base64url characters', () => {
    expect(globalId(full, 100)).toMatch(/^[A-Za-z0-9_-]{16}$/u);
    expect(globalId('', 0)).toMatch(/^[A-Za-z0-9_-]{16}$/u);
  });

  it('ignores the size when there is a Message-ID (servers may alter bytes on APPEND)', () => {
    expect(globalId(full, 100)).toBe(globalId(full, 101));
  });

  it('includes the size when there is no Message-ID', () => {
    const noId = headers('Date: d', 'From: f', 'Subject: s');
    expect(globalId(noId, 100)).not.toBe(globalId(noId, 101));
    expect(globalId(noId, 100)).toBe(globalId(noId, 100));
    expect(globalId('', 5)).not.toBe(globalId('', 6));
  });

  it('identityOf: the same global id, marked sizedGid (with its fields) only without a Message-ID', () => {
    expect(identityOf({ identityHeaders: full, size: 100 })).toEqual({ gid: globalId(full, 100) });
    const noId = headers('Date: d', 'From: f', 'Subject: s');
    expect(identityOf({ identityHeaders: noId, size: 100 })).toEqual({ gid: globalId(noId, 100), sizedGid: true, fields: { date: 'd', from: 'f', subject: 's' } });
  });

  it('is the same for the same headers folded, spaced, cased or ordered differently', () => {
    const other = headers('subject:   s', 'FROM: f', 'Date:', '  d', 'message-id: <m1@x>  ');
    expect(globalId(other, 7)).toBe(globalId(full, 100));
  });

  it('differs when any field differs', () => {
    const ids = new Set([
      globalId(full, 1),
      globalId(headers('Message-ID: <m2@x>', 'Date: d', 'From: f', 'Subject: s'), 1),
      globalId(headers('Message-ID: <m1@x>', 'Date: e', 'From: f', 'Subject: s'), 1),
      globalId(headers('Message-ID: <m1@x>', 'Date: d', 'From: g', 'Subject: s'), 1),
      globalId(headers('Message-ID: <m1@x>', 'Date: d', 'From: f', 'Subject: t'), 1),
      globalId(headers('Message-ID: <m1@x>', 'Date: d', 'From: f'), 1),
    ]);
    expect(ids.size).toBe(6);
  });

  it('cannot confuse values shifted between fields', () => {
    expect(globalIdFromFields({ from: 'ab', subject: 'c' }, 1)).not.toBe(globalIdFromFields({ from: 'a', subject: 'bc' }, 1));
    expect(globalIdFromFields({ date: 'x' }, 1)).not.toBe(globalIdFromFields({ from: 'x' }, 1));
  });

  it('matches the documented rule', async () => {
    const { createHash } = await import('node:crypto');
    const text = 'date:d\nfrom:f\nsubject:s\nsize:42';
    const expected = createHash('sha256').update(text, 'utf8').digest().subarray(0, 12).toString('base64url');
    expect(globalId(headers('Date: d', 'From: f', 'Subject: s'), 42)).toBe(expected);
  });
});
