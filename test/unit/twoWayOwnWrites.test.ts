// Two-way: a run records each side's status as it is after its own writes
// when that side shows nothing but them (twoWayOwnWrites.ts), so the next
// run reads no folder it wrote to; anything another client did meanwhile is
// still read next run. Memory stores through the real engine.

import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import type { FolderRead } from '../../src/store/types.js';
import { showsOnlyRecorded } from '../../src/sync/twoWayOwnWrites.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { folderContents, memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';
import type { EngineRun } from '../support/sync.js';

afterEach(forgetMemorySpecs);

/** A two-way world whose B has mail of its own: Work holds message 6, Notes (B only) message 7. */
function twoSidedWorld(): MemoryWorld {
  const world = memoryWorld({ mode: 'two-way' });
  world.b.createFolder('Work');
  world.b.append('Work', [{ raw: conformanceMessage(6) }]);
  world.b.createFolder('Notes');
  world.b.append('Notes', [{ raw: conformanceMessage(7) }]);
  return world;
}

/** The run, and the folders each server was asked to read during it. */
async function withReads(world: MemoryWorld, run: () => Promise<EngineRun>): Promise<{ run: EngineRun; reads: string[] }> {
  const reads: string[] = [];
  const hook = (server: MemoryServer, side: string): void => {
    server.afterOperation = (op, args) => {
      if (op === 'readFolder') reads.push(`${side} ${args.folder}`);
    };
  };
  hook(world.a, 'A');
  hook(world.b, 'B');
  try {
    return { run: await run(), reads: reads.sort() };
  } finally {
    world.a.afterOperation = undefined;
    world.b.afterOperation = undefined;
  }
}

const uidOf = (server: MemoryServer, folder: string, n: number): number =>
  server.messages(folder).find((m) => digest(m.body) === digest(conformanceMessage(n)))!.uid;

describe('two-way: the run after one that wrote both ways', () => {
  it('reads no folder, after an initial run and after a run carrying changes of both sides', async () => {
    const world = twoSidedWorld();
    expect((await world.sync()).failures).toEqual([]);
    const quiet = await withReads(world, () => world.sync());
    expect({ failures: quiet.run.failures, reads: quiet.reads, skipped: quiet.run.summary.foldersSkipped }).toEqual({ failures: [], reads: [], skipped: 4 });

    world.a.setFlags('INBOX', [uidOf(world.a, 'INBOX', 1)], ['\\Flagged'], []);
    world.b.setFlags('Work', [uidOf(world.b, 'Work', 4)], ['\\Seen'], []);
    world.a.expunge('Work', [uidOf(world.a, 'Work', 5)]);
    world.b.append('Notes', [{ raw: conformanceMessage(8) }]);
    const changes = await world.sync();
    expect([changes.failures, changes.summary.copied, changes.summary.flagsUpdated, changes.summary.expunged]).toEqual([[], 1, 2, 1]);
    const after = await withReads(world, () => world.sync());
    expect({ failures: after.run.failures, reads: after.reads, copied: after.run.summary.copied }).toEqual({ failures: [], reads: [], copied: 0 });
    expect(folderContents(world.a)).toEqual(folderContents(world.b));
    expect(folderContents(world.a)['Work']).toEqual([
      `${digest(conformanceMessage(4))} \\Seen`, `${digest(conformanceMessage(6))} `,
    ].sort());
  });

  // Another client writes to B's Work while the run appends A's mail there: what it did is read next run.
  const meddlers: { name: string; meddle: (b: MemoryServer) => void; expectWork: number[] }[] = [
    { name: 'flags a message the run does not touch', meddle: (b) => b.setFlags('Work', [uidOf(b, 'Work', 6)], ['\\Flagged'], []), expectWork: [4, 5, 6] },
    { name: 'appends a message', meddle: (b) => b.append('Work', [{ raw: conformanceMessage(9) }]), expectWork: [4, 5, 6, 9] },
    { name: 'expunges a message', meddle: (b) => b.expunge('Work', [uidOf(b, 'Work', 6)]), expectWork: [4, 5] },
    {
      name: 'expunges one message and appends another',
      meddle: (b) => {
        b.expunge('Work', [uidOf(b, 'Work', 6)]);
        b.append('Work', [{ raw: conformanceMessage(9) }]);
      },
      expectWork: [4, 5, 9],
    },
  ];
  for (const { name, meddle, expectWork } of meddlers) {
    it(`reads B's folder again when another client ${name} during the run; then both sides agree and the next run reads nothing`, async () => {
      const world = twoSidedWorld();
      let meddled = false;
      world.b.afterOperation = (op, args) => {
        if (op === 'append' && args.folder === 'Work' && !meddled) {
          meddled = true;
          meddle(world.b);
        }
      };
      expect((await world.sync()).failures).toEqual([]);
      world.b.afterOperation = undefined;
      expect(meddled).toBe(true);
      const next = await withReads(world, () => world.sync());
      expect([next.run.failures, next.reads.includes('B Work')]).toEqual([[], true]);
      expect(folderContents(world.a)).toEqual(folderContents(world.b));
      expect(world.a.messages('Work').map((m) => digest(m.body)).sort()).toEqual(expectWork.map((n) => digest(conformanceMessage(n))).sort());
      if (name.startsWith('flags')) expect(world.a.messages('Work').find((m) => m.uid === uidOf(world.a, 'Work', 6))!.flags).toContain('\\Flagged');
      const last = await withReads(world, () => world.sync());
      expect({ failures: last.run.failures, reads: last.reads }).toEqual({ failures: [], reads: [] });
    });
  }
});

