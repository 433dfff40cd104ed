// The planner: from the state's records and both sides' snapshots, decide what
// to do in one folder pair. Pure and deterministic; every rule of sync that
// concerns messages lives here (see planTypes.ts for the data).
//
// Matching is by global id as a multiset: within one folder, n copies of a gid
// on A and m on B make min(n, m) pairs, so exact duplicates survive and are
// never merged; where a gid's candidates differ in body, sizes or digests say
// which is which (see matchByGid.ts). Nothing is ever removed from A, and nothing from B except, in
// mirror mode, a message A does not have (and only when allowExpunge; one A lost when it went back
// in time, a held record, only with expungeHeld as well).

import type { HeldKind, MessageRecord } from '../state/types.js';
import type {
  AppendAction,
  ExpungeAction,
  FlagChange,
  FolderPlan,
  FolderPlanInput,
  SnapshotMessage,
} from './planTypes.js';
import { flagAccepted, flagDelta, mergeFlags, normalizedView, normalizeFlags, sameFlags } from './flags.js';
import { byUid, matchByGid, type Candidate } from './matchByGid.js';
import { holdsAnotherMessage } from './knownIdentity.js';

export function planFolder(input: FolderPlanInput): FolderPlan {
  const { mode, records, a, b, bAccepts, allowExpunge } = input;
  if (mode === 'two-way') throw new Error('two-way mode is not implemented yet');

  const kept: MessageRecord[] = [];
  const flagChanges: FlagChange[] = [];
  const reusedUids: { side: 'a' | 'b'; uid: number }[] = [];
  const dropped = new Set<string>();
  /** Global ids of messages A holds but did not list, with no B copy paired: B's of that id are not deleted. */
  const unlistedOnA = new Set<string>();
  const poolA: Candidate[] = [];
  const poolB: Candidate[] = [];
  const claimsA = new Claims(mayRepeat(records, (r) => r.uidA));
  const claimsB = new Claims(mayRepeat(records, (r) => r.uidB));

  /**
   * The flags B should get changed, keeping only what B can store; a flag B
   * cannot store is never a difference. Keywords B cannot store are reported
   * unless the base shows they were wanted before (so a warning is given once,
   * not on every run).
   */
  const changeB = (uidB: number, current: readonly string[], target: readonly string[], base: readonly string[] | null): void => {
    const wanted = normalizeFlags(target);
    const baseSet = new Set(base ?? []);
    for (const flag of wanted) if (!flagAccepted(flag, bAccepts) && !baseSet.has(flag)) dropped.add(flag);
    const delta = flagDelta(normalizeFlags(current), wanted);
    const add = delta.add.filter((flag) => flagAccepted(flag, bAccepts));
    const remove = delta.remove.filter((flag) => flagAccepted(flag, bAccepts));
    if (add.length > 0 || remove.length > 0) flagChanges.push({ uidB, add, remove });
  };

  /** Is this side of a record still the recorded message? Reports a reused UID. */
  const presence = (
    side: 'a' | 'b',
    uid: number,
    record: MessageRecord,
    snapshot: ReadonlyMap<number, SnapshotMessage>,
    claims: Claims,
  ): SnapshotMessage | undefined => {
    if (uid === 0 || claims.taken(uid)) return undefined;
    const message = snapshot.get(uid);
    if (message === undefined) return undefined;
    if (message.gid !== undefined && holdsAnotherMessage(record, side, { gid: message.gid, sizedGid: message.sizedGid })) {
      // The UID now holds another message: it joins the unknown ones below.
      reusedUids.push({ side, uid });
      return undefined;
    }
    claims.claim(uid, message);
    return message;
  };

  for (const record of records) {
    const msgA = presence('a', record.uidA, record, a, claimsA);
    const msgB = presence('b', record.uidB, record, b, claimsB);
    if (msgA?.unread || msgB?.unread) {
      // A side holds the message but did not say in what state: nothing is decided on a guess.
      // No flag change, no copy, no deletion: the record waits for a run that reads it.
      kept.push(keptUnread(record, msgA, msgB, a, b));
      if (msgA?.unread && msgB === undefined) unlistedOnA.add(record.gid);
      continue;
    }
    if (msgA !== undefined && msgB !== undefined) {
      const base = normalizedView(record.flags);
      const flagsA = normalizedView(msgA.flags);
      // Fast path, the usual case: A has not changed since the last sync, and B either has not
      // (mirror) or may keep its own changes (copy). Nothing to do; the record stays as it is.
      if (sameFlags(flagsA, base) && (mode === 'copy' || sameFlags(normalizedView(msgB.flags), base))) {
        kept.push(record.flags === base ? record : { ...record, flags: base });
        continue;
      }
      const merged = mergeFlags(record.flags, msgA.flags, msgB.flags, mode);
      changeB(record.uidB, msgB.flags, merged.b, record.flags);
      kept.push({ uidA: record.uidA, uidB: record.uidB, gid: record.gid, flags: merged.base });
    } else if (msgA !== undefined) {
      // B's copy is gone: A's message is unpaired again, and copied again unless matched.
      poolA.push({
        uid: record.uidA, gid: msgA.gid ?? record.gid, flags: normalizedView(msgA.flags), ...sizeOf(msgA),
        ...goneSideMarks(record, 'b', input.rolledBack),
      });
    } else if (msgB !== undefined) {
      // A's original is gone (or this is a B-only record): B's message is unpaired.
      poolB.push({
        uid: record.uidB, gid: msgB.gid ?? record.gid, flags: normalizedView(msgB.flags), ...sizeOf(msgB),
        ...goneSideMarks(record, 'a', input.rolledBack),
      });
    }
  }

  // Messages no record accounts for. Only entries with a gid can be such: an entry without
  // one comes from a record (the snapshot's contract), which the counts below confirm.
  const unknown = (side: 'a' | 'b', snapshot: ReadonlyMap<number, SnapshotMessage>, claims: Claims, pool: Candidate[]): void => {
    let withoutGid = 0;
    for (const [uid, message] of snapshot) {
      if (message.gid === undefined) {
        withoutGid++;
        continue;
      }
      if (claims.hasClaimedWithGid(uid)) continue;
      pool.push({ uid, gid: message.gid, flags: normalizedView(message.flags), ...sizeOf(message) });
    }
    if (withoutGid !== claims.withoutGid) {
      const known = new Set(records.map((r) => (side === 'a' ? r.uidA : r.uidB)));
      const stray = [...snapshot].find(([uid, m]) => m.gid === undefined && !known.has(uid));
      throw new Error(
        `planFolder: ${side.toUpperCase()} UID ${stray?.[0] ?? '?'} is unknown to the state but has no global id`,
      );
    }
  };
  unknown('a', a, claimsA, poolA);
  unknown('b', b, claimsB, poolB);

  const match = matchByGid(poolA, poolB, input.digests);
  for (const { a: ma, b: mb } of match.pairs) {
    // Fast path: B already has A's flags (the usual case when re-matching after a lost state).
    if (sameFlags(ma.flags, mb.flags)) {
      kept.push({ uidA: ma.uid, uidB: mb.uid, gid: ma.gid, flags: ma.flags });
      continue;
    }
    const merged = mergeFlags(null, ma.flags, mb.flags, mode);
    changeB(mb.uid, mb.flags, merged.b, null);
    kept.push({ uidA: ma.uid, uidB: mb.uid, gid: ma.gid, flags: merged.base });
  }
  // In doubt, keep: a B message whose body could not be compared stays, known as B-only.
  const heldMark = heldMarkOfUnpairedB(input);
  for (const m of match.uncomparedB) kept.push(bOnlyRecord(heldMark(m)));
  const leftA = match.onlyA;
  const leftB = match.onlyB;

  const appends: AppendAction[] = leftA.sort(byUid).map((m) => {
    const wanted = normalizeFlags(m.flags);
    const flags = wanted.filter((flag) => flagAccepted(flag, bAccepts));
    for (const flag of wanted) if (!flagAccepted(flag, bAccepts)) dropped.add(flag);
    return { uidA: m.uid, gid: m.gid, flags, size: m.size ?? 0 };
  });

  const { expunges, expungesWithheld, expungesHeld, expungesHeldUnknown, expungesInDoubt } = planExpunges(input, leftB, unlistedOnA, kept, heldMark);

  kept.sort((x, y) => x.uidA - y.uidA || x.uidB - y.uidB);
  flagChanges.sort((x, y) => x.uidB - y.uidB);
  reusedUids.sort((x, y) => (x.side === y.side ? x.uid - y.uid : x.side === 'a' ? -1 : 1));
  return {
    records: kept,
    appends,
    flagChanges,
    expunges,
    droppedKeywords: [...dropped].filter((flag) => !flag.startsWith('\\')).sort(),
    reusedUids,
    expungesWithheld,
    ...(expungesHeld > 0 && { expungesHeld }),
    ...(expungesHeldUnknown > 0 && { expungesHeldUnknown }),
    ...(expungesInDoubt > 0 && { expungesInDoubt }),
    ...(match.needDigests.a.length + match.needDigests.b.length > 0 && { needDigests: match.needDigests }),
    ...(match.uncompared > 0 && { uncompared: match.uncompared }),
  };
}

