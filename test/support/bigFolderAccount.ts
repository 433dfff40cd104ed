// An account whose one folder (Big) holds most of its mail: A has INBOX with
// 2 messages and Big with 12, B starts empty. For the guard's "one big folder
// lost" cases (mirror --delete-folders, two-way), on memory stores.

import { join } from 'node:path';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { memorySpec } from './memorySpecs.js';
import { conformanceMessage } from './storeConformance.js';
import { syncSpecs, tempDir, type EngineRun } from './sync.js';

export function bigFolderAccount(options: Partial<SyncOptions>): {
  a: MemoryServer;
  b: MemoryServer;
  /** Big's bodies. */
  big: Buffer[];
  sync: (force?: boolean) => Promise<EngineRun>;
} {
  const a = new MemoryServer();
  const b = new MemoryServer({ firstUidValidity: 5000n });
  a.append('INBOX', [1, 2].map((n) => ({ raw: conformanceMessage(n) })));
  a.createFolder('Big');
  const big = Array.from({ length: 12 }, (_, i) => conformanceMessage(i + 3));
  a.append('Big', big.map((raw) => ({ raw })));
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-big-folder-'), 'state');
  const sync = (force = false): Promise<EngineRun> => syncSpecs(specs.a, specs.b, statePath, { connections: 1, ...options, force });
  return { a, b, big, sync };
}
