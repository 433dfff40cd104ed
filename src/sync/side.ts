// The two sides of a sync as data: a side is 'a' or 'b', and what differs
// between them (which one a mode lets us write) is a rule, not a special case.

import type { MessageRecord } from '../state/types.js';
import type { SyncMode } from './types.js';

export type Side = 'a' | 'b';

/** Both sides, A first (the order plans and reports list them in). */
export const SIDES: readonly Side[] = ['a', 'b'];

export function other(side: Side): Side {
  return side === 'a' ? 'b' : 'a';
}

/** The record's UID on that side (0: not there). */
export function uidOn(record: MessageRecord, side: Side): number {
  return side === 'a' ? record.uidA : record.uidB;
}

/** A record of one message with these UIDs on each side (0: not there). */
export function uidsBySide(side: Side, uid: number, otherUid: number): Pick<MessageRecord, 'uidA' | 'uidB'> {
  return side === 'a' ? { uidA: uid, uidB: otherUid } : { uidA: otherUid, uidB: uid };
}

/** 'A' or 'B', as messages name a side. */
export function sideLabel(side: Side): 'A' | 'B' {
  return side === 'a' ? 'A' : 'B';
}

/**
 * May a run in this mode write to this side? Copy and mirror write only B:
 * A is the source and is never changed. The planner restricts its plan with
 * this, and the executor refuses any action it forbids.
 */
export function mayWrite(mode: SyncMode, side: Side): boolean {
  return mode === 'two-way' || side === 'b';
}
