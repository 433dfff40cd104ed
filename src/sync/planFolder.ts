// The planner: from the state's records and both sides' snapshots, decide what
// to do in one folder pair. Pure and deterministic; every rule of sync that
// concerns messages lives here (see planTypes.ts for the data).
//
// The plan is side-symmetric: per message it decides as a two-way sync would
// (which side lacks it, which side's flags changed), and the mode restricts
// that (mayWrite, fateOfUnpaired): copy and mirror never write A; what only B
// has is kept (copy) or expunged (mirror, guarded); mirror's B flags follow A.
// Two-way is that decision unrestricted: what one side lacks is copied to it,
// unless the state proves it was synced there and it is gone (that side
// expunged it: expunged from the other too, guarded), and a side that went
// back in time gets back what it lost.
//
// Matching is by global id as a multiset: within one folder, n copies of a gid
// on A and m on B make min(n, m) pairs, so exact duplicates survive and are
// never merged; where a gid's candidates differ in body, sizes or digests say
// which is which (see matchByGid.ts). In copy and mirror nothing is ever removed from A, and nothing
// from B except, in mirror mode, a message A does not have (and only when allowExpunge; one A lost
// when it went back in time, a held record, only with expungeHeld as well). In two-way a side loses
// only a message the other side expunged after both had it (allowExpunge).

import { FlagInterner } from '../state/lineCodec.js';
import type { HeldKind, MessageRecord } from '../state/types.js';
import type { CopyAction, DeferredCount, ExpungeAction, FlagChange, FolderPlan, FolderPlanInput, SnapshotMessage, StandInAction, StandInLeft, UidReassignment } from './planTypes.js';
import { describeFlagDelta, flagAccepted, flagDelta, flagsAgainstBase, mergeFlags, normalizedView, normalizeFlags, sameFlags } from './flags.js';
import { byUid, matchByGid, type Candidate, type GidMatch, type StandInReplacement } from './matchByGid.js';
import {
  adoptedRecord, orphanKeptWhy, legacyFlagged, originalCandidate, replacementWanted, replacingCandidate, soleStandInCandidate, standInAction,
  standInCandidate, standInKeptWhy, standInLeftWhy, standInSides, unflagStandIn, unrecordedOriginal, withoutFlagged,
} from './planStandIns.js';
import { SidePresence, type Absence, type Presence } from './presence.js';
import { mayWrite, other, sideLabel, SIDES, uidOn, uidsBySide, type Side } from './side.js';
import type { SyncMode } from './types.js';

/** What the plan collects while it is made. */
interface Draft {
  input: FolderPlanInput;
  kept: MessageRecord[];
  appends: CopyAction[];
  standIns: StandInAction[];
  flagChanges: FlagChange[];
  expunges: ExpungeAction[];
  dropped: { a: Set<string>; b: Set<string> };
  reusedUids: { side: Side; uid: number }[];
  /** Messages no record pairs now, per side: matched by global id next. */
  pools: { a: Candidate[]; b: Candidate[] };
  /** Global ids of messages a side holds but did not list, with no copy paired: the other side's of that id are not deleted. */
  unlisted: { a: Set<string>; b: Set<string> };
  expungesWithheld: number;
  expungesHeld: number;
  expungesHeldUnknown: number;
  expungesInDoubt: number;
  /** One shared array per distinct flag list: a plan of an initial copy holds two per message. */
  flagLists: FlagInterner;
  /** Two-way: expunges of messages whose flags changed on the side that still had them (the expunge wins). */
  expungesOverFlagChanges: number;
  /** Two-way: known UIDs this plan would expunge without having read what they hold (see needIdentity). */
  needIdentity: { a: number[]; b: number[] };
  /** Copies the message filter held back, by the side they are on (see FolderPlan.deferred). */
  deferred: Record<Side, DeferredCount>;
  /** Stand-ins no record names that pair with nothing (FolderPlan.standInsLeft). */
  standInsLeft: StandInLeft[];
  /** UIDs of originals of recorded stand-ins that may be copied (see FolderPlan.needFlags). */
  originals: { a: Set<number>; b: Set<number> };
}

export function planFolder(input: FolderPlanInput): FolderPlan {
  const draft: Draft = {
    input, kept: [], appends: [], standIns: [], flagChanges: [], expunges: [], dropped: { a: new Set(), b: new Set() }, reusedUids: [],
    pools: { a: [], b: [] }, unlisted: { a: new Set(), b: new Set() },
    expungesWithheld: 0, expungesHeld: 0, expungesHeldUnknown: 0, expungesInDoubt: 0, expungesOverFlagChanges: 0,
    flagLists: new FlagInterner(), needIdentity: { a: [], b: [] }, deferred: { a: { messages: 0, bytes: 0 }, b: { messages: 0, bytes: 0 } },
    standInsLeft: [], originals: { a: new Set(), b: new Set() },
  };
  const presence = { a: new SidePresence('a', input.a, input.records), b: new SidePresence('b', input.b, input.records) };
  planRecords(draft, presence);
  for (const side of SIDES) collectUnknown(draft, presence[side]);
  for (const side of SIDES) adoptStandIns(draft, side);
  adoptLostStandIns(draft);
  const match = matchByGid(draft.pools.a, draft.pools.b, input.digests);
  for (const { a, b } of match.pairs) planMatchedPair(draft, a, b);
  // In doubt, keep: a B message whose body could not be compared stays, known as B-only.
  const heldMark = { a: heldMarker(input, 'a'), b: heldMarker(input, 'b') };
  for (const m of match.uncomparedB) draft.kept.push(oneSidedRecord('b', heldMark.b(m)));
  for (const side of SIDES) {
    for (const m of (side === 'a' ? match.onlyA : match.onlyB).sort(byUid)) planUnpaired(draft, side, heldMark[side](m));
  }
  return finished(draft, match);
}

