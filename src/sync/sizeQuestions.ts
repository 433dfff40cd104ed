// Answers to the account planner's size questions (planTransfers.ts): the
// sizes (CRLF form) of messages a server-side move or copy could use whose
// read gave none, one UID FETCH per folder and side. A folder that cannot be
// opened, or a message not returned, just has no answer: its append stays.
// So has a UID that holds another message than the state records there (the
// folder's counters can hide a restore plus new mail; the size alone would
// let a message of the same size be copied in its place): such a UID is also
// reported (FoundReused), for the planner to leave it alone (reusedFound.ts).

import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { identityOf } from './identity.js';
import { sizeKey, type FoundReused, type KnownSizes, type SizeQuestion, type SourceRead } from './planTransfers.js';
import type { PairPlan } from './planAccount.js';
import { normalizeFlags } from './flags.js';
import type { StorePair } from './extraConnections.js';
import type { SyncObserver } from './types.js';

interface SizeJob {
  label: string;
  question: SizeQuestion;
  pair: PairPlan;
}

interface SizeAnswers {
  sizes: [string, SourceRead][];
  reused: FoundReused[];
}

type SizeRunner = (jobs: SizeJob[], work: (stores: StorePair, job: SizeJob) => Promise<SizeAnswers>) => Promise<SizeAnswers[]>;

export async function readSizes(
  questions: readonly SizeQuestion[],
  pairs: readonly PairPlan[],
  observer: SyncObserver,
  run: SizeRunner,
): Promise<{ sizes: KnownSizes; reused: FoundReused[] }> {
  const byLabel = new Map(pairs.map((p) => [p.reading.job.label, p]));
  const jobs = questions.map((question) => ({ label: question.label, question, pair: byLabel.get(question.label)! }));
  const answers = await run(jobs, (stores, job) => sizesIn(stores[job.question.side], job, observer));
  return { sizes: new Map(answers.flatMap((a) => a.sizes)), reused: answers.flatMap((a) => a.reused) };
}

async function sizesIn(store: Store, { question, pair }: SizeJob, observer: SyncObserver): Promise<SizeAnswers> {
  const { job, reads } = pair.reading;
  try {
    await store.openFolder(question.side === 'a' ? job.nameA : job.nameB, { readOnly: true, uidValidity: reads[question.side].status.uidValidity });
    const envelopes = await store.fetchEnvelopes(question.uids);
    const expected = new Map(question.uids.map((uid, i) => [uid, question.gids[i]]));
    const holds = (e: (typeof envelopes)[number]): boolean => identityOf(e).gid === expected.get(e.uid);
    return {
      sizes: envelopes.filter(holds).map((e) => [sizeKey(question.label, question.side, e.uid), { size: e.size, flags: normalizeFlags(e.flags) }]),
      reused: envelopes.filter((e) => expected.has(e.uid) && !holds(e)).map((e) => ({ label: question.label, side: question.side, uid: e.uid })),
    };
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    observer.verbose(`${job.label}: could not read the sizes of ${question.uids.length} messages a move could use (${err.message}); they are copied again`);
    return { sizes: [], reused: [] };
  }
}
