// One side of a folder as data for the planner: which UIDs are there now,
// with which flags, and (for messages the state does not know, or when
// verifying) which global id. Built from the state's records and what the
// store read (a full listing or a delta since the last run).

import type { MessageRecord } from '../state/types.js';
import type { MessageState } from '../store/types.js';
import type { SideSnapshot, SnapshotMessage } from './planTypes.js';
import { normalizeFlags } from './flags.js';

/** An envelope already turned into a global id (see identity.ts). */
export interface SnapshotEnvelope {
  uid: number;
  flags: string[];
  size: number;
  gid: string;
}

export interface SnapshotRead {
  kind: 'full' | 'delta';
  messages: MessageState[];
  vanished: number[];
  envelopes: SnapshotEnvelope[];
}

/**
 * The side's messages now.
 * - delta: the UIDs the records know on this side, with the flags as last
 *   synced, minus `vanished`, with the flags of `messages` applied;
 * - full: exactly the UIDs of `messages`, with their flags;
 * - both: plus every envelope (with its gid and size; its flags when
 *   `messages` does not list the UID). Envelopes of known UIDs carry the gid
 *   too, so the planner can verify the UID still holds the same message.
 * A UID that is neither known nor has an envelope cannot be identified and is
 * left out (it vanished between the two reads; the store leaves out UIDs that
 * no longer exist). A vanished UID is left out even if an envelope lists it.
 * Flags are normalised (no \Recent).
 */
export function buildSnapshot(
  knownRecords: readonly MessageRecord[],
  side: 'a' | 'b',
  read: SnapshotRead,
): SideSnapshot {
  const uidOf = side === 'a' ? (r: MessageRecord) => r.uidA : (r: MessageRecord) => r.uidB;
  const known = new Map<number, readonly string[]>();
  for (const record of knownRecords) {
    const uid = uidOf(record);
    if (uid !== 0 && !known.has(uid)) known.set(uid, record.flags);
  }
  const vanished = new Set(read.vanished);
  const envelopes = new Map<number, SnapshotEnvelope>();
  for (const envelope of read.envelopes) envelopes.set(envelope.uid, envelope);

  const out = new Map<number, SnapshotMessage>();
  if (read.kind === 'delta') {
    for (const [uid, flags] of known) out.set(uid, { flags: normalizeFlags(flags) });
  }
  for (const message of read.messages) {
    if (!known.has(message.uid) && !envelopes.has(message.uid)) continue;
    out.set(message.uid, { flags: normalizeFlags(message.flags) });
  }
  const listed = new Set(read.messages.map((m) => m.uid));
  for (const envelope of read.envelopes) {
    const current = out.get(envelope.uid);
    out.set(envelope.uid, {
      flags: current !== undefined && listed.has(envelope.uid) ? current.flags : normalizeFlags(envelope.flags),
      gid: envelope.gid,
      size: envelope.size,
    });
  }
  for (const uid of vanished) out.delete(uid);
  return new Map([...out].sort((x, y) => x[0] - y[0]));
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
