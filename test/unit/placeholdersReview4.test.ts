// Review s11-rev4 (e35d3b5, 461d07d, 872c25c): each BUG comment names a bug a test proved (it.fails
// then); all are fixed. Memory stores (test/support/placeholderWorld.ts).

import { afterEach, describe, expect, it } from 'vitest';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { newWorld, restoredPastABigOne, standIns } from '../support/placeholderWorld.js';
import { conformanceMessage } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

// BUG R4-1 (a withheld deletion done on the next run, no --force): mirror, A goes back in time
// (restored) and loses a held-back original. Run 1: the stand-in on B is unpaired (standInCandidate,
// held 'rollback'), fate 'expunge', planExpunge withholds it (mayGo false) and keeps it under
// oneSidedRecord, which since 872c25c writes the orphan form {uidA 0, gid original's, standIn 'b'}.
// Run 2: that record is read as an orphan (soleStandInCandidate), adoptLostStandIns finds no
// original, and standInUnpaired's new mirror branch expunges it through planStandInExpunge, which
// checks neither held/--force, nor allowExpunge, nor unidentified/unlisted; replacesStandIn exempts it
// from the guard's count. A rollback hold thus lasts exactly one run. (Also so at 461d07d: the old
// lone form carried no held mark either and went through planExpunge unheld; 872c25c keeps it.)
describe('s11-rev4: mirror, A restored without a held-back original', () => {
  it('the stand-in on B stays withheld on the next run without --force', async () => {
    const world = newWorld('mirror');
    await restoredPastABigOne(world);
    const first = await world.sync();
    expect(first.failures).toEqual([]);
    expect(first.summary.deletionsWithheld).toBe(1);
    expect(standIns(world.b)).toHaveLength(2);
    // Any change on A makes the next run plan the folder (a quick check skips an unchanged one).
    world.a.append('INBOX', [{ raw: conformanceMessage(41, 3) }]);
    const second = await world.sync();
    expect(second.failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(2);
  });
});

// Fixed (R4-1, R4-2, R4-3): a kept stand-in's deletion by mirror goes through planExpunge (guard, held mark), and its record keeps the held mark.
// BUG R4-2 (the mirror deletion guard escaped): mirror, A's folder (wrongly) loses every message.
// The guard withholds the deletions (more than half of B's folder); run 1 keeps everything, the
// stand-in under the orphan form (oneSidedRecord). Run 2, the guard still withholding the real
// messages' deletions, standInUnpaired's mirror branch deletes the stand-in anyway (planFolder is
// run with allowExpunge false, which planStandInExpunge never reads). New in 872c25c: at 461d07d the
// lone-form stand-in went through planExpunge and stayed withheld (this test passes there).
describe('s11-rev4: mirror, A emptied, the guard withholding', () => {
  it('the stand-in on B is withheld as the real messages are', async () => {
    const world = newWorld('mirror');
    world.a.append('INBOX', Array.from({ length: 12 }, (_, i) => ({ raw: conformanceMessage(50 + i, 3) })));
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
    expect(world.b.messages('INBOX')).toHaveLength(15);
    world.a.expunge('INBOX', world.a.messages('INBOX').map((m) => m.uid));
    const first = await world.sync();
    expect(first.summary.expunged).toBe(0);
    expect(first.summary.deletionsWithheld).toBeGreaterThan(0);
    expect(world.b.messages('INBOX')).toHaveLength(15);
    world.a.append('INBOX', [{ raw: conformanceMessage(70, 3) }]);
    const second = await world.sync();
    expect(second.summary.deletionsWithheld).toBeGreaterThan(0);
    expect(second.summary.expunged).toBe(0);
    expect(world.b.messages('INBOX')).toHaveLength(16); // message 70 copied, nothing deleted
    expect(standIns(world.b)).toHaveLength(1);
  });
});

// BUG R4-3 (the held mark dropped, same root as R4-1): "A copy run marks them too, so a later switch
// to mirror withholds them" (README). oneSidedRecord's new orphan form for a stand-in carries no
// `held` mark (the old lone form had none either, but its deletion went through planExpunge and the
// guard). A copy run after A's rollback keeps the stand-in under the orphan form; a switch to mirror
// then deletes it at once (standInUnpaired, mirror branch), no --force, nothing withheld or reported.
describe('s11-rev4: copy, A restored without a held-back original, then mirror', () => {
  it('mirror withholds the stand-in A lost in its rollback', async () => {
    const world = newWorld('copy');
    await restoredPastABigOne(world);
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(2);
    world.a.append('INBOX', [{ raw: conformanceMessage(41, 3) }]);
    const mirror = await world.sync({ mode: 'mirror' });
    expect(mirror.failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(2);
    expect(mirror.summary.deletionsWithheld).toBe(1);
  });
});
