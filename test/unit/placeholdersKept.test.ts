// --placeholders: what becomes of a stand-in with no original to stand for
// (the review s11-rev1 fixes, planner side): one beside a real copy of its
// original on its own side holds no mail and is deleted where the mode writes
// that side; one kept after its original left (copy mode) stays a stand-in
// in the state, which a later mirror run deletes, under the guard (counted as
// any deletion, unlike an orphan's).

import { afterEach, describe, expect, it } from 'vitest';
import { replacesStandIn } from '../../src/sync/planStandIns.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { big, expectSettled, isStandIn, loseState, newWorld, realBodies, records, standIns } from '../support/placeholderWorld.js';
import { digest } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

describe('--placeholders: a stand-in the state does not know, beside a real copy of its original', () => {
  for (const mode of ['copy', 'mirror', 'two-way'] as const) {
    it(`${mode}: the real copy pairs with the original, the stand-in is deleted, nothing copied`, async () => {
      const world = newWorld(mode);
      expect((await world.sync()).failures).toEqual([]);
      world.b.append('INBOX', [{ raw: big(world.a).body }]);
      loseState(world);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect([run.summary.copied, run.summary.expunged]).toEqual([0, 1]);
      expect(standIns(world.b)).toEqual([]);
      expect(world.a.messages('INBOX').filter(isStandIn)).toEqual([]);
      expect(realBodies(world.b)).toEqual(realBodies(world.a));
      expect(world.b.messages('INBOX').filter((m) => digest(m.body) === digest(big(world.a).body))).toHaveLength(1);
      await expectSettled(world);
    });
  }
});

describe('--placeholders: a stand-in kept after its original left A (copy mode)', () => {
  it('stays recorded as a stand-in alone; a later mirror run deletes it', async () => {
    const world = newWorld('copy');
    expect((await world.sync()).failures).toEqual([]);
    world.a.expunge('INBOX', [big(world.a).uid]);
    expect((await world.sync()).failures).toEqual([]);
    const [kept] = standIns(world.b);
    expect(await records(world)).toContain(`0 ${kept!.uid} stand-in:b`);
    await expectSettled(world);
    const run = await world.sync({ mode: 'mirror' });
    expect(run.failures).toEqual([]);
    expect(run.summary.expunged).toBe(1);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
  });
});

it('the guard does not count the deletion of a stand-in named alone (it holds no mail); a stand-in beside its original is counted', () => {
  const orphan = { uidA: 0, uidB: 5, gid: 'kzZjy-G5-xCvUmnU', flags: [], standIn: 'b' as const, standInGid: 'PIomcGDkPlOJ63mt' };
  expect(replacesStandIn({ side: 'b', record: orphan })).toBe(true);
  expect(replacesStandIn({ side: 'b', record: { ...orphan, uidA: 3 } })).toBe(false);
});
