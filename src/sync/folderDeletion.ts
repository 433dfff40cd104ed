// Mirror --delete-folders, last of a run: delete on B the folders the folder
// plan chose (children first; planFolders.ts decides which, within the guard),
// and forget their pairs. A folder B refuses to delete fails alone.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import type { FolderAction } from './planFolders.js';
import type { SyncObserver } from './types.js';

export async function deleteFoldersOnB(
  b: Store,
  state: SyncState,
  deletes: readonly FolderAction[],
  dryRun: boolean,
  observer: SyncObserver,
): Promise<number> {
  let deleted = 0;
  for (const { name, why } of deletes) {
    if (dryRun) {
      observer.wouldDo(`delete folder ${name} on B (${why})`);
      deleted++;
      continue;
    }
    observer.verbose(`deleting folder ${name} on B (${why})`);
    try {
      await b.deleteFolder(name);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      observer.failure({ folder: name, uid: 0, side: 'B', reason: `folder could not be deleted on B: ${err.message.replace(/^B: /, '')}` });
      continue;
    }
    deleted++;
    for (const k of state.folderKeys()) {
      if (k.nameB === name) state.apply({ op: 'drop-folder', nameA: k.nameA, nameB: k.nameB });
    }
  }
  return deleted;
}
