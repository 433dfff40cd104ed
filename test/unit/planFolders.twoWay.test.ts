// Two-way's folder rules in the pure folder planner, as a table: the folders of
// A and B and what the state remembers → the folders created, subscribed and
// deleted on each side, the pairs forgotten and synced (each with why), the
// failures and the guard's withholdings.
import { describe, expect, it } from 'vitest';
import { planFolders, type AccountFolderPlan, type FolderPlanningInput, type KnownPair } from '../../src/sync/planFolders.js';
import type { FolderInfo, FolderStatus, NamespaceInfo } from '../../src/store/types.js';
import type { SurvivorQuestion } from '../../src/sync/folderPlanTypes.js';
import { statusUnchanged } from '../../src/sync/folderStatus.js';

const slash: NamespaceInfo = { prefix: '', delimiter: '/' };
const dotInbox: NamespaceInfo = { prefix: 'INBOX.', delimiter: '.' };
const dot: NamespaceInfo = { prefix: '', delimiter: '.' };

/** A folder's status: `messages` messages, UIDNEXT after them, the given mod-sequence. */
function status(messages: number, modseq = 5n): FolderStatus {
  return { uidValidity: 1n, uidNext: messages + 1, messages, highestModseq: modseq };
}
/** The same without a mod-sequence (a server without CONDSTORE). */
function noModseq(messages: number): FolderStatus {
  return { uidValidity: 1n, uidNext: messages + 1, messages };
}
function f(name: string, extra: Partial<FolderInfo> = {}): FolderInfo {
  return { name, delimiter: '/', subscribed: false, selectable: true, status: status(3), ...extra };
}
/** A pair the state remembers with both statuses as `status(3)`. */
function known(nameA: string, nameB = nameA, extra: Partial<KnownPair> = {}): KnownPair {
  return { nameA, nameB, statusA: status(3), statusB: status(3), hasHeld: false, ...extra };
}

interface Row {
  rule: string;
  a: FolderInfo[];
  b: FolderInfo[];
  known?: KnownPair[];
  nsA?: NamespaceInfo;
  nsB?: NamespaceInfo;
  options?: Partial<FolderPlanningInput['options']>;
  pendingAppends?: { nameA: string; nameB: string }[];
  /** The mode of the last committed run (default two-way, or none with no state). */
  lastMode?: 'copy' | 'mirror' | 'two-way';
  survivors?: FolderPlanningInput['survivors'];
  expected: Partial<Outcome>;
}

/** The plan, one string per action: "a:Name" is an action on A. */
interface Outcome {
  creates: string[];
  subscribes: string[];
  deletes: string[];
  forget: string[];
  /** "label: why", INBOX first. */
  pairs: string[];
  unmapped: string[];
  withheld: string[];
  /** "b:Name (n messages)": what the engine must ask before deciding. */
  questions: string[];
}

function outcome(plan: AccountFolderPlan): Outcome {
  return {
    creates: plan.creates.map((c) => `${c.side}:${c.name}`),
    subscribes: plan.subscribes.map((s) => `${s.side}:${s.name}`),
    deletes: plan.deletes.map((d) => `${d.side}:${d.name}`),
    forget: plan.forget.map((k) => `${k.nameA}|${k.nameB}`),
    pairs: plan.pairs.map((p) => `${p.job.label}: ${p.why}`),
    unmapped: plan.unmapped.map((u) => `${u.side}:${u.folder}: ${u.reason}`),
    withheld: plan.foldersWithheld.map((w) => w.reason),
    questions: plan.questions.map((q) => `${q.side}:${q.name} (${q.messages} messages)`),
  };
}

/**
 * The plan as the engine makes it for a row that gives no answers: a copy whose
 * status is as recorded is asked about too (counters prove nothing of what its
 * UIDs hold); the rows take it to hold only known messages, answer so, and plan
 * again (the engine's folderProof.ts reads that). Copies that changed stay asked.
 */
