// Server-side moves and copies (issue 9 §3, issue 7 item 2): a message B must
// receive in one folder that B already holds, with the same global id and
// size, in another folder read in the run is moved (UID MOVE) or copied (UID
// COPY) there by B, instead of its body being read from A and appended.
// Memory stores, real engine.

import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import type { MemoryServer, MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { APPENDS_ONLY, bodies, memoryWorld, recordOps, type MemoryWorld } from '../support/memoryWorld.js';

afterEach(forgetMemorySpecs);

/** A with INBOX (3), Work (2), Archive (empty), synced once to B in `mode`. */
async function syncedWorld(mode: SyncOptions['mode'], bOptions: MemoryServerOptions = {}): Promise<MemoryWorld> {
  const world = memoryWorld({ mode }, bOptions);
  const first = await world.sync();
  expect(first.failures).toEqual([]);
  return world;
}

/** A's first INBOX message moved to `to` on A (copied there with its flags, then expunged), as a client's MOVE. */
function moveOnA(world: MemoryWorld, to = 'Archive', keep = false): string {
  const m = world.a.messages('INBOX')[0]!;
  world.a.append(to, [{ raw: m.body, flags: m.flags, internalDate: m.internalDate }]);
  if (!keep) world.a.expunge('INBOX', [m.uid]);
  return digest(m.body);
}

/** Digests with flags per folder. */
function contents(server: MemoryServer): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of server.folderNames()) out[f] = server.messages(f).map((m) => `${digest(m.body).slice(0, 12)} ${m.flags.join(',')}`).sort();
  return out;
}

