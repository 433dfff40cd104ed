// The fallback when a size question still finds a reused UID after its pair
// was read again in full (src/sync/reusedFound.ts): nothing is done to that
// UID in this run, its record is kept, the folder is read again next run.

import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/state/types.js';
import type { FolderPlan } from '../../src/sync/planTypes.js';
import { leaveReusedAlone } from '../../src/sync/reusedFound.js';

const record = (uidA: number, uidB: number, gid: string): MessageRecord => ({ uidA, uidB, gid, flags: ['\\Deleted'] });

function pairOf(label: string, plan: Partial<FolderPlan>): { reading: { job: { nameA: string; nameB: string; label: string; missingOn: []; rescanB: false } }; plan: FolderPlan; work: { appends: number; appendBytes: number; flagUpdates: number; expunges: number } } {
  const full: FolderPlan = { records: [], appends: [], flagChanges: [], expunges: [], droppedKeywords: { a: [], b: [] }, reusedUids: [], expungesWithheld: 0, ...plan };
  return {
    reading: { job: { nameA: label, nameB: label, label, missingOn: [], rescanB: false } },
    plan: full,
    work: { appends: 0, appendBytes: 0, flagUpdates: full.flagChanges.length, expunges: full.expunges.length },
  };
}

describe('leaveReusedAlone', () => {
  it('drops the flag change and the deletion on the found UID of that side only, keeps its record, warns once', () => {
    const kept = record(3, 7, 'g7');
    const x = pairOf('X', {
      records: [record(4, 8, 'g8')],
      flagChanges: [
        { side: 'b', uid: 8, add: ['\\Deleted'], remove: [], why: 'A set it' },
        { side: 'b', uid: 9, add: ['\\Seen'], remove: [], why: 'A set it' },
        { side: 'a', uid: 8, add: ['\\Seen'], remove: [], why: 'B set it' },
      ],
      expunges: [{ side: 'b', uid: 7, record: kept, flags: [], why: 'A expunged it' }],
    });
    const y = pairOf('Y', { flagChanges: [{ side: 'b', uid: 8, add: ['\\Flagged'], remove: [], why: 'A set it' }] });
    const warnings: string[] = [];
    const [outX, outY] = leaveReusedAlone([x, y], [{ label: 'X', side: 'b', uid: 8 }, { label: 'X', side: 'b', uid: 7 }], warnings);
    expect(outX!.plan.flagChanges.map((c) => `${c.side}${c.uid}`)).toEqual(['b9', 'a8']);
    expect(outX!.plan.expunges).toEqual([]);
    expect(outX!.plan.records).toEqual([record(4, 8, 'g8'), kept]);
    expect(outX!.plan.reusedFound).toEqual([{ side: 'b', uid: 8 }, { side: 'b', uid: 7 }]);
    expect(outX!.work).toEqual({ appends: 0, appendBytes: 0, flagUpdates: 2, expunges: 0 });
    expect(outY).toBe(y);
    expect(warnings).toEqual([expect.stringMatching(/^X: B UIDs 8 7 hold another message than recorded .*not changing their flags or deleting them in this run; the folder is read again next run$/)]);
  });

  it('without findings: the same pairs, no warning', () => {
    const x = pairOf('X', {});
    const warnings: string[] = [];
    expect(leaveReusedAlone([x], [], warnings)).toEqual([x]);
    expect(warnings).toEqual([]);
  });
});
