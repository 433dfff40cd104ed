// Does a known UID still hold the message its record names? The record keeps
// one global id: made from the bytes of its A message when it has one (copies
// and pairs take A's), and of either side's message otherwise (a record that
// lost its A side keeps A's id). A different id read now proves another
// message, except where the size is part of the id (no Message-ID) and the
// record's id may come from the other server: that server may store the same
// message with other bytes (Dovecot turns a bare CR into CRLF on APPEND), so
// the two ids of one message differ (see identity.ts). A record whose id
// certainly hashes a Message-ID (MessageRecord.byMessageId) has no such
// version: every version of its message has that Message-ID, so an id that
// hashes a size, read on either side, is another message.

import type { MessageRecord } from '../state/types.js';

/** What a read says of the message now at a known UID. */
export interface CurrentIdentity {
  gid: string;
  /** Its id hashes its size (it has no Message-ID). */
  sizedGid?: boolean;
}

/** The side whose bytes the record's global id was certainly made from, if one is certain. */
function gidSideOf(record: MessageRecord): 'a' | undefined {
  return record.uidA !== 0 ? 'a' : undefined;
}

/**
 * The global id of the message the record names on `side`: the record's, or
 * on the side holding its stand-in (--placeholders), the stand-in's.
 */
export function gidOn(record: MessageRecord, side: 'a' | 'b'): string {
  return record.standIn === side ? record.standInGid! : record.gid;
}

/** True when `side`'s UID of this record now certainly holds another message. */
export function holdsAnotherMessage(record: MessageRecord, side: 'a' | 'b', now: CurrentIdentity): boolean {
  if (now.gid === gidOn(record, side)) return false;
  return now.sizedGid !== true || record.byMessageId === true || side === gidSideOf(record);
}
