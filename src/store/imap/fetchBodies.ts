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
// Bodies of UIDs not asked for, and rows without a body, are never kept.

import { maxBodyBytes } from '../readRules.js';
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

/** One UID FETCH (UID BODY.PEEK[]) of `set`, under the set's largest allowance; results land in `out`. */
async function fetchSet(session: ImapSession, folder: string, set: string, sizes: ReadonlyMap<number, number>, out: FetchedBodies): Promise<void> {
  let limit = 0;
  for (const uid of expandUidSet(set)) limit = Math.max(limit, maxBodyBytes(sizes.get(uid) ?? 0));
  const onRow = (untagged: ImapResponse): void => {
    const { uid, body } = parseFetchRow(untagged);
    const size = uid === undefined ? undefined : sizes.get(uid);
    if (uid === undefined || size === undefined || !body) return; // not asked, or no body in it: unsolicited
    if (body.length > maxBodyBytes(size)) {
      out.bodies.delete(uid);
      out.refused.set(uid, refusal(session, folder, body.length, size, false));
    } else if (!out.refused.has(uid)) {
      out.bodies.set(uid, body);
    }
  };
  const streamer = session.client.streamer;
  const previous = streamer.maxLiteralSize;
  streamer.maxLiteralSize = limit;
  try {
    await uidFetchRows(session, folder, set, ['BODY'], onRow);
  } finally {
    streamer.maxLiteralSize = previous;
  }
}

export async function fetchBodies(source: BodySource, folder: string, requests: readonly BodyRequest[]): Promise<FetchedBodies> {
  const out: FetchedBodies = { bodies: new Map(), refused: new Map() };
  const sizes = new Map(requests.map((r) => [r.uid, r.size]));
  for (const set of splitUidSets(sizes.keys())) {
    try {
      await fetchSet(source.session(), folder, set, sizes, out);
      continue;
    } catch (error) {
      if (source.session().refusedLiteralSize === undefined) throw error;
    }
    // A literal beyond the set's limit cost the connection. Which message it was
    // for is unknown: read the ones still missing alone, each under its own limit.
    await source.reopen();
    for (const uid of expandUidSet(set)) {
      if (out.bodies.has(uid) || out.refused.has(uid)) continue;
      try {
        await fetchSet(source.session(), folder, String(uid), sizes, out);
      } catch (error) {
        const session = source.session();
        const announced = session.refusedLiteralSize;
        if (announced === undefined) throw error;
        out.refused.set(uid, refusal(session, folder, announced, sizes.get(uid)!, true));
        await source.reopen();
      }
    }
  }
  return out;
}
