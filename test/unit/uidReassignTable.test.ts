// UID conflicts (issue 8 §2) as a table on memory servers through the real
// engine (notation: test/support/mailboxTable.ts): a UID the state recorded
// for message X now holds another message Y (a server restored from a backup,
// then new mail took the UIDs it lost). Y is kept and given a new UID in its
// folder, on every side the mode writes; X comes back from the other side.
// Each row is run a second time, which must change nothing. Then the same
// kind of run killed before or after each store write, then run again.

import { afterEach, describe, expect, it } from 'vitest';
import { killedRun, WRITE_OPERATIONS } from '../support/memoryKill.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { box, expectRowHolds, observe, runOnce, setUp, type CheckedCase, type TableCase } from '../support/mailboxTable.js';
import type { SyncOptions } from '../../src/sync/types.js';

afterEach(forgetMemorySpecs);

type Row = CheckedCase;

// B was restored to a copy holding message 1 only; then message 4 arrived and took UID 2, which the state names for message 2.
const RESTORED_B = { a: '1 2 3', b: '1 4', state: '1/1=1 2/2=2 3/3=3', status: { b: { uidNext: 4, messages: 3 } } };

const ROWS: Row[] = [
  {
    name: 'two-way: B restored, new mail took a reused UID: it gets a new UID (after what B lost came back), A gets it too',
    ...RESTORED_B,
    expect: { a: '1 2 3 4', b: '1 2@3 3@4 4@5', state: '1/1=1 2/3=2 3/4=3 4/5=4' },
    check: (run) => {
      expect(run.summary.reassigned).toEqual([{ folder: 'INBOX', side: 'B', uid: 2, newUid: 5 }]);
      expect(run.verbose.some((t) => t.startsWith('INBOX: giving B UID 2 a new UID (move): B UID 2 held another message when last synced'))).toBe(true);
      expect(run.warnings.join('\n')).not.toMatch(/treating it as a new message/);
    },
  },
  {
    name: 'two-way: the message at the reused UID is also on A (paired by global id): flags merged, then its new UID',
    a: '1 2 4:S', b: '1 4:F', state: '1/1=1 2/2=2', status: { b: { uidNext: 4, messages: 3 } },
    expect: { a: '1 2 4:FS', b: '1 2@3 4@4:FS', state: '1/1=1 2/3=2 3/4=4:FS' },
  },
  {
    name: 'two-way: a B without MOVE copies within the folder, then expunges the old UID',
    ...RESTORED_B, lacks: { b: ['move'] },
    expect: { a: '1 2 3 4', b: '1 2@3 3@4 4@5', state: '1/1=1 2/3=2 3/4=3 4/5=4' },
  },
  {
    name: 'two-way: a B without COPY or MOVE keeps the message at its reused UID, warned (as before)',
    ...RESTORED_B, lacks: { b: ['move', 'copy'] },
    expect: { a: '1 2 3 4', b: '1 4@2 2@3 3@4', state: '1/1=1 2/3=2 3/4=3 4/2=4' },
    check: (run) => {
      expect(run.summary.reassigned).toEqual([]);
      expect(run.warnings.join('\n')).toMatch(/INBOX: B UID 2 now holds a different message than recorded \(UIDs reused\); treating it as a new message/);
    },
  },
  {
    name: "copy: B's own mail at a reused UID is kept and gets a new UID (B is written; clients of B cached the UID)",
    ...RESTORED_B, lastMode: 'copy', options: { mode: 'copy' },
    expect: { a: '1 2 3', b: '1 2@3 3@4 4@5', state: '1/1=1 2/3=2 3/4=3 0/5=4' },
    check: (run) => expect(run.summary.reassigned).toEqual([{ folder: 'INBOX', side: 'B', uid: 2, newUid: 5 }]),
  },
  {
    name: 'mirror: the message at the reused UID is not on A, so mirror expunges it: that frees the UID, no new UID needed',
    ...RESTORED_B, lastMode: 'mirror', options: { mode: 'mirror' },
    expect: { a: '1 2 3', b: '1 2@3 3@4', state: '1/1=1 2/3=2 3/4=3' },
    check: (run) => expect([run.summary.reassigned, run.summary.expunged]).toEqual([[], 1]),
  },
  {
    name: 'mirror: A restored reuses a UID: A is never written, so nothing is renumbered there (warned); B gets the new message',
    a: '1 4', b: '1 2 3', state: '1/1=1 2/2=2 3/3=3', lastMode: 'mirror', options: { mode: 'mirror' },
    expect: { a: '1 4', b: '1 2 3 4', state: '1/1=1 0/2=2! 0/3=3! 2/4=4' },
    check: (run) => {
      expect(run.summary.reassigned).toEqual([]);
      expect(run.warnings.join('\n')).toMatch(/INBOX: A UID 2 now holds a different message than recorded/);
    },
  },
];

