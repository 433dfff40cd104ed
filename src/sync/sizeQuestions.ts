// Answers to the account planner's size questions (planTransfers.ts): the
// sizes (CRLF form) of messages a server-side move or copy could use whose
// read gave none, one UID FETCH per folder and side. A folder that cannot be
// opened, or a message not returned, just has no answer: its append stays.
// So has a UID that holds another message than the state records there (the
// folder's counters can hide a restore plus new mail; the size alone would
// let a message of the same size be copied in its place): such a UID is also
// reported (FoundReused), for the planner to leave it alone (reusedFound.ts).
// The folder may be one the run skipped as unchanged (a copy's source known
// from the state): the question names its folder and UIDVALIDITY itself.

import { StoreError } from '../errors.js';
import type { Store } from '../store/types.js';
import { identityOf } from './identity.js';
import { sizeKey, type FoundReused, type KnownSizes, type SizeQuestion, type SourceRead } from './planTransfers.js';
import { normalizeFlags } from './flags.js';
import type { StorePair } from './extraConnections.js';
import type { SyncObserver } from './types.js';

interface SizeJob {
  label: string;
  question: SizeQuestion;
}

interface SizeAnswers {
  sizes: [string, SourceRead][];
  reused: FoundReused[];
}

type SizeRunner = (jobs: SizeJob[], work: (stores: StorePair, job: SizeJob) => Promise<SizeAnswers>) => Promise<SizeAnswers[]>;

export async function readSizes(
  questions: readonly SizeQuestion[],
  observer: SyncObserver,
  run: SizeRunner,
): Promise<{ sizes: KnownSizes; reused: FoundReused[] }> {
  const jobs = questions.map((question) => ({ label: question.label, question }));
  const answers = await run(jobs, (stores, job) => sizesIn(stores[job.question.side], job, observer));
  return { sizes: new Map(answers.flatMap((a) => a.sizes)), reused: answers.flatMap((a) => a.reused) };
}

async function sizesIn(store: Store, { question }: SizeJob, observer: SyncObserver): Promise<SizeAnswers> {
  try {
    await store.openFolder(question.name, { readOnly: true, uidValidity: question.uidValidity });
    const envelopes = await store.fetchEnvelopes(question.uids);
    const expected = new Map(question.uids.map((uid, i) => [uid, question.gids[i]]));
    const holds = (e: (typeof envelopes)[number]): boolean => identityOf(e).gid === expected.get(e.uid);
    // Sources are asked about only for copies whose id hashes a Message-ID (planTransfers): any other id read at the UID,
    // one hashing a size included, is another message.
    const reused = (e: (typeof envelopes)[number]): boolean => expected.has(e.uid) && !holds(e);
    return {
      sizes: envelopes.filter(holds).map((e) => [sizeKey(question.label, question.side, e.uid), { size: e.size, flags: normalizeFlags(e.flags) }]),
      reused: envelopes.filter(reused).map((e) => ({ label: question.label, side: question.side, uid: e.uid })),
    };
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    observer.verbose(`${question.label}: could not read the sizes of ${question.uids.length} messages a move could use (${err.message}); they are copied again`);
    return { sizes: [], reused: [] };
  }
}
