// The stand-in of a message the size filter holds back (--placeholders, issue
// 9 §2): a small message on the other side with the original's header as it
// is (To, Cc, References, List-*, Received..., folded lines and 8-bit bytes
// kept), except its own Message-ID (so its global id is not the original's
// and the planner never takes one for the other) and its own MIME fields (a
// text/plain body, not the original's), plus an X-Replimap-Placeholder
// header naming the original's size, and a short text body saying how to get
// the real message. The original's body is never read.

import { globalId, parseIdentityHeaders } from './identity.js';

/** The header every stand-in carries, with the original's size in bytes. */
export const STAND_IN_HEADER = 'X-Replimap-Placeholder';

/** The stand-in's Message-ID: made from the original's global id, so each original has one. */
export function standInMessageId(originalGid: string): string {
  return `<placeholder.${originalGid}@replimap>`;
}

/** The stand-in of a message: its body (CRLF form) and its global id. */
export interface StandIn {
  body: Buffer;
  gid: string;
}

/**
 * What a stand-in does not copy from its original's header: its Message-ID
 * and every MIME field describing the body (Content-Type, -Transfer-Encoding,
 * -Disposition, -Length, -ID...), which the stand-in's own replace, and a
 * placeholder header of its own (the original may be a stand-in itself).
 */
const REPLACED_FIELD = new RegExp(`^(?:message-id|mime-version|content-[^:]*|${STAND_IN_HEADER})[ \\t]*:`, 'iu');

/** The original a stand-in is made from. */
export interface StandInSource {
  /** The identity header lines of its envelope (Message-ID, Date, From, Subject). */
  identityHeaders: string;
  size: number;
  /**
   * Its whole raw header (Store.fetchHeaders). Absent or null (longer than
   * MAX_HEADER_BYTES, or not returned): the stand-in carries the identity
   * fields alone (Date, From, Subject), which the envelope always gives.
   */
  header?: Buffer | null;
}

/** The stand-in of this original, whose global id is `originalGid`. The original's Message-ID is named in the body. */
export function buildStandIn(original: StandInSource, originalGid: string): StandIn {
  // latin1 keeps every byte of the original's header as it is, 8-bit ones too.
  const source = original.header ?? Buffer.from(original.identityHeaders, 'utf8');
  const kept = headerFields(source.toString('latin1')).filter((f) => !REPLACED_FIELD.test(f));
  const originalId = parseIdentityHeaders(original.identityHeaders).messageId;
  const header = [
    `Message-ID: ${standInMessageId(originalGid)}`,
    ...kept,
    `${STAND_IN_HEADER}: ${original.size}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const text = [
    `This is a stand-in for a message of ${original.size} bytes that replimap held back by its size filter (--max-size / --min-size).`,
    originalId === undefined ? 'The original has no Message-ID.' : `The original's Message-ID is ${originalId}.`,
    '',
    'To get the real message here: flag this one (\\Flagged, "star" it) and the next sync replaces it,',
    'keeping its other flags; or run replimap sync with a --max-size that lets it through.',
  ];
  const headerBytes = Buffer.from(header.join('\r\n') + '\r\n', 'latin1');
  const body = Buffer.concat([headerBytes, Buffer.from(`\r\n${text.join('\r\n')}\r\n`, 'utf8')]);
  // Read back, a server's header bytes are decoded as UTF-8 (readRules identityHeaders): so is the id made here.
  return { body, gid: globalId(headerBytes.toString('utf8'), body.length) };
}

/** A field's first line: a name of printable ASCII without colon (RFC 5322), then a colon. */
const FIELD_START = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/u;

/**
 * The header fields of raw header lines up to the first empty line, each with
 * its continuation lines (CRLF-joined, no trailing CRLF); a line that starts
 * no field (an mbox "From " line) is dropped with its continuations.
 */
function headerFields(raw: string): string[] {
  const fields: string[] = [];
  let inField = false;
  for (const line of raw.split(/\r?\n/u)) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      if (inField) fields[fields.length - 1] += `\r\n${line}`;
      continue;
    }
    inField = FIELD_START.test(line);
    if (inField) fields.push(line);
  }
  return fields;
}