describe('a message moved between folders on A', () => {
  it('mirror: B moves it on the server (UID MOVE), no body read from A or sent to B, and the copy ends with A\'s flags', async () => {
    const world = await syncedWorld('mirror');
    const moved = moveOnA(world);
    // Flagged on A after the move: the copy in B Archive must end with it.
    world.a.setFlags('Archive', [world.a.messages('Archive')[0]!.uid], ['\\Flagged'], []);
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(ops.filter((o) => /fetchBodies|append/.test(o))).toEqual([]);
    expect(ops).toContain('B moveMessages Archive');
    expect(ops.filter((o) => o.startsWith('B expungeMessages'))).toEqual([]);
    // Already on B: INBOX's other two, Work's two (unchanged); the moved one was not.
    expect(run.summary).toMatchObject({ transferred: 1, copied: 0, bytes: 0, expunged: 0, skipped: 4 });
    expect(bodies(world.b, 'Archive')).toEqual([moved]);
    expect(contents(world.b)).toEqual(contents(world.a));
    expect(run.verbose.some((t) => /^Archive: move B UID \d+ from INBOX: .*moved on B from INBOX/.test(t))).toBe(true);
    const again = await world.sync();
    expect(again.summary).toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
    expect(again.failures).toEqual([]);
  });

  it('the record of a moved message says its global id hashes a Message-ID (only such copies are moved)', async () => {
    const world = await syncedWorld('mirror');
    moveOnA(world);
    const run = await world.sync();
    expect(run.summary).toMatchObject({ transferred: 1, copied: 0 });
    const state = await readFile(world.statePath, 'utf8');
    const archive = state.slice(state.indexOf('folder "Archive" "Archive"\n')).split('\n').slice(1);
    const recordLines = archive.slice(0, archive.findIndex((l) => !/^[0-9]/.test(l) && !l.startsWith('status ')));
    expect(recordLines.filter((l) => /^[0-9]/.test(l))).toEqual([expect.stringMatching(/^\d+ \d+ \S+ %mid( |$)/)]);
  });

  it('mirror, --connections 3: moves out of two folders (two groups, on their own connections) into one', async () => {
    const world = await syncedWorld('mirror');
    moveOnA(world);
    const w = world.a.messages('Work')[0]!;
    world.a.append('Archive', [{ raw: w.body, flags: w.flags, internalDate: w.internalDate }]);
    world.a.expunge('Work', [w.uid]);
    const ops = recordOps(world);
    const run = await world.sync({ connections: 3 });
    expect(run.failures).toEqual([]);
    expect(ops.filter((o) => o === 'B moveMessages Archive')).toHaveLength(2);
    expect(ops.filter((o) => /fetchBodies|append/.test(o))).toEqual([]);
    expect(run.summary).toMatchObject({ transferred: 2, copied: 0 });
    expect(contents(world.b)).toEqual(contents(world.a));
    expect((await world.sync({ connections: 3 })).summary).toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
  });

  it('mirror, a dry run: the move is said, nothing done', async () => {
    const world = await syncedWorld('mirror');
    moveOnA(world);
    const before = contents(world.b);
    const run = await world.sync({ dryRun: true });
    expect(run.wouldDo.some((t) => /^Archive: move B UID \d+ from B INBOX \(global id .*, no body sent\)$/.test(t))).toBe(true);
    expect(run.wouldDo.some((t) => /copy 1 messages|delete B UID/.test(t))).toBe(false);
    expect(run.summary.transferred).toBe(1);
    expect(contents(world.b)).toEqual(before);
  });

  it('copy mode: B copies it on the server (UID COPY) and keeps it in INBOX', async () => {
    const world = await syncedWorld('copy');
    const moved = moveOnA(world);
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(ops.filter((o) => /fetchBodies|append|moveMessages|expunge/.test(o))).toEqual([]);
    expect(ops).toContain('B copyMessages Archive');
    expect(run.summary).toMatchObject({ transferred: 1, copied: 0, bytes: 0 });
    expect(bodies(world.b, 'Archive')).toEqual([moved]);
    expect(bodies(world.b, 'INBOX')).toContain(moved);
    const again = await world.sync();
    expect(again.summary).toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0 });
  });

  it('mirror, the same mail now in two folders of A (INBOX keeps it): B copies it on the server, INBOX keeps it', async () => {
    const world = await syncedWorld('mirror');
    const copied = moveOnA(world, 'Archive', true);
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(ops).toContain('B copyMessages Archive');
    expect(ops.filter((o) => /fetchBodies|append|expunge/.test(o))).toEqual([]);
    expect(bodies(world.b, 'INBOX')).toContain(copied);
    expect(contents(world.b)).toEqual(contents(world.a));
  });

  it('mirror, B without MOVE: UID COPY, then INBOX\'s deletion once the copy is confirmed; no body sent', async () => {
    const world = await syncedWorld('mirror', { features: { move: false } });
    const moved = moveOnA(world);
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(ops.filter((o) => /^B (copyMessages|moveMessages|append|expungeMessages)/.test(o))).toEqual(['B copyMessages Archive', 'B expungeMessages']);
    expect(ops.filter((o) => o === 'A fetchBodies')).toEqual([]);
    expect(run.summary).toMatchObject({ transferred: 1, copied: 0, expunged: 1 });
    expect(bodies(world.b, 'Archive')).toEqual([moved]);
    expect(contents(world.b)).toEqual(contents(world.a));
  });

  it('mirror, B without MOVE, its COPY refused: listed (exit 1), INBOX keeps the message (its deletion waited for the copy)', async () => {
    const world = await syncedWorld('mirror', { features: { move: false } });
    const moved = moveOnA(world);
    world.b.beforeOperation = (op) => {
      if (op === 'copyMessages') throw new StoreError('message', 'COPY refused: over quota');
    };
    const run = await world.sync();
    expect(run.failures.map((f) => `${f.folder}:${f.side}`)).toEqual(['INBOX:B']);
    expect(run.summary).toMatchObject({ transferred: 0, expunged: 0 });
    expect(bodies(world.b, 'INBOX')).toContain(moved);
    world.b.beforeOperation = undefined;
    expect((await world.sync()).failures).toEqual([]);
    expect(contents(world.b)).toEqual(contents(world.a));
  });

  it('mirror, B without COPY and MOVE: appended from A, then deleted from INBOX (as before)', async () => {
    const world = await syncedWorld('mirror', APPENDS_ONLY);
    moveOnA(world);
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(ops.filter((o) => /^B (copyMessages|moveMessages|append|expungeMessages)/.test(o))).toEqual(['B append', 'B expungeMessages']);
    expect(run.summary).toMatchObject({ transferred: 0, copied: 1, expunged: 1 });
    expect(contents(world.b)).toEqual(contents(world.a));
  });

  it('mirror: another version under the same global id (its size differs) is appended, not moved', async () => {
    const world = await syncedWorld('mirror');
    const old = world.a.messages('INBOX')[0]!;
    // Message 1 again (same headers, so the same global id), with a longer body.
    const other = conformanceMessage(1, 5);
    expect(digest(old.body)).toBe(digest(conformanceMessage(1)));
    world.a.append('Archive', [{ raw: other }]);
    world.a.expunge('INBOX', [old.uid]);
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(ops.filter((o) => /moveMessages|copyMessages/.test(o))).toEqual([]);
    expect(ops).toContain('B append');
    expect(bodies(world.b, 'Archive')).toEqual([digest(other)]);
    expect(contents(world.b)).toEqual(contents(world.a));
  });

  it('mirror: a refused MOVE is listed (exit 1), both folders keep what they had; the next run converges', async () => {
    const world = await syncedWorld('mirror');
    const moved = moveOnA(world);
    world.b.beforeOperation = (op) => {
      if (op === 'moveMessages') throw new StoreError('message', 'MOVE refused: over quota');
    };
    const run = await world.sync();
    expect(run.failures.map((f) => `${f.folder}:${f.side}:${f.reason}`)).toEqual([expect.stringMatching(/^INBOX:B:not moved on the server: UID MOVE to Archive: .*over quota/)]);
    expect(bodies(world.b, 'INBOX')).toContain(moved);
    world.b.beforeOperation = undefined;
    const next = await world.sync();
    expect(next.failures).toEqual([]);
    expect(next.summary).toMatchObject({ transferred: 1, copied: 0 });
    expect(contents(world.b)).toEqual(contents(world.a));
    expect((await world.sync()).summary).toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
  });

  it('mirror: a known message (its size not read in this run) is moved after one size FETCH of its source folder', async () => {
    const world = await syncedWorld('mirror');
    // A second run reads back what the first wrote to B; from then on B's INBOX is read as a delta (no envelopes).
    expect((await world.sync()).summary.copied).toBe(0);
    // The source on B is a message the state knows: the run reads no envelope of it, so its size must be asked for.
    moveOnA(world);
    const ops = recordOps(world);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(ops.filter((o) => o === 'B fetchEnvelopes')).toHaveLength(1);
    expect(ops).toContain('B moveMessages Archive');
    expect(ops.filter((o) => /fetchBodies|append/.test(o))).toEqual([]);
    expect(contents(world.b)).toEqual(contents(world.a));
  });
});