/** The record loop: each record's message on both sides now (see presence.ts). */
function planRecords(draft: Draft, presence: { a: SidePresence; b: SidePresence }): void {
  const { input } = draft;
  for (const record of input.records) {
    const onA = presence.a.of(record);
    const onB = presence.b.of(record);
    if (onA.kind === 'uid-reused') draft.reusedUids.push({ side: 'a', uid: onA.uid });
    if (onB.kind === 'uid-reused') draft.reusedUids.push({ side: 'b', uid: onB.uid });
    if ((onA.kind === 'present' && onA.message.unread) || (onB.kind === 'present' && onB.message.unread)) {
      // A side holds the message but did not say in what state: nothing is decided on a guess.
      // No flag change, no copy, no deletion: the record waits for a run that reads it.
      draft.kept.push(keptUnread(record, onA, onB, input));
      if (onA.kind === 'present' && onB.kind !== 'present') draft.unlisted.a.add(record.gid);
      if (onB.kind === 'present' && onA.kind !== 'present') draft.unlisted.b.add(record.gid);
      continue;
    }
    if (record.standIn !== undefined && record.status !== 'deferred') {
      planStandInRecord(draft, record, { a: onA, b: onB });
    } else if (onA.kind === 'present' && onB.kind === 'present') {
      planKnownPair(draft, record, onA.message, onB.message);
    } else if (onA.kind === 'present' && onB.kind !== 'present') {
      // B lacks it (gone, never stored, its UID reused): unpaired again, copied again unless matched.
      draft.pools.a.push(unpairedCandidate(input, record, 'a', onA.message, onB));
    } else if (onB.kind === 'present' && onA.kind !== 'present') {
      draft.pools.b.push(unpairedCandidate(input, record, 'b', onB.message, onA));
    }
  }
}

/** Do this side's flags (as compared with the base) differ from it in a way the mode acts on? Copy lets B keep its own changes. */
function changedOn(mode: SyncMode, side: Side, seen: readonly string[], base: readonly string[]): boolean {
  if (mode === 'copy' && side === 'b') return false;
  return !sameFlags(seen, base);
}

/**
 * A side's flags as compared with the base (normalised): with the base's flags
 * it cannot store, whose absence is no change of that side (flagsAgainstBase).
 * Only a side the mode writes: one it never writes (A in copy and mirror) got
 * no copy whose source's flags the base records, so its flags are what it has.
 */
function seenAgainstBase(input: FolderPlanInput, side: Side, flags: readonly string[], base: readonly string[]): readonly string[] {
  const now = normalizedView(flags);
  return mayWrite(input.mode, side) ? flagsAgainstBase(now, base, input.accepts[side]) : now;
}

/** A record whose message both sides still hold: the flags are merged against the record's. */
function planKnownPair(draft: Draft, record: MessageRecord, onA: SnapshotMessage, onB: SnapshotMessage): void {
  const { mode } = draft.input;
  const base = normalizedView(record.flags);
  const seen = { a: seenAgainstBase(draft.input, 'a', onA.flags, base), b: seenAgainstBase(draft.input, 'b', onB.flags, base) };
  // Fast path, the usual case: neither side changed what the mode acts on. The record stays as it is.
  const mark = learnedMark(record, onA, onB);
  if (!changedOn(mode, 'a', seen.a, base) && !changedOn(mode, 'b', seen.b, base)) {
    draft.kept.push(record.flags === base && mark === undefined ? record : { ...record, flags: base, ...mark });
    return;
  }
  const merged = mergeFlags(base, seen.a, seen.b, mode);
  const now = { a: onA.flags, b: onB.flags };
  for (const side of SIDES) {
    changeFlags(draft, side, uidOn(record, side), now[side], merged[side], base, () => whyFlags(side, base, seen[other(side)]));
  }
  draft.kept.push({
    uidA: record.uidA, uidB: record.uidB, gid: record.gid, flags: merged.base,
    ...(record.byMessageId && { byMessageId: true }), ...sizeMark(record.size), ...mark, ...standInMarks(record),
  });
}

/** A stand-in record's marks (MessageRecord.standIn), carried to its next version. */
function standInMarks(record: MessageRecord): Pick<MessageRecord, 'standIn' | 'standInGid' | 'size'> {
  if (record.standIn === undefined) return {};
  return { standIn: record.standIn, standInGid: record.standInGid!, ...(record.size !== undefined && { size: record.size }) };
}

/** A record pairing an original with its stand-in (see planStandIns.ts for the rules). */
function planStandInRecord(draft: Draft, record: MessageRecord, on: Record<Side, Presence>): void {
  const { s, o } = standInSides(record);
  const standIn = on[s];
  const original = on[o];
  if (original.kind !== 'present') {
    if (standIn.kind !== 'present') return;
    // Its original's side 0: lone, or an orphan (adoptLostStandIns tells a replaced original from a voided one).
    if (uidOn(record, o) === 0) draft.pools[s].push(soleStandInCandidate(record, standIn.message));
    else draft.pools[s].push(standInCandidate(record, standIn.message, original, heldOnly(goneSideMarks(record, o, draft.input.wentBack))));
  } else if (standIn.kind !== 'present') {
    draft.originals[o].add(uidOn(record, o));
    draft.pools[o].push(originalCandidate(record, original.message, standIn));
  } else if (replacementWanted(draft.input, record, standIn.message)) {
    draft.originals[o].add(uidOn(record, o));
    draft.pools[o].push(replacingCandidate(draft.input, record, original.message, standIn.message));
  } else {
    planStandInPair(draft, record, standIn.message, original.message);
  }
}

