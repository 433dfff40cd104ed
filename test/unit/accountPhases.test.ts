// Hostile review of the account-wide phases (issue 7, point 2): read every
// pair, plan the account, act on every pair. What may happen between the read
// and the act phase, and what the act phase promises about order, on memory
// stores (real engine). Tests marked "was red" failed on 20ca2cf (a hostile review of the phases) and pass since their fix.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { APPENDS_ONLY, bodies, everyBody, memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';
import { runSync } from '../../src/sync/engine.js';
import type { SyncObserver } from '../../src/sync/types.js';
import { defaultOptions, tempDir } from '../support/sync.js';

afterEach(forgetMemorySpecs);

type World = MemoryWorld;

// B without server-side copy and move: these tests are about appends and deletions across the
// phases (moves done on the server: test/unit/transfers.test.ts).
const newWorld = (): World => memoryWorld({}, APPENDS_ONLY);

describe('between the read phase and the act phase', () => {
  // was red: executePair runs each pair's executor in turn, and the executor expunges (step 2) before it
  // appends (step 4); planAccount.ts's header says "the executor copies first, everywhere, and deletes last".
  it('mirror: a message moved on A from INBOX to Archive is deleted from B INBOX only once its copy is in B Archive', async () => {
    const world = await syncedWorld();
    const moved = world.a.messages('INBOX')[0]!;
    world.a.append('Archive', [{ raw: moved.body, flags: moved.flags, internalDate: moved.internalDate }]);
    world.a.expunge('INBOX', [moved.uid]);
    // B refuses the copy into Archive (quota, a transient NO): the move is half done.
    world.b.beforeOperation = (op, args) => {
      if (op === 'appendMessage' && args.folder === 'Archive') throw new StoreError('message', 'APPEND refused: over quota');
    };
    const run = await world.sync({ mode: 'mirror' });
    expect(run.failures.map((f) => `${f.folder}:${f.side}`)).toEqual(['Archive:A']);
    // In doubt, keep: the only copy B had of a message A still holds must not be gone from B.
    expect(everyBody(world.b)).toContain(digest(moved.body));
  });

  it('mirror: every deletion on B comes after every copy of the run (the account order the plan promises)', async () => {
    const world = await syncedWorld();
    const moved = world.a.messages('INBOX')[0]!;
    world.a.append('Archive', [{ raw: moved.body, flags: moved.flags, internalDate: moved.internalDate }]);
    world.a.expunge('INBOX', [moved.uid]);
    const order: string[] = [];
    world.b.beforeOperation = (op, args) => {
      if (op === 'append' || op === 'expungeMessages') order.push(`${op} ${args.folder ?? ''}`.trim());
    };
    const run = await world.sync({ mode: 'mirror' });
    expect(run.failures).toEqual([]);
    expect(order.map((o) => o.split(' ')[0])).toEqual(['append', 'expungeMessages']);
    expect(bodies(world.b, 'Archive')).toEqual(bodies(world.a, 'Archive'));
    expect(bodies(world.b, 'INBOX')).toEqual(bodies(world.a, 'INBOX'));
  });

  // was red: the read phase's pairs sit idle while the other pairs are read and the account is planned; a
  // connection the server dropped meanwhile fails the first folder of the act phase (folderJobs.ts:
  // "a connection lost here fails the next phase's first command on it"), though nothing was tried.
  it('a connection B dropped while idle between the phases fails no folder: the act phase reconnects', async () => {
    const world = await syncedWorld();
    world.a.append('INBOX', [{ raw: conformanceMessage(10) }]);
    world.a.append('Work', [{ raw: conformanceMessage(11) }]);
    let dropped = false;
    // After the last read of the read phase (Work, INBOX first), before the act phase.
    world.b.afterOperation = (op, args) => {
      if (op !== 'readFolder' || args.folder !== 'Work' || dropped) return;
      dropped = true;
      world.b.dropConnections(); // e.g. a NAT or server idle timeout during a long read phase
    };
    const run = await world.sync();
    expect(dropped).toBe(true);
    expect(run.failures).toEqual([]);
    for (const f of ['INBOX', 'Work']) expect(bodies(world.b, f), f).toEqual(bodies(world.a, f));
  });

  // Checked fine on 20ca2cf (kept as regression tests).
  it('a B folder given a new UIDVALIDITY between the phases: its pair fails alone (exit 1), nothing deleted, the next run converges', async () => {
    const world = await syncedWorld({ mode: 'mirror' });
    const [first] = world.a.messages('INBOX');
    world.a.setFlags('INBOX', [first!.uid], ['\\Flagged'], []);
    world.a.expunge('Work', [world.a.messages('Work')[0]!.uid]);
    world.a.append('Work', [{ raw: conformanceMessage(12) }]);
    let reset = false;
    world.b.beforeOperation = (op) => {
      if (op !== 'openFolder' || reset) return;
      reset = true;
      world.b.resetUidValidity('INBOX'); // a B client rebuilt it after it was read
    };
    const run = await world.sync({ mode: 'mirror' });
    expect(run.failures.map((f) => `${f.folder}:${f.uid}:${f.side}`)).toEqual(['INBOX:0:B']);
    expect(run.failures[0]!.reason).toMatch(/UIDVALIDITY/);
    expect(bodies(world.b, 'INBOX')).toEqual(bodies(world.a, 'INBOX'));
    expect(bodies(world.b, 'Work')).toEqual(bodies(world.a, 'Work'));
    world.b.beforeOperation = undefined;
    const again = await world.sync({ mode: 'mirror' });
    expect(again.failures).toEqual([]);
    expect(world.b.messages('INBOX').filter((m) => m.flags.includes('\\Flagged'))).toHaveLength(1);
    expect(bodies(world.b, 'INBOX')).toEqual(bodies(world.a, 'INBOX'));
  });

  it('mail appended to and expunged from A between the phases: nothing lost, nothing twice, the next run copies the new one', async () => {
    const world = await syncedWorld();
    world.a.append('INBOX', [{ raw: conformanceMessage(20) }, { raw: conformanceMessage(21) }]);
    let changed = false;
    world.a.beforeOperation = (op) => {
      if (op !== 'openFolder' || changed) return;
      changed = true;
      const newest = world.a.messages('INBOX').at(-1)!;
      world.a.expunge('INBOX', [newest.uid]); // read, planned, then gone before its copy
      world.a.append('INBOX', [{ raw: conformanceMessage(22) }]);
    };
    const run = await world.sync();
    expect(changed).toBe(true);
    expect(run.failures).toEqual([]);
    world.a.beforeOperation = undefined;
    const again = await world.sync();
    expect(again.failures).toEqual([]);
    expect(bodies(world.b, 'INBOX')).toEqual(bodies(world.a, 'INBOX'));
  });
});

