// The real engine (runSync) on two in-memory accounts, end to end: copy and
// mirror compared message by message (body digest, flags, internal date), a
// restored B, and a run "killed" between any two store operations (before the
// operation, or after the server did it but before the client heard back),
// followed by a rerun: nothing lost, nothing twice.
// A kill is simulated in-process (see test/support/memoryKill.ts).

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLostError, StoreError } from '../../src/errors.js';
import { IDENTITY_RULE_VERSION } from '../../src/identityVersion.js';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import type { MemoryStoreSpec } from '../../src/store/spec.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { killedRun } from '../support/memoryKill.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { syncSpecs, tempDir, type EngineRun } from '../support/sync.js';

interface World {
  a: MemoryServer;
  b: MemoryServer;
  specs: { a: MemoryStoreSpec; b: MemoryStoreSpec };
  statePath: string;
}

afterEach(forgetMemorySpecs);

/** A with INBOX, Work (a keyword), Lists/dev and a \Sent folder; B empty but for its own \Sent folder, named otherwise. */
function newWorld(): World {
  const a = new MemoryServer({ specialUse: { Sent: '\\Sent' } });
  const b = new MemoryServer({ specialUse: { 'Sent Items': '\\Sent' }, firstUidValidity: 5000n });
  const date = (n: number): Date => new Date(Date.UTC(2022, 0, n, 10, 0, 0));
  a.append('INBOX', [1, 2, 3].map((n) => ({ raw: conformanceMessage(n), flags: n === 1 ? ['\\Seen'] : [], internalDate: date(n) })));
  for (const name of ['Work', 'Lists', 'Lists/dev']) a.createFolder(name);
  a.append('Work', [4, 5].map((n) => ({ raw: conformanceMessage(n, 50), flags: ['$Project', '\\Flagged'], internalDate: date(n) })));
  a.append('Lists/dev', [6, 7].map((n) => ({ raw: conformanceMessage(n), internalDate: date(n) })));
  a.append('Sent', [{ raw: conformanceMessage(8), flags: ['\\Seen'], internalDate: date(8) }]);
  // An exact duplicate: both copies must arrive, and only both.
  a.append('INBOX', [{ raw: conformanceMessage(1), internalDate: date(9) }]);
  return { a, b, specs: { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') }, statePath: join(tempDir('replimap-memengine-'), 'state') };
}

const PAIRS: [string, string][] = [['INBOX', 'INBOX'], ['Work', 'Work'], ['Lists/dev', 'Lists/dev'], ['Sent', 'Sent Items']];

/** One line per message: body digest, flags, internal date; sorted, so a duplicate or a loss shows. */
function contents(server: MemoryServer, folder: string): string[] {
  if (!server.hasFolder(folder)) return [`(no folder ${folder})`];
  return server.messages(folder).map((m) => `${digest(m.body)} ${m.flags.join(',')} ${m.internalDate.toISOString()}`).sort();
}

function expectBMirrorsA(world: World): void {
  for (const [nameA, nameB] of PAIRS) expect({ folder: nameB, messages: contents(world.b, nameB) }).toEqual({ folder: nameB, messages: contents(world.a, nameA) });
}

function sync(world: World, options: Partial<SyncOptions> = {}): Promise<EngineRun> {
  return syncSpecs(world.specs.a, world.specs.b, world.statePath, options);
}

describe('the engine on memory stores', () => {
  it('copies every folder to B exactly, then has nothing to do', async () => {
    const world = newWorld();
    world.a.subscribe('Work');
    const first = await sync(world);
    expect(first.failures).toEqual([]);
    expect(first.summary.copied).toBe(9);
    expectBMirrorsA(world);
    expect([world.b.isSubscribed('Work'), world.b.isSubscribed('Lists/dev')]).toEqual([true, false]);
    const second = await sync(world);
    expect([second.summary.copied, second.summary.flagsUpdated, second.failures]).toEqual([0, 0, []]);
  });

  it('copies into a server with another separator and a namespace prefix', async () => {
    const world = newWorld();
    world.b = new MemoryServer({ delimiter: '.', namespacePrefix: 'INBOX.', specialUse: { 'INBOX.Sent Items': '\\Sent' } });
    world.specs.b = memorySpec(world.b, 'b-dotted');
    const run = await sync(world);
    expect(run.failures).toEqual([]);
    expect(world.b.folderNames()).toEqual(['INBOX', 'INBOX.Lists', 'INBOX.Lists.dev', 'INBOX.Sent Items', 'INBOX.Work']);
    for (const [nameA, nameB] of [['INBOX', 'INBOX'], ['Work', 'INBOX.Work'], ['Lists/dev', 'INBOX.Lists.dev'], ['Sent', 'INBOX.Sent Items']] as const) {
      expect(contents(world.b, nameB)).toEqual(contents(world.a, nameA));
    }
  });

  it('mirror makes B follow A’s flag changes and expunges', async () => {
    const world = newWorld();
    await sync(world);
    const [first, second] = world.a.messages('INBOX');
    world.a.setFlags('INBOX', [first!.uid], ['$Later'], ['\\Seen']);
    world.a.expunge('INBOX', [second!.uid]);
    world.a.append('Work', [{ raw: conformanceMessage(10) }]);
    const run = await sync(world, { mode: 'mirror' });
    expect(run.failures).toEqual([]);
    expect([run.summary.copied, run.summary.expunged, run.summary.flagsUpdated]).toEqual([1, 1, 1]);
    expectBMirrorsA(world);
  });

  it('B restored from an older snapshot gets back what it lost, nothing twice', async () => {
    const world = newWorld();
    await sync(world);
    const backup = world.b.snapshot();
    world.a.append('INBOX', [{ raw: conformanceMessage(11) }, { raw: conformanceMessage(12) }]);
    await sync(world);
    world.b.restore(backup);
    // New mail on B takes the UIDs the restore lost.
    world.b.append('INBOX', [{ raw: conformanceMessage(13) }]);
    const run = await sync(world);
    expect(run.failures).toEqual([]);
    expect(contents(world.b, 'INBOX')).toEqual([...contents(world.a, 'INBOX'), contents(world.b, 'INBOX').find((l) => l.startsWith(digest(conformanceMessage(13))))!].sort());
  });

  describe('a run killed between two store operations, then run again, loses nothing and copies nothing twice', () => {
    for (const when of ['before', 'after'] as const) {
      it(`copy: killed ${when} each operation in turn`, async () => {
        const killedAt = await killEveryOperation(when, async () => newWorld(), {});
        expect(killedAt.length).toBeGreaterThan(20);
        expect(killedAt).toEqual(expect.arrayContaining(['B append', 'A fetchBodies', 'B readFolder', 'A listFolders', 'B createFolder']));
      });

      it(`mirror, after changes on A: killed ${when} each operation in turn`, async () => {
        const killedAt = await killEveryOperation(when, changedSinceFirstSync, { mode: 'mirror' });
        expect(killedAt).toEqual(expect.arrayContaining(['B append', 'B addFlags', 'B removeFlags', 'B expungeMessages']));
      });
    }
  });
});

/** A world synced once (mirror), then changed on A: a flag added and one removed, an expunge, a new message. */
async function changedSinceFirstSync(): Promise<World> {
  const world = newWorld();
  await sync(world, { mode: 'mirror' });
  const [first, second, third] = world.a.messages('INBOX');
  world.a.setFlags('INBOX', [first!.uid], ['$Later'], ['\\Seen']);
  world.a.setFlags('INBOX', [third!.uid], ['\\Answered'], []);
  world.a.expunge('INBOX', [second!.uid]);
  world.a.append('Work', [{ raw: conformanceMessage(10) }]);
  return world;
}

/**
 * For k = 1, 2, ...: a fresh world, a run killed at its k-th store operation,
 * a rerun that must leave B equal to A with no failure, and a third run with
 * nothing to copy; until a run has fewer than k operations. The operations killed.
 */
async function killEveryOperation(when: 'before' | 'after', setup: () => Promise<World>, options: Partial<SyncOptions>): Promise<string[]> {
  const killedAt: string[] = [];
  for (let k = 1; ; k++) {
    const world = await setup();
    const outcome = await killedRun(world, world.statePath, when, k, () => sync(world, options));
    if (!('killed' in outcome)) return killedAt;
    const killed = outcome.killed;
    killedAt.push(killed);
    const rerun = await sync(world, options);
    const where = `killed ${when} operation ${k} (${killed})`;
    expect(rerun.failures, where).toEqual([]);
    for (const [nameA, nameB] of PAIRS) expect(contents(world.b, nameB), `${where}: ${nameB}`).toEqual(contents(world.a, nameA));
    expect((await sync(world, options)).summary.copied, where).toBe(0);
  }
}

// Second hostile review of issue 6: a new UIDVALIDITY on B voids B's UIDs; the held B-only records
// (what A lost in a rollback) must keep their marks through the re-matching by global id.
describe('a state of another identity rule', () => {
  it('is verified pair by pair under the current rule, records re-keyed, nothing copied or reused, then recorded as current', async () => {
    const world = newWorld();
    await sync(world);
    // As if another rule had computed the ids: every record gets an id no message has now.
    const text = readFileSync(world.statePath, 'utf8');
    expect(text).toMatch(new RegExp(`^identity ${IDENTITY_RULE_VERSION}$`, 'm'));
    const other = text
      .replace(/^identity \d+$/m, `identity ${IDENTITY_RULE_VERSION + 1}`)
      .replace(/^(\d+ \d+ )(\S+)/gm, (_, uids: string, gid: string) => `${uids}${gid.slice(0, -4)}ZZZZ`);
    writeFileSync(world.statePath, other);
    const reads: boolean[] = [];
    world.a.beforeOperation = (op) => {
      if (op === 'readFolder') reads.push(true);
    };
    const again = await sync(world);
    world.a.beforeOperation = undefined;
    expect(again.summary.warnings).toEqual([expect.stringMatching(/identity rule .* re-verified/)]);
    expect(again.summary.foldersSkipped).toBe(0); // every pair read, none skipped as unchanged
    expect(reads).toHaveLength(again.summary.folders);
    expect(again.summary).toMatchObject({ copied: 0, expunged: 0, failed: [] });
    expectBMirrorsA(world);
    const after = readFileSync(world.statePath, 'utf8');
    expect(after).toMatch(new RegExp(`^identity ${IDENTITY_RULE_VERSION}$`, 'm'));
    expect(after).not.toMatch(/ZZZZ/);
    const third = await sync(world);
    expect(third.summary.foldersSkipped).toBe(third.summary.folders);
    expect(third.summary.warnings).toEqual([]);
  });
});

describe('a copy B refuses', () => {
  it('is recorded pending (one-sided, %status:pending) and listed; the next run copies it and the record is synced', async () => {
    const world = newWorld();
    world.b.beforeOperation = (op, args) => {
      if (op === 'appendMessage' && args.folder === 'Work' && args.index === 0) throw new StoreError('message', 'NO [OVERQUOTA] quota exceeded');
    };
    const first = await sync(world);
    world.b.beforeOperation = undefined;
    expect(first.summary.failed).toEqual([expect.objectContaining({ folder: 'Work', side: 'A', reason: expect.stringMatching(/OVERQUOTA/) })]);
    const pendingLines = readFileSync(world.statePath, 'utf8').split('\n').filter((l) => l.includes('%status:pending'));
    expect(pendingLines).toHaveLength(1);
    expect(pendingLines[0]).toMatch(/^\d+ 0 /); // one-sided: on A, not (yet) on B
    const second = await sync(world);
    expect(second.summary).toMatchObject({ copied: 1, failed: [] });
    expectBMirrorsA(world);
    expect(readFileSync(world.statePath, 'utf8')).not.toMatch(/%status:/);
  });
});

describe('held records (what A lost in a rollback) × a new UIDVALIDITY on B', () => {
  it('B rebuilt with a new UIDVALIDITY: the messages only B still has (held) are not deleted without --force', async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
    const statePath = join(tempDir('replimap-held-uv-'), 'state');
    const run = (force = false) => syncSpecs(specs.a, specs.b, statePath, { mode: 'mirror', force });
    const bodies = (): string[] => b.messages('INBOX').map((m) => digest(m.body)).sort();
    const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

    a.append('INBOX', range(1, 50).map((n) => ({ raw: conformanceMessage(n) })));
    await run();
    const backup = a.snapshot();
    a.append('INBOX', range(51, 65).map((n) => ({ raw: conformanceMessage(n) })));
    await run();
    a.restore(backup); // A goes back in time: it lost 51..65; B holds their only copies
    a.append('INBOX', range(101, 120).map((n) => ({ raw: conformanceMessage(n) })));
    const lost = range(51, 65).map((n) => digest(conformanceMessage(n)));

    const first = await run();
    expect(first.summary.deletionsWithheld).toBe(15);
    expect(bodies()).toEqual(expect.arrayContaining(lost));

    // B's folder is rebuilt (new UIDVALIDITY, same messages): the held marks are on B-only records.
    b.resetUidValidity('INBOX');
    const rebuilt = await run();
    expect(bodies()).toEqual(expect.arrayContaining(lost));
    expect(rebuilt.summary.expunged).toBe(0);
    expect(rebuilt.summary.deletionsWithheld).toBe(15);
    const again = await run();
    expect(again.summary.deletionsWithheld).toBe(15);
    const forced = await run(true);
    expect(forced.summary.expunged).toBe(15);
    expect(bodies().filter((d) => lost.includes(d))).toEqual([]);
  });
});

// From the second hostile review: as Dovecot does for a message file shorter than its recorded size,
// A closes the connection in the body FETCH of one message of each of three folders in a row.
describe('a message whose FETCH costs the connection', () => {
  it('folders D1..D3 each hold one message A drops the connection on: the folders after them are still synced', async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
    const statePath = join(tempDir('replimap-fetchloss-'), 'state');
    const folders = ['D1', 'D2', 'D3', 'E1', 'E2'];
    for (const [i, f] of folders.entries()) {
      a.createFolder(f);
      a.append(f, [1, 2, 3].map((n) => ({ raw: conformanceMessage(i * 100 + n) })));
    }
    // Every body FETCH in a D folder costs the connection, whatever it asks for.
    let openOnA = '';
    a.beforeOperation = (op, args) => {
      if ((op === 'readFolder' || op === 'openFolder') && args.label === 'A') openOnA = args.folder ?? '';
      if (op === 'fetchBodies' && args.label === 'A' && openOnA.startsWith('D')) {
        a.dropConnections();
        throw new ConnectionLostError('A', `connection lost during UID FETCH in "${openOnA}"`);
      }
    };
    const run = await syncSpecs(specs.a, specs.b, statePath, { connections: 1 });
    const onB = (f: string): string[] => (b.hasFolder(f) ? b.messages(f).map((m) => digest(m.body)).sort() : []);
    expect({ E1: onB('E1'), E2: onB('E2') }).toEqual({ E1: a.messages('E1').map((m) => digest(m.body)).sort(), E2: a.messages('E2').map((m) => digest(m.body)).sort() });
    // Each message of D1..D3 is listed alone (side A), and tried again next run.
    const listed = run.summary.failed.map((f) => `${f.folder}:${f.uid}:${f.side}`).sort();
    expect(listed).toEqual(['D1', 'D2', 'D3'].flatMap((f) => [1, 2, 3].map((uid) => `${f}:${uid}:A`)));
    for (const f of run.summary.failed) expect(f.reason).toMatch(/closed the connection when asked for this message's body/);
    a.beforeOperation = undefined;
    const rerun = await syncSpecs(specs.a, specs.b, statePath, { connections: 1 });
    expect(rerun.summary.failed).toEqual([]);
    for (const f of ['D1', 'D2', 'D3']) expect(onB(f), f).toEqual(a.messages(f).map((m) => digest(m.body)).sort());
  });

  it('a server that drops every body FETCH is down, not one message: past the bound the loss ends the run (exit 3)', async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    for (const [i, f] of ['F1', 'F2', 'F3', 'F4'].entries()) {
      a.createFolder(f);
      a.append(f, Array.from({ length: 10 }, (_, n) => ({ raw: conformanceMessage(i * 100 + n + 1) })));
    }
    a.beforeOperation = (op, args) => {
      if (op !== 'fetchBodies' || args.label !== 'A') return;
      a.dropConnections();
      throw new ConnectionLostError('A', 'connection lost during UID FETCH');
    };
    const statePath = join(tempDir('replimap-fetchdead-'), 'state');
    const error = await syncSpecs(memorySpec(a, 'a'), memorySpec(b, 'b'), statePath, { connections: 1 }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as ConnectionLostError).exitCode).toBe(3);
  });
});


describe('the dry run says why', () => {
  it('mirror: each copy, flag change and deletion it would make comes with its reason', async () => {
    const world = newWorld();
    await sync(world, { mode: 'mirror' });
    const inbox = world.a.messages('INBOX');
    world.a.setFlags('INBOX', [inbox[1]!.uid], ['\\Flagged'], []);
    world.a.expunge('INBOX', [inbox[2]!.uid]);
    world.a.append('INBOX', [{ raw: conformanceMessage(10) }]);
    const newUid = world.a.messages('INBOX').at(-1)!.uid;
    const run = await sync(world, { mode: 'mirror', dryRun: true });
    expect(run.verbose).toContainEqual(expect.stringMatching(new RegExp(`^INBOX: would copy A UID ${newUid} \\(\\d+ bytes\\) to B: new on A$`)));
    expect(run.verbose).toContainEqual(expect.stringMatching(/^INBOX: would set B UID \d+ \+\\Flagged: flags changed on A: \+\\Flagged$/));
    expect(run.wouldDo).toContainEqual(expect.stringMatching(/^INBOX: delete B UID \d+ \(global id \S+\) from B INBOX: mirror: A deleted it$/));
  });
});
