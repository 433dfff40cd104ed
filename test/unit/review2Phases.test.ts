// Second hostile review of the account-wide phases (issue 7): the two-pass act
// phase, pending records, re-keyed states, on memory stores (real engine).
// Tests marked "red" fail on 406fd97 and prove a finding of the review.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLostError, StoreError } from '../../src/errors.js';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { syncSpecs, tempDir, type EngineRun } from '../support/sync.js';

afterEach(forgetMemorySpecs);

interface World {
  a: MemoryServer;
  b: MemoryServer;
  statePath: string;
  sync: (options?: Partial<SyncOptions>) => Promise<EngineRun>;
}

/** A with INBOX (3 messages), Work (2) and Archive (empty), synced once to an empty B in `mode`. */
async function syncedWorld(mode: SyncOptions['mode'] = 'mirror'): Promise<World> {
  const a = new MemoryServer();
  const b = new MemoryServer({ firstUidValidity: 5000n });
  a.append('INBOX', [1, 2, 3].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Work');
  a.append('Work', [4, 5].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Archive');
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-review2-'), 'state');
  const world: World = { a, b, statePath, sync: (options = {}) => syncSpecs(specs.a, specs.b, statePath, { connections: 1, mode, ...options }) };
  const first = await world.sync();
  expect(first.failures).toEqual([]);
  return world;
}

function bodies(server: MemoryServer, folder: string): string[] {
  return server.hasFolder(folder) ? server.messages(folder).map((m) => digest(m.body)).sort() : [];
}

function everyBody(server: MemoryServer): string[] {
  return server.folderNames().flatMap((f) => bodies(server, f)).sort();
}

/** Moves A's first INBOX message to Archive (copy, then expunge, as a client's MOVE would). */
function moveOnA(world: World, to = 'Archive'): string {
  const moved = world.a.messages('INBOX')[0]!;
  world.a.append(to, [{ raw: moved.body, flags: moved.flags, internalDate: moved.internalDate }]);
  world.a.expunge('INBOX', [moved.uid]);
  return digest(moved.body);
}

describe('a pair whose first pass fails alone, with a moved message waiting on it', () => {
  // red: engine.ts builds `unconfirmed` only from the first passes that returned (failingAlone gives
  // undefined for the others, folderJobs.ts drops it), so a copy never tried is not "unconfirmed" and
  // INBOX's deletion, which waits for it (waitsForCopy), goes ahead.
  it("mirror: A's Archive cannot be opened in the act phase; B INBOX keeps the message that moved there", async () => {
    const world = await syncedWorld();
    const moved = moveOnA(world);
    world.a.beforeOperation = (op, args) => {
      if (op === 'openFolder' && args.folder === 'Archive') throw new StoreError('folder', 'SELECT refused');
    };
    const run = await world.sync();
    expect(run.failures.map((f) => `${f.folder}:${f.uid}:${f.side}`)).toEqual(['Archive:0:A']);
    expect(everyBody(world.b)).toContain(moved);
  });

  it("mirror: B's connection is lost while appending to Archive; B INBOX keeps the message that moved there", async () => {
    const world = await syncedWorld();
    const moved = moveOnA(world);
    let lost = false;
    world.b.beforeOperation = (op, args) => {
      if (op !== 'append' || args.folder !== 'Archive' || lost) return;
      lost = true;
      throw new ConnectionLostError('B', 'connection reset');
    };
    const run = await world.sync();
    expect(lost).toBe(true);
    expect(run.failures.map((f) => `${f.folder}:${f.uid}:${f.side}`)).toEqual(['Archive:0:B']);
    expect(everyBody(world.b)).toContain(moved);
  });
});

describe('a pair whose second pass fails alone', () => {
  // red: engine.ts addUp adds up only the results of second passes that returned; a pair whose deletions
  // fail alone (failingAlone → undefined) drops what its first pass did from the summary, though B has it.
  it("mirror: B INBOX cannot be opened for its deletions; the summary still counts the copy its first pass made", async () => {
    const world = await syncedWorld();
    world.a.expunge('INBOX', [world.a.messages('INBOX')[1]!.uid]);
    world.a.append('INBOX', [{ raw: conformanceMessage(10) }]);
    world.b.beforeOperation = (op, args) => {
      if (op === 'openFolder' && args.folder === 'INBOX') throw new StoreError('folder', 'SELECT refused');
    };
    const run = await world.sync();
    expect(run.failures.map((f) => `${f.folder}:${f.uid}:${f.side}`)).toEqual(['INBOX:0:B']);
    expect(bodies(world.b, 'INBOX')).toContain(digest(conformanceMessage(10)));
    expect(run.summary.copied).toBe(1);
  });
});
