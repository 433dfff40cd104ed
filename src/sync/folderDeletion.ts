// Folder deletions, last of a run (mirror --delete-folders: on B; two-way: on
// either side): delete the folders the folder plan chose (children first;
// planFolders.ts decides which, within the guard), and forget their pairs. A
// folder a side refuses to delete fails alone. A two-way deletion was decided
// on the folder's status at the start of the run: mail delivered there since
// (the run may take hours) would go with it, so the side is listed again first
// and a folder whose status moved stays, with its parents (the next run finds
// it changed and creates it again on the side that deleted it).

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { FolderInfo, FolderStatus, Store } from '../store/types.js';
import { nameOn } from './folderMap.js';
import type { FolderAction } from './folderPlanTypes.js';
import { withoutStoreLabel } from './folderSetup.js';
import { sideLabel, SIDES, type Side } from './side.js';
import type { SyncObserver } from './types.js';

export async function deleteFolders(
  stores: Record<Side, Store>,
  state: SyncState,
  deletes: readonly FolderAction[],
  dryRun: boolean,
  observer: SyncObserver,
): Promise<number> {
  let deleted = 0;
  const moved = dryRun ? { a: [], b: [] } : await movedSinceDecided(stores, deletes);
  for (const { side, name, why } of deletes) {
    const label = sideLabel(side);
    if (dryRun) {
      observer.wouldDo(`delete folder ${name} on ${label} (${why})`);
      deleted++;
      continue;
    }
    const stays = moved[side].find((f) => f.name === name || (f.delimiter !== null && f.name.startsWith(`${name}${f.delimiter}`)));
    if (stays !== undefined) {
      observer.warning(`not deleting folder ${name} on ${label}: ${stays.why}; the next run looks at it again`);
      continue;
    }
    observer.verbose(`deleting folder ${name} on ${label} (${why})`);
    try {
      await stores[side].deleteFolder(name);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      observer.failure({ folder: name, uid: 0, side: label, reason: `folder could not be deleted on ${label}: ${withoutStoreLabel(err.message, side)}` });
      continue;
    }
    deleted++;
    for (const k of state.folderKeys()) {
      if (nameOn(k, side) === name) state.apply({ op: 'drop-folder', nameA: k.nameA, nameB: k.nameB });
    }
  }
  return deleted;
}

/** A folder whose deletion waits, and why (a parent of it waits too). */
interface Stay {
  name: string;
  delimiter: string | null;
  why: string;
}

/**
 * Per side, the folders to delete whose status is not the one their deletion
 * was decided on (one LIST-STATUS per side that has any). A listing that
 * fails leaves every such deletion of that side in doubt: all stay.
 */
async function movedSinceDecided(stores: Record<Side, Store>, deletes: readonly FolderAction[]): Promise<Record<Side, Stay[]>> {
  const out: Record<Side, Stay[]> = { a: [], b: [] };
  for (const side of SIDES) {
    const decided = deletes.filter((d) => d.side === side && d.decidedOn !== undefined);
    if (decided.length === 0) continue;
    let listed: Map<string, FolderInfo>;
    try {
      listed = new Map((await stores[side].listFolders({ status: true })).map((f) => [f.name, f]));
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      const why = `its folders could not be listed again to see that nothing arrived (${withoutStoreLabel(err.message, side)})`;
      out[side] = decided.map((d) => ({ name: d.name, delimiter: null, why }));
      continue;
    }
    for (const d of decided) {
      const now = listed.get(d.name);
      if (now !== undefined && !sameMessages(d.decidedOn!, now.status)) {
        out[side].push({ name: now.name, delimiter: now.delimiter, why: `${now.name} changed during this run (new mail?)` });
      }
    }
  }
  return out;
}

/** Nothing arrived or left (a flag change is no new mail). */
function sameMessages(then: FolderStatus, now: FolderStatus | undefined): boolean {
  return now !== undefined && now.uidValidity === then.uidValidity && now.uidNext === then.uidNext && now.messages === then.messages;
}
