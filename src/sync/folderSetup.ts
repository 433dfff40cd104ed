// Before any folder pair is synced: create on B the folders the pairs need
// (parents first) and copy subscriptions. A folder B refuses to create fails
// alone: its pair, and the pairs below it, are reported and left out of this
// run; the others go on, and the next run tries to create it again. A refused
// subscription is only a warning: no mail depends on it.

import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { pairLabel, type FolderPairMapping } from './folderMap.js';
import type { SyncObserver } from './types.js';

export interface FolderSetup {
  /** The pairs whose B folder exists (or, in a dry run, would be created). */
  ready: FolderPairMapping[];
  /** Folders created (dry run: that would be). */
  created: number;
}

export async function prepareFoldersOnB(
  b: Store,
  toCreate: string[],
  pairs: FolderPairMapping[],
  dryRun: boolean,
  observer: SyncObserver,
): Promise<FolderSetup> {
  const sep = b.namespace.delimiter;
  const within = (name: string, folder: string): boolean =>
    name === folder || (sep !== null && sep !== '' && name.startsWith(folder + sep));
  const needed = pairs.filter((p) => !p.existsOnB).map((p) => p.nameB);
  /** B folder → why CREATE failed. */
  const refused = new Map<string, string>();
  let created = 0;
  for (const name of toCreate) {
    if (!needed.some((n) => within(n, name))) continue;
    if (dryRun) {
      observer.wouldDo(`create folder ${name} on B`);
      created++;
      continue;
    }
    // Below a folder that could not be created: nothing to create it in.
    if ([...refused.keys()].some((r) => within(name, r))) continue;
    try {
      observer.verbose(`creating folder ${name} on B`);
      await b.createFolder(name);
      created++;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      refused.set(name, err.message.replace(/^B: /, ''));
    }
  }

  const ready: FolderPairMapping[] = [];
  for (const p of pairs) {
    const blocker = p.existsOnB ? undefined : [...refused.keys()].find((r) => within(p.nameB, r));
    if (blocker === undefined) {
      ready.push(p);
      continue;
    }
    const refusal = refused.get(blocker)!;
    const why = blocker === p.nameB ? refusal : `its parent folder "${blocker}" could not be created: ${refusal}`;
    observer.failure({ folder: pairLabel(p), uid: 0, side: 'B', reason: `folder could not be created on B: ${why}` });
  }
  await copySubscriptions(b, ready, dryRun, observer);
  return { ready, created };
}

/**
 * Subscribe on B to what A subscribes to. A refused SUBSCRIBE costs no mail:
 * it is a warning, and the next run tries again (B still lists it unsubscribed).
 */
async function copySubscriptions(b: Store, pairs: FolderPairMapping[], dryRun: boolean, observer: SyncObserver): Promise<void> {
  for (const p of pairs) {
    if (!p.subscribedOnA || p.subscribedOnB) continue;
    if (dryRun) {
      observer.wouldDo(`subscribe to ${p.nameB} on B`);
      continue;
    }
    try {
      await b.subscribeFolder(p.nameB);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      observer.warning(`${pairLabel(p)}: could not subscribe to it on B (tried again next run): ${err.message.replace(/^B: /, '')}`);
    }
  }
}
