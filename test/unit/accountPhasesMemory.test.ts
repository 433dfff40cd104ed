// Hostile review of the account-wide phases (issue 7, point 2): what the run
// holds between the read and the act phase. The account plan is meant to keep,
// per pair, what the executor needs (planAccount.ts drops the planner's input
// but A's snapshot); B's snapshot, and the records and digests it was planned
// from, must be garbage by the time the first pair is acted on.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { syncSpecs, tempDir } from '../support/sync.js';

const snapshotsB: WeakRef<object>[] = [];

vi.mock('../../src/sync/pairRead.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../src/sync/pairRead.js')>();
  return {
    ...original,
    readFolderPair: async (...args: Parameters<typeof original.readFolderPair>) => {
      const reading = await original.readFolderPair(...args);
      snapshotsB.push(new WeakRef(reading.input.b));
      return reading;
    },
  };
});

afterEach(forgetMemorySpecs);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('memory held between the phases', () => {
  // was red: syncPairs (engine.ts:179) keeps `readings` in scope through the act phase, so every
  // pair's planner input (both snapshots, the records, digests) lives until the run ends.
  it("no pair's B snapshot is still reachable when the act phase starts", async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    for (const f of ['F1', 'F2', 'F3']) {
      a.createFolder(f);
      a.append(f, Array.from({ length: 20 }, (_, n) => ({ raw: conformanceMessage(n + 1 + 100 * f.length) })));
      b.createFolder(f);
      b.append(f, [{ raw: conformanceMessage(900) }]);
    }
    const alive: number[] = [];
    b.beforeOperation = (op) => {
      if (op !== 'append' || alive.length > 0) return;
      gc();
      alive.push(snapshotsB.filter((r) => r.deref() !== undefined).length);
    };
    const statePath = join(tempDir('replimap-phasemem-'), 'state');
    const run = await syncSpecs(memorySpec(a, 'a'), memorySpec(b, 'b'), statePath, { connections: 1 });
    expect(run.failures).toEqual([]);
    for (const f of ['F1', 'F2', 'F3']) expect(b.messages(f).map((m) => digest(m.body))).toEqual(expect.arrayContaining(a.messages(f).map((m) => digest(m.body))));
    expect(snapshotsB.length).toBe(4); // INBOX and F1..F3
    expect(alive).toEqual([0]);
  });
});
