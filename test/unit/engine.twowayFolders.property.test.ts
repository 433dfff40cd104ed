// Two-way property test, folders (issue 8, §4): as engine.twoway.property.test.ts
// (what is checked, how to replay a seed), with three folders: created on either
// side, messages copied between them by users, and folders deleted on either side
// (those histories start with a run, so that the state knows every folder and a
// deletion counts). 6,000 of the 10,000 histories.

import { describeFixedHistories, describeRandomHistories } from '../support/twoWayHistory.js';

describeFixedHistories([
  // Seed 1350366460 (review 9, REPLIMAP_PROPERTY_STEPS=20): the first run, killed, recorded m0 at A's UID 1 and no
  // status; A restored to before m0: A's UID 1 gone was taken for a deletion, m0 expunged from B. A known UID at
  // or above UIDNEXT is evidence of a rollback also without a stored status.
  'A+INBOX:m0,B+INBOX:m1,kill-before-write#2,restoreA~0,A+INBOX:m0',
  // Bug 6 (review 9, found by a CI-sized run): B restored to before m1 and m2 reached it, then m1 (without its
  // \Deleted) and m2 delivered again: the same UIDs at the same MODSEQs as the run left them, only m1's flags
  // differ, at a MODSEQ the state already read: no read can see it (only --full), so the harness now takes such a
  // restore back (unseenRollback, as for one at exactly the recorded counters); the rest of the history still runs.
  'B+INBOX:m1(+\\Deleted),restoreA~0+m2,restoreB~0+m1+m2',
], { initial: [1], presync: false });

describeRandomHistories([
  { name: 'several folders, created on either side, copies between them', folders: 3, folderSteps: true, deletes: false, initial: [1], presync: false, share: 0.3 },
  { name: 'folders also deleted on either side', folders: 3, folderSteps: true, deletes: true, initial: [1, 2], presync: true, share: 0.3 },
]);
