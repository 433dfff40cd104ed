// --placeholders: \Flagged on a stand-in means exactly "fetch the real
// message". A stand-in is made without it (whatever its original has), its
// record's base never holds it, the original's \Flagged never reaches it and
// is never removed because of it; the user flagging it gets the real message.
// Records of an older replimap (base with \Flagged, the stand-in made
// flagged) are migrated without fetching anything the user did not ask for.

import { afterEach, describe, expect, it } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord } from '../../src/state/types.js';
import type { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { big, expectSettled, isStandIn, newWorld, realBodies, standIns, type World } from '../support/placeholderWorld.js';
import { conformanceMessage } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

const MODES = ['copy', 'mirror', 'two-way'] as const;
const FLAGGED = '\\Flagged';

/** The record pairing a stand-in on `side` with its original. */
async function standInRecord(world: World, side: 'a' | 'b' = 'b'): Promise<MessageRecord> {
  const state = await SyncState.open(world.statePath, world.urls, { readOnly: true });
  try {
    return state.folder('INBOX', 'INBOX')!.records().find((r) => r.standIn === side)!;
  } finally {
    await state.close();
  }
}

/** What an older replimap left for a flagged original: its stand-in flagged too, the record's base with \Flagged. */
async function asOlderReplimapLeftIt(world: World, standInOn: MemoryServer, originalOn: MemoryServer, original: number): Promise<void> {
  const record = await standInRecord(world, standInOn === world.a ? 'a' : 'b');
  standInOn.setFlags('INBOX', [record.standIn === 'a' ? record.uidA : record.uidB], [FLAGGED], []);
  originalOn.setFlags('INBOX', [original], [FLAGGED], []);
  const state = await SyncState.open(world.statePath, world.urls);
  state.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: { ...record, flags: [...record.flags, FLAGGED].sort() } });
  await state.close();
}

const flagsOf = (server: MemoryServer, uid: number): string[] => [...server.messages('INBOX').find((m) => m.uid === uid)!.flags].sort();

describe('--placeholders: \\Flagged on a stand-in means "fetch the real message"', () => {
  it.each(MODES)('%s: an original already \\Flagged when held back gets an unflagged stand-in, and keeps its own \\Flagged', async (mode) => {
    const world = newWorld(mode);
    world.a.setFlags('INBOX', [big(world.a).uid], [FLAGGED, '\\Seen'], []);
    expect((await world.sync()).failures).toEqual([]);
    const [standIn, ...more] = standIns(world.b);
    expect(more).toEqual([]);
    expect(standIn!.flags).toEqual(['\\Seen']);
    expect((await standInRecord(world)).flags).toEqual(['\\Seen']);
    await expectSettled(world);
    expect(flagsOf(world.a, big(world.a).uid)).toEqual([FLAGGED, '\\Seen']);
    expect(standIns(world.b)[0]!.flags).toEqual(['\\Seen']);
  });

  it.each(MODES)('%s: flagging that stand-in brings the real message; the original keeps its \\Flagged', async (mode) => {
    const world = newWorld(mode);
    world.a.setFlags('INBOX', [big(world.a).uid], [FLAGGED], []);
    await world.sync();
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], [FLAGGED, '$Later'], []);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    expect([...big(world.b).flags].sort()).toEqual(mode === 'mirror' ? [FLAGGED] : ['$Later', FLAGGED]);
    expect(flagsOf(world.a, big(world.a).uid)).toEqual(mode === 'two-way' ? ['$Later', FLAGGED] : [FLAGGED]);
    await expectSettled(world);
  });

  it.each(MODES)('%s: the original flagged later: the stand-in stays unflagged (no fetch), the original keeps its \\Flagged', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    world.a.setFlags('INBOX', [big(world.a).uid], [FLAGGED, '\\Answered'], []);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.copied).toBe(0);
    const [standIn, ...more] = standIns(world.b);
    expect(more).toEqual([]);
    expect(standIn!.flags).toEqual(['\\Answered']);
    expect(flagsOf(world.a, big(world.a).uid)).toEqual(['\\Answered', FLAGGED]);
    await expectSettled(world);
    expect(flagsOf(world.a, big(world.a).uid)).toEqual(['\\Answered', FLAGGED]);
  });

  it.each(MODES)('%s: an older replimap\'s flagged stand-in is unflagged once, nothing fetched; flagging it then fetches', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    await asOlderReplimapLeftIt(world, world.b, world.a, big(world.a).uid);
    const run = await world.sync({ verbose: true } as never);
    expect(run.failures).toEqual([]);
    expect([run.summary.copied, run.summary.expunged]).toEqual([0, 0]);
    expect(standIns(world.b)[0]!.flags).toEqual([]);
    expect(run.verbose.some((t) => t.includes('made flagged by an older replimap'))).toBe(true);
    expect(flagsOf(world.a, big(world.a).uid)).toEqual([FLAGGED]);
    expect((await standInRecord(world)).flags).toEqual([]);
    await expectSettled(world);
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], [FLAGGED], []);
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    await expectSettled(world);
  });

  it('an older replimap\'s flagged stand-in on A: copy mode (never writes A) keeps the old rule; a two-way run then unflags it, nothing fetched', async () => {
    const world = newWorld('two-way');
    await world.sync();
    world.b.append('INBOX', [{ raw: conformanceMessage(40, 1000) }]);
    await world.sync();
    const original = world.b.messages('INBOX').find((m) => m.body.includes('conf40'))!;
    await asOlderReplimapLeftIt(world, world.a, world.b, original.uid);
    const onA = (): number[] => world.a.messages('INBOX').filter(isStandIn).map((m) => m.uid);
    expect(onA()).toHaveLength(1);
    const copy = await world.sync({ mode: 'copy' });
    expect([copy.failures, copy.summary.copied, copy.summary.expunged]).toEqual([[], 0, 0]);
    expect((await standInRecord(world, 'a')).flags).toContain(FLAGGED);
    expect(flagsOf(world.b, original.uid)).toEqual([FLAGGED]);
    const twoWay = await world.sync();
    expect([twoWay.failures, twoWay.summary.copied, twoWay.summary.expunged]).toEqual([[], 0, 0]);
    expect(onA()).toHaveLength(1);
    expect(flagsOf(world.a, onA()[0]!)).toEqual([]);
    expect(flagsOf(world.b, original.uid)).toEqual([FLAGGED]);
    expect((await standInRecord(world, 'a')).flags).toEqual([]);
    await expectSettled(world);
  });

  it.each(MODES)('%s: the filter lets a \\Flagged original through later: the real message gets its \\Flagged (read, as no record holds it)', async (mode) => {
    const world = newWorld(mode);
    world.a.setFlags('INBOX', [big(world.a).uid], [FLAGGED], []);
    await world.sync();
    await world.sync();
    const run = await world.sync({ messageFilter: undefined, placeholders: false });
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    expect(big(world.b).flags).toEqual([FLAGGED]);
    expect(flagsOf(world.a, big(world.a).uid)).toEqual([FLAGGED]);
    await expectSettled(world);
  });
});
