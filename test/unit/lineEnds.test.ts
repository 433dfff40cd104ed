import { describe, expect, it } from 'vitest';
import { crlfAsStored, toCrlf, toLf } from '../../src/store/lineEnds.js';

const b = (text: string): Buffer => Buffer.from(text, 'latin1');
const text = (body: Buffer): string => body.toString('latin1');

describe('line ends at a store edge', () => {
  it('toLf turns each CRLF into LF and keeps a CR that ends no line', () => {
    expect(text(toLf(b('a\r\nb\r\n')))).toBe('a\nb\n');
    expect(text(toLf(b('a\rb\r\r\nc\n')))).toBe('a\rb\r\nc\n');
    expect(text(toLf(b('')))).toBe('');
  });

  it('toCrlf turns each LF not after a CR into CRLF', () => {
    expect(text(toCrlf(b('a\nb\n')))).toBe('a\r\nb\r\n');
    expect(text(toCrlf(b('a\r\nb\n\rc')))).toBe('a\r\nb\r\n\rc');
    expect(text(toCrlf(b('\n')))).toBe('\r\n');
    expect(text(toCrlf(b('no line end')))).toBe('no line end');
  });

  it('a CRLF body survives LF storage byte for byte (the same buffer when there is nothing to change)', () => {
    const body = b('Subject: x\r\n\r\na\rb\r\nlast');
    expect(crlfAsStored(body).equals(body)).toBe(true);
    const plain = b('no line end at all');
    expect(toCrlf(plain)).toBe(plain);
    expect(toLf(plain)).toBe(plain);
  });

  // Each row as Dovecot 2.3.19 (Maildir) answered an APPEND of the left side with a FETCH of the right.
  it.each([
    ['Subject: lf\n\nline one\nline two\n', 'Subject: lf\r\n\r\nline one\r\nline two\r\n'],
    ['Subject: mixed\r\n\r\nline one\nline two\r\n', 'Subject: mixed\r\n\r\nline one\r\nline two\r\n'],
    ['Subject: no final eol\n\nlast line', 'Subject: no final eol\r\n\r\nlast line'],
    ['Subject: bare cr\r\n\r\na\rb\r\n', 'Subject: bare cr\r\n\r\na\rb\r\n'],
    ['Subject: crcrlf\r\n\r\na\r\r\nb\r\n', 'Subject: crcrlf\r\n\r\na\r\nb\r\n'],
    ['Subject: lfcr\n\na\n\rb\n', 'Subject: lfcr\r\n\r\na\r\n\rb\r\n'],
    ['Subject: crcrcrlf\r\n\r\na\r\r\r\nb\n\n', 'Subject: crcrcrlf\r\n\r\na\r\r\nb\r\n\r\n'],
  ])('crlfAsStored(%j) is what Dovecot serves', (appended, served) => {
    expect(text(crlfAsStored(b(appended)))).toBe(served);
  });
});