/**
 * What becomes of the B messages no A message pairs with: in mirror mode,
 * deleted, unless in doubt (kept, not counted as withheld) or not allowed
 * (kept and counted as withheld). Kept ones join `kept` as B-only records.
 */
function planExpunges(
  input: FolderPlanInput,
  leftB: Candidate[],
  unlistedOnA: ReadonlySet<string>,
  kept: MessageRecord[],
  heldMark: (m: Candidate) => Candidate,
): { expunges: ExpungeAction[]; expungesWithheld: number; expungesHeld: number; expungesHeldUnknown: number; expungesInDoubt: number } {
  const out = { expunges: [] as ExpungeAction[], expungesWithheld: 0, expungesHeld: 0, expungesHeldUnknown: 0, expungesInDoubt: 0 };
  // A holds messages it gave no identity for and no record names (a lost state, --full): any B message
  // may be the copy of one of them, and no record says which, so none is deleted in this folder.
  const unidentifiedOnA = (input.unidentified?.a ?? []).some((uid) => !input.a.has(uid));
  for (const unpaired of leftB.sort(byUid)) {
    const m = heldMark(unpaired);
    const record = bOnlyRecord(m);
    // In doubt, keep: it may be the copy of a message A did not list (e.g. B renumbered meanwhile).
    const mayBeOnA = unidentifiedOnA || unlistedOnA.has(m.gid);
    // What A lost in a rollback is not A deleting it: it waits for --force (or for A to have it again).
    const mayGo = m.held === undefined || input.expungeHeld === true;
    if (input.mode === 'mirror' && input.allowExpunge && !mayBeOnA && mayGo) {
      out.expunges.push({ uidB: m.uid, record });
      continue;
    }
    if (input.mode === 'mirror' && mayBeOnA) out.expungesInDoubt++;
    else if (input.mode === 'mirror') {
      out.expungesWithheld++;
      if (m.held !== undefined) out.expungesHeld++;
      if (m.held === 'unknown') out.expungesHeldUnknown++;
    }
    kept.push(record);
  }
  return out;
}

