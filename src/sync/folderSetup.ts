// Carries out the folder plan's first actions, before any folder pair is
// synced: forget the pairs the plan forgets, create the folders the pairs need
// on the side that lacks them (parents first; B only, but in two-way mode) and
// copy subscriptions (planFolders.ts decides which). A folder a side refuses to
// create fails alone: its pair, and the pairs below it, are reported and left
// out of this run; the others go on, and the next run tries to create it
// again. A refused subscription is only a warning: no mail depends on it.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import { isWithin, nameOn } from './folderMap.js';
import type { AccountFolderPlan, FolderAction, PairToSync } from './folderPlanTypes.js';
import { sideLabel, type Side } from './side.js';
import type { SyncObserver } from './types.js';

export interface FolderSetup {
  /** The pairs whose folders exist (or, in a dry run, would be created). */
  ready: PairToSync[];
  /** Folders created (dry run: that would be). */
  created: number;
  /** Pairs left out because a folder they need could not be created, by the side that refused it. */
  blocked: Record<Side, number>;
}

/** A side's folders that could not be created: name → why. */
type Refusals = Record<Side, Map<string, string>>;

export async function prepareFolders(
  stores: Record<Side, Store>,
  state: SyncState,
  plan: Pick<AccountFolderPlan, 'forget' | 'creates' | 'subscribes' | 'pairs'>,
  dryRun: boolean,
  observer: SyncObserver,
): Promise<FolderSetup> {
  // Also in a dry run (the state is not written then): its reads must plan these pairs as new.
  for (const { nameA, nameB, why } of plan.forget) {
    observer.verbose(`forgetting the pair ${nameA} / ${nameB} (${why})`);
    state.apply({ op: 'drop-folder', nameA, nameB });
  }
  // Durable before a folder is created again: a run killed after the CREATE must not find the old pair's records.
  if (plan.forget.length > 0) await state.flush();
  const refused: Refusals = { a: new Map(), b: new Map() };
  let created = 0;
  for (const action of plan.creates) if (await createFolder(stores[action.side], action, refused, dryRun, observer)) created++;

  const ready: PairToSync[] = [];
  const blockedOn: Record<Side, number> = { a: 0, b: 0 };
  for (const p of plan.pairs) {
    const blocked = p.missing.flatMap((side) => {
      const name = nameOn(p.job, side);
      const blocker = [...refused[side].keys()].find((r) => isWithin(name, r, stores[side].namespace.delimiter));
      return blocker === undefined ? [] : [{ side, name, blocker }];
    });
    if (blocked.length === 0) {
      ready.push(p);
      continue;
    }
    const { side, name, blocker } = blocked[0]!;
    blockedOn[side]++;
    const refusal = refused[side].get(blocker)!;
    const why = blocker === name ? refusal : `its parent folder "${blocker}" could not be created: ${refusal}`;
    observer.failure({ folder: p.job.label, uid: 0, side: sideLabel(side), reason: `folder could not be created on ${sideLabel(side)}: ${why}` });
  }
  const subscribes = plan.subscribes.filter(({ side, name }) =>
    ![...refused[side].keys()].some((r) => isWithin(name, r, stores[side].namespace.delimiter)));
  await copySubscriptions(stores, subscribes, dryRun, observer);
  return { ready, created, blocked: blockedOn };
}

/** Create one folder; false when it was not (refused: noted in `refused`, or below a refused one). */
async function createFolder(store: Store, action: FolderAction, refused: Refusals, dryRun: boolean, observer: SyncObserver): Promise<boolean> {
  const { side, name, why } = action;
  const label = sideLabel(side);
  if (dryRun) {
    observer.wouldDo(`create folder ${name} on ${label} (${why})`);
    return true;
  }
  // Below a folder that could not be created: nothing to create it in.
  if ([...refused[side].keys()].some((r) => isWithin(name, r, store.namespace.delimiter))) return false;
  try {
    observer.verbose(`creating folder ${name} on ${label} (${why})`);
    await store.createFolder(name);
    return true;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    refused[side].set(name, withoutStoreLabel(err.message, side));
    return false;
  }
}

/** A store's error message without its leading "A: " / "B: " (the failure names the side). */
export function withoutStoreLabel(message: string, side: Side): string {
  return message.replace(new RegExp(`^${sideLabel(side)}: `), '');
}

/**
 * Subscribe on a side to what the other side subscribes to. A refused
 * SUBSCRIBE costs no mail: it is a warning, and the next run tries again.
 */
async function copySubscriptions(
  stores: Record<Side, Store>,
  subscribes: AccountFolderPlan['subscribes'],
  dryRun: boolean,
  observer: SyncObserver,
): Promise<void> {
  for (const { side, name, label, why } of subscribes) {
    if (dryRun) {
      observer.wouldDo(`subscribe to ${name} on ${sideLabel(side)} (${why})`);
      continue;
    }
    try {
      await stores[side].subscribeFolder(name);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err;
      observer.warning(`${label}: could not subscribe to it on ${sideLabel(side)} (tried again next run): ${withoutStoreLabel(err.message, side)}`);
    }
  }
}
