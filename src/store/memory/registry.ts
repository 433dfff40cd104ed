// Names under which tests register MemoryServers, so that a StoreSpec (plain
// data, as the engine receives it) can name one: { kind: 'memory', name }.

import type { MemoryServer } from './MemoryServer.js';

const servers = new Map<string, MemoryServer>();

/** Makes `server` reachable as { kind: 'memory', name }; a second call with the name replaces the first. */
export function registerMemoryServer(name: string, server: MemoryServer): void {
  servers.set(name, server);
}

export function unregisterMemoryServer(name: string): void {
  servers.delete(name);
}

/** The server registered under `name`, or undefined. */
export function memoryServerNamed(name: string): MemoryServer | undefined {
  return servers.get(name);
}