/**
 * The held mark an unpaired B message carries: its record's; else one of a
 * held record of its gid whose B UID was voided (each used once); else
 * 'unknown' when the folder's records were lost (holdUnpairedB).
 */
function heldMarkOfUnpairedB(input: FolderPlanInput): (m: Candidate) => Candidate {
  const voided = new Map<string, HeldKind[]>();
  for (const h of input.heldWithoutUid ?? []) {
    if (h.side !== 'b') continue; // only B's messages are ever deleted
    const kinds = voided.get(h.gid);
    if (kinds === undefined) voided.set(h.gid, [h.held]);
    else kinds.push(h.held);
  }
  return (m) => {
    if (m.held !== undefined) return m;
    const held = voided.get(m.gid)?.shift() ?? (input.holdUnpairedB ? 'unknown' : undefined);
    return held === undefined ? m : { ...m, held };
  };
}

/**
 * A record with a side the server did not list, kept as it is, except that a
 * side whose UID now holds another message (reused, or claimed by another
 * record) is let go: that UID joins the unknown messages, and must not be in
 * two records.
 */
function keptUnread(
  record: MessageRecord,
  msgA: SnapshotMessage | undefined,
  msgB: SnapshotMessage | undefined,
  a: ReadonlyMap<number, SnapshotMessage>,
  b: ReadonlyMap<number, SnapshotMessage>,
): MessageRecord {
  const lostA = msgA === undefined && record.uidA !== 0 && a.has(record.uidA);
  const lostB = msgB === undefined && record.uidB !== 0 && b.has(record.uidB);
  if (!lostA && !lostB) return record;
  return { ...record, uidA: lostA ? 0 : record.uidA, uidB: lostB ? 0 : record.uidB };
}

