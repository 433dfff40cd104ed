// Two-way mode, message by message, as a table in the style of isync's
// run-tests.pl: each row is an initial A, B and state and the A, B and state
// after one run of the real engine on memory servers (see
// test/support/mailboxTable.ts for the notation: `1@2:FS` is message 1 at
// UID 2 with \Flagged \Seen; `1/2=1:F` a record of message 1 at A UID 1 and
// B UID 2 with base flags \Flagged; `?` pending, `!` held). Each row is then
// run a second time, which must change nothing.

import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { killedRun, WRITE_OPERATIONS } from '../support/memoryKill.js';
import { bodies, everyBody, memoryWorld } from '../support/memoryWorld.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { box, expectRowHolds, observe, records, runOnce, setUp, type CheckedCase, type TableCase } from '../support/mailboxTable.js';

afterEach(forgetMemorySpecs);

type Row = CheckedCase;

/** Messages 1..12, synced to both sides at UIDs 1..12 (for the guard's rows). */
const TWELVE_SYNCED = Array.from({ length: 12 }, (_, i) => `${i + 1}/${i + 1}=${i + 1}`).join(' ');
const TWELVE = '1 2 3 4 5 6 7 8 9 10 11 12';

const ROWS: Row[] = [
  {
    name: 'new messages on either side are copied to the other, with their flags',
    a: '1:S 2', b: '3:F', state: '',
    expect: { a: '1:S 2 3:F', b: '3:F 1:S 2', state: '1/2=1:S 2/3=2 3/1=3:F' },
    check: (run) => expect(run.summary.bySide).toEqual({
      a: { copied: 1, bytes: expect.any(Number), flagsUpdated: 0, expunged: 0 },
      b: { copied: 2, bytes: expect.any(Number), flagsUpdated: 0, expunged: 0 },
    }),
  },
  {
    name: "flags merge as deltas against the base (the issue's example: A adds \\Answered, B adds \\Seen and removes \\Flagged)",
    a: '1:FR', b: '1:S', state: '1/1=1:F',
    expect: { a: '1:RS', b: '1:RS', state: '1/1=1:RS' },
  },
  {
    name: '\\Deleted is a flag like the others: carried both ways, nothing expunged because of it',
    a: '1:T 2', b: '1 2:ST', state: '1/1=1 2/2=2',
    expect: { a: '1:T 2:ST', b: '1:T 2:ST', state: '1/1=1:T 2/2=2:ST' },
  },
  {
    name: 'expunged on A after both had it: expunged on B',
    a: '2@2', b: '1 2', state: '1/1=1 2/2=2',
    expect: { a: '2@2', b: '2@2', state: '2/2=2' },
    check: (run) => expect(run.summary.bySide?.b.expunged).toBe(1),
  },
  {
    name: 'expunged on B after both had it: expunged on A',
    a: '1 2', b: '1', state: '1/1=1 2/2=2', uidNext: { b: 3 },
    expect: { a: '1', b: '1', state: '1/1=1' },
    check: (run) => expect(run.summary.bySide?.a.expunged).toBe(1),
  },
  {
    name: 'the expunge wins over a flag change the other side made since, and is reported',
    a: '1:S 2', b: '2@2', state: '1/1=1 2/2=2',
    expect: { a: '2@2', b: '2@2', state: '2/2=2' },
    check: (run) => {
      expect(run.warnings.join('\n')).toMatch(/INBOX: deleting 1 message the other side expunged although its flags changed since the last run \(the expunge wins/);
      expect(run.verbose).toContain('INBOX: deleting A UID 1 (global id ' + run.verbose.join('').match(/global id ([^)]+)\)/)![1] + '): two-way: B deleted it; its flag change on A since the last run (+\\Seen) is lost: the expunge wins');
    },
  },
  {
    name: 'expunged on both sides: the record goes, nothing else',
    a: '2@2', b: '2@2', state: '1/1=1 2/2=2',
    expect: { a: '2@2', b: '2@2', state: '2/2=2' },
  },
  {
    name: 'a message replimap never saw is copied, never deleted',
    a: '', b: '1', state: '',
    expect: { a: '1', b: '1', state: '1/1=1' },
  },
  {
    name: 'a one-sided record whose copy is pending (not proven on A) is copied, not deleted',
    a: '', b: '1', state: '0/1=1?',
    expect: { a: '1', b: '1', state: '1/1=1' },
  },
  {
    name: 'an A-only record (never stored on B) is copied to B, not deleted from A',
    a: '1 2', b: '2', state: '1/0=1 2/1=2',
    expect: { a: '1 2', b: '2 1', state: '1/2=1 2/1=2' },
  },
  {
    name: 'A went back in time (a known UID holds another message): what A lost comes back from B, nothing deleted; the message at the reused UID gets a new one',
    a: '1 4', b: '1 2 3', state: '1/1=1 2/2=2 3/3=3',
    expect: { a: '1 2@3 3@4 4@5', b: '1 2 3 4', state: '1/1=1 3/2=2 4/3=3 5/4=4' },
    check: (run) => {
      expect(run.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'A' }]);
      expect(run.summary.reassigned).toEqual([{ folder: 'INBOX', side: 'A', uid: 2, newUid: 5 }]);
    },
  },
  {
    name: 'B went back in time (its counters went down): what B lost comes back from A, nothing deleted',
    a: '1 2 3', b: '1', state: '1/1=1 2/2=2 3/3=3', status: { b: { uidNext: 4, highestModseq: 9n, messages: 3 } },
    expect: { a: '1 2 3', b: '1 2 3', state: '1/1=1 2/2=2 3/3=3' },
    check: (run) => expect(run.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'B' }]),
  },
  {
    name: "a held record (mirror's mark: A lost it in a restore) is copied back to A",
    a: '', b: '2@2', state: '0/2=2!',
    expect: { a: '2', b: '2@2', state: '1/2=2' },
  },
  {
    name: 'the same message appended on both sides while disconnected is paired, not duplicated; flags united',
    a: '1 5:S', b: '1 5:F', state: '1/1=1',
    expect: { a: '1 5:FS', b: '1 5:FS', state: '1/1=1 2/2=5:FS' },
  },
  {
    name: "a new UIDVALIDITY on A: re-matched by global id, nothing copied twice or deleted, new mail still copied",
    a: '2 1 3', b: '1 2 4', state: '1/1=1 2/2=2', status: { a: { uidValidity: 999n } },
    expect: { a: '2 1 3 4', b: '1 2 4 3', state: '1/2=2 2/1=1 3/4=3 4/3=4' },
  },
  {
    name: 'a new UIDVALIDITY on B: re-matched by global id, nothing copied twice or deleted',
    a: '1 2', b: '2 1', state: '1/1=1 2/2=2', status: { b: { uidValidity: 4999n } },
    expect: { a: '1 2', b: '2 1', state: '1/2=1 2/1=2' },
  },
  {
    name: 'the guard: A suddenly lost more than half of the folder: nothing deleted on B, exit 5, records kept whole',
    a: '11@11 12', b: TWELVE, state: TWELVE_SYNCED,
    expect: { a: '11@11 12', b: TWELVE, state: TWELVE_SYNCED },
    check: (run) => {
      expect(run.summary.deletionsWithheld).toBe(10);
      expect(run.summary.withheld.map((w) => w.reason)).toEqual([
        '"INBOX": two-way would delete 10 of the 12 messages B holds there (more than half in one run): withheld, rerun with --force to delete them',
      ]);
    },
  },
  {
    name: 'the guard on A: B suddenly lost more than half of the folder: nothing deleted on A',
    a: TWELVE, b: '11@11 12', state: TWELVE_SYNCED,
    expect: { a: TWELVE, b: '11@11 12', state: TWELVE_SYNCED },
    check: (run) => expect(run.summary.withheld).toEqual([expect.objectContaining({ side: 'A', count: 10, heldOnB: 12 })]),
  },
  {
    name: '--force lets the guarded deletions go',
    a: '11@11 12', b: TWELVE, state: TWELVE_SYNCED,
    options: { force: true },
    expect: { a: '11@11 12', b: '11@11 12', state: '11/11=11 12/12=12' },
  },
  {
    name: "the first two-way run after copy mode reads B's own flags (kept under copy) and carries them to A",
    a: '1 2', b: '1:F 2', state: '1/1=1 2/2=2', lastMode: 'copy', status: { a: {}, b: {} },
    expect: { a: '1:F 2', b: '1:F 2', state: '1/1=1:F 2/2=2' },
  },
  {
    name: 'after copy runs, what A deleted and copy kept on B (a B-only record: no proof A had it) is copied back to A, never deleted',
    a: '2@2', b: '1 2', state: '0/1=1 2/2=2', lastMode: 'copy',
    expect: { a: '2@2 1@3', b: '1 2', state: '2/2=2 3/1=1' },
  },
  {
    name: 'switching from two-way to mirror: B follows A again (its own flag change undone, what A lacks deleted)',
    a: '1 2', b: '1:S 2 3', state: '1/1=1 2/2=2 3/3=3', uidNext: { a: 4 }, options: { mode: 'mirror' },
    expect: { a: '1 2', b: '1 2', state: '1/1=1 2/2=2' },
  },
  {
    name: 'switching from two-way to copy: B keeps its own flags and what A lacks, A is not written',
    a: '1 2', b: '1:S 2 3 4', state: '1/1=1 2/2=2 3/3=3', uidNext: { a: 4 }, options: { mode: 'copy' },
    expect: { a: '1 2', b: '1:S 2 3 4', state: '1/1=1 2/2=2 0/3=3 0/4=4' },
  },
  {
    name: 'everything at once (as isync\'s first table): flags both ways, expunges both ways, one winning over a flag change, new mail',
    a: '1:F 2 3:S 5@5 6', b: '1 2:S 4@4 5', state: '1/1=1 2/2=2 3/3=3 4/4=4 5/5=5',
    expect: { a: '1:F 2:S 5@5 6', b: '1:F 2:S 5@5 6', state: '1/1=1:F 2/2=2:S 5/5=5 6/6=6' },
  },
];

