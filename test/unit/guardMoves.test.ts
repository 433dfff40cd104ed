// The mirror guard and moves (issue 9 §3): messages that moved from one folder
// of A to another are no loss, so neither the per-folder limit nor the
// account-wide count withholds their deletion on B (which is a move there);
// a true loss beside them still is withheld, and a deletion counted as moved
// still waits for its copy. Memory stores, real engine.

import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import type { MemoryServer, MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { APPENDS_ONLY, bodies, everyBody, memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

/** The world of memoryWorld with INBOX holding 20 messages (3 + 17) and `extra` more folders of 5 each, synced once. */
async function syncedWorld(mode: SyncOptions['mode'], bOptions: MemoryServerOptions = {}, extra: string[] = []): Promise<MemoryWorld> {
  const world = memoryWorld({ mode }, bOptions);
  world.a.append('INBOX', Array.from({ length: 17 }, (_, i) => ({ raw: conformanceMessage(100 + i) })));
  extra.forEach((name, f) => {
    world.a.createFolder(name);
    world.a.append(name, Array.from({ length: 5 }, (_, i) => ({ raw: conformanceMessage(200 + 10 * f + i) })));
  });
  const first = await world.sync();
  expect(first.failures).toEqual([]);
  return world;
}

/** The first `count` messages of `from` on A moved to `to` (copied with flags and date, then expunged), as a client's MOVE. */
function moveOnA(a: MemoryServer, from: string, to: string, count: number): string[] {
  const moving = a.messages(from).slice(0, count);
  a.append(to, moving.map((m) => ({ raw: m.body, flags: m.flags, internalDate: m.internalDate })));
  a.expunge(from, moving.map((m) => m.uid));
  return moving.map((m) => digest(m.body)).sort();
}

/** Mirror with F1..F6 (5 each): on A, F1 moved to Archive, F2..F6 emptied, `fromInbox` deleted from INBOX. */
async function smallFoldersLost(fromInbox: number): Promise<MemoryWorld> {
  const world = await syncedWorld('mirror', {}, ['F1', 'F2', 'F3', 'F4', 'F5', 'F6']);
  moveOnA(world.a, 'F1', 'Archive', 5);
  for (const f of ['F2', 'F3', 'F4', 'F5', 'F6']) world.a.expunge(f, world.a.messages(f).map((m) => m.uid));
  world.a.expunge('INBOX', world.a.messages('INBOX').slice(0, fromInbox).map((m) => m.uid));
  return world;
}

/** B holds exactly A's bodies, folder by folder (no loss, no duplicate). */
function expectSameBodies(world: MemoryWorld): void {
  for (const f of world.a.folderNames()) expect(bodies(world.b, f), `B's ${f}`).toEqual(bodies(world.a, f));
  expect(everyBody(world.b)).toEqual(everyBody(world.a));
}

describe('mirror: moves are not deletions to the guard', () => {
  for (const [name, bOptions, kind] of [
    ['B with MOVE', {}, 'transferred'],
    ['B without MOVE (COPY + EXPUNGE)', { features: { move: false } }, 'transferred'],
    ['B without COPY and MOVE (append + EXPUNGE)', APPENDS_ONLY, 'copied'],
  ] as const) {
    it(`${name}: 12 of INBOX's 20 moved to Archive on A: nothing withheld, exit 0, B as A`, async () => {
      const world = await syncedWorld('mirror', bOptions);
      const moved = moveOnA(world.a, 'INBOX', 'Archive', 12);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect(run.summary.withheld).toEqual([]);
      expect(run.summary).toMatchObject({ [kind]: 12 });
      expect(bodies(world.b, 'Archive')).toEqual(moved);
      expectSameBodies(world);
      const again = await world.sync();
      expect(again.summary).toMatchObject({ copied: 0, transferred: 0, expunged: 0, withheld: [] });
    });
  }

  it('the account-wide count: four small folders emptied into Archive on A are moved, nothing withheld', async () => {
    const world = await syncedWorld('mirror', {}, ['F1', 'F2', 'F3', 'F4']);
    // 20 of the 42 remembered leave their folders (each under the folder minimum), plus 5 of INBOX: more than half.
    for (const f of ['F1', 'F2', 'F3', 'F4']) moveOnA(world.a, f, 'Archive', 5);
    moveOnA(world.a, 'INBOX', 'Archive', 5);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.withheld).toEqual([]);
    expect(run.summary).toMatchObject({ transferred: 25, copied: 0 });
    expectSameBodies(world);
  });

  it('a true loss beside moves is still withheld (exit 5): 11 deleted and 3 moved of 20, B keeps the 11 and gets the 3', async () => {
    const world = await syncedWorld('mirror');
    const moved = moveOnA(world.a, 'INBOX', 'Archive', 3);
    const lost = world.a.messages('INBOX').slice(0, 11);
    world.a.expunge('INBOX', lost.map((m) => m.uid));
    const run = await world.sync();
    expect(run.summary.withheld).toMatchObject([{ what: 'messages', folder: 'INBOX', count: 14, heldOnB: 20 }]);
    for (const m of lost) expect(bodies(world.b, 'INBOX')).toContain(digest(m.body));
    expect(bodies(world.b, 'Archive')).toEqual(moved);
  });

  it('the account-wide count still withholds what A really lost across many small folders, moves aside', async () => {
    // 52 remembered: 5 moved out of F1, 25 deleted from F2..F6 (each under the folder minimum), 2 from INBOX:
    // 32 lacking, 27 without the moves: still more than half.
    const world = await smallFoldersLost(2);
    const run = await world.sync();
    expect(run.summary.withheld.map((w) => w.folder).sort()).toEqual(['F2', 'F3', 'F4', 'F5', 'F6', 'INBOX']);
    for (const f of ['F2', 'F3', 'F4', 'F5', 'F6']) expect(bodies(world.b, f)).toHaveLength(5);
    expect(bodies(world.b, 'INBOX')).toHaveLength(20);
    // F1's deletions are all moves, no loss: they went ahead (each waited for its copy in Archive).
    expect(bodies(world.b, 'F1')).toEqual([]);
    expect(bodies(world.b, 'Archive')).toEqual(bodies(world.a, 'Archive'));
  });

  it('the account-wide count, just under half once the moves are not counted: every deletion goes ahead', async () => {
    // As above with 1 from INBOX: 31 lacking, 26 of 52 without the moves (not more than half).
    const world = await smallFoldersLost(1);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.withheld).toEqual([]);
    expectSameBodies(world);
  });

  it('B without MOVE, its COPY refused: the 12 moved are listed (exit 1) and stay in B INBOX (the deletions waited)', async () => {
    const world = await syncedWorld('mirror', { features: { move: false } });
    moveOnA(world.a, 'INBOX', 'Archive', 12);
    const before = bodies(world.b, 'INBOX');
    world.b.beforeOperation = (op) => {
      if (op === 'copyMessages') throw new StoreError('message', 'COPY refused: over quota');
    };
    const run = await world.sync();
    expect(run.failures).toHaveLength(12);
    expect(run.summary).toMatchObject({ transferred: 0, expunged: 0 });
    expect(bodies(world.b, 'INBOX')).toEqual(before);
    world.b.beforeOperation = undefined;
    expect((await world.sync()).failures).toEqual([]);
    expectSameBodies(world);
  });

  it('two-way: 12 of INBOX\'s 20 moved to Archive on A are moved on B, nothing withheld', async () => {
    const world = await syncedWorld('two-way');
    const moved = moveOnA(world.a, 'INBOX', 'Archive', 12);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.withheld).toEqual([]);
    expect(bodies(world.b, 'Archive')).toEqual(moved);
    expectSameBodies(world);
  });
});
