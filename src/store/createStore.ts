import type { StoreSpec } from './spec.js';
import type { Store } from './types.js';
import { ImapStore } from './imap/ImapStore.js';

/** One Store per connection; `label` ("A"/"B") names it in every message. */
export function createStore(label: string, spec: StoreSpec): Store {
  switch (spec.kind) {
    case 'imap':
      return new ImapStore(label, spec);
  }
}
