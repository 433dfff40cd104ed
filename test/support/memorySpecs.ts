// Store specs naming in-memory servers, as the engine receives them: each
// server is registered under a fresh name, forgotten after the test.

import type { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { registerMemoryServer, unregisterMemoryServer } from '../../src/store/memory/registry.js';
import type { MemoryStoreSpec } from '../../src/store/spec.js';

let servers = 0;
const registered: string[] = [];

/** Registers `server` under a fresh name ending in `label` and returns the spec naming it. */
export function memorySpec(server: MemoryServer, label: string): MemoryStoreSpec {
  const name = `memory-${++servers}-${label}`;
  registerMemoryServer(name, server);
  registered.push(name);
  return { kind: 'memory', name, displayUrl: `memory://${name}` };
}

/** Unregisters every server memorySpec registered (call it in afterEach). */
export function forgetMemorySpecs(): void {
  for (const name of registered.splice(0)) unregisterMemoryServer(name);
}
