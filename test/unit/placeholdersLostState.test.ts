// --placeholders when the state lost a stand-in's record (the state file
// deleted, or that one record gone): the stand-in is known by its
// Message-ID (`<placeholder.<original's gid>@replimap>`), never copied back
// as mail; it pairs again with its original when the other side holds that
// one unrecorded, and is planned at once by the stand-in rules (replaced when
// flagged or let through, flags merged otherwise); one with no original to
// pair stays where it is, unrecorded, and -v says why.

import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { big, expectSettled, isStandIn, LIMIT, newWorld, realBodies, records, standIns, type World } from '../support/placeholderWorld.js';
import { digest } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

const MODES = ['copy', 'mirror', 'two-way'] as const;

/** The state file and its journal deleted. */
function loseState(world: World): void {
  for (const suffix of ['', '.journal']) rmSync(world.statePath + suffix, { force: true });
}

/** Only the record pairing the stand-in with its original removed from the state. */
async function loseStandInRecord(world: World): Promise<void> {
  const state = await SyncState.open(world.statePath, world.urls);
  try {
    const record = state.folder('INBOX', 'INBOX')!.records().find((r) => r.standIn !== undefined)!;
    state.apply({ op: 'del', nameA: 'INBOX', nameB: 'INBOX', uidA: record.uidA, uidB: record.uidB });
    await state.close();
  } catch (err) {
    await state.close();
    throw err;
  }
}

const allBodies = (server: MemoryServer): string[] => server.messages('INBOX').map((m) => digest(m.body)).sort();

describe('--placeholders: a stand-in the state does not know', () => {
  for (const lose of ['the state file', 'the stand-in\'s record'] as const) {
    it.each(MODES)(`%s: ${lose} lost, the stand-in pairs again with its original: not copied, no second stand-in`, async (mode) => {
      const world = newWorld(mode);
      expect((await world.sync()).failures).toEqual([]);
      const wantA = allBodies(world.a);
      const wantB = allBodies(world.b);
      if (lose === 'the state file') loseState(world);
      else await loseStandInRecord(world);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect(run.summary.copied + run.summary.expunged).toBe(0);
      expect(allBodies(world.a)).toEqual(wantA);
      expect(allBodies(world.b)).toEqual(wantB);
      expect(world.a.messages('INBOX').filter(isStandIn)).toEqual([]);
      expect(standIns(world.b)).toHaveLength(1);
      expect(await records(world)).toContain(`${big(world.a).uid} ${standIns(world.b)[0]!.uid} stand-in:b`);
      await expectSettled(world);
    });
  }
});
