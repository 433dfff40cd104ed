import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/state/types.js';
import { accountWithholding, checkDeletionLimit, checkFolderDeletionMessages, checkFolderLoss, planGuarded } from '../../src/sync/mirrorGuard.js';
import type { FlagAcceptance, FolderPlanInput, SnapshotMessage } from '../../src/sync/planTypes.js';

describe('checkDeletionLimit', () => {
  const messages = (deleting: number, heldOnB: number, force = false) =>
    checkDeletionLimit({ what: 'messages', folder: 'Archive', deleting, heldOnB, force });

  it('withholds more than half of a folder on B, from 10 messages, saying how many, of how many, where and what to do', () => {
    const w = checkDeletionLimit({ what: 'messages', folder: 'Archive', deleting: 18, heldOnB: 30, force: false, cause: 'A was recreated' });
    expect(w).toEqual({
      what: 'messages', folder: 'Archive', count: 18, heldOnB: 30,
      reason: expect.stringMatching(/"Archive".*18 of the 30 messages B holds there.*A was recreated.*--force/),
    });
  });

  it('lets half or less of a folder go, and fewer than 10 messages whatever the share', () => {
    expect(messages(15, 30)).toBeUndefined();
    expect(messages(16, 30)).toBeDefined();
    expect(messages(9, 9)).toBeUndefined();
    expect(messages(10, 10)).toBeDefined();
    expect(messages(0, 0)).toBeUndefined();
  });

  it('folders: more than half of B\'s folders, from 2', () => {
    const w = checkDeletionLimit({ what: 'folders', deleting: 3, heldOnB: 4, force: false });
    expect(w).toEqual({ what: 'folders', count: 3, heldOnB: 4, reason: expect.stringContaining('3 of the 4 folders B has') });
    expect(checkDeletionLimit({ what: 'folders', deleting: 2, heldOnB: 4, force: false })).toBeUndefined();
    expect(checkDeletionLimit({ what: 'folders', deleting: 1, heldOnB: 1, force: false })).toBeUndefined();
    expect(checkDeletionLimit({ what: 'folders', deleting: 2, heldOnB: 3, force: false })).toBeDefined();
  });

  it('--force overrides', () => {
    expect(messages(100, 100, true)).toBeUndefined();
    expect(checkDeletionLimit({ what: 'folders', deleting: 9, heldOnB: 9, force: true })).toBeUndefined();
  });
});

