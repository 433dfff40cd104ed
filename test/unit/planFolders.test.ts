// The pure folder planner: the account's folder rules as data in, actions out
// (no store, no state file).
import { describe, expect, it } from 'vitest';
import { planFolders, type FolderPlanningInput, type KnownPair } from '../../src/sync/planFolders.js';
import type { FolderInfo, FolderStatus, NamespaceInfo } from '../../src/store/types.js';
import type { SideStatus } from '../../src/state/types.js';

const slash: NamespaceInfo = { prefix: '', delimiter: '/' };
const dotInbox: NamespaceInfo = { prefix: 'INBOX.', delimiter: '.' };

function status(messages: number, modseq = 5n): FolderStatus {
  return { uidValidity: 1n, uidNext: messages + 1, highestModseq: modseq, messages };
}
function folder(name: string, extra: Partial<FolderInfo> = {}): FolderInfo {
  return { name, delimiter: '/', subscribed: true, selectable: true, status: status(3), ...extra };
}
function known(nameA: string, nameB = nameA, extra: Partial<KnownPair> = {}): KnownPair {
  const s: SideStatus = status(3);
  return { nameA, nameB, statusA: s, statusB: s, hasHeld: false, ...extra };
}
function input(over: Partial<FolderPlanningInput> & { optionsOver?: Partial<FolderPlanningInput['options']> } = {}): FolderPlanningInput {
  const { optionsOver, ...rest } = over;
  return {
    options: { mode: 'copy', dryRun: false, deleteFolders: false, force: false, full: false, filter: { include: [], exclude: [] }, ...optionsOver },
    a: { namespace: slash, folders: [folder('INBOX')] },
    b: { namespace: slash, folders: [folder('INBOX')] },
    known: [],
    state: { isNew: true, lastMode: undefined },
    pendingAppends: [],
    ...rest,
  };
}

