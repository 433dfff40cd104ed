// The stand-in builder (standIn.ts): the original's header as it is, less its
// Message-ID and MIME fields, which the stand-in's own replace; the identity
// fields alone when the whole header is not at hand.

import { describe, expect, it } from 'vitest';
import { globalId, parseIdentityHeaders } from '../../src/sync/identity.js';
import { buildStandIn, STAND_IN_HEADER, standInMessageId } from '../../src/sync/standIn.js';

const ORIGINAL_HEADER = [
  'Received: from mx.example.org (mx.example.org [192.0.2.1])',
  '\tby mail.example.net with ESMTPS id abc123',
  '\tfor <ann@example.net>; Wed, 2 Jan 2019 09:00:05 +0000',
  'Message-ID: <big.1@example.org>',
  'Date: Wed, 2 Jan 2019 09:00:01 +0000',
  'From: Sender <s@example.org>',
  'To: Ann <ann@example.net>,',
  ' Bob <bob@example.net>',
  'Cc: carol@example.net',
  'Reply-To: list@example.org',
  'In-Reply-To: <parent@example.org>',
  'References: <root@example.org>',
  '  <parent@example.org>',
  'List-Id: A list <list.example.org>',
  'Subject: holiday photos',
  'X-Spam-Score: 0.1',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed;',
  '\tboundary="b1"',
  'Content-Transfer-Encoding: 7bit',
  'Content-Disposition: inline',
  'Content-Length: 99999',
  '',
  '',
].join('\r\n');

const IDENTITY = 'Message-ID: <big.1@example.org>\r\nDate: Wed, 2 Jan 2019 09:00:01 +0000\r\nFrom: Sender <s@example.org>\r\nSubject: holiday photos\r\n';
const GID = globalId(IDENTITY, 200_000);

/** The stand-in's header (without the empty line) and its text. */
function parts(body: Buffer): { head: string; text: string } {
  const raw = body.toString('latin1');
  const end = raw.indexOf('\r\n\r\n');
  return { head: raw.slice(0, end + 2), text: raw.slice(end + 4) };
}

describe('buildStandIn', () => {
  it('keeps every field of the original header as it is, folded lines included, and replaces Message-ID and the MIME fields', () => {
    const { head, text } = parts(buildStandIn({ identityHeaders: IDENTITY, size: 200_000, header: Buffer.from(ORIGINAL_HEADER, 'latin1') }, GID).body);
    const kept = ORIGINAL_HEADER.slice(0, -4).split(/\r\n(?=[^ \t])/u).filter((f) => !/^(Message-ID|MIME-Version|Content-)/u.test(f));
    expect(kept).toHaveLength(11);
    expect(head).toBe(
      [
        `Message-ID: ${standInMessageId(GID)}`,
        ...kept,
        `${STAND_IN_HEADER}: 200000`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
        '',
      ].join('\r\n'),
    );
    expect(text).toContain("The original's Message-ID is <big.1@example.org>.");
    expect(text).toContain('200000 bytes');
  });

  it('its global id is its own (never the original\'s) and the one its header gives when read back', () => {
    const standIn = buildStandIn({ identityHeaders: IDENTITY, size: 200_000, header: Buffer.from(ORIGINAL_HEADER, 'latin1') }, GID);
    expect(standIn.gid).not.toBe(GID);
    expect(standIn.gid).toBe(globalId(parts(standIn.body).head, standIn.body.length));
    expect(parseIdentityHeaders(parts(standIn.body).head)).toEqual({
      messageId: standInMessageId(GID), date: 'Wed, 2 Jan 2019 09:00:01 +0000', from: 'Sender <s@example.org>', subject: 'holiday photos',
    });
  });

  it('an original without Message-ID: the stand-in has its own, and its text says the original has none', () => {
    const header = Buffer.from('From: a@example.org\r\nTo: b@example.org\r\nSubject: no id\r\n\r\n', 'latin1');
    const identity = 'From: a@example.org\r\nSubject: no id\r\n';
    const { head, text } = parts(buildStandIn({ identityHeaders: identity, size: 70_000, header }, 'GIDwithoutMsgId').body);
    expect(head).toBe(`Message-ID: ${standInMessageId('GIDwithoutMsgId')}\r\nFrom: a@example.org\r\nTo: b@example.org\r\nSubject: no id\r\n${STAND_IN_HEADER}: 70000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n`);
    expect(text).toContain('The original has no Message-ID.');
  });

  it('8-bit bytes of the original header come through byte for byte; a stray line and an old placeholder field do not', () => {
    const header = Buffer.concat([
      Buffer.from('From sender@example.org Wed Jan  2 09:00:01 2019\r\n\tstray continuation\r\nSubject: caf', 'latin1'),
      Buffer.from([0xe9]),
      Buffer.from(`\r\n${STAND_IN_HEADER}: 12\r\nX-Original: yes\r\n\r\n`, 'latin1'),
    ]);
    const { head } = parts(buildStandIn({ identityHeaders: 'Subject: caf\uFFFD\r\n', size: 50_000, header }, 'G').body);
    expect(head).toBe(`Message-ID: ${standInMessageId('G')}\r\nSubject: caf\xe9\r\nX-Original: yes\r\n${STAND_IN_HEADER}: 50000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n`);
  });

  it.each([null, undefined])('no whole header (%s: longer than MAX_HEADER_BYTES, or not returned): the identity fields alone', (header) => {
    const { head } = parts(buildStandIn({ identityHeaders: IDENTITY, size: 200_000, header }, GID).body);
    expect(head).toBe(
      `Message-ID: ${standInMessageId(GID)}\r\nDate: Wed, 2 Jan 2019 09:00:01 +0000\r\nFrom: Sender <s@example.org>\r\nSubject: holiday photos\r\n` +
        `${STAND_IN_HEADER}: 200000\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n`,
    );
  });
});
