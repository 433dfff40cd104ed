// Folder renames proven by MAILBOXID (RFC 8474 OBJECTID) in the pure folder
// planner (issue 9 §4): where the listing gives ids and the state recorded the
// pair's, the id decides, without a RenameQuestion; a folder under the pair's
// name with another id is another folder (read as a new UIDVALIDITY is).
import { describe, expect, it } from 'vitest';
import { planFolders, type FolderPlanningInput, type KnownPair } from '../../src/sync/planFolders.js';
import type { FolderInfo, FolderStatus, NamespaceInfo } from '../../src/store/types.js';

const slash: NamespaceInfo = { prefix: '', delimiter: '/' };

function status(uidValidity: bigint, mailboxId?: string): FolderStatus {
  return { uidValidity, uidNext: 4, highestModseq: 5n, messages: 3, ...(mailboxId !== undefined && { mailboxId }) };
}
/** A listed folder with UIDVALIDITY `uv` and MAILBOXID `id` (none when undefined). */
function folder(name: string, uv: bigint, id?: string): FolderInfo {
  return { name, delimiter: '/', subscribed: true, selectable: true, status: status(uv, id) };
}
/** A pair the state knows: A's UIDVALIDITY `uv` and id `id`, B's `uv + 100` and `B-<id>`. */
function known(name: string, uv: bigint, id?: string): KnownPair {
  return { nameA: name, nameB: name, statusA: status(uv, id), statusB: status(uv + 100n, id && `B-${id}`), hasHeld: false };
}
function input(a: FolderInfo[], b: FolderInfo[], k: KnownPair[], mode: 'copy' | 'mirror' | 'two-way' = 'mirror'): FolderPlanningInput {
  return {
    options: { mode, dryRun: false, deleteFolders: false, force: false, full: false, filter: { include: [], exclude: [] } },
    a: { namespace: slash, folders: a },
    b: { namespace: slash, folders: b },
    known: k,
    state: { isNew: false, lastMode: mode },
    pendingAppends: [],
    canRename: { a: true, b: true },
  };
}

interface Row {
  what: string;
  a: FolderInfo[];
  b: FolderInfo[];
  known: KnownPair[];
  mode?: 'copy' | 'mirror' | 'two-way';
  /** [side, from, to, by] of each rename planned. */
  renames: [string, string, string, string][];
  /** Names of the rename questions asked. */
  questions: string[];
  /** Folders created (before any answer to a question), as side:name. */
  creates: string[];
}

const rows: Row[] = [
  {
    what: 'A renamed Projects (and its child) to Work: proven by the ids, no question asked',
    a: [folder('Work', 2n, 'P'), folder('Work/2025', 3n, 'P25')],
    b: [folder('Projects', 102n, 'B-P'), folder('Projects/2025', 103n, 'B-P25')],
    known: [known('Projects', 2n, 'P'), known('Projects/2025', 3n, 'P25')],
    renames: [['b', 'Projects', 'Work', 'rename'], ['b', 'Work/2025', 'Work/2025', 'parent']],
    questions: [],
    creates: [],
  },
  {
    what: 'the id proves a rename the counters cannot (another UIDVALIDITY, two candidates alike)',
    a: [folder('Work', 9n, 'P'), folder('Other', 9n, 'Q')],
    b: [folder('Projects', 102n, 'B-P')],
    known: [known('Projects', 2n, 'P')],
    renames: [['b', 'Projects', 'Work', 'rename']],
    questions: [],
    creates: ['b:Other'],
  },
  {
    what: 'the id wins over the counters: a candidate with the recorded UIDVALIDITY but another id is not the folder',
    a: [folder('Work', 2n, 'X')],
    b: [folder('Projects', 102n, 'B-P')],
    known: [known('Projects', 2n, 'P')],
    renames: [],
    questions: [],
    creates: ['b:Work'],
  },
  {
    what: 'A renamed Projects to Work and created a new Projects: B renames, then gets the new Projects',
    a: [folder('Projects', 7n, 'NEW'), folder('Work', 2n, 'P')],
    b: [folder('Projects', 102n, 'B-P')],
    known: [known('Projects', 2n, 'P')],
    renames: [['b', 'Projects', 'Work', 'rename']],
    questions: [],
    creates: ['b:Projects'],
  },
  {
    what: 'a state without ids (older replimap): the counters and the records decide, as before',
    a: [folder('Work', 2n, 'P')],
    b: [folder('Projects', 102n, 'B-P')],
    known: [known('Projects', 2n)],
    renames: [],
    questions: ['Work'],
    // Until the question is answered, planned as before renames existed.
    creates: ['b:Work'],
  },
  {
    what: 'a listing without ids (the server lost OBJECTID): the counters and the records decide',
    a: [folder('Work', 2n)],
    b: [folder('Projects', 102n)],
    known: [known('Projects', 2n, 'P')],
    renames: [],
    questions: ['Work'],
    // Until the question is answered, planned as before renames existed.
    creates: ['b:Work'],
  },
  {
    what: 'a killed run renamed B already: B\'s folder under the new name with the recorded id, only the state follows',
    a: [folder('Work', 2n, 'P')],
    b: [folder('Work', 102n, 'B-P')],
    known: [known('Projects', 2n, 'P')],
    renames: [['b', 'Projects', 'Work', 'earlier run']],
    questions: [],
    creates: [],
  },
  {
    what: 'B\'s folder under the new name has the recorded UIDVALIDITY but another id: not ours, no rename',
    a: [folder('Work', 2n, 'P')],
    b: [folder('Work', 102n, 'B-OTHER')],
    known: [known('Projects', 2n, 'P')],
    renames: [],
    questions: [],
    creates: [],
  },
  {
    what: 'two-way: B renamed Projects to Work, proven by B\'s id; A renames',
    mode: 'two-way',
    a: [folder('Projects', 2n, 'P')],
    b: [folder('Work', 102n, 'B-P')],
    known: [known('Projects', 2n, 'P')],
    renames: [['a', 'Projects', 'Work', 'rename']],
    questions: [],
    creates: [],
  },
  {
    what: 'copy mode does not follow B\'s renames, ids or not',
    mode: 'copy',
    a: [folder('Projects', 2n, 'P')],
    b: [folder('Work', 102n, 'B-P')],
    known: [known('Projects', 2n, 'P')],
    renames: [],
    questions: [],
    creates: ['b:Projects'],
  },
];