describe('planFolders', () => {
  it('creates the parents B lacks before the folder, subscribes, and syncs the new pair (INBOX first)', () => {
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('Work/2024'), folder('INBOX'), folder('Work', { selectable: false, status: undefined })] },
    }));
    expect(plan.creates).toEqual([
      { side: 'b', name: 'Work', why: 'parent of Work/2024' },
      { side: 'b', name: 'Work/2024', why: "B lacks the pair of A's Work/2024" },
    ]);
    expect(plan.subscribes).toEqual([{ side: 'b', name: 'Work/2024', label: 'Work/2024', why: 'A subscribes to Work/2024' }]);
    expect(plan.pairs.map((p) => [p.job.label, p.why])).toEqual([['INBOX', 'new pair'], ['Work/2024', 'new pair']]);
    expect(plan.unchanged).toEqual([]);
  });

  it('translates names between namespaces and labels the pair with both', () => {
    const plan = planFolders(input({
      a: { namespace: dotInbox, folders: [folder('INBOX', { delimiter: '.' }), folder('INBOX.Sent', { delimiter: '.' })] },
    }));
    expect(plan.pairs.map((p) => p.job.label)).toEqual(['INBOX', 'INBOX.Sent (Sent)']);
    expect(plan.creates.map((c) => c.name)).toEqual(['Sent']);
  });

  it('skips a pair whose statuses did not change, and says why it syncs the others', () => {
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('INBOX'), folder('A'), folder('B'), folder('C', { status: status(4) })] },
      b: { namespace: slash, folders: [folder('INBOX'), folder('A'), folder('B', { status: status(3, 9n) }), folder('C')] },
      known: [known('INBOX'), known('A'), known('B'), known('C')],
      state: { isNew: false, lastMode: 'copy' },
    }));
    expect(plan.unchanged).toEqual([{ label: 'INBOX', nameA: 'INBOX', nameB: 'INBOX', messages: 3 }, { label: 'A', nameA: 'A', nameB: 'A', messages: 3 }]);
    // C gave out new UIDs since the state, B only changed its counts: the most new mail first (folderOrder.ts).
    expect(plan.pairs.map((p) => [p.job.label, p.why])).toEqual([['C', 'A changed'], ['B', 'B changed']]);
    expect(plan.pairs.map((p) => p.estimate)).toEqual([1, 0]);
  });

  it('never skips under --full, with unresolved appends, or (mirror) with held records', () => {
    const base = {
      a: { namespace: slash, folders: [folder('INBOX'), folder('Held')] },
      b: { namespace: slash, folders: [folder('INBOX'), folder('Held')] },
      state: { isNew: false, lastMode: 'mirror' as const },
    };
    const full = planFolders(input({ ...base, known: [known('INBOX'), known('Held')], optionsOver: { full: true } }));
    expect(full.pairs.map((p) => p.why)).toEqual(['--full', '--full']);
    const pending = planFolders(input({ ...base, known: [known('INBOX'), known('Held')], pendingAppends: [{ nameA: 'Held', nameB: 'Held' }] }));
    expect(pending.pairs.map((p) => [p.job.label, p.why])).toEqual([['Held', 'appends with unknown result from an earlier run; checking B for them']]);
    const pendingCopies = planFolders(input({ ...base, known: [known('INBOX'), known('Held', 'Held', { hasPending: true })] }));
    expect(pendingCopies.pairs.map((p) => [p.job.label, p.why])).toEqual([['Held', 'copies pending from an earlier run']]);
    const held = planFolders(input({ ...base, known: [known('INBOX'), known('Held', 'Held', { hasHeld: true })], optionsOver: { mode: 'mirror' } }));
    expect(held.pairs.map((p) => [p.job.label, p.why])).toEqual([['Held', 'keeps messages A lost when it went back in time']]);
  });

  it('reads every flag on B once on the first mirror run after copy runs', () => {
    const plan = planFolders(input({ known: [known('INBOX')], state: { isNew: false, lastMode: 'copy' }, optionsOver: { mode: 'mirror' } }));
    expect(plan.rescanB).toBe(true);
    expect(plan.pairs[0]!.job.rescanB).toBe(true);
    expect(planFolders(input({ known: [known('INBOX')], state: { isNew: false, lastMode: 'mirror' }, optionsOver: { mode: 'mirror' } })).rescanB).toBe(false);
  });

  it('two-way: reads every flag on B once after copy runs (not after mirror or two-way), and reads a folder with held records', () => {
    const twoWayAfter = (lastMode: 'copy' | 'mirror' | 'two-way') =>
      planFolders(input({ known: [known('INBOX')], state: { isNew: false, lastMode }, optionsOver: { mode: 'two-way' } }));
    expect(twoWayAfter('copy').pairs.map((p) => [p.job.rescanB, p.why])).toEqual([[true, 'first two-way run on this state: reading every flag on B once']]);
    expect([twoWayAfter('mirror').rescanB, twoWayAfter('two-way').rescanB]).toEqual([false, false]);
    const held = planFolders(input({
      known: [known('INBOX', 'INBOX', { hasHeld: true })], state: { isNew: false, lastMode: 'mirror' }, optionsOver: { mode: 'two-way' },
    }));
    expect(held.pairs.map((p) => p.why)).toEqual(['keeps messages A lost when it went back in time']);
  });

  it("two-way: the account-wide count on B's side withholds every deletion of the folders B's count dropped in", () => {
    const remembered = (messages: number): SideStatus => ({ ...status(messages), uidNext: 100 });
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('INBOX', { status: status(20) }), folder('Work', { status: status(10) })] },
      b: { namespace: slash, folders: [folder('INBOX', { status: status(2) }), folder('Work', { status: status(10) })] },
      known: [known('INBOX', 'INBOX', { statusA: remembered(20), statusB: remembered(20) }), known('Work', 'Work', { statusA: remembered(10), statusB: remembered(10) })],
      state: { isNew: false, lastMode: 'two-way' },
      optionsOver: { mode: 'two-way' },
    }));
    expect(plan.pairs.map((p) => [p.job.label, p.job.withholdAll])).toEqual([
      ['INBOX', 'B lacks 18 of the 30 messages the state remembers across the account (more than half; a broken server?)'],
      ['Work', undefined],
    ]);
  });

  it('two-way: a folder a side lost counts toward its account-wide count (mirror: a folder A no longer lists does not)', () => {
    const remembered = (messages: number): SideStatus => ({ ...status(messages), uidNext: 100 });
    const account = (mode: 'two-way' | 'mirror') => planFolders(input({
      a: { namespace: slash, folders: [folder('INBOX', { status: status(1) })] },
      b: { namespace: slash, folders: [folder('INBOX', { status: status(2) }), folder('Big', { status: status(12) })] },
      known: [known('INBOX', 'INBOX', { statusA: remembered(2), statusB: remembered(2) }), known('Big', 'Big', { statusA: remembered(12), statusB: remembered(12) })],
      state: { isNew: false, lastMode: mode },
      optionsOver: { mode },
    }));
    expect(account('two-way').pairs.map((p) => [p.job.label, p.job.withholdAll])).toEqual([
      ['INBOX', 'A lacks 13 of the 14 messages the state remembers across the account, 12 of them in a folder it no longer lists (more than half; a broken source?)'],
    ]);
    expect(account('mirror').pairs.map((p) => [p.job.label, p.job.withholdAll])).toEqual([['INBOX', undefined]]);
  });

  it('lists an A folder without a B folder of its own as a failure, and leaves out unselected folders', () => {
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('INBOX'), folder('Sent', { specialUse: '\\Sent' }), folder('Sent Items', { specialUse: '\\Sent' }), folder('Spam')] },
      b: { namespace: slash, folders: [folder('INBOX'), folder('Sent', { specialUse: '\\Sent' })] },
      optionsOver: { filter: { include: [], exclude: ['Spam'] } },
    }));
    expect(plan.pairs.map((p) => p.job.label)).toEqual(['INBOX', 'Sent', 'Sent Items']);
    expect(plan.creates.map((c) => c.name)).toEqual(['Sent Items']);
    const backslash: NamespaceInfo = { prefix: '', delimiter: '\\' };
    const clash = planFolders(input({
      a: { namespace: slash, folders: [folder('INBOX'), folder('a\\b'), folder('Spam\\x')] },
      b: { namespace: backslash, folders: [folder('INBOX', { delimiter: '\\' })] },
      optionsOver: { filter: { include: [], exclude: ['Spam*'] } },
    }));
    expect(clash.unmapped).toEqual([
      { folder: 'a\\b', uid: 0, side: 'A', reason: expect.stringMatching(/no B folder of its own: a part of the name holds/) },
    ]);
    expect(clash.pairs.map((p) => p.job.label)).toEqual(['INBOX']);
  });

  it('mirror: withholds the deletions of every folder that lost messages when A lacks most of what the state remembers', () => {
    const plan = planFolders(input({
      a: { namespace: slash, folders: [folder('INBOX', { status: status(0) }), folder('Keep', { status: status(20) })] },
      b: { namespace: slash, folders: [folder('INBOX'), folder('Keep')] },
      known: [known('INBOX', 'INBOX', { statusA: status(30) }), known('Keep', 'Keep', { statusA: status(20) })],
      state: { isNew: false, lastMode: 'mirror' },
      optionsOver: { mode: 'mirror' },
    }));
    const byLabel = new Map(plan.pairs.map((p) => [p.job.label, p.job.withholdAll]));
    expect(byLabel.get('INBOX')).toMatch(/A lacks 30 of the 50 messages the state remembers/);
    expect(byLabel.get('Keep')).toBeUndefined();
    const forced = planFolders(input({
      a: { namespace: slash, folders: [folder('INBOX', { status: status(0) })] },
      known: [known('INBOX', 'INBOX', { statusA: status(30) })],
      state: { isNew: false, lastMode: 'mirror' },
      optionsOver: { mode: 'mirror', force: true },
    }));
    expect(forced.pairs[0]!.job.withholdAll).toBeUndefined();
  });

  it('mirror --delete-folders: deletes B folders A lacks, children first, never INBOX, special-use or parents of kept folders', () => {
    const b = [
      folder('INBOX'), folder('Keep'), folder('Old'), folder('Old/Sub'), folder('Trash', { specialUse: '\\Trash' }),
      folder('Parent', { selectable: false }), folder('Parent/Kept'), folder('More1'), folder('More2'), folder('More3'),
    ];
    const a = [folder('INBOX'), folder('Keep'), folder('Parent/Kept')];
    const plan = planFolders(input({
      a: { namespace: slash, folders: a }, b: { namespace: slash, folders: b },
      optionsOver: { mode: 'mirror', deleteFolders: true },
    }));
    expect(plan.deletes.map((d) => d.name)).toEqual(['Old/Sub', 'More1', 'More2', 'More3', 'Old']);
    expect(plan.keptOnB).toEqual([{ side: 'b', name: 'Trash', why: "it is the server's \\Trash folder" }]);
    expect(plan.foldersWithheld).toEqual([]);
  });

  it('mirror --delete-folders: withholds them all when they are more than half of B, unless --force', () => {
    const b = [folder('INBOX'), folder('X'), folder('Y')];
    const mk = (force: boolean) => planFolders(input({
      b: { namespace: slash, folders: b }, optionsOver: { mode: 'mirror', deleteFolders: true, force },
    }));
    const guarded = mk(false);
    expect(guarded.deletes).toEqual([]);
    expect(guarded.foldersWithheld).toMatchObject([{ what: 'folders', count: 2, heldOnB: 3 }]);
    expect(guarded.foldersWithheld[0]!.reason).toMatch(/A has no folder for X, Y/);
    expect(mk(true).deletes.map((d) => d.name)).toEqual(['X', 'Y']);
  });

  it('mirror --delete-folders: withholds one folder A lacks that holds more than half of B\'s messages (from 10), unless --force', () => {
    const mk = (big: number, force = false) => planFolders(input({
      b: { namespace: slash, folders: [folder('INBOX', { status: status(2) }), folder('Big', { status: status(big) })] },
      optionsOver: { mode: 'mirror', deleteFolders: true, force },
    }));
    const guarded = mk(12);
    expect(guarded.deletes).toEqual([]);
    expect(guarded.foldersWithheld).toEqual([{
      what: 'folders', count: 1, heldOnB: 2,
      reason: 'mirror would delete 1 folder holding 12 of the 14 messages B has (more than half in one run); A has no folder for Big: ' +
        'withheld, rerun with --force to delete them',
    }]);
    expect(mk(12, true).deletes.map((d) => d.name)).toEqual(['Big']);
    // Not more than half (10 of 20), or under the minimum (9 of 11): deleted.
    expect(planFolders(input({
      b: { namespace: slash, folders: [folder('INBOX', { status: status(10) }), folder('Big', { status: status(10) })] },
      optionsOver: { mode: 'mirror', deleteFolders: true },
    })).deletes.map((d) => d.name)).toEqual(['Big']);
    expect(mk(9).deletes.map((d) => d.name)).toEqual(['Big']);
  });

  it('plans no deletion without --delete-folders', () => {
    const plan = planFolders(input({ b: { namespace: slash, folders: [folder('INBOX'), folder('X'), folder('Y')] }, optionsOver: { mode: 'mirror' } }));
    expect(plan.deletes).toEqual([]);
    expect(plan.foldersWithheld).toEqual([]);
  });
});
