// Is the message a record names still on a side? One of four facts, each
// with its own consequence in the planner:
// - present: the record's UID there still holds its message;
// - never-stored: the record has no UID on that side (0): not copied there
//   yet, or that side's UIDs were voided (new UIDVALIDITY);
// - gone: the UID is no longer there (expunged; or, with a corrupt state,
//   claimed by an earlier record);
// - uid-reused: the UID is there but holds another message (a server
//   restored from a backup reuses UIDs): that message is unknown, not this one.

import type { MessageRecord } from '../state/types.js';
import { holdsAnotherMessage } from './knownIdentity.js';
import type { SideSnapshot, SnapshotMessage } from './planTypes.js';
import { uidOn, type Side } from './side.js';

export type Presence =
  | { readonly kind: 'present'; readonly message: SnapshotMessage }
  | Absence;

/** Why a record's message is not (usably) on a side. */
export type Absence =
  | { readonly kind: 'never-stored' }
  | { readonly kind: 'gone' }
  | { readonly kind: 'uid-reused'; readonly uid: number };

export const NEVER_STORED: Absence = Object.freeze({ kind: 'never-stored' });
export const GONE: Absence = Object.freeze({ kind: 'gone' });

const NO_MESSAGE: SnapshotMessage = Object.freeze({ flags: [] });

/**
 * Presence on one side, record after record. Each UID belongs to at most one
 * record: the first to claim it (only a corrupt state has a second claim, which
 * finds it gone). A million-record folder is the usual case, so a present
 * answer is one reused object, valid until the next call: read it at once.
 */
export class SidePresence {
  private readonly all: Set<number> | null;
  private readonly gidClaims = new Set<number>();
  private readonly present: { kind: 'present'; message: SnapshotMessage } = { kind: 'present', message: NO_MESSAGE };
  /** Claimed entries without a gid (the unknown-message collection checks them). */
  withoutGid = 0;

  constructor(
    readonly side: Side,
    readonly snapshot: SideSnapshot,
    records: readonly MessageRecord[],
  ) {
    this.all = mayRepeat(records, side) ? new Set() : null;
  }

  of(record: MessageRecord): Presence {
    const uid = uidOn(record, this.side);
    if (uid === 0) return NEVER_STORED;
    if (this.all !== null && this.all.has(uid)) return GONE;
    const message = this.snapshot.get(uid);
    if (message === undefined) return GONE;
    if (message.gid !== undefined && holdsAnotherMessage(record, this.side, { gid: message.gid, sizedGid: message.sizedGid, fields: message.fields })) {
      return { kind: 'uid-reused', uid };
    }
    this.all?.add(uid);
    if (message.gid === undefined) this.withoutGid++;
    else this.gidClaims.add(uid);
    this.present.message = message;
    return this.present;
  }

  /** A record claimed this UID, and its snapshot entry has a gid (so it is not unknown). */
  claimedWithGid(uid: number): boolean {
    return this.gidClaims.has(uid);
  }
}

/**
 * False when the non-zero UIDs of that side strictly ascend through the
 * records, as the state keeps them: then none can repeat, and only claims of
 * entries with a gid need remembering (no set of a million UIDs).
 */
function mayRepeat(records: readonly MessageRecord[], side: Side): boolean {
  let previous = 0;
  for (const record of records) {
    const uid = uidOn(record, side);
    if (uid === 0) continue;
    if (uid <= previous) return true;
    previous = uid;
  }
  return false;
}
