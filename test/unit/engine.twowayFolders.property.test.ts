// Two-way property test, folders (issue 8, §4): as engine.twoway.property.test.ts
// (what is checked, how to replay a seed), with three folders: created on either
// side, messages copied between them by users, and folders deleted on either side
// (those histories start with a run, so that the state knows every folder and a
// deletion counts). 6,000 of the 10,000 histories.

import { describeRandomHistories } from '../support/twoWayHistory.js';

describeRandomHistories([
  { name: 'several folders, created on either side, copies between them', folders: 3, folderSteps: true, deletes: false, initial: [1], presync: false, share: 0.3 },
  { name: 'folders also deleted on either side', folders: 3, folderSteps: true, deletes: true, initial: [1, 2], presync: true, share: 0.3 },
]);
