// Property tests of the planner against two simulated mail stores (one folder
// each, as data). Between syncs, random histories change both sides: new
// messages (often duplicates of existing gids), deletions, flag changes,
// UIDVALIDITY changes, restores from an old backup (UIDs reused), and a lost
// state. A sync reads each side the way a store driver does (a delta since the
// last mod-sequence, or a full read), builds snapshots with buildSnapshot,
// plans with planFolder, and applies the plan as the executor does.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { flagAccepted, normalizeFlags } from '../../src/sync/flags.js';
import { planFolder } from '../../src/sync/planFolder.js';
import type { FlagAcceptance, FolderPlan } from '../../src/sync/planTypes.js';
import { buildSnapshot, voidSide, type SnapshotRead } from '../../src/sync/snapshot.js';
import type { MessageRecord } from '../../src/state/types.js';

const FLAG_UNIVERSE = ['\\Seen', '\\Flagged', '\\Answered', '\\Deleted', '\\Draft', '$Label1', 'kw'];
const GIDS = ['g0', 'g1', 'g2', 'g3', 'g4', 'g5'];
const ACCEPTANCES: FlagAcceptance[] = [
  { flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'], allowsNewKeywords: true },
  { flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'], allowsNewKeywords: false },
  { flags: ['\\Seen', '\\Flagged', '$Label1'], allowsNewKeywords: false },
  { flags: [], allowsNewKeywords: false },
];

type Side = 'a' | 'b';

interface SimMessage {
  gid: string;
  /** Which version of the gid this is ('' unless a test makes versions); part of its body. */
  body: string;
  flags: string[];
  modseq: number;
}

/** One folder of a simulated server: UIDs strictly increasing, a mod-sequence per change. */
class SimFolder {
  uidValidity = 1;
  uidNext = 1;
  modseq = 1;
  messages = new Map<number, SimMessage>();

  /** accepts null: stores every flag (A); otherwise silently keeps only what it can store (B). */
  constructor(readonly accepts: FlagAcceptance | null) {}

  private storable(flags: readonly string[]): string[] {
    const accepts = this.accepts;
    return normalizeFlags(flags).filter((f) => accepts === null || flagAccepted(f, accepts));
  }

  add(gid: string, flags: readonly string[], body = ''): number {
    const uid = this.uidNext++;
    this.messages.set(uid, { gid, body, flags: this.storable(flags), modseq: ++this.modseq });
    return uid;
  }

  /** A body's digest, as the driver computes it; undefined for a UID not there. */
  digest(uid: number): string | undefined {
    const m = this.messages.get(uid);
    return m === undefined ? undefined : `${m.gid}/${m.body}`;
  }

  setFlags(uid: number, flags: readonly string[]): void {
    const m = this.messages.get(uid);
    if (m === undefined) throw new Error(`no UID ${uid}`);
    m.flags = this.storable(flags);
    m.modseq = ++this.modseq;
  }

  remove(uid: number): void {
    if (!this.messages.delete(uid)) throw new Error(`no UID ${uid}`);
    this.modseq++;
  }

  /** A UIDVALIDITY change: every message gets a new UID. */
  renumber(): void {
    const old = [...this.messages.values()];
    this.uidValidity++;
    this.messages = new Map();
    for (const m of old) this.messages.set(this.uidNext++, { ...m, modseq: ++this.modseq });
  }

  clone(): SimFolder {
    const c = new SimFolder(this.accepts);
    c.uidValidity = this.uidValidity;
    c.uidNext = this.uidNext;
    c.modseq = this.modseq;
    for (const [uid, m] of this.messages) c.messages.set(uid, { ...m, flags: [...m.flags] });
    return c;
  }

  /** What a driver's readFolder returns, with envelopes already turned into gids. */
  read(knownUids: ReadonlySet<number>, since: number | null, verify: boolean): SnapshotRead {
    const full = since === null || verify;
    const present = [...this.messages].sort((x, y) => x[0] - y[0]);
    return {
      kind: full ? 'full' : 'delta',
      messages: present
        .filter(([, m]) => full || m.modseq > since)
        .map(([uid, m]) => ({ uid, flags: [...m.flags, ...(uid % 3 === 0 ? ['\\Recent'] : [])] })),
      vanished: [...knownUids].filter((uid) => !this.messages.has(uid)),
      envelopes: present
        .filter(([uid]) => full || !knownUids.has(uid))
        .map(([uid, m]) => ({ uid, flags: [...m.flags], size: 100 + m.gid.length + m.body.length, gid: m.gid })),
    };
  }
}

interface SideStatus {
  uidValidity: number;
  uidNext: number;
  modseq: number;
}

interface World {
  a: SimFolder;
  b: SimFolder;
  records: MessageRecord[];
  status: { a?: SideStatus; b?: SideStatus };
  /** A side restored from a backup: the next read must verify every identity. */
  needsVerify: { a: boolean; b: boolean };
  backups: { a: SimFolder[]; b: SimFolder[] };
}

function newWorld(bAccepts: FlagAcceptance): World {
  const a = new SimFolder(null);
  const b = new SimFolder(bAccepts);
  return { a, b, records: [], status: {}, needsVerify: { a: false, b: false }, backups: { a: [a.clone()], b: [b.clone()] } };
}

interface SyncOptions {
  mode: 'copy' | 'mirror';
  full: boolean;
  allowExpunge: boolean;
  /** The full listing of this side leaves out one known message (picked by `pick`; the sync sets `uid`). */
  leaveOut?: LeaveOut;
}

interface LeaveOut {
  side: Side;
  pick: number;
  uid?: number;
}

/** The read as a driver returns it when the server left `uid` out of the listing but holds it. */
function withoutRow(read: SnapshotRead, uid: number): SnapshotRead {
  return {
    ...read,
    messages: read.messages.filter((m) => m.uid !== uid),
    envelopes: read.envelopes.filter((e) => e.uid !== uid),
    unread: [uid],
  };
}

/** One sync of the folder pair, as the engine and executor do it. Returns the plan. */
function simulateSync(world: World, options: SyncOptions): FolderPlan {
  let records = world.records;
  const reads = {} as Record<Side, SnapshotRead>;
  const statusBefore = {} as Record<Side, SideStatus>;
  for (const side of ['a', 'b'] as const) {
    const folder = world[side];
    let stored = world.status[side];
    if (stored !== undefined && stored.uidValidity !== folder.uidValidity) {
      records = voidSide(records, side);
      stored = undefined;
    }
    const wentBack = stored !== undefined && (folder.uidNext < stored.uidNext || folder.modseq < stored.modseq);
    const leaveOut = options.leaveOut?.side === side ? options.leaveOut : undefined;
    const verify = options.full || world.needsVerify[side] || wentBack || leaveOut !== undefined;
    const known = new Set(records.map((r) => (side === 'a' ? r.uidA : r.uidB)).filter((uid) => uid !== 0));
    reads[side] = folder.read(known, stored?.modseq ?? null, verify);
    const listed = [...known].filter((uid) => folder.messages.has(uid)).sort((x, y) => x - y);
    if (leaveOut && listed.length > 0) {
      leaveOut.uid = listed[leaveOut.pick % listed.length]!;
      reads[side] = withoutRow(reads[side], leaveOut.uid);
    }
    // Status as read before our own writes, so the next delta includes them.
    statusBefore[side] = { uidValidity: folder.uidValidity, uidNext: folder.uidNext, modseq: folder.modseq };
  }
  const snapshotA = buildSnapshot(records, 'a', reads.a);
  const snapshotB = buildSnapshot(records, 'b', reads.b);
  const input = {
    mode: options.mode,
    records,
    a: snapshotA,
    b: snapshotB,
    accepts: { a: { flags: [], allowsNewKeywords: false }, b: world.b.accepts! },
    allowExpunge: options.allowExpunge,
  };
  let plan = planFolder(input);
  // As the folder driver does: bodies compared where sizes cannot tell, then planned again. The
  // plan returned keeps the first plan's needDigests, so a caller sees that bodies were read.
  const asked = plan.needDigests;
  if (asked !== undefined) {
    const digestsOf = (side: Side, uids: number[]) => new Map(uids.map((uid) => [uid, world[side].digest(uid)!]));
    plan = planFolder({ ...input, digests: { a: digestsOf('a', asked.a), b: digestsOf('b', asked.b) } });
    expect(plan.needDigests).toBeUndefined();
    expect(plan.uncompared).toBeUndefined();
    plan.needDigests = asked;
  }

  // The executor: flag changes, expunges, then appends (their new UIDs go into records).
  for (const change of plan.flagChanges) {
    const current = world.b.messages.get(change.uid)!.flags;
    const next = current.filter((f) => !change.remove.includes(f)).concat(change.add);
    world.b.setFlags(change.uid, next);
  }
  for (const expunge of plan.expunges) world.b.remove(expunge.uid);
  const appended: MessageRecord[] = plan.appends.map((append) => ({
    uidA: append.uid,
    uidB: world.b.add(append.gid, append.flags, world.a.messages.get(append.uid)!.body),
    gid: append.gid,
    flags: normalizeFlags(snapshotA.get(append.uid)!.flags),
  }));

  world.records = [...plan.records, ...appended];
  // A message left out is a failure: the folder's statuses are not recorded, it is read again from the old base.
  if (options.leaveOut?.uid !== undefined) return plan;
  world.status = { a: statusBefore.a, b: statusBefore.b };
  world.needsVerify = { a: false, b: false };
  return plan;
}

type Event =
  | { t: 'add'; side: Side; gid: string; flags: string[] }
  | { t: 'remove'; side: Side; pick: number }
  | { t: 'flags'; side: Side; pick: number; flags: string[] }
  | { t: 'uidvalidity'; side: Side }
  | { t: 'restore'; side: Side; pick: number }
  | { t: 'loseState' }
  | { t: 'sync'; full: boolean; allowExpunge: boolean }
  | { t: 'lossy'; side: Side; pick: number };

const sideArb = fc.constantFrom<Side>('a', 'b');
const flagsArb = fc.subarray(FLAG_UNIVERSE);
const eventArb: fc.Arbitrary<Event> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('add' as const), side: sideArb, gid: fc.constantFrom(...GIDS), flags: flagsArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('remove' as const), side: sideArb, pick: fc.nat() }) },
  { weight: 5, arbitrary: fc.record({ t: fc.constant('flags' as const), side: sideArb, pick: fc.nat(), flags: flagsArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('uidvalidity' as const), side: sideArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('restore' as const), side: sideArb, pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'loseState' as const }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('lossy' as const), side: sideArb, pick: fc.nat() }) },
  {
    weight: 3,
    arbitrary: fc.record({
      t: fc.constant('sync' as const),
      full: fc.boolean(),
      allowExpunge: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    }),
  },
);

