// Flags as sets: normalising what servers report, deciding what B can store,
// and the three-way merge against the flags as last synced (the base).
//
// \Deleted is synchronised like any other flag, as mbsync, imapsync and
// dsync do: a migrated mailbox shows the same messages marked for deletion as
// the old one. replimap itself never expunges because of it: its own mirror
// expunges are UID EXPUNGEs of exactly the messages A no longer has.

import type { FlagAcceptance } from './planTypes.js';
import { isRecent } from '../store/names.js';

/** The system flags of RFC 3501/9051 that are message state, in canonical spelling and order. */
export const SYSTEM_FLAGS = ['\\Answered', '\\Deleted', '\\Draft', '\\Flagged', '\\Seen'] as const;

const CANONICAL_SYSTEM = new Map<string, string>(SYSTEM_FLAGS.map((flag) => [flag.toLowerCase(), flag]));
const SYSTEM_ORDER = new Map<string, number>(SYSTEM_FLAGS.map((flag, index) => [flag, index]));

function compareFlags(x: string, y: string): number {
  const ox = SYSTEM_ORDER.get(x);
  const oy = SYSTEM_ORDER.get(y);
  if (ox !== undefined && oy !== undefined) return ox - oy;
  if (ox !== undefined) return -1;
  if (oy !== undefined) return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The flags as a sorted set: \Recent dropped (session state, not message
 * state), system flags in canonical case (servers vary), keywords kept as
 * they are, duplicates removed; system flags first, then keywords in ordinal
 * (code unit) order.
 */
export function normalizeFlags(flags: Iterable<string>): string[] {
  const set = new Set<string>();
  for (const flag of flags) {
    if (flag === '') continue;
    if (isRecent(flag)) continue;
    const lower = flag.toLowerCase();
    set.add(CANONICAL_SYSTEM.get(lower) ?? flag);
  }
  return [...set].sort(compareFlags);
}

function isNormalized(flags: readonly string[]): boolean {
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '') return false;
    if (flag.charCodeAt(0) === 92 /* backslash */) {
      if (isRecent(flag)) return false;
      const lower = flag.toLowerCase();
      const canonical = CANONICAL_SYSTEM.get(lower);
      if (canonical !== undefined && canonical !== flag) return false;
    }
    if (i > 0 && compareFlags(flags[i - 1]!, flag) >= 0) return false;
  }
  return true;
}

/**
 * normalizeFlags without the copy when there is nothing to change: the state
 * and most servers hand over flags already in this form, and a run may look
 * at millions of them. The result may be the input itself: never mutate it.
 */
export function normalizedView(flags: readonly string[]): readonly string[] {
  return isNormalized(flags) ? flags : normalizeFlags(flags);
}

/** Equality of two normalised flag lists. */
export function sameFlags(x: readonly string[], y: readonly string[]): boolean {
  if (x === y) return true;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** True when a side's folder reported nothing usable: an absent or empty PERMANENTFLAGS. */
function acceptsEverything(accepts: FlagAcceptance): boolean {
  return accepts.flags.length === 0 && !accepts.allowsNewKeywords;
}

/**
 * Can a side's folder store this (normalised) flag permanently?
 * - PERMANENTFLAGS absent or empty (a server that does not say, or a folder
 *   opened read-only, as in a dry run: Dovecot then reports an empty list):
 *   RFC 3501 says to assume every flag can be stored, so everything is kept.
 * - Otherwise a flag is kept when it is listed (compared case-insensitively, as
 *   IMAP compares flags), and a keyword (no backslash) also when \* allows new
 *   keywords. A backslash flag outside the list is never kept: \* covers
 *   keywords only, and servers reject unknown system flags.
 */
export function flagAccepted(flag: string, accepts: FlagAcceptance): boolean {
  if (acceptsEverything(accepts)) return true;
  const lower = flag.toLowerCase();
  if (accepts.flags.some((listed) => listed.toLowerCase() === lower)) return true;
  return accepts.allowsNewKeywords && !flag.startsWith('\\');
}

/** Split flags into those a side can store and those it cannot (both normalised). */
export function filterAccepted(
  flags: Iterable<string>,
  accepts: FlagAcceptance,
): { kept: string[]; dropped: string[] } {
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const flag of normalizeFlags(flags)) (flagAccepted(flag, accepts) ? kept : dropped).push(flag);
  return { kept, dropped };
}

