// The world of the --placeholders tests on memory stores (test/unit/placeholders*.test.ts):
// A's INBOX with a big message among small ones, B empty, runs with --max-size and --placeholders.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import { MemoryServer, type MemoryMessage } from '../../src/store/memory/MemoryServer.js';
import type { SyncMode, SyncOptions } from '../../src/sync/types.js';
import { STAND_IN_HEADER } from '../../src/sync/standIn.js';
import { memorySpec } from './memorySpecs.js';
import { withOriginalHeaders } from './standInHeaders.js';
import { conformanceMessage, digest } from './storeConformance.js';
import { syncSpecs, tempDir, type EngineRun } from './sync.js';

export const LIMIT = 10_000;
export const BIG = 2; // message 2 is ≈30 kB, the others ≈100 B

export interface World {
  a: MemoryServer;
  b: MemoryServer;
  statePath: string;
  urls: { storeA: string; storeB: string };
  sync: (options?: Partial<SyncOptions>) => Promise<EngineRun>;
}

/** A: INBOX with messages 1 and 3 small, 2 big (with To, Cc, an X- field and MIME fields); B empty. Runs use --max-size 10k --placeholders in `mode` unless told otherwise. */
export function newWorld(mode: SyncMode): World {
  const a = new MemoryServer();
  const b = new MemoryServer({ firstUidValidity: 7000n });
  const raw = (n: number): Buffer => (n === BIG ? withOriginalHeaders(conformanceMessage(n, 1000)) : conformanceMessage(n, 3));
  a.append('INBOX', [1, BIG, 3].map((n) => ({ raw: raw(n), internalDate: new Date(Date.UTC(2026, 0, n)) })));
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-placeholders-'), 'state');
  const defaults: Partial<SyncOptions> = { mode, connections: 1, messageFilter: { maxSize: LIMIT }, placeholders: true };
  return { a, b, statePath, urls: { storeA: specs.a.displayUrl, storeB: specs.b.displayUrl }, sync: (options = {}) => syncSpecs(specs.a, specs.b, statePath, { ...defaults, ...options }) };
}

/**
 * A goes back in time past a second big message: synced once, A's INBOX
 * saved, a second big message (two stand-ins on B then), A put back as saved.
 */
export async function restoredPastABigOne(world: World): Promise<void> {
  expect((await world.sync()).failures).toEqual([]);
  const backup = world.a.snapshot();
  world.a.append('INBOX', [{ raw: conformanceMessage(40, 1000) }]);
  expect((await world.sync()).failures).toEqual([]);
  expect(standIns(world.b)).toHaveLength(2);
  world.a.restore(backup);
}

/** The state file and its journal deleted (a lost state). */
export function loseState(world: Pick<World, 'statePath'>): void {
  for (const suffix of ['', '.journal']) rmSync(world.statePath + suffix, { force: true });
}

export const header = (m: MemoryMessage, name: string): string | undefined =>
  new RegExp(`^${name}: *(.*(?:\\r\\n[ \\t].*)*)$`, 'imu').exec(m.body.toString('utf8').split('\r\n\r\n')[0]!)?.[1];
export const isStandIn = (m: MemoryMessage): boolean => header(m, STAND_IN_HEADER) !== undefined;
export const big = (server: MemoryServer): MemoryMessage => server.messages('INBOX').find((m) => m.body.length > LIMIT)!;
export const standIns = (server: MemoryServer): MemoryMessage[] => server.messages('INBOX').filter(isStandIn);
/** Digests of a side's real messages (stand-ins left out), sorted. */
export const realBodies = (server: MemoryServer): string[] => server.messages('INBOX').filter((m) => !isStandIn(m)).map((m) => digest(m.body)).sort();

export async function records(world: World): Promise<string[]> {
  const state = await SyncState.open(world.statePath, world.urls, { readOnly: true });
  try {
    return (state.folder('INBOX', 'INBOX')?.records() ?? []).map((r) => `${r.uidA} ${r.uidB}${r.standIn ? ` stand-in:${r.standIn}` : ''}${r.status ? ` ${r.status}` : ''}`).sort();
  } finally {
    await state.close();
  }
}

/** A settled world: a second run has nothing to do. */
export async function expectSettled(world: World): Promise<void> {
  const again = await world.sync();
  expect(again.failures).toEqual([]);
  expect(again.summary.copied + again.summary.expunged + again.summary.flagsUpdated).toBe(0);
}