/**
 * Which UIDs of one side the records have claimed. A UID belongs to at most
 * one record; a second claim (only a corrupt state has one) is ignored. When
 * the records' UIDs ascend, as the state keeps them, no UID can repeat and
 * only claims of entries with a gid need remembering (a million-message
 * folder then costs no set of a million UIDs).
 */
class Claims {
  private readonly all: Set<number> | null;
  private readonly gidClaims = new Set<number>();
  /** Claimed entries without a gid. */
  withoutGid = 0;

  constructor(mayRepeat: boolean) {
    this.all = mayRepeat ? new Set() : null;
  }

  taken(uid: number): boolean {
    return this.all !== null && this.all.has(uid);
  }

  claim(uid: number, message: SnapshotMessage): void {
    this.all?.add(uid);
    if (message.gid === undefined) this.withoutGid++;
    else this.gidClaims.add(uid);
  }

  hasClaimedWithGid(uid: number): boolean {
    return this.gidClaims.has(uid);
  }
}

/** False when the non-zero UIDs strictly ascend through the records, so none can repeat. */
function mayRepeat(records: readonly MessageRecord[], uidOf: (r: MessageRecord) => number): boolean {
  let previous = 0;
  for (const record of records) {
    const uid = uidOf(record);
    if (uid === 0) continue;
    if (uid <= previous) return true;
    previous = uid;
  }
  return false;
}

/**
 * The marks of a candidate whose record lacks `lost`'s side now. Held: the
 * record's own mark, or a new one when that side went back in time in this
 * run and so lost the message. Partner gone: that side had it (a record that
 * never had that side, or whose UIDs there were voided, gets neither).
 */
function goneSideMarks(
  record: MessageRecord,
  lost: 'a' | 'b',
  rolledBack: FolderPlanInput['rolledBack'],
): Pick<Candidate, 'held' | 'partnerGone'> {
  const uid = lost === 'a' ? record.uidA : record.uidB;
  const partnerGone = uid !== 0 ? { partnerGone: true as const } : {};
  if (record.held !== undefined) return { held: record.held, ...partnerGone };
  return uid !== 0 && rolledBack?.includes(lost) === true ? { held: 'rollback', ...partnerGone } : partnerGone;
}

/** The record of a B message no A message pairs with (keeping its held mark). */
function bOnlyRecord(m: Candidate): MessageRecord {
  const record: MessageRecord = { uidA: 0, uidB: m.uid, gid: m.gid, flags: m.flags };
  if (m.held !== undefined) record.held = m.held;
  return record;
}

/** What an envelope told of the message: its size, and whether its gid hashes that size. */
function sizeOf(message: SnapshotMessage): Pick<Candidate, 'size' | 'sizedGid'> {
  return {
    ...(message.size !== undefined && { size: message.size }),
    ...(message.sizedGid && { sizedGid: true as const }),
  };
}