function pickUid(folder: SimFolder, pick: number): number | undefined {
  const uids = [...folder.messages.keys()];
  return uids.length === 0 ? undefined : uids[pick % uids.length];
}

function applyEvent(world: World, event: Exclude<Event, { t: 'sync' | 'lossy' }>): void {
  switch (event.t) {
    case 'add':
      world[event.side].add(event.gid, event.flags);
      return;
    case 'remove': {
      const uid = pickUid(world[event.side], event.pick);
      if (uid !== undefined) world[event.side].remove(uid);
      return;
    }
    case 'flags': {
      const uid = pickUid(world[event.side], event.pick);
      if (uid !== undefined) world[event.side].setFlags(uid, event.flags);
      return;
    }
    case 'uidvalidity':
      world[event.side].renumber();
      return;
    case 'restore': {
      // Back to the folder as it was after one of the few syncs before the last one (or empty),
      // same UIDVALIDITY: the UIDs of messages added since are reused by the next new messages.
      const backups = world.backups[event.side];
      const older = Math.max(1, backups.length - 1);
      const restored = backups[older - 1 - (event.pick % Math.min(3, older))]!.clone();
      restored.uidValidity = world[event.side].uidValidity;
      world[event.side] = restored;
      world.needsVerify[event.side] = true;
      return;
    }
    case 'loseState':
      world.records = [];
      world.status = {};
      return;
  }
}