describe('two-way, table-driven (initial A, B, state → A, B, state after one run; a second run changes nothing)', () => {
  for (const row of ROWS) {
    it(row.name, () => expectRowHolds(row));
  }
});

describe('two-way, killed at any store operation, then run again', () => {
  // Every rule at once: flags both ways, an expunge each way (one over a flag change), new mail on both sides.
  const row: TableCase = {
    name: 'killed', a: '1:F 2 3:S 5@5 6 7', b: '1 2:S 4@4 5 8@8', state: '1/1=1 2/2=2 3/3=3 4/4=4 5/5=5',
    expect: { a: '', b: '', state: '' },
  };
  /** A box's messages and flags, without UIDs (a killed run's copies may take other UIDs). */
  const contents = (boxText: string): string[] => boxText.split(' ').filter(Boolean).map((t) => t.replace(/@\d+/, '')).sort();
  const converged = ['1:F', '2:S', '5', '6', '7', '8'];

  for (const when of ['before', 'after'] as const) {
    it(`${when} the operation: the rerun converges, nothing lost, nothing twice, and the run after does nothing`, async () => {
      const killedAt: string[] = [];
      for (let k = 1; ; k++) {
        const world = await setUp(row);
        const outcome = await killedRun(world, world.statePath, when, k, () => runOnce(world), (op) => WRITE_OPERATIONS.has(op));
        if (!('killed' in outcome)) break;
        killedAt.push(outcome.killed);
        const where = `killed ${when} write ${k} (${outcome.killed})`;
        const rerun = await runOnce(world);
        expect(rerun.failures, where).toEqual([]);
        const seen = await observe(world);
        expect([contents(seen.a), contents(seen.b)], where).toEqual([converged, converged]);
        const again = await runOnce(world);
        expect([again.summary.copied, again.summary.flagsUpdated, again.summary.expunged], where).toEqual([0, 0, 0]);
        expect(await observe(world), where).toEqual(seen);
      }
      // Writes on both sides were cut: appends and flag changes to A and to B, and expunges on each.
      expect(new Set(killedAt)).toEqual(new Set(['A addFlags', 'B addFlags', 'A expungeMessages', 'B expungeMessages', 'A append', 'B append']));
    });
  }
});

