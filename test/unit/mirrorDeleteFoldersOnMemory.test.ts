// Mirror --delete-folders through the real engine on memory stores: the guard
// counts the messages of the folders it would delete, not only the folders
// (one big folder A lost is withheld like many small ones).

import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForSummary } from '../../src/cli/output/summary.js';
import { ExitCode } from '../../src/errors.js';
import { bigFolderAccount } from '../support/bigFolderAccount.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { digest } from '../support/storeConformance.js';

afterEach(forgetMemorySpecs);

describe('mirror --delete-folders on memory stores', () => {
  it('A deletes a folder holding 12 of the 14 messages B has: withheld (exit 5), B keeps it whole, until --force', async () => {
    const { a, b, big, sync } = bigFolderAccount({ mode: 'mirror', deleteFolders: true });
    expect((await sync()).failures).toEqual([]);
    a.deleteFolder('Big');
    const run = await sync();
    expect({
      exit: exitCodeForSummary(run.summary), failures: run.failures, deleted: run.summary.foldersDeleted,
      reasons: run.summary.withheld.map((w) => w.reason),
      bigOnB: b.hasFolder('Big') ? b.messages('Big').map((m) => digest(m.body)).sort() : [],
    }).toEqual({
      exit: ExitCode.GuardRefused, failures: [], deleted: 0,
      reasons: ['mirror would delete 1 folder holding 12 of the 14 messages B has (more than half in one run); A has no folder for Big: withheld, rerun with --force to delete them'],
      bigOnB: big.map(digest).sort(),
    });
    const forced = await sync(true);
    expect([forced.failures, forced.summary.withheld, forced.summary.foldersDeleted, b.hasFolder('Big'), exitCodeForSummary(forced.summary)])
      .toEqual([[], [], 1, false, ExitCode.Ok]);
    expect(b.messages('INBOX').map((m) => digest(m.body)).sort()).toEqual(a.messages('INBOX').map((m) => digest(m.body)).sort());
  });
});
