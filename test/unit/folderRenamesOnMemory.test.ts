// Folder renames through the real engine on two memory servers (issue 9 §4):
// a folder renamed on one side (children included) is renamed on the other
// with one RENAME: no body is appended, the records move with it, and the next
// run has nothing to do. Runs killed before and after every write (the RENAME
// and the state's journal line included) never lose or duplicate a message,
// and the rerun sends no body. Compared by body digest.

import { afterEach, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { conformanceMessage } from '../support/storeConformance.js';
import { killedRun, WRITE_OPERATIONS } from '../support/memoryKill.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, memoryWorld, operationsDuring, withProjectsSynced, type MemoryWorld } from '../support/memoryWorld.js';
import type { SyncMode } from '../../src/sync/types.js';
import type { MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';

afterEach(forgetMemorySpecs);

/** The memory world plus Projects (2 messages) and Projects/2025 (3) on A, synced twice. */
function withProjects(mode: SyncMode, bOptions: MemoryServerOptions = {}): Promise<MemoryWorld> {
  return withProjectsSynced(memoryWorld({ mode }, bOptions));
}

/** Every folder of a server with its bodies. */
function account(server: MemoryWorld['a']): Record<string, string[]> {
  return Object.fromEntries(server.folderNames().map((name) => [name, bodies(server, name)]));
}

/** The write operations a server was asked for during `work`, by name. */
async function writesDuring<T>(world: MemoryWorld, work: () => Promise<T>): Promise<{ result: T; writes: string[] }> {
  const { result, ops } = await operationsDuring(world, work);
  return { result, writes: ops.filter((o) => WRITE_OPERATIONS.has(o.op)).map((o) => `${o.label} ${o.op}`) };
}

describe('folder renames on memory stores', () => {
  for (const mode of ['copy', 'mirror'] as const) {
    it(`${mode}: A renames Projects (with Projects/2025): one RENAME on B, no body sent, the next run does nothing`, async () => {
      const world = await withProjects(mode);
      const expected = { parent: bodies(world.b, 'Projects'), child: bodies(world.b, 'Projects/2025') };
      world.a.rename('Projects', 'Work2');
      const { result: run, writes } = await writesDuring(world, () => world.sync({ deleteFolders: mode === 'mirror' }));
      expect(run.failures).toEqual([]);
      expect(writes).toEqual(['B renameFolder']);
      expect([run.summary.copied, run.summary.bytes, run.summary.foldersRenamed, run.summary.foldersDeleted, run.summary.foldersCreated]).toEqual([0, 0, 2, 0, 0]);
      // The renamed pairs keep their statuses: neither they nor the others are read again.
      expect(run.summary.folders - run.summary.foldersSkipped).toBe(0);
      expect([world.b.hasFolder('Projects'), world.b.hasFolder('Projects/2025')]).toEqual([false, false]);
      expect([bodies(world.b, 'Work2'), bodies(world.b, 'Work2/2025')]).toEqual([expected.parent, expected.child]);
      expect(account(world.b)).toEqual(account(world.a));
      const again = await world.sync({ deleteFolders: mode === 'mirror' });
      expect([again.failures, again.summary.copied, again.summary.foldersRenamed, again.summary.folders - again.summary.foldersSkipped]).toEqual([[], 0, 0, 0]);
    });
  }

  it('mail added to the renamed folder before the run follows it (only that message is copied)', async () => {
    const world = await withProjects('mirror');
    world.a.rename('Projects', 'Work2');
    world.a.append('Work2/2025', [{ raw: conformanceMessage(20) }]);
    const run = await world.sync();
    expect([run.failures, run.summary.copied, run.summary.foldersRenamed]).toEqual([[], 1, 2]);
    expect(account(world.b)).toEqual(account(world.a));
  });

  it('a dry run describes the rename, reads the pairs where they are, and changes nothing', async () => {
    const world = await withProjects('mirror');
    world.a.rename('Projects', 'Work2');
    const before = account(world.b);
    const run = await world.sync({ dryRun: true, deleteFolders: true });
    expect(run.failures).toEqual([]);
    expect(run.wouldDo).toEqual(['rename folder Projects to Work2 on B (A renamed Projects to Work2)']);
    expect([run.summary.copied, run.summary.foldersRenamed]).toEqual([0, 2]);
    expect(account(world.b)).toEqual(before);
    // And the real run after it still renames.
    expect((await world.sync()).summary.foldersRenamed).toBe(2);
  });

  it('two-way: B renames a folder, A renames it too', async () => {
    const world = await withProjects('two-way');
    world.b.rename('Projects', 'Work2');
    const { result: run, writes } = await writesDuring(world, () => world.sync());
    expect(run.failures).toEqual([]);
    expect(writes).toEqual(['A renameFolder']);
    expect([run.summary.copied, run.summary.foldersRenamed, run.summary.foldersDeleted]).toEqual([0, 2, 0]);
    expect(account(world.a)).toEqual(account(world.b));
    expect(world.a.hasFolder('Work2/2025')).toBe(true);
    const again = await world.sync();
    expect([again.failures, again.summary.copied, again.summary.foldersRenamed]).toEqual([[], 0, 0]);
  });

  it('a B without RENAME: created and copied as before renames existed', async () => {
    const world = await withProjects('mirror', { features: { rename: false } });
    world.a.rename('Projects', 'Work2');
    const run = await world.sync({ deleteFolders: true, force: true });
    expect(run.failures).toEqual([]);
    expect([run.summary.copied, run.summary.foldersRenamed, run.summary.foldersCreated]).toEqual([5, 0, 2]);
    expect(account(world.b)).toEqual(account(world.a));
  });

  it('a refused RENAME is a warning: the folders are created and copied instead, nothing lost', async () => {
    const world = await withProjects('copy');
    world.a.rename('Projects', 'Work2');
    world.b.beforeOperation = (op) => {
      if (op === 'renameFolder') throw new StoreError('folder', 'RENAME refused');
    };
    const run = await world.sync();
    world.b.beforeOperation = undefined;
    expect(run.failures).toEqual([]);
    expect(run.warnings).toEqual([expect.stringContaining('could not rename Projects to Work2 on B')]);
    expect([run.summary.copied, run.summary.foldersRenamed]).toEqual([5, 0]);
    expect([bodies(world.b, 'Work2'), bodies(world.b, 'Work2/2025')]).toEqual([bodies(world.a, 'Work2'), bodies(world.a, 'Work2/2025')]);
    // Copy mode keeps B's old folders.
    expect(bodies(world.b, 'Projects')).toHaveLength(2);
  });

  for (const when of ['before', 'after'] as const) {
    for (const mode of ['mirror', 'two-way'] as const) {
      // Mirror: A renames, B follows; two-way: B renames, A follows. Both with a new message in the renamed folder.
      const [renamer, follower] = mode === 'mirror' ? (['a', 'b'] as const) : (['b', 'a'] as const);
      it(`${mode}: a run killed ${when} each write of a rename (the state as on disk then) loses nothing, duplicates nothing, and the rerun sends only the new message`, async () => {
        const killedAt: string[] = [];
        const options = mode === 'mirror' ? { deleteFolders: true } : {};
        for (let k = 1; ; k++) {
          const world = await withProjects(mode);
          world[renamer].rename('Projects', 'Work2');
          world[renamer].append('Work2', [{ raw: conformanceMessage(30) }]);
          const outcome = await killedRun(world, world.statePath, when, k, () => world.sync(options), (op) => WRITE_OPERATIONS.has(op));
          if (!('killed' in outcome)) break;
          killedAt.push(outcome.killed);
          const where = `killed ${when} write ${k} (${outcome.killed})`;
          const rerun = await world.sync(options);
          expect(rerun.failures, where).toEqual([]);
          expect(account(world[follower]), where).toEqual(account(world[renamer]));
          // Only the new message is ever sent: the renamed folders' messages travel with the RENAME.
          expect(rerun.summary.copied, where).toBeLessThanOrEqual(1);
          const again = await world.sync(options);
          expect([again.failures, again.summary.copied, again.summary.foldersRenamed, again.summary.foldersDeleted], where).toEqual([[], 0, 0, 0]);
        }
        expect(killedAt).toEqual(expect.arrayContaining([`${follower.toUpperCase()} renameFolder`]));
      });
    }
  }
});