describe('two-way: --dry-run and -v say why for every action on either side', () => {
  const row: TableCase = {
    name: 'explained', a: '1:S 2 3@3', b: '1 2:F 4@4', state: '1/1=1 2/2=2 3/3=3',
    expect: { a: '', b: '', state: '' },
  };

  it('a dry run describes copies, flag changes and deletions on each side, and changes nothing', async () => {
    const world = await setUp(row);
    const before = await observe(world);
    const run = await runOnce(world, { dryRun: true });
    expect(await observe(world)).toEqual(before);
    expect(run.wouldDo.map((t) => t.replace(/\(global id [^)]+\)/, '(global id …)').replace(/\(\d+ bytes\)/, '(… bytes)'))).toEqual([
      'INBOX: copy 1 messages (… bytes) to A INBOX',
      'INBOX: update flags of 1 messages on A',
      'INBOX: update flags of 1 messages on B',
      'INBOX: delete A UID 3 (global id …) from A INBOX: two-way: B deleted it',
    ]);
    expect(run.verbose.filter((t) => t.includes('would')).map((t) => t.replace(/\(\d+ bytes\)/, '(… bytes)'))).toEqual([
      'INBOX: would copy B UID 4 (… bytes) to A: new on B',
      'INBOX: would set A UID 2 +\\Flagged: flags changed on B: +\\Flagged',
      'INBOX: would set B UID 1 +\\Seen: flags changed on A: +\\Seen',
    ]);
    expect(run.summary.bySide).toEqual({
      a: { copied: 1, bytes: expect.any(Number), flagsUpdated: 1, expunged: 1 },
      b: { copied: 0, bytes: 0, flagsUpdated: 1, expunged: 0 },
    });
  });

  it('a real run with -v says the same before acting', async () => {
    const world = await setUp(row);
    const run = await runOnce(world);
    expect(run.verbose.filter((t) => /^INBOX: (copying|setting|deleting) /.test(t)).map((t) => t.replace(/\(\d+ bytes\)/, '(… bytes)').replace(/\(global id [^)]+\)/, '(global id …)'))).toEqual([
      'INBOX: setting A UID 2 +\\Flagged: flags changed on B: +\\Flagged',
      'INBOX: setting B UID 1 +\\Seen: flags changed on A: +\\Seen',
      'INBOX: copying B UID 4 (… bytes) to A: new on B',
      'INBOX: deleting A UID 3 (global id …): two-way: B deleted it',
    ]);
    expect(await observe(world)).toEqual({ a: box('1:S 2:F 4@4'), b: box('1:S 2:F 4@4'), state: records('1/1=1:S 2/2=2:F 4/4=4') });
  });
});