describe('killed at any store operation of a run with moves and flag changes', () => {
  /** Mirror or copy: two messages moved INBOX → Archive on A (one flagged on the way), a flag change in Work, a new message. */
  async function busyWorld(mode: SyncOptions['mode'], bOptions: MemoryServerOptions): Promise<MemoryWorld> {
    const world = await syncedWorld(mode, bOptions);
    moveOnA(world);
    moveOnA(world);
    world.a.setFlags('Archive', [world.a.messages('Archive')[0]!.uid], ['\\Flagged'], []);
    world.a.setFlags('Work', [world.a.messages('Work')[0]!.uid], ['\\Seen'], []);
    world.a.append('Work', [{ raw: conformanceMessage(9) }]);
    return world;
  }

  for (const [mode, bOptions, name] of [
    ['mirror', {}, 'mirror with MOVE'],
    ['mirror', { features: { move: false } }, 'mirror, COPY without MOVE'],
    ['copy', {}, 'copy mode'],
  ] as const) {
    it(`${name}: the next run loses nothing (bodies and flags as they should be), then a no-op run`, async () => {
      const { killedRun } = await import('../support/memoryKill.js');
      const problems: string[] = [];
      const killed: string[] = [];
      for (const when of ['before', 'after'] as const) {
        for (let k = 1; ; k++) {
          const world = await busyWorld(mode, bOptions);
          const digestsOf = (server: MemoryServer): Set<string> => new Set(Object.values(contents(server)).flat().map((l) => l.split(' ')[0]!));
          const onA = digestsOf(world.a);
          const onBBefore = [...digestsOf(world.b)].filter((d) => onA.has(d));
          const outcome = await killedRun(world, world.statePath, when, k, () => world.sync());
          if ('finished' in outcome) break;
          killed.push(outcome.killed);
          const where = `${when} ${outcome.killed} (#${k})`;
          // Nothing lost at the kill: every message of A that B held before the run is still somewhere on B.
          const onBAfter = digestsOf(world.b);
          const lost = onBBefore.filter((d) => !onBAfter.has(d));
          if (lost.length > 0) problems.push(`${where}: lost from B ${lost.join(', ')}`);
          const rerun = await world.sync();
          const again = await world.sync();
          if (rerun.failures.length > 0) problems.push(`${where}: rerun failed ${JSON.stringify(rerun.failures)}`);
          const want = mode === 'copy' ? copyModeExpectation(world) : contents(world.a);
          if (JSON.stringify(contents(world.b)) !== JSON.stringify(want)) {
            problems.push(`${where}: B ${JSON.stringify(contents(world.b))} vs ${JSON.stringify(want)}`);
          }
          const s = again.summary;
          if (s.copied + s.transferred + s.expunged + s.flagsUpdated > 0 || again.failures.length > 0) {
            problems.push(`${where}: third run not a no-op: ${JSON.stringify({ copied: s.copied, transferred: s.transferred, expunged: s.expunged, flags: s.flagsUpdated })}`);
          }
        }
      }
      const serverSide = mode === 'mirror' && !('features' in bOptions) ? 'B moveMessages' : 'B copyMessages';
      for (const op of [serverSide, 'B addFlags']) expect(killed.filter((k) => k === op).length, op).toBeGreaterThanOrEqual(2);
      expect(problems).toEqual([]);
    });
  }

  /** Copy mode: B is A plus what B keeps of A's deletions (the moved messages stay in B INBOX, with their old flags). */
  function copyModeExpectation(world: MemoryWorld): Record<string, string[]> {
    const want = contents(world.a);
    const inboxB = contents(world.b).INBOX ?? [];
    const archived = new Set((want.Archive ?? []).map((l) => l.split(' ')[0]));
    want.INBOX = [...(want.INBOX ?? []), ...inboxB.filter((l) => archived.has(l.split(' ')[0]))].sort();
    return want;
  }
});

describe('flags set before a kill are not recorded as set', () => {
  it('copy mode: killed before B sets a flag (after the appends), the next run still sets it', async () => {
    const world = await syncedWorld('copy');
    world.a.setFlags('INBOX', [world.a.messages('INBOX')[1]!.uid], ['\\Flagged'], []);
    world.a.append('INBOX', [{ raw: conformanceMessage(8) }]);
    const { killedRun } = await import('../support/memoryKill.js');
    const outcome = await killedRun(world, world.statePath, 'before', 1, () => world.sync(), (op) => op === 'addFlags');
    expect(outcome).toEqual({ killed: 'B addFlags' });
    // The append came first and is there; the flag is not.
    expect(bodies(world.b, 'INBOX')).toContain(digest(conformanceMessage(8)));
    const rerun = await world.sync();
    expect(rerun.failures).toEqual([]);
    expect(contents(world.b)).toEqual(contents(world.a));
  });
});
