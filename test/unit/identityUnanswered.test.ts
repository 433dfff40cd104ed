// Bug 7 (two-way): a UID whose identity was asked for (needIdentity, before
// expunging it) and that the server left out of the answer keeps its record
// (nothing deleted), and the folder stays unsettled: its statuses are not
// recorded, so the next run reads it again and, once the server answers,
// the deletion goes through (runs converge). Memory stores, real engine.

import { afterEach, describe, expect, it } from 'vitest';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, memoryWorld } from '../support/memoryWorld.js';

afterEach(forgetMemorySpecs);

describe('two-way: an identity question left unanswered', () => {
  it('keeps the message, warns, leaves the folder unsettled; once answered, the next run deletes it and both sides agree', async () => {
    const world = memoryWorld({ mode: 'two-way' });
    expect((await world.sync()).failures).toEqual([]);
    await world.sync();
    const [, second] = world.b.messages('Work');
    world.b.expunge('Work', [second!.uid]); // B deletes message 5: A's UID 2 is expunged after its identity is read
    const secondOnA = world.a.messages('Work')[1]!.uid;
    world.a.omitFromFetch = (folder, uid) => folder === 'Work' && uid === secondOnA;
    const unanswered = await world.sync();
    // Nothing deleted while A did not say what its UID holds; the run says so.
    expect(bodies(world.a, 'Work')).toHaveLength(2);
    expect(unanswered.warnings.filter((w) => w.includes('Work') && w.includes(`UID ${secondOnA}`))).toHaveLength(1);
    world.a.omitFromFetch = undefined;
    const answered = await world.sync();
    expect(answered.failures).toEqual([]);
    expect(bodies(world.a, 'Work')).toEqual(bodies(world.b, 'Work'));
    expect(bodies(world.a, 'Work')).toHaveLength(1);
    const again = await world.sync();
    expect({ failures: again.failures, warnings: again.warnings }).toEqual({ failures: [], warnings: [] });
    expect(bodies(world.a, 'Work')).toEqual(bodies(world.b, 'Work'));
  });
});