/**
 * A stand-in and its original, both there, not replaced: flags merged as for
 * any pair, \Flagged left out on both sides and in the base (on the stand-in
 * it asks for the real message; the original's never reaches it, nor is it
 * removed). An older replimap's flagged stand-in (legacyFlagged) is unflagged
 * once where the mode writes its side (its base loses \Flagged only once that
 * is confirmed: the executor keeps the old base meanwhile, or, for a pair
 * adopted this run, FlagChange.baseMeanwhile); elsewhere its
 * record keeps the old rule.
 */
function planStandInPair(draft: Draft, record: MessageRecord, standIn: SnapshotMessage, original: SnapshotMessage): void {
  const { s, o } = standInSides(record);
  const legacy = legacyFlagged(record, standIn);
  const now = { [s]: standIn, [o]: original } as Record<Side, SnapshotMessage>;
  if (legacy && !mayWrite(draft.input.mode, s)) {
    planKnownPair(draft, record, now.a, now.b);
    return;
  }
  const unflagged = (m: SnapshotMessage): SnapshotMessage => ({ ...m, flags: withoutFlagged(m.flags) });
  planKnownPair(draft, { ...record, flags: withoutFlagged(record.flags) }, unflagged(now.a), unflagged(now.b));
  if (legacy) unflagStandIn(draft.flagChanges, s, uidOn(record, s), record.flags);
}

/**
 * Expunge a stand-in whose original is (being) copied over it, or was
 * replaced by an earlier run: in every mode that writes its side (copy too:
 * it holds no mail), whatever the guard (no mail is lost: replacesStandIn).
 * `waits`: only once that copy is confirmed (ExpungeAction.after); meanwhile
 * its record stays.
 */
function planStandInExpunge(draft: Draft, rep: StandInReplacement, waits: boolean, because = 'a stand-in whose original was copied over it'): void {
  const s = rep.orphan.standIn!;
  const uid = uidOn(rep.orphan, s);
  if (!mayWrite(draft.input.mode, s)) {
    if (!waits) draft.kept.push(rep.orphan);
    return;
  }
  const why = waits ? 'the real message replaces this stand-in: deleted once its copy is confirmed' : because;
  draft.expunges.push({
    side: s, uid, record: waits ? rep.record : rep.orphan, flags: rep.standInFlags, why,
    ...(waits && { after: rep.orphan, waitsForCopy: 'this folder (the real message replacing its stand-in)' }),
  });
}

/**
 * Stand-ins a killed run appended to `s` without recording them: a deferred
 * record names the gid of the stand-in being made for it (MessageRecord.standIn);
 * an unknown message of that gid on `s` is it, paired with its original.
 */
function adoptStandIns(draft: Draft, s: Side): void {
  const o = other(s);
  const making = new Map<string, MessageRecord>();
  for (const r of draft.input.records) if (r.status === 'deferred' && r.standIn === s && uidOn(r, o) !== 0) making.set(r.standInGid!, r);
  if (making.size === 0) return;
  for (const c of [...draft.pools[s]]) {
    const r = making.get(c.gid);
    const original = r && c.absence === undefined ? draft.pools[o].findIndex((x) => x.uid === uidOn(r, o) && x.gid === r.gid) : -1;
    if (r === undefined || original < 0) continue;
    making.delete(c.gid);
    draft.pools[o].splice(original, 1);
    draft.pools[s].splice(draft.pools[s].indexOf(c), 1);
    draft.kept.push({
      ...uidsBySide(o, uidOn(r, o), c.uid), gid: r.gid, flags: r.flags, standIn: s, standInGid: r.standInGid!,
      ...(r.size !== undefined && { size: r.size }), ...(r.byMessageId && { byMessageId: true as const }),
    });
  }
}

/**
 * Stand-ins no record names (a lost state or record: SnapshotMessage.standInOf),
 * and orphans (a record naming the stand-in alone with its original's gid),
 * are never mail to copy. Each pairs with a message of its original's gid on
 * the other side that no record pairs (unrecordedOriginal), as adoptStandIns
 * pairs a killed run's, and the pair is planned at once by the stand-in rules
 * (an orphan keeps its record's base: its original's UIDs were voided, a new
 * UIDVALIDITY). Real copies go first: an original whose real copy the stand-in's
 * own side holds unrecorded is left to matchByGid, not taken by the stand-in.
 * One left without an original: see standInUnpaired.
 */
function adoptLostStandIns(draft: Draft): void {
  const adoptable = (m: Candidate): boolean => m.standInOf !== undefined && (m.absence === undefined || m.orphan !== undefined);
  const lost = { a: draft.pools.a.filter(adoptable), b: draft.pools.b.filter(adoptable) };
  if (lost.a.length + lost.b.length === 0) return;
  const taken = new Set<Candidate>();
  for (const s of SIDES) {
    const o = other(s);
    const { originals, beside } = originalsFor(draft, s, lost[s]);
    const paired = new Set<string>();
    for (const m of lost[s].sort(byUid)) {
      taken.add(m);
      const original = originals.get(m.standInOf!)?.shift();
      if (original === undefined) {
        standInUnpaired(draft, s, m, { secondOf: paired.has(m.standInOf!), beside: beside.has(m.standInOf!) });
        continue;
      }
      taken.add(original);
      paired.add(original.gid);
      const present = (side: Side, uid: number): Presence => ({ kind: 'present', message: draft.input[side].get(uid)! });
      const on = { [s]: present(s, m.uid), [o]: present(o, original.uid) } as Record<Side, Presence>;
      const record = m.orphan === undefined ? adoptedRecord(s, m, original) : { ...m.orphan, ...uidsBySide(o, original.uid, m.uid) };
      planStandInRecord(draft, record, on);
    }
  }
  for (const side of SIDES) draft.pools[side] = draft.pools[side].filter((m) => !taken.has(m));
}