function gidCounts(folder: SimFolder): Map<string, number> {
  const counts = new Map<string, number>();
  for (const m of folder.messages.values()) counts.set(m.gid, (counts.get(m.gid) ?? 0) + 1);
  return counts;
}

function dump(folder: SimFolder): string {
  return JSON.stringify([...folder.messages].sort((x, y) => x[0] - y[0]));
}

/** gid and flags of every message, as B could hold them, as a sorted multiset. */
function comparable(folder: SimFolder, accepts: FlagAcceptance): string[] {
  return [...folder.messages.values()]
    .map((m) => `${m.gid} ${normalizeFlags(m.flags).filter((f) => flagAccepted(f, accepts)).join(',')}`)
    .sort();
}

function isEmptyPlan(plan: FolderPlan): boolean {
  return (
    plan.appends.length === 0 && plan.flagChanges.length === 0 && plan.expunges.length === 0 &&
    plan.reusedUids.length === 0 && plan.needDigests === undefined
  );
}

/** Run a sync and check everything that must hold after it; then check a second sync does nothing. */
function syncAndCheck(world: World, mode: 'copy' | 'mirror', full: boolean, allowExpunge: boolean): void {
  const aBefore = dump(world.a);
  const countsA = gidCounts(world.a);
  const countsBBefore = gidCounts(world.b);
  const bBefore = new Map([...world.b.messages].map(([uid, m]) => [uid, m.gid]));
  const bFlagsBefore = new Map([...world.b.messages].map(([uid, m]) => [uid, m.flags]));
  const pairsBefore = new Set(world.records.filter((r) => r.uidA !== 0 && r.uidB !== 0).map((r) => `${r.uidA}:${r.uidB}`));
  const aAtLastSync = world.backups.a[world.backups.a.length - 1]!;
  const uidsStillValid =
    world.status.a?.uidValidity === world.a.uidValidity && world.status.b?.uidValidity === world.b.uidValidity;
  // B UIDs whose flags the next read may take from the state rather than from B (unchanged since
  // the last sync): in copy mode B may hold its own flags there, which the state does not record.
  const bFlagsMayBeStale = new Set(
    world.status.b?.uidValidity === world.b.uidValidity && !world.needsVerify.b && !full
      ? world.records.filter((r) => r.uidB !== 0).map((r) => r.uidB)
      : [],
  );
  const accepts = world.b.accepts!;

  const plan = simulateSync(world, { mode, full, allowExpunge });
  world.backups.a.push(world.a.clone());
  world.backups.b.push(world.b.clone());

  // A is never changed.
  expect(dump(world.a)).toBe(aBefore);
  // Nothing is asked of B that B cannot store.
  for (const change of plan.flagChanges) {
    expect(change.add.length + change.remove.length).toBeGreaterThan(0);
    for (const f of [...change.add, ...change.remove]) {
      expect(flagAccepted(f, accepts)).toBe(true);
    }
  }
  for (const append of plan.appends) for (const f of append.flags) {
    expect(flagAccepted(f, accepts)).toBe(true);
  }

  // Every A message is on B, as a multiset of gids; no duplicate is created.
  const countsB = gidCounts(world.b);
  const expunging = mode === 'mirror' && allowExpunge;
  for (const gid of new Set([...countsA.keys(), ...countsB.keys(), ...countsBBefore.keys()])) {
    const a = countsA.get(gid) ?? 0;
    const before = countsBBefore.get(gid) ?? 0;
    expect(countsB.get(gid) ?? 0).toBe(expunging ? a : Math.max(a, before));
  }
  if (expunging) {
    // Mirror: B equals A, gids and flags (modulo what B cannot store).
    expect(comparable(world.b, accepts)).toEqual(comparable(world.a, accepts));
  } else {
    // No B message is ever removed.
    for (const [uid, gid] of bBefore) expect(world.b.messages.get(uid)?.gid).toBe(gid);
  }
  if (mode === 'mirror' && !allowExpunge) {
    let surplus = 0;
    for (const [gid, before] of countsBBefore) surplus += Math.max(0, before - (countsA.get(gid) ?? 0));
    expect(plan.expungesWithheld).toBe(surplus);
  }

  expectStateTrue(world);

  // Flags of every pair (modulo what B cannot store). Mirror, and a pair new in
  // this sync: B has A's flags. Copy, a pair that already was one: A's changes since the last
  // sync are applied to B's flags as they were, and B's own changes are kept. Not checked: copy
  // mode re-pairing a B message the state knew but whose flags B did not report as changed (the
  // state records A's flags as the base, so B's own flags there are unknown and may stay).
  const view = (flags: readonly string[]): string[] => normalizeFlags(flags).filter((f) => flagAccepted(f, accepts));
  for (const r of world.records) {
    if (r.uidA === 0 || r.uidB === 0) continue;
    const aNow = world.a.messages.get(r.uidA)!.flags;
    let expected: readonly string[] = aNow;
    const samePair =
      uidsStillValid &&
      pairsBefore.has(`${r.uidA}:${r.uidB}`) &&
      bBefore.get(r.uidB) === r.gid &&
      aAtLastSync.messages.get(r.uidA)?.gid === r.gid;
    if (mode === 'copy' && samePair) {
      const aLast = aAtLastSync.messages.get(r.uidA)!.flags;
      const added = aNow.filter((f) => !aLast.includes(f));
      const removed = aLast.filter((f) => !aNow.includes(f));
      expected = [...bFlagsBefore.get(r.uidB)!, ...added].filter((f) => !removed.includes(f));
    } else if (mode === 'copy' && bFlagsMayBeStale.has(r.uidB)) {
      continue;
    }
    expect(view(world.b.messages.get(r.uidB)!.flags)).toEqual(view(expected));
  }

  // A second sync with no change in between does nothing.
  const recordsBefore = JSON.stringify(sortRecords(world.records));
  const bAfter = dump(world.b);
  const again = simulateSync(world, { mode, full: false, allowExpunge });
  expect(isEmptyPlan(again)).toBe(true);
  expect(again.droppedKeywords).toEqual({ a: [], b: [] });
  expect(dump(world.b)).toBe(bAfter);
  expect(JSON.stringify(sortRecords(world.records))).toBe(recordsBefore);
}

