// The test proxy's parsing: whole responses, literals included, whatever the
// chunking; and the filters it offers pick exactly the rows they name.

import { describe, expect, it } from 'vitest';
import { dropBodyOf, dropEnvelopeOf, holdFirst, ResponseSplitter, withoutStartTls } from '../support/filterProxy.js';

const body = 'Subject: x\r\n\r\nline one\r\n* 9 FETCH (UID 9 BODY[] {3}\r\n';
const stream = [
  '* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n',
  `* 2 FETCH (UID 5 BODY[] {${Buffer.byteLength(body)}}\r\n${body})\r\n`,
  '* 3 FETCH (UID 6 FLAGS (\\Seen) RFC822.SIZE 10 INTERNALDATE "1-Jan-2020 00:00:00 +0000" BODY[HEADER.FIELDS (SUBJECT)] {12}\r\nSubject: y\r\n)\r\n',
  'A1 OK done\r\n',
];

function split(chunkSize: number): string[] {
  const splitter = new ResponseSplitter();
  const all = Buffer.from(stream.join(''));
  const out: string[] = [];
  for (let i = 0; i < all.length; i += chunkSize) out.push(...splitter.push(all.subarray(i, i + chunkSize)).map((b) => b.toString()));
  return out;
}

describe('filterProxy', () => {
  it('splits the stream into whole responses, a literal that looks like a response included, at any chunking', () => {
    for (const size of [1, 2, 7, 64, 10_000]) expect(split(size), `chunks of ${size}`).toEqual(stream);
  });

  it('drops only the named UID row with a body, or with an envelope', () => {
    const [greeting, bodyRow, envelopeRow, tagged] = stream.map((s) => Buffer.from(s));
    expect(dropBodyOf(5)(bodyRow!)).toBeNull();
    expect(dropBodyOf(6)(bodyRow!)).toBe(bodyRow);
    expect(dropBodyOf(6)(envelopeRow!)).toBe(envelopeRow);
    expect(dropEnvelopeOf(6)(envelopeRow!)).toBeNull();
    expect(dropEnvelopeOf(5)(bodyRow!)).toBe(bodyRow);
    expect(dropEnvelopeOf(6)(tagged!)).toBe(tagged);
    expect(withoutStartTls(greeting!).toString()).toBe('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n');
  });

  it('holdFirst holds only the first matching chunk, until its action is done, and gives the action\'s outcome', async () => {
    let acts = 0;
    const gate = holdFirst(/UID FETCH [^\r\n]*BODY\.PEEK\[\]/, async () => ++acts);
    expect(gate.hold(Buffer.from('7 UID FETCH 1:3 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])\r\n'))).toBeUndefined();
    expect(gate.acted()).toBeUndefined();
    const held = gate.hold(Buffer.from('9 UID FETCH 4 (UID BODY.PEEK[])\r\n'));
    expect(await held).toBe(1);
    expect(gate.hold(Buffer.from('10 UID FETCH 5 (UID BODY.PEEK[])\r\n'))).toBeUndefined();
    expect([acts, await gate.acted()]).toEqual([1, 1]);
  });
});
