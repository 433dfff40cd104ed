// Two-way's folder rules through the real engine on two memory servers
// (test/support/memoryWorld.ts): a folder created on B reaches A with its
// messages; one A deleted goes from B only when B's copy holds nothing new,
// else it comes back on A with every message; the folder guard, both ways.
// Messages compared by body digest.

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { killedRun, WRITE_OPERATIONS } from '../support/memoryKill.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, everyBody, memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';

afterEach(forgetMemorySpecs);

function twoWayWorld(): MemoryWorld {
  return memoryWorld({ mode: 'two-way' });
}

/** Two runs: the first copies A's folders to B, the second finds nothing new (statuses recorded as they are). */
async function settled(world: MemoryWorld): Promise<void> {
  const first = await world.sync();
  expect(first.failures).toEqual([]);
  const second = await world.sync();
  expect([second.failures, second.summary.copied, second.summary.foldersCreated]).toEqual([[], 0, 0]);
}

/** Every folder of both servers, with its bodies: equal on both sides when converged. */
function account(world: MemoryWorld): { a: Record<string, string[]>; b: Record<string, string[]> } {
  const of = (server: MemoryWorld['a']): Record<string, string[]> =>
    Object.fromEntries(server.folderNames().map((name) => [name, bodies(server, name)]));
  return { a: of(world.a), b: of(world.b) };
}

/** Both sides hold the same folders and bodies, and the next run has nothing to do. */
async function expectConverged(world: MemoryWorld): Promise<void> {
  const { a, b } = account(world);
  expect(a).toEqual(b);
  const again = await world.sync();
  expect([again.failures, again.summary.copied, again.summary.foldersCreated, again.summary.foldersDeleted]).toEqual([[], 0, 0, 0]);
}

