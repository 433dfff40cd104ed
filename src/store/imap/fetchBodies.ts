// Message bodies, read with a bound taken from the sizes the envelopes
// announced (RFC822.SIZE): a server that sends far more than it announced
// (a 300 MB literal for a 100-byte message) must not make us buffer it.
//
// Two guards, both per command:
// - the parser's literal limit is set to the largest allowance of the set, so
//   a literal announced beyond it (`{314572800}`) is refused before a byte of
//   it is read. imapflow then fails the stream, which drops the connection:
//   the caller opens a new one, the rows read so far are kept, and the rest of
//   the set is read one message at a time, so only the bad message is refused;
// - each body that did arrive is checked against its own allowance as it
//   arrives and dropped at once when over it (it fit the set's largest one).
// A body shorter than announced is refused too (a cut answer would be copied
// cut), like imapsync does, unless the server is known to announce approximate
// sizes (--allow-size-mismatch): then it is kept, with a note for a warning.
// A set the server answers NO (one damaged message fails the whole command on
// Dovecot) keeps the rows that came; the rest is read one message at a time,
// and a message answered NO on its own is refused with the server's text.
// A set that costs the connection (Dovecot closes it on a message file shorter
// than its recorded size) is read again on a new connection one message at a
// time, and a message whose own FETCH costs it is refused alone; past
// MAX_LOST_CONNECTIONS_PER_FETCH losses in one call, the loss is thrown.
// Bodies of UIDs not asked for, and rows without a body, are never kept.

import { ConnectionLostError } from '../../errors.js';
import { ImapCommandError } from './commandError.js';
import { lostConnectionRefusal, MAX_LOST_CONNECTIONS_PER_FETCH, maxBodyBytes } from '../readRules.js';
import type { BodyRequest, FetchedBodies } from '../types.js';
import { parseFetchRow, uidFetchRows } from './fetchMessages.js';
import type { ImapResponse } from './imapflowInternals.js';
import type { ImapSession } from './session.js';
import { expandUidSet, splitUidSets } from './uidSet.js';

/** The connection bodies are read on; reopen() replaces one dropped for a refused literal. */
export interface BodySource {
  session(): ImapSession;
  /** A new connection, logged in, with the same folder open (same UIDVALIDITY), or a throw. */
  reopen(): Promise<void>;
}

/** `unread`: refused when announced, before any of it was read. */
function refusal(session: ImapSession, folder: string, bytes: number, size: number, unread: boolean): string {
  return (
    `${session.label}: UID FETCH in "${folder}" ${unread ? 'announced' : 'returned'} a body of ${bytes} bytes for a message ` +
    `whose RFC822.SIZE is ${size}; refused${unread ? ' unread' : ''} (more than ${maxBodyBytes(size)} bytes)`
  );
}

function shortBody(session: ImapSession, folder: string, bytes: number, size: number, kept: boolean): string {
  const what = `${session.label}: UID FETCH in "${folder}" returned a body of ${bytes} bytes, shorter than its RFC822.SIZE of ${size}`;
  return kept ? `${what}; copied as sent (--allow-size-mismatch)` : `${what}; refused as cut short (--allow-size-mismatch would take it)`;
}

export interface BodyReadOptions {
  /** Keep a body shorter than its RFC822.SIZE (noted in `sizeMismatches`) instead of refusing it. */
  allowSizeMismatch?: boolean;
}

interface BodyRead {
  folder: string;
  sizes: ReadonlyMap<number, number>;
  options: BodyReadOptions;
  out: FetchedBodies;
  /** Connections lost (and replaced) by this call so far. */
  lost: number;
}

/** Keeps one row's body, or refuses it when its length is not what RFC822.SIZE allows. */
function takeBody(session: ImapSession, read: BodyRead, uid: number, size: number, body: Buffer): void {
  const { folder, options, out } = read;
  let why: string | undefined;
  if (body.length > maxBodyBytes(size)) why = refusal(session, folder, body.length, size, false);
  else if (body.length < size && !options.allowSizeMismatch) why = shortBody(session, folder, body.length, size, false);
  if (why !== undefined) {
    out.bodies.delete(uid);
    out.refused.set(uid, why);
    return;
  }
  if (out.refused.has(uid)) return;
  out.bodies.set(uid, body);
  if (body.length < size) (out.sizeMismatches ??= new Map()).set(uid, shortBody(session, folder, body.length, size, true));
}

/** One UID FETCH (UID BODY.PEEK[]) of `set`, under the set's largest allowance; results land in `read.out`. */
async function fetchSet(session: ImapSession, read: BodyRead, set: string): Promise<void> {
  let limit = 0;
  for (const uid of expandUidSet(set)) limit = Math.max(limit, maxBodyBytes(read.sizes.get(uid) ?? 0));
  const onRow = (untagged: ImapResponse): void => {
    const { uid, body } = parseFetchRow(untagged);
    const size = uid === undefined ? undefined : read.sizes.get(uid);
    if (uid === undefined || size === undefined || !body) return; // not asked, or no body in it: unsolicited
    takeBody(session, read, uid, size, body);
  };
  const streamer = session.client.streamer;
  const previous = streamer.maxLiteralSize;
  streamer.maxLiteralSize = limit;
  try {
    await uidFetchRows(session, read.folder, set, ['BODY'], onRow);
  } finally {
    streamer.maxLiteralSize = previous;
  }
}

export async function fetchBodies(
  source: BodySource,
  folder: string,
  requests: readonly BodyRequest[],
  options: BodyReadOptions = {},
): Promise<FetchedBodies> {
  const read: BodyRead = { folder, sizes: new Map(requests.map((r) => [r.uid, r.size])), options, out: { bodies: new Map(), refused: new Map() }, lost: 0 };
  for (const set of splitUidSets(read.sizes.keys())) {
    try {
      await fetchSet(source.session(), read, set);
      continue;
    } catch (error) {
      // Which message the failure was for is unknown: the ones still missing are read alone.
      await afterFailedFetch(source, read, error);
    }
    await fetchEachAlone(source, read, expandUidSet(set));
  }
  return read.out;
}

/** The messages of `uids` not read yet, one UID FETCH each, under its own limit; what the server refuses is that message's refusal. */
async function fetchEachAlone(source: BodySource, read: BodyRead, uids: Iterable<number>): Promise<void> {
  const { out } = read;
  for (const uid of uids) {
    if (out.bodies.has(uid) || out.refused.has(uid)) continue;
    try {
      await fetchSet(source.session(), read, String(uid));
    } catch (error) {
      const session = source.session();
      const announced = session.refusedLiteralSize;
      if (announced !== undefined) out.refused.set(uid, refusal(session, read.folder, announced, read.sizes.get(uid)!, true));
      else if (error instanceof ConnectionLostError) out.refused.set(uid, lostConnectionRefusal(error));
      else if (error instanceof ImapCommandError) out.refused.set(uid, error.message);
      await afterFailedFetch(source, read, error);
    }
  }
}

/**
 * After a UID FETCH that failed: a new connection when it cost the one in use
 * (a literal refused unread, or a loss within the call's bound); a NO needs
 * none. Anything else, or one loss too many, is thrown.
 */
async function afterFailedFetch(source: BodySource, read: BodyRead, error: unknown): Promise<void> {
  if (source.session().refusedLiteralSize !== undefined) return source.reopen();
  if (error instanceof ConnectionLostError) {
    if (++read.lost > MAX_LOST_CONNECTIONS_PER_FETCH) throw error;
    return source.reopen();
  }
  if (!(error instanceof ImapCommandError)) throw error;
}