function plan(row: Row): AccountFolderPlan {
  const first = planOnce(row);
  if (row.survivors !== undefined) return first;
  const statusNow = (side: 'a' | 'b', name: string) => row[side].find((folder) => folder.name === name)?.status;
  const recorded = (q: SurvivorQuestion) => (row.known ?? []).find((k) => k.nameA === q.nameA && k.nameB === q.nameB)?.[q.side === 'a' ? 'statusA' : 'statusB'];
  const asRecorded = first.questions.filter((q) => statusUnchanged(recorded(q), statusNow(q.side, q.name)));
  if (asRecorded.length === 0) return first;
  return planOnce({ ...row, survivors: asRecorded.map((q) => ({ nameA: q.nameA, nameB: q.nameB, side: q.side, onlyKnown: true })) });
}

function planOnce(row: Row): AccountFolderPlan {
  const known = row.known ?? [];
  return planFolders({
    options: { mode: 'two-way', dryRun: false, deleteFolders: false, force: false, full: false, filter: { include: [], exclude: [] }, ...row.options },
    a: { namespace: row.nsA ?? slash, folders: row.a },
    b: { namespace: row.nsB ?? slash, folders: row.b },
    known,
    state: { isNew: known.length === 0, lastMode: known.length === 0 ? undefined : row.lastMode ?? 'two-way' },
    pendingAppends: row.pendingAppends ?? [],
    ...(row.survivors && { survivors: row.survivors }),
  });
}

const unchangedInbox = [known('INBOX')];
const NOTHING_NEW_B = "A deleted Old, and B's copy holds nothing new since the last run";

