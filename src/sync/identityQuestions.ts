// Two-way: answers a folder plan's `needIdentity` (known UIDs it would expunge
// without having read what they hold). One UID FETCH of their envelopes per
// side; each answer joins the side's snapshot as the UID's gid, so the plan
// made again sees a UID now holding another message as `uid-reused` (kept,
// copied), never expunges it. A UID the server does not return stays without
// a gid: the plan keeps its record (in doubt, nothing is deleted).

import type { Store } from '../store/types.js';
import { normalizedView } from './flags.js';
import { identityOf } from './identity.js';
import type { SideSnapshot, SnapshotMessage } from './planTypes.js';

/**
 * `snapshot` with the gid (and size) of each of `uids` as the store holds it
 * now, and `withFlags` their flags too (FolderPlan.needFlags); the same
 * snapshot when none is asked.
 */
export async function withIdentities(store: Store, snapshot: SideSnapshot, uids: readonly number[], withFlags = false): Promise<SideSnapshot> {
  if (uids.length === 0) return snapshot;
  const out = new Map<number, SnapshotMessage>(snapshot);
  for (const e of await store.fetchEnvelopes([...uids])) {
    const known = out.get(e.uid);
    if (known === undefined) continue; // not in the snapshot: nothing this plan acts on
    const { sizedGid: _old, fields: _oldFields, ...rest } = known;
    out.set(e.uid, { ...rest, size: e.size, ...identityOf(e), ...(withFlags && { flags: normalizedView(e.flags) }) });
  }
  return out;
}
