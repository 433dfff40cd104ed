// Two-way folders against real Dovecot, through the command: A a '/' server,
// B a '.' server. A folder made on either side reaches the other with its
// messages and subscription (parents first, names mapped both ways; a parent
// only B has, empty, leaves A's \Noselect hierarchy node alone); a folder
// deleted on A goes from B when B's copy holds nothing new, and comes back on
// A with every message when B got new mail there. A deleted folder holding most
// of the account's mail is withheld (exit 5), with that side's other expunges.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateMessages } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, expungeUids, inNamespace, listFolders, openClient, readFolder, seedFolder, type SeedMessage } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';

const mail = (seed: number, count: number): SeedMessage[] =>
  generateMessages(count, { seed }).map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate }));

interface JsonSummary {
  ok: boolean;
  exitCode: number;
  copied: number;
  foldersCreated: number;
  foldersDeleted: number;
  failed: unknown[];
  withheld: { what: string; side?: string; count: number; reason: string }[];
}

async function onServer(server: DovecotServer, work: (client: Awaited<ReturnType<typeof openClient>>) => Promise<unknown>): Promise<void> {
  const client = await openClient(server);
  try {
    await work(client);
  } finally {
    await client.logout();
  }
}

/** Two fresh servers, A '/' and B '.', stopped after `test`. */
async function withServers(test: (a: DovecotServer, b: DovecotServer) => Promise<void>): Promise<void> {
  const [a, b] = await Promise.all([startDovecot({ separator: '/' }), startDovecot({ separator: '.' })]);
  try {
    await test(a, b);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

/** One two-way run through the command (--json), on a state file in `dir`; no failure expected. */
async function twoWay(a: DovecotServer, b: DovecotServer, dir: string, ...extra: string[]): Promise<JsonSummary> {
  const run = await runCli(
    ['sync', '--mode', 'two-way', '--json', a.url(), b.url(), '--tls-ca', a.caFile, '--state', join(dir, 'state'), ...extra],
    passwordEnv(a, b),
  );
  const summary = JSON.parse(run.stdout) as JsonSummary;
  expect(summary.failed, run.stderr).toEqual([]);
  return summary;
}

const names = async (server: DovecotServer): Promise<string[]> => (await listFolders(server)).map((f) => f.name);

describe('two-way folders against Dovecot', () => {
  it('creates on each side what the other made, then deletes or brings back what A deleted', () => withServers(async (a, b) => {
    const dir = tempDir();
    const sync = (): Promise<JsonSummary> => twoWay(a, b, dir);
    await seedFolder(a, 'Work/2024', mail(1, 3));
    await seedFolder(b, 'Lists.dev', mail(2, 2));
    await onServer(b, (client) => client.mailboxSubscribe(inNamespace(b, 'Lists.dev')));
    // P only a hierarchy node on A (\Noselect): B gets a real, empty P as Q's parent, which must not make A's a mailbox.
    await onServer(a, async (client) => {
      await client.mailboxCreate('P/Q');
      await client.append('P/Q', mail(4, 1)[0]!.raw);
    });

    expect((await sync()).exitCode).toBe(0);
    expect(await bodyDigestsOf(a, 'Lists/dev')).toEqual(await bodyDigestsOf(b, 'Lists.dev'));
    expect(await bodyDigestsOf(b, 'Work.2024')).toEqual(await bodyDigestsOf(a, 'Work/2024'));
    expect((await listFolders(a)).find((f) => f.name === 'Lists/dev')?.subscribed).toBe(true);
    // Settles: the parents one side made are folders of the other too, nothing left to do.
    expect((await sync()).exitCode).toBe(0);
    const quiet = await sync();
    expect([quiet.exitCode, quiet.copied, quiet.foldersCreated, quiet.foldersDeleted]).toEqual([0, 0, 0, 0]);
    expect(await bodyDigestsOf(b, 'P.Q')).toEqual(await bodyDigestsOf(a, 'P/Q'));
    expect((await listFolders(a)).find((f) => f.name === 'P')?.flags).toContain('\\Noselect');

    await onServer(a, async (client) => {
      await client.mailboxDelete('Work/2024');
      await client.mailboxDelete('Lists/dev');
    });
    await seedFolder(b, 'Lists.dev', mail(3, 1));
    const run = await sync();
    expect(run.exitCode).toBe(0);
    expect(await names(b)).not.toContain('Work.2024');
    expect(await bodyDigestsOf(a, 'Lists/dev')).toEqual(await bodyDigestsOf(b, 'Lists.dev'));
    expect(await bodyDigestsOf(a, 'Lists/dev')).toHaveLength(3);
    const after = await sync();
    expect([after.exitCode, after.copied, after.foldersCreated, after.foldersDeleted]).toEqual([0, 0, 0, 0]);
  }));

  it('a side that lost more than half of its folders makes the run exit 5, nothing deleted on the other, until --force', () => withServers(async (a, b) => {
    const dir = tempDir();
    for (const [name, seed] of [['X', 5], ['Y', 6], ['Z', 7]] as const) await seedFolder(a, name, mail(seed, 1));
    expect((await twoWay(a, b, dir)).exitCode).toBe(0);
    await onServer(a, async (client) => {
      for (const name of ['X', 'Y', 'Z']) await client.mailboxDelete(name);
    });
    const guarded = await twoWay(a, b, dir);
    expect([guarded.exitCode, guarded.withheld]).toEqual([5, [expect.objectContaining({ what: 'folders', count: 3 })]]);
    expect(guarded.withheld[0]!.reason).toMatch(/^A lost 3 of the 4 folders the state remembers/);
    expect(await names(b)).toEqual(['INBOX', 'X', 'Y', 'Z']);
    const forced = await twoWay(a, b, dir, '--force');
    expect([forced.exitCode, forced.foldersDeleted]).toEqual([0, 3]);
    expect([await names(a), await names(b)]).toEqual([['INBOX'], ['INBOX']]);
  }));

  // One big folder gone is no small loss: 12 of the 14 messages the state remembers on A (the folder count, 1 of 2, would not stop it).
  it('a deleted folder holding most of the account: exit 5, nothing deleted (nor an INBOX expunge of that side), until --force', () => withServers(async (a, b) => {
    const dir = tempDir();
    await seedFolder(a, 'INBOX', mail(8, 2));
    await seedFolder(a, 'Big', mail(9, 12));
    expect((await twoWay(a, b, dir)).exitCode).toBe(0);
    const [bigOnB, inboxOnB] = [await bodyDigestsOf(b, 'Big'), await bodyDigestsOf(b, 'INBOX')];
    expect([bigOnB.length, inboxOnB.length]).toEqual([12, 2]);
    await onServer(a, (client) => client.mailboxDelete('Big'));

    const guarded = await twoWay(a, b, dir);
    expect([guarded.exitCode, guarded.foldersDeleted, guarded.withheld]).toEqual([5, 0, [expect.objectContaining({ what: 'folders', count: 1 })]]);
    expect(guarded.withheld[0]!.reason).toMatch(/^A lacks 12 of the 14 messages the state remembers, 12 of them in the folder it lost/);
    expect([await bodyDigestsOf(b, 'Big'), await names(a)]).toEqual([bigOnB, ['INBOX']]);

    // A user expunges one INBOX message on A meanwhile: the lost folder counts toward A's account-wide count, so it waits too.
    const [first] = await readFolder(a, 'INBOX');
    await expungeUids(a, 'INBOX', [first!.uid]);
    const still = await twoWay(a, b, dir);
    expect([still.exitCode, still.withheld.map((w) => w.what).sort()]).toEqual([5, ['folders', 'messages']]);
    expect(still.withheld.find((w) => w.what === 'messages')!.reason)
      .toMatch(/A lacks 13 of the 14 messages the state remembers across the account, 12 of them in a folder it no longer lists/);
    expect([await bodyDigestsOf(b, 'Big'), await bodyDigestsOf(b, 'INBOX')]).toEqual([bigOnB, inboxOnB]);

    const forced = await twoWay(a, b, dir, '--force');
    expect([forced.exitCode, forced.foldersDeleted, forced.withheld]).toEqual([0, 1, []]);
    expect([await names(a), await names(b)]).toEqual([['INBOX'], ['INBOX']]);
    expect(await bodyDigestsOf(b, 'INBOX')).toEqual(await bodyDigestsOf(a, 'INBOX'));
    expect((await bodyDigestsOf(b, 'INBOX')).length).toBe(1);
    const after = await twoWay(a, b, dir);
    expect([after.exitCode, after.copied, after.foldersCreated, after.foldersDeleted, after.withheld]).toEqual([0, 0, 0, 0, []]);
  }));
});
