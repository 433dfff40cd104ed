// The planner's rules for stand-ins (--placeholders, issue 9 §2), pure: what
// a record pairing an original with its stand-in becomes, given both sides now.
// - both there: flags flow as for any pair, unless the stand-in was flagged
//   (\Flagged, not in the record's base) or the filter no longer holds the
//   original back: then the original is copied over (flags merged with the
//   stand-in's as the mode merges) and the stand-in expunged once that copy
//   is confirmed;
// - the stand-in gone: the original is planned as if new (held back, it gets
//   a stand-in again, or is deferred without --placeholders): deleting a
//   stand-in never deletes the original;
// - the original gone: the stand-in is planned as a message only that side
//   has (mirror and two-way expunge it, copy keeps it);
// - a record naming the stand-in alone (its original replaced): expunged.

import type { MessageRecord } from '../state/types.js';
import { flagAccepted, mergeFlags, normalizedView, normalizeFlags } from './flags.js';
import type { Candidate } from './matchByGid.js';
import type { ExpungeAction, FlagAcceptance, FolderPlanInput, SnapshotMessage, StandInAction } from './planTypes.js';
import type { Absence } from './presence.js';
import { mayWrite, other, sideLabel, uidOn, uidsBySide, type Side } from './side.js';

/**
 * The expunge removes a stand-in whose real message is (being) put in its
 * place: no loss, so the guard does not count it and withholds it never.
 */
export function replacesStandIn(e: Pick<ExpungeAction, 'side' | 'record' | 'after'>): boolean {
  return e.after !== undefined || (e.record.standIn === e.side && uidOn(e.record, other(e.side)) === 0);
}

/** The side holding the record's stand-in, and the other (the original's). */
export function standInSides(record: MessageRecord): { s: Side; o: Side } {
  const s = record.standIn!;
  return { s, o: other(s) };
}

/** The stand-in was flagged since it was made, or the filter lets the original through now: copy the real message over. */
export function replacementWanted(input: FolderPlanInput, record: MessageRecord, standIn: SnapshotMessage): boolean {
  const { s, o } = standInSides(record);
  if (!mayWrite(input.mode, s)) return false;
  if (input.heldBack?.[o]?.has(uidOn(record, o)) !== true) return true;
  return normalizedView(standIn.flags).includes('\\Flagged') && !record.flags.includes('\\Flagged');
}

/** The record naming only the stand-in (its original's side 0), as it stands once the real message is there. */
export function orphanOf(record: MessageRecord): MessageRecord {
  const { s } = standInSides(record);
  const { standIn, standInGid, gid, flags } = record;
  return { ...uidsBySide(s, uidOn(record, s), 0), gid, flags, standIn, standInGid };
}

/** The original as a candidate to copy over its stand-in (matched first: a killed run may have copied it already). */
export function replacingCandidate(input: FolderPlanInput, record: MessageRecord, original: SnapshotMessage, standIn: SnapshotMessage): Candidate {
  const { o } = standInSides(record);
  const flags = normalizedView(original.flags);
  const now = { [o]: flags, [other(o)]: normalizedView(standIn.flags) } as Record<Side, readonly string[]>;
  const merged = mergeFlags(normalizedView(record.flags), now.a, now.b, input.mode);
  return {
    ...originalCandidate(record, original, { kind: 'gone' }),
    replaces: { record, orphan: orphanOf(record), flags: merged[other(o)], originalFlags: merged[o], standInFlags: now[other(o)] },
  };
}

/** The original as a message its side alone holds (its stand-in gone, or to be replaced): never a reason to delete it. */
export function originalCandidate(record: MessageRecord, original: SnapshotMessage, absence: Absence): Candidate {
  const size = original.size ?? record.size;
  return {
    uid: uidOn(record, standInSides(record).o), gid: record.gid, flags: normalizedView(original.flags), absence,
    ...(size !== undefined && { size }), ...(record.byMessageId && { byMessageId: true as const }),
  };
}

/** The stand-in as a message its side alone holds (its original gone): the mode decides its fate, as for any such message. */
export function standInCandidate(record: MessageRecord, standIn: SnapshotMessage, absence: Absence): Candidate {
  const { s } = standInSides(record);
  return {
    uid: uidOn(record, s), gid: standIn.gid ?? record.standInGid!, flags: normalizedView(standIn.flags), absence, byMessageId: true,
    ...(standIn.size !== undefined && { size: standIn.size }), partnerGone: true, record,
  };
}

/** The stand-in to make for a message `from` holds that the size filter holds back. */
export function standInAction(from: Side, m: Candidate, accepts: FlagAcceptance): StandInAction {
  const sourceFlags = normalizeFlags(m.flags);
  const to = other(from);
  return {
    from, to, uid: m.uid, gid: m.gid, size: m.size ?? 0, flags: sourceFlags.filter((f) => flagAccepted(f, accepts)), sourceFlags,
    why: `held back by the size filter (${m.size ?? '?'} bytes): a stand-in on ${sideLabel(to)} names it (--placeholders)`,
  };
}
