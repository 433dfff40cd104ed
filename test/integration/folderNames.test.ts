// Issue 6, points 5 and 9: every A folder gets its own B folder, and a folder
// B cannot take is a listed failure that does not stop the others.
// A is a '/' server, B a '.' server: B's separator is an ordinary character in
// A's names, so "dot.name" needs the documented escape ("dot\2ename") to stay
// apart from "dot_name".

import { chownSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { generateMessages } from '../support/corpus.js';
import { bodyDigestsOf, listFolders, seedFolder, type SeedMessage } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';

/** Distinct messages per seed (unique Message-IDs), with flags and dates. */
const mail = (seed: number, count: number): SeedMessage[] =>
  generateMessages(count, { seed }).map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate }));

const digests = bodyDigestsOf;

interface JsonSummary {
  ok: boolean;
  exitCode: number;
  copied: number;
  folders: number;
  foldersSkipped: number;
  foldersCreated: number;
  failed: { folder: string; uid: number; side: string; reason: string }[];
}

describe('folder names on B', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let dir: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot({ separator: '/' }), startDovecot({ separator: '.' })]);
    dir = tempDir();
  });
  afterEach(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const sync = (state: string, ...extra: string[]): ReturnType<typeof runCli> =>
    runCli(['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', join(dir, state), ...extra], passwordEnv(a, b));

  it('gives "dot.name" and "dot_name" distinct B folders with the documented escape', async () => {
    await seedFolder(a, 'INBOX', mail(1, 2));
    await seedFolder(a, 'dot.name', mail(2, 3));
    await seedFolder(a, 'dot_name', mail(3, 4));
    await seedFolder(a, 'Lists/v1.2', mail(4, 2));

    const first = await sync('names.state', '--json');
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as JsonSummary;
    expect(summary.ok).toBe(true);
    expect(summary.failed).toEqual([]);
    expect(summary.copied).toBe(11);

    const namesB = (await listFolders(b)).map((f) => f.name);
    expect(namesB).toEqual(expect.arrayContaining(['dot\\2ename', 'dot_name', 'Lists.v1\\2e2']));
    expect(await digests(b, 'dot\\2ename')).toEqual(await digests(a, 'dot.name'));
    expect(await digests(b, 'dot_name')).toEqual(await digests(a, 'dot_name'));
    expect(await digests(b, 'Lists.v1\\2e2')).toEqual(await digests(a, 'Lists/v1.2'));
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));

    const second = await sync('names.state', '--json');
    expect(second.code, second.stderr).toBe(0);
    const again = JSON.parse(second.stdout) as JsonSummary;
    expect(again.copied).toBe(0);
    expect(again.foldersCreated).toBe(0);
    expect(again.foldersSkipped).toBe(again.folders);
  });

  it('a folder B refuses to create fails alone; the others sync, and the next run creates it', async () => {
    await seedFolder(a, 'INBOX', mail(1, 2));
    await seedFolder(a, 'Open', mail(5, 3));
    await seedFolder(a, 'Blocked', mail(6, 2));
    await seedFolder(a, 'Blocked/kid', mail(7, 2));
    // A regular file where B's Maildir directory for "Blocked" would go: Dovecot answers CREATE with NO.
    await listFolders(b); // the first login makes B's Maildir
    const obstacle = join(b.maildirOf(), 'Blocked');
    const owner = statSync(b.maildirOf());
    writeFileSync(obstacle, 'not a folder');
    chownSync(obstacle, owner.uid, owner.gid);

    const first = await sync('create.state', '--json');
    expect(first.code, first.stderr).toBe(1);
    const summary = JSON.parse(first.stdout) as JsonSummary;
    expect(summary.ok).toBe(false);
    expect(summary.failed, first.stdout).toBeDefined();
    expect(summary.failed.map((f) => f.folder).sort()).toEqual(['Blocked', 'Blocked/kid (Blocked.kid)']);
    for (const f of summary.failed) expect(f.reason).toMatch(/could not be created on B/);
    expect(first.stderr).toContain('Blocked');
    expect(await digests(b, 'Open')).toEqual(await digests(a, 'Open'));
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));

    // New mail in a synced folder still arrives while the obstacle is there.
    await seedFolder(a, 'Open', mail(105, 1));
    const stillBlocked = await sync('create.state', '-q');
    expect(stillBlocked.code).toBe(1);
    expect(stillBlocked.stderr).toMatch(/Blocked: folder could not be created on B/);
    expect(await digests(b, 'Open')).toEqual(await digests(a, 'Open'));

    rmSync(obstacle);
    const second = await sync('create.state', '--json');
    expect(second.code, second.stderr).toBe(0);
    expect((JSON.parse(second.stdout) as JsonSummary).failed).toEqual([]);
    expect(await digests(b, 'Blocked')).toEqual(await digests(a, 'Blocked'));
    expect(await digests(b, 'Blocked.kid')).toEqual(await digests(a, 'Blocked/kid'));
  });

  it('an A folder that still cannot get a B name of its own is a listed failure, also with -q', async () => {
    await a.stop();
    a = await startDovecot({ separator: '.', inboxPrefix: true });
    await seedFolder(a, 'INBOX', mail(1, 2));
    // "INBOX.Inbox" on A: "INBOX." is A's namespace prefix, so on B it would land on INBOX itself.
    await seedFolder(a, 'INBOX.Inbox', mail(8, 2));
    await seedFolder(a, 'INBOX.Other', mail(9, 1));

    const run = await sync('collide.state', '-q');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/INBOX\.Inbox: .*INBOX/);
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
    expect(await digests(b, 'Other')).toEqual(await digests(a, 'INBOX.Other'));

    const json = await sync('collide.state', '--json');
    expect(json.code).toBe(1);
    const summary = JSON.parse(json.stdout) as JsonSummary;
    expect(summary.ok).toBe(false);
    expect(summary.failed.map((f) => f.folder)).toEqual(['INBOX.Inbox']);
  });
});
