// Hostile review of the account-wide phases (issue 7, point 2): the read phase
// records facts at once (a new UIDVALIDITY voids that side's UIDs: a 'reset'
// op), but the marks of held records that lose their only UID live only in the
// planner's input until the act phase writes the plan's records (executor step 3).
// Anything that stops a pair between the two (a signal during the read phase
// of other folders, an act phase that fails before step 3) must not leave the
// state without those marks: a later mirror run would delete what A lost in a
// rollback without --force.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { runSync } from '../../src/sync/engine.js';
import type { SyncObserver } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { killedRun } from '../support/memoryKill.js';
import { defaultOptions, syncSpecs, tempDir } from '../support/sync.js';

afterEach(forgetMemorySpecs);

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const quiet: SyncObserver = {
  phase: () => undefined, started: () => undefined, folderPlanned: () => undefined, progress: () => undefined,
  folderFinished: () => undefined, wouldDo: () => undefined, warning: () => undefined, failure: () => undefined, verbose: () => undefined,
};

/** Mirror synced; A went back in time and lost 51..65 of `held`, whose only copies B holds (held); then B's `held` rebuilt with a new UIDVALIDITY. */
async function heldThenRebuilt(held = 'INBOX') {
  const a = new MemoryServer();
  const b = new MemoryServer({ firstUidValidity: 5000n });
  if (held !== 'INBOX') a.createFolder(held);
  a.createFolder('Work');
  a.append('Work', [{ raw: conformanceMessage(500) }]);
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-heldphases-'), 'state');
  const run = (force = false) => syncSpecs(specs.a, specs.b, statePath, { mode: 'mirror', force, connections: 1 });
  a.append(held, range(1, 50).map((n) => ({ raw: conformanceMessage(n) })));
  await run();
  const backup = a.snapshot();
  a.append(held, range(51, 65).map((n) => ({ raw: conformanceMessage(n) })));
  await run();
  a.restore(backup);
  a.append(held, range(101, 120).map((n) => ({ raw: conformanceMessage(n) })));
  const first = await run();
  expect(first.summary.deletionsWithheld).toBe(15);
  b.resetUidValidity(held);
  a.append('Work', [{ raw: conformanceMessage(501) }]); // so the run has a second pair to read after INBOX
  const lost = range(51, 65).map((n) => digest(conformanceMessage(n)));
  const onB = (): string[] => b.messages(held).map((m) => digest(m.body)).filter((d) => lost.includes(d));
  return { a, b, specs, statePath, run, lost, onB };
}

describe('held marks between the read and the act phase', () => {
  // was red: pairRead.ts voidNewUidValidities applies the 'reset' at once (dropping the held B-only records);
  // engine.ts syncPairs returns after the read phase on a signal, and the state is committed without them.
  it('a signal after INBOX was read (B rebuilt) and before it was acted on: the next mirror run still withholds what A lost', async () => {
    const w = await heldThenRebuilt();
    const controller = new AbortController();
    w.a.beforeOperation = (op, args) => {
      if (op === 'readFolder' && args.folder === 'Work') controller.abort(); // Ctrl-C while the next pair is read
    };
    const interrupted = await runSync(
      { a: w.specs.a, b: w.specs.b, statePath: w.statePath, options: { ...defaultOptions, mode: 'mirror', connections: 1 } },
      quiet,
      controller.signal,
    ).then(() => 'finished', (e: unknown) => String(e));
    expect(interrupted).toMatch(/interrupt|signal|abort/i);
    w.a.beforeOperation = undefined;
    const next = await w.run();
    expect(next.summary.expunged).toBe(0);
    expect(next.summary.deletionsWithheld).toBe(15);
    expect(w.onB().sort()).toEqual([...w.lost].sort());
  });

  // was red: the same through a failure: the act phase's openFolder of A (or a lost connection) fails INBOX
  // before executor step 3 writes the plan's records with the marks; the run commits the reset alone.
  it('INBOX failing in the act phase (A refuses to open it again): the next mirror run still withholds what A lost', async () => {
    const w = await heldThenRebuilt();
    w.a.append('INBOX', [{ raw: conformanceMessage(130) }]); // a copy to make: the act phase opens A's INBOX again
    let refused = false;
    w.a.beforeOperation = (op, args) => {
      if (op === 'openFolder' && args.folder === 'INBOX' && !refused) {
        refused = true;
        throw new StoreError('folder', 'SELECT refused: mailbox is locked');
      }
    };
    const failed = await w.run();
    expect(refused).toBe(true);
    expect(failed.failures.map((f) => `${f.folder}:${f.uid}`)).toEqual(['INBOX:0']);
    w.a.beforeOperation = undefined;
    const next = await w.run();
    expect(next.summary.expunged).toBe(0);
    expect(next.summary.deletionsWithheld).toBe(15);
    expect(w.onB().sort()).toEqual([...w.lost].sort());
  });

  // was red: the state is one for the whole run: Work's act (executor step 3's flush) writes to the journal
  // the reset the read phase applied for Zeta, whose marks exist only in its plan; a SIGKILL then leaves
  // a journal whose replay drops the held records.
  it('killed in the act phase of an earlier pair (Work) before Zeta (B rebuilt) was acted on: the next mirror run still withholds what A lost', async () => {
    const w = await heldThenRebuilt('Zeta');
    const outcome = await killedRun(w, w.statePath, 'before', 1, () => w.run(), (op) => op === 'append');
    expect(outcome).toEqual({ killed: 'B append' });
    const next = await w.run();
    expect(next.summary.expunged).toBe(0);
    expect(next.summary.deletionsWithheld).toBe(15);
    expect(w.onB().sort()).toEqual([...w.lost].sort());
  });
});
