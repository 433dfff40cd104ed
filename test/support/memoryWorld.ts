// A small account on two memory servers for engine tests: A with INBOX (3
// messages), Work (2) and Archive (empty); B empty. `sync` runs the real
// engine with one connection pair and the given defaults.

import { join } from 'node:path';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
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

export function memoryWorld(defaults: Partial<SyncOptions> = {}): MemoryWorld {
  const a = new MemoryServer();
  const b = new MemoryServer({ firstUidValidity: 5000n });
  a.append('INBOX', [1, 2, 3].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Work');
  a.append('Work', [4, 5].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Archive');
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-world-'), 'state');
  return { a, b, statePath, sync: (options = {}) => syncSpecs(specs.a, specs.b, statePath, { connections: 1, ...defaults, ...options }) };
}

/** Body digests of a folder, sorted (a loss or a duplicate shows). */
export function bodies(server: MemoryServer, folder: string): string[] {
  return server.hasFolder(folder) ? server.messages(folder).map((m) => digest(m.body)).sort() : [];
}

/** Body digests of every folder, sorted. */
export function everyBody(server: MemoryServer): string[] {
  return server.folderNames().flatMap((f) => bodies(server, f)).sort();
}