describe("two-way: A's status after our appends", () => {
  it('A restored to just before a run that appended to it is seen to have gone back: what it lost comes back, nothing deleted on B', async () => {
    const world = await setUp({ name: 'restore', a: '1', b: '2', state: '', expect: { a: '', b: '', state: '' } });
    const beforeRun = world.a.snapshot();
    await runOnce(world);
    expect(await observe(world)).toEqual({ a: box('1 2'), b: box('2 1'), state: records('1/2=1 2/1=2') });
    // A's backup from before the run: the copy of B's message 2 that the run appended to A is gone.
    world.a.restore(beforeRun);
    world.b.setFlags('INBOX', [1], ['\\Seen'], []);
    const run = await runOnce(world);
    expect(run.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'A' }]);
    expect(await observe(world)).toEqual({ a: box('1 2:S'), b: box('2:S 1'), state: records('1/2=1 2/1=2:S') });
  });
});

describe('two-way across folders', () => {
  it('a message moved between folders on B moves on A too (server-side, as a transfer), never copied twice or lost', async () => {
    const world = memoryWorld({ mode: 'two-way' });
    expect((await world.sync()).summary.copied).toBe(5);
    const [uid1] = world.b.messages('INBOX').map((m) => m.uid);
    world.b.copy('INBOX', [uid1!], 'Work');
    world.b.expunge('INBOX', [uid1!]);
    const moved = await world.sync();
    expect(moved.failures).toEqual([]);
    expect([moved.summary.transferred, moved.summary.copied]).toEqual([1, 0]);
    for (const folder of ['INBOX', 'Work']) expect(bodies(world.a, folder)).toEqual(bodies(world.b, folder));
    expect(everyBody(world.a)).toHaveLength(5);
    const again = await world.sync();
    expect([again.summary.copied, again.summary.transferred, again.summary.expunged]).toEqual([0, 0, 0]);
  });

  it('a move A refuses (server-side or by copy) keeps the message in its old folder on A, never in neither', async () => {
    const world = memoryWorld({ mode: 'two-way' });
    await world.sync();
    const [uid1] = world.b.messages('INBOX').map((m) => m.uid);
    world.b.copy('INBOX', [uid1!], 'Work');
    world.b.expunge('INBOX', [uid1!]);
    // Every way into A's Work is refused: a server-side move or copy, and an append.
    world.a.beforeOperation = (op, args) => {
      const intoWork = args.target === 'Work' || (op === 'appendMessage' && args.folder === 'Work');
      if (intoWork) throw new StoreError(op === 'appendMessage' ? 'message' : 'folder', 'refused');
    };
    const run = await world.sync();
    world.a.beforeOperation = undefined;
    expect(run.failures.length).toBeGreaterThan(0);
    expect(everyBody(world.a)).toHaveLength(5);
    const again = await world.sync();
    expect(again.failures).toEqual([]);
    for (const folder of ['INBOX', 'Work']) expect(bodies(world.a, folder)).toEqual(bodies(world.b, folder));
  });
});