/** The state tells the truth: every record's UIDs exist and hold its gid, each UID once; every message has a record. */
function expectStateTrue(world: World): void {
  const seenA = new Set<number>();
  const seenB = new Set<number>();
  for (const r of world.records) {
    expect(r.uidA !== 0 || r.uidB !== 0).toBe(true);
    if (r.uidA !== 0) {
      expect(world.a.messages.get(r.uidA)?.gid).toBe(r.gid);
      expect(seenA.has(r.uidA)).toBe(false);
      seenA.add(r.uidA);
    }
    if (r.uidB !== 0) {
      expect(world.b.messages.get(r.uidB)?.gid).toBe(r.gid);
      expect(seenB.has(r.uidB)).toBe(false);
      seenB.add(r.uidB);
    }
  }
  expect(seenA.size).toBe(world.a.messages.size);
  expect(seenB.size).toBe(world.b.messages.size);
}

/**
 * A sync whose full listing of one side leaves out a known message: no copy, no
 * deletion, no flag change for it, and no B copy of what A holds is deleted.
 * The next sync reads it and settles everything as usual.
 */
function lossySyncAndCheck(world: World, mode: 'copy' | 'mirror', side: Side, pick: number): void {
  const aBefore = dump(world.a);
  const countsA = gidCounts(world.a);
  const countsBBefore = gidCounts(world.b);
  const bBefore = new Map([...world.b.messages].map(([uid, m]) => [uid, m.gid]));
  const leaveOut: LeaveOut = { side, pick };
  // A restored A withholds every deletion (the engine's withholdAll): a UID it left out may hold another message.
  const plan = simulateSync(world, { mode, full: false, allowExpunge: !world.needsVerify.a, leaveOut });
  if (leaveOut.uid !== undefined) expectLeftAlone(plan, side, leaveOut.uid);
  const countsB = gidCounts(world.b);
  for (const [gid, before] of countsBBefore) {
    expect(countsB.get(gid) ?? 0).toBeGreaterThanOrEqual(Math.min(before, countsA.get(gid) ?? 0));
  }

  simulateSync(world, { mode, full: false, allowExpunge: true });
  world.backups.a.push(world.a.clone());
  world.backups.b.push(world.b.clone());
  expect(dump(world.a)).toBe(aBefore);
  const accepts = world.b.accepts!;
  if (mode === 'mirror') {
    expect(comparable(world.b, accepts)).toEqual(comparable(world.a, accepts));
  } else {
    for (const [gid, count] of countsA) expect(gidCounts(world.b).get(gid) ?? 0).toBeGreaterThanOrEqual(count);
    for (const [uid, gid] of bBefore) expect(world.b.messages.get(uid)?.gid).toBe(gid);
  }
  expectStateTrue(world);
}