/**
 * A side's flags as compared with the base: its flags now, plus the base's
 * flags it cannot store. The base records what the source had (a copy keeps
 * its flags there), so a flag this side cannot store is missing here without
 * this side having removed it: it is never a change of this side. The result
 * may be `now` itself: never mutate it.
 */
export function flagsAgainstBase(now: readonly string[], base: readonly string[], accepts: FlagAcceptance): readonly string[] {
  if (acceptsEverything(accepts)) return now;
  const unstorable = base.filter((flag) => !flagAccepted(flag, accepts));
  return unstorable.length === 0 ? now : normalizeFlags([...now, ...unstorable]);
}

export interface MergedFlags {
  /** Flags A should end up with. */
  a: string[];
  /** Flags B should end up with. */
  b: string[];
  /** The new base: what the state records as last synced. */
  base: string[];
}

function minus(x: ReadonlySet<string>, y: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const v of x) if (!y.has(v)) out.add(v);
  return out;
}

function union(...sets: ReadonlySet<string>[]): Set<string> {
  const out = new Set<string>();
  for (const s of sets) for (const v of s) out.add(v);
  return out;
}

/**
 * Merge one message's flags. `base` is the flags as last synced (null for a
 * pair with no history, e.g. one just matched by global id); `a` and `b` are
 * the flags on each side now. The result holds the flags both sides should
 * end up with (the planner changes whichever differs and its mode may write).
 * Changes are deltas against the base:
 * - copy: A's changes since the base are applied to B, B's own changes are
 *   kept; A is never changed. B = (b ∪ (a−base)) − (base−a); base' = a.
 *   No base: B = a.
 * - mirror: B = a; base' = a.
 * - two-way: add = (a−base) ∪ (b−base); remove = ((base−a) ∪ (base−b)) − add
 *   (an add beats a concurrent remove); both = (base ∪ add) − remove;
 *   base' = both. No base: both = a ∪ b.
 * All results are normalised (sorted, no \Recent).
 */
export function mergeFlags(
  base: readonly string[] | null | undefined,
  a: readonly string[],
  b: readonly string[],
  mode: 'copy' | 'mirror' | 'two-way',
): MergedFlags {
  const A = new Set(normalizeFlags(a));
  const B = new Set(normalizeFlags(b));
  const aList = [...A];
  switch (mode) {
    case 'mirror':
      return { a: aList, b: aList, base: aList };
    case 'copy': {
      if (base == null) return { a: aList, b: aList, base: aList };
      const Base = new Set(normalizeFlags(base));
      const target = minus(union(B, minus(A, Base)), minus(Base, A));
      return { a: aList, b: normalizeFlags(target), base: aList };
    }
    case 'two-way': {
      if (base == null) {
        const both = normalizeFlags(union(A, B));
        return { a: both, b: both, base: both };
      }
      const Base = new Set(normalizeFlags(base));
      const add = union(minus(A, Base), minus(B, Base));
      const remove = minus(union(minus(Base, A), minus(Base, B)), add);
      const both = normalizeFlags(minus(union(Base, add), remove));
      return { a: both, b: both, base: both };
    }
  }
}

/** A flag change as the dry run and -v show it: "+\\Seen -$Junk". */
export function describeFlagDelta(delta: { add: readonly string[]; remove: readonly string[] }): string {
  return [...delta.add.map((flag) => `+${flag}`), ...delta.remove.map((flag) => `-${flag}`)].join(' ');
}

/** What to add to and remove from `current` to reach `target` (both normalised, sorted). */
export function flagDelta(
  current: Iterable<string>,
  target: Iterable<string>,
): { add: string[]; remove: string[] } {
  const cur = new Set(normalizeFlags(current));
  const tgt = new Set(normalizeFlags(target));
  return { add: normalizeFlags(minus(tgt, cur)), remove: normalizeFlags(minus(cur, tgt)) };
}
