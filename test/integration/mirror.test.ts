// Issue: --mode mirror makes B equal to A, with guard rails.

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeForSummary } from '../../src/cli/output/summary.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, listFolders, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { syncOnce, tempDir } from '../support/sync.js';
import { taggedMessages } from '../support/taggedMessages.js';

const seed = taggedMessages;
const bodies = (ms: { body: Buffer }[]): string[] => ms.map((m) => m.body.toString()).sort();
const flagsByBody = (ms: { body: Buffer; flags: string[] }[]): Record<string, string[]> =>
  Object.fromEntries(ms.map((m) => [m.body.toString(), m.flags]));

describe('mirror', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    statePath = join(tempDir(), 'mirror.state');
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it('B becomes equal to A: extra messages expunged by UID only, flags set to A', async () => {
    await seedFolder(a, 'INBOX', seed('a', 20));
    await seedFolder(b, 'INBOX', [...seed('a', 5), ...seed('b-only', 3)]);
    const inboxB = await readFolder(b, 'INBOX');
    // B's copy of a0 carries flags A does not have: mirror takes them away.
    await setFlags(b, 'INBOX', [inboxB[0]!.uid], ['\\Flagged', '$Junk'], []);

    const first = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(first.failures).toEqual([]);
    expect(first.summary.copied).toBe(15);
    expect(first.summary.expunged).toBe(3);
    const [ma, mb] = await Promise.all([readFolder(a, 'INBOX'), readFolder(b, 'INBOX')]);
    expect(bodies(mb)).toEqual(bodies(ma));
    expect(flagsByBody(mb)).toEqual(flagsByBody(ma));

    // Deleted on A and flags changed on A → the same on B.
    await expungeUids(a, 'INBOX', [ma[0]!.uid, ma[1]!.uid]);
    await setFlags(a, 'INBOX', [ma[2]!.uid], ['\\Seen'], []);
    // Another message carries \Deleted on both sides (marked, not expunged, on A):
    // a plain EXPUNGE on B would take it too.
    const aKeep = ma.find((m) => m.body.toString().includes('a body 10'))!;
    await setFlags(a, 'INBOX', [aKeep.uid], ['\\Deleted'], []);
    const keep = (await readFolder(b, 'INBOX')).find((m) => m.body.toString().includes('a body 10'))!;
    await setFlags(b, 'INBOX', [keep.uid], ['\\Deleted'], []);
    const second = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(second.summary.expunged).toBe(2);
    const after = await readFolder(b, 'INBOX');
    expect(after.find((m) => m.uid === keep.uid)?.flags).toContain('\\Deleted');
    expect(bodies(after)).toEqual(bodies(await readFolder(a, 'INBOX')));
  });

  it('a first mirror run after copy runs undoes flags B kept of its own', async () => {
    await seedFolder(a, 'INBOX', seed('a', 6));
    await syncOnce(a, b, statePath, { mode: 'copy' });
    const inboxB = await readFolder(b, 'INBOX');
    await setFlags(b, 'INBOX', [inboxB[1]!.uid], ['\\Flagged'], []);
    // Copy mode keeps B's own flag, and the next copy run no longer looks at it.
    await syncOnce(a, b, statePath, { mode: 'copy' });
    await syncOnce(a, b, statePath, { mode: 'copy' });
    expect((await readFolder(b, 'INBOX'))[1]!.flags).toContain('\\Flagged');

    const mirror = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(mirror.summary.flagsUpdated).toBe(1);
    expect(flagsByBody(await readFolder(b, 'INBOX'))).toEqual(flagsByBody(await readFolder(a, 'INBOX')));
    // The rescan happens once: the run after re-reads only what the mirror run changed, then nothing.
    const again = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(again.summary.flagsUpdated).toBe(0);
    const third = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(third.summary.foldersSkipped).toBe(third.summary.folders);
  });

  it('dry run lists exactly what would be deleted and deletes nothing', async () => {
    await seedFolder(a, 'INBOX', seed('a', 4));
    await seedFolder(b, 'INBOX', [...seed('a', 4), ...seed('extra', 2)]);
    const extra = (await readFolder(b, 'INBOX')).filter((m) => m.body.toString().includes('extra'));
    const run = await syncOnce(a, b, statePath, { mode: 'mirror', dryRun: true });
    const deletions = run.wouldDo.filter((l) => l.includes('delete'));
    expect(deletions).toHaveLength(2);
    for (const m of extra) expect(deletions.some((l) => l.includes(`UID ${m.uid} `))).toBe(true);
    expect(await readFolder(b, 'INBOX')).toHaveLength(6);
  });

  it('withholds the deletions of a folder where A suddenly lost most of its messages, unless --force; other folders sync', async () => {
    await seedFolder(a, 'INBOX', seed('a', 30));
    await seedFolder(a, 'Lists', seed('lists', 2));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const inboxA = await readFolder(a, 'INBOX');
    await expungeUids(a, 'INBOX', inboxA.slice(0, 25).map((m) => m.uid));
    await seedFolder(a, 'Lists', seed('lists', 3, 2));

    // INBOX's trouble is INBOX's: its 25 deletions wait (exit 5), Lists' new mail arrives.
    const guarded = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(guarded.summary.expunged).toBe(0);
    expect(guarded.summary.withheld).toEqual([expect.objectContaining({ folder: 'INBOX', count: 25, heldOnB: 30 })]);
    expect(exitCodeForSummary(guarded.summary)).toBe(5);
    expect(await readFolder(b, 'INBOX')).toHaveLength(30);
    expect(bodies(await readFolder(b, 'Lists'))).toEqual(bodies(await readFolder(a, 'Lists')));

    const forced = await syncOnce(a, b, statePath, { mode: 'mirror', force: true });
    expect(forced.summary.expunged).toBe(25);
    expect(bodies(await readFolder(b, 'INBOX'))).toEqual(bodies(await readFolder(a, 'INBOX')));
  });

  it('deletes folders missing on A only with --delete-folders', async () => {
    await seedFolder(a, 'INBOX', seed('a', 2));
    await seedFolder(a, 'Keep', seed('keep', 2));
    await seedFolder(b, 'Old/Stuff', seed('old', 2));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect((await listFolders(b)).map((f) => f.name)).toContain('Old/Stuff');

    const run = await syncOnce(a, b, statePath, { mode: 'mirror', deleteFolders: true });
    expect(run.summary.foldersDeleted).toBeGreaterThanOrEqual(1);
    const names = (await listFolders(b)).map((f) => f.name);
    expect(names).not.toContain('Old/Stuff');
    expect(names).toContain('Keep');
    expect(names).toContain('INBOX');
  });
});
