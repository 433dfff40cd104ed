// What the in-memory store offers tests beyond the conformance suite: a
// restore from an older snapshot (UIDs reused by new mail), a new UIDVALIDITY,
// operation hooks that fail or "kill", messages the server leaves out of a
// FETCH, servers without mod-sequences or new keywords, and createStore.

import { describe, expect, it } from 'vitest';
import { ConnectError, ConnectionLostError, StoreError } from '../../src/errors.js';
import { createStore } from '../../src/store/createStore.js';
import { MemoryServer, type MemoryOperation } from '../../src/store/memory/MemoryServer.js';
import { MemoryStore } from '../../src/store/memory/MemoryStore.js';
import { registerMemoryServer, unregisterMemoryServer } from '../../src/store/memory/registry.js';
import type { FolderRead, ReadBase } from '../../src/store/types.js';
import { globalId } from '../../src/sync/identity.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';

async function connected(server: MemoryServer, label = 'A'): Promise<MemoryStore> {
  const store = new MemoryStore(label, server, 'memory://test');
  await store.connect();
  return store;
}

function baseOf(read: FolderRead, knownUids: number[]): ReadBase {
  return { uidValidity: read.status.uidValidity, uidNext: read.status.uidNext, highestModseq: read.status.highestModseq!, knownUids };
}

const gids = (read: FolderRead): string[] => read.envelopes.map((e) => globalId(e.identityHeaders, e.size));