describe('two-way folders on memory stores', () => {
  it('a folder created on B appears on A, parents first, with its messages and its subscription', async () => {
    const world = twoWayWorld();
    await settled(world);
    world.b.createFolder('Projects');
    world.b.createFolder('Projects/2026');
    world.b.append('Projects/2026', [{ raw: conformanceMessage(40) }, { raw: conformanceMessage(41) }]);
    world.b.subscribe('Projects/2026');
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(world.a.folderNames()).toEqual(expect.arrayContaining(['Projects', 'Projects/2026']));
    expect(bodies(world.a, 'Projects/2026')).toEqual(bodies(world.b, 'Projects/2026'));
    expect(bodies(world.a, 'Projects/2026')).toHaveLength(2);
    expect(world.a.isSubscribed('Projects/2026')).toBe(true);
    await expectConverged(world);
  });

  it('a folder deleted on A whose B copy holds nothing new is deleted on B, and forgotten', async () => {
    const world = twoWayWorld();
    await settled(world);
    const work = bodies(world.b, 'Work');
    const rest = everyBody(world.b).filter((d) => !work.includes(d));
    world.a.deleteFolder('Work');
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.foldersDeleted).toBe(1);
    expect([world.a.hasFolder('Work'), world.b.hasFolder('Work')]).toEqual([false, false]);
    // Only Work's messages left B; A and B hold the same.
    expect(work).toHaveLength(2);
    expect(everyBody(world.b)).toEqual(rest);
    expect(account(world).a).toEqual(account(world).b);
    const again = await world.sync();
    expect([again.failures, again.summary.foldersCreated, again.summary.foldersDeleted, world.a.hasFolder('Work'), world.b.hasFolder('Work')])
      .toEqual([[], 0, 0, false, false]);
  });

  it('a folder deleted on A while B got new mail there is created again on A with all its messages', async () => {
    const world = twoWayWorld();
    await settled(world);
    const oldWork = bodies(world.b, 'Work');
    world.a.deleteFolder('Work');
    world.b.append('Work', [{ raw: conformanceMessage(50) }]);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.foldersDeleted).toBe(0);
    expect(bodies(world.b, 'Work')).toHaveLength(3);
    expect(bodies(world.b, 'Work')).toEqual(expect.arrayContaining(oldWork));
    expect(bodies(world.a, 'Work')).toEqual(bodies(world.b, 'Work'));
    await expectConverged(world);
  });

  describe('deleted on A right after a run that wrote into B\'s copy (B\'s status moved by that run\'s own appends)', () => {
    const variants = [
      { what: 'B holds only messages known on both sides: deleted', foreign: false, expungeKnown: false, deleted: true },
      { what: 'a message arrived on B while that run wrote there: created again on A with it', foreign: true, expungeKnown: false, deleted: false },
      { what: 'that, and a known message expunged on B (same count): created again on A', foreign: true, expungeKnown: true, deleted: false },
    ];
    for (const v of variants) {
      it(v.what, async () => {
        const world = twoWayWorld();
        await settled(world);
        world.a.append('Work', [{ raw: conformanceMessage(55) }]);
        // Someone else's message lands between that run's read and its append: below the appended UID, unknown to the state.
        world.b.beforeOperation = (op, args) => {
          if (!v.foreign || op !== 'append' || args.folder !== 'Work') return;
          world.b.beforeOperation = undefined;
          world.b.append('Work', [{ raw: conformanceMessage(56) }]);
        };
        expect((await world.sync()).summary.copied).toBe(1);
        world.b.beforeOperation = undefined;
        if (v.expungeKnown) world.b.expunge('Work', [world.b.messages('Work')[0]!.uid]);
        const onB = bodies(world.b, 'Work');
        world.a.deleteFolder('Work');
        const run = await world.sync();
        expect(run.failures).toEqual([]);
        if (v.deleted) {
          expect([run.summary.foldersDeleted, world.a.hasFolder('Work'), world.b.hasFolder('Work')]).toEqual([1, false, false]);
        } else {
          expect(run.summary.foldersDeleted).toBe(0);
          expect([bodies(world.a, 'Work'), bodies(world.b, 'Work')]).toEqual([onB, onB]);
          expect(onB).toContain(digest(conformanceMessage(56)));
        }
        await expectConverged(world);
      });
    }
  });

  it('the same the other way: deleted on B with nothing new on A goes from A; with new mail on A it comes back on B', async () => {
    const world = twoWayWorld();
    world.a.createFolder('Changed');
    world.a.append('Changed', [{ raw: conformanceMessage(60) }]);
    await settled(world);
    world.b.deleteFolder('Work');
    world.b.deleteFolder('Changed');
    world.a.append('Changed', [{ raw: conformanceMessage(61) }]);
    // B lost 2 of the 4 remembered folders: not more than half, so the guard lets it through.
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.withheld).toEqual([]);
    expect([world.a.hasFolder('Work'), world.b.hasFolder('Work')]).toEqual([false, false]);
    expect(bodies(world.b, 'Changed')).toEqual(bodies(world.a, 'Changed'));
    expect(bodies(world.b, 'Changed')).toHaveLength(2);
  });

  describe('the folder guard, both ways', () => {
    /** `side` loses Work and Archive (2 of the 3 remembered folders), `meanwhile` happens, a run: the guard withholds. */
    async function loseWorkAndArchive(world: MemoryWorld, side: 'a' | 'b', meanwhile = (): unknown => undefined): Promise<void> {
      world[side].deleteFolder('Work');
      world[side].deleteFolder('Archive');
      meanwhile();
      const run = await world.sync();
      expect(run.summary.withheld).toEqual([expect.objectContaining({ what: 'folders', count: 2, heldOnB: 3 })]);
      // The deletions withheld are the other side's (Withholding.side, absent for B).
      expect(run.summary.withheld[0]!.side).toBe(side === 'a' ? undefined : 'A');
      expect(run.summary.withheld[0]!.reason).toMatch(new RegExp(`^${side.toUpperCase()} lost 2 of the 3 folders the state remembers`));
    }

    it('A lost more than half of the remembered folders: nothing deleted on B nor created on A (withheld) until --force', async () => {
      const world = twoWayWorld();
      await settled(world);
      const bBefore = account(world).b;
      await loseWorkAndArchive(world, 'a');
      expect(account(world).b).toEqual(bBefore);
      expect([world.a.hasFolder('Work'), world.a.hasFolder('Archive')]).toEqual([false, false]);
      // Reported again by the next run, still nothing done.
      expect((await world.sync()).summary.withheld).toHaveLength(1);
      expect(account(world).b).toEqual(bBefore);
      const forced = await world.sync({ force: true });
      expect([forced.failures, forced.summary.withheld, forced.summary.foldersDeleted]).toEqual([[], [], 2]);
      expect(world.b.folderNames()).toEqual(['INBOX']);
    });

    it('B lost more than half: A keeps its folders and B gets none back until --force, which creates again what changed on A', async () => {
      const world = twoWayWorld();
      await settled(world);
      await loseWorkAndArchive(world, 'b', () => world.a.append('Work', [{ raw: conformanceMessage(70) }]));
      expect([world.a.hasFolder('Work'), world.a.hasFolder('Archive'), world.b.hasFolder('Work'), world.b.hasFolder('Archive')])
        .toEqual([true, true, false, false]);
      const forced = await world.sync({ force: true });
      expect(forced.failures).toEqual([]);
      // Archive was unchanged on A: deleted there. Work got new mail on A: back on B with all of it.
      expect([world.a.hasFolder('Archive'), world.b.hasFolder('Archive')]).toEqual([false, false]);
      expect(bodies(world.b, 'Work')).toEqual(bodies(world.a, 'Work'));
      expect(bodies(world.b, 'Work')).toHaveLength(3);
    });
  });

  it('a folder A refuses to create is a listed failure on A (its pair left out, nothing deleted in that run), created by the next run', async () => {
    const world = twoWayWorld();
    await settled(world);
    world.b.createFolder('Refused');
    world.b.append('Refused', [{ raw: conformanceMessage(95) }]);
    world.a.append('INBOX', [{ raw: conformanceMessage(96) }]);
    // A message may have moved into the folder A could not create: no deletion elsewhere in that run.
    const gone = world.a.messages('INBOX')[0]!;
    world.a.expunge('INBOX', [gone.uid]);
    world.a.beforeOperation = (op, args) => {
      if (op === 'createFolder' && args.folder === 'Refused') throw new StoreError('folder', 'NO [NOPERM] not allowed');
    };
    const run = await world.sync();
    world.a.beforeOperation = undefined;
    expect(run.failures).toEqual([{ folder: 'Refused', uid: 0, side: 'A', reason: 'folder could not be created on A: NO [NOPERM] not allowed' }]);
    expect(world.a.hasFolder('Refused')).toBe(false);
    expect(run.warnings.some((w) => /1 folder could not be created on A/.test(w)), run.warnings.join('\n')).toBe(true);
    expect(bodies(world.b, 'INBOX')).toEqual([...bodies(world.a, 'INBOX'), digest(gone.body)].sort());
    const next = await world.sync();
    expect(next.failures).toEqual([]);
    expect(bodies(world.b, 'INBOX')).toEqual(bodies(world.a, 'INBOX'));
    expect(bodies(world.a, 'Refused')).toEqual(bodies(world.b, 'Refused'));
    await expectConverged(world);
  });

  it('a dry run says what it would create and delete on each side, and changes nothing', async () => {
    const world = twoWayWorld();
    for (const n of [1, 2, 3]) world.a.createFolder(`Keep${n}`); // so the guard lets 2 losses through
    await settled(world);
    world.a.deleteFolder('Archive');
    world.a.deleteFolder('Work');
    world.b.append('Work', [{ raw: conformanceMessage(81) }]);
    world.b.createFolder('FromB');
    world.b.append('FromB', [{ raw: conformanceMessage(80) }]);
    const before = account(world);
    const state = readFileSync(world.statePath);
    const run = await world.sync({ dryRun: true });
    expect(run.wouldDo).toEqual(expect.arrayContaining([
      "create folder FromB on A (A lacks the pair of B's FromB)",
      "create folder Work on A (A deleted Work, but B's copy changed since the last run: created again on A)",
      'FromB: copy 1 messages (' + conformanceMessage(80).length + ' bytes) to A FromB',
      expect.stringMatching(/^Work: copy 3 messages \(\d+ bytes\) to A Work$/),
      "delete folder Archive on B (A deleted Archive, and B's copy holds nothing new since the last run)",
    ]));
    expect([account(world), readFileSync(world.statePath)]).toEqual([before, state]);
  });

  describe('a run killed at any write of the folder work, then run again, converges: nothing lost, nothing twice', () => {
    /** After a settled run: B creates Projects (1 message), A deletes Archive (unchanged on B) and Work (B got new mail there). */
    async function folderWork(): Promise<MemoryWorld> {
      const world = twoWayWorld();
      for (const name of ['K1', 'K2']) world.a.createFolder(name); // so the guard lets 2 losses of 5 through
      await settled(world);
      world.b.createFolder('Projects');
      world.b.append('Projects', [{ raw: conformanceMessage(90) }]);
      world.a.deleteFolder('Archive');
      world.a.deleteFolder('Work');
      world.b.append('Work', [{ raw: conformanceMessage(91) }]);
      return world;
    }

    for (const when of ['before', 'after'] as const) {
      it(`killed ${when} each write in turn`, async () => {
        const killedAt: string[] = [];
        for (let k = 1; ; k++) {
          const world = await folderWork();
          const expected = { work: bodies(world.b, 'Work'), projects: bodies(world.b, 'Projects') };
          const outcome = await killedRun(world, world.statePath, when, k, () => world.sync(), (op) => WRITE_OPERATIONS.has(op));
          if (!('killed' in outcome)) break;
          killedAt.push(outcome.killed);
          const where = `killed ${when} write ${k} (${outcome.killed})`;
          expect((await world.sync()).failures, where).toEqual([]);
          expect([bodies(world.a, 'Work'), bodies(world.a, 'Projects')], where).toEqual([expected.work, expected.projects]);
          expect([world.a.hasFolder('Archive'), world.b.hasFolder('Archive')], where).toEqual([false, false]);
          await expectConverged(world);
        }
        expect(killedAt).toEqual(expect.arrayContaining(['A createFolder', 'B deleteFolder', 'A append']));
      });
    }
  });
});
