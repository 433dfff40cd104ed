// Mirror, against real Dovecot: a message moved on A from one folder to another
// reaches its new folder on B before it leaves the old one, and stays on B
// while its new folder cannot be made there (issue 7: the account's plan).

import { chownSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, expungeUids, listFolders, readFolder, seedFolder } from '../support/imap.js';
import { syncOnce, tempDir } from '../support/sync.js';
import { taggedMessages } from '../support/taggedMessages.js';

describe('mirror: a message moved between folders on A', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    statePath = join(tempDir(), 'moved.state');
    await seedFolder(a, 'INBOX', taggedMessages('moved', 4));
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

  it('is copied into its new folder and deleted from its old one in the same run, exit 0', async () => {
    await moveFirstOnA('Archive');
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.failures).toEqual([]);
    expect(run.summary).toMatchObject({ copied: 1, expunged: 1, deletionsWithheld: 0 });
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
    expect(after.summary).toMatchObject({ copied: 1, expunged: 1 });
    for (const f of ['INBOX', 'Archive', 'Moved']) expect(await bodyDigestsOf(b, f), f).toEqual(await bodyDigestsOf(a, f));
  });
});