/**
 * The unpaired messages of `o` (other than `s`) that may be originals of `s`'s
 * stand-ins, by gid, minus as many as `s` holds real copies of that gid (those
 * pair by gid: a stand-in never takes an original from its real copy);
 * `beside`: the gids of which `s` holds a real copy.
 */
function originalsFor(draft: Draft, s: Side, lost: readonly Candidate[]): { originals: Map<string, Candidate[]>; beside: Set<string> } {
  const wanted = new Set(lost.map((m) => m.standInOf!));
  const originals = new Map<string, Candidate[]>();
  for (const m of [...draft.pools[other(s)]].sort(byUid)) {
    if (wanted.has(m.gid) && unrecordedOriginal(m)) originals.set(m.gid, [...(originals.get(m.gid) ?? []), m]);
  }
  const beside = new Set<string>();
  for (const c of draft.pools[s]) {
    if (c.standInOf !== undefined || c.replaces !== undefined || !wanted.has(c.gid)) continue;
    beside.add(c.gid);
    originals.get(c.gid)?.shift();
  }
  return { originals, beside };
}

/**
 * A stand-in left without an original to pair with. An orphan whose real
 * message is beside it was replaced: it goes; one without (a voided record,
 * its original gone from view) is kept: nothing proves a deletion. One beside a real copy of its original on its own side
 * holds no mail: it goes too, where the mode writes its side (its record, as
 * an orphan's, says so until then). Else it stays where it is, unrecorded,
 * said why (a second stand-in of one original, or no original there).
 */
function standInUnpaired(draft: Draft, s: Side, m: Candidate, how: { secondOf: boolean; beside: boolean }): void {
  const rep = (orphan: MessageRecord): StandInReplacement => ({ record: orphan, orphan, flags: [], originalFlags: [], standInFlags: m.flags });
  if (m.orphan !== undefined && (how.beside || recordedBeside(draft, s, m.orphan))) planStandInExpunge(draft, rep(m.orphan), false);
  else if (m.orphan !== undefined && draft.input.mode === 'mirror' && s === 'b') {
    // B follows A, which does not hold its original: deleted as any message only B has, under the guard and the rollback's hold.
    planExpunge(draft, s, m);
  } else if (m.orphan !== undefined) {
    // Its original not on the other side (left it, or its UIDs voided by a new UIDVALIDITY): no deletion is proven. Kept as it is.
    draft.kept.push(m.orphan);
    draft.standInsLeft.push({ side: s, uid: m.uid, why: orphanKeptWhy(s, m) });
  } else if (how.beside) {
    keepStandInFlags(draft.pools[s], m);
    const orphan = { ...uidsBySide(s, m.uid, 0), gid: m.standInOf!, flags: m.flags, standIn: s, standInGid: m.gid };
    planStandInExpunge(draft, rep(orphan), false, `a stand-in beside a real copy of its original (global id ${m.standInOf}) on ${sideLabel(s)}: it holds no mail`);
  } else draft.standInsLeft.push({ side: s, uid: m.uid, why: standInLeftWhy(s, m, how.secondOf) });
}

/** The stand-in's flags (but \Flagged, a fetch request) go to the real copy beside it, merged when it is matched (Candidate.alsoFlags). */
function keepStandInFlags(pool: Candidate[], standIn: Candidate): void {
  const i = pool.findIndex((c) => c.gid === standIn.standInOf && c.standInOf === undefined && c.replaces === undefined);
  if (i >= 0) pool[i] = { ...pool[i]!, alsoFlags: withoutFlagged(standIn.flags) };
}

/**
 * Does `s` hold, under a record of its own, the real message an orphan
 * stands in for (copied over it: the orphan's usual case)? An orphan without
 * it is a voided record whose original is gone from view: kept.
 */
function recordedBeside(draft: Draft, s: Side, orphan: MessageRecord): boolean {
  return draft.input.records.some((r) => r.gid === orphan.gid && r.standIn === undefined && uidOn(r, s) !== 0 && draft.input[s].has(uidOn(r, s)));
}

/** The real message copied over its stand-in, with the stand-in's flags merged (see replacingCandidate). */
function replacementCopy(draft: Draft, from: Side, m: Candidate, rep: StandInReplacement): CopyAction {
  const to = other(from);
  const wanted = draft.flagLists.intern(normalizeFlags(rep.flags));
  const flags = wanted.filter((flag) => flagAccepted(flag, draft.input.accepts[to]));
  return {
    from, to, uid: m.uid, gid: m.gid, flags, sourceFlags: m.flags, size: m.size ?? 0,
    why: `its stand-in on ${sideLabel(to)} was flagged, or the filter lets it through now: the real message replaces it`,
    standIn: { record: rep.record, orphan: rep.orphan },
    ...(m.byMessageId === true && { byMessageId: true as const }),
  };
}

/**
 * A record without the Message-ID mark gets it when a side's envelope, read
 * now, shows its very gid hashing a Message-ID; one without a size gets the
 * size its gid hashes when an envelope shows its very gid hashing a size
 * (records of older states learn them).
 */
function learnedMark(record: MessageRecord, onA: SnapshotMessage, onB: SnapshotMessage): Pick<MessageRecord, 'byMessageId' | 'size'> | undefined {
  if (record.byMessageId === true) return undefined;
  const shows = (m: SnapshotMessage): boolean => m.gid === record.gid && m.size !== undefined;
  const shown = shows(onA) ? onA : shows(onB) ? onB : undefined;
  if (shown === undefined) return undefined;
  if (shown.sizedGid !== true) return { byMessageId: true };
  return record.size === undefined ? { size: shown.size! } : undefined;
}

