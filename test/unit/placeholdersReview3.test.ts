// Review s11-rev3 (second round, the fix commits 82165d6..integ): each BUG comment names a bug a
// test proved (it.fails then); all are fixed. Memory stores (test/support/placeholderWorld.ts).

import { afterEach, describe, expect, it } from 'vitest';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { big, isStandIn, loseState, newWorld, standIns } from '../support/placeholderWorld.js';

afterEach(forgetMemorySpecs);

// BUG R3-1 (copy mode deletes on B what it otherwise keeps; the guard does not count it): the big
// message leaves A and A's folder gets a new UIDVALIDITY (rebuilt/restored). The stand-in's record
// has its A side voided and reads as an orphan ({uidA: 0, standIn: 'b'}, gid = the original's, not
// standInGid, so not isLoneStandIn); adoptLostStandIns finds no original, standInUnpaired expunges it
// as "a stand-in whose original was copied over it" (false), and replacesStandIn exempts it from the
// deletion guard. Without the rebuild, copy mode keeps that stand-in (standInKeptWhy, the test in
// placeholdersKept.test.ts). A rebuild of A thus silently deletes every such stand-in from B, in copy
// mode, the mode that never deletes on B what A lost.
describe('s11-rev3: copy mode, A rebuilt without the held-back message', () => {
  it('the stand-in on B is kept, as it is without the rebuild', async () => {
    const world = newWorld('copy');
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
    world.a.expunge('INBOX', [big(world.a).uid]);
    world.a.resetUidValidity('INBOX');
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.expunged).toBe(0);
    expect(standIns(world.b)).toHaveLength(1);
  });
});

/** Copy mode: a stand-in made, its original expunged on A (the stand-in kept on B), then put back on A unrecorded. */
async function originalLeftAndBack(): Promise<ReturnType<typeof newWorld>> {
  const world = newWorld('copy');
  expect((await world.sync()).failures).toEqual([]);
  const original = big(world.a);
  world.a.expunge('INBOX', [original.uid]);
  expect((await world.sync()).failures).toEqual([]);
  expect(standIns(world.b)).toHaveLength(1);
  world.a.append('INBOX', [{ raw: original.body }]);
  return world;
}

// Fixed: a kept stand-in's record names its original's gid (the orphan form), so the original pairs again.
// BUG R3-2 (a duplicate stand-in): copy mode keeps a stand-in whose original left A as a lone stand-in
// record (gid === standInGid). soleStandInCandidate gives it no `orphan` and absence NEVER_STORED, so
// adoptLostStandIns never considers it again: when the original comes back to A (moved back, restored)
// it is unrecorded there, held back again, and gets a second stand-in on B beside the first.
describe('s11-rev3: copy mode, the original leaves A and comes back', () => {
  it('B keeps one stand-in of it, not two', async () => {
    const world = await originalLeftAndBack();
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
  });
});

// BUG R3-3 (a stale stand-in beside its real message, forever): the same lone stand-in (R3-2) is never
// adopted again, so the "beside a real copy" rule (originalsFor/standInUnpaired), which only looks at
// adoptable stand-ins (no absence, or an orphan), never reaches it: once the original is back on A and
// the filter lets it through, B holds the real message AND the old stand-in, in copy mode for good.
describe('s11-rev3: copy mode, the original leaves A, comes back, and is let through', () => {
  it('B ends with the real message and no stand-in of it', async () => {
    const world = await originalLeftAndBack();
    expect((await world.sync({ messageFilter: undefined })).failures).toEqual([]);
    expect((await world.sync({ messageFilter: undefined })).failures).toEqual([]);
    expect(world.b.messages('INBOX').filter((m) => !isStandIn(m) && m.body.length > 10_000)).toHaveLength(1);
    expect(standIns(world.b)).toHaveLength(0);
  });
});

/**
 * Copy mode: B keeps the stand-in of an original A expunged; then A gets real mail made of that
 * stand-in's text without its X-Replimap-Placeholder field (mail, by identityOf's rule), same gid.
 */
