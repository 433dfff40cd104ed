// --max-size, --min-size, --since, --before on the real engine with memory
// stores: what the filter holds back is recorded as deferred (with its size),
// asked of the store by one search per folder side, never deleted because of,
// and copied by a later run whose filter lets it through, also when the folder
// is otherwise unchanged.

import { afterEach, describe, expect, it } from 'vitest';
import { deferredReport } from '../../src/cli/statusCommand.js';
import { SyncState } from '../../src/state/SyncState.js';
import { MemoryServer, type MemoryOperation } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { serverPair, type ServerPair } from '../support/memoryWorld.js';
import { syncSpecs, type EngineRun } from '../support/sync.js';

afterEach(forgetMemorySpecs);

type World = ServerPair;

const day = (n: number): Date => new Date(Date.UTC(2026, 0, n, 10, 0, 0));
/** Message n with about `lines` × 30 bytes of body. */
const message = (n: number, lines: number, date = day(n)): { raw: Buffer; internalDate: Date } => ({ raw: conformanceMessage(n, lines), internalDate: date });

/** A: INBOX with three small (≈400 B) and two big (≈30 kB) messages, Archive with one of each; B empty. */
function newWorld(): World {
  const world = serverPair();
  world.a.append('INBOX', [message(1, 3), message(2, 1000), message(3, 3), message(4, 1000), message(5, 3)]);
  world.a.createFolder('Archive');
  world.a.append('Archive', [message(6, 3), message(7, 1000)]);
  return world;
}

function contents(server: MemoryServer, folder: string): string[] {
  if (!server.hasFolder(folder)) return [];
  return server.messages(folder).map((m) => `${digest(m.body)} ${m.internalDate.toISOString()}`).sort();
}

/** A's messages of `folder` the predicate keeps, as contents() shows them. */
function contentsWhere(server: MemoryServer, folder: string, keep: (size: number, date: Date) => boolean): string[] {
  return server.messages(folder).filter((m) => keep(m.body.length, m.internalDate)).map((m) => `${digest(m.body)} ${m.internalDate.toISOString()}`).sort();
}

function sync(world: World, options: Partial<SyncOptions> = {}): Promise<EngineRun> {
  return syncSpecs(world.specs.a, world.specs.b, world.statePath, options);
}

async function report(world: World): Promise<ReturnType<typeof deferredReport>> {
  const state = await SyncState.open(world.statePath, { storeA: world.specs.a.displayUrl, storeB: world.specs.b.displayUrl }, { readOnly: true });
  return deferredReport(state);
}

/** Counts the operations of one kind on a server, by folder of the connection. */
function countOperations(server: MemoryServer, op: MemoryOperation): { count: number } {
  const seen = { count: 0 };
  server.beforeOperation = (o) => {
    if (o === op) seen.count++;
  };
  return seen;
}

const LIMIT = 10_000;
const small = (size: number): boolean => size <= LIMIT;

