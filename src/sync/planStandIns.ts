// The planner's rules for stand-ins (--placeholders, issue 9 §2), pure: what
// a record pairing an original with its stand-in becomes, given both sides now.
// - both there: flags flow as for any pair, except \Flagged, which on a
//   stand-in means "fetch the real message" (it is made without it, its
//   record's base never holds it, the original's never reaches it); when the
//   stand-in is flagged or the filter no longer holds the original back, the
//   original is copied over (flags merged with the stand-in's as the mode
//   merges) and the stand-in expunged once that copy is confirmed;
// - the stand-in gone: the original is planned as if new (held back, it gets
//   a stand-in again, or is deferred without --placeholders): deleting a
//   stand-in never deletes the original;
// - the original gone: the stand-in is planned as a message only that side
//   has (mirror and two-way expunge it, copy keeps it);
// - a record naming the stand-in alone (its original replaced): expunged;
// - a stand-in no record names (a lost state; SnapshotMessage.standInOf) is
//   never mail: it pairs again with an unrecorded message of its original's
//   gid on the other side (adoptedRecord), or is left where it is.

import type { MessageRecord } from '../state/types.js';
import { flagAccepted, mergeFlags, normalizedView, normalizeFlags } from './flags.js';
import type { Candidate } from './matchByGid.js';
import type { ExpungeAction, FlagAcceptance, FlagChange, FolderPlanInput, SnapshotMessage, StandInAction } from './planTypes.js';
import { NEVER_STORED, type Absence } from './presence.js';
import { mayWrite, other, sideLabel, uidOn, uidsBySide, type Side } from './side.js';

/**
 * The expunge removes a stand-in whose real message is (being) put in its
 * place, or is there (an orphan's record): no loss, so the guard does not
 * count it and withholds it never (nor that of a stand-in whose original is
 * gone and that mirror deletes: a stand-in holds no mail).
 */
export function replacesStandIn(e: Pick<ExpungeAction, 'side' | 'record' | 'after'>): boolean {
  return e.after !== undefined || (e.record.standIn === e.side && uidOn(e.record, other(e.side)) === 0);
}

/** The side holding the record's stand-in, and the other (the original's). */
export function standInSides(record: MessageRecord): { s: Side; o: Side } {
  const s = record.standIn!;
  return { s, o: other(s) };
}

const FLAGGED = '\\Flagged';

/**
 * The stand-in is flagged, or the filter lets the original through now: copy
 * the real message over. A record whose base holds \Flagged was written by an
 * older replimap, which made the stand-in of a flagged original flagged: that
 * \Flagged is no request (see legacyFlagged).
 */
export function replacementWanted(input: FolderPlanInput, record: MessageRecord, standIn: SnapshotMessage): boolean {
  const { s, o } = standInSides(record);
  if (!mayWrite(input.mode, s)) return false;
  if (input.heldBack?.[o]?.has(uidOn(record, o)) !== true) return true;
  return isFlagged(standIn.flags) && !record.flags.includes(FLAGGED);
}

export function isFlagged(flags: readonly string[]): boolean {
  return normalizedView(flags).includes(FLAGGED);
}

/** Flags without \Flagged (normalised): what a stand-in pair merges. */
export function withoutFlagged(flags: readonly string[]): readonly string[] {
  const now = normalizedView(flags);
  return now.includes(FLAGGED) ? now.filter((f) => f !== FLAGGED) : now;
}

/**
 * A record of an older replimap (its base holds \Flagged) whose stand-in is
 * flagged: made so from a flagged original, not flagged by the user. Where
 * the mode writes the stand-in's side, that \Flagged is removed once
 * (unflagStandIn); elsewhere the record keeps the old rule.
 */
export function legacyFlagged(record: MessageRecord, standIn: SnapshotMessage): boolean {
  return record.flags.includes(FLAGGED) && isFlagged(standIn.flags);
}

/** The removal of an older replimap's \Flagged from a stand-in, merged into the change already planned for it, if any. */
export function unflagStandIn(changes: FlagChange[], side: Side, uid: number, baseMeanwhile: readonly string[]): void {
  const why = 'a stand-in made flagged by an older replimap: \\Flagged on a stand-in now asks for the real message, so it is removed once';
  const planned = changes.find((c) => c.side === side && c.uid === uid);
  if (planned === undefined) changes.push({ side, uid, add: [], remove: [FLAGGED], why, baseMeanwhile });
  else Object.assign(planned, { remove: normalizeFlags([...planned.remove, FLAGGED]), why: `${planned.why}; ${why}`, baseMeanwhile });
}

