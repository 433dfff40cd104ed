// Property tests of two-way mode (issue 8, §4): the real engine (runSync) on
// two in-memory accounts, random histories that change both sides between
// runs (appends, the same message on both sides, Message-ID-less twins, flag
// adds and removes, expunges, copies between folders, folders created and
// deleted, new UIDVALIDITYs, restores from an older snapshot followed by new
// mail that reuses the lost UIDs, a lost state file), and two-way runs at
// random points, some killed before or after one of their store operations
// (test/support/memoryKill.ts). Before every run the model
// (test/support/twoWayModel.ts) reads both servers and the state and says
// what the run must leave of each message; after it:
// - any run: nothing twice on a side, nothing from nowhere, nothing lost
//   that no side deleted (a message the model keeps is still on some side);
// - a finished run: no failure; both sides hold the same folders and, per
//   folder, the same multiset of (body digest, flags); what a side deleted
//   (and the state proves was synced) is gone from both, nothing else is;
//   flags merged as the issue says;
// - at the end, a second settle run changes nothing, and the state tells the
//   truth (every record's UIDs hold its message, every message has a record).
// The harness is test/support/twoWayHistory.ts. Histories are short (at most
// 6 steps) and folders few (at most 3, at most 4 messages and 2 twins each),
// so that 10,000 of them run in CI: 4,000 here (one folder), 6,000 in
// engine.twowayFolders.property.test.ts (several folders, created and
// deleted), the two files on the two workers. A failure prints fast-check's
// seed and the shrunk history, one step per item as stepText writes it; FIXED
// takes histories in that notation. REPLIMAP_PROPERTY_RUNS=n runs n histories
// per stage, REPLIMAP_PROPERTY_SEED=s replays a failure's seed, REPLIMAP_PROPERTY_STEPS=n
// makes histories of up to n steps (6 by default).

import { describeFixedHistories, describeRandomHistories } from '../support/twoWayHistory.js';

/** Histories worth keeping as plain tests, as a counterexample prints them. */
const FIXED: string[] = [
  // The flag example: base \Flagged; A adds \Seen, B removes \Flagged and adds kw.
  'A+INBOX:m1(+\\Flagged),sync,A~INBOX#0(+\\Seen),B~INBOX#0(+kw-\\Flagged),sync',
  // The same message arriving on both sides while apart is paired, not duplicated.
  'A+INBOX:m1,B+INBOX:m1(+\\Seen),sync',
  // An expunge against a concurrent flag change: the expunge wins.
  'A+INBOX:m1,sync,A-INBOX#0,B~INBOX#0(+\\Flagged),sync',
  // B restored from before a copy, then new mail takes the lost UID.
  'A+INBOX:m0,snapB,sync,restoreB~0+m2',
  // A folder B deleted while A got new mail there comes back on B.
  'A create F1,sync,B delete F1,A+F1:m0,sync',
  // Seed 1387388957 (review 9, shrunk to 6 steps): a killed run recorded m0 at B's UID 2; B restored to empty, then
  // m1 took UID 1, which brings B's counters back to those recorded (UIDNEXT 2). B's UID 2 was taken for a deletion on
  // B and m0 expunged from A: gone from both, exit 0. A known UID at or above UIDNEXT now proves B went back in time.
  'restoreA~0+m0,B-INBOX#0,B+INBOX:m0,A+INBOX:m1,kill-before-write#0,restoreB~0+m1',
  // Seed -165973261 (session 9, failed on main): the killed first run recorded m0 at A's UID 1 without a status; A
  // restored to empty: m0 was lost from A and not brought back. Fixed by 6163cfe (review 9, bug 5: a known UID at or
  // above UIDNEXT is rollback evidence also without a stored status).
  'A+INBOX:m0,B+INBOX:t0.0,kill-before-write#1,restoreA~0',
];

describeFixedHistories(FIXED);

describeRandomHistories([{ name: 'one folder', folders: 1, folderSteps: false, deletes: false, initial: [], presync: false, share: 0.4 }]);
