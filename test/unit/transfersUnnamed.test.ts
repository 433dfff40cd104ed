// A server-side move or copy whose answer names no new UID (issue 9 §3): on
// a server without UIDPLUS (no COPYUID) the copies are looked for in the
// target by global id; on one with UIDPLUS an answer without COPYUID copied
// nothing. Either way a transfer is confirmed only when its message is seen
// in the target: one whose source another client expunged after the read
// (IMAP answers OK for UIDs gone) is listed (exit 1), never taken as done
// (exit 0 with B lacking it). Memory stores, real engine.

import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, everyBody, folderContents, memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';
import { digest } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

async function syncedWorld(bOptions: MemoryServerOptions): Promise<MemoryWorld> {
  const world = memoryWorld({ mode: 'mirror' }, bOptions);
  expect((await world.sync()).failures).toEqual([]);
  return world;
}

/** A's first two INBOX messages moved to Archive on A, the first flagged on the way (a flag delta for B's copy). */
function moveTwoOnA(world: MemoryWorld): string[] {
  const moving = world.a.messages('INBOX').slice(0, 2);
  world.a.append('Archive', moving.map((m, i) => ({ raw: m.body, flags: i === 0 ? [...m.flags, '\\Flagged'] : m.flags, internalDate: m.internalDate })));
  world.a.expunge('INBOX', moving.map((m) => m.uid));
  return moving.map((m) => digest(m.body));
}

const VARIANTS = [
  ['no UIDPLUS, B with MOVE', { copyUid: false }, 'moveMessages'],
  ['no UIDPLUS, B without MOVE', { copyUid: false, features: { move: false } }, 'copyMessages'],
  ['UIDPLUS, B with MOVE', {}, 'moveMessages'],
  ['UIDPLUS, B without MOVE', { features: { move: false } }, 'copyMessages'],
] as const;

describe('transfers without a COPYUID naming their new UIDs', () => {
  for (const [name, bOptions] of VARIANTS.filter(([, o]) => 'copyUid' in o)) {
    it(`${name}: found in the target by global id, flags set, exit 0, B as A, the next run a no-op`, async () => {
      const world = await syncedWorld(bOptions);
      moveTwoOnA(world);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect(run.warnings).toEqual([]);
      expect(run.summary).toMatchObject({ transferred: 2, copied: 0 });
      expect(folderContents(world.b)).toEqual(folderContents(world.a));
      const again = await world.sync();
      expect(again.summary).toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
    });
  }

  for (const [name, bOptions, op] of VARIANTS) {
    for (const gone of [1, 2]) {
      it(`${name}: ${gone} of 2 sources another client expunged on B after the read are listed (exit 1), never taken as moved; the next run copies them`, async () => {
        const world = await syncedWorld(bOptions);
        const moved = moveTwoOnA(world);
        // Another client deletes them from B INBOX between this run's read and its transfer (2: the answer names no UID at all).
        world.b.beforeOperation = (o) => {
          if (o !== op) return;
          world.b.beforeOperation = undefined;
          const uids = world.b.messages('INBOX').filter((m) => moved.slice(0, gone).includes(digest(m.body))).map((m) => m.uid);
          world.b.expunge('INBOX', uids);
        };
        const run = await world.sync();
        world.b.beforeOperation = undefined;
        expect(run.failures.map((f) => `${f.folder} ${f.side}`), JSON.stringify(run.failures)).toEqual(Array(gone).fill('INBOX B'));
        expect(bodies(world.b, 'Archive')).toEqual(moved.slice(gone).sort());
        const rerun = await world.sync();
        expect(rerun.failures).toEqual([]);
        expect(folderContents(world.b)).toEqual(folderContents(world.a));
        expect(everyBody(world.b)).toEqual(everyBody(world.a));
      });
    }
  }
});
