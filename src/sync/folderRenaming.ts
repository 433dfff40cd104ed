// Carries out the folder plan's renames (folderRenames.ts decides them), first
// of a run's folder actions: one RENAME per folder whose parent does not take
// it along, then the state's pair moves to the new names (journal op
// `rename-folder`, flushed). In that order: a run killed between the two
// finds the folder renamed on both sides and the pair under its old names,
// which the planner recognises (by 'earlier run': only the state follows);
// the other order would leave a pair whose folder does not exist, read as new.
// A refused RENAME is a warning: the engine plans again without it (create +
// copy, as before renames existed), never losing mail.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import { isWithin, type FolderPairName } from './folderMap.js';
import type { FolderRename } from './folderPlanTypes.js';
import { withoutStoreLabel } from './folderSetup.js';
import { sideLabel, type Side } from './side.js';
import type { SyncObserver } from './types.js';

export interface RenameOutcome {
  /** Folders renamed (dry run: that would be), those moved along with a parent included. */
  renamed: number;
  /** Pairs whose rename did not happen (refused, or below a refused one). */
  refused: FolderPairName[];
}

export async function renameFolders(
  stores: Record<Side, Store>,
  state: SyncState,
  renames: readonly FolderRename[],
  dryRun: boolean,
  observer: SyncObserver,
): Promise<RenameOutcome> {
  const out: RenameOutcome = { renamed: 0, refused: [] };
  const failed: FolderRename[] = [];
  for (const r of renames) {
    const label = sideLabel(r.side);
    const delim = stores[r.side].namespace.delimiter;
    // Below a RENAME that did not happen: the folder is not where the plan expects it.
    if (failed.some((f) => f.side === r.side && isWithin(r.from, f.to, delim))) {
      failed.push(r);
      out.refused.push(r.pair);
      continue;
    }
    if (r.by === 'rename') {
      if (dryRun) observer.wouldDo(`rename folder ${r.from} to ${r.to} on ${label} (${r.why})`);
      else if (!(await renameOne(stores[r.side], r, observer))) {
        failed.push(r);
        out.refused.push(r.pair);
        continue;
      }
    } else observer.verbose(`${r.to} on ${label}: ${r.why}`);
    // Also in a dry run (the state is not written then): its reads must find the pair's records under the new names.
    state.apply({ op: 'rename-folder', fromA: r.pair.nameA, fromB: r.pair.nameB, toA: r.renamed.nameA, toB: r.renamed.nameB });
    await state.flush();
    out.renamed++;
  }
  return out;
}

/** One RENAME; false (with a warning) when the store refused it. */
async function renameOne(store: Store, r: FolderRename, observer: SyncObserver): Promise<boolean> {
  const label = sideLabel(r.side);
  observer.verbose(`renaming folder ${r.from} to ${r.to} on ${label} (${r.why})`);
  try {
    if (store.renameFolder === undefined) throw new StoreError('folder', 'the store cannot rename folders');
    await store.renameFolder(r.from, r.to);
    return true;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    observer.warning(`could not rename ${r.from} to ${r.to} on ${label} (${withoutStoreLabel(err.message, r.side)}): synced as a new folder instead`);
    return false;
  }
}