const rows: Row[] = [
  {
    rule: 'no state: a folder only one side has is created on the other, parents first, never deleted',
    a: [f('INBOX'), f('OnA')],
    b: [f('INBOX'), f('Lists', { selectable: false }), f('Lists/dev'), f('Deep/er/est')],
    expected: {
      creates: ['b:OnA', 'a:Lists', 'a:Lists/dev', 'a:Deep', 'a:Deep/er', 'a:Deep/er/est'],
      deletes: [], forget: [],
      pairs: ['INBOX: new pair', 'Deep/er/est: new pair', 'Lists/dev: new pair', 'OnA: new pair'],
    },
  },
  {
    rule: 'a state that knows other pairs: an unknown folder only one side has is still created, never deleted',
    a: [f('INBOX'), f('NewOnA')], b: [f('INBOX'), f('NewOnB')], known: unchangedInbox,
    expected: { creates: ['b:NewOnA', 'a:NewOnB'], deletes: [], pairs: ['NewOnA: new pair', 'NewOnB: new pair'] },
  },
  {
    rule: 'names are mapped back: B\'s prefix and separator become A\'s, an escaped separator comes back unescaped, a B name A would split is a failure',
    nsA: slash, nsB: dotInbox,
    a: [f('INBOX')],
    b: [f('INBOX', { delimiter: '.' }), f('INBOX.Work.2024', { delimiter: '.' }), f('INBOX.v1\\2e2', { delimiter: '.' }), f('INBOX.a\\2fb', { delimiter: '.' })],
    expected: {
      creates: ['a:Work', 'a:Work/2024', 'a:v1.2'],
      pairs: ['INBOX: new pair', 'Work/2024 (INBOX.Work.2024): new pair', 'v1.2 (INBOX.v1\\2e2): new pair'],
      unmapped: ['B:INBOX.a\\2fb: no A folder of its own: no name on the other store maps back onto it'],
    },
  },
  {
    rule: 'a B name A cannot hold is a listed failure (side B), the others are created',
    nsA: slash, nsB: dot,
    a: [f('INBOX')],
    b: [f('INBOX', { delimiter: '.' }), f('a/b', { delimiter: '.' }), f('x\\5cy', { delimiter: '.' }), f('fine', { delimiter: '.' })],
    expected: {
      creates: ['a:fine'],
      unmapped: [
        "B:a/b: no A folder of its own: a part of the name holds '/', the separator of the other store",
        'B:x\\5cy: no A folder of its own: no name on the other store maps back onto it',
      ],
    },
  },
  {
    rule: 'a B folder whose A name is the A folder of another pair (special use) is a failure, not merged',
    a: [f('INBOX'), f('Sent', { specialUse: '\\Sent' })],
    b: [f('INBOX'), f('Sent Items', { specialUse: '\\Sent' }), f('Sent')],
    expected: {
      creates: [], pairs: ['INBOX: new pair', 'Sent (Sent Items): new pair'],
      unmapped: ['B:Sent: no A folder of its own: its A name "Sent" is already the A folder of B folder "Sent Items"'],
    },
  },
  {
    rule: 'a B folder A lists only as a hierarchy node (\\Noselect) is created on A only when it holds messages',
    a: [f('INBOX'), f('P', { selectable: false, status: undefined }), f('P/Q'), f('R', { selectable: false, status: undefined }), f('R/S')],
    b: [f('INBOX'), f('P', { status: status(0) }), f('P/Q'), f('R', { status: status(2) }), f('R/S')],
    expected: { creates: ['a:R'], pairs: ['INBOX: new pair', 'P/Q: new pair', 'R/S: new pair', 'R: new pair'], unmapped: [] },
  },
  {
    rule: 'INBOX pairs with INBOX whatever its case; nothing is created',
    a: [f('INBOX')], b: [f('inbox')],
    expected: { creates: [], pairs: ['INBOX (inbox): new pair'], unmapped: [] },
  },
  {
    rule: 'subscriptions both ways: each side subscribes to what the other subscribes to, new folders too',
    a: [f('INBOX'), f('X', { subscribed: true }), f('Y')],
    b: [f('INBOX'), f('X'), f('Y', { subscribed: true }), f('Z', { subscribed: true })],
    expected: { subscribes: ['a:Y', 'a:Z', 'b:X'] },
  },
  {
    rule: 'A deleted a folder whose B copy is as recorded: deleted on B, not synced',
    a: [f('INBOX')], b: [f('INBOX'), f('Old')], known: [known('INBOX'), known('Old')],
    expected: { deletes: ['b:Old'], creates: [], forget: [], pairs: [] },
  },
  {
    rule: 'B deleted a folder whose A copy is as recorded: deleted on A',
    a: [f('INBOX'), f('Old')], b: [f('INBOX')], known: [known('INBOX'), known('Old')],
    expected: { deletes: ['a:Old'], creates: [], pairs: [] },
  },
  {
    rule: 'A deleted a folder while B got new mail there: created again on A, the pair forgotten and synced as new',
    a: [f('INBOX')], b: [f('INBOX'), f('Old', { status: status(4, 6n) })], known: [known('INBOX'), known('Old')],
    expected: {
      deletes: [], creates: ['a:Old'], forget: ['Old|Old'],
      pairs: ["Old: A deleted Old, but B's copy changed since the last run: created again on A"],
    },
  },
  {
    rule: 'B deleted a folder while A got new mail there: created again on B',
    a: [f('INBOX'), f('Old', { status: status(5, 9n) })], b: [f('INBOX')], known: [known('INBOX'), known('Old')],
    expected: { deletes: [], creates: ['b:Old'], forget: ['Old|Old'], pairs: ["Old: B deleted Old, but A's copy changed since the last run: created again on B"] },
  },
  {
    rule: 'not provable, so created again: no recorded status, copies or appends unconfirmed, held records, a state of copy runs',
    a: [f('INBOX')],
    b: [f('INBOX'), f('NoStatus'), f('Pending'), f('Appends'), f('Held')],
    known: [
      known('INBOX'), known('NoStatus', 'NoStatus', { statusB: undefined }),
      known('Pending', 'Pending', { hasPending: true }), known('Appends'), known('Held', 'Held', { hasHeld: true }),
    ],
    options: { force: true },
    pendingAppends: [{ nameA: 'Appends', nameB: 'Appends' }],
    expected: {
      deletes: [], creates: ['a:NoStatus', 'a:Pending', 'a:Appends', 'a:Held'], questions: [],
      // NoStatus has no recorded status: all its messages count as new, so it is read first (folderOrder.ts).
      pairs: [
        "NoStatus: A deleted NoStatus, but B's copy changed since the last run: created again on A",
        "Appends: A deleted Appends, but B's copy may hold appends of an earlier run: created again on A",
        "Held: A deleted Held, but B's copy holds messages kept after a rollback: created again on A",
        "Pending: A deleted Pending, but B's copy holds copies not yet confirmed: created again on A",
      ],
    },
  },
  {
    rule: 'a state last committed by copy or mirror runs: the copy may hold mail A never had, created again',
    a: [f('INBOX')], b: [f('INBOX'), f('Old')], known: [known('INBOX'), known('Old')], lastMode: 'copy',
    expected: {
      deletes: [], creates: ['a:Old'],
      pairs: [
        'INBOX: first two-way run on this state: reading every flag on B once',
        "Old: A deleted Old, but B's copy may hold mail never synced both ways (the last run was not two-way): created again on A",
      ],
    },
  },
  {
    rule: 'status moved but UIDNEXT as recorded (the last run\'s own writes, no mod-sequence): a question, created again until answered',
    a: [f('INBOX')], b: [f('INBOX'), f('Flags', { status: status(3, 9n) }), f('NoModseq', { status: noModseq(3) })],
    known: [known('INBOX'), known('Flags'), known('NoModseq', 'NoModseq', { statusB: noModseq(3) })],
    options: { force: true },
    expected: { deletes: [], creates: ['a:Flags', 'a:NoModseq'], questions: ['b:NoModseq (3 messages)', 'b:Flags (3 messages)'] },
  },
  {
    rule: 'answered: a copy holding only messages known on both sides is deleted, one holding others is created again',
    a: [f('INBOX')], b: [f('INBOX'), f('Flags', { status: status(3, 9n) }), f('Other', { status: status(3, 9n) })],
    known: [known('INBOX'), known('Flags'), known('Other')],
    options: { force: true },
    survivors: [{ nameA: 'Flags', nameB: 'Flags', side: 'b', onlyKnown: true }, { nameA: 'Other', nameB: 'Other', side: 'b', onlyKnown: false }],
    expected: {
      deletes: ['b:Flags'], creates: ['a:Other'], questions: [],
      pairs: ["Other: A deleted Other, but B's copy holds messages the last run did not see: created again on A"],
    },
  },
  {
    rule: 'never INBOX-like or special-use, never a parent of a folder that stays; a parent whose children go goes after them',
    a: [f('INBOX'), f('Keep/child')],
    b: [f('INBOX'), f('Trash', { specialUse: '\\Trash' }), f('Keep'), f('Keep/child'), f('Gone'), f('Gone/child')],
    known: [known('INBOX'), known('Trash'), known('Keep'), known('Keep/child'), known('Gone'), known('Gone/child')],
    options: { force: true },
    expected: {
      deletes: ['b:Gone/child', 'b:Gone'], creates: ['a:Trash', 'a:Keep'],
      pairs: [
        expect.stringMatching(/^Keep: .*holds folders that stay/), expect.stringMatching(/^Trash: .*is B's \\Trash folder/),
      ] as unknown as string[],
    },
  },
  {
    rule: 'a copy whose status is as recorded is still asked about (a restore plus new mail can give back its counters); an empty one is not',
    a: [f('INBOX')], b: [f('INBOX'), f('Old'), f('Empty', { status: status(0) })],
    known: [known('INBOX'), known('Old'), known('Empty', 'Empty', { statusA: status(0), statusB: status(0) })],
    survivors: [], options: { force: true },
    expected: { deletes: ['b:Empty'], creates: ['a:Old'], questions: ['b:Old (3 messages)'] },
  },
  {
    rule: 'deleted on both sides: forgotten, nothing done',
    a: [f('INBOX')], b: [f('INBOX')], known: [known('INBOX'), known('Both')],
    expected: { deletes: [], creates: [], forget: ['Both|Both'], withheld: [] },
  },
  {
    rule: 'a remembered pair whose B folder now pairs with another A folder is forgotten, not deleted',
    a: [f('INBOX'), f('Sent', { specialUse: '\\Sent' })], b: [f('INBOX'), f('Sent Items', { specialUse: '\\Sent' })],
    known: [known('INBOX'), known('Sent', 'Sent Items'), known('Old Sent', 'Sent Items')],
    expected: { deletes: [], creates: [], forget: ['Old Sent|Sent Items'] },
  },
  {
    rule: 'guard: A lost more than half of the remembered folders: neither deleted on B nor created on A, withheld',
    a: [f('INBOX')], b: [f('INBOX'), f('X'), f('Y'), f('Z', { status: status(9) })],
    known: [known('INBOX'), known('X'), known('Y'), known('Z')],
    expected: {
      deletes: [], creates: [], forget: [], pairs: [],
      withheld: [
        'A lost 3 of the 4 folders the state remembers (more than half in one run; a broken server or another account?): ' +
          'X, Y, Z neither deleted on B nor created again on A: withheld, rerun with --force to delete or recreate them',
      ],
    },
  },
  {
    rule: 'guard, forced: the losses are acted on (unchanged → deleted, changed → created again)',
    a: [f('INBOX')], b: [f('INBOX'), f('X'), f('Y'), f('Z', { status: status(9) })],
    known: [known('INBOX'), known('X'), known('Y'), known('Z')],
    options: { force: true },
    expected: { deletes: ['b:X', 'b:Y'], creates: ['a:Z'], forget: ['Z|Z'], withheld: [] },
  },
  {
    rule: 'guard on B: B lost more than half: A keeps its folders, B gets nothing created',
    a: [f('INBOX'), f('X'), f('Y')], b: [f('INBOX')], known: [known('INBOX'), known('X'), known('Y')],
    expected: { deletes: [], creates: [], pairs: [], withheld: [expect.stringMatching(/^B lost 2 of the 3 folders/) as unknown as string] },
  },
  {
    rule: 'guard: one lost folder of two is under the minimum (2 folders): acted on',
    a: [f('INBOX')], b: [f('INBOX'), f('X')], known: [known('INBOX'), known('X')],
    expected: { deletes: ['b:X'], withheld: [] },
  },
  {
    rule: 'guard by messages: A lost one folder of two, holding 12 of the 14 messages remembered on A: withheld',
    a: [f('INBOX', { status: status(2) })], b: [f('INBOX', { status: status(2) }), f('Big', { status: status(12) })],
    known: [known('INBOX', 'INBOX', { statusA: status(2), statusB: status(2) }), known('Big', 'Big', { statusA: status(12), statusB: status(12) })],
    expected: {
      deletes: [], creates: [], forget: [], pairs: [],
      withheld: [
        'A lacks 12 of the 14 messages the state remembers, 12 of them in the folder it lost (more than half in one run; ' +
          'a broken server or another account?): Big neither deleted on B nor created again on A: withheld, rerun with --force to delete or recreate them',
      ],
    },
  },
  {
    rule: 'guard by messages, forced: the lost folder is deleted on B',
    a: [f('INBOX', { status: status(2) })], b: [f('INBOX', { status: status(2) }), f('Big', { status: status(12) })],
    known: [known('INBOX', 'INBOX', { statusA: status(2), statusB: status(2) }), known('Big', 'Big', { statusA: status(12), statusB: status(12) })],
    options: { force: true },
    expected: { deletes: ['b:Big'], creates: [], withheld: [] },
  },
  {
    rule: 'guard by messages on B: B lost a folder holding 12 of its 14: A keeps it, B gets nothing created',
    a: [f('INBOX', { status: status(2) }), f('Big', { status: status(12) })], b: [f('INBOX', { status: status(2) })],
    known: [known('INBOX', 'INBOX', { statusA: status(2), statusB: status(2) }), known('Big', 'Big', { statusA: status(12), statusB: status(12) })],
    expected: { deletes: [], creates: [], pairs: [], withheld: [expect.stringMatching(/^B lacks 12 of the 14 messages the state remembers, 12 of them in the folder it lost/) as unknown as string] },
  },
  {
    rule: 'guard by messages: what a folder still listed lacks counts too (8 + 3 of 13)',
    a: [f('INBOX', { status: status(2) })], b: [f('INBOX', { status: status(10) }), f('X')],
    known: [known('INBOX', 'INBOX', { statusA: status(10), statusB: status(10) }), known('X')],
    expected: { deletes: [], creates: [], withheld: [expect.stringMatching(/^A lacks 11 of the 13 messages the state remembers, 3 of them in the folder it lost/) as unknown as string] },
  },
  {
    rule: 'guard by messages: new mail in a folder still listed does not hide the loss',
    a: [f('INBOX', { status: status(40) })], b: [f('INBOX', { status: status(2) }), f('Big', { status: status(12) })],
    known: [known('INBOX', 'INBOX', { statusA: status(2), statusB: status(2) }), known('Big', 'Big', { statusA: status(12), statusB: status(12) })],
    expected: { deletes: [], withheld: [expect.stringMatching(/^A lacks 12 of the 14 messages/) as unknown as string] },
  },
  {
    rule: 'guard by messages: exactly half (10 of 20) is acted on',
    a: [f('INBOX', { status: status(10) })], b: [f('INBOX', { status: status(10) }), f('Big', { status: status(10) })],
    known: [known('INBOX', 'INBOX', { statusA: status(10), statusB: status(10) }), known('Big', 'Big', { statusA: status(10), statusB: status(10) })],
    expected: { deletes: ['b:Big'], withheld: [] },
  },
  {
    rule: 'guard by messages: under the minimum (9 remembered) is acted on',
    a: [f('INBOX', { status: status(1) })], b: [f('INBOX', { status: status(1) }), f('Big', { status: status(8) })],
    known: [known('INBOX', 'INBOX', { statusA: status(1), statusB: status(1) }), known('Big', 'Big', { statusA: status(8), statusB: status(8) })],
    expected: { deletes: ['b:Big'], withheld: [] },
  },
  {
    rule: '--include/--exclude (A\'s names): folders left out are neither created nor deleted',
    a: [f('INBOX')], b: [f('INBOX'), f('Skip'), f('Old'), f('New')], known: [known('INBOX'), known('Skip'), known('Old')],
    options: { filter: { include: [], exclude: ['Skip', 'New'] } },
    expected: { deletes: ['b:Old'], creates: [], withheld: [] },
  },
];

describe('planFolders, two-way', () => {
  for (const row of rows) {
    it(row.rule, () => {
      expect(outcome(plan(row))).toMatchObject(row.expected);
    });
  }

  it('says why for every action', () => {
    const p = plan({
      rule: '', a: [f('INBOX'), f('Keep/child')], b: [f('INBOX'), f('Old'), f('Keep/child'), f('Lists/dev', { subscribed: true })],
      known: [known('INBOX'), known('Old'), known('Keep/child')], expected: {},
    });
    expect(p.deletes).toEqual([{ side: 'b', name: 'Old', why: NOTHING_NEW_B, decidedOn: status(3) }]);
    expect(p.creates).toEqual([
      { side: 'a', name: 'Lists', why: 'parent of Lists/dev' },
      { side: 'a', name: 'Lists/dev', why: "A lacks the pair of B's Lists/dev" },
    ]);
    expect(p.subscribes).toEqual([{ side: 'a', name: 'Lists/dev', label: 'Lists/dev', why: 'B subscribes to Lists/dev' }]);
    // INBOX and Keep/child are unchanged (skipped); the new pair's A folder is created first.
    expect(p.pairs.map((x) => [x.job.label, x.missing])).toEqual([['Lists/dev', ['a']]]);
    expect(p.unchanged.map((u) => u.label)).toEqual(['INBOX', 'Keep/child']);
  });

  it('a dry run tells the read phase which side lacks the folder', () => {
    const row: Row = { rule: '', a: [f('INBOX'), f('X')], b: [f('INBOX'), f('Y')], options: { dryRun: true }, expected: {} };
    expect(plan(row).pairs.map((p) => [p.job.label, p.job.missingOn])).toEqual([['INBOX', []], ['X', ['b']], ['Y', ['a']]]);
  });

  it('copy and mirror do none of it: B-only folders stay on B, lost folders are neither deleted nor created on A', () => {
    for (const mode of ['copy', 'mirror'] as const) {
      const p = plan({
        rule: '', a: [f('INBOX'), f('OnA')], b: [f('INBOX'), f('OnB'), f('Old'), f('Changed', { status: status(7) })],
        known: [known('INBOX'), known('Old'), known('Changed'), known('OnA')], options: { mode }, expected: {},
      });
      expect(outcome(p)).toMatchObject({ creates: ['b:OnA'], deletes: [], forget: [], unmapped: [], withheld: [] });
    }
  });
});
