// Issue 6 (points 1, 3, 4): one mirror run never deletes more than half of a
// folder on B (at least 10 messages), nor more than half of B's folders (at
// least 2), without --force, whatever the path that leads there: a folder
// recreated on A (new UIDVALIDITY), a switch from copy to mirror, deletions
// withheld by an earlier run. It withholds, says how many and why, exits 5,
// and keeps saying so until the user decides.

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, expungeUids, listFolders, readFolder, seedFolder } from '../support/imap.js';
import { passThrough, startFilterProxy } from '../support/filterProxy.js';
import { passwordEnv, plainSpecVia, runCli, syncOnce, tempDir } from '../support/sync.js';
import { taggedMessages } from '../support/taggedMessages.js';

const seed = taggedMessages;

/** One digest per message body, sorted: what a folder holds, byte for byte. */
const digests = bodyDigestsOf;

/** Deletes the folder on A and creates it again (a new UIDVALIDITY), then puts `messages` back in it. */
async function recreate(server: DovecotServer, folder: string, messages: { raw: string }[]): Promise<void> {
  const before = await server.doveadm(['-f', 'flow', 'mailbox', 'status', '-u', 'alice', 'uidvalidity', folder]);
  await server.doveadm(['mailbox', 'delete', '-u', 'alice', folder]);
  await server.doveadm(['mailbox', 'create', '-u', 'alice', folder]);
  if (messages.length > 0) await seedFolder(server, folder, messages);
  const after = await server.doveadm(['-f', 'flow', 'mailbox', 'status', '-u', 'alice', 'uidvalidity', folder]);
  expect(after).not.toBe(before);
}

