// Mirror, against real Dovecot: a message moved on A from one folder to another
// is moved on B's server (UID MOVE: no body read from A or sent to B), and
// stays in its old folder on B while its new folder cannot be made there
// (issue 7: the account's plan; issue 9 §3: moves without re-sending).

import { chownSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, expungeUids, listFolders, readFolder, seedFolder } from '../support/imap.js';
import { syncOnce, tempDir } from '../support/sync.js';
import { taggedMessages } from '../support/taggedMessages.js';

const BIG = 200_000;

/** A message of about BIG bytes (its body alone is larger than any run's commands). */
function bigMessage(): string {
  const line = 'the body of a big message that moves between folders, never sent twice\r\n';
  return `From: <big@example.org>\r\nSubject: big\r\nDate: Tue, 3 Mar 2026 09:00:00 +0100\r\nMessage-ID: <big@example.org>\r\n\r\n${line.repeat(Math.ceil(BIG / line.length))}`;
}

/** Neither was the moved body read from A nor sent to B: each store's bytes stay far below its size. */
function expectNoBody(stats: { a: { bytesIn: number }; b: { bytesOut: number } }): void {
  expect(stats.a.bytesIn, 'bytes read from A').toBeLessThan(BIG / 4);
  expect(stats.b.bytesOut, 'bytes sent to B').toBeLessThan(BIG / 4);
}

describe('mirror: a message moved between folders on A', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    statePath = join(tempDir(), 'moved.state');
    // INBOX's first message is the one moved: big enough that its body would show in any byte count.
    await seedFolder(a, 'INBOX', [{ raw: bigMessage() }, ...taggedMessages('moved', 3)]);
    await seedFolder(a, 'Archive', taggedMessages('archived', 2));
    const first = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(first.failures).toEqual([]);
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  /** A client's MOVE: INBOX's first message copied to `to`, then expunged from INBOX. */
  async function moveFirstOnA(to: string): Promise<void> {
    const [first] = await readFolder(a, 'INBOX');
    await seedFolder(a, to, [{ raw: first!.body, flags: first!.flags }]);
    await expungeUids(a, 'INBOX', [first!.uid]);
  }

  it('is moved by B into its new folder in the same run (no body read from A or sent to B), exit 0', async () => {
    await moveFirstOnA('Archive');
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.failures).toEqual([]);
    expect(run.summary).toMatchObject({ transferred: 1, copied: 0, bytes: 0, expunged: 0, deletionsWithheld: 0 });
    expectNoBody(run.summary.stats);
    for (const f of ['INBOX', 'Archive']) expect(await bodyDigestsOf(b, f), f).toEqual(await bodyDigestsOf(a, f));
  });

  it('stays in its old folder on B while B refuses to create its new one (listed, exit 1); the run after moves it', async () => {
    await listFolders(b);
    // A regular file where B's Maildir directory for "Moved" would go: Dovecot answers CREATE with NO.
    const obstacle = join(b.maildirOf(), 'Moved');
    const owner = statSync(b.maildirOf());
    writeFileSync(obstacle, 'not a folder');
    chownSync(obstacle, owner.uid, owner.gid);
    const inboxBefore = await bodyDigestsOf(b, 'INBOX');
    await moveFirstOnA('Moved');

    const blocked = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(blocked.failures.map((f) => `${f.folder}:${f.uid}:${f.side}`)).toEqual(['Moved:0:B']);
    expect(blocked.summary.expunged).toBe(0);
    expect(blocked.warnings.some((w) => /INBOX: not deleting 1 B message .*could not be created on B/.test(w)), blocked.warnings.join('\n')).toBe(true);
    // B's only copy of the moved message is still in B's INBOX.
    expect(await bodyDigestsOf(b, 'INBOX')).toEqual(inboxBefore);

    rmSync(obstacle);
    const after = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(after.failures).toEqual([]);
    expect(after.summary).toMatchObject({ transferred: 1, copied: 0, expunged: 0 });
    expectNoBody(after.summary.stats);
    for (const f of ['INBOX', 'Archive', 'Moved']) expect(await bodyDigestsOf(b, f), f).toEqual(await bodyDigestsOf(a, f));
  });
});