describe('planFolders: renames by MAILBOXID', () => {
  for (const row of rows) {
    it(row.what, () => {
      const plan = planFolders(input(row.a, row.b, row.known, row.mode));
      expect(plan.renames.map((r) => [r.side, r.from, r.to, r.by])).toEqual(row.renames);
      expect(plan.renameQuestions.map((q) => q.name)).toEqual(row.questions);
      expect(plan.creates.map((c) => `${c.side}:${c.name}`)).toEqual(row.creates);
    });
  }

  it('says the rename is proven by the id', () => {
    const plan = planFolders(input([folder('Work', 2n, 'P')], [folder('Projects', 102n, 'B-P')], [known('Projects', 2n, 'P')]));
    expect(plan.renames.map((r) => r.why)).toEqual(['A renamed Projects to Work (same MAILBOXID)']);
  });

  it('a folder under the pair\'s name with another id is read (deleted and created again), even with every counter as recorded', () => {
    const plan = planFolders(input([folder('Projects', 2n, 'NEW')], [folder('Projects', 102n, 'B-P')], [known('Projects', 2n, 'P')]));
    expect(plan.renames).toEqual([]);
    expect(plan.pairs.map((p) => [p.job.label, p.why])).toEqual([['Projects', 'A changed']]);
    // The read gets the listing, whose id tells it that nothing of the recorded folder is there.
    expect(plan.pairs[0]!.job.listed?.a?.mailboxId).toBe('NEW');
    // The same ids: unchanged, skipped.
    const same = planFolders(input([folder('Projects', 2n, 'P')], [folder('Projects', 102n, 'B-P')], [known('Projects', 2n, 'P')]));
    expect([same.pairs, same.unchanged.map((u) => u.label)]).toEqual([[], ['Projects']]);
  });

  it('an unchanged folder whose id the state lacks (an older state, a folder a run created) is read once, to record it', () => {
    const older = planFolders(input([folder('Projects', 2n, 'P')], [folder('Projects', 102n, 'B-P')], [known('Projects', 2n)]));
    expect(older.pairs.map((p) => [p.job.label, p.why])).toEqual([['Projects', 'reading A once to record its MAILBOXID']]);
    const createdOnB: KnownPair = { ...known('Projects', 2n, 'P'), statusB: status(102n) };
    const onB = planFolders(input([folder('Projects', 2n, 'P')], [folder('Projects', 102n, 'B-P')], [createdOnB]));
    expect(onB.pairs.map((p) => p.why)).toEqual(['reading B once to record its MAILBOXID']);
    // A server without ids: nothing to learn, skipped.
    const none = planFolders(input([folder('Projects', 2n)], [folder('Projects', 102n)], [known('Projects', 2n)]));
    expect(none.pairs).toEqual([]);
  });
});