/** The record field of the size a gid hashes, when known. */
function sizeMark(gidSize: number | undefined): Pick<MessageRecord, 'size'> {
  return gidSize === undefined ? {} : { size: gidSize };
}

/** Two messages no record paired, matched by global id now: no base, so the mode's merge without history. */
function planMatchedPair(draft: Draft, a: Candidate, b: Candidate): void {
  const replacing = a.replaces ?? b.replaces;
  if (replacing !== undefined) {
    // The real message is there already (a killed run copied it): its stand-in goes, and the pair
    // merges flags against the stand-in's base, so the flags the copy took from the stand-in stay.
    planStandInExpunge(draft, { ...replacing, record: replacing.orphan }, false);
    const record = { uidA: a.uid, uidB: b.uid, gid: a.gid, flags: replacing.record.flags, ...(a.byMessageId || b.byMessageId ? { byMessageId: true as const } : {}) };
    planKnownPair(draft, record, { flags: a.flags }, { flags: b.flags });
    return;
  }
  // Fast path: both already have the same flags (the usual case when re-matching after a lost state).
  // Same gid: when either side's says it hashes a Message-ID, so does the other's.
  const mark = a.byMessageId || b.byMessageId ? { byMessageId: true as const } : sizeMark(a.gidSize ?? b.gidSize);
  if (sameFlags(a.flags, b.flags) && a.alsoFlags === undefined && b.alsoFlags === undefined) {
    draft.kept.push({ uidA: a.uid, uidB: b.uid, gid: a.gid, flags: a.flags, ...mark });
    return;
  }
  // A stand-in deleted beside one of them (alsoFlags): its flags count as that side's.
  const wanted = (c: Candidate): readonly string[] => (c.alsoFlags === undefined ? c.flags : normalizeFlags([...c.flags, ...c.alsoFlags]));
  const merged = mergeFlags(null, wanted(a), wanted(b), draft.input.mode);
  const pair = { a, b };
  // Until its changes are confirmed, the new record's base is one under which the next run plans them again
  // (a base of B's flags: A's differ, B follows; two-way: the flags both share, the merge without history).
  const meanwhile = draft.input.mode === 'two-way' ? a.flags.filter((f) => b.flags.includes(f)) : b.flags;
  for (const side of SIDES) {
    const from = sideLabel(other(side));
    const why = draft.input.mode === 'two-way' ? 'matched by global id: flags of both sides merged' : `matched by global id: flags as on ${from}`;
    const planned = draft.flagChanges.length;
    changeFlags(draft, side, pair[side].uid, pair[side].flags, merged[side], null, () => why);
    if (draft.flagChanges.length > planned) draft.flagChanges[planned]!.baseMeanwhile = meanwhile;
  }
  draft.kept.push({ uidA: a.uid, uidB: b.uid, gid: a.gid, flags: merged.base, ...mark });
}

/**
 * Plans the change that brings a side's flags to the merge's target, keeping
 * only what that side can store: a flag it cannot store is never a
 * difference. Keywords it cannot store are reported unless the base shows
 * they were wanted before (one warning, not one every run). A side the mode
 * does not write gets nothing.
 */
function changeFlags(
  draft: Draft,
  side: Side,
  uid: number,
  current: readonly string[],
  target: readonly string[],
  base: readonly string[] | null,
  why: () => string,
): void {
  if (!mayWrite(draft.input.mode, side)) return;
  const accepts = draft.input.accepts[side];
  const wanted = normalizeFlags(target);
  const baseSet = new Set(base ?? []);
  for (const flag of wanted) if (!flagAccepted(flag, accepts) && !baseSet.has(flag)) draft.dropped[side].add(flag);
  const delta = flagDelta(normalizeFlags(current), wanted);
  const add = delta.add.filter((flag) => flagAccepted(flag, accepts));
  const remove = delta.remove.filter((flag) => flagAccepted(flag, accepts));
  if (add.length > 0 || remove.length > 0) draft.flagChanges.push({ side, uid, add, remove, why: why() });
}

/** Why `side`'s flags change: the other side changed them, or (mirror) this side's own change is undone. */
function whyFlags(side: Side, base: readonly string[], otherNow: readonly string[]): string {
  const changed = flagDelta(base, otherNow);
  if (changed.add.length + changed.remove.length > 0) return `flags changed on ${sideLabel(other(side))}: ${describeFlagDelta(changed)}`;
  return `${sideLabel(side)}'s flags follow ${sideLabel(other(side))}'s`;
}

/**
 * Messages no record accounts for. Only entries with a gid can be such: an
 * entry without one comes from a record (the snapshot's contract), which the
 * counts below confirm.
 */
function collectUnknown(draft: Draft, presence: SidePresence): void {
  const { side, snapshot } = presence;
  const pool = draft.pools[side];
  let withoutGid = 0;
  for (const [uid, message] of snapshot) {
    if (message.gid === undefined) {
      withoutGid++;
      continue;
    }
    if (presence.claimedWithGid(uid)) continue;
    pool.push({
      uid, gid: message.gid, flags: normalizedView(message.flags), ...sizeOf(message, undefined),
      ...(message.standInOf !== undefined && { standInOf: message.standInOf }),
    });
  }
  if (withoutGid !== presence.withoutGid) {
    const known = new Set(draft.input.records.map((r) => uidOn(r, side)));
    const stray = [...snapshot].find(([uid, m]) => m.gid === undefined && !known.has(uid));
    throw new Error(`planFolder: ${sideLabel(side)} UID ${stray?.[0] ?? '?'} is unknown to the state but has no global id`);
  }
}

type Fate = 'copy' | 'expunge' | 'keep';

