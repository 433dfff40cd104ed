// Properties of the planner alone, on random records and snapshots (no store,
// no engine: test/unit/engine.property.test.ts drives the real engine). What
// must hold of any plan, whatever the state and the servers say:
// - copy and mirror never act on A, and ask of B only flags B can store;
// - every message of either side is accounted for exactly once: in a record
//   kept, as the source of a copy, or as an expunge;
// - a message a side did not list (unread) gets no action, and its record
//   stays as it was;
// - after a lost state, exactly what B lacks is copied, per global id
//   (exact duplicates survive: min(A, B) pairs);
// - the plan is the same whatever the order of the records.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/state/types.js';
import { flagAccepted } from '../../src/sync/flags.js';
import { planFolder } from '../../src/sync/planFolder.js';
import type { FlagAcceptance, FolderPlan, FolderPlanInput, SideSnapshot, SnapshotMessage } from '../../src/sync/planTypes.js';

const GIDS = ['g0', 'g1', 'g2', 'g3'];
const FLAGS = ['\\Seen', '\\Flagged', '\\Deleted', 'kw', '$Label1'];
const ACCEPTANCES: FlagAcceptance[] = [
  { flags: [], allowsNewKeywords: false },
  { flags: ['\\Seen', '\\Flagged', '\\Deleted'], allowsNewKeywords: false },
  { flags: ['\\Seen', 'kw'], allowsNewKeywords: true },
];
const RUNS = 300;

type Side = 'a' | 'b';

/** A message on a side: its gid, which version of it (its body), its flags. */
interface Message {
  uid: number;
  gid: string;
  version: number;
  flags: string[];
}

const messageArb = (uid: number): fc.Arbitrary<Message> =>
  fc.record({ uid: fc.constant(uid), gid: fc.constantFrom(...GIDS), version: fc.nat({ max: 1 }), flags: fc.subarray(FLAGS) });
const sideArb = fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => messageArb(i + 1))));

/** A folder as the planner may find it: both sides, records naming UIDs that may be gone or hold another message, some unread. */
const folderArb = fc
  .record({
    a: sideArb,
    b: sideArb,
    pairs: fc.array(fc.tuple(fc.nat({ max: 7 }), fc.nat({ max: 7 }), fc.constantFrom(...GIDS), fc.subarray(FLAGS)), { maxLength: 6 }),
    verified: fc.boolean(),
    unread: fc.array(fc.tuple(fc.constantFrom<Side>('a', 'b'), fc.nat({ max: 7 })), { maxLength: 2 }),
    mode: fc.constantFrom<'copy' | 'mirror'>('copy', 'mirror'),
    accepts: fc.constantFrom(...ACCEPTANCES),
    allowExpunge: fc.boolean(),
    withDigests: fc.boolean(),
  })
  .map((f) => {
    // Records as the state keeps them: a UID in one record at most per side, never both 0.
    const used = { a: new Set<number>(), b: new Set<number>() };
    const records: MessageRecord[] = [];
    for (const [uidA, uidB, gid, flags] of f.pairs) {
      if ((uidA === 0 && uidB === 0) || used.a.has(uidA) || used.b.has(uidB)) continue;
      if (uidA !== 0) used.a.add(uidA);
      if (uidB !== 0) used.b.add(uidB);
      records.push({ uidA, uidB, gid, flags });
    }
    const unread = { a: new Set<number>(), b: new Set<number>() };
    for (const [side, uid] of f.unread) if (used[side].has(uid)) unread[side].add(uid);
    return { ...f, records, used, unread };
  });

type Folder = typeof folderArb extends fc.Arbitrary<infer T> ? T : never;

/** A side's snapshot: a UID no record names has its gid and size; a known one only when verified; unread ones carry no gid. */
function snapshotOf(folder: Folder, side: Side): SideSnapshot {
  const out = new Map<number, SnapshotMessage>();
  for (const m of folder[side]) {
    if (folder.unread[side].has(m.uid)) {
      out.set(m.uid, { flags: m.flags, unread: true });
    } else if (!folder.used[side].has(m.uid) || folder.verified) {
      out.set(m.uid, { flags: m.flags, gid: m.gid, size: 10 + m.version });
    } else {
      out.set(m.uid, { flags: m.flags });
    }
  }
  return out;
}

function inputOf(folder: Folder): FolderPlanInput {
  const input: FolderPlanInput = {
    mode: folder.mode, records: folder.records, a: snapshotOf(folder, 'a'), b: snapshotOf(folder, 'b'),
    accepts: { a: ACCEPTANCES[0]!, b: folder.accepts }, allowExpunge: folder.allowExpunge,
  };
  if (!folder.withDigests) return input;
  const digests = (side: Side) => new Map(folder[side].map((m) => [m.uid, `${m.gid}/${m.version}`]));
  return { ...input, digests: { a: digests('a'), b: digests('b') } };
}