describe('showsOnlyRecorded (pure)', () => {
  const before = { uidValidity: 7n, uidNext: 3, messages: 2, highestModseq: 10n };
  // B held UIDs 1 and 2 when read (UIDNEXT 3); the run copied a message there (UID 3) and changed UID 1's flags.
  const records = [
    { uidA: 11, uidB: 1, gid: 'g1', flags: ['\\Seen'] },
    { uidA: 12, uidB: 2, gid: 'g2', flags: [] },
    { uidA: 13, uidB: 3, gid: 'g3', flags: ['\\Flagged'] },
    { uidA: 14, uidB: 0, gid: 'g4', flags: [] },
  ];
  const read = (change: Partial<FolderRead> = {}, status: Partial<FolderRead['status']> = {}): FolderRead => ({
    status: { uidValidity: 7n, uidNext: 4, messages: 3, highestModseq: 14n, ...status },
    uidValidityChanged: false, permanentFlags: { flags: [], allowsNewKeywords: true }, readOnly: true, kind: 'delta',
    messages: [{ uid: 1, flags: ['\\Seen'] }, { uid: 3, flags: ['\\Flagged'] }], vanished: [], envelopes: [], unidentified: [], unread: [],
    ...change,
  });
  const cases: [string, FolderRead, boolean][] = [
    ['only our writes, as recorded', read(), true],
    ['a changed message with other flags', read({ messages: [{ uid: 1, flags: [] }, { uid: 3, flags: ['\\Flagged'] }] }), false],
    ['a changed message no record names', read({ messages: [{ uid: 1, flags: ['\\Seen'] }, { uid: 5, flags: [] }] }, { uidNext: 6, messages: 4 }), false],
    ['one message fewer (an expunge by someone else)', read({}, { messages: 2 }), false],
    ['UIDNEXT past every recorded UID (an append, expunged again)', read({}, { uidNext: 5 }), false],
    ['a new UIDVALIDITY', read({ uidValidityChanged: true }, { uidValidity: 8n }), false],
    ['a full listing (no mod-sequences)', read({ kind: 'full' }), false],
  ];
  for (const [name, now, expected] of cases) {
    it(`${name}: ${expected ? 'recorded' : 'read again next run'}`, () => {
      expect(showsOnlyRecorded(now, before, records, 'b')).toBe(expected);
    });
  }
});
