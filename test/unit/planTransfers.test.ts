// The account planner's server-side moves and copies (planTransfers.ts), pure:
// which copies they replace, from which source, with which flag delta, and
// what it asks before it decides.

import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/state/types.js';
import type { MessageEnvelope } from '../../src/store/types.js';
import type { CopyAction, ExpungeAction, FlagChange, FolderPlan } from '../../src/sync/planTypes.js';
import { planTransfers, sizeKey, type TransferFeatures, type TransferPair } from '../../src/sync/planTransfers.js';

const ALL: TransferFeatures = { a: { copy: true, move: true }, b: { copy: true, move: true } };

function envelope(uid: number, size: number): MessageEnvelope {
  return { uid, size, flags: [], internalDate: new Date(0), identityHeaders: '' };
}

/** A folder pair's plan: copies A → B (with their A envelopes), deletions from B, records, flag changes. */
function pair(
  label: string,
  parts: { appends?: [uid: number, gid: string, size: number, flags?: string[]][]; expunges?: ExpungeAction[]; records?: MessageRecord[]; flagChanges?: FlagChange[] },
): TransferPair {
  const appends: CopyAction[] = (parts.appends ?? []).map(([uid, gid, size, flags = []]) => ({
    from: 'a', to: 'b', uid, gid, flags, sourceFlags: flags, size, why: 'new on A', byMessageId: true,
  }));
  const plan: FolderPlan = {
    records: parts.records ?? [], appends, flagChanges: parts.flagChanges ?? [], expunges: parts.expunges ?? [],
    droppedKeywords: { a: [], b: [] }, reusedUids: [], expungesWithheld: 0,
  };
  const status = { uidValidity: 7n, uidNext: 100, messages: 0 };
  return {
    reading: {
      job: { nameA: label, nameB: label, label, missingOn: [], rescanB: false },
      envelopes: { a: new Map(appends.map((a) => [a.uid, envelope(a.uid, a.size)])), b: new Map() },
      reads: { a: { status }, b: { status } },
    },
    plan,
    work: { appends: appends.length, appendBytes: appends.reduce((n, a) => n + a.size, 0), flagUpdates: plan.flagChanges.length, expunges: plan.expunges.length },
  };
}