describe('UID conflicts, table-driven (initial A, B, state → after one run; a second run changes nothing)', () => {
  for (const row of ROWS) {
    it(row.name, () => expectRowHolds(row));
  }

  it('a dry run says which message would get a new UID, and why, and changes nothing', async () => {
    const world = await setUp(ROWS[0]!);
    const before = await observe(world);
    const run = await runOnce(world, { dryRun: true });
    expect(await observe(world)).toEqual(before);
    expect(run.wouldDo.filter((t) => t.includes('new UID')).map((t) => t.replace(/\(global id [^)]+\)/, '(global id …)'))).toEqual([
      'INBOX: give B UID 2 (global id …) a new UID in B INBOX (move): B UID 2 held another message when last synced ' +
        '(a restore or a rebuilt index reused it): this one gets a new UID, so that no client that cached UID 2 shows it in place of the other',
    ]);
    expect(run.summary.reassigned).toEqual([{ folder: 'INBOX', side: 'B', uid: 2 }]);
  });
});

describe('UID conflicts: a run killed before or after each store write, then run again', () => {
  /** A box's messages and flags, without UIDs. */
  const contents = (boxText: string): string[] => boxText.split(' ').filter(Boolean).map((t) => t.replace(/@\d+/, '')).sort();
  const cases = [
    { name: 'two-way, with MOVE', row: { ...RESTORED_B, name: 'killed', expect: { a: '', b: '', state: '' } } },
    { name: 'two-way, COPY then EXPUNGE', row: { ...RESTORED_B, lacks: { b: ['move'] }, name: 'killed', expect: { a: '', b: '', state: '' } } },
    { name: 'copy, with MOVE', row: { ...RESTORED_B, lastMode: 'copy', options: { mode: 'copy' }, name: 'killed', expect: { a: '', b: '', state: '' } } },
  ] as const satisfies readonly { name: string; row: TableCase }[];

  for (const { name, row } of cases) {
    for (const when of ['before', 'after'] as const) {
      it(`${name}, killed ${when} each write: nothing lost (at worst the renumbered message twice), the run after does nothing`, async () => {
        const killedAt: string[] = [];
        const options: Partial<SyncOptions> = 'options' in row ? row.options : {};
        for (let k = 1; ; k++) {
          const world = await setUp(row);
          const outcome = await killedRun(world, world.statePath, when, k, () => runOnce(world, options), (op) => WRITE_OPERATIONS.has(op));
          if (!('killed' in outcome)) break;
          killedAt.push(outcome.killed);
          const where = `killed ${when} write ${k} (${outcome.killed})`;
          const rerun = await runOnce(world, options);
          expect(rerun.failures, where).toEqual([]);
          const seen = await observe(world);
          const [a, b] = [contents(seen.a), contents(seen.b)];
          // Nothing lost; only message 4 (the one renumbered) may be there twice, and two-way holds it as often on both sides.
          for (const side of [a, b]) expect(side.filter((m) => m !== '4'), where).toEqual(['1', '2', '3']);
          expect(b.filter((m) => m === '4').length, where).toBeGreaterThanOrEqual(1);
          expect(b.filter((m) => m === '4').length, where).toBeLessThanOrEqual(2);
          if (options.mode === undefined) expect(a, where).toEqual(b);
          const again = await runOnce(world, options);
          expect([again.failures, again.summary.copied, again.summary.flagsUpdated, again.summary.expunged], where).toEqual([[], 0, 0, 0]);
          expect(await observe(world), where).toEqual(seen);
        }
        expect(killedAt.some((op) => /^B (moveMessages|copyMessages)$/.test(op))).toBe(true);
      });
    }
  }
});