/** The plan decides nothing about the message left out, nor about its record's other side. */
function expectLeftAlone(plan: FolderPlan, side: Side, uid: number): void {
  const records = plan.records.filter((r) => (side === 'a' ? r.uidA : r.uidB) === uid);
  expect(records).toHaveLength(1);
  const uidA = side === 'a' ? uid : records[0]!.uidA;
  const uidB = side === 'b' ? uid : records[0]!.uidB;
  if (uidA !== 0) expect(plan.appends.map((x) => x.uid)).not.toContain(uidA);
  if (uidB !== 0) {
    expect(plan.expunges.map((e) => e.uid)).not.toContain(uidB);
    expect(plan.flagChanges.map((c) => c.uid)).not.toContain(uidB);
  }
}

function sortRecords(records: MessageRecord[]): MessageRecord[] {
  return [...records].sort((x, y) => x.uidA - y.uidA || x.uidB - y.uidB);
}

function runHistory(mode: 'copy' | 'mirror', bAccepts: FlagAcceptance, events: Event[]): void {
  const world = newWorld(bAccepts);
  for (const event of events) {
    if (event.t === 'sync') syncAndCheck(world, mode, event.full, event.allowExpunge);
    else if (event.t === 'lossy') lossySyncAndCheck(world, mode, event.side, event.pick);
    else applyEvent(world, event);
  }
  syncAndCheck(world, mode, false, true);
}