async function keptStandInAndItsLookalike(): Promise<{ world: ReturnType<typeof newWorld>; standIn: ReturnType<typeof standIns>[number] }> {
  const world = newWorld('copy');
  expect((await world.sync()).failures).toEqual([]);
  world.a.expunge('INBOX', [big(world.a).uid]);
  expect((await world.sync()).failures).toEqual([]);
  const standIn = standIns(world.b)[0]!;
  const text = standIn.body.toString('utf8').replace(/^X-Replimap-Placeholder:.*\r\n(?:[ \t].*\r\n)*/imu, '');
  world.a.append('INBOX', [{ raw: Buffer.from(text.replace('\r\n\r\n', '\r\n\r\nreal mail, not a stand-in\r\n')) }]);
  return { world, standIn };
}

// BUG R3-4 (real mail never copied, exit ok): a lone stand-in record's candidate (soleStandInCandidate:
// gid = its own standInGid, absence NEVER_STORED) goes to matchByGid, which never looks at standInOf:
// it pairs with any unrecorded message of that gid on the other side. Real mail whose Message-ID is
// stand-in-shaped but without X-Replimap-Placeholder (the case e49fe54 says is mail, "mail may carry any
// Message-ID") has exactly that gid: arriving on A, it is paired with B's lone stand-in and never copied.
describe('s11-rev3: copy mode, a lone stand-in on B and real mail with its Message-ID on A', () => {
  it('the real mail is copied to B', async () => {
    const { world } = await keptStandInAndItsLookalike();
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(world.b.messages('INBOX').filter((m) => m.body.toString('utf8').includes('real mail, not a stand-in'))).toHaveLength(1);
  });
});

// BUG R3-4b (real mail deleted, its only copy): the pair R3-4 makes is recorded as an ordinary pair
// (A's real mail <-> B's stand-in, no standIn mark: records '4 3'). The user deletes the stand-in on B
// (it is one) and runs two-way: the deletion is propagated and A's real mail, never copied anywhere, is
// expunged.
describe('s11-rev3: the R3-4 pair, the stand-in deleted on B, then two-way', () => {
  it('the real mail on A is not deleted', async () => {
    const { world, standIn } = await keptStandInAndItsLookalike();
    expect((await world.sync()).failures).toEqual([]);
    world.b.expunge('INBOX', [standIn.uid]);
    expect((await world.sync({ mode: 'two-way' })).failures).toEqual([]);
    const isReal = (m: { body: Buffer }): boolean => m.body.toString('utf8').includes('real mail, not a stand-in');
    expect(world.a.messages('INBOX').filter(isReal).length + world.b.messages('INBOX').filter(isReal).length).toBeGreaterThan(0);
  });
});

// BUG R3-5 (the user's flags lost): a stand-in the state does not know, beside a real copy of its original
// on its own side, is deleted (standInUnpaired: flags [] in its StandInReplacement, nothing merged),
// though every other way a stand-in leaves (replaced by its real message) merges its flags into the real
// message (replacingCandidate). A keyword the user set on the stand-in is on no message afterwards.
describe('s11-rev3: two-way, a lost stand-in with a user keyword beside a real copy', () => {
  it('the keyword survives on the real message', async () => {
    const world = newWorld('two-way');
    expect((await world.sync()).failures).toEqual([]);
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], ['$Label1'], []);
    world.b.append('INBOX', [{ raw: big(world.a).body }]);
    loseState(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(0);
    const labelled = [...world.a.messages('INBOX'), ...world.b.messages('INBOX')].filter((m) => m.flags.includes('$Label1'));
    expect(labelled.length).toBeGreaterThan(0);
  });
});

// BUG R3-1b (as R3-1, two-way): after A's rebuild without the original, the voided record reads as an
// orphan and its stand-in is deleted, though a rebuild proves no deletion ("its voided UIDs prove no
// earlier deletion", the property test) and two-way deletes a stand-in only "when the state proves the
// deletion" (README); a rollback (same UIDVALIDITY) of the same loss keeps it.
describe('s11-rev3: two-way, A rebuilt without the held-back message', () => {
  it('the stand-in on B is kept (the deletion is not proven)', async () => {
    const world = newWorld('two-way');
    expect((await world.sync()).failures).toEqual([]);
    world.a.expunge('INBOX', [big(world.a).uid]);
    world.a.resetUidValidity('INBOX');
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
  });
});
