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
// What tells the two apart otherwise is the headers: the same message stored
// with other bytes keeps its identity headers. A record that keeps the size
// its id hashes (MessageRecord.size) lets the id of the headers read now be
// made with that size: the record's id again means the same headers (the same
// message, as far as the id can tell), another id other headers (another
// message). Records written before they kept it prove nothing there, as before.

import type { MessageRecord } from '../state/types.js';
import { globalIdFromFields, type IdentityFields } from './identity.js';

/** What a read says of the message now at a known UID (see identityOf). */
export interface CurrentIdentity {
  gid: string;
  /** Its id hashes its size (it has no Message-ID). */
  sizedGid?: boolean;
  /** With sizedGid: its identity fields (without them, an id that hashes a size is compared as before). */
  fields?: IdentityFields;
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
  const gid = gidOn(record, side);
  if (now.gid === gid) return false;
  if (now.sizedGid !== true || record.byMessageId === true || side === gidSideOf(record) || gid !== record.gid) return true;
  if (record.size === undefined || now.fields === undefined) return false;
  return globalIdFromFields(now.fields, record.size) !== gid;
}
