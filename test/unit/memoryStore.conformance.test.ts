// The driver conformance suite (test/support/storeConformance.ts) on the
// in-memory store; the same cases run on real Dovecot in
// test/integration/imapStore.conformance.test.ts.

import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { MemoryStore } from '../../src/store/memory/MemoryStore.js';
import { describeStoreConformance, type StoreFixture } from '../support/storeConformance.js';

describeStoreConformance('memory', async (): Promise<StoreFixture> => {
  const server = new MemoryServer();
  return {
    async connect(label) {
      const store = new MemoryStore(label, server, 'memory://conformance');
      await store.connect();
      return store;
    },
    async seed(folder, messages) {
      if (!server.hasFolder(folder)) server.createFolder(folder);
      return server.append(folder, messages);
    },
    async setFlags(folder, uids, add, remove) {
      server.setFlags(folder, uids, add, remove);
    },
    async expunge(folder, uids) {
      server.expunge(folder, uids);
    },
    async resetUidValidity(folder) {
      server.resetUidValidity(folder);
    },
    async messages(folder) {
      return server.messages(folder);
    },
    async close() {
      server.dropConnections();
    },
    async connectLacking(operation, label) {
      const store = new MemoryStore(label, new MemoryServer({ features: { [operation]: false } }), 'memory://lacking');
      await store.connect();
      return store;
    },
  };
}, { canLack: ['copy', 'move', 'rename'] });
