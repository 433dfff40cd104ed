// One side of a folder as data for the planner: which UIDs are there now,
// with which flags, and (for messages the state does not know, or when
// verifying) which global id. Built from the state's records and what the
// store read (a full listing or a delta since the last run).

import type { MessageRecord } from '../state/types.js';
import type { MessageState } from '../store/types.js';
import type { HeldWithoutUid, SideSnapshot, SnapshotMessage } from './planTypes.js';
import { normalizedView } from './flags.js';
import type { IdentityFields } from './identity.js';

/** An envelope already turned into a global id (see identity.ts). */
export interface SnapshotEnvelope {
  uid: number;
  flags: string[];
  size: number;
  gid: string;
  /** The gid hashes the size (no Message-ID): see SnapshotMessage. */
  sizedGid?: true;
  /** With sizedGid: its identity fields (see SnapshotMessage). */
  fields?: IdentityFields;
  /** A stand-in's: its original's gid (see SnapshotMessage). */
  standInOf?: string;
}

export interface SnapshotRead {
  kind: 'full' | 'delta';
  messages: MessageState[];
  vanished: number[];
  envelopes: SnapshotEnvelope[];
  /**
   * UIDs present but not read (the server left them out of a listing): those
   * the state knows are present with the flags as last synced, marked
   * `unread`; the others are left out like any UID without an envelope.
   */
  unread?: readonly number[];
}

/**
 * The side's messages now.
 * - delta: the UIDs the records know on this side, with the flags as last
 *   synced, minus `vanished`, with the flags of `messages` applied;
 * - full: exactly the UIDs of `messages`, with their flags, and the known
 *   UIDs of `unread`;
 * - both: plus every envelope (with its gid and size; its flags when
 *   `messages` does not list the UID). Envelopes of known UIDs carry the gid
 *   too, so the planner can verify the UID still holds the same message.
 * A UID that is neither known nor has an envelope cannot be identified and is
 * left out (it vanished between the two reads; the store leaves out UIDs that
 * no longer exist). A vanished UID is left out even if an envelope lists it.
 * Flags are normalised (no \Recent). Entries may be shared between UIDs:
 * treat the snapshot as read-only.
 */
export function buildSnapshot(
  knownRecords: readonly MessageRecord[],
  side: 'a' | 'b',
  read: SnapshotRead,
): SideSnapshot {
  const envelopes = new Map<number, SnapshotEnvelope>();
  for (const envelope of read.envelopes) envelopes.set(envelope.uid, envelope);
  const fromRecord = sharedMessages();
  const out = new Map<number, SnapshotMessage>();

  // Which UIDs the state knows. In a delta they are the starting point, so `out` itself says.
  let isKnown: (uid: number) => boolean;
  if (read.kind === 'delta') {
    let previous = 0;
    for (const record of knownRecords) {
      const uid = side === 'a' ? record.uidA : record.uidB;
      if (uid === 0) continue;
      // Ascending UIDs (the state keeps them so) cannot repeat; otherwise the first record wins.
      if (uid > previous) previous = uid;
      else if (out.has(uid)) continue;
      out.set(uid, fromRecord(record.flags));
    }
    // Only UIDs with an envelope join `out` below, so this stays right while it grows.
    isKnown = (uid) => out.has(uid);
  } else {
    const known = new Set<number>();
    for (const record of knownRecords) {
      const uid = side === 'a' ? record.uidA : record.uidB;
      if (uid !== 0) known.add(uid);
    }
    isKnown = (uid) => known.has(uid);
  }

  const listed = new Set<number>();
  for (const message of read.messages) {
    if (!isKnown(message.uid) && !envelopes.has(message.uid)) continue;
    listed.add(message.uid);
    out.set(message.uid, { flags: normalizedView(message.flags) });
  }
  for (const envelope of read.envelopes) {
    const current = out.get(envelope.uid);
    out.set(envelope.uid, {
      flags: current !== undefined && listed.has(envelope.uid) ? current.flags : normalizedView(envelope.flags),
      gid: envelope.gid,
      size: envelope.size,
      ...(envelope.sizedGid && { sizedGid: true }),
      ...(envelope.fields && { fields: envelope.fields }),
      ...(envelope.standInOf !== undefined && { standInOf: envelope.standInOf }),
    });
  }
  for (const uid of read.vanished) out.delete(uid);
  markUnread(out, knownRecords, side, read.unread ?? [], isKnown);
  return inUidOrder(out);
}

/**
 * Known UIDs the server left out of its listing are there, in a state this run
 * could not read: present with the flags as last synced, and `unread`, so the
 * planner leaves their records as they are instead of taking them for gone.
 */
function markUnread(
  out: Map<number, SnapshotMessage>,
  knownRecords: readonly MessageRecord[],
  side: 'a' | 'b',
  unread: readonly number[],
  isKnown: (uid: number) => boolean,
): void {
  const wanted = new Set(unread.filter(isKnown));
  if (wanted.size === 0) return;
  for (const record of knownRecords) {
    const uid = side === 'a' ? record.uidA : record.uidB;
    if (!wanted.delete(uid)) continue; // the first record of a UID wins, as above
    out.set(uid, { flags: normalizedView(record.flags), unread: true });
  }
}

/**
 * Snapshot entries for flags taken from records: one shared (read-only)
 * object per flags array, since the state shares its flag arrays and a folder
 * may hold a million messages. Falls back to one object each when the arrays
 * turn out not to be shared.
 */
function sharedMessages(): (flags: readonly string[]) => SnapshotMessage {
  const cache = new Map<readonly string[], SnapshotMessage>();
  return (flags) => {
    let message = cache.get(flags);
    if (message === undefined) {
      message = { flags: normalizedView(flags) };
      if (cache.size < 1024) cache.set(flags, message);
    }
    return message;
  };
}

/** The map itself when its keys already ascend (the usual case), else a sorted copy. */
function inUidOrder(map: Map<number, SnapshotMessage>): Map<number, SnapshotMessage> {
  let previous = -1;
  for (const uid of map.keys()) {
    if (uid <= previous) return new Map([...map].sort((x, y) => x[0] - y[0]));
    previous = uid;
  }
  return map;
}

/**
 * After a UIDVALIDITY change on one side, that side's UIDs mean nothing: set
 * them to 0 so the records become one-sided and are re-matched by gid.
 * Records with no UID left are dropped.
 */
export function voidSide(records: readonly MessageRecord[], side: 'a' | 'b'): MessageRecord[] {
  const out: MessageRecord[] = [];
  for (const record of records) {
    const voided = side === 'a' ? { ...record, uidA: 0 } : { ...record, uidB: 0 };
    if (voided.uidA !== 0 || voided.uidB !== 0) out.push(voided);
  }
  return out;
}

/**
 * The held records voidSide(records, side) drops (their message is on `side`,
 * whose UIDs are void now), so the planner can keep their marks on the
 * messages of that side and gid it finds unpaired.
 */
export function heldDroppedByVoiding(records: readonly MessageRecord[], side: 'a' | 'b'): HeldWithoutUid[] {
  const out: HeldWithoutUid[] = [];
  for (const r of records) {
    if (r.held !== undefined && (side === 'a' ? r.uidA : r.uidB) !== 0) out.push({ side, gid: r.gid, held: r.held });
  }
  return out;
}
