// The read phase's part of the message filter (--max-size, --since…): which
// UIDs it holds back on each side a copy may come from, asked of the server
// (Store.searchHeldBack, one command per folder side, only with a filter), and
// the sizes their deferred records carry (for `replimap status`).

import type { MessageRecord } from '../state/types.js';
import { isActiveFilter, type MessageFilter } from '../store/messageFilter.js';
import type { Store } from '../store/types.js';
import { withSizes } from './bodyDigests.js';
import type { FolderPlanInput, SideSnapshot, SnapshotMessage } from './planTypes.js';
import { mayWrite, other, SIDES, uidOn, type Side } from './side.js';
import type { FolderPairJob, SyncOptions } from './types.js';

export interface HeldBackRead {
  heldBack: NonNullable<FolderPlanInput['heldBack']>;
  /** --placeholders: of heldBack, what the size bounds alone hold back (see FolderPlanInput.standInFor). */
  standInFor?: NonNullable<FolderPlanInput['standInFor']>;
  snapshots: { a: SideSnapshot; b: SideSnapshot };
}

/**
 * Without a filter: nothing held back, the snapshots as they are. With one:
 * per side whose messages the mode copies (A; both in two-way), the UIDs it
 * holds back, and the snapshot with the sizes of those a one-sided record
 * names (the record's own deferred size, else one UID FETCH): new messages
 * have theirs from their envelopes.
 */
export async function readHeldBack(
  { messageFilter: filter, mode, placeholders }: Pick<SyncOptions, 'messageFilter' | 'mode' | 'placeholders'>,
  job: FolderPairJob,
  stores: { a: Store; b: Store },
  records: readonly MessageRecord[],
  snapshots: { a: SideSnapshot; b: SideSnapshot },
): Promise<HeldBackRead> {
  if (!isActiveFilter(filter)) return { heldBack: {}, snapshots };
  const sides = SIDES.filter((side) => mayWrite(mode, other(side)) && !job.missingOn.includes(side));
  const read = await Promise.all(
    sides.map(async (side) => {
      const held = await stores[side].searchHeldBack(filter);
      const bySize = placeholders === true ? await heldBySize(stores[side], filter, held) : undefined;
      const sized = withRecordedSizes(snapshots[side], records, side, held);
      return { side, held, bySize, snapshot: await withSizes(stores[side], sized.snapshot, sized.unsized) };
    }),
  );
  const heldBack: HeldBackRead['heldBack'] = {};
  const standInFor: NonNullable<HeldBackRead['standInFor']> = {};
  const out = { ...snapshots };
  for (const { side, held, bySize, snapshot } of read) {
    heldBack[side] = held;
    if (bySize !== undefined) standInFor[side] = bySize;
    out[side] = snapshot;
  }
  return { heldBack, ...(placeholders === true && { standInFor }), snapshots: out };
}

/** What the size bounds alone hold back: `held` itself when the filter has no date bounds, else one more search. */
async function heldBySize(store: Store, filter: MessageFilter, held: Set<number>): Promise<ReadonlySet<number>> {
  if (filter.maxSize === undefined && filter.minSize === undefined) return new Set();
  if (filter.since === undefined && filter.before === undefined) return held;
  const bySize: MessageFilter = { ...(filter.maxSize !== undefined && { maxSize: filter.maxSize }), ...(filter.minSize !== undefined && { minSize: filter.minSize }) };
  return store.searchHeldBack(bySize);
}

/**
 * The snapshot with the recorded sizes of held-back messages that deferred
 * one-sided records name, and the UIDs of the others. Messages already on
 * both sides are left alone: the filter does not concern them.
 */
function withRecordedSizes(
  snapshot: SideSnapshot,
  records: readonly MessageRecord[],
  side: Side,
  held: ReadonlySet<number>,
): { snapshot: SideSnapshot; unsized: number[] } {
  let out: Map<number, SnapshotMessage> | undefined;
  const unsized: number[] = [];
  for (const r of records) {
    const uid = uidOn(r, side);
    if (uid === 0 || uidOn(r, other(side)) !== 0 || !held.has(uid)) continue;
    const message = snapshot.get(uid);
    if (message === undefined || message.size !== undefined) continue;
    // A deferred record's size was read from its message here; another record's is that of the bytes its gid came from.
    if (r.size === undefined || r.status !== 'deferred') {
      unsized.push(uid);
      continue;
    }
    out ??= new Map(snapshot);
    out.set(uid, { ...message, size: r.size });
  }
  return { snapshot: out ?? snapshot, unsized };
}
