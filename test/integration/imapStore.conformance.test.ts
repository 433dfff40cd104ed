// The driver conformance suite (test/support/storeConformance.ts) on the IMAP
// driver against real Dovecot; the same cases run on the in-memory store in
// test/unit/memoryStore.conformance.test.ts. Seeding and reading back go
// through imapflow directly (test/support/imap.ts) and doveadm.

import { ImapStore } from '../../src/store/imap/ImapStore.js';
import { DOVECOT_CAPABILITIES, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { describeStoreConformance, type StoreFixture } from '../support/storeConformance.js';
import { specOf } from '../support/sync.js';

describeStoreConformance('IMAP (Dovecot)', async (): Promise<StoreFixture> => {
  const server = await startDovecot();
  let nextUidValidity = 5000;
  let withoutMove: DovecotServer | undefined;
  return {
    async connect(label) {
      const store = new ImapStore(label, specOf(server));
      await store.connect();
      return store;
    },
    seed: (folder, messages) => seedFolder(server, folder, messages),
    setFlags: (folder, uids, add, remove) => setFlags(server, folder, uids, add, remove),
    expunge: (folder, uids) => expungeUids(server, folder, uids),
    async resetUidValidity(folder) {
      await server.doveadm(['mailbox', 'update', '-u', 'alice', '--uid-validity', String(nextUidValidity++), folder]);
    },
    messages: (folder) => readFolder(server, folder),
    async close() {
      await Promise.all([server.stop(), withoutMove?.stop()]);
    },
    // Only MOVE can be missing: COPY and RENAME are IMAP4rev1.
    async connectLacking(operation, label) {
      if (operation !== 'move') throw new Error(`an IMAP server always has ${operation}`);
      withoutMove ??= await startDovecot({ capabilities: DOVECOT_CAPABILITIES.filter((c) => c !== 'MOVE').join(' ') });
      const store = new ImapStore(label, specOf(withoutMove));
      await store.connect();
      return store;
    },
  };
}, { canLack: ['move'] });
