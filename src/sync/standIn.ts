// The stand-in of a message the size filter holds back (--placeholders, issue
// 9 §2): a small message on the other side with the original's Date, From
// and Subject, its own Message-ID (so its global id is not the original's and
// the planner never takes one for the other), an X-Replimap-Placeholder
// header naming the original's size, and a short text body saying how to get
// the real message. Built from the original's envelope alone: its body is
// never read.

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
 * The stand-in of the message with these identity header lines (as an
 * envelope has them: Message-ID, Date, From, Subject) and size, whose global
 * id is `originalGid`. The original's Message-ID is named in the body.
 */
export function buildStandIn(original: { identityHeaders: string; size: number }, originalGid: string): StandIn {
  const kept = headerFields(original.identityHeaders).filter((f) => !/^message-id:/iu.test(f));
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
  const headerText = header.join('\r\n') + '\r\n';
  const body = Buffer.from(`${headerText}\r\n${text.join('\r\n')}\r\n`, 'utf8');
  return { body, gid: globalId(headerText, body.length) };
}

/** The header fields of raw header lines, each with its continuation lines (CRLF-joined, no trailing CRLF). */
function headerFields(raw: string): string[] {
  const fields: string[] = [];
  for (const line of raw.split(/\r?\n/u)) {
    if (line === '') continue;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) fields[fields.length - 1] += `\r\n${line}`;
    else if (line.includes(':')) fields.push(line);
  }
  return fields;
}
