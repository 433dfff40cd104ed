// The identity header lines of a raw message, as an IMAP server returns them
// for BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT)], so that the same
// message gets the same global id from this driver and from a real server.

import { IDENTITY_HEADER_NAMES, identityHeaders } from '../readRules.js';

const WANTED = new Set(IDENTITY_HEADER_NAMES.map((name) => name.toLowerCase()));

/**
 * Every line of the wanted fields in the header (up to the first empty line),
 * in message order, folded continuation lines kept, each ending in CRLF
 * whatever the message's own line ends (servers send CRLF); '' when none.
 */
export function identityHeaderLines(raw: Buffer): string {
  const selected: string[] = [];
  let keeping = false;
  for (const line of raw.toString('utf8').split(/\r?\n/u)) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (keeping) selected.push(line);
      continue;
    }
    const colon = line.indexOf(':');
    keeping = colon > 0 && WANTED.has(line.slice(0, colon).trimEnd().toLowerCase());
    if (keeping) selected.push(line);
  }
  return identityHeaders(Buffer.from(selected.map((line) => `${line}\r\n`).join(''), 'utf8'));
}
