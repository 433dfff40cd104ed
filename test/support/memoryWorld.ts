// A small account on two memory servers for engine tests: A with INBOX (3
// messages), Work (2) and Archive (empty); B empty (with `bOptions`, e.g.
// without server-side copy and move; A with `aOptions`). `sync` runs the real engine with one
// connection pair and the given defaults.

import { join } from 'node:path';
import { expect } from 'vitest';
import { MemoryServer, type MemoryOperation, type MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { memorySpec } from './memorySpecs.js';
import { conformanceMessage, digest } from './storeConformance.js';
import type { MemoryStoreSpec } from '../../src/store/spec.js';
import { syncSpecs, tempDir, type EngineRun } from './sync.js';

export interface MemoryWorld {
  a: MemoryServer;
  b: MemoryServer;
  statePath: string;
  sync: (options?: Partial<SyncOptions>) => Promise<EngineRun>;
}

export function memoryWorld(defaults: Partial<SyncOptions> = {}, bOptions: MemoryServerOptions = {}, aOptions: MemoryServerOptions = {}): MemoryWorld {
  const a = new MemoryServer(aOptions);
  const b = new MemoryServer({ firstUidValidity: 5000n, ...bOptions });
  a.append('INBOX', [1, 2, 3].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Work');
  a.append('Work', [4, 5].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Archive');
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-world-'), 'state');
  return { a, b, statePath, sync: (options = {}) => syncSpecs(specs.a, specs.b, statePath, { connections: 1, ...defaults, ...options }) };
}

/** Two memory servers as the engine is given them, and a fresh state path: for tests that seed A themselves. */
export interface ServerPair {
  a: MemoryServer;
  b: MemoryServer;
  specs: { a: MemoryStoreSpec; b: MemoryStoreSpec };
  statePath: string;
}

/** A server pair (B's UIDVALIDITY apart from A's, so that a mix-up shows). */
export function serverPair(a = new MemoryServer(), b = new MemoryServer({ firstUidValidity: 7000n })): ServerPair {
  return { a, b, specs: { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') }, statePath: join(tempDir('replimap-pair-'), 'state') };
}

/** The world plus Projects (2 messages) and Projects/2025 (3) on A, synced twice (the second run copies nothing). */
export async function withProjectsSynced(world: MemoryWorld): Promise<MemoryWorld> {
  world.a.createFolder('Projects');
  world.a.append('Projects', [10, 11].map((n) => ({ raw: conformanceMessage(n) })));
  world.a.createFolder('Projects/2025');
  world.a.append('Projects/2025', [12, 13, 14].map((n) => ({ raw: conformanceMessage(n) })));
  expect((await world.sync()).failures).toEqual([]);
  const second = await world.sync();
  expect([second.failures, second.summary.copied]).toEqual([[], 0]);
  return world;
}

/** One store operation a server was asked for: by which side, and on which folder when it names one. */
export interface SeenOperation {
  label: 'A' | 'B';
  op: MemoryOperation;
  folder?: string;
}

/** Every store operation the two servers were asked for during `work` (done, not refused), in order. */
export async function operationsDuring<T>(world: MemoryWorld, work: () => Promise<T>): Promise<{ result: T; ops: SeenOperation[] }> {
  const ops: SeenOperation[] = [];
  const hook = (label: 'A' | 'B') => (op: MemoryOperation, args: { folder?: string }): void => void ops.push({ label, op, ...(args.folder !== undefined && { folder: args.folder }) });
  world.a.afterOperation = hook('A');
  world.b.afterOperation = hook('B');
  try {
    return { result: await work(), ops };
  } finally {
    world.a.afterOperation = undefined;
    world.b.afterOperation = undefined;
  }
}

/** B server options of a B that can neither copy nor move on the server: moves between folders are appends and expunges. */
export const APPENDS_ONLY: MemoryServerOptions = { features: { copy: false, move: false } };

/** Body digests of a folder, sorted (a loss or a duplicate shows). */
export function bodies(server: MemoryServer, folder: string): string[] {
  return server.hasFolder(folder) ? server.messages(folder).map((m) => digest(m.body)).sort() : [];
}

/** Body digests of every folder, sorted. */
export function everyBody(server: MemoryServer): string[] {
  return server.folderNames().flatMap((f) => bodies(server, f)).sort();
}

/** Per folder, each message as "digest flags", sorted: equal maps mean the same mail with the same flags (a duplicate shows). */
export function folderContents(server: MemoryServer): Record<string, string[]> {
  return Object.fromEntries(server.folderNames().map((f) => [f, server.messages(f).map((m) => `${digest(m.body)} ${m.flags.join(',')}`).sort()]));
}

/** Records every store operation of the world's next runs, "A fetchBodies", "B moveMessages Archive", ... */
export function recordOps(world: MemoryWorld): string[] {
  const ops: string[] = [];
  const note = (server: MemoryServer, label: string): void => {
    server.afterOperation = (op: MemoryOperation, args) => void ops.push(`${label} ${op}${args.target ? ` ${args.target}` : ''}`);
  };
  note(world.a, 'A');
  note(world.b, 'B');
  return ops;
}
