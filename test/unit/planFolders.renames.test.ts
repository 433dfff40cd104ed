// Folder renames in the pure folder planner (issue 9 §4): a remembered pair
// whose folder one side lost, and a new folder there with the recorded
// UIDVALIDITY whose record UIDs hold the records' messages (the answer to a
// RenameQuestion), is renamed on the other side; the rest of the plan is made
// as if it were done.
import { describe, expect, it } from 'vitest';
import { planFolders, type FolderPlanningInput, type KnownPair } from '../../src/sync/planFolders.js';
import type { RenameAnswer } from '../../src/sync/folderPlanTypes.js';
import type { FolderInfo, FolderStatus, NamespaceInfo } from '../../src/store/types.js';

const slash: NamespaceInfo = { prefix: '', delimiter: '/' };
const dotInbox: NamespaceInfo = { prefix: 'INBOX.', delimiter: '.' };

function status(uidValidity: bigint, messages = 3): FolderStatus {
  return { uidValidity, uidNext: messages + 1, highestModseq: 5n, messages };
}
function folder(name: string, uidValidity: bigint, extra: Partial<FolderInfo> = {}): FolderInfo {
  return { name, delimiter: '/', subscribed: true, selectable: true, status: status(uidValidity), ...extra };
}
/** A pair the state knows, with A's UIDVALIDITY `uvA` and B's `uvA + 100`. */
function known(nameA: string, uvA: bigint, nameB = nameA): KnownPair {
  return { nameA, nameB, statusA: status(uvA), statusB: status(uvA + 100n), hasHeld: false };
}
function input(over: Partial<FolderPlanningInput> & { mode?: 'copy' | 'mirror' | 'two-way'; deleteFolders?: boolean } = {}): FolderPlanningInput {
  const { mode = 'mirror', deleteFolders = false, ...rest } = over;
  return {
    options: { mode, dryRun: false, deleteFolders, force: false, full: false, filter: { include: [], exclude: [] } },
    a: { namespace: slash, folders: [] },
    b: { namespace: slash, folders: [] },
    known: [],
    state: { isNew: false, lastMode: mode },
    pendingAppends: [],
    canRename: { a: true, b: true },
    ...rest,
  };
}
const yes = (nameA: string, name: string, side: 'a' | 'b' = 'a'): RenameAnswer => ({ nameA, nameB: nameA, side, name, same: true });

/** A renamed Projects (with Projects/2025 below it) to Work; B has both under the old names. */
function projectsRenamedOnA(over: Partial<FolderPlanningInput> & { mode?: 'copy' | 'mirror' | 'two-way'; deleteFolders?: boolean } = {}): FolderPlanningInput {
  return input({
    a: { namespace: slash, folders: [folder('INBOX', 1n), folder('Work', 2n), folder('Work/2025', 3n)] },
    b: { namespace: slash, folders: [folder('INBOX', 101n), folder('Projects', 102n), folder('Projects/2025', 103n)] },
    known: [known('INBOX', 1n), known('Projects', 2n), known('Projects/2025', 3n)],
    ...over,
  });
}

