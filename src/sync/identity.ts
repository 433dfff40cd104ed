// The global id of a message: a short hash of a few header values that both
// servers return unchanged, so the same message gets the same id on A and on B
// without downloading bodies. Messages are matched by this id (as a multiset,
// see planFolder), never by UID, which means nothing across servers.

import { createHash } from 'node:crypto';

/** Normalised values of the identity headers; a field is absent when missing or empty. */
export interface IdentityFields {
  messageId?: string;
  date?: string;
  from?: string;
  subject?: string;
}

const FIELD_KEYS: Record<string, keyof IdentityFields> = {
  'message-id': 'messageId',
  date: 'date',
  from: 'from',
  subject: 'subject',
};

/** Unfolding leaves CRLF+WSP as WSP; collapsing makes every run of white space one space. */
function normaliseValue(value: string): string {
  return value.replace(/\s+/gu, ' ').trim();
}

/**
 * Message-IDs are compared by their `<…>` part: what surrounds it (comments,
 * stray text) is what mail software rewrites, and white space inside it can
 * only come from folding.
 */
function normaliseMessageId(value: string): string {
  const bracketed = /<[^<>]*>/u.exec(value);
  if (bracketed === null) return value;
  return bracketed[0].replace(/\s+/gu, '');
}

/**
 * Parse the raw header lines a server returns for
 * BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT X-REPLIMAP-PLACEHOLDER)]: folded lines are
 * unfolded, field names are case-insensitive, the first occurrence of a field
 * wins, parsing stops at the first empty line, and other fields are ignored.
 */
export function parseIdentityHeaders(raw: string): IdentityFields {
  const fields: IdentityFields = {};
  const seen = new Set<keyof IdentityFields>();
  let current: { key: keyof IdentityFields | null; value: string } | null = null;

  const finish = (): void => {
    if (current === null || current.key === null || seen.has(current.key)) return;
    seen.add(current.key);
    let value = normaliseValue(current.value);
    if (current.key === 'messageId') value = normaliseMessageId(value);
    // An empty "<>" identifies nothing: such a message counts as having no Message-ID.
    if (value !== '' && value !== '<>') fields[current.key] = value;
  };

  for (const line of raw.split(/\r?\n|\r/u)) {
    if (line === '') break;
    if (line[0] === ' ' || line[0] === '\t') {
      // A continuation line: part of the previous field (or stray, if none).
      if (current !== null) current.value += line;
      continue;
    }
    finish();
    const colon = line.indexOf(':');
    if (colon <= 0) {
      current = null;
      continue;
    }
    const name = line.slice(0, colon).trim().toLowerCase();
    current = { key: FIELD_KEYS[name] ?? null, value: line.slice(colon + 1) };
  }
  finish();
  return fields;
}

/**
 * The global id from already normalised fields.
 *
 * The exact rule (quoted by the man page):
 *   Take the header fields Message-ID, Date, From and Subject (the first of each
 *   when a field occurs twice). Unfold each value, turn every run of white space
 *   into one space, and trim it; of Message-ID keep only the first `<…>` part
 *   when there is one, without white space inside it. An empty value, or a
 *   Message-ID of `<>`, counts as absent. Write one line per present field, in
 *   this order, as `message-id:VALUE`, `date:VALUE`, `from:VALUE`,
 *   `subject:VALUE`; when there is no Message-ID, add a last line `size:N` with
 *   the message size in bytes.
 *   Join the lines with a line feed, hash the UTF-8 bytes with SHA-256, and take
 *   the first 96 bits in base64url: 16 characters.
 *
 * Values contain no line feed after normalisation and every line is tagged, so
 * different field values can never produce the same text. The size makes two
 * different Message-ID-less messages with the same headers distinct; the price
 * is that a server that alters such a message's bytes on APPEND makes its copy
 * look like another message, and replimap then copies it again rather than
 * risk dropping it.
 *
 * Changing this rule means bumping IDENTITY_RULE_VERSION (src/identityVersion.ts).
 */
export function globalIdFromFields(fields: IdentityFields, size: number): string {
  const lines: string[] = [];
  if (fields.messageId !== undefined) lines.push(`message-id:${fields.messageId}`);
  if (fields.date !== undefined) lines.push(`date:${fields.date}`);
  if (fields.from !== undefined) lines.push(`from:${fields.from}`);
  if (fields.subject !== undefined) lines.push(`subject:${fields.subject}`);
  if (fields.messageId === undefined) lines.push(`size:${size}`);
  const digest = createHash('sha256').update(lines.join('\n'), 'utf8').digest();
  return digest.subarray(0, 12).toString('base64url');
}

/** The global id of a message from its raw identity header lines and its size (see globalIdFromFields). */
export function globalId(identityHeaders: string, size: number): string {
  return globalIdFromFields(parseIdentityHeaders(identityHeaders), size);
}

/** What an envelope says of a message's identity (see identityOf). */
export interface EnvelopeIdentity {
  gid: string;
  /** The id hashes the size (no Message-ID). */
  sizedGid?: true;
  /**
   * With sizedGid: the parsed fields, so that the id the same headers give
   * with another size can be made (knownIdentity.ts: the same message stored
   * with other bytes keeps its headers).
   */
  fields?: IdentityFields;
  /**
   * The message is replimap's stand-in for the message of this global id
   * (--placeholders): its Message-ID is exactly standInMessageId(gid)
   * (standIn.ts) and it has an X-Replimap-Placeholder field. Never mail of its own to copy.
   */
  standInOf?: string;
}

/** A stand-in's Message-ID, `<placeholder.<16-character gid>@replimap>` (standIn.ts standInMessageId), with that gid. */
const STAND_IN_MESSAGE_ID = /^<placeholder\.([A-Za-z0-9_-]{16})@replimap>$/u;

/**
 * The field every stand-in carries (standIn.ts STAND_IN_HEADER): a Message-ID
 * of the stand-in's shape alone does not make one (mail may carry any
 * Message-ID), as a stand-in taken for mail is never copied, and one whose
 * original comes through is deleted.
 */
const STAND_IN_FIELD = /^x-replimap-placeholder[ \t]*:/imu;

/**
 * What an envelope says of a message's identity: its global id, and whether
 * that id hashes its size (no Message-ID: servers alter bytes on APPEND, as
 * Dovecot turns a bare CR into CRLF, so the same message may then have
 * another id on the other server), with its fields then; and whether it is a
 * stand-in (standInOf). The headers are parsed once.
 */
export function identityOf(envelope: { identityHeaders: string; size: number }): EnvelopeIdentity {
  const fields = parseIdentityHeaders(envelope.identityHeaders);
  const gid = globalIdFromFields(fields, envelope.size);
  if (fields.messageId === undefined) return { gid, sizedGid: true, fields };
  const standInOf = STAND_IN_MESSAGE_ID.exec(fields.messageId)?.[1];
  return standInOf === undefined || !STAND_IN_FIELD.test(envelope.identityHeaders) ? { gid } : { gid, standInOf };
}