const historyArb = fc.tuple(fc.constantFrom(...ACCEPTANCES), fc.array(eventArb, { minLength: 10, maxLength: 60 }));

/** Sync, add on one side, sync, restore that side to before the second sync, add again: UIDs reused. */
const reuseArb = fc
  .tuple(
    fc.array(eventArb.filter((e) => e.t === 'add'), { maxLength: 8 }),
    sideArb,
    fc.array(fc.tuple(fc.constantFrom(...GIDS), flagsArb), { minLength: 1, maxLength: 6 }),
    fc.array(fc.tuple(fc.constantFrom(...GIDS), flagsArb), { minLength: 1, maxLength: 6 }),
    fc.array(eventArb, { maxLength: 10 }),
  )
  .map(([initial, side, first, second, rest]): Event[] => [
    ...initial,
    { t: 'sync', full: false, allowExpunge: true },
    ...first.map(([gid, flags]): Event => ({ t: 'add', side, gid, flags })),
    { t: 'sync', full: false, allowExpunge: true },
    { t: 'restore', side, pick: 0 },
    ...second.map(([gid, flags]): Event => ({ t: 'add', side, gid, flags })),
    ...rest,
  ]);

describe('planFolder properties (simulated stores)', () => {
  for (const mode of ['copy', 'mirror'] as const) {
    it(`${mode}: after every sync B has every A message, nothing is lost or duplicated, a repeat sync does nothing`, () => {
      fc.assert(
        fc.property(historyArb, ([accepts, events]) => runHistory(mode, accepts, events)),
        { numRuns: 200 },
      );
    });
  }

  it('UIDs reused after a restore from backup are detected (copy and mirror)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<'copy' | 'mirror'>('copy', 'mirror'),
        fc.constantFrom(...ACCEPTANCES),
        reuseArb,
        (mode, accepts, events) => runHistory(mode, accepts, events),
      ),
      { numRuns: 200 },
    );
  });

  it('switching from copy to mirror with a full read makes B equal to A', () => {
    fc.assert(
      fc.property(historyArb, ([accepts, events]) => {
        const world = newWorld(accepts);
        for (const event of events) {
          if (event.t === 'sync') syncAndCheck(world, 'copy', event.full, event.allowExpunge);
          else if (event.t === 'lossy') lossySyncAndCheck(world, 'copy', event.side, event.pick);
          else applyEvent(world, event);
        }
        // B's own flags from copy mode are unknown to the state: the first mirror run reads B in full.
        syncAndCheck(world, 'mirror', true, true);
      }),
      { numRuns: 100 },
    );
  });

  it('versions of a gid (different bodies, equal or not in size): after a lost state B keeps exactly A’s', () => {
    const versionArb = fc.tuple(fc.constantFrom('g0', 'g1'), fc.constantFrom('', 'aa', 'bb', 'ccc'), flagsArb);
    const bodies = (folder: SimFolder, withFlags: boolean): string[] =>
      [...folder.messages.values()].map((m) => `${m.gid}/${m.body}${withFlags ? ` ${normalizeFlags(m.flags).join(',')}` : ''}`).sort();
    fc.assert(
      fc.property(
        fc.constantFrom<'copy' | 'mirror'>('copy', 'mirror'),
        fc.array(versionArb, { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.array(versionArb, { maxLength: 4 }),
        (mode, initial, removals, added) => {
          // One candidate on each side is paired on its gid alone, by design (a server may rewrite
          // what it stores): versions are told apart where some side holds several of a gid.
          fc.pre(['g0', 'g1'].every((gid) => initial.filter(([g]) => g === gid).length !== 1));
          const accepts = ACCEPTANCES[0]!;
          const world = newWorld(accepts);
          for (const [gid, body, flags] of initial) world.a.add(gid, flags, body);
          simulateSync(world, { mode, full: false, allowExpunge: true });
          // A changes (versions expunged, new ones added), and the state is lost.
          for (const pick of removals) {
            const uid = pickUid(world.a, pick);
            if (uid !== undefined) world.a.remove(uid);
          }
          for (const [gid, body, flags] of added) world.a.add(gid, flags, body);
          applyEvent(world, { t: 'loseState' });
          const bBefore = bodies(world.b, false);
          simulateSync(world, { mode, full: false, allowExpunge: true });
          if (mode === 'mirror') {
            expect(bodies(world.b, true)).toEqual(bodies(world.a, true));
          } else {
            // Copy: every A version is on B, and none of B's was removed.
            const onB = bodies(world.b, false);
            for (const version of new Set(bodies(world.a, false))) {
              const count = (list: string[]) => list.filter((v) => v === version).length;
              expect(count(onB)).toBeGreaterThanOrEqual(count(bodies(world.a, false)));
            }
            for (const version of new Set(bBefore)) expect(onB).toContain(version);
          }
          expect(isEmptyPlan(simulateSync(world, { mode, full: false, allowExpunge: true }))).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a lost state against a pre-populated B appends only what B lacks', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ACCEPTANCES),
        fc.array(fc.tuple(fc.constantFrom(...GIDS), flagsArb), { maxLength: 20 }),
        fc.array(fc.tuple(fc.constantFrom(...GIDS), flagsArb), { maxLength: 20 }),
        fc.constantFrom<'copy' | 'mirror'>('copy', 'mirror'),
        (accepts, onA, onB, mode) => {
          const world = newWorld(accepts);
          for (const [gid, flags] of onA) world.a.add(gid, flags);
          for (const [gid, flags] of onB) world.b.add(gid, flags);
          const countsA = gidCounts(world.a);
          const countsB = gidCounts(world.b);
          const plan = simulateSync(world, { mode, full: false, allowExpunge: true });
          const appendsByGid = new Map<string, number>();
          for (const append of plan.appends) appendsByGid.set(append.gid, (appendsByGid.get(append.gid) ?? 0) + 1);
          for (const gid of GIDS) {
            expect(appendsByGid.get(gid) ?? 0).toBe(Math.max(0, (countsA.get(gid) ?? 0) - (countsB.get(gid) ?? 0)));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
