// The identity header lines of a raw message, as an IMAP server returns them
// for BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT X-REPLIMAP-PLACEHOLDER)], so that the same
// message gets the same global id from this driver and from a real server;
// and its whole header, as BODY.PEEK[HEADER] gives it.

import { IDENTITY_HEADER_NAMES, identityHeaders, MAX_HEADER_BYTES } from '../readRules.js';

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

/** Where a header in CRLF form ends: after its empty line, or the message's end when it has none. */
function headerEnd(raw: Buffer): number {
  if (raw.subarray(0, 2).toString('latin1') === '\r\n') return 2; // no header fields at all
  const blank = raw.indexOf('\r\n\r\n');
  return blank < 0 ? raw.length : blank + 4;
}

/**
 * The header of a message in CRLF form (as stored), as Store.fetchHeaders
 * returns it (see headerEnd); null when longer than MAX_HEADER_BYTES.
 */
export function headerOf(raw: Buffer): Buffer | null {
  const end = headerEnd(raw);
  return end > MAX_HEADER_BYTES ? null : Buffer.from(raw.subarray(0, end));
}