/**
 * What becomes of a message only `side` has. A two-way sync deletes it only
 * where the state proves the other side had it and that side's copy is gone
 * (expunged there), not when that side went back in time (held) or its UID
 * now holds another message: then, as for anything new, it is copied. The
 * mode restricts that: copy and mirror never write A, so A is the source:
 * what B lacks or lost is copied to B (again), and what only B has is kept
 * (copy) or deleted (mirror: B follows A).
 */
function fateOfUnpaired(mode: SyncMode, side: Side, m: Candidate): Fate {
  const fate = fateOfMail(mode, side, m);
  // A stand-in is never mail: where mail would be copied, it stays (its original's side lacks it).
  return fate === 'copy' && m.standInOf !== undefined ? 'keep' : fate;
}

function fateOfMail(mode: SyncMode, side: Side, m: Candidate): Fate {
  if (mode === 'two-way') return m.partnerGone && m.held === undefined && m.absence?.kind === 'gone' ? 'expunge' : 'copy';
  if (side === 'a') return 'copy';
  return mode === 'mirror' ? 'expunge' : 'keep';
}

/** Carries out fateOfUnpaired in the plan, with every guard of a deletion. */
function planUnpaired(draft: Draft, side: Side, m: Candidate): void {
  if (m.replaces !== undefined) {
    const rep = m.replaces;
    draft.appends.push(replacementCopy(draft, side, m, rep));
    changeFlags(draft, side, m.uid, m.flags, rep.originalFlags, rep.record.flags, () => `flags changed on its stand-in on ${sideLabel(other(side))}`);
    planStandInExpunge(draft, rep, true);
    return;
  }
  const fate = fateOfUnpaired(draft.input.mode, side, m);
  if (fate === 'copy' && draft.input.standInFor?.[side]?.has(m.uid) === true) {
    defer(draft, side, m);
    draft.standIns.push(standInAction(side, m, draft.input.accepts[other(side)]));
  } else if (fate === 'copy' && draft.input.heldBack?.[side]?.has(m.uid) === true) defer(draft, side, m);
  else if (fate === 'copy') draft.appends.push(copyOf(draft, side, m));
  else if (fate === 'expunge') planExpunge(draft, side, m);
  else {
    if (m.record?.standIn === side) draft.standInsLeft.push({ side, uid: m.uid, why: standInKeptWhy(m) });
    draft.kept.push(oneSidedRecord(side, m));
  }
}

/** A copy the message filter holds back: its record waits, deferred, for a run whose filter lets it through. */
function defer(draft: Draft, side: Side, m: Candidate): void {
  draft.kept.push({ ...oneSidedRecord(side, m), status: 'deferred', ...(m.size !== undefined && { size: m.size }) });
  draft.deferred[side].messages++;
  draft.deferred[side].bytes += m.size ?? 0;
}

function copyOf(draft: Draft, from: Side, m: Candidate): CopyAction {
  const to = other(from);
  const accepted = (flag: string): boolean => flagAccepted(flag, draft.input.accepts[to]);
  const wanted = draft.flagLists.intern(normalizeFlags(m.flags));
  const flags = wanted.every(accepted) ? wanted : draft.flagLists.intern(wanted.filter(accepted));
  for (const flag of wanted) if (!accepted(flag)) draft.dropped[to].add(flag);
  return {
    from, to, uid: m.uid, gid: m.gid, flags, sourceFlags: wanted, size: m.size ?? 0, why: whyCopy(from, m.absence, m.held),
    ...(m.size !== undefined && !m.sizedGid && { byMessageId: true as const }),
    ...(m.gidSize !== undefined && { gidSize: m.gidSize }),
  };
}

/** The reasons without a UID in them, each built once: a plan may hold one per message. */
const WHY_COPY = { a: whyCopyTexts('a'), b: whyCopyTexts('b') };
const WHY_EXPUNGE = new Map<string, string>();

function whyCopyTexts(from: Side): { new: string; gone: string; 'never-stored': string; rollback: string } {
  const to = sideLabel(other(from));
  return {
    new: `new on ${sideLabel(from)}`, gone: `${to}'s copy is gone`, 'never-stored': `not on ${to} yet`,
    rollback: `${to} lost it when it went back in time`,
  };
}

function whyCopy(from: Side, absence: Absence | undefined, held: Candidate['held']): string {
  if (held === 'rollback') return WHY_COPY[from].rollback;
  if (absence?.kind === 'uid-reused') return `UID ${absence.uid} on ${sideLabel(other(from))} now holds another message`;
  return WHY_COPY[from][absence?.kind ?? 'new'];
}

function whyExpunge(mode: SyncMode, side: Side, m: Candidate): string {
  const from = sideLabel(other(side));
  const { absence } = m;
  if (absence?.kind === 'uid-reused') return `${mode}: UID ${absence.uid} on ${from} now holds another message`;
  const gone = absence?.kind === 'gone';
  // Two-way: this side changed its flags since the last run, and the other deleted it: the expunge wins.
  if (gone && mode === 'two-way' && m.changedSinceBase !== undefined) {
    return `${mode}: ${from} deleted it; its flag change on ${sideLabel(side)} since the last run (${m.changedSinceBase}) is lost: the expunge wins`;
  }
  const key = `${mode} ${side} ${gone}`;
  let text = WHY_EXPUNGE.get(key);
  if (text === undefined) WHY_EXPUNGE.set(key, (text = gone ? `${mode}: ${from} deleted it` : `${mode}: not on ${from}`));
  return text;
}

/**
 * A message to delete from `side`: deleted unless in doubt (kept, not
 * counted as withheld) or not allowed (kept and counted as withheld). Kept
 * ones stay as one-sided records.
 */