describe('connections and commits across the two phases (checked fine on 20ca2cf)', () => {
  it('--connections 4 over three pairs: the act phase reuses the read phase\'s pairs, opens none more', async () => {
    const world = newWorld();
    let connects = 0;
    world.b.beforeOperation = (op) => {
      if (op === 'connect') connects++;
    };
    const run = await world.sync({ connections: 4 });
    expect(run.failures).toEqual([]);
    expect(connects).toBe(3); // INBOX, Work, Archive: three pairs, read then act
    for (const f of ['INBOX', 'Work', 'Archive']) expect(bodies(world.b, f), f).toEqual(bodies(world.a, f));
  });

  it('B refusing a second connection: one warning, every folder synced on the first pair in both phases', async () => {
    const world = newWorld();
    let connects = 0;
    world.b.beforeOperation = (op) => {
      if (op === 'connect' && ++connects > 1) throw new StoreError('store', 'too many connections');
    };
    const run = await world.sync({ connections: 3 });
    expect(run.failures).toEqual([]);
    expect(run.warnings.filter((w) => w.includes('accepted only 1 connections'))).toHaveLength(1);
    for (const f of ['INBOX', 'Work', 'Archive']) expect(bodies(world.b, f), f).toEqual(bodies(world.a, f));
  });

  it('a commit due at every safe point (both phases, three workers): no deadlock, and the next run has nothing to do', async () => {
    const world = newWorld();
    for (const f of ['F1', 'F2', 'F3', 'F4']) {
      world.a.createFolder(f);
      world.a.append(f, Array.from({ length: 30 }, (_, n) => ({ raw: conformanceMessage(n + 40 * Number(f[1])) })));
    }
    const run = await world.sync({ connections: 3, commitIntervalMs: 0 });
    expect(run.failures).toEqual([]);
    for (const f of world.a.folderNames()) expect(bodies(world.b, f), f).toEqual(bodies(world.a, f));
    const again = await world.sync({ connections: 3, commitIntervalMs: 0 });
    expect([again.summary.copied, again.summary.foldersSkipped, again.failures]).toEqual([0, again.summary.folders, []]);
  });
});

describe('progress events (compared with dc6888a)', () => {
  // was red: dc6888a estimated from the pairs left after folder setup; planFolders.ts pairsToSync adds up
  // estimatedMessages before prepareFoldersOnB drops the pairs whose B folder could not be created.
  it("the run's first estimate leaves out the pairs whose B folder could not be created", async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    a.append('INBOX', [{ raw: conformanceMessage(1) }]);
    a.createFolder('Refused');
    a.append('Refused', [2, 3, 4].map((n) => ({ raw: conformanceMessage(n) })));
    b.beforeOperation = (op, args) => {
      if (op === 'createFolder' && args.folder === 'Refused') throw new StoreError('folder', 'CREATE refused');
    };
    const started: { folders: number; messages: number }[] = [];
    const failures: string[] = [];
    const observer: SyncObserver = {
      phase: () => undefined, folderPlanned: () => undefined, progress: () => undefined, folderFinished: () => undefined,
      wouldDo: () => undefined, warning: () => undefined, verbose: () => undefined,
      started: (e) => { started.push({ folders: e.folders, messages: e.messages }); },
      failure: (f) => { failures.push(f.folder); },
    };
    const statePath = join(tempDir('replimap-estimate-'), 'state');
    await runSync({ a: memorySpec(a, 'a'), b: memorySpec(b, 'b'), statePath, options: { ...defaultOptions, connections: 1 } }, observer);
    expect(failures).toEqual(['Refused']);
    expect(bodies(b, 'INBOX')).toEqual(bodies(a, 'INBOX'));
    expect(started).toEqual([{ folders: 1, messages: 1 }]);
  });
});

async function syncedWorld(options: Partial<SyncOptions> = {}): Promise<World> {
  const world = newWorld();
  const first = await world.sync(options);
  expect(first.failures).toEqual([]);
  for (const f of ['INBOX', 'Work']) expect(bodies(world.b, f)).toEqual(bodies(world.a, f));
  return world;
}
