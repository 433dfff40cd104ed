// Digests of bodies for telling versions of a message apart: bounded batches,
// a refused batch leaves its UIDs without digests, a lost connection is thrown.

import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConnectionLostError } from '../../src/errors.js';
import { StoreError } from '../../src/errors.js';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { MemoryStore } from '../../src/store/memory/MemoryStore.js';
import type { BodyRequest, Store } from '../../src/store/types.js';
import { BATCH_MAX_BYTES, BATCH_MAX_MESSAGES } from '../../src/sync/batches.js';
import { fetchDigests } from '../../src/sync/bodyDigests.js';

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function store(fail?: (uids: number[]) => Error | undefined): { store: Store; calls: number[][] } {
  const calls: number[][] = [];
  const fake = {
    fetchEnvelopes: async (uids: number[]) => uids.map((uid) => ({ uid, flags: [], size: BATCH_MAX_BYTES, internalDate: new Date(0), identityHeaders: '' })),
    fetchBodies: async (requests: BodyRequest[]) => {
      const uids = requests.map((r) => r.uid);
      calls.push(uids);
      const error = fail?.(uids);
      if (error) throw error;
      // UID 13 no longer exists: left out, as the Store contract says.
      const bodies = new Map(uids.filter((uid) => uid !== 13).map((uid) => [uid, Buffer.from(`body ${uid}`)]));
      return { bodies, refused: new Map() };
    },
  } as unknown as Store;
  return { store: fake, calls };
}

describe('fetchDigests', () => {
  it('digests every body read, in batches bounded by count and bytes; a vanished UID has none', async () => {
    const { store: s, calls } = store();
    const uids = Array.from({ length: BATCH_MAX_MESSAGES + 5 }, (_, i) => i + 1);
    const big = BATCH_MAX_BYTES - 2;
    const result = await fetchDigests(s, uids, (uid) => (uid === 3 ? big : 1));
    expect(result.error).toBeUndefined();
    expect(result.digests.get(1)).toBe(sha('body 1'));
    expect(result.digests.has(13)).toBe(false);
    expect(result.digests.size).toBe(uids.length - 1);
    expect(calls.every((batch) => batch.length <= BATCH_MAX_MESSAGES)).toBe(true);
    // UID 3 fills the batch (with 1 and 2): the next message starts another.
    expect(calls[0]).toEqual([1, 2, 3]);
  });

  it('sizes it does not know are read first, so a batch stays bounded', async () => {
    const { store: s, calls } = store();
    await fetchDigests(s, [1, 2, 3], () => undefined);
    // Each envelope says BATCH_MAX_BYTES: one message per batch.
    expect(calls).toEqual([[1], [2], [3]]);
  });

  it('a batch the server refuses leaves its UIDs without digests and says why; the rest go on', async () => {
    const { store: s } = store((uids) => (uids.includes(1) ? new StoreError('message', 'NO try later') : undefined));
    const uids = Array.from({ length: BATCH_MAX_MESSAGES + 1 }, (_, i) => i + 1);
    const result = await fetchDigests(s, uids, () => 1);
    expect(result.error).toBe('NO try later');
    expect(result.digests.has(1)).toBe(false);
    expect(result.digests.has(BATCH_MAX_MESSAGES + 1)).toBe(true);
  });

  it('a lost connection is not hidden', async () => {
    const { store: s } = store(() => new ConnectionLostError('B', 'connection lost'));
    await expect(fetchDigests(s, [1], () => 1)).rejects.toBeInstanceOf(ConnectionLostError);
  });

  it('a body the driver refused (far larger than announced) gets no digest, and says why', async () => {
    const fake = {
      fetchEnvelopes: async () => [],
      fetchBodies: async (requests: BodyRequest[]) => ({
        bodies: new Map(requests.filter((r) => r.uid !== 2).map((r) => [r.uid, Buffer.from(`body ${r.uid}`)])),
        refused: new Map([[2, 'body far larger than its RFC822.SIZE']]),
      }),
    } as unknown as Store;
    const result = await fetchDigests(fake, [1, 2], () => 10);
    expect(result.digests.get(1)).toBe(sha('body 1'));
    expect(result.digests.has(2)).toBe(false);
    expect(result.error).toContain('UID 2');
  });

  it('a message whose FETCH costs the connection (a memory store) gets no digest; the others do, and nothing is thrown', async () => {
    const server = new MemoryServer();
    server.append('INBOX', [1, 2, 3].map((n) => ({ raw: `Subject: ${n}\r\n\r\nbody ${n}\r\n` })));
    server.beforeOperation = (op, args) => {
      if (op !== 'fetchBodies' || !args.uids?.includes(2)) return;
      server.dropConnections();
      throw new ConnectionLostError('A', 'connection lost during UID FETCH');
    };
    const s = new MemoryStore('A', server, 'memory://digests');
    await s.connect();
    await s.readFolder('INBOX', { readOnly: true, base: null, verify: false });
    const result = await fetchDigests(s, [1, 2, 3], () => 20);
    expect([...result.digests.keys()].sort()).toEqual([1, 3]);
    expect(result.digests.get(3)).toBe(sha('Subject: 3\r\n\r\nbody 3\r\n'));
    expect(result.error).toMatch(/UID 2: .*closed the connection/);
  });
});
