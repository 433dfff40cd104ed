// Folder deletions, last of a run (mirror --delete-folders: on B; two-way: on
// either side): delete the folders the folder plan chose (children first;
// planFolders.ts decides which, within the guard), and forget their pairs. A
// folder a side refuses to delete fails alone.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import { nameOn } from './folderMap.js';
import type { FolderAction } from './folderPlanTypes.js';
import { withoutStoreLabel } from './folderSetup.js';
import { sideLabel, type Side } from './side.js';
import type { SyncObserver } from './types.js';

export async function deleteFolders(
  stores: Record<Side, Store>,
  state: SyncState,
  deletes: readonly FolderAction[],
  dryRun: boolean,
  observer: SyncObserver,
): Promise<number> {
  let deleted = 0;
  for (const { side, name, why } of deletes) {
    const label = sideLabel(side);
    if (dryRun) {
      observer.wouldDo(`delete folder ${name} on ${label} (${why})`);
      deleted++;
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
