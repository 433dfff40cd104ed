// Carries out the folder plan's first actions, before any folder pair is
// synced: create on B the folders the pairs need (parents first) and copy
// subscriptions (planFolders.ts decides which). A folder B refuses to create
// fails alone: its pair, and the pairs below it, are reported and left out of
// this run; the others go on, and the next run tries to create it again. A
// refused subscription is only a warning: no mail depends on it.

import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { isWithin, type AccountFolderPlan, type PairToSync } from './planFolders.js';
import type { SyncObserver } from './types.js';

export interface FolderSetup {
  /** The pairs whose B folder exists (or, in a dry run, would be created). */
  ready: PairToSync[];
  /** Folders created (dry run: that would be). */
  created: number;
}

export async function prepareFoldersOnB(
  b: Store,
  plan: Pick<AccountFolderPlan, 'creates' | 'subscribes' | 'pairs'>,
  dryRun: boolean,
  observer: SyncObserver,
): Promise<FolderSetup> {
  const sep = b.namespace.delimiter;
  /** B folder → why CREATE failed. */
  const refused = new Map<string, string>();
  let created = 0;
  for (const { name, why } of plan.creates) {
    if (dryRun) {
      observer.wouldDo(`create folder ${name} on B (${why})`);
      created++;
      continue;
    }
    // Below a folder that could not be created: nothing to create it in.
    if ([...refused.keys()].some((r) => isWithin(name, r, sep))) continue;
    try {
      observer.verbose(`creating folder ${name} on B (${why})`);
      await b.createFolder(name);
      created++;
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      refused.set(name, err.message.replace(/^B: /, ''));
    }
  }

  const ready: PairToSync[] = [];
  const blocked = new Set<string>();
  for (const p of plan.pairs) {
    const blocker = p.mapping.existsOnB ? undefined : [...refused.keys()].find((r) => isWithin(p.job.nameB, r, sep));
    if (blocker === undefined) {
      ready.push(p);
      continue;
    }
    blocked.add(p.job.nameB);
    const refusal = refused.get(blocker)!;
    const why = blocker === p.job.nameB ? refusal : `its parent folder "${blocker}" could not be created: ${refusal}`;
    observer.failure({ folder: p.job.label, uid: 0, side: 'B', reason: `folder could not be created on B: ${why}` });
  }
  const refusedAll = [...refused.keys()];
  const subscribes = plan.subscribes.filter(({ name }) => !refusedAll.some((r) => isWithin(name, r, sep)));
  await copySubscriptions(b, subscribes, dryRun, observer);
  return { ready, created };
}

/**
 * Subscribe on B to what A subscribes to. A refused SUBSCRIBE costs no mail:
 * it is a warning, and the next run tries again (B still lists it unsubscribed).
 */
async function copySubscriptions(
  b: Store,
  subscribes: AccountFolderPlan['subscribes'],
  dryRun: boolean,
  observer: SyncObserver,
): Promise<void> {
  for (const { name, label, why } of subscribes) {
    if (dryRun) {
      observer.wouldDo(`subscribe to ${name} on B (${why})`);
      continue;
    }
    try {
      await b.subscribeFolder(name);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      observer.warning(`${label}: could not subscribe to it on B (tried again next run): ${err.message.replace(/^B: /, '')}`);
    }
  }
}