/** How often each UID of a side is accounted for by the plan. */
function accounted(plan: FolderPlan, side: Side): Map<number, number> {
  const counts = new Map<number, number>();
  const add = (uid: number): void => void counts.set(uid, (counts.get(uid) ?? 0) + 1);
  for (const r of plan.records) if ((side === 'a' ? r.uidA : r.uidB) !== 0) add(side === 'a' ? r.uidA : r.uidB);
  for (const c of plan.appends) if (c.from === side) add(c.uid);
  for (const e of plan.expunges) if (e.side === side) add(e.uid);
  return counts;
}

describe('planFolder properties (random records and snapshots)', () => {
  it('copy and mirror never act on A, and ask of B only flags B can store', () => {
    fc.assert(
      fc.property(folderArb, (folder) => {
        const plan = planFolder(inputOf(folder));
        for (const c of plan.appends) {
          expect([c.from, c.to]).toEqual(['a', 'b']);
          for (const flag of c.flags) expect(flagAccepted(flag, folder.accepts)).toBe(true);
        }
        for (const change of plan.flagChanges) {
          expect(change.side).toBe('b');
          expect(change.add.length + change.remove.length).toBeGreaterThan(0);
          for (const flag of [...change.add, ...change.remove]) expect(flagAccepted(flag, folder.accepts)).toBe(true);
        }
        for (const e of plan.expunges) expect(e.side).toBe('b');
        if (folder.mode === 'copy' || !folder.allowExpunge) expect(plan.expunges).toEqual([]);
        expect(plan.droppedKeywords.a).toEqual([]);
        for (const action of [...plan.appends, ...plan.flagChanges, ...plan.expunges]) expect(action.why).not.toBe('');
      }),
      { numRuns: RUNS },
    );
  });

  it('every message of either side is accounted for exactly once', () => {
    fc.assert(
      fc.property(folderArb, (folder) => {
        const plan = planFolder(inputOf(folder));
        for (const side of ['a', 'b'] as const) {
          const counts = accounted(plan, side);
          for (const m of folder[side]) expect(counts.get(m.uid), `${side.toUpperCase()} UID ${m.uid}`).toBe(1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a message a side did not list gets no action, and its record stays as it was', () => {
    fc.assert(
      fc.property(folderArb, (folder) => {
        const plan = planFolder(inputOf(folder));
        for (const side of ['a', 'b'] as const) {
          for (const uid of folder.unread[side]) {
            const present = folder[side].some((m) => m.uid === uid);
            if (!present) continue;
            const record = folder.records.find((r) => (side === 'a' ? r.uidA : r.uidB) === uid)!;
            const kept = plan.records.filter((r) => (side === 'a' ? r.uidA : r.uidB) === uid);
            expect(kept).toHaveLength(1);
            expect(kept[0]!.gid).toBe(record.gid);
            expect(kept[0]!.flags).toEqual(record.flags);
            const uidA = kept[0]!.uidA;
            const uidB = kept[0]!.uidB;
            if (uidA !== 0) expect(plan.appends.map((c) => c.uid)).not.toContain(uidA);
            if (uidB !== 0) {
              expect(plan.expunges.map((e) => e.uid)).not.toContain(uidB);
              expect(plan.flagChanges.map((c) => c.uid)).not.toContain(uidB);
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('after a lost state, exactly what B lacks is copied, per global id and version', () => {
    fc.assert(
      fc.property(folderArb, (folder) => {
        const lost = { ...folder, records: [], used: { a: new Set<number>(), b: new Set<number>() }, unread: { a: new Set<number>(), b: new Set<number>() } };
        // With every body compared; without, where sizes and bodies may differ, more is copied (in doubt, duplicate).
        const plan = planFolder({ ...inputOf(lost), digests: inputOf({ ...lost, withDigests: true }).digests! });
        const key = (m: Message): string => `${m.gid}/${m.version}`;
        const count = (list: Message[], k: string): number => list.filter((m) => key(m) === k).length;
        const copied = plan.appends.map((c) => lost.a.find((m) => m.uid === c.uid)!);
        const singleOnBoth = (gid: string): boolean =>
          lost.a.filter((m) => m.gid === gid).length === 1 && lost.b.filter((m) => m.gid === gid).length === 1;
        for (const k of new Set(lost.a.map(key))) {
          // One candidate on each side pairs on its gid alone, whatever its body (a server may rewrite on APPEND).
          if (singleOnBoth(k.split('/')[0]!)) continue;
          expect(count(copied, k), k).toBe(Math.max(0, count(lost.a, k) - count(lost.b, k)));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('the plan does not depend on the order of the records', () => {
    fc.assert(
      fc.property(folderArb, fc.nat(), (folder, seed) => {
        const input = inputOf(folder);
        const shuffled = [...folder.records].sort((x, y) => ((x.uidA * 31 + x.uidB + seed) % 7) - ((y.uidA * 31 + y.uidB + seed) % 7));
        expect(planFolder({ ...input, records: shuffled })).toEqual(planFolder(input));
      }),
      { numRuns: RUNS },
    );
  });
});