describe('mirror guard: at most half of a folder, or of the folders, per run', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    statePath = join(tempDir(), 'guard.state');
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  const cli = (...extra: string[]) =>
    runCli(['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', 'mirror', '--json', ...extra], passwordEnv(a, b));
  const json = (stdout: string): Record<string, unknown> => JSON.parse(stdout) as Record<string, unknown>;
  /** The guard's reasons in the --json summary (warnings go there, not to stderr). */
  const reasons = (stdout: string): string => (json(stdout).withheld as { reason: string }[]).map((w) => w.reason).join('\n');

  it('a folder recreated empty on A: B keeps its copies (exit 5) until --force, and keeps saying so', async () => {
    await seedFolder(a, 'INBOX', seed('inbox', 40));
    await seedFolder(a, 'Archive', seed('arch', 30));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const archiveB = await digests(b, 'Archive');
    expect(archiveB).toHaveLength(30);

    await recreate(a, 'Archive', []);
    const first = await cli();
    expect(first.code, first.stderr).toBe(5);
    expect(json(first.stdout)).toMatchObject({ deletionsWithheld: 30, expunged: 0 });
    expect(reasons(first.stdout)).toMatch(/"Archive".*30 of the 30 messages.*UIDVALIDITY/);
    expect(await digests(b, 'Archive')).toEqual(archiveB);

    // Withheld is not forgotten: the next run re-plans the folder and refuses again.
    const second = await cli();
    expect(second.code, second.stderr).toBe(5);
    expect(json(second.stdout)).toMatchObject({ deletionsWithheld: 30, expunged: 0 });
    expect(await digests(b, 'Archive')).toEqual(archiveB);

    // --force alone (no --full) carries them out.
    const forced = await cli('--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(json(forced.stdout)).toMatchObject({ deletionsWithheld: 0, expunged: 30 });
    expect(await digests(b, 'Archive')).toEqual([]);
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));

    // Mirror records the status from before its own writes: the next run re-reads Archive once, then skips it.
    const after = await cli();
    expect(after.code, after.stderr).toBe(0);
    expect(json(after.stdout)).toMatchObject({ deletionsWithheld: 0, expunged: 0, copied: 0 });
    const quiet = await cli();
    expect(quiet.code, quiet.stderr).toBe(0);
    const summary = json(quiet.stdout);
    expect(summary.foldersSkipped).toBe(summary.folders);
  });

  it('A shows 4 small folders emptied at once: the account-wide count keeps them on B (exit 5), INBOX\'s new mail arrives, --force deletes', async () => {
    const folders = ['F1', 'F2', 'F3', 'F4'];
    await seedFolder(a, 'INBOX', seed('inbox', 2));
    for (const f of folders) await seedFolder(a, f, seed(f, 5));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const before = await Promise.all(folders.map((f) => digests(b, f)));
    expect(before.flat()).toHaveLength(20);

    // Each folder loses 5 (under the per-folder minimum of 10), the account 20 of the 22 remembered (INBOX's new mail does not offset them).
    for (const f of folders) await expungeUids(a, f, (await readFolder(a, f)).map((m) => m.uid));
    await seedFolder(a, 'INBOX', seed('new', 1));
    const run = await cli();
    expect(run.code, run.stderr).toBe(5);
    expect(json(run.stdout)).toMatchObject({ deletionsWithheld: 20, expunged: 0, copied: 1 });
    expect(reasons(run.stdout)).toMatch(/"F1".*A lacks 20 of the 22 messages the state remembers across the account.*--force/);
    expect(await Promise.all(folders.map((f) => digests(b, f)))).toEqual(before);
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
    expect(await digests(b, 'INBOX')).toHaveLength(3);

    const again = await cli();
    expect(again.code, again.stderr).toBe(5);
    expect(await Promise.all(folders.map((f) => digests(b, f)))).toEqual(before);

    const forced = await cli('--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(json(forced.stdout)).toMatchObject({ deletionsWithheld: 0, expunged: 20 });
    for (const f of folders) expect(await digests(b, f)).toEqual([]);
  });

  it('a folder recreated with 40% of its messages: the other 60% stay on B until --force', async () => {
    await seedFolder(a, 'INBOX', seed('inbox', 40));
    await seedFolder(a, 'Archive', seed('arch', 30));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const archiveB = await digests(b, 'Archive');

    await recreate(a, 'Archive', seed('arch', 12));
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.summary.deletionsWithheld).toBe(18);
    expect(run.summary.expunged).toBe(0);
    expect(run.summary.copied).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/Archive.*18 of the 30 messages/);
    expect(await digests(b, 'Archive')).toEqual(archiveB);
    // The next run reads the folder again (its new UIDs paired last time) and still withholds.
    const again = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(again.failures).toEqual([]);
    expect(again.summary).toMatchObject({ deletionsWithheld: 18, expunged: 0, copied: 0 });
    expect(await digests(b, 'Archive')).toEqual(archiveB);

    const forced = await syncOnce(a, b, statePath, { mode: 'mirror', force: true });
    expect(forced.summary.expunged).toBe(18);
    expect(forced.summary.deletionsWithheld).toBe(0);
    expect(await digests(b, 'Archive')).toEqual(await digests(a, 'Archive'));
  });

  it('deletions withheld after expunges on A are reported by every run until --force alone does them', async () => {
    await seedFolder(a, 'INBOX', seed('inbox', 40));
    await seedFolder(a, 'Archive', seed('arch', 30));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const archiveB = await digests(b, 'Archive');
    const archiveA = await readFolder(a, 'Archive');
    await expungeUids(a, 'Archive', archiveA.slice(0, 25).map((m) => m.uid));

    for (let run = 0; run < 2; run++) {
      const withheld = await syncOnce(a, b, statePath, { mode: 'mirror' });
      expect(withheld.summary.deletionsWithheld, `run ${run + 1}`).toBe(25);
      expect(withheld.summary.expunged, `run ${run + 1}`).toBe(0);
      expect(await digests(b, 'Archive')).toEqual(archiveB);
    }
    const forced = await syncOnce(a, b, statePath, { mode: 'mirror', force: true });
    expect(forced.summary.expunged).toBe(25);
    expect(await digests(b, 'Archive')).toEqual(await digests(a, 'Archive'));
    // Mirror records the status from before its own writes: the next run re-reads Archive once, then skips it.
    const after = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(after.summary).toMatchObject({ deletionsWithheld: 0, expunged: 0, copied: 0 });
    const quiet = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(quiet.summary.foldersSkipped).toBe(quiet.summary.folders);
  });

  it('copy runs, then --mode mirror: B-only history beyond half of the folder is withheld, dry run included', async () => {
    await seedFolder(a, 'Sent', seed('sent', 20));
    await syncOnce(a, b, statePath, { mode: 'copy' });
    const sentA = await readFolder(a, 'Sent');
    await expungeUids(a, 'Sent', sentA.slice(0, 12).map((m) => m.uid));
    const copy = await syncOnce(a, b, statePath, { mode: 'copy' });
    expect(copy.summary.expunged).toBe(0);
    const sentB = await digests(b, 'Sent');
    expect(sentB).toHaveLength(20);

    const dry = await cli('--dry-run');
    expect(dry.code, dry.stderr).toBe(5);
    expect(json(dry.stdout)).toMatchObject({ deletionsWithheld: 12, expunged: 0 });
    expect(reasons(dry.stdout)).toMatch(/"Sent".*12 of the 20 messages.*copy mode/);

    // Twice: the second mirror run must not skip Sent as unchanged (nothing changed since the copy run).
    for (let run = 1; run <= 2; run++) {
      const mirror = await syncOnce(a, b, statePath, { mode: 'mirror' });
      expect(mirror.summary.deletionsWithheld, `run ${run}`).toBe(12);
      expect(mirror.summary.expunged, `run ${run}`).toBe(0);
      expect(await digests(b, 'Sent')).toEqual(sentB);
    }

    const forced = await syncOnce(a, b, statePath, { mode: 'mirror', force: true });
    expect(forced.summary.expunged).toBe(12);
    expect(await digests(b, 'Sent')).toEqual(await digests(a, 'Sent'));
  });

  it('a first mirror run over a B that holds mostly its own mail (no state) withholds', async () => {
    await seedFolder(a, 'INBOX', seed('shared', 5));
    await seedFolder(b, 'INBOX', [...seed('shared', 5), ...seed('b-own', 15)]);
    const inboxB = await digests(b, 'INBOX');
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.summary.deletionsWithheld).toBe(15);
    expect(run.summary.withheld).toEqual([
      expect.objectContaining({ what: 'messages', folder: 'INBOX', count: 15, heldOnB: 20 }),
    ]);
    expect(await digests(b, 'INBOX')).toEqual(inboxB);
    const again = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(again.summary.deletionsWithheld).toBe(15);
    expect(await digests(b, 'INBOX')).toEqual(inboxB);
  });

  it('--delete-folders never deletes more than half of B\'s folders without --force', async () => {
    await seedFolder(a, 'INBOX', seed('inbox', 3));
    for (const name of ['Old1', 'Old2', 'Old3']) await seedFolder(b, name, seed(name, 2));
    const names = async (): Promise<string[]> => (await listFolders(b)).map((f) => f.name);
    expect(await names()).toEqual(['INBOX', 'Old1', 'Old2', 'Old3']);

    const dry = await cli('--delete-folders', '--dry-run');
    expect(dry.code, dry.stderr).toBe(5);
    expect(json(dry.stdout)).toMatchObject({ foldersDeleted: 0 });
    expect(reasons(dry.stdout)).toMatch(/3 of the 4 folders/);

    const withheld = await cli('--delete-folders');
    expect(withheld.code, withheld.stderr).toBe(5);
    expect(json(withheld.stdout)).toMatchObject({ foldersDeleted: 0 });
    expect(await names()).toEqual(['INBOX', 'Old1', 'Old2', 'Old3']);

    const forced = await cli('--delete-folders', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(json(forced.stdout)).toMatchObject({ foldersDeleted: 3 });
    expect(await names()).toEqual(['INBOX']);
  });

  // No account-level pre-check: one folder's trouble withholds that folder's deletions, the rest syncs.
  it('one big folder recreated empty on A withholds its deletions (exit 5), but new mail in INBOX still arrives', async () => {
    await seedFolder(a, 'INBOX', seed('inbox', 10));
    await seedFolder(a, 'Archive', seed('arch', 30));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const archiveB = await digests(b, 'Archive');

    await recreate(a, 'Archive', []);
    await seedFolder(a, 'INBOX', seed('inbox', 3, 10));

    const run = await cli();
    expect(run.code, run.stderr).toBe(5);
    expect(reasons(run.stdout)).toMatch(/"Archive": mirror would delete 30 of the 30 messages/);
    // The account-wide count fires too (A lacks 30 of 40: new INBOX mail hides nothing): its cause is added to the folder's reason.
    expect(reasons(run.stdout)).toMatch(/UIDVALIDITY.*; A lacks 30 of the 40 messages the state remembers across the account/);
    expect(await digests(b, 'Archive')).toEqual(archiveB);
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
  });

  // Without --delete-folders, folders gone from A delete nothing on B: no run has anything to refuse.
  it('folders the user deleted on A: B keeps them, every run syncs the rest with exit 0, --force or not', async () => {
    await seedFolder(a, 'INBOX', seed('inbox', 4));
    await seedFolder(a, 'Old1', seed('old1', 3));
    await seedFolder(a, 'Old2', seed('old2', 3));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const oldB = [await digests(b, 'Old1'), await digests(b, 'Old2')];
    await a.doveadm(['mailbox', 'delete', '-u', 'alice', 'Old1']);
    await a.doveadm(['mailbox', 'delete', '-u', 'alice', 'Old2']);

    const plain = await cli();
    expect(plain.code, plain.stderr).toBe(0);
    const forced = await cli('--force');
    expect(forced.code, forced.stderr).toBe(0);
    await seedFolder(a, 'INBOX', seed('inbox', 1, 4));
    const next = await cli();
    expect(next.code, next.stderr).toBe(0);
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
    expect([await digests(b, 'Old1'), await digests(b, 'Old2')]).toEqual(oldB);
  });

  it('--delete-folders: a folder A still lists (now \\Noselect) is not "missing on A": its B folder is kept', async () => {
    await seedFolder(a, 'INBOX', seed('inbox', 3));
    await seedFolder(a, 'Old', seed('old', 3));
    const proxy = await startFilterProxy({ targetHost: a.host, targetPort: a.imapPort, filter: passThrough });
    try {
      const via = { a: plainSpecVia(a, proxy.port) };
      await syncOnce(a, b, statePath, { mode: 'mirror' }, {}, via);
      const oldOnB = await digests(b, 'Old');
      expect(oldOnB).toHaveLength(3);
      // A lists "Old" as not selectable (an ACL change, a damaged mailbox): its mail is still there.
      let rewritten = 0;
      proxy.setFilter((response) => {
        const text = response.toString('latin1');
        if (!/^\* LIST \(/i.test(text) || !/ "?Old"?\r\n$/.test(text)) return response;
        rewritten++;
        return Buffer.from(text.replace(/^\* LIST \(/i, '* LIST (\\Noselect '), 'latin1');
      });
      const run = await syncOnce(a, b, statePath, { mode: 'mirror', deleteFolders: true }, {}, via);
      expect(rewritten, 'A listed "Old" as \\Noselect').toBeGreaterThan(0);
      expect(run.summary.foldersDeleted).toBe(0);
      expect(await digests(b, 'Old')).toEqual(oldOnB);
    } finally {
      await proxy.close();
    }
  });
});
