// Digests of message bodies, for telling apart messages that share a global
// id (see matchByGid.ts). Bodies are fetched in bounded batches, hashed, and
// dropped at once: only the digests are kept.

import { createHash } from 'node:crypto';
import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { inBatches } from './batches.js';
import type { SideSnapshot } from './planTypes.js';

export interface DigestResult {
  /** SHA-256 (hex) of each body read; a UID missing could not be read. */
  digests: Map<number, string>;
  /** Why some batch could not be read (the server refused it), if one could not. */
  error?: string;
}

function bodyDigest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/**
 * Digests of these messages of the store's open folder. A batch the server
 * refuses, or a message the driver refuses (one whose FETCH costs the
 * connection included, see Store.fetchBodies), leaves its UIDs without
 * digests (the planner then keeps both versions); a server that keeps
 * dropping the connection is thrown like any other read failure.
 * Sizes bound the batches: those `sizeOf` does not know are read first
 * (envelopes, one command).
 */
export async function fetchDigests(
  store: Store,
  uids: readonly number[],
  sizeOf: (uid: number) => number | undefined,
): Promise<DigestResult> {
  const result: DigestResult = { digests: new Map() };
  const sizes = new Map<number, number>();
  const unsized = uids.filter((uid) => sizeOf(uid) === undefined);
  if (unsized.length > 0) for (const e of await store.fetchEnvelopes(unsized)) sizes.set(e.uid, e.size);
  const requests = uids.map((uid) => ({ uid, size: sizeOf(uid) ?? sizes.get(uid) ?? 0 }));
  for (const batch of inBatches(requests, (r) => r.size)) {
    try {
      const fetched = await store.fetchBodies(batch);
      for (const [uid, body] of fetched.bodies) result.digests.set(uid, bodyDigest(body));
      // A refused body (far larger than announced, or it cost the connection) gets no digest: the planner keeps both versions.
      for (const [uid, why] of fetched.refused) result.error ??= `UID ${uid}: ${why}`;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      result.error = err.message;
    }
  }
  return result;
}

/**
 * The snapshot with the sizes of these UIDs where it lacks them, read from
 * their envelopes (one command); the snapshot itself when it lacks none. A UID
 * the server returns no envelope for stays without a size. Different sizes
 * tell versions apart without reading bodies.
 */
export async function withSizes(store: Store, snapshot: SideSnapshot, uids: readonly number[]): Promise<SideSnapshot> {
  const unsized = uids.filter((uid) => snapshot.get(uid) !== undefined && snapshot.get(uid)!.size === undefined);
  if (unsized.length === 0) return snapshot;
  const out = new Map(snapshot);
  for (const e of await store.fetchEnvelopes(unsized)) {
    const message = out.get(e.uid);
    if (message !== undefined) out.set(e.uid, { ...message, size: e.size });
  }
  return out;
}