describe('MemoryServer', () => {
  it('a restore from an older snapshot gives the lost UIDs to new mail; an identity check sees it', async () => {
    const server = new MemoryServer();
    server.append('INBOX', [{ raw: conformanceMessage(1) }, { raw: conformanceMessage(2) }]);
    const backup = server.snapshot();
    const lost = server.append('INBOX', [{ raw: conformanceMessage(3) }]);
    const store = await connected(server);
    const first = await store.readFolder('INBOX', { readOnly: false, base: null, verify: false });
    const base = baseOf(first, [1, 2, 3]);

    server.restore(backup);
    const reused = server.append('INBOX', [{ raw: conformanceMessage(4) }, { raw: conformanceMessage(5) }]);
    expect(lost).toEqual([3]);
    expect(reused).toEqual([3, 4]);
    const read = await store.readFolder('INBOX', { readOnly: false, base, verify: false });
    // UID 3 is known, yet holds message 4 now: its envelope rides along with the unknown UID 4.
    expect(read.status.uidValidity).toBe(first.status.uidValidity);
    expect(read.envelopes.map((e) => e.uid)).toEqual([3, 4]);
    expect(gids(read)[0]).toBe(globalId(conformanceMessage(4).toString(), 0));
    expect(server.messages('INBOX').map((m) => digest(m.body))).toEqual([1, 2, 4, 5].map((n) => digest(conformanceMessage(n))));
  });

  it('resetUidValidity keeps the messages, numbered from 1, under a new UIDVALIDITY', () => {
    const server = new MemoryServer({ firstUidValidity: 7n });
    server.createFolder('Work');
    server.append('Work', [{ raw: conformanceMessage(1) }, { raw: conformanceMessage(2) }, { raw: conformanceMessage(3) }]);
    server.expunge('Work', [1]);
    const before = server.folder('Work').uidValidity;
    const after = server.resetUidValidity('Work');
    expect([before, after]).toEqual([8n, 9n]);
    expect(server.messages('Work').map((m) => [m.uid, digest(m.body)])).toEqual([
      [1, digest(conformanceMessage(2))],
      [2, digest(conformanceMessage(3))],
    ]);
    expect(server.folder('Work').uidNext).toBe(3);
  });

  it('beforeOperation fails an operation before it acts; afterOperation after (the client never learns it)', async () => {
    const server = new MemoryServer();
    const store = await connected(server);
    const seen: MemoryOperation[] = [];
    server.beforeOperation = (op, args) => {
      seen.push(op);
      if (op === 'addFlags') throw new StoreError('message', `no flags for ${args.uids?.join(',')}`);
    };
    server.append('INBOX', [{ raw: conformanceMessage(1) }]);
    await store.readFolder('INBOX', { readOnly: false, base: null, verify: false });
    await expect(store.addFlags([1], ['\\Seen'])).rejects.toThrow('A: no flags for 1');
    expect(server.messages('INBOX')[0]!.flags).toEqual([]);

    server.afterOperation = (op) => {
      if (op === 'append') throw new Error('killed');
    };
    await expect(store.append('INBOX', [{ body: conformanceMessage(2), flags: [], internalDate: new Date(0) }])).rejects.toThrow('killed');
    expect(server.messages('INBOX').map((m) => m.uid)).toEqual([1, 2]);
    expect(seen).toEqual(['readFolder', 'addFlags', 'append', 'appendMessage']);
  });

  it('an appendMessage refusal or the append limit refuses that message alone', async () => {
    const server = new MemoryServer({ appendLimit: 400 });
    const store = await connected(server);
    server.beforeOperation = (op, args) => {
      if (op === 'appendMessage' && args.index === 0) throw new StoreError('message', 'not this one');
    };
    const result = await store.append('INBOX', [
      { body: conformanceMessage(1), flags: [], internalDate: new Date(0) },
      { body: conformanceMessage(2), flags: [], internalDate: new Date(0) },
      { body: conformanceMessage(3, 20), flags: [], internalDate: new Date(0) },
    ]);
    expect(result.outcomes.map((o) => (o.ok ? o.uid : o.error.message))).toEqual([
      'A: not this one',
      1,
      expect.stringMatching(/exceeds the limit of 400/),
    ]);
  });

  it('a message the server leaves out of FETCH is unidentified, yet existingUids finds it', async () => {
    const server = new MemoryServer();
    server.append('INBOX', [{ raw: conformanceMessage(1) }, { raw: conformanceMessage(2) }]);
    server.omitFromFetch = (folder, uid) => folder === 'INBOX' && uid === 2;
    const store = await connected(server);
    const read = await store.readFolder('INBOX', { readOnly: false, base: null, verify: false });
    expect(read.unidentified).toEqual([2]);
    expect(read.envelopes.map((e) => e.uid)).toEqual([1]);
    expect(read.messages.map((m) => m.uid)).toEqual([1]);
    expect((await store.fetchBodies([{ uid: 2, size: 10 }])).bodies.size).toBe(0);
    expect([...(await store.existingUids([1, 2]))]).toEqual([1, 2]);
  });

  it('a known message a full listing leaves out is unread, not vanished', async () => {
    const server = new MemoryServer({ condstore: false });
    server.append('INBOX', [{ raw: conformanceMessage(1) }, { raw: conformanceMessage(2), flags: ['\\Seen'] }]);
    const store = await connected(server);
    const first = await store.readFolder('INBOX', { readOnly: false, base: null, verify: false });
    server.omitFromFetch = (_folder, uid) => uid === 1;
    server.append('INBOX', [{ raw: conformanceMessage(3) }]);
    const base: ReadBase = { uidValidity: first.status.uidValidity, uidNext: first.status.uidNext, knownUids: [1, 2] };
    const read = await store.readFolder('INBOX', { readOnly: false, base, verify: false });
    expect([read.kind, read.unread, read.vanished, read.unidentified]).toEqual(['full', [1], [], []]);
    expect(read.messages).toEqual([{ uid: 2, flags: ['\\Seen'] }, { uid: 3, flags: [] }]);
    expect(read.envelopes.map((e) => e.uid)).toEqual([2, 3]);
  });

  it('without mod-sequences a read with a base is a full scan; without \\* a new keyword is not kept', async () => {
    const server = new MemoryServer({ condstore: false, allowsNewKeywords: false });
    server.append('INBOX', [{ raw: conformanceMessage(1), flags: ['$New', '\\Seen'] }, { raw: conformanceMessage(2) }]);
    const store = await connected(server);
    const first = await store.readFolder('INBOX', { readOnly: false, base: null, verify: false });
    expect(first.status.highestModseq).toBeUndefined();
    expect(first.permanentFlags.allowsNewKeywords).toBe(false);
    expect(first.messages).toEqual([{ uid: 1, flags: ['\\Seen'] }, { uid: 2, flags: [] }]);
    server.append('INBOX', [{ raw: conformanceMessage(3) }]);
    const base: ReadBase = { uidValidity: first.status.uidValidity, uidNext: first.status.uidNext, knownUids: [1, 2] };
    const read = await store.readFolder('INBOX', { readOnly: false, base, verify: false });
    expect(read.kind).toBe('full');
    expect(read.messages.map((m) => m.uid)).toEqual([1, 2, 3]);
    expect(read.envelopes.map((e) => e.uid)).toEqual([2, 3]);
  });

  it('dropConnections cuts every connection; a failing connect is a ConnectError', async () => {
    const server = new MemoryServer();
    const a = await connected(server, 'A');
    const b = await connected(server, 'B');
    server.dropConnections();
    await expect(a.listFolders({ status: false })).rejects.toBeInstanceOf(ConnectionLostError);
    await expect(b.readFolder('INBOX', { readOnly: true, base: null, verify: false })).rejects.toBeInstanceOf(ConnectionLostError);
    server.beforeOperation = (op) => {
      if (op === 'connect') throw new Error('refused');
    };
    await expect(new MemoryStore('C', server, 'memory://test').connect()).rejects.toBeInstanceOf(ConnectError);
  });

  it('a server made to lack MOVE says so in features and has no moveMessages', async () => {
    const server = new MemoryServer({ features: { move: false } });
    server.createFolder('Archive');
    server.append('INBOX', [{ raw: conformanceMessage(1) }]);
    const store = await connected(server);
    expect(store.features).toEqual({ copy: true, move: false, copyUid: true, rename: true, mailboxIds: false, lineEnds: 'crlf' });
    expect(store.moveMessages).toBeUndefined();
    await store.readFolder('INBOX', { readOnly: false, base: null, verify: false });
    expect((await store.copyMessages!([1], 'Archive')).uids).toEqual(new Map([[1, 1]]));
    expect([server.messages('INBOX').map((m) => m.uid), server.messages('Archive').map((m) => m.uid)]).toEqual([[1], [1]]);
  });

  it('createStore opens a registered memory server by name', async () => {
    const server = new MemoryServer({ delimiter: '.', namespacePrefix: 'INBOX.' });
    registerMemoryServer('unit-registry', server);
    try {
      const store = createStore('B', { kind: 'memory', name: 'unit-registry', displayUrl: 'memory://unit' });
      await store.connect();
      expect([store.label, store.displayUrl, store.namespace]).toEqual(['B', 'memory://unit', { prefix: 'INBOX.', delimiter: '.' }]);
      await store.close();
    } finally {
      unregisterMemoryServer('unit-registry');
    }
    expect(() => createStore('B', { kind: 'memory', name: 'unit-registry', displayUrl: 'memory://unit' })).toThrow(/no memory server/);
  });
});
