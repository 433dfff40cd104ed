// Folder renames proven by MAILBOXID (RFC 8474) through the real engine on two
// memory servers that give ids (issue 9 §4): the state records each side's id,
// a rename is proven by it without reading the new folder first, and a folder
// deleted and created again under the same name (even with the old
// UIDVALIDITY) is another folder, as after a new UIDVALIDITY: its messages are
// re-matched by global id, none sent again. Compared by body digest.

import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import { conformanceMessage } from '../support/storeConformance.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, folderContents, memoryWorld, operationsDuring, withProjectsSynced, type MemoryWorld } from '../support/memoryWorld.js';
import type { SyncMode } from '../../src/sync/types.js';

afterEach(forgetMemorySpecs);

const WITH_IDS: MemoryServerOptions = { mailboxIds: true };

/** The memory world (both servers giving ids) plus Projects (2 messages) and Projects/2025 (3) on A, synced twice. */
function withProjects(mode: SyncMode): Promise<MemoryWorld> {
  return withProjectsSynced(memoryWorld({ mode }, WITH_IDS, WITH_IDS));
}

/** Every operation a server was asked for during `work`, as "A op folder". */
async function operationsSeen<T>(world: MemoryWorld, work: () => Promise<T>): Promise<{ result: T; ops: string[] }> {
  const { result, ops } = await operationsDuring(world, work);
  return { result, ops: ops.map((o) => `${o.label} ${o.op}${o.folder !== undefined ? ` ${o.folder}` : ''}`) };
}

describe('folder renames by MAILBOXID on memory stores', () => {
  it('the state records both sides\' ids', async () => {
    const world = await withProjects('mirror');
    const text = await readFile(world.statePath, 'utf8');
    const projects = text.slice(text.indexOf('folder "Projects" "Projects"'));
    expect(projects).toMatch(new RegExp(`^folder "Projects" "Projects"\\nstatus a \\d+ \\d+ \\d+ 2 \\d+ %mailboxid:${world.a.folder('Projects').mailboxId}\\nstatus b \\d+ \\d+ \\d+ 2 \\d+ %mailboxid:${world.b.folder('Projects').mailboxId}\\n`));
  });

  for (const mode of ['copy', 'mirror', 'two-way'] as const) {
    it(`${mode}: A renames Projects (with its child): B renames, proven by the id without opening A's new folders, no body sent`, async () => {
      const world = await withProjects(mode);
      world.a.rename('Projects', 'Work2');
      const { result: run, ops } = await operationsSeen(world, () => world.sync());
      expect(run.failures).toEqual([]);
      expect(ops.filter((op) => op.startsWith('B ') && !/ (connect|listFolders|closeFolder)/.test(op))).toEqual(['B renameFolder Projects']);
      // No question asked: A's renamed folders are neither examined nor read.
      expect(ops.filter((op) => op.startsWith('A ') && !/ (connect|listFolders|closeFolder)/.test(op))).toEqual([]);
      expect([run.summary.copied, run.summary.bytes, run.summary.foldersRenamed, run.summary.foldersCreated]).toEqual([0, 0, 2, 0]);
      expect(folderContents(world.b)).toEqual(folderContents(world.a));
      const again = await world.sync();
      expect([again.failures, again.summary.copied, again.summary.foldersRenamed, again.summary.folders - again.summary.foldersSkipped]).toEqual([[], 0, 0, 0]);
    });
  }

  it('A renames Projects to Work2 and creates a new Projects with new mail: B renames, then creates Projects and copies only the new mail', async () => {
    const world = await withProjects('mirror');
    const before = bodies(world.b, 'Projects');
    world.a.rename('Projects', 'Work2');
    world.a.createFolder('Projects');
    world.a.append('Projects', [{ raw: conformanceMessage(20) }]);
    const run = await world.sync({ deleteFolders: true });
    expect(run.failures).toEqual([]);
    expect([run.summary.copied, run.summary.foldersRenamed, run.summary.foldersCreated, run.summary.foldersDeleted]).toEqual([1, 2, 1, 0]);
    expect(bodies(world.b, 'Work2')).toEqual(before);
    expect(folderContents(world.b)).toEqual(folderContents(world.a));
  });

  for (const mode of ['copy', 'mirror'] as const) {
    it(`${mode}: A's Projects deleted and created again with the old UIDVALIDITY (another id): re-matched by global id, not taken for the old folder`, async () => {
      const world = await withProjects(mode);
      const old = world.a.folder('Projects');
      const [uidValidity, oldId] = [old.uidValidity, old.mailboxId];
      const onB = bodies(world.b, 'Projects');
      world.a.deleteFolder('Projects');
      world.a.createFolder('Projects');
      // The same UIDVALIDITY as before, and UIDs that name other messages than the records say: only the id tells.
      world.a.folder('Projects').uidValidity = uidValidity;
      world.a.append('Projects', [11, 21, 22].map((n) => ({ raw: conformanceMessage(n) })));
      expect(world.a.folder('Projects').mailboxId).not.toBe(oldId);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect(run.warnings.join('\n')).toContain('another MAILBOXID');
      expect(run.summary.foldersRenamed).toBe(0);
      // The two new messages copied, message 11 re-matched with B's copy (not sent again). As after a new
      // UIDVALIDITY: copy keeps B's message 10, mirror then follows A (its guard and limits as ever).
      expect(run.summary.copied).toBe(2);
      const wanted = mode === 'copy' ? [...new Set([...onB, ...bodies(world.a, 'Projects')])].sort() : bodies(world.a, 'Projects');
      expect(bodies(world.b, 'Projects')).toEqual(wanted);
      const again = await world.sync();
      expect([again.failures, again.summary.copied]).toEqual([[], 0]);
    });
  }
});
