// Review s11-rev3 (second round, the fix commits 82165d6..integ): failing tests as it.fails, each
// naming the bug it proves. Memory stores (test/support/placeholderWorld.ts).

import { afterEach, describe, expect, it } from 'vitest';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { big, isStandIn, newWorld, standIns } from '../support/placeholderWorld.js';

afterEach(forgetMemorySpecs);

// BUG R3-1 (copy mode deletes on B what it otherwise keeps; the guard does not count it): the big
// message leaves A and A's folder gets a new UIDVALIDITY (rebuilt/restored). The stand-in's record
// has its A side voided and reads as an orphan ({uidA: 0, standIn: 'b'}, gid = the original's, not
// standInGid, so not isLoneStandIn); adoptLostStandIns finds no original, standInUnpaired expunges it
// as "a stand-in whose original was copied over it" (false), and replacesStandIn exempts it from the
// deletion guard. Without the rebuild, copy mode keeps that stand-in (standInKeptWhy, the test in
// placeholdersKept.test.ts). A rebuild of A thus silently deletes every such stand-in from B, in copy
// mode, the mode that never deletes on B what A lost.
describe('s11-rev3: copy mode, A rebuilt without the held-back message', () => {
  it.fails('the stand-in on B is kept, as it is without the rebuild', async () => {
    const world = newWorld('copy');
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
    world.a.expunge('INBOX', [big(world.a).uid]);
    world.a.resetUidValidity('INBOX');
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.expunged).toBe(0);
    expect(standIns(world.b)).toHaveLength(1);
  });
});

// BUG R3-2 (a duplicate stand-in): copy mode keeps a stand-in whose original left A as a lone stand-in
// record (gid === standInGid). soleStandInCandidate gives it no `orphan` and absence NEVER_STORED, so
// adoptLostStandIns never considers it again: when the original comes back to A (moved back, restored)
// it is unrecorded there, held back again, and gets a second stand-in on B beside the first.
describe('s11-rev3: copy mode, the original leaves A and comes back', () => {
  it.fails('B keeps one stand-in of it, not two', async () => {
    const world = newWorld('copy');
    expect((await world.sync()).failures).toEqual([]);
    const original = big(world.a);
    world.a.expunge('INBOX', [original.uid]);
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
    world.a.append('INBOX', [{ raw: original.body }]);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
  });
});

// BUG R3-3 (a stale stand-in beside its real message, forever): the same lone stand-in (R3-2) is never
// adopted again, so the "beside a real copy" rule (originalsFor/standInUnpaired), which only looks at
// adoptable stand-ins (no absence, or an orphan), never reaches it: once the original is back on A and
// the filter lets it through, B holds the real message AND the old stand-in, in copy mode for good.
describe('s11-rev3: copy mode, the original leaves A, comes back, and is let through', () => {
  it.fails('B ends with the real message and no stand-in of it', async () => {
    const world = newWorld('copy');
    expect((await world.sync()).failures).toEqual([]);
    const original = big(world.a);
    world.a.expunge('INBOX', [original.uid]);
    expect((await world.sync()).failures).toEqual([]);
    world.a.append('INBOX', [{ raw: original.body }]);
    expect((await world.sync({ messageFilter: undefined })).failures).toEqual([]);
    expect((await world.sync({ messageFilter: undefined })).failures).toEqual([]);
    expect(world.b.messages('INBOX').filter((m) => !isStandIn(m) && m.body.length > 10_000)).toHaveLength(1);
    expect(standIns(world.b)).toHaveLength(0);
  });
});