function rec(uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord {
  return { uidA, uidB, gid, flags };
}

function deletion(uidB: number, gid: string, flags: string[], size?: number): ExpungeAction {
  return { side: 'b', uid: uidB, record: { uidA: 0, uidB, gid, flags: [] }, flags, ...(size !== undefined && { size }), why: 'mirror: A deleted it' };
}

describe('planTransfers', () => {
  it('a copy into Archive of what INBOX deletes on B, same size: a move; both plans lose those actions, flags as a delta', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', ['\\Seen', 'old'], 300)] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300, ['\\Flagged', '\\Seen']]] });
    const out = planTransfers([inbox, archive], { mode: 'mirror', features: ALL });
    expect(out.needSizes).toBeUndefined();
    expect(out.transfers).toEqual([expect.objectContaining({
      side: 'b', kind: 'move', size: 300,
      source: expect.objectContaining({ label: 'INBOX', uid: 5, uidValidity: 7n, record: inbox.plan.expunges[0]!.record }),
      target: expect.objectContaining({ label: 'Archive' }),
      copy: archive.plan.appends[0],
      flagDelta: { add: ['\\Flagged'], remove: ['old'] },
      why: expect.stringMatching(/^new on A; moved on B from INBOX \(UID 5\)/),
    })]);
    expect(out.pairs[0]!.plan.expunges).toEqual([]);
    expect(out.pairs[0]!.work.expunges).toBe(0);
    expect(out.pairs[1]!.plan.appends).toEqual([]);
    expect(out.pairs[1]!.work).toMatchObject({ appends: 0, appendBytes: 0 });
  });

  it('a copy whose global id does not come from a Message-ID (twins share id and size) is never replaced: the append stays', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', [], 300)] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300]] });
    const { byMessageId: _known, ...bySize } = archive.plan.appends[0]!;
    const sized = { ...archive, plan: { ...archive.plan, appends: [bySize] } };
    const out = planTransfers([inbox, sized], { mode: 'mirror', features: ALL });
    expect(out.transfers).toEqual([]);
    expect(out.needSizes).toBeUndefined();
    expect(out.pairs).toEqual([inbox, sized]);
  });

  it('without MOVE: a copy, and the deletion stays (it waits for the copy); without COPY either: the append stays', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', [], 300)] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300]] });
    const noMove = planTransfers([inbox, archive], { mode: 'mirror', features: { ...ALL, b: { copy: true, move: false } } });
    expect(noMove.transfers.map((t) => t.kind)).toEqual(['copy']);
    expect(noMove.pairs[0]!.plan.expunges).toHaveLength(1);
    expect(noMove.transfers[0]!.why).toMatch(/deleted there once the copy is confirmed \(no MOVE\)/);
    const neither = planTransfers([inbox, archive], { mode: 'mirror', features: { ...ALL, b: { copy: false, move: false } } });
    expect(neither.transfers).toEqual([]);
    expect(neither.pairs).toEqual([inbox, archive]);
  });

  it('another version under the same global id (sizes differ): the append stays', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', [], 301)] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300]] });
    const out = planTransfers([inbox, archive], { mode: 'mirror', features: ALL });
    expect(out.transfers).toEqual([]);
    expect(out.needSizes).toBeUndefined();
  });

  it('a source whose size the run did not read: asked for first (no transfer meanwhile), then decided by the answer', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', []), deletion(6, 'g2', [])] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300], [10, 'g2', 400]] });
    const first = planTransfers([inbox, archive], { mode: 'mirror', features: ALL });
    expect(first.transfers).toEqual([]);
    expect(first.needSizes).toEqual([{ label: 'INBOX', side: 'b', name: 'INBOX', uidValidity: 7n, uids: [5, 6], gids: ['g1', 'g2'] }]);
    // UID 5 answered with the copy's size, UID 6 with another (another version): only 5 moves.
    const sizes = new Map([[sizeKey('INBOX', 'b', 5), { size: 300, flags: [] }], [sizeKey('INBOX', 'b', 6), { size: 999, flags: [] }]]);
    const final = planTransfers([inbox, archive], { mode: 'mirror', features: ALL, sizes });
    expect(final.needSizes).toBeUndefined();
    expect(final.transfers.map((t) => `${t.kind} ${t.source.uid}`)).toEqual(['move 5']);
    expect(final.pairs[1]!.plan.appends.map((a) => a.uid)).toEqual([10]);
    const unanswered = planTransfers([inbox, archive], { mode: 'mirror', features: ALL, sizes: new Map() });
    expect(unanswered).toMatchObject({ transfers: [] });
    expect(unanswered.needSizes).toBeUndefined();
  });

  it('each source once: two copies of one global id, one message to move; the second is appended', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', [], 300)] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300]] });
    const work = pair('Work', { appends: [[3, 'g1', 300]] });
    const out = planTransfers([inbox, archive, work], { mode: 'mirror', features: ALL });
    expect(out.transfers.map((t) => `${t.kind} ${t.target.label}`)).toEqual(['move Archive']);
    expect(out.pairs[2]!.plan.appends).toHaveLength(1);
  });

  it('a message another read folder keeps on B: copied there (its flags as the size question read them, before its own pending flag change)', () => {
    const record: MessageRecord = { uidA: 1, uidB: 5, gid: 'g1', flags: ['\\Seen', 'x'] };
    // INBOX's plan adds \Seen to B UID 5 and removes y: on the server now it has x and y.
    const inbox = pair('INBOX', { records: [record], flagChanges: [{ side: 'b', uid: 5, add: ['\\Seen'], remove: ['y'], why: '' }] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300, ['x']]] });
    const sizes = new Map([[sizeKey('INBOX', 'b', 5), { size: 300, flags: ['x', 'y'] }]]);
    const out = planTransfers([inbox, archive], { mode: 'copy', features: ALL, sizes });
    expect(out.transfers).toEqual([expect.objectContaining({ kind: 'copy', flagDelta: { add: [], remove: ['y'] }, why: expect.stringMatching(/which keeps it/) })]);
    expect(out.pairs[0]).toBe(inbox);
    // Copy mode: B's own keyword kw on the kept message is in no record (the base is A's flags); the read shows it.
    const own = new Map([[sizeKey('INBOX', 'b', 5), { size: 300, flags: ['x', 'y', 'kw'] }]]);
    expect(planTransfers([inbox, archive], { mode: 'copy', features: ALL, sizes: own }).transfers[0]!.flagDelta).toEqual({ add: [], remove: ['y', 'kw'] });
  });

  it('a copy no read folder can source: asks for unchanged pairs\' records (needSources), then copies from one after its size question', () => {
    const archive = pair('Archive', { appends: [[9, 'g1', 300, ['\\Flagged']], [10, 'g2', 400]] });
    const first = planTransfers([archive], { mode: 'mirror', features: ALL });
    expect(first).toMatchObject({ transfers: [], needSources: { a: [], b: ['g1', 'g2'] } });
    expect(first.needSizes).toBeUndefined();
    // INBOX, unchanged: B UID 5 holds g1 at the last sync; g2 is nowhere.
    const inbox = { label: 'INBOX', nameA: 'INBOX', nameB: 'INBOX', status: { a: { uidValidity: 3n, uidNext: 9 }, b: { uidValidity: 8n, uidNext: 20 } }, records: [rec(1, 5, 'g1', ['old'])] };
    const second = planTransfers([archive], { mode: 'mirror', features: ALL, unchanged: [inbox] });
    expect(second.transfers).toEqual([]);
    expect(second.needSources).toBeUndefined();
    expect(second.needSizes).toEqual([{ label: 'INBOX', side: 'b', name: 'INBOX', uidValidity: 8n, uids: [5], gids: ['g1'] }]);
    const sizes = new Map([[sizeKey('INBOX', 'b', 5), { size: 300, flags: ['\\Seen'] }]]);
    const final = planTransfers([archive], { mode: 'mirror', features: ALL, unchanged: [inbox], sizes });
    expect(final.transfers).toEqual([expect.objectContaining({
      side: 'b', kind: 'copy', size: 300,
      source: expect.objectContaining({ label: 'INBOX', nameB: 'INBOX', uid: 5, uidValidity: 8n }),
      flagDelta: { add: ['\\Flagged'], remove: ['\\Seen'] },
      why: expect.stringMatching(/copied on B from INBOX \(UID 5\), which keeps it \(unchanged since the last run: not read\)/),
    })]);
    expect(final.pairs[0]!.plan.appends.map((a) => a.gid)).toEqual(['g2']);
    // No answer (the UID holds another message now, or could not be read): the append stays.
    expect(planTransfers([archive], { mode: 'mirror', features: ALL, unchanged: [inbox], sizes: new Map() }).transfers).toEqual([]);
  });

  it('an unchanged pair\'s message is never moved, and asked for only where no read folder holds the global id and the side can COPY', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', [], 300)] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300], [10, 'g2', 400]] });
    expect(planTransfers([inbox, archive], { mode: 'mirror', features: ALL }).needSources).toEqual({ a: [], b: ['g2'] });
    expect(planTransfers([inbox, archive], { mode: 'mirror', features: { ...ALL, b: { copy: false, move: true } } }).needSources).toBeUndefined();
    const work = { label: 'Work', nameA: 'Work', nameB: 'Work', status: { a: { uidValidity: 3n, uidNext: 9 }, b: { uidValidity: 8n, uidNext: 20 } }, records: [rec(4, 7, 'g2')] };
    const onlyMove = planTransfers([archive], { mode: 'mirror', features: { ...ALL, b: { copy: false, move: true } }, unchanged: [work], sizes: new Map([[sizeKey('Work', 'b', 7), { size: 400, flags: [] }]]) });
    expect(onlyMove.transfers).toEqual([]);
  });

  it('a kept message serves one copy per target folder (a message in several folders, labels): one COPY each', () => {
    const inbox = pair('INBOX', { records: [rec(1, 5, 'g1')] });
    const archive = pair('Archive', { appends: [[9, 'g1', 300]] });
    const later = pair('Later', { appends: [[3, 'g1', 300], [4, 'g1', 300]] });
    const sizes = new Map([[sizeKey('INBOX', 'b', 5), { size: 300, flags: [] }]]);
    const out = planTransfers([inbox, archive, later], { mode: 'copy', features: ALL, sizes });
    // Later's second copy of g1 would name UID 5 twice in one UID COPY: appended.
    expect(out.transfers.map((t) => `${t.kind} ${t.source.uid} ${t.target.label}`)).toEqual(['copy 5 Archive', 'copy 5 Later']);
    expect(out.pairs[2]!.plan.appends.map((a) => a.uid)).toEqual([4]);
  });

  it('never from the same folder, nor onto a side the mode does not write', () => {
    const inbox = pair('INBOX', { expunges: [deletion(5, 'g1', [], 300)], appends: [[9, 'g1', 300]] });
    expect(planTransfers([inbox], { mode: 'mirror', features: ALL }).transfers).toEqual([]);
    const toA = pair('Archive', {});
    toA.plan.appends.push({ from: 'b', to: 'a', uid: 4, gid: 'g2', flags: [], sourceFlags: [], size: 10, why: 'new on B' });
    const holder = pair('Work', { records: [{ uidA: 8, uidB: 0, gid: 'g2', flags: [] }] });
    expect(planTransfers([toA, holder], { mode: 'mirror', features: ALL, sizes: new Map([[sizeKey('Work', 'a', 8), { size: 10, flags: [] }]]) }).transfers).toEqual([]);
  });
});