describe('planFolders: renames', () => {
  it('asks whether the new folder holds the records\' messages before planning a rename', () => {
    const plan = planFolders(projectsRenamedOnA());
    expect(plan.renames).toEqual([]);
    expect(plan.renameQuestions).toEqual([
      { nameA: 'Projects', nameB: 'Projects', side: 'a', name: 'Work', uidValidity: 2n },
      { nameA: 'Projects/2025', nameB: 'Projects/2025', side: 'a', name: 'Work/2025', uidValidity: 3n },
    ]);
  });

  it('renames the parent on B (the child moves with it), and plans the rest as if it were done: nothing created, deleted or read', () => {
    const plan = planFolders(projectsRenamedOnA({ deleteFolders: true, renameAnswers: [yes('Projects', 'Work'), yes('Projects/2025', 'Work/2025')] }));
    expect(plan.renames.map((r) => [r.side, r.from, r.to, r.by, r.renamed])).toEqual([
      ['b', 'Projects', 'Work', 'rename', { nameA: 'Work', nameB: 'Work' }],
      ['b', 'Work/2025', 'Work/2025', 'parent', { nameA: 'Work/2025', nameB: 'Work/2025' }],
    ]);
    expect(plan.renames[0]!.why).toBe('A renamed Projects to Work');
    expect(plan.renameQuestions).toEqual([]);
    expect(plan.creates).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.foldersWithheld).toEqual([]);
    // Statuses as recorded: the renamed pairs are unchanged.
    expect(plan.pairs).toEqual([]);
    expect(plan.unchanged.map((u) => u.label)).toEqual(['INBOX', 'Work', 'Work/2025']);
  });

  it('copy mode follows A\'s renames too', () => {
    const plan = planFolders(projectsRenamedOnA({ mode: 'copy', renameAnswers: [yes('Projects', 'Work'), yes('Projects/2025', 'Work/2025')] }));
    expect(plan.renames.map((r) => [r.from, r.to, r.by])).toEqual([['Projects', 'Work', 'rename'], ['Work/2025', 'Work/2025', 'parent']]);
    expect(plan.creates).toEqual([]);
  });

  it('a "no" answer plans as before renames existed: B\'s folders are created, and (mirror --delete-folders) the old ones count as deletions', () => {
    const no = { ...yes('Projects', 'Work'), same: false };
    const plan = planFolders(projectsRenamedOnA({ deleteFolders: true, renameAnswers: [no, { ...yes('Projects/2025', 'Work/2025'), same: false }] }));
    expect(plan.renames).toEqual([]);
    expect(plan.creates.map((c) => c.name)).toEqual(['Work', 'Work/2025']);
    // Two of B's three folders: the guard withholds them.
    expect(plan.deletes).toEqual([]);
    expect(plan.foldersWithheld).toHaveLength(1);
  });

  it('does not rename a parent whose child on B stays (it would move with it)', () => {
    // Only Projects is proven the same; B's Projects/2025 is a pair A did not rename.
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('Work', 2n), folder('Projects/2025', 3n)] },
      b: { namespace: slash, folders: [folder('Projects', 102n), folder('Projects/2025', 103n)] },
      known: [known('Projects', 2n), known('Projects/2025', 3n)],
      renameAnswers: [yes('Projects', 'Work')],
    }));
    expect(plan.renames).toEqual([]);
    expect(plan.creates.map((c) => c.name)).toEqual(['Work']);
  });

  it('needs the recorded UIDVALIDITY, a UIDNEXT not below the recorded one, and exactly one candidate each way', () => {
    const ask = (a: FolderInfo[], k: KnownPair[]): string[] =>
      planFolders(input({ a: { namespace: slash, folders: a }, b: { namespace: slash, folders: [folder('Old', 102n)] }, known: k })).renameQuestions.map((q) => q.name);
    expect(ask([folder('New', 2n)], [known('Old', 2n)])).toEqual(['New']);
    expect(ask([folder('New', 9n)], [known('Old', 2n)])).toEqual([]);
    expect(ask([folder('New', 2n, { status: { ...status(2n), uidNext: 2 } })], [known('Old', 2n)])).toEqual([]);
    expect(ask([folder('New', 2n), folder('Newer', 2n)], [known('Old', 2n)])).toEqual([]);
    expect(ask([folder('New', 2n)], [known('Old', 2n), known('Gone', 2n)])).toEqual([]);
    // A special-use folder and INBOX are never renamed.
    expect(ask([folder('New', 2n, { specialUse: '\\Sent' })], [known('Old', 2n)])).toEqual([]);
  });

  it('without RENAME on the side to rename, plans no rename and asks nothing', () => {
    const plan = planFolders(projectsRenamedOnA({ canRename: { a: true, b: false } }));
    expect(plan.renameQuestions).toEqual([]);
    expect(plan.creates.map((c) => c.name)).toEqual(['Work', 'Work/2025']);
  });

  it('leaves a rename the store refused to the old rules', () => {
    const plan = planFolders(projectsRenamedOnA({
      renameAnswers: [yes('Projects', 'Work'), yes('Projects/2025', 'Work/2025')],
      refusedRenames: [{ nameA: 'Projects', nameB: 'Projects' }, { nameA: 'Projects/2025', nameB: 'Projects/2025' }],
    }));
    expect(plan.renames).toEqual([]);
    expect(plan.creates.map((c) => c.name)).toEqual(['Work', 'Work/2025']);
  });

  it('a run killed between the RENAME and its journal line: B already has the new name with the recorded UIDVALIDITY, only the state follows', () => {
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('Work', 2n)] },
      b: { namespace: slash, folders: [folder('Work', 102n)] },
      known: [known('Projects', 2n)],
      renameAnswers: [yes('Projects', 'Work')],
    }));
    expect(plan.renames.map((r) => [r.from, r.to, r.by])).toEqual([['Projects', 'Work', 'earlier run']]);
    expect(plan.pairs).toEqual([]);
    // Another folder at that name on B is not ours: no rename.
    const other = planFolders(input({
      a: { namespace: slash, folders: [folder('Work', 2n)] },
      b: { namespace: slash, folders: [folder('Work', 555n)] },
      known: [known('Projects', 2n)],
      renameAnswers: [yes('Projects', 'Work')],
    }));
    expect(other.renames).toEqual([]);
  });

  it('does not rename onto a name B already has, and spells the new name as B does', () => {
    const taken = planFolders(input({
      a: { namespace: slash, folders: [folder('Work', 2n)] },
      b: { namespace: slash, folders: [folder('Projects', 102n), folder('Work', 300n)] },
      known: [known('Projects', 2n)],
      renameAnswers: [yes('Projects', 'Work')],
    }));
    expect(taken.renames).toEqual([]);
    // Nor is the proof asked for: no rename could follow.
    expect(planFolders(input({ a: { namespace: slash, folders: [folder('Work', 2n)] }, b: { namespace: slash, folders: [folder('Projects', 102n), folder('Work', 300n)] }, known: [known('Projects', 2n)] })).renameQuestions).toEqual([]);
    const spelled = planFolders(input({
      a: { namespace: slash, folders: [folder('Work/Old', 2n)] },
      b: { namespace: dotInbox, folders: [folder('INBOX.Projects', 102n, { delimiter: '.' })] },
      known: [known('Projects', 2n, 'INBOX.Projects')],
      renameAnswers: [{ nameA: 'Projects', nameB: 'INBOX.Projects', side: 'a', name: 'Work/Old', same: true }],
    }));
    expect(spelled.renames.map((r) => [r.from, r.to, r.renamed])).toEqual([['INBOX.Projects', 'INBOX.Work.Old', { nameA: 'Work/Old', nameB: 'INBOX.Work.Old' }]]);
  });

  it('two-way: a rename on B is renamed on A, not deleted on A and created again', () => {
    const plan = planFolders(input({
      mode: 'two-way',
      a: { namespace: slash, folders: [folder('Projects', 2n)] },
      b: { namespace: slash, folders: [folder('Work', 102n)] },
      known: [known('Projects', 2n)],
      renameAnswers: [{ nameA: 'Projects', nameB: 'Projects', side: 'b', name: 'Work', same: true }],
    }));
    expect(plan.renames.map((r) => [r.side, r.from, r.to, r.renamed])).toEqual([['a', 'Projects', 'Work', { nameA: 'Work', nameB: 'Work' }]]);
    expect(plan.creates).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.forget).toEqual([]);
    expect(plan.foldersWithheld).toEqual([]);
  });

  it('copy and mirror do not follow B\'s renames', () => {
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('Projects', 2n)] },
      b: { namespace: slash, folders: [folder('Work', 102n)] },
      known: [known('Projects', 2n)],
    }));
    expect(plan.renameQuestions).toEqual([]);
  });

  it('the mirror guard does not count a renamed folder as lost', () => {
    // Two of three folders renamed: as deletions they would be more than half of B's folders.
    const plan = planFolders(input({
      deleteFolders: true,
      a: { namespace: slash, folders: [folder('INBOX', 1n), folder('X2', 2n), folder('Y2', 3n)] },
      b: { namespace: slash, folders: [folder('INBOX', 101n), folder('X', 102n), folder('Y', 103n)] },
      known: [known('INBOX', 1n), known('X', 2n), known('Y', 3n)],
      renameAnswers: [yes('X', 'X2'), yes('Y', 'Y2')],
    }));
    expect(plan.renames.map((r) => r.to)).toEqual(['X', 'Y'].map((n) => `${n}2`));
    expect(plan.foldersWithheld).toEqual([]);
    expect(plan.deletes).toEqual([]);
  });

  it('a dry run reads a renamed pair where its folders are now', () => {
    const plan = planFolders(input({
      options: { mode: 'mirror', dryRun: true, deleteFolders: false, force: false, full: false, filter: { include: [], exclude: [] } },
      a: { namespace: slash, folders: [folder('Work', 2n, { status: status(2n, 4) })] },
      b: { namespace: slash, folders: [folder('Projects', 102n)] },
      known: [known('Projects', 2n)],
      renameAnswers: [yes('Projects', 'Work')],
    }));
    expect(plan.pairs.map((p) => [p.job.nameA, p.job.nameB, p.job.readAs])).toEqual([['Work', 'Work', { b: 'Projects' }]]);
  });
});
