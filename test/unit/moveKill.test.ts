// Crash safety of server-side moves (issue 9 §3): "a kill between the copy and
// the expunge leaves at worst a duplicate, never a loss". A run that moves 12
// of INBOX's 20 messages to Archive on B (more than half: the guard lets moves
// go) is killed at each of its store operations in turn, before it and after
// it (the server acted, the client never heard), on a B with MOVE, with COPY
// without MOVE, and both without COPYUID (no UIDPLUS). At the kill nothing B
// held is gone from B; the rerun converges (B as A, every body once, flags
// too), and the run after it does nothing. Memory stores, real engine.

import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryServer, MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import { killedRun } from '../support/memoryKill.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { everyBody, folderContents, memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';
import { conformanceMessage } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

/** Mirror, synced once: INBOX 20, Work 2; then 12 of INBOX moved to Archive on A, two of them flagged on the way. */
async function movingWorld(bOptions: MemoryServerOptions): Promise<MemoryWorld> {
  const world = memoryWorld({ mode: 'mirror' }, bOptions);
  world.a.append('INBOX', Array.from({ length: 17 }, (_, i) => ({ raw: conformanceMessage(100 + i) })));
  expect((await world.sync()).failures).toEqual([]);
  const moving = world.a.messages('INBOX').slice(0, 12);
  world.a.append('Archive', moving.map((m, i) => ({ raw: m.body, flags: i < 2 ? [...m.flags, '\\Flagged'] : m.flags, internalDate: m.internalDate })));
  world.a.expunge('INBOX', moving.map((m) => m.uid));
  return world;
}

const digestsOf = (server: MemoryServer): Set<string> => new Set(everyBody(server));

describe('killed at any store operation of a run moving 12 of 20 messages', () => {
  for (const [name, bOptions, serverSide] of [
    ['B with MOVE', {}, 'B moveMessages'],
    ['B with COPY, without MOVE', { features: { move: false } }, 'B copyMessages'],
    ['B with MOVE, without COPYUID', { copyUid: false }, 'B moveMessages'],
    ['B with COPY, without MOVE and COPYUID', { copyUid: false, features: { move: false } }, 'B copyMessages'],
  ] as const) {
    it(`${name}: nothing lost at the kill, the rerun leaves B as A (no duplicate), then a no-op run`, async () => {
      const problems: string[] = [];
      const killed: string[] = [];
      for (const when of ['before', 'after'] as const) {
        for (let k = 1; ; k++) {
          const world = await movingWorld(bOptions);
          const onBBefore = digestsOf(world.b);
          const outcome = await killedRun(world, world.statePath, when, k, () => world.sync());
          if ('finished' in outcome) break;
          killed.push(outcome.killed);
          const where = `${when} ${outcome.killed} (#${k})`;
          const onBAfter = digestsOf(world.b);
          const lost = [...onBBefore].filter((d) => !onBAfter.has(d));
          if (lost.length > 0) problems.push(`${where}: lost from B ${lost.join(', ')}`);
          const rerun = await world.sync();
          if (rerun.failures.length > 0 || rerun.summary.withheld.length > 0) {
            problems.push(`${where}: rerun ${JSON.stringify({ failures: rerun.failures, withheld: rerun.summary.withheld })}`);
          }
          if (JSON.stringify(folderContents(world.b)) !== JSON.stringify(folderContents(world.a))) {
            problems.push(`${where}: B ${JSON.stringify(folderContents(world.b))} vs A ${JSON.stringify(folderContents(world.a))}`);
          }
          const s = (await world.sync()).summary;
          if (s.copied + s.transferred + s.expunged + s.flagsUpdated > 0) {
            problems.push(`${where}: the run after not a no-op: ${JSON.stringify({ copied: s.copied, transferred: s.transferred, expunged: s.expunged, flags: s.flagsUpdated })}`);
          }
        }
      }
      // The kills did land between the copy and what follows it.
      expect(killed.filter((k) => k === serverSide).length, serverSide).toBe(2);
      expect(problems).toEqual([]);
    });
  }
});
