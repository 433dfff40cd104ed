// Server-side copies from folders not read in the run (issue 9 §3: the same
// mail in several folders, Gmail labels): a message a user copies into
// Archive on one side, from an INBOX unchanged on both sides since the last
// run, is copied into Archive by the other side's server (UID COPY) from its
// own INBOX, known from the state; its body is not sent again. INBOX stays
// unread and unchanged. Memory stores, real engine.

import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, folderContents, memoryWorld, recordOps, type MemoryWorld } from '../support/memoryWorld.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import type { Side } from '../../src/sync/side.js';

afterEach(forgetMemorySpecs);

/** The account synced, then synced again (the second run reads back what the first wrote): INBOX is unchanged from then on. */
async function settledWorld(mode: SyncOptions['mode']): Promise<MemoryWorld> {
  const world = memoryWorld({ mode });
  for (let i = 0; i < 2; i++) expect((await world.sync()).failures).toEqual([]);
  return world;
}

/** A client copies `side`'s first INBOX message into Archive (INBOX keeps it), flagging the copy: a label added. */
function labelOn(world: MemoryWorld, side: Side): string {
  const server = world[side];
  const m = server.messages('INBOX')[0]!;
  server.copy('INBOX', [m.uid], 'Archive');
  server.setFlags('Archive', [server.messages('Archive')[0]!.uid], ['\\Flagged'], []);
  return digest(m.body);
}

const other = (side: Side): Side => (side === 'a' ? 'b' : 'a');
const label = (side: Side): string => side.toUpperCase();

