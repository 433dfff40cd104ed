// Answers the folder plan's rename questions (folderRenames.ts): is the new
// folder a side lists the remembered folder it lost, renamed? Its UIDVALIDITY
// is the recorded one already; here the record UIDs of that side must hold the
// records' messages in it: one EXAMINE and one UID FETCH of envelopes (of at
// most PROOF_SAMPLE record UIDs, spread over the folder), before anything is
// done. In doubt (refused, another UIDVALIDITY, a UID holding another
// message, none of the records' messages left), the answer is no: the folder
// is then treated as before renames existed (create + copy), never lost.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { MessageRecord } from '../state/types.js';
import type { Store } from '../store/types.js';
import type { RenameAnswer, RenameQuestion } from './folderPlanTypes.js';
import { identityOf } from './identity.js';
import { holdsAnotherMessage } from './knownIdentity.js';
import { uidOn, type Side } from './side.js';

/** Record UIDs read per question: enough to tell two folders apart, few enough to cost little on a big folder. */
export const PROOF_SAMPLE = 200;

export async function answerRenameQuestions(
  stores: Record<Side, Store>,
  state: SyncState,
  questions: readonly RenameQuestion[],
): Promise<RenameAnswer[]> {
  const answers: RenameAnswer[] = [];
  for (const q of questions) {
    const records = (state.folder(q.nameA, q.nameB)?.records() ?? []).filter((r) => uidOn(r, q.side) !== 0);
    const sample = new Map(spread(records, PROOF_SAMPLE).map((r) => [uidOn(r, q.side), r] as const));
    answers.push({ nameA: q.nameA, nameB: q.nameB, side: q.side, name: q.name, same: await holdsTheirMessages(stores[q.side], q, sample) });
  }
  return answers;
}

/** At most `n` of `items`, evenly spread (first and last included). */
export function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]!);
}

/** No sampled UID holds another message, and one at least still holds its own (true when nothing was recorded). */
async function holdsTheirMessages(store: Store, q: RenameQuestion, sample: ReadonlyMap<number, MessageRecord>): Promise<boolean> {
  if (sample.size === 0) return true;
  try {
    await store.openFolder(q.name, { readOnly: true, uidValidity: q.uidValidity });
    const held = await store.fetchEnvelopes([...sample.keys()].sort((x, y) => x - y));
    return held.length > 0 && !held.some((e) => holdsAnotherMessage(sample.get(e.uid)!, q.side, identityOf(e)));
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return false;
  } finally {
    // Renamed on the other side before the pairs are read: not left selected.
    await store.closeFolder();
  }
}
