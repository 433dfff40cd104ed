// --placeholders on the real engine with memory stores: a message held back by
// size gets a stand-in on the other side (its headers, its size, its own
// Message-ID); flagging the stand-in makes the next run copy the real message
// over it (the user's other flags kept as the mode merges flags); flag
// changes flow between stand-in and original; deleting the stand-in never
// deletes the original; an original expunged takes its stand-in along; and a
// run killed anywhere while replacing loses nothing.

import { afterEach, describe, expect, it } from 'vitest';
import { deferredReport } from '../../src/cli/statusCommand.js';
import { SyncState } from '../../src/state/SyncState.js';
import { MAX_HEADER_BYTES } from '../../src/store/readRules.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { STAND_IN_HEADER, standInMessageId } from '../../src/sync/standIn.js';
import { globalId } from '../../src/sync/identity.js';
import { killedRun, WRITE_OPERATIONS } from '../support/memoryKill.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { big, expectSettled, header, isStandIn, LIMIT, newWorld, realBodies, records, standIns } from '../support/placeholderWorld.js';
import { expectOriginalHeadersOn } from '../support/standInHeaders.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

describe('--placeholders: stand-ins for messages held back by size', () => {
  it.each(['copy', 'mirror', 'two-way'] as const)('%s: makes a stand-in with the original headers and size, its own Message-ID', async (mode) => {
    const world = newWorld(mode);
    const original = big(world.a);
    const run = await world.sync({ verbose: true } as Partial<SyncOptions>);
    expect(run.failures).toEqual([]);
    expect(run.summary.copied).toBe(2);
    expect(realBodies(world.b)).toEqual(world.a.messages('INBOX').filter((m) => m.body.length <= LIMIT).map((m) => digest(m.body)).sort());
    const [standIn, ...more] = standIns(world.b);
    expect(more).toEqual([]);
    expect(header(standIn!, STAND_IN_HEADER)).toBe(String(original.body.length));
    for (const name of ['From', 'Subject', 'Date']) expect(header(standIn!, name)).toBe(header(original, name));
    expectOriginalHeadersOn(standIn!.body, original.body);
    const gid = globalId(original.body.toString('utf8').split('\r\n\r\n')[0]! + '\r\n', original.body.length);
    expect(header(standIn!, 'Message-ID')).toBe(standInMessageId(gid));
    expect(standIn!.body.length).toBeLessThan(1000);
    expect(standIn!.body.toString('utf8')).toContain('\\Flagged');
    expect(run.verbose.some((t) => t.includes('stand-in') && t.includes('--placeholders'))).toBe(true);
    expect(await records(world)).toContain(`${original.uid} ${standIn!.uid} stand-in:b`);
    expect(run.summary.deferred).toBe(1);
    const state = await SyncState.open(world.statePath, world.urls, { readOnly: true });
    expect(deferredReport(state).total).toEqual({ deferred: 1, bytes: original.body.length }); // still held back, stand-in or not
    await state.close();
    await expectSettled(world);
    expect(world.a.messages('INBOX')).toHaveLength(3); // A untouched, no stand-in there
    expect(standIns(world.b)).toHaveLength(1);
  });

  it('an original whose header is past MAX_HEADER_BYTES gets a stand-in with its Date, From and Subject alone, still small', async () => {
    const world = newWorld('copy');
    const filler = `X-Filler: ${'x'.repeat(70)}\r\n`.repeat(Math.ceil(MAX_HEADER_BYTES / 80) + 1);
    world.a.append('INBOX', [{ raw: Buffer.concat([Buffer.from(filler), conformanceMessage(50, 1000)]) }]);
    const original = world.a.messages('INBOX').find((m) => m.body.includes('conf50'))!;
    expect((await world.sync()).failures).toEqual([]);
    const standIn = standIns(world.b).find((m) => header(m, STAND_IN_HEADER) === String(original.body.length))!;
    for (const name of ['From', 'Subject', 'Date']) expect(header(standIn, name)).toBe(header(original, name));
    expect(header(standIn, 'X-Filler')).toBeUndefined();
    expect(header(standIn, 'X-Other')).toBeUndefined(); // kept only when the whole header is read
    expect(standIn.body.length).toBeLessThan(1000);
  });

  it('two-way: a big message on B gets its stand-in on A, and flagging that one brings the real message to A', async () => {
    const world = newWorld('two-way');
    await world.sync();
    world.b.append('INBOX', [{ raw: conformanceMessage(40, 1000) }]);
    const fromB = world.b.messages('INBOX').find((m) => m.body.length > LIMIT && !isStandIn(m) && m.body.toString().includes('conf40'))!;
    expect((await world.sync()).failures).toEqual([]);
    const onA = world.a.messages('INBOX').filter(isStandIn);
    expect(onA.map((m) => header(m, STAND_IN_HEADER))).toEqual([String(fromB.body.length)]);
    expect(await records(world)).toContain(`${onA[0]!.uid} ${fromB.uid} stand-in:a`);
    world.a.setFlags('INBOX', [onA[0]!.uid], ['\\Flagged'], []);
    expect((await world.sync()).failures).toEqual([]);
    expect(world.a.messages('INBOX').filter(isStandIn)).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1); // A's own big message keeps its stand-in on B
    expect(realBodies(world.a)).toEqual(realBodies(world.b).concat(digest(big(world.a).body)).sort());
    expect(world.b.messages('INBOX').find((m) => m.uid === fromB.uid)!.flags).toEqual(['\\Flagged']);
    await expectSettled(world);
  });

  it('a dry run says which stand-in it would make and why', async () => {
    const world = newWorld('mirror');
    const run = await world.sync({ dryRun: true });
    expect(run.wouldDo.filter((t) => t.includes('make a stand-in on B'))).toHaveLength(1);
    expect(world.b.hasFolder('INBOX') ? world.b.messages('INBOX') : []).toEqual([]);
  });

  it.each(['copy', 'two-way'] as const)('%s: a stand-in flagged \\Flagged is replaced by the real message, the user\'s other flags kept', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    const stand = standIns(world.b)[0]!;
    world.b.setFlags('INBOX', [stand.uid], ['\\Flagged', '\\Seen', '$Later'], []);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    expect([...big(world.b).flags].sort()).toEqual(['$Later', '\\Flagged', '\\Seen']);
    // Two-way: the stand-in's flags flow to the original as usual, in the same run (\Flagged too).
    if (mode === 'two-way') expect([...big(world.a).flags].sort()).toEqual(['$Later', '\\Flagged', '\\Seen']);
    expect((await records(world)).some((r) => r.includes('stand-in'))).toBe(false);
    await expectSettled(world);
  });

  it('mirror: a stand-in flagged is replaced; B\'s flags follow A\'s, as mirror has them', async () => {
    const world = newWorld('mirror');
    world.a.setFlags('INBOX', [big(world.a).uid], ['\\Answered'], []);
    await world.sync();
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], ['\\Flagged'], []);
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    expect(big(world.b).flags).toEqual(['\\Answered']);
    await expectSettled(world);
  });

  it('a run without the size filter replaces every stand-in', async () => {
    const world = newWorld('mirror');
    await world.sync();
    expect(standIns(world.b)).toHaveLength(1);
    expect((await world.sync({ messageFilter: undefined, placeholders: false })).failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    await expectSettled(world);
  });

  it('mirror: replacing most of a folder\'s messages (their stand-ins) is no deletion the guard withholds', async () => {
    const world = newWorld('mirror');
    world.a.append('INBOX', Array.from({ length: 12 }, (_, i) => ({ raw: conformanceMessage(10 + i, 1000) })));
    await world.sync();
    expect(standIns(world.b)).toHaveLength(13);
    const run = await world.sync({ messageFilter: undefined, placeholders: false });
    expect([run.failures, run.summary.withheld]).toEqual([[], []]);
    expect(run.summary.expunged).toBe(13);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    await expectSettled(world);
  });

  it('flag changes flow between stand-in and original (two-way both ways, copy A to B)', async () => {
    const world = newWorld('two-way');
    await world.sync();
    world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], ['\\Seen'], []);
    world.a.setFlags('INBOX', [big(world.a).uid], ['\\Answered'], []);
    expect((await world.sync()).failures).toEqual([]);
    expect([...big(world.a).flags].sort()).toEqual(['\\Answered', '\\Seen']);
    expect([...standIns(world.b)[0]!.flags].sort()).toEqual(['\\Answered', '\\Seen']);
    await expectSettled(world);

    const copy = newWorld('copy');
    await copy.sync();
    copy.a.setFlags('INBOX', [big(copy.a).uid], ['\\Seen'], []);
    expect((await copy.sync()).failures).toEqual([]);
    expect(standIns(copy.b)[0]!.flags).toEqual(['\\Seen']);
  });

  it.each(['mirror', 'two-way'] as const)('%s: a stand-in deleted keeps the original, and the next run makes it again', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    const before = world.a.messages('INBOX').map((m) => digest(m.body)).sort();
    world.b.expunge('INBOX', [standIns(world.b)[0]!.uid]);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(world.a.messages('INBOX').map((m) => digest(m.body)).sort()).toEqual(before);
    expect(standIns(world.b)).toHaveLength(1);
    await expectSettled(world);
    expect(world.a.messages('INBOX')).toHaveLength(3);
  });

  it.each(['mirror', 'two-way'] as const)('%s: the original expunged takes its stand-in along', async (mode) => {
    const world = newWorld(mode);
    await world.sync();
    world.a.expunge('INBOX', [big(world.a).uid]);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(standIns(world.b)).toEqual([]);
    expect(realBodies(world.b)).toEqual(realBodies(world.a));
    expect(world.a.messages('INBOX').filter(isStandIn)).toEqual([]);
    await expectSettled(world);
  });

  it('copy: the original expunged leaves the stand-in (copy deletes nothing of B\'s)', async () => {
    const world = newWorld('copy');
    await world.sync();
    world.a.expunge('INBOX', [big(world.a).uid]);
    expect((await world.sync()).failures).toEqual([]);
    expect(standIns(world.b)).toHaveLength(1);
    await expectSettled(world);
  });

  it.each(['copy', 'mirror', 'two-way'] as const)('%s: a run killed at any write while replacing a stand-in loses nothing; the rerun leaves the real message once', async (mode) => {
    for (const when of ['before', 'after'] as const) {
      for (let k = 1; ; k++) {
        const world = newWorld(mode);
        await world.sync();
        world.b.setFlags('INBOX', [standIns(world.b)[0]!.uid], ['\\Flagged', '$Later'], []);
        const wantA = realBodies(world.a);
        const killed = await killedRun(world, world.statePath, when, k, () => world.sync(), (op) => WRITE_OPERATIONS.has(op));
        // Never a loss: the original is on A, and B holds the stand-in or the real message (or both, for now).
        expect(realBodies(world.a)).toEqual(wantA);
        expect(standIns(world.b).length + world.b.messages('INBOX').filter((m) => m.body.length > LIMIT).length).toBeGreaterThan(0);
        const rerun = await world.sync();
        expect(rerun.failures, `${when} ${k}`).toEqual([]);
        expect(realBodies(world.a), `${when} ${k}`).toEqual(wantA);
        expect(realBodies(world.b), `${when} ${k}`).toEqual(wantA);
        expect(standIns(world.b), `${when} ${k}`).toEqual([]);
        // The user's flags on the stand-in stay on the real message (mirror: B's flags follow A's).
        if (mode === 'mirror') expect(big(world.b).flags, `${when} ${k}`).toEqual(big(world.a).flags);
        else expect(big(world.b).flags, `${when} ${k}`).toContain('$Later');
        await expectSettled(world);
        if ('finished' in killed) break;
      }
    }
  });

  it.each(['copy', 'mirror', 'two-way'] as const)('%s: a run killed at any write while making a stand-in leaves, after a rerun, one stand-in and no stray', async (mode) => {
    for (const when of ['before', 'after'] as const) {
      for (let k = 1; ; k++) {
        const world = newWorld(mode);
        const wantA = world.a.messages('INBOX').map((m) => digest(m.body)).sort();
        const killed = await killedRun(world, world.statePath, when, k, () => world.sync(), (op) => WRITE_OPERATIONS.has(op));
        const rerun = await world.sync();
        expect(rerun.failures, `${when} ${k}`).toEqual([]);
        expect(world.a.messages('INBOX').map((m) => digest(m.body)).sort(), `${when} ${k}`).toEqual(wantA);
        expect(standIns(world.b), `${when} ${k}`).toHaveLength(1);
        expect(realBodies(world.b), `${when} ${k}`).toEqual(world.a.messages('INBOX').filter((m) => m.body.length <= LIMIT).map((m) => digest(m.body)).sort());
        expect((await records(world)).filter((r) => r.includes('stand-in:b')), `${when} ${k}`).toHaveLength(1);
        await expectSettled(world);
        if ('finished' in killed) break;
      }
    }
  });
});
