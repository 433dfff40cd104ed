// --placeholders on random histories (memory stores, every mode): mail big
// and small added on either side, runs with and without the size filter, the
// state lost, stand-ins and originals flagged, mail deleted on the side it
// was added to, A restored from an older copy of itself or rebuilt (new
// UIDVALIDITY), and (copy histories) a two-way run between copy runs. After
// every run: nothing lost, no stand-in copied as mail (none on the side of its
// own original, nor of mail ever added to its own side while nothing was
// forgotten (no lost state, restore or rebuild), none on A unless a
// two-way run made it, at most one per original and side), and a final run
// twice over does nothing the second time.
// REPLIMAP_PROPERTY_RUNS=n runs n histories per mode.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryServer, type MemoryMessage } from '../../src/store/memory/MemoryServer.js';
import type { SyncMode, SyncOptions } from '../../src/sync/types.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { header, isStandIn, LIMIT } from '../support/placeholderWorld.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { syncSpecs, tempDir } from '../support/sync.js';

afterEach(forgetMemorySpecs);

const RUNS = Number(process.env.REPLIMAP_PROPERTY_RUNS ?? 0);

type Side = 'a' | 'b';
type Step =
  | { t: 'add'; side: Side; n: number }
  | { t: 'sync' | 'loose' | 'lose' | 'twoWay' | 'backup' | 'restore' | 'rebuild' }
  | { t: 'flag'; side: Side; standIn: boolean; k: number }
  | { t: 'delete'; side: Side; k: number };

const sideArb = fc.constantFrom<Side>('a', 'b');
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ t: fc.constant('add' as const), side: sideArb, n: fc.nat({ max: 5 }) }),
  fc.record({ t: fc.constantFrom('sync' as const, 'loose' as const, 'lose' as const) }),
  fc.record({ t: fc.constant('flag' as const), side: sideArb, standIn: fc.boolean(), k: fc.nat({ max: 2 }) }),
  fc.record({ t: fc.constant('delete' as const), side: sideArb, k: fc.nat({ max: 3 }) }),
  fc.record({ t: fc.constantFrom('twoWay' as const, 'backup' as const, 'restore' as const, 'rebuild' as const) }),
);

/** Mail n: big (held back by --max-size) when even; each n is added once, on one side. */
const raw = (n: number): Buffer => conformanceMessage(n, n % 2 === 0 ? 1000 : 3);
/** The mail a message is (a stand-in keeps its original's Subject). */
const mailOf = (m: MemoryMessage): string => header(m, 'Subject')!;