describe('message filters on the engine', () => {
  it('defers what --max-size holds back, then copies it once the filter is gone, even from an unchanged folder', async () => {
    const world = newWorld();
    const big = world.a.messages('INBOX').filter((m) => m.body.length > LIMIT).concat(world.a.messages('Archive').filter((m) => m.body.length > LIMIT));
    const searches = countOperations(world.a, 'searchHeldBack');
    const first = await sync(world, { messageFilter: { maxSize: LIMIT } });
    expect(first.failures).toEqual([]);
    expect(searches.count).toBe(2); // one per folder of A, the side copies come from
    expect(first.summary.copied).toBe(4);
    expect([first.summary.deferred, first.summary.deferredBytes]).toEqual([3, big.reduce((sum, m) => sum + m.body.length, 0)]);
    expect(first.summary.skipped).toBe(0);
    for (const folder of ['INBOX', 'Archive']) expect(contents(world.b, folder)).toEqual(contentsWhere(world.a, folder, small));

    const status = await report(world);
    expect(status.total).toEqual({ deferred: 3, bytes: first.summary.deferredBytes });
    expect(status.folders.map((f) => [f.folder, f.deferred])).toEqual([['Archive', 1], ['INBOX', 2]]);
    expect(status.filter).toBe(`max-size=${LIMIT}`);

    // The same filter: nothing changed, both folders skipped, nothing copied, the same deferred.
    searches.count = 0;
    const same = await sync(world, { messageFilter: { maxSize: LIMIT } });
    expect([same.summary.foldersSkipped, same.summary.copied, searches.count]).toEqual([2, 0, 0]);
    expect((await report(world)).total.deferred).toBe(3);

    // No filter: the folders changed nowhere, but hold deferred messages: read, and those copied.
    const loose = await sync(world);
    expect(loose.failures).toEqual([]);
    expect([loose.summary.foldersSkipped, loose.summary.copied, loose.summary.deferred]).toEqual([0, 3, 0]);
    for (const folder of ['INBOX', 'Archive']) expect(contents(world.b, folder)).toEqual(contents(world.a, folder));
    expect((await report(world)).total).toEqual({ deferred: 0, bytes: 0 });
    const settled = await sync(world);
    expect([settled.summary.foldersSkipped, settled.summary.copied]).toEqual([2, 0]);
  });

  it('copies what a looser filter lets through and keeps the rest deferred', async () => {
    const world = newWorld();
    world.a.append('INBOX', [message(8, 200)]); // ≈6 kB
    await sync(world, { messageFilter: { maxSize: 1000 } });
    expect((await report(world)).total.deferred).toBe(4);
    const looser = await sync(world, { messageFilter: { maxSize: LIMIT } });
    expect([looser.summary.copied, looser.summary.deferred]).toEqual([1, 3]);
    expect(contents(world.b, 'INBOX')).toEqual(contentsWhere(world.a, 'INBOX', small));
  });

  it('holds back by INTERNALDATE with --since and --before (days, as IMAP SEARCH compares them)', async () => {
    const world = newWorld();
    const run = await sync(world, { messageFilter: { since: '2026-01-02', before: '2026-01-05' } });
    expect(run.failures).toEqual([]);
    const inRange = (_size: number, date: Date): boolean => date >= day(2) && date < new Date(Date.UTC(2026, 0, 5));
    expect(contents(world.b, 'INBOX')).toEqual(contentsWhere(world.a, 'INBOX', inRange));
    expect(contents(world.b, 'Archive')).toEqual([]);
    expect(run.summary.deferred).toBe(4); // INBOX 1 and 5, Archive 6 and 7
    const minSize = await sync(world, { messageFilter: { minSize: LIMIT } });
    // Only what is big and still deferred: INBOX 4 and 2 were copied by the date filter already.
    expect([minSize.summary.copied, minSize.summary.deferred]).toEqual([1, 3]);
  });

  it('mirror: a deferred message deletes nothing on B, pairs with the copy B already has, and is dropped when A expunges it', async () => {
    const world = newWorld();
    // B already holds one of the big messages (an earlier copy by another tool).
    world.b.append('INBOX', [message(2, 1000)]);
    const first = await sync(world, { mode: 'mirror', messageFilter: { maxSize: LIMIT } });
    expect(first.failures).toEqual([]);
    expect([first.summary.expunged, first.summary.deletionsWithheld, first.summary.withheld]).toEqual([0, 0, []]);
    expect(first.summary.deferred).toBe(2); // INBOX 4 and Archive 7; INBOX 2 pairs with B's copy
    expect(contents(world.b, 'INBOX')).toEqual(contentsWhere(world.a, 'INBOX', (size, date) => small(size) || date.getTime() === day(2).getTime()));
    // A expunges a deferred message: nothing to delete on B, its record goes.
    const uid4 = world.a.messages('INBOX').find((m) => m.internalDate.getTime() === day(4).getTime())!.uid;
    world.a.expunge('INBOX', [uid4]);
    const second = await sync(world, { mode: 'mirror', messageFilter: { maxSize: LIMIT } });
    // Still deferred: Archive's (read again once after a mirror run wrote to B).
    expect([second.summary.expunged, second.summary.deferred, second.failures]).toEqual([0, 1, []]);
    expect((await report(world)).total.deferred).toBe(1);
    const loose = await sync(world, { mode: 'mirror' });
    expect(loose.failures).toEqual([]);
    for (const folder of ['INBOX', 'Archive']) expect(contents(world.b, folder)).toEqual(contents(world.a, folder));
  });

  it('mirror: a message A moved into a folder where the filter holds it back stays in B\'s old folder until it can be copied', async () => {
    const world = newWorld();
    expect((await sync(world, { mode: 'mirror' })).failures).toEqual([]);
    // Another client moves a big and a small message from INBOX to Archive on A.
    const moving = world.a.messages('INBOX').filter((m) => [day(2), day(3)].some((d) => d.getTime() === m.internalDate.getTime()));
    world.a.append('Archive', moving.map((m) => ({ raw: m.body, internalDate: m.internalDate })));
    world.a.expunge('INBOX', moving.map((m) => m.uid));
    const filtered = await sync(world, { mode: 'mirror', messageFilter: { maxSize: LIMIT } });
    expect(filtered.failures).toEqual([]);
    expect([filtered.summary.deferred, filtered.summary.transferred, filtered.summary.expunged, filtered.summary.withheld]).toEqual([1, 1, 0, []]);
    const big = moving.find((m) => m.body.length > LIMIT)!;
    // The small one moved on B too; the big one is still in B's INBOX, not deleted while its copy waits.
    expect(contents(world.b, 'INBOX')).toEqual([...contents(world.a, 'INBOX'), `${digest(big.body)} ${big.internalDate.toISOString()}`].sort());
    const loose = await sync(world, { mode: 'mirror' });
    expect(loose.failures).toEqual([]);
    for (const folder of ['INBOX', 'Archive']) expect(contents(world.b, folder)).toEqual(contents(world.a, folder));
  });

  it('two-way: each side defers its own big messages, and both get them once the filter is gone', async () => {
    const world = newWorld();
    world.b.append('INBOX', [message(20, 3), message(21, 1000)]);
    const searchesB = countOperations(world.b, 'searchHeldBack');
    const first = await sync(world, { mode: 'two-way', messageFilter: { maxSize: LIMIT } });
    expect(first.failures).toEqual([]);
    expect(searchesB.count).toBe(2); // one per folder of B: two-way copies from both sides
    expect([first.summary.deferred, first.summary.expunged]).toEqual([4, 0]);
    // B's small message reached A, its big one did not.
    expect(contents(world.a, 'INBOX')).toEqual(expect.arrayContaining(contentsWhere(world.b, 'INBOX', small)));
    expect(contents(world.a, 'INBOX')).toHaveLength(6);
    const loose = await sync(world, { mode: 'two-way' });
    expect(loose.failures).toEqual([]);
    expect(loose.summary.deferred).toBe(0);
    for (const folder of ['INBOX', 'Archive']) expect(contents(world.b, folder)).toEqual(contents(world.a, folder));
    expect(contents(world.a, 'INBOX')).toHaveLength(7);
  });

  it('a run over some folders only does not record its filter: a later run still reads the folders deferred under the old one', async () => {
    const world = newWorld();
    await sync(world, { messageFilter: { maxSize: LIMIT } });
    const partial = await sync(world, { filter: { include: ['INBOX'], exclude: [] } });
    expect(partial.summary.copied).toBe(2);
    const rest = await sync(world);
    expect(rest.summary.copied).toBe(1);
    for (const folder of ['INBOX', 'Archive']) expect(contents(world.b, folder)).toEqual(contents(world.a, folder));
  });

  it('a dry run with a filter says what it would defer and records nothing', async () => {
    const world = newWorld();
    const dry = await sync(world, { dryRun: true, messageFilter: { maxSize: LIMIT } });
    expect([dry.summary.copied, dry.summary.deferred]).toEqual([4, 3]);
    const heldBack = dry.wouldDo.filter((t) => t.includes('would hold back'));
    expect(heldBack).toHaveLength(2);
    expect(heldBack).toEqual(expect.arrayContaining([
      expect.stringMatching(/^INBOX: would hold back 2 messages \(\d+ bytes\) of A: the message filter defers them$/),
      expect.stringMatching(/^Archive: would hold back 1 messages/),
    ]));
    expect(world.b.folderNames()).toEqual(['INBOX']);
  });
});