describe('planGuarded', () => {
  const accepts: FlagAcceptance = { flags: ['\\Seen'], allowsNewKeywords: true };
  /** B holds `held` messages g0..; A holds the first `onA` of them, all paired by the records. */
  const folder = (held: number, onA: number): Omit<FolderPlanInput, 'allowExpunge'> => {
    const records: MessageRecord[] = [];
    const a = new Map<number, SnapshotMessage>();
    const b = new Map<number, SnapshotMessage>();
    for (let i = 1; i <= held; i++) {
      records.push({ uidA: i, uidB: i, gid: `g${i}`, flags: [] });
      b.set(i, { flags: [] });
      if (i <= onA) a.set(i, { flags: [] });
    }
    return { mode: 'mirror', records, a, b, accepts: { a: accepts, b: accepts } };
  };

  it('keeps the expunges of a plan within the limit', () => {
    const { plan, withheld } = planGuarded(folder(30, 15), { folder: 'X', force: false });
    expect(withheld).toBeUndefined();
    expect(plan.expunges).toHaveLength(15);
    expect(plan.expungesWithheld).toBe(0);
  });

  it('withholds every expunge of a plan beyond the limit, keeping their records, and counts them', () => {
    const { plan, withheld } = planGuarded(folder(30, 12), { folder: 'X', force: false, cause: 'why' });
    expect(withheld).toMatchObject({ what: 'messages', folder: 'X', count: 18, heldOnB: 30 });
    expect(withheld?.reason).toContain('why');
    expect(plan.expunges).toEqual([]);
    expect(plan.expungesWithheld).toBe(18);
    expect(plan.records).toHaveLength(30);
    expect(plan.records.filter((r) => r.uidA === 0).map((r) => r.uidB)).toEqual([13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });

  it('withholdAll (A went back in time): even a few expunges wait, with that reason; --force overrides', () => {
    const { plan, withheld } = planGuarded(folder(30, 28), { folder: 'X', force: false, withholdAll: 'A went back in time' });
    expect(withheld).toMatchObject({ what: 'messages', folder: 'X', count: 2, heldOnB: 30 });
    expect(withheld?.reason).toContain('A went back in time');
    expect(plan.expunges).toEqual([]);
    expect(plan.expungesWithheld).toBe(2);
    const forced = planGuarded(folder(30, 28), { folder: 'X', force: true, withholdAll: 'A went back in time' });
    expect(forced.withheld).toBeUndefined();
    expect(forced.plan.expunges).toHaveLength(2);
  });

  it('withholdAll over the limit too: the limit\'s reason (of how many B holds), with both causes', () => {
    const { withheld } = planGuarded(folder(30, 12), { folder: 'X', force: false, cause: 'a new UIDVALIDITY', withholdAll: 'A lacks most of the account' });
    expect(withheld?.reason).toMatch(/^"X": mirror would delete 18 of the 30 messages B holds there .*; a new UIDVALIDITY; A lacks most of the account: withheld/);
  });

  it('counts B-only records (copy mode history, voided UIDs) like any other expunge', () => {
    const input = folder(20, 0);
    const records = input.records.map((r, i) => (i < 8 ? { ...r, uidA: 0 } : r));
    const a = new Map([...input.b].filter(([uid]) => uid > 8));
    const { withheld } = planGuarded({ ...input, records, a }, { folder: 'Sent', force: false });
    expect(withheld).toBeUndefined();
    const voided = input.records.map((r) => ({ ...r, uidA: 0 }));
    expect(planGuarded({ ...input, records: voided, a: new Map() }, { folder: 'Sent', force: false }).withheld?.count).toBe(20);
  });

  it('held records (A lost them in a rollback): withheld however few, with their own reason; --force deletes them', () => {
    // B holds 30; A has 1..27; 28 and 29 are held, 30 is an ordinary deletion (within the limit).
    const input = folder(30, 27);
    const records = input.records.map((r) => (r.uidB === 28 || r.uidB === 29 ? { ...r, uidA: 0, held: 'rollback' as const } : r));
    const { plan, withheld, held } = planGuarded({ ...input, records }, { folder: 'X', force: false });
    expect(withheld).toBeUndefined();
    expect(held).toMatchObject({ what: 'messages', folder: 'X', count: 2, heldOnB: 30 });
    expect(held?.reason).toMatch(/^"X": mirror would delete 2 messages A lacks; A went back in time \(restored from an older backup\?\) and lost them: .*--force/);
    expect(plan.expunges.map((e) => e.uid)).toEqual([30]);
    expect(plan.expungesWithheld).toBe(2);
    expect(plan.records.filter((r) => r.held)).toHaveLength(2);
    const forced = planGuarded({ ...input, records }, { folder: 'X', force: true });
    expect(forced.held).toBeUndefined();
    expect(forced.plan.expunges.map((e) => e.uid)).toEqual([28, 29, 30]);
  });

  it('a discarded section (holdUnpaired [b]): every unpaired B message is held "unknown", withheld with that reason; --force deletes', () => {
    // The records were lost: B holds 30, A has 1..27 under other UIDs, nothing pairs but by gid.
    const input = folder(30, 27);
    const a = new Map([...input.a].map(([uid]) => [uid + 100, { flags: [], gid: `g${uid}` }] as const));
    const b = new Map([...input.b].map(([uid]) => [uid, { flags: [], gid: `g${uid}` }] as const));
    const lost = { ...input, records: [], a, b, holdUnpaired: ['b'] as const };
    const { plan, withheld, held } = planGuarded(lost, { folder: 'X', force: false });
    expect(withheld).toBeUndefined();
    expect(held).toMatchObject({ count: 3 });
    expect(held?.reason).toMatch(/^"X": mirror would delete 3 messages A lacks; its state section was damaged and discarded, and A may have lost them: .*--force/);
    expect(plan.expunges).toEqual([]);
    expect(plan.records.filter((r) => r.held === 'unknown').map((r) => r.uidB)).toEqual([28, 29, 30]);
    expect(planGuarded(lost, { folder: 'X', force: true }).plan.expunges.map((e) => e.uid)).toEqual([28, 29, 30]);
  });

  it('held records whose B UIDs were voided (heldWithoutUid) keep their marks, one per record, by gid', () => {
    const input = folder(30, 27);
    const b = new Map([...input.b].map(([uid]) => [uid + 500, { flags: [], gid: uid === 30 ? 'g29' : `g${uid}` }] as const));
    const records = input.records.filter((r) => r.uidB <= 27).map((r) => ({ ...r, uidB: 0 }));
    const heldWithoutUid = [{ side: 'b' as const, gid: 'g28', held: 'rollback' as const }, { side: 'b' as const, gid: 'g29', held: 'rollback' as const }];
    const { plan, held } = planGuarded({ ...input, records, b, heldWithoutUid }, { folder: 'X', force: false });
    // 528 (g28) and one of the two g29 messages (529, 530) stay held; the other g29 copy is an ordinary deletion.
    expect(held).toMatchObject({ count: 2 });
    expect(held?.reason).toContain('A went back in time');
    expect(plan.expunges.map((e) => e.uid)).toEqual([530]);
    expect(plan.records.filter((r) => r.held === 'rollback').map((r) => r.uidB).sort()).toEqual([528, 529]);
  });

  it('held records and the half-of-the-folder limit: two withholdings, each with its reason and count', () => {
    const input = folder(30, 8);
    const records = input.records.map((r) => (r.uidB > 25 ? { ...r, uidA: 0, held: 'rollback' as const } : r));
    const { plan, withheld, held } = planGuarded({ ...input, records }, { folder: 'X', force: false, cause: 'why' });
    expect(held?.count).toBe(5);
    expect(withheld).toMatchObject({ count: 17, reason: expect.stringContaining('why') });
    expect(plan.expunges).toEqual([]);
    expect(plan.expungesWithheld).toBe(22);
    expect(plan.expungesHeld).toBe(5);
  });

  it('--force, and copy mode, never withhold', () => {
    expect(planGuarded(folder(30, 0), { folder: 'X', force: true }).plan.expunges).toHaveLength(30);
    const copy = planGuarded({ ...folder(30, 0), mode: 'copy' }, { folder: 'X', force: false });
    expect(copy.withheld).toBeUndefined();
    expect(copy.plan.expunges).toEqual([]);
    expect(copy.plan.expungesWithheld).toBe(0);
  });
});

describe('planGuarded, two-way: the same limit on each side', () => {
  const accepts: FlagAcceptance = { flags: [], allowsNewKeywords: true };
  /** `held` messages g1.. synced to both sides; `lost` of them gone from `side` since. */
  const folder = (held: number, lost: number, side: 'a' | 'b'): Omit<FolderPlanInput, 'allowExpunge'> => {
    const records: MessageRecord[] = [];
    const snaps = { a: new Map<number, SnapshotMessage>(), b: new Map<number, SnapshotMessage>() };
    for (let i = 1; i <= held; i++) {
      records.push({ uidA: i, uidB: i, gid: `g${i}`, flags: [] });
      // Identities read (a two-way deletion needs what the UID holds now: see needIdentity).
      snaps.a.set(i, { flags: [], gid: `g${i}` });
      snaps.b.set(i, { flags: [], gid: `g${i}` });
      if (i <= lost) snaps[side].delete(i);
    }
    return { mode: 'two-way', records, ...snaps, accepts: { a: accepts, b: accepts } };
  };

  it('deletes on the other side what one side expunged, within the limit', () => {
    for (const side of ['a', 'b'] as const) {
      const { plan, withheld } = planGuarded(folder(30, 15, side), { folder: 'X', force: false });
      expect(withheld).toBeUndefined();
      expect(plan.expunges.map((e) => e.side)).toEqual(Array(15).fill(side === 'a' ? 'b' : 'a'));
    }
  });

  it('a side that suddenly lost more than half of the folder: withheld (deleted on neither side), saying where; --force deletes', () => {
    const { plan, withheld } = planGuarded(folder(30, 20, 'b'), { folder: 'X', force: false });
    expect(withheld).toMatchObject({ what: 'messages', folder: 'X', side: 'A', count: 20, heldOnB: 30 });
    expect(withheld?.reason).toBe('"X": two-way would delete 20 of the 30 messages A holds there (more than half in one run): withheld, rerun with --force to delete them');
    expect([plan.expunges, plan.appends, plan.expungesWithheld]).toEqual([[], [], 20]);
    const forced = planGuarded(folder(30, 20, 'b'), { folder: 'X', force: true });
    expect([forced.withheld, forced.plan.expunges.length]).toEqual([undefined, 20]);
    const onB = planGuarded(folder(30, 20, 'a'), { folder: 'X', force: false }).withheld;
    expect(onB).toMatchObject({ count: 20, heldOnB: 30 });
    expect(onB?.side).toBeUndefined();
  });
});

describe('accountWithholding', () => {
  const count = (nameA: string, remembered: number, present: number) => ({ nameA, nameB: nameA, remembered, present });

  it('A lacks more than half of what the state remembers (from 10): the folders whose count dropped, with why', () => {
    const verdict = accountWithholding([count('F1', 8, 0), count('F2', 8, 1), count('INBOX', 4, 6)], false);
    expect(verdict).toEqual({
      reason: 'A lacks 15 of the 20 messages the state remembers across the account (more than half; a broken source?)',
      dropped: [{ nameA: 'F1', nameB: 'F1' }, { nameA: 'F2', nameB: 'F2' }],
    });
  });

  it('new mail in one folder does not hide what the others lost', () => {
    // 4 folders lose 5 of 5; INBOX gets 12 new: net the account holds 22 of 22, yet 20 are gone.
    const folders = [count('F1', 5, 0), count('F2', 5, 0), count('F3', 5, 0), count('F4', 5, 0), count('INBOX', 2, 14)];
    expect(accountWithholding(folders, false)?.reason).toMatch(/^A lacks 20 of the 22 messages/);
  });

  it('two-way: a folder the side lost counts with none present, and the reason says how many were in it', () => {
    const verdict = accountWithholding([{ ...count('Big', 12, 0), lost: true }, count('INBOX', 2, 1)], false, 'b');
    expect(verdict).toEqual({
      reason: 'B lacks 13 of the 14 messages the state remembers across the account, 12 of them in a folder it no longer lists (more than half; a broken server?)',
      dropped: [{ nameA: 'Big', nameB: 'Big' }, { nameA: 'INBOX', nameB: 'INBOX' }],
    });
  });

  it('half or less, fewer than 10 remembered, or --force: nothing withheld', () => {
    expect(accountWithholding([count('F1', 10, 5)], false)).toBeUndefined();
    expect(accountWithholding([count('F1', 10, 4)], false)).toBeDefined();
    expect(accountWithholding([count('F1', 9, 0)], false)).toBeUndefined();
    expect(accountWithholding([count('F1', 10, 0)], true)).toBeUndefined();
    expect(accountWithholding([], false)).toBeUndefined();
  });
});

describe('checkFolderLoss (two-way)', () => {
  const loss = (lost: string[], remembered: number, messages?: { remembered: number; lacking: number; inLostFolders: number }, force = false) =>
    checkFolderLoss({ side: 'A', lost, remembered, force, ...(messages && { messages }) });

  it('more than half of the remembered folders (from 2), or of the remembered messages (from 10) with a folder lost', () => {
    expect(loss(['X', 'Y'], 3)?.reason).toMatch(/^A lost 2 of the 3 folders the state remembers \(more than half/);
    expect(loss(['Big'], 2, { remembered: 14, lacking: 12, inLostFolders: 12 })).toEqual({
      what: 'folders', count: 1, heldOnB: 2,
      reason: 'A lacks 12 of the 14 messages the state remembers, 12 of them in the folder it lost (more than half in one run; ' +
        'a broken server or another account?): Big neither deleted on B nor created again on A: withheld, rerun with --force to delete or recreate them',
    });
    expect(loss(['X', 'Y'], 8, { remembered: 20, lacking: 15, inLostFolders: 6 })?.reason).toMatch(/^A lacks 15 of the 20 messages the state remembers, 6 of them in the 2 folders it lost/);
  });

  it('half or less, fewer than 10 remembered, no folder lost, or --force: nothing withheld', () => {
    expect(loss(['Big'], 2, { remembered: 20, lacking: 10, inLostFolders: 10 })).toBeUndefined();
    expect(loss(['Big'], 2, { remembered: 9, lacking: 9, inLostFolders: 9 })).toBeUndefined();
    expect(loss([], 2, { remembered: 20, lacking: 20, inLostFolders: 0 })).toBeUndefined();
    expect(loss(['Big'], 2, { remembered: 14, lacking: 12, inLostFolders: 12 }, true)).toBeUndefined();
    expect(loss(['X', 'Y'], 3, undefined, true)).toBeUndefined();
  });
});

describe('checkFolderDeletionMessages (mirror --delete-folders)', () => {
  const check = (deleting: number, heldOnB: number, force = false) =>
    checkFolderDeletionMessages({ folders: ['Big'], deleting, heldOnB, foldersOnB: 2, force });

  it('withholds the folders holding more than half of B\'s messages (from 10), unless --force', () => {
    expect(check(12, 14)).toMatchObject({ what: 'folders', count: 1, heldOnB: 2 });
    expect([check(10, 20), check(9, 9), check(12, 14, true)]).toEqual([undefined, undefined, undefined]);
  });
});
