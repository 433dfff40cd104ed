// Two-way: answers the folder plan's questions about the copy one side kept of
// a folder the other side deleted, when its status alone cannot tell (the last
// run's own writes move it): does it hold only messages the state knows were
// on both sides? One EXAMINE and one UID SEARCH per copy, before anything is
// done; the folder plan is then made again with the answers (planFolders.ts).
// In doubt (refused, another UIDVALIDITY, more messages than known), the
// answer is no: the folder is created again, never deleted.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { Store } from '../store/types.js';
import type { SurvivorAnswer, SurvivorQuestion } from './folderPlanTypes.js';
import type { Side } from './side.js';

export async function answerSurvivorQuestions(
  stores: Record<Side, Store>,
  state: SyncState,
  questions: readonly SurvivorQuestion[],
): Promise<SurvivorAnswer[]> {
  const answers: SurvivorAnswer[] = [];
  for (const q of questions) {
    // The messages the other side had too at the last run: what its deletion of the folder covers.
    const known = (state.folder(q.nameA, q.nameB)?.records() ?? [])
      .filter((r) => r.uidA !== 0 && r.uidB !== 0)
      .map((r) => (q.side === 'a' ? r.uidA : r.uidB));
    answers.push({ nameA: q.nameA, nameB: q.nameB, side: q.side, onlyKnown: await holdsOnly(stores[q.side], q, known) });
  }
  return answers;
}

/** Every message the folder holds (LIST-STATUS's count) is one of `known`. */
async function holdsOnly(store: Store, q: SurvivorQuestion, known: number[]): Promise<boolean> {
  if (known.length < q.messages) return false;
  try {
    await store.openFolder(q.name, { readOnly: true, uidValidity: q.uidValidity });
    return (await store.existingUids(known)).size === q.messages;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return false;
  } finally {
    // Deleted at the end of the run, maybe on this connection: not left selected.
    await store.closeFolder();
  }
}
