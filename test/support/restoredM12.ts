// A memory world whose B was restored from before m11 reached X, with new mail
// m12 (m11's size) at m11's UID, X's counters on B as recorded, and m11 just
// copied into Y on A: the run's size question asks about B's UID of m11
// (review 9, bug 2; test/unit/reusedUidFlags.test.ts).

import { expect } from 'vitest';
import type { SyncMode } from '../../src/sync/types.js';
import { memoryWorld, type MemoryWorld } from './memoryWorld.js';
import { conformanceMessage } from './storeConformance.js';

export async function restoredWithM12(mode: SyncMode, m12 = conformanceMessage(12)): Promise<MemoryWorld> {
  const world = memoryWorld({ mode });
  world.a.createFolder('X');
  world.a.createFolder('Y');
  expect((await world.sync()).failures).toEqual([]);
  const beforeM11 = world.b.snapshot();
  world.a.append('X', [{ raw: conformanceMessage(11) }]);
  expect((await world.sync()).failures).toEqual([]);
  expect((await world.sync()).failures).toEqual([]);
  world.b.restore(beforeM11);
  world.b.append('X', [{ raw: m12 }]);
  world.a.append('Y', [{ raw: conformanceMessage(11) }]);
  return world;
}
