// Pairs the messages no record accounts for, by global id, as a multiset: n
// copies of a gid on A and m on B make min(n, m) pairs, so exact duplicates
// survive. Pure; part of the planner.
//
// A gid names the message, but not always its body: two versions of a list
// post share Message-ID, Date, From and Subject, and two Message-ID-less twins
// of equal size share everything the gid hashes. When one side holds several
// candidates of a gid, which one is paired with which decides what mirror
// keeps. So within such a group sizes go first: a candidate whose size the
// other side lacks is certainly not there (different sizes, different bytes).
// Candidates of a size found on both sides (or of unknown size) may be the
// same or another version of equal size: their bodies' digests decide, and
// the caller is asked for them. What no digest shows to be on the other side
// is copied, and never deleted unless every candidate's digest was compared.
// A gid with one candidate on each side pairs on the gid alone, as it always
// did: checking it would mean reading every body after a lost state, and a
// server that rewrites messages on APPEND would make every pair differ. Except
// when one of the two was paired by a record whose other side is gone: the
// new candidate on that other side may be a new version replacing the one
// that went (a tool rewriting a message expunges it and appends the new one),
// so sizes and bodies decide as for a larger group. And except when both gids
// hash the size (no Message-ID: drafts, some machine mail): then nothing but
// the bodies can tell two twins of equal size apart, and such mail is rare
// enough that reading it once after a lost state costs little.

import type { MessageRecord } from '../state/types.js';
import type { BodyDigests } from './planTypes.js';
import type { Absence } from './presence.js';
import type { Side } from './side.js';

/** A message present on one side that no kept record accounts for. */
export interface Candidate {
  uid: number;
  gid: string;
  /** Normalised; may be shared with the snapshot, never mutated. */
  flags: readonly string[];
  /** Known when an envelope was read (every message the state did not know). */
  size?: number;
  /** The side it lacks lost it in a rollback (MessageRecord.held): kept if it stays unpaired. */
  held?: MessageRecord['held'];
  /** Its record paired it with a message of the other side that is gone now (see the top). */
  partnerGone?: true;
  /** Read from its envelope: its gid hashes its size (it has no Message-ID). */
  sizedGid?: true;
  /** Its gid certainly hashes a Message-ID (its envelope, or its record, says so): its record keeps that mark. */
  byMessageId?: true;
  /** The size its gid hashes, when it hashes one and that size is known (its envelope's, or its record's): its record keeps it. */
  gidSize?: number;
  /** Why the other side lacks it, when a record named it there (absent: no record did, it is new). */
  absence?: Absence;
  /** With partnerGone: how its flags changed since the record's base ("+\\Seen"), when they did. */
  changedSinceBase?: string;
  /** With partnerGone: the record that paired it (two-way keeps it whole while the deletion waits). */
  record?: MessageRecord;
  /** The original of a stand-in the run replaces by the real message (--placeholders, see planFolder). */
  replaces?: StandInReplacement;
  /**
   * A stand-in (SnapshotMessage.standInOf, or a stand-in record's): its
   * original's gid (a lone one's: its own). Never copied as mail, never
   * matched by gid (matchByGid); one no record names (no absence) pairs with
   * its original only by adoption (planFolder).
   */
  standInOf?: string;
  /**
   * Flags of a stand-in deleted beside this real copy (planFolder standInUnpaired):
   * merged as this side's when it is matched, so what the user set on the stand-in stays.
   */
  alsoFlags?: readonly string[];
  /** A stand-in whose record names it alone with its original's gid (see planStandIns soleStandInCandidate). */
  orphan?: MessageRecord;
}

/** A stand-in to replace by its original (see CopyAction.standIn). */
export interface StandInReplacement {
  /** The record pairing the original with the stand-in. */
  record: MessageRecord;
  /** The record naming the stand-in alone, once the real message is there. */
  orphan: MessageRecord;
  /** Flags for the real message's copy (merged with the stand-in's), before what its side accepts. */
  flags: readonly string[];
  /** Flags for the original (two-way: the stand-in's changes flow to it), as merged. */
  originalFlags: readonly string[];
  /** The stand-in's flags now. */
  standInFlags: readonly string[];
}

export interface GidMatch {
  pairs: { a: Candidate; b: Candidate }[];
  /** A messages B lacks: to copy. */
  onlyA: Candidate[];
  /** B messages A lacks: mirror may delete them. */
  onlyB: Candidate[];
  /** B messages whose bodies could not be compared: kept, never deleted. */
  uncomparedB: Candidate[];
  /** Candidates (both sides) whose digests were wanted but are missing from `digests`. */
  uncompared: number;
  /** Without `digests`: the UIDs whose bodies must be compared before anything is deleted. */
  needDigests: { a: number[]; b: number[] };
}

export function byUid(x: { uid: number }, y: { uid: number }): number {
  return x.uid - y.uid;
}

function groupBy<K>(list: readonly Candidate[], key: (m: Candidate) => K): Map<K, Candidate[]> {
  const out = new Map<K, Candidate[]>();
  for (const m of list) {
    const group = out.get(key(m));
    if (group === undefined) out.set(key(m), [m]);
    else group.push(m);
  }
  return out;
}

