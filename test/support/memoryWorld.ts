// A small account on two memory servers for engine tests: A with INBOX (3
// messages), Work (2) and Archive (empty); B empty (with `bOptions`, e.g.
// without server-side copy and move). `sync` runs the real engine with one
// connection pair and the given defaults.

import { join } from 'node:path';
import { MemoryServer, type MemoryOperation, type MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { memorySpec } from './memorySpecs.js';
import { conformanceMessage, digest } from './storeConformance.js';
import { syncSpecs, tempDir, type EngineRun } from './sync.js';

export interface MemoryWorld {
  a: MemoryServer;
  b: MemoryServer;
  statePath: string;
  sync: (options?: Partial<SyncOptions>) => Promise<EngineRun>;
}

export function memoryWorld(defaults: Partial<SyncOptions> = {}, bOptions: MemoryServerOptions = {}): MemoryWorld {
  const a = new MemoryServer();
  const b = new MemoryServer({ firstUidValidity: 5000n, ...bOptions });
  a.append('INBOX', [1, 2, 3].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Work');
  a.append('Work', [4, 5].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Archive');
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-world-'), 'state');
  return { a, b, statePath, sync: (options = {}) => syncSpecs(specs.a, specs.b, statePath, { connections: 1, ...defaults, ...options }) };
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
