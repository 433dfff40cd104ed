// Two-way: answers the folder plan's questions about the copy one side kept of
// a folder the other side deleted, when its status alone cannot tell (the last
// run's own writes move it): does it hold only messages the state knows were
// on both sides, each known UID still holding its record's message (a restore
// plus new mail can reuse a UID)? One EXAMINE and one UID FETCH of envelopes
// per copy, before anything is done; the folder plan is then made again with
// the answers (planFolders.ts). In doubt (refused, another UIDVALIDITY, more
// messages than known, a UID holding another message), the answer is no: the
// folder is created again, never deleted.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { MessageRecord } from '../state/types.js';
import type { Store } from '../store/types.js';
import { identityOf } from './identity.js';
import { holdsAnotherMessage } from './knownIdentity.js';
import type { SurvivorAnswer, SurvivorQuestion } from './folderPlanTypes.js';
import { uidOn, type Side } from './side.js';

export async function answerSurvivorQuestions(
  stores: Record<Side, Store>,
  state: SyncState,
  questions: readonly SurvivorQuestion[],
): Promise<SurvivorAnswer[]> {
  const answers: SurvivorAnswer[] = [];
  for (const q of questions) {
    // The messages the other side had too at the last run: what its deletion of the folder covers.
    const known = new Map<number, MessageRecord>();
    for (const r of state.folder(q.nameA, q.nameB)?.records() ?? []) {
      if (r.uidA !== 0 && r.uidB !== 0) known.set(uidOn(r, q.side), r);
    }
    answers.push({ nameA: q.nameA, nameB: q.nameB, side: q.side, onlyKnown: await holdsOnly(stores[q.side], q, known) });
  }
  return answers;
}

/** Every message the folder holds (LIST-STATUS's count) is one of `known`, at its UID. */
async function holdsOnly(store: Store, q: SurvivorQuestion, known: ReadonlyMap<number, MessageRecord>): Promise<boolean> {
  if (known.size < q.messages) return false;
  try {
    await store.openFolder(q.name, { readOnly: true, uidValidity: q.uidValidity });
    const held = await store.fetchEnvelopes([...known.keys()]);
    const another = held.some((e) => {
      return holdsAnotherMessage(known.get(e.uid)!, q.side, identityOf(e));
    });
    return !another && held.length === q.messages;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return false;
  } finally {
    // Deleted at the end of the run, maybe on this connection: not left selected.
    await store.closeFolder();
  }
}