async function checkHistory(mode: SyncMode, steps: readonly Step[]): Promise<void> {
  const servers = { a: new MemoryServer(), b: new MemoryServer({ firstUidValidity: 7000n }) };
  const specs = { a: memorySpec(servers.a, 'a'), b: memorySpec(servers.b, 'b') };
  const statePath = join(tempDir('replimap-placeholders-property-'), 'state');
  const filtered: Partial<SyncOptions> = { mode, connections: 1, messageFilter: { maxSize: LIMIT }, placeholders: true };
  const sync = (options: Partial<SyncOptions>) => syncSpecs(specs.a, specs.b, statePath, options);
  const added = { a: new Map<string, string>(), b: new Map<string, string>() };
  const used = new Set<number>();
  const messages = (side: Side): MemoryMessage[] => servers[side].messages('INBOX');
  /** Every mail ever added to a side (a stand-in of one on that side is a stand-in copied as mail). */
  const origin = { a: new Set<string>(), b: new Set<string>() };
  let backup: { a: ReturnType<MemoryServer['snapshot']>; added: Map<string, string> } | undefined;
  let wroteA = mode === 'two-way';
  let forgot = false;

  const check = (label: string): void => {
    for (const side of ['a', 'b'] as const) {
      const real = messages(side).filter((m) => !isStandIn(m));
      const held = new Set(real.map(mailOf));
      // Nothing lost: every mail added to a side is still there, exactly.
      for (const [mail, body] of added[side]) expect(real.map((m) => digest(m.body)), `${label}: ${mail} on ${side}`).toContain(body);
      const standIns = messages(side).filter(isStandIn).map(mailOf);
      expect(new Set(standIns).size, `${label}: one stand-in per original on ${side}`).toBe(standIns.length);
      for (const mail of standIns) expect(held.has(mail), `${label}: a stand-in of ${mail} beside it on ${side}`).toBe(false);
      // Unless something was forgotten (a lost state, a restore, a rebuild: then two-way rightly gives a side a stand-in of the other's real copy).
      if (!forgot) for (const mail of standIns) expect(origin[side].has(mail), `${label}: a stand-in of ${side}'s own ${mail} on ${side}`).toBe(false);
      if (side === 'a' && !wroteA) expect(standIns, `${label}: ${mode} never writes A`).toEqual([]);
    }
  };

  for (const [i, step] of steps.entries()) {
    const label = `step ${i} ${JSON.stringify(step)}`;
    if (step.t === 'add') {
      if (used.has(step.n)) continue;
      used.add(step.n);
      servers[step.side].append('INBOX', [{ raw: raw(step.n) }]);
      const m = messages(step.side).at(-1)!;
      // Mirror deletes what only B has: that mail is B's to lose.
      if (!(mode === 'mirror' && step.side === 'b')) added[step.side].set(mailOf(m), digest(m.body));
      origin[step.side].add(mailOf(m));
    } else if (step.t === 'delete') {
      // The user deletes mail on the side it was added to (two-way takes the other side's copy along).
      const mine = messages(step.side).filter((m) => !isStandIn(m) && origin[step.side].has(mailOf(m)));
      const m = mine[step.k % Math.max(1, mine.length)];
      if (m === undefined) continue;
      servers[step.side].expunge('INBOX', [m.uid]);
      added[step.side].delete(mailOf(m));
    } else if (step.t === 'backup') {
      backup = { a: servers.a.snapshot(), added: new Map(added.a) };
    } else if (step.t === 'restore') {
      // A goes back in time: what was added to it since is A's to lose.
      if (backup === undefined) continue;
      servers.a.restore(backup.a);
      forgot = true;
      added.a = new Map(backup.added);
    } else if (step.t === 'rebuild') {
      servers.a.resetUidValidity('INBOX');
      forgot = true; // the state's A UIDs are void: a deletion on A before it is no longer proven
    } else if (step.t === 'twoWay') {
      if (mode !== 'copy') continue;
      wroteA = true;
      const run = await sync({ ...filtered, mode: 'two-way' });
      expect(run.failures, label).toEqual([]);
      check(label);
    } else if (step.t === 'lose') {
      for (const suffix of ['', '.journal']) rmSync(statePath + suffix, { force: true });
      forgot = true;
    } else if (step.t === 'flag') {
      const candidates = messages(step.side).filter((m) => (step.standIn ? isStandIn(m) : !isStandIn(m) && m.body.length > LIMIT));
      const m = candidates[step.k % Math.max(1, candidates.length)];
      if (m !== undefined) servers[step.side].setFlags('INBOX', [m.uid], ['\\Flagged'], []);
    } else {
      const run = await sync(step.t === 'sync' ? filtered : { mode, connections: 1 });
      expect(run.failures, label).toEqual([]);
      check(label);
    }
  }
  expect((await sync(filtered)).failures).toEqual([]);
  check('final run');
  const again = await sync(filtered);
  expect(again.failures).toEqual([]);
  expect(again.summary.copied + again.summary.expunged + again.summary.flagsUpdated, 'a settled run does nothing').toBe(0);
}

describe('--placeholders on random histories (memory stores)', () => {
  const numRuns = RUNS || 100;
  for (const mode of ['copy', 'mirror', 'two-way'] as const) {
    it(`${mode}: nothing lost, no stand-in copied as mail, converges`, async () => {
      await fc.assert(fc.asyncProperty(fc.array(stepArb, { maxLength: 14 }), (steps) => checkHistory(mode, steps)), { numRuns });
    }, Math.max(120_000, numRuns * 300));
  }
});