describe('a copy whose source is in a folder unchanged since the last run', () => {
  for (const [mode, from] of [['copy', 'a'], ['mirror', 'a'], ['two-way', 'a'], ['two-way', 'b']] as const) {
    const to = other(from);
    it(`${mode}, labelled on ${label(from)}: ${label(to)} copies it from its INBOX (one UID COPY, no append, no body read), flags right; INBOX not read`, async () => {
      const world = await settledWorld(mode);
      const labelled = labelOn(world, from);
      const ops = recordOps(world);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect(run.verbose).toContain('INBOX: unchanged');
      expect(ops.filter((o) => /fetchBodies|append/.test(o))).toEqual([]);
      expect(ops.filter((o) => /copyMessages|moveMessages|expungeMessages/.test(o))).toEqual([`${label(to)} copyMessages Archive`]);
      // The size question: one UID FETCH of the source's envelope.
      expect(ops.filter((o) => o === `${label(to)} fetchEnvelopes`)).toHaveLength(1);
      expect(run.summary).toMatchObject({ transferred: 1, copied: 0, bytes: 0, expunged: 0 });
      expect(run.verbose.some((t) => /^Archive: copy [AB] UID \d+ from INBOX: .*copied on [AB] from INBOX \(UID \d+\), which keeps it \(unchanged since the last run: not read\)/.test(t))).toBe(true);
      expect(bodies(world[to], 'Archive')).toEqual([labelled]);
      expect(bodies(world[to], 'INBOX')).toContain(labelled);
      // Digests and flags: the copy in Archive is flagged, INBOX's message is not.
      expect(folderContents(world[to])).toEqual(folderContents(world[from]));
      const again = await world.sync();
      expect(again.failures).toEqual([]);
      expect(again.summary).toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
      // The COPY changed nothing in INBOX: still unchanged, never read.
      expect(again.verbose).toContain('INBOX: unchanged');
    });
  }

  it('mirror, a dry run says the copy and from which folder, and does nothing', async () => {
    const world = await settledWorld('mirror');
    labelOn(world, 'a');
    const before = folderContents(world.b);
    const run = await world.sync({ dryRun: true });
    expect(run.wouldDo.some((t) => /^Archive: copy B UID \d+ from B INBOX \(global id .*, no body sent\)$/.test(t))).toBe(true);
    expect(run.verbose.some((t) => /^Archive: would copy B UID \d+ from INBOX: .*\(unchanged since the last run: not read\)/.test(t))).toBe(true);
    expect(folderContents(world.b)).toEqual(before);
  });

  it('mirror, the unchanged INBOX\'s UID holds another message now (a restore with the same counters): its size question refuses it, A\'s is appended; nothing lost', async () => {
    const world = await settledWorld('mirror');
    const labelled = labelOn(world, 'a');
    // B INBOX's UID of that message now holds another one, every counter as recorded (only --full would see it).
    const inboxB = world.b.folder('INBOX');
    const [uid, old] = [...inboxB.messages].find(([, m]) => digest(m.body) === labelled)!;
    inboxB.messages.set(uid, { ...old, body: conformanceMessage(7) });
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.verbose).toContain('INBOX: unchanged');
    // The size question was asked (the UID's envelope read) and refused it.
    expect(ops).toContain('B fetchEnvelopes');
    expect(ops.filter((o) => /copyMessages|moveMessages/.test(o))).toEqual([]);
    expect(ops).toContain('B append');
    expect(bodies(world.b, 'Archive')).toEqual([labelled]);
    expect(folderContents(world.b).Archive).toEqual(folderContents(world.a).Archive);
    expect(bodies(world.b, 'INBOX')).toContain(digest(conformanceMessage(7)));
  });

  it('mirror, B refuses the COPY: listed under Archive (exit 1), naming the source; the next run copies it', async () => {
    const world = await settledWorld('mirror');
    const labelled = labelOn(world, 'a');
    world.b.beforeOperation = (op) => {
      if (op === 'copyMessages') throw new StoreError('message', 'COPY refused: over quota');
    };
    const run = await world.sync();
    expect(run.failures.map((f) => `${f.folder}:${f.side}:${f.reason}`)).toEqual([
      expect.stringMatching(/^Archive:A:not copied on the server from INBOX \(UID \d+\): UID COPY to Archive: .*over quota/),
    ]);
    expect(bodies(world.b, 'Archive')).toEqual([]);
    world.b.beforeOperation = undefined;
    const next = await world.sync();
    expect(next.failures).toEqual([]);
    expect(next.verbose).toContain('INBOX: unchanged');
    expect(next.summary).toMatchObject({ transferred: 1, copied: 0 });
    expect(bodies(world.b, 'Archive')).toEqual([labelled]);
    expect(folderContents(world.b)).toEqual(folderContents(world.a));
  });

  it('copy mode, a message labelled into two folders: each gets its own UID COPY from INBOX (the source is only copied)', async () => {
    const world = await settledWorld('copy');
    const m = world.a.messages('INBOX')[1]!;
    world.a.createFolder('Later');
    world.a.copy('INBOX', [m.uid], 'Archive');
    world.a.copy('INBOX', [m.uid], 'Later');
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.verbose).toContain('INBOX: unchanged');
    expect(ops.filter((o) => /fetchBodies|append/.test(o))).toEqual([]);
    expect(ops.filter((o) => /copyMessages/.test(o)).sort()).toEqual(['B copyMessages Archive', 'B copyMessages Later']);
    expect(folderContents(world.b)).toEqual(folderContents(world.a));
  });

  for (const mode of ['mirror', 'two-way'] as const) {
    it(`${mode}: killed before or after any store operation of the run, the next run loses nothing and duplicates nothing, then does nothing`, async () => {
      const { killedRun } = await import('../support/memoryKill.js');
      const problems: string[] = [];
      const killed: string[] = [];
      for (const when of ['before', 'after'] as const) {
        for (let k = 1; ; k++) {
          const world = await settledWorld(mode);
          labelOn(world, 'a');
          const outcome = await killedRun(world, world.statePath, when, k, () => world.sync());
          if ('finished' in outcome) break;
          killed.push(outcome.killed);
          const where = `${when} ${outcome.killed} (#${k})`;
          const rerun = await world.sync();
          if (rerun.failures.length > 0) problems.push(`${where}: rerun failed ${JSON.stringify(rerun.failures)}`);
          if (JSON.stringify(folderContents(world.b)) !== JSON.stringify(folderContents(world.a))) {
            problems.push(`${where}: B ${JSON.stringify(folderContents(world.b))} vs A ${JSON.stringify(folderContents(world.a))}`);
          }
          const s = (await world.sync()).summary;
          if (s.copied + s.transferred + s.expunged + s.flagsUpdated > 0) problems.push(`${where}: third run not a no-op: ${JSON.stringify(s)}`);
        }
      }
      expect(killed).toContain('B copyMessages');
      expect(problems).toEqual([]);
    });
  }
});
