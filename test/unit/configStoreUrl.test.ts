import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExitCode, UsageError } from '../../src/errors.js';
import { parseStoreUrl, redactUrl } from '../../src/config/storeUrl.js';

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseStoreUrl', () => {
  it('parses imaps with the default port and decodes the user', () => {
    expect(parseStoreUrl('imaps://alice%40example.com@mail.example.com', 'A')).toEqual({
      scheme: 'imaps',
      host: 'mail.example.com',
      port: 993,
      user: 'alice@example.com',
      displayUrl: 'imaps://alice%40example.com@mail.example.com:993',
    });
  });

  it('parses imap with 143 by default and an explicit port', () => {
    expect(parseStoreUrl('imap://bob@host', 'B').port).toBe(143);
    expect(parseStoreUrl('imap://bob@host:1143', 'B').port).toBe(1143);
  });

  it('accepts an unencoded @ in the user name (the last @ ends the user)', () => {
    const p = parseStoreUrl('imaps://alice@example.com@host', 'A');
    expect(p.user).toBe('alice@example.com');
    expect(p.host).toBe('host');
  });

  it('handles IPv6 hosts: bare in host, bracketed in displayUrl', () => {
    const p = parseStoreUrl('imap://bob@[::1]:10143', 'B');
    expect(p.host).toBe('::1');
    expect(p.port).toBe(10143);
    expect(p.displayUrl).toBe('imap://bob@[::1]:10143');
  });

  it('canonicalises the display URL (host case, explicit port, trailing slash)', () => {
    const a = parseStoreUrl('IMAPS://Alice@Mail.Example.COM:993/', 'A');
    const b = parseStoreUrl('imaps://Alice@mail.example.com', 'A');
    expect(a.displayUrl).toBe(b.displayUrl);
    expect(a.user).toBe('Alice');
  });

  it('keeps the URL password apart and out of displayUrl', () => {
    const p = parseStoreUrl('imaps://alice:s%3Acr%40t@host', 'A');
    expect(p.passwordInUrl).toBe('s:cr@t');
    expect(p.displayUrl).toBe('imaps://alice@host:993');
    expect(JSON.stringify({ ...p, passwordInUrl: undefined })).not.toContain('cr');
  });

  it.each([
    ['http://alice@host', 'unknown scheme'],
    ['imaps://host', 'no user'],
    ['imaps://alice@', ''],
    ['imaps://alice@host:0', 'bad port'],
    ['imaps://alice@host:70000', ''],
    ['imaps://alice@host:abc', ''],
    ['imaps://alice@host/INBOX', 'path'],
    ['imaps://alice@host?x=1', 'query'],
    ['garbage', ''],
    ['', ''],
  ])('rejects %j with one line naming the store', (url, why) => {
    const msg = usageMessage(() => parseStoreUrl(url, 'B'));
    expect(msg.startsWith(`B: bad store URL "${url}"`)).toBe(true);
    expect(msg).toContain('expected imaps://user@host[:port] or imap://user@host[:port]');
    expect(msg).toContain(why);
    expect(msg).not.toContain('\n');
  });

  it('never shows the password of a URL it rejects', () => {
    for (const url of [
      'imaps://alice:hunter2@host/INBOX',
      'imaps://alice:hun@ter2@host:99999',
      'imaps://alice:hunter2',
      'http://alice:hunter2@host',
      'imaps://alice:hun/ter2@host',
      'imaps://alice:hun#ter2@host',
    ]) {
      const msg = usageMessage(() => parseStoreUrl(url, 'A'));
      expect(msg).not.toContain('hunter2');
      expect(msg).not.toContain('ter2');
    }
  });

  it('property: no message ever contains the password', () => {
    const pw = fc.string({ minLength: 1, maxLength: 20 }).map((s) => `Pw${s}Zz`);
    const tail = fc.constantFrom('', ':993', ':99999', '/INBOX', ':x', '?q', '#f');
    const scheme = fc.constantFrom('imaps://', 'imap://', 'http://', '', 'imaps:');
    fc.assert(
      fc.property(scheme, pw, tail, (s, password, t) => {
        const url = `${s}alice:${password}@host${t}`;
        let text: string;
        try {
          text = JSON.stringify(parseStoreUrl(url, 'A').displayUrl);
        } catch (err) {
          text = (err as Error).message;
        }
        return !text.includes(password);
      }),
      { numRuns: 500 },
    );
  });
});

describe('redactUrl', () => {
  it('redacts between the first colon after the scheme and the last @', () => {
    expect(redactUrl('imaps://alice:a@b@host:993')).toBe('imaps://alice:***@host:993');
  });
  it('leaves URLs without a password alone', () => {
    expect(redactUrl('imaps://alice@host:993')).toBe('imaps://alice@host:993');
    expect(redactUrl('imaps://[::1]:993')).toBe('imaps://[::1]:993');
  });
});
