import type { StoreSpec } from './spec.js';
import type { Store } from './types.js';
import { ImapStore } from './imap/ImapStore.js';
import { MemoryStore } from './memory/MemoryStore.js';
import { memoryServerNamed } from './memory/registry.js';

/** One Store per connection; `label` ("A"/"B") names it in every message. */
export function createStore(label: string, spec: StoreSpec): Store {
  switch (spec.kind) {
    case 'imap':
      return new ImapStore(label, spec);
    case 'memory': {
      // Tests only: the CLI never builds a memory spec.
      const server = memoryServerNamed(spec.name);
      if (!server) throw new Error(`no memory server registered as "${spec.name}"`);
      return new MemoryStore(label, server, spec.displayUrl);
    }
  }
}
