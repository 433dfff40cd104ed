// Store.fetchHeaders over IMAP: `UID FETCH <set> (UID BODY.PEEK[HEADER]<0.n>)`,
// one command per UID set (split only for a set too long for one line, as
// the envelope fetch), so a header past MAX_HEADER_BYTES is never read whole.

import { MAX_HEADER_BYTES } from '../readRules.js';
import { uidFetch } from './fetchMessages.js';
import type { ImapSession } from './session.js';
import { splitUidSets } from './uidSet.js';

/** The headers of these UIDs (see Store.fetchHeaders); a UID whose row carried no header is left out. */
export async function fetchHeaders(session: ImapSession, folder: string, uids: Iterable<number>): Promise<Map<number, Buffer | null>> {
  const headers = new Map<number, Buffer | null>();
  for (const set of splitUidSets(uids)) {
    for (const row of (await uidFetch(session, folder, set, ['HEADER'])).values()) {
      if (row.header !== undefined) headers.set(row.uid, row.header.length > MAX_HEADER_BYTES ? null : row.header);
    }
  }
  return headers;
}