function planExpunge(draft: Draft, side: Side, m: Candidate): void {
  const { input } = draft;
  // Two-way deletes only on the record's proof that the other side had it: while the deletion
  // waits (withheld, in doubt, failed), the record stays whole, so the next run has that proof too.
  const record = input.mode === 'two-way' && m.record !== undefined ? m.record : oneSidedRecord(side, m);
  // The other side holds messages it gave no identity for and no record names (a lost state, --full):
  // this may be the copy of one of them, and no record says which. Or of one it did not list.
  const otherSide = other(side);
  const unidentified = (input.unidentified?.[otherSide] ?? []).some((uid) => !input[otherSide].has(uid));
  const mayBeThere = unidentified || draft.unlisted[otherSide].has(m.gid);
  // What the other side lost in a rollback is not it deleting the message: it waits for --force.
  const mayGo = m.held === undefined || input.expungeHeld === true;
  if (mayWrite(input.mode, side) && input.allowExpunge && !mayBeThere && mayGo) {
    if (identityUnread(input, side, m.uid)) {
      // A restored server may have given this UID to new mail: ask what it holds, expunge nothing yet.
      draft.needIdentity[side].push(m.uid);
      draft.kept.push(record);
      return;
    }
    draft.expunges.push({ side, uid: m.uid, record, flags: m.flags, ...(m.size !== undefined && { size: m.size }), why: whyExpunge(input.mode, side, m) });
    if (input.mode === 'two-way' && m.changedSinceBase !== undefined) draft.expungesOverFlagChanges++;
    return;
  }
  if (mayBeThere) draft.expungesInDoubt++;
  else {
    draft.expungesWithheld++;
    if (m.held !== undefined) draft.expungesHeld++;
    if (m.held === 'unknown') draft.expungesHeldUnknown++;
  }
  draft.kept.push(record);
}

/**
 * Two-way deletes a known UID only once this run read that it still holds the
 * record's message (its gid). Mirror needs no such proof: B keeps nothing A lacks.
 */
function identityUnread(input: FolderPlanInput, side: Side, uid: number): boolean {
  return input.mode === 'two-way' && input[side].get(uid)?.gid === undefined;
}

/** The plan, in a deterministic order. */
function finished(draft: Draft, match: GidMatch): FolderPlan {
  const bySideThenUid = (x: { side: Side; uid: number }, y: { side: Side; uid: number }): number =>
    x.side === y.side ? x.uid - y.uid : x.side === 'a' ? -1 : 1;
  draft.kept.sort((x, y) => x.uidA - y.uidA || x.uidB - y.uidB);
  draft.flagChanges.sort(bySideThenUid);
  draft.expunges.sort(bySideThenUid);
  draft.reusedUids.sort(bySideThenUid);
  draft.appends.sort((x, y) => (x.from === y.from ? x.uid - y.uid : x.from === 'a' ? -1 : 1));
  const keywords = (set: Set<string>): string[] => [...set].filter((flag) => !flag.startsWith('\\')).sort();
  const { expungesHeld, expungesHeldUnknown, expungesInDoubt, expungesOverFlagChanges } = draft;
  const reassignments = uidReassignments(draft);
  const needFlags = originalsUnread(draft);
  return {
    records: draft.kept,
    appends: draft.appends,
    ...(draft.standIns.length > 0 && { standIns: draft.standIns.sort((x, y) => (x.from === y.from ? x.uid - y.uid : x.from === 'a' ? -1 : 1)) }),
    ...(draft.standInsLeft.length > 0 && { standInsLeft: draft.standInsLeft.sort(bySideThenUid) }),
    flagChanges: draft.flagChanges,
    expunges: draft.expunges,
    droppedKeywords: { a: keywords(draft.dropped.a), b: keywords(draft.dropped.b) },
    reusedUids: draft.reusedUids,
    ...(reassignments.length > 0 && { reassignments }),
    expungesWithheld: draft.expungesWithheld,
    ...(draft.deferred.a.messages + draft.deferred.b.messages > 0 && { deferred: draft.deferred }),
    ...(expungesHeld > 0 && { expungesHeld }),
    ...(expungesHeldUnknown > 0 && { expungesHeldUnknown }),
    ...(expungesInDoubt > 0 && { expungesInDoubt }),
    ...(expungesOverFlagChanges > 0 && { expungesOverFlagChanges }),
    ...(match.needDigests.a.length + match.needDigests.b.length > 0 && { needDigests: match.needDigests }),
    ...(draft.needIdentity.a.length + draft.needIdentity.b.length > 0 && { needIdentity: draft.needIdentity }),
    ...(needFlags.a.length + needFlags.b.length > 0 && { needFlags }),
    ...(match.uncompared > 0 && { uncompared: match.uncompared }),
  };
}

/** The originals of stand-ins the plan copies whose flags (envelopes) this run did not read (FolderPlan.needFlags). */
function originalsUnread(draft: Draft): { a: number[]; b: number[] } {
  const out = { a: [] as number[], b: [] as number[] };
  for (const c of draft.appends) {
    if (draft.originals[c.from].has(c.uid) && draft.input[c.from].get(c.uid)?.gid === undefined) out[c.from].push(c.uid);
  }
  return out;
}

/**
 * The messages now at reused UIDs that stay on a side the mode writes and whose
 * store can renumber them: each gets a new UID (one the mode deletes frees its
 * UID anyway). Others keep their UID, as warned.
 */
function uidReassignments(draft: Draft): UidReassignment[] {
  const { input } = draft;
  const expunged = new Set(draft.expunges.map((e) => `${e.side}:${e.uid}`));
  const out: UidReassignment[] = [];
  for (const { side, uid } of draft.reusedUids) {
    const how = input.reassignWith?.[side];
    const gid = input[side].get(uid)?.gid;
    if (how === undefined || gid === undefined || !mayWrite(input.mode, side) || expunged.has(`${side}:${uid}`)) continue;
    const why =
      `${sideLabel(side)} UID ${uid} held another message when last synced (a restore or a rebuilt index reused it): ` +
      `this one gets a new UID, so that no client that cached UID ${uid} shows it in place of the other`;
    out.push({ side, uid, gid, how, why });
  }
  return out;
}