/**
 * The record pairing again a stand-in no record named with its original
 * (both unrecorded). No history: the base is the flags both share, so the
 * merge is the mode's merge without history and no flag one side lacks looks
 * removed; both flagged, the base holds \Flagged, as an older replimap's
 * record would (in doubt, no fetch the user did not ask for: legacyFlagged).
 */
export function adoptedRecord(s: Side, standIn: Candidate, original: Candidate): MessageRecord {
  const shared = normalizedView(original.flags).filter((f) => normalizedView(standIn.flags).includes(f));
  return {
    ...uidsBySide(other(s), original.uid, standIn.uid), gid: original.gid, flags: shared, standIn: s, standInGid: standIn.gid,
    ...(original.size !== undefined && { size: original.size }), ...(original.byMessageId && { byMessageId: true as const }),
  };
}

/**
 * May this unpaired message be the original of a stand-in no record names?
 * Only one no record pairs with anything on the other side: unknown, or
 * recorded there alone and never stored on the other side (not a stand-in
 * itself, not being replaced).
 */
export function unrecordedOriginal(m: Candidate): boolean {
  return m.standInOf === undefined && m.replaces === undefined && (m.absence === undefined || m.absence.kind === 'never-stored');
}

/** Why a stand-in no record names is left where it is (FolderPlan.standInsLeft). */
export function standInLeftWhy(s: Side, m: Candidate, secondOf: boolean): string {
  const o = sideLabel(other(s));
  const cause = secondOf
    ? `another stand-in of the same original (global id ${m.standInOf}) is paired with it`
    : `${o} holds no message of its original's global id (${m.standInOf}) that no record pairs`;
  return `a stand-in the state does not know, never copied as mail: ${cause}; left where it is, neither copied nor deleted`;
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

/**
 * The stand-in as a message its side alone holds (its original gone, or its
 * UID reused, or lost in a rollback: `held`): the mode decides whether it goes
 * with its original, as for any such message, but it is never copied as mail
 * (standInOf: fateOfUnpaired keeps it instead).
 */
export function standInCandidate(record: MessageRecord, standIn: SnapshotMessage, absence: Absence, held: Pick<Candidate, 'held'>): Candidate {
  const { s } = standInSides(record);
  return {
    uid: uidOn(record, s), gid: standIn.gid ?? record.standInGid!, flags: normalizedView(standIn.flags), absence, byMessageId: true,
    ...(standIn.size !== undefined && { size: standIn.size }), partnerGone: true, record, standInOf: record.gid, ...held,
  };
}

/**
 * A record naming only a stand-in (its original's side 0) as a candidate of
 * its side: an orphan (`orphan`), whose original was replaced, or left the
 * other side, or had its UID voided by a new UIDVALIDITY, which adoption
 * (adoptLostStandIns) and standInUnpaired tell apart.
 */
export function soleStandInCandidate(record: MessageRecord, standIn: SnapshotMessage): Candidate {
  const { s } = standInSides(record);
  return {
    uid: uidOn(record, s), gid: record.standInGid!, flags: normalizedView(standIn.flags), absence: NEVER_STORED, byMessageId: true,
    ...(standIn.size !== undefined && { size: standIn.size }), standInOf: record.gid, orphan: record, ...(record.held !== undefined && { held: record.held }),
  };
}

/** Why a stand-in whose original the other side does not show (left it, or its UIDs voided) is kept (FolderPlan.standInsLeft). */
export function orphanKeptWhy(s: Side, m: Candidate): string {
  const o = sideLabel(other(s));
  return `a stand-in whose original ${o} does not show (global id ${m.standInOf}): kept where it is, never copied as mail; it pairs again with that message if it comes back`;
}

/** Why a stand-in whose original left its side is kept, never copied as mail (FolderPlan.standInsLeft). */
export function standInKeptWhy(m: Candidate): string {
  return `a stand-in whose original is no longer on ${sideLabel(other(m.record!.standIn!))} (${m.absence?.kind ?? 'unknown'}${m.held === undefined ? '' : `, ${m.held}`}): kept where it is, never copied as mail`;
}

/** The stand-in to make for a message `from` holds that the size filter holds back: never \Flagged, which asks for the real message. */
export function standInAction(from: Side, m: Candidate, accepts: FlagAcceptance): StandInAction {
  const sourceFlags = withoutFlagged(normalizeFlags(m.flags));
  const to = other(from);
  return {
    from, to, uid: m.uid, gid: m.gid, size: m.size ?? 0, flags: sourceFlags.filter((f) => flagAccepted(f, accepts)), sourceFlags,
    why: `held back by the size filter (${m.size ?? '?'} bytes): a stand-in on ${sideLabel(to)} names it (--placeholders)`,
  };
}
