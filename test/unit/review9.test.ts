// Second hostile review (issues 8, 9 §3): each case a run that must not lose
// mail, on memory servers through the real engine. Bodies compared by digest.

import { afterEach, describe, expect, it } from 'vitest';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, everyBody, memoryWorld } from '../support/memoryWorld.js';

afterEach(forgetMemorySpecs);

describe('review 9: two-way folder deletions', () => {
  it('mail delivered into the survivor copy while the run syncs other folders is not deleted with it', async () => {
    const world = memoryWorld({ mode: 'two-way' });
    expect((await world.sync()).failures).toEqual([]);
    expect((await world.sync()).failures).toEqual([]);
    world.a.deleteFolder('Work');
    world.a.append('INBOX', [{ raw: conformanceMessage(70) }]);
    const late = conformanceMessage(71);
    // Delivered to B's Work after the run listed the folders, while it copies A's new INBOX mail.
    world.b.beforeOperation = (op) => {
      if (op !== 'append') return;
      world.b.beforeOperation = undefined;
      world.b.append('Work', [{ raw: late }]);
    };
    const run = await world.sync();
    world.b.beforeOperation = undefined;
    expect(run.failures).toEqual([]);
    const everywhere = [...everyBody(world.a), ...everyBody(world.b)];
    expect(everywhere).toContain(digest(late));
    const again = await world.sync();
    expect(again.failures).toEqual([]);
    expect(bodies(world.a, 'Work')).toEqual(bodies(world.b, 'Work'));
    expect(bodies(world.b, 'Work')).toContain(digest(late));
  });

  it('a child that got mail during the run stays with its parent', async () => {
    const world = memoryWorld({ mode: 'two-way' });
    world.a.createFolder('Projects');
    world.a.createFolder('Projects/2026');
    world.a.append('Projects/2026', [{ raw: conformanceMessage(72) }]);
    expect((await world.sync()).failures).toEqual([]);
    expect((await world.sync()).failures).toEqual([]);
    world.a.deleteFolder('Projects/2026');
    world.a.deleteFolder('Projects');
    world.a.append('INBOX', [{ raw: conformanceMessage(73) }]);
    const late = conformanceMessage(74);
    world.b.beforeOperation = (op) => {
      if (op !== 'append') return;
      world.b.beforeOperation = undefined;
      world.b.append('Projects/2026', [{ raw: late }]);
    };
    const run = await world.sync();
    world.b.beforeOperation = undefined;
    expect(run.failures).toEqual([]);
    expect(run.summary.foldersDeleted).toBe(0);
    expect([world.b.hasFolder('Projects'), bodies(world.b, 'Projects/2026')]).toEqual([true, [digest(conformanceMessage(72)), digest(late)].sort()]);
    expect((await world.sync()).failures).toEqual([]);
    expect(bodies(world.a, 'Projects/2026')).toEqual(bodies(world.b, 'Projects/2026'));
  });
});

describe('review 9: server-side transfers', () => {
  // B restored from a backup taken before m11 reached X, then new mail (m12, the same size) takes m11's UID: X's counters
  // on B are as recorded. A user then copies m11 into Y on A and reads it in X (so X is read, B's side incrementally).
  // B's UID that the state says holds m11 is the only source on B: its size, asked for, is m11's. Copying it into Y put m12 there.
  for (const mode of ['two-way', 'mirror'] as const) {
    it(`${mode}: a source UID now holding another message of the same size is not copied in its place`, async () => {
      const world = memoryWorld({ mode });
      world.a.createFolder('X');
      world.a.createFolder('Y');
      expect((await world.sync()).failures).toEqual([]);
      const beforeM11 = world.b.snapshot();
      world.a.append('X', [{ raw: conformanceMessage(11) }]);
      expect((await world.sync()).failures).toEqual([]);
      expect((await world.sync()).failures).toEqual([]);
      world.b.restore(beforeM11);
      world.b.append('X', [{ raw: conformanceMessage(12) }]);
      world.a.append('Y', [{ raw: conformanceMessage(11) }]);
      world.a.setFlags('X', [world.a.messages('X')[0]!.uid], ['\\Seen'], []);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect(bodies(world.b, 'Y')).toEqual([digest(conformanceMessage(11))]);
      const again = await world.sync();
      expect(again.failures).toEqual([]);
      expect(bodies(world.b, 'Y')).toEqual([digest(conformanceMessage(11))]);
      expect(bodies(world.a, 'Y')).toEqual([digest(conformanceMessage(11))]);
    });
  }
});
