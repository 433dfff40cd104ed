// Answers to the account planner's size questions (planTransfers.ts): the
// sizes (CRLF form) of messages a server-side move or copy could use whose
// read gave none, one UID FETCH per folder and side. A folder that cannot be
// opened, or a message not returned, just has no answer: its append stays.
// So has a UID that holds another message than the state records there (the
// folder's counters can hide a restore plus new mail; the size alone would
// let a message of the same size be copied in its place).

import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { identityOf } from './identity.js';
import { sizeKey, type KnownSizes, type SizeQuestion, type SourceRead } from './planTransfers.js';
import type { PairPlan } from './planAccount.js';
import { normalizeFlags } from './flags.js';
import type { StorePair } from './extraConnections.js';
import type { SyncObserver } from './types.js';

interface SizeJob {
  label: string;
  question: SizeQuestion;
  pair: PairPlan;
}

type SizeRunner = (jobs: SizeJob[], work: (stores: StorePair, job: SizeJob) => Promise<[string, SourceRead][]>) => Promise<[string, SourceRead][][]>;

export async function readSizes(
  questions: readonly SizeQuestion[],
  pairs: readonly PairPlan[],
  observer: SyncObserver,
  run: SizeRunner,
): Promise<KnownSizes> {
  const byLabel = new Map(pairs.map((p) => [p.reading.job.label, p]));
  const jobs = questions.map((question) => ({ label: question.label, question, pair: byLabel.get(question.label)! }));
  const answers = await run(jobs, (stores, job) => sizesIn(stores[job.question.side], job, observer));
  return new Map(answers.flat());
}

async function sizesIn(store: Store, { question, pair }: SizeJob, observer: SyncObserver): Promise<[string, SourceRead][]> {
  const { job, reads } = pair.reading;
  try {
    await store.openFolder(question.side === 'a' ? job.nameA : job.nameB, { readOnly: true, uidValidity: reads[question.side].status.uidValidity });
    const envelopes = await store.fetchEnvelopes(question.uids);
    const expected = new Map(question.uids.map((uid, i) => [uid, question.gids[i]]));
    return envelopes
      .filter((e) => identityOf(e).gid === expected.get(e.uid))
      .map((e) => [sizeKey(question.label, question.side, e.uid), { size: e.size, flags: normalizeFlags(e.flags) }]);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    observer.verbose(`${job.label}: could not read the sizes of ${question.uids.length} messages a move could use (${err.message}); they are copied again`);
    return [];
  }
}