/**
 * The held mark an unpaired message of `side` carries: its record's; else one
 * of a held record of its gid whose UID on that side was voided (each used
 * once); else 'unknown' when the folder's records were lost (holdUnpaired).
 */
function heldMarker(input: FolderPlanInput, side: Side): (m: Candidate) => Candidate {
  const voided = new Map<string, HeldKind[]>();
  for (const h of input.heldWithoutUid ?? []) {
    if (h.side !== side) continue;
    const kinds = voided.get(h.gid);
    if (kinds === undefined) voided.set(h.gid, [h.held]);
    else kinds.push(h.held);
  }
  const unknown = input.holdUnpaired?.includes(side) === true;
  return (m) => {
    if (m.held !== undefined) return m;
    const held = voided.get(m.gid)?.shift() ?? (unknown ? 'unknown' : undefined);
    return held === undefined ? m : { ...m, held };
  };
}

/**
 * A record with a side the server did not list, kept as it is, except that a
 * side whose UID now holds another message (reused, or claimed by another
 * record) is let go: that UID joins the unknown messages, and must not be in
 * two records.
 */
function keptUnread(record: MessageRecord, onA: Presence, onB: Presence, now: Pick<FolderPlanInput, 'a' | 'b'>): MessageRecord {
  const lostA = onA.kind !== 'present' && record.uidA !== 0 && now.a.has(record.uidA);
  const lostB = onB.kind !== 'present' && record.uidB !== 0 && now.b.has(record.uidB);
  if (!lostA && !lostB) return record;
  return { ...record, uidA: lostA ? 0 : record.uidA, uidB: lostB ? 0 : record.uidB };
}

/** A message only `side` holds, from the record that named it there (with what the other side's presence says). */
function unpairedCandidate(input: FolderPlanInput, record: MessageRecord, side: Side, message: SnapshotMessage, otherSide: Absence): Candidate {
  const flags = normalizedView(message.flags);
  const marks = goneSideMarks(record, other(side), input.wentBack);
  return {
    uid: uidOn(record, side), gid: message.gid ?? record.gid, flags, ...sizeOf(message, record),
    absence: otherSide, ...marks, ...(marks.partnerGone && { record, ...flagChangeSinceBase(input, side, record.flags, flags) }),
  };
}

/** What a message's flags did on `side` since the base, when anything (for the report of an expunge that wins over it). */
function flagChangeSinceBase(input: FolderPlanInput, side: Side, base: readonly string[], now: readonly string[]): Pick<Candidate, 'changedSinceBase'> {
  const before = normalizedView(base);
  const seen = seenAgainstBase(input, side, now, before);
  return sameFlags(before, seen) ? {} : { changedSinceBase: describeFlagDelta(flagDelta(before, seen)) };
}

/** Of goneSideMarks, the held mark alone. */
function heldOnly(marks: Pick<Candidate, 'held'>): Pick<Candidate, 'held'> {
  return marks.held === undefined ? {} : { held: marks.held };
}

/**
 * The marks of a candidate whose record lacks `lost`'s side now. Held: the
 * record's own mark, or a new one when that side went back in time in this
 * run and so lost the message. Partner gone: that side had it (a record that
 * never had that side, or whose UIDs there were voided, gets neither).
 */
function goneSideMarks(record: MessageRecord, lost: Side, wentBack: FolderPlanInput['wentBack']): Pick<Candidate, 'held' | 'partnerGone'> {
  const uid = uidOn(record, lost);
  const partnerGone = uid !== 0 ? { partnerGone: true as const } : {};
  if (record.held !== undefined) return { held: record.held, ...partnerGone };
  return uid !== 0 && wentBack?.includes(lost) === true ? { held: 'rollback', ...partnerGone } : partnerGone;
}

/**
 * The record of a message only `side` holds (keeping its held mark). A
 * stand-in's stays one: named alone with its original's gid (as an orphan),
 * so that original, back unrecorded on the other side, pairs with it again
 * (adoptLostStandIns) rather than getting a second stand-in.
 */
function oneSidedRecord(side: Side, m: Candidate): MessageRecord {
  if (m.standInOf !== undefined) {
    return { ...uidsBySide(side, m.uid, 0), gid: m.standInOf, flags: m.flags, standIn: side, standInGid: m.gid, ...(m.held !== undefined && { held: m.held }) };
  }
  const record: MessageRecord = { ...uidsBySide(side, m.uid, 0), gid: m.gid, flags: m.flags };
  if (m.held !== undefined) record.held = m.held;
  if (m.byMessageId) record.byMessageId = true;
  if (m.gidSize !== undefined) record.size = m.gidSize;
  return record;
}

/**
 * What an envelope told of the message: its size, and whether its gid hashes
 * that size or a Message-ID. Without an envelope, the record it comes from
 * (if any) says whether its gid, the candidate's, hashes a Message-ID, or
 * which size it hashes.
 */
function sizeOf(message: SnapshotMessage, record: MessageRecord | undefined): Pick<Candidate, 'size' | 'sizedGid' | 'byMessageId' | 'gidSize'> {
  const read = message.gid !== undefined && message.size !== undefined;
  const byMessageId = read ? message.sizedGid !== true : record?.byMessageId === true;
  const gidSize = read ? (message.sizedGid ? message.size : undefined) : byMessageId ? undefined : record?.size;
  return {
    ...(message.size !== undefined && { size: message.size }),
    ...(message.sizedGid && { sizedGid: true as const }),
    ...(byMessageId && { byMessageId: true as const }),
    ...(gidSize !== undefined && { gidSize }),
  };
}
