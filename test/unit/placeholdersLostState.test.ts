// --placeholders when the state lost a stand-in's record (the state file
// deleted, or that one record gone): the stand-in is known by its
// Message-ID (`<placeholder.<original's gid>@replimap>`), never copied back
// as mail; it pairs again with its original when the other side holds that
// one unrecorded, and is planned at once by the stand-in rules (replaced when
// flagged or let through, flags merged otherwise); one with no original to
// pair stays where it is, unrecorded, and -v says why.

import { afterEach, describe, expect, it } from 'vitest';
import { identityOf } from '../../src/sync/identity.js';
import { buildStandIn, standInMessageId } from '../../src/sync/standIn.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { SyncState } from '../../src/state/SyncState.js';
import type { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { big, expectSettled, isStandIn, LIMIT, loseState, newWorld, realBodies, records, standIns, type World } from '../support/placeholderWorld.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

const MODES = ['copy', 'mirror', 'two-way'] as const;

/** Only the record pairing the stand-in with its original removed from the state. */
async function loseStandInRecord(world: World): Promise<void> {
  const state = await SyncState.open(world.statePath, world.urls);
  try {
    const record = state.folder('INBOX', 'INBOX')!.records().find((r) => r.standIn !== undefined)!;
    state.apply({ op: 'del', nameA: 'INBOX', nameB: 'INBOX', uidA: record.uidA, uidB: record.uidB });
    await state.close();
  } catch (err) {
    await state.close();
    throw err;
  }
}

describe('identityOf: a stand-in is known by its Message-ID and its X-Replimap-Placeholder field', () => {
  it('names the original\'s gid for exactly `<placeholder.<16-character gid>@replimap>` with the field, for no other Message-ID, nor without the field', () => {
    const source = { identityHeaders: 'Message-ID: <big@example.org>\r\nSubject: big\r\n', size: 50_000 };
    const original = identityOf(source).gid;
    const standIn = buildStandIn(source, original);
    const envelope = { identityHeaders: standIn.body.toString('utf8').split('\r\n\r\n')[0]! + '\r\n', size: standIn.body.length };
    expect(identityOf(envelope)).toEqual({ gid: standIn.gid, standInOf: original });
    for (const id of [`<placeholder.${original}x@replimap>`, `<placeholder.${original}@replimap.org>`, '<placeholder.short@replimap>', `<x.${original}@replimap>`]) {
      expect(identityOf({ identityHeaders: `Message-ID: ${id}\r\n`, size: 10 }).standInOf, id).toBeUndefined();
    }
    // Mail may carry any Message-ID: without the field, it is no stand-in.
    expect(identityOf({ identityHeaders: `Message-ID: ${standInMessageId(original)}\r\n`, size: 10 }).standInOf).toBeUndefined();
    const marked = `Message-ID: ${standInMessageId(original)}\r\nx-replimap-placeholder:  50000\r\n`;
    expect(identityOf({ identityHeaders: marked, size: 10 }).standInOf).toBe(original);
  });
});

const allBodies = (server: MemoryServer): string[] => server.messages('INBOX').map((m) => digest(m.body)).sort();

describe('--placeholders: a stand-in the state does not know', () => {
  for (const lose of ['the state file', 'the stand-in\'s record'] as const) {
    it.each(MODES)(`%s: ${lose} lost, the stand-in pairs again with its original: not copied, no second stand-in`, async (mode) => {
      const world = newWorld(mode);
      expect((await world.sync()).failures).toEqual([]);
      if (lose === 'the state file') loseState(world);
      else await loseStandInRecord(world);
      // New mail on A, so that every mode reads the folder again (an unchanged one may be skipped).
      world.a.append('INBOX', [{ raw: conformanceMessage(60, 3) }]);
      const wantA = allBodies(world.a);
      const wantB = [...allBodies(world.b), digest(world.a.messages('INBOX').at(-1)!.body)].sort();
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect([run.summary.copied, run.summary.expunged]).toEqual([1, 0]);
      expect(allBodies(world.a)).toEqual(wantA);
      expect(allBodies(world.b)).toEqual(wantB);
      expect(world.a.messages('INBOX').filter(isStandIn)).toEqual([]);
      expect(standIns(world.b)).toHaveLength(1);
      expect(await records(world)).toContain(`${big(world.a).uid} ${standIns(world.b)[0]!.uid} stand-in:b`);
      await expectSettled(world);
    });
  }

  it.each(MODES)('%s: the state lost and the filter looser now, the stand-in is replaced by the real message in the same run', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    loseState(world);
    const run = await world.sync({ messageFilter: undefined, placeholders: false });
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(world.a.messages('INBOX').filter(isStandIn)).toEqual([]);
    expect(allBodies(world.b)).toEqual(allBodies(world.a));
    await expectSettled(world);
  });

  it.each(MODES)('%s: the state lost, a stand-in the user flagged is replaced in the same run, their other flags kept as the mode merges', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], ['\\Flagged', '$Later'], []);
    loseState(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(allBodies(world.b)).toEqual(allBodies(world.a));
    expect(big(world.b).flags).toEqual(mode === 'mirror' ? [] : ['$Later', '\\Flagged']);
    expect(big(world.a).flags).toEqual(mode === 'two-way' ? ['$Later', '\\Flagged'] : []);
    await expectSettled(world);
  });

  it.each(MODES)('%s: the state lost, original and stand-in both \\Flagged (as an older replimap made it): no fetch, the stand-in unflagged once', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    world.a.setFlags('INBOX', [big(world.a).uid], ['\\Flagged'], []);
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], ['\\Flagged'], []);
    loseState(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect([run.summary.copied, run.summary.expunged]).toEqual([0, 0]);
    expect(standIns(world.b)[0]!.flags).toEqual([]);
    expect(big(world.a).flags).toEqual(['\\Flagged']);
    await expectSettled(world);
  });

  it.each(MODES)('%s: the state lost, the pair\'s flags merge as the mode merges without history (no flag one side lacks is removed)', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    world.a.setFlags('INBOX', [big(world.a).uid], ['\\Answered', '$Shared'], []);
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], ['\\Seen', '$Shared'], []);
    loseState(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.copied + run.summary.expunged).toBe(0);
    const [standIn, ...more] = standIns(world.b);
    expect(more).toEqual([]);
    const union = ['$Shared', '\\Answered', '\\Seen'];
    expect([...standIn!.flags].sort()).toEqual(mode === 'mirror' ? ['$Shared', '\\Answered'] : union);
    expect([...big(world.a).flags].sort()).toEqual(mode === 'two-way' ? union : ['$Shared', '\\Answered']);
    await expectSettled(world);
  });

  it.each(MODES)('%s: a stand-in whose original is gone and the state lost stays where it is, not copied, not deleted; -v says why', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    loseState(world);
    world.a.expunge('INBOX', [big(world.a).uid]);
    const wantA = allBodies(world.a);
    const wantB = allBodies(world.b);
    for (const dryRun of [true, false]) {
      const run = await world.sync({ dryRun, verbose: true } as Partial<SyncOptions>);
      expect(run.failures).toEqual([]);
      expect(allBodies(world.a)).toEqual(wantA);
      expect(allBodies(world.b)).toEqual(wantB);
      const said = dryRun ? run.wouldDo : run.verbose;
      expect(said.filter((t) => t.includes(`B UID ${standIns(world.b)[0]!.uid} alone`) && t.includes('holds no message of its original'))).toHaveLength(1);
    }
    await expectSettled(world);
    expect(world.a.messages('INBOX').filter(isStandIn)).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
  });

  it.each(MODES)('%s: two stand-ins of one original (an older run\'s second) and the state lost: one pairs, the other stays, neither is copied', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    world.b.append('INBOX', [{ raw: standIns(world.b)[0]!.body }]);
    loseState(world);
    const wantA = allBodies(world.a);
    const wantB = allBodies(world.b);
    const run = await world.sync({ verbose: true } as Partial<SyncOptions>);
    expect(run.failures).toEqual([]);
    expect(allBodies(world.a)).toEqual(wantA);
    expect(allBodies(world.b)).toEqual(wantB);
    const [first, second] = standIns(world.b);
    expect(await records(world)).toContain(`${big(world.a).uid} ${first!.uid} stand-in:b`);
    expect(run.verbose.filter((t) => t.includes(`B UID ${second!.uid} alone`) && t.includes('another stand-in of the same original'))).toHaveLength(1);
    await expectSettled(world);
    expect(allBodies(world.b)).toEqual(wantB);
  });

  it.each(MODES)('%s: a second stand-in the state does not know, beside a recorded pair, changes nothing', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    world.b.append('INBOX', [{ raw: standIns(world.b)[0]!.body }]);
    const wantA = allBodies(world.a);
    const wantB = allBodies(world.b);
    const before = await records(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.copied + run.summary.expunged + run.summary.flagsUpdated).toBe(0);
    expect([allBodies(world.a), allBodies(world.b)]).toEqual([wantA, wantB]);
    expect(await records(world)).toEqual(before);
  });

  for (const originalThere of [true, false]) {
    it.each(['copy', 'mirror'] as const)(`%s: a stand-in on A (made by a two-way run), the state lost, ${originalThere ? 'its original on B' : 'its original gone'}: never copied to B`, async (mode) => {
      const world = newWorld('two-way');
      await world.sync();
      world.b.append('INBOX', [{ raw: conformanceMessage(40, 1000) }]);
      await world.sync();
      expect(world.a.messages('INBOX').filter(isStandIn)).toHaveLength(1);
      loseState(world);
      if (!originalThere) world.b.expunge('INBOX', world.b.messages('INBOX').filter((m) => m.body.includes('conf40')).map((m) => m.uid));
      const wantA = allBodies(world.a);
      const wantB = allBodies(world.b);
      const run = await world.sync({ mode });
      expect(run.failures).toEqual([]);
      expect([allBodies(world.a), allBodies(world.b)]).toEqual([wantA, wantB]);
      expect(standIns(world.b)).toHaveLength(1); // A's own big message's, and no copy of A's stand-in
      await expectSettled(world);
    });
  }
});