/**
 * Match the two pools. `digests` undefined: this is the first pass, and a
 * group sizes cannot settle is reported in `needDigests` and planned as if its
 * digests were unavailable (copy A's, keep B's). With `digests` (even empty),
 * a digest missing from it is unavailable.
 */
export function matchByGid(allA: readonly Candidate[], allB: readonly Candidate[], digests: BodyDigests | undefined): GidMatch {
  const out: GidMatch = { pairs: [], onlyA: [], onlyB: [], uncomparedB: [], uncompared: 0, needDigests: { a: [], b: [] } };
  // A stand-in is never paired by gid: a message of its gid on the other side is mail (without the
  // X-Replimap-Placeholder field) or a stray copy of it, and a pair would make it mail in the state.
  const poolA = allA.filter((m) => m.standInOf === undefined);
  const poolB = allB.filter((m) => m.standInOf === undefined);
  if (poolA.length < allA.length) out.onlyA.push(...allA.filter((m) => m.standInOf !== undefined));
  if (poolB.length < allB.length) out.onlyB.push(...allB.filter((m) => m.standInOf !== undefined));
  const groupsB = groupBy([...poolB].sort(byUid), (m) => m.gid);
  for (const [gid, listA] of groupBy([...poolA].sort(byUid), (m) => m.gid)) {
    const listB = groupsB.get(gid) ?? [];
    groupsB.delete(gid);
    if (nothingToChoose(listA, listB)) {
      pairInOrder(out, listA, listB);
    } else if (listA.every((m) => m.size !== undefined) && listB.every((m) => m.size !== undefined)) {
      const bySizeB = groupBy(listB, (m) => m.size);
      for (const [size, sizedA] of groupBy(listA, (m) => m.size)) {
        const sizedB = bySizeB.get(size) ?? [];
        bySizeB.delete(size);
        // A size found on one side only cannot be the same bytes as anything on the other:
        // sizes decide. A size on both sides may still hide another version: bodies decide.
        if (sizedB.length === 0) pairInOrder(out, sizedA, sizedB);
        else byDigest(out, sizedA, sizedB, digests);
      }
      // Loops, not push(...list): one gid may have more duplicates than a call takes arguments.
      for (const sizedB of bySizeB.values()) for (const m of sizedB) out.onlyB.push(m);
    } else {
      byDigest(out, listA, listB, digests);
    }
  }
  for (const listB of groupsB.values()) for (const m of listB) out.onlyB.push(m);
  return out;
}

/**
 * One side has none, or each has one and nothing puts the pair in doubt (the
 * usual case): no gone partner, and not two Message-ID-less twins (see the top).
 */
function nothingToChoose(listA: readonly Candidate[], listB: readonly Candidate[]): boolean {
  if (listA.length === 0 || listB.length === 0) return true;
  if (listA.length !== 1 || listB.length !== 1) return false;
  const [a, b] = [listA[0]!, listB[0]!];
  // One gid, so one envelope saying it hashes the size says it for both.
  return !a.partnerGone && !b.partnerGone && !a.sizedGid && !b.sizedGid;
}

/** The lowest UIDs of both sides in order; the rest of the longer list is unpaired. */
function pairInOrder(out: GidMatch, listA: readonly Candidate[], listB: readonly Candidate[]): void {
  const n = Math.min(listA.length, listB.length);
  for (let i = 0; i < n; i++) out.pairs.push({ a: listA[i]!, b: listB[i]! });
  for (let i = n; i < listA.length; i++) out.onlyA.push(listA[i]!);
  for (let i = n; i < listB.length; i++) out.onlyB.push(listB[i]!);
}

/**
 * Equal digests pair. An A message whose digest matches nothing on B (or is
 * unknown) is copied. A B message is known to be absent from A only when its
 * digest and every A candidate's were compared; otherwise it is kept.
 */
function byDigest(out: GidMatch, listA: readonly Candidate[], listB: readonly Candidate[], digests: BodyDigests | undefined): void {
  if (digests === undefined) {
    for (const m of listA) out.needDigests.a.push(m.uid);
    for (const m of listB) out.needDigests.b.push(m.uid);
  }
  const unknown = (side: Side, m: Candidate): boolean => {
    const missing = digests?.[side].get(m.uid) === undefined;
    if (missing && digests !== undefined) out.uncompared++;
    return missing;
  };
  const knownB = listB.filter((m) => !unknown('b', m));
  const waiting = groupBy(knownB, (m) => digests!.b.get(m.uid));
  let everyAKnown = true;
  const pairedB = new Set<Candidate>();
  for (const m of listA) {
    if (unknown('a', m)) {
      everyAKnown = false;
      out.onlyA.push(m);
      continue;
    }
    const match = waiting.get(digests!.a.get(m.uid))?.shift();
    if (match === undefined) {
      out.onlyA.push(m);
    } else {
      out.pairs.push({ a: m, b: match });
      pairedB.add(match);
    }
  }
  for (const m of listB) {
    if (pairedB.has(m)) continue;
    if (everyAKnown && digests?.b.get(m.uid) !== undefined) out.onlyB.push(m);
    else out.uncomparedB.push(m);
  }
}
