// Issue 9 §3 against real Dovecot, through the real command: a message moved
// between folders of A reaches its new folder on B by a server-side UID MOVE
// (or UID COPY, + UID EXPUNGE without MOVE) on B, never by sending its body
// again. Bodies are compared by digest with their flags; what reached B is
// measured twice: the CLI's own count of bytes sent to B (--json stats) and
// Dovecot's count of B's commands by name (no APPEND may reach B).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { commandCounts, startBenchServer, type CommandCounts } from '../../bench/benchServers.js';
import { prng } from '../support/corpus.js';
import { DOVECOT_CAPABILITIES, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, openClient, readFolder, seedFolder, setFlags, type SeedMessage } from '../support/imap.js';
import { okSummaryOf, passwordEnv, runCli, tempDir, type CliRun } from '../support/sync.js';
import { taggedMessage } from '../support/taggedMessages.js';

const FOLDERS = ['INBOX', 'Archive'] as const;
/** What -v prints for each planned server-side transfer, before the act phase (engine.ts, reportAccountPlan). */
const TRANSFER_LINE = /: (move|copy) B UID \d+ from /;
const FLAG_SETS: string[][] = [['\\Seen'], ['\\Seen', '\\Flagged'], [], ['\\Seen', '$Label1'], ['\\Answered', '\\Seen']];

/** Tagged messages padded to about `bytes` each (so that a body sent shows in the byte counts), flags varied. */
function paddedMessages(tag: string, count: number, bytes: number, from = 0): SeedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const head = taggedMessage(n, tag);
    const line = `${tag} ${n} ${'.'.repeat(60)}\r\n`;
    return { raw: head + line.repeat(Math.max(0, Math.ceil((bytes - head.length) / line.length))), flags: FLAG_SETS[n % FLAG_SETS.length]! };
  });
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Every message of the folder as "digest flags", sorted: equal lists mean the same mail with the same flags. */
async function contentsOf(server: DovecotServer, folder: string): Promise<string[]> {
  return (await readFolder(server, folder)).map((m) => `${sha256(m.body)} ${m.flags.join(' ')}`).sort();
}

async function expectSameMail(a: DovecotServer, b: DovecotServer, folders: readonly string[] = FOLDERS): Promise<void> {
  for (const f of folders) expect(await contentsOf(b, f), `B's ${f} against A's`).toEqual(await contentsOf(a, f));
}

/** Another client's MOVE on A (RFC 6851), as a mail program does it: these UIDs (default all); resolves their bytes. */
async function moveOnA(a: DovecotServer, from: string, to: string, uids?: number[]): Promise<number> {
  const messages = await readFolder(a, from);
  const wanted = new Set(uids ?? messages.map((m) => m.uid));
  const client = await openClient(a);
  try {
    await client.mailboxOpen(from);
    expect(await client.messageMove([...wanted].join(','), to, { uid: true }), `MOVE on A ${from} → ${to}`).not.toBe(false);
  } finally {
    await client.logout().catch(() => client.close());
  }
  return messages.filter((m) => wanted.has(m.uid)).reduce((n, m) => n + m.size, 0);
}

/** "INBOX/Archive" message counts (STATUS): where a killed run left B, for the log. */
async function messageCounts(server: DovecotServer): Promise<string> {
  const client = await openClient(server);
  try {
    const counts: string[] = [];
    for (const f of FOLDERS) {
      const status = await client.status(f, { messages: true });
      counts.push(status === false ? '?' : String(status.messages ?? '?'));
    }
    return counts.join('/');
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Resolves once B's Archive holds `count` messages (STATUS every 20 ms, on one connection). */
async function archiveOnBHolds(b: DovecotServer, count: number): Promise<void> {
  const client = await openClient(b);
  try {
    for (;;) {
      const status = await client.status('Archive', { messages: true });
      if (status !== false && (status.messages ?? 0) >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function uidsOf(server: DovecotServer, folder: string): Promise<number[]> {
  return (await readFolder(server, folder)).map((m) => m.uid);
}

interface SyncJson {
  ok: boolean;
  copied: number;
  /** Moved or copied by B's server (issue 9 §3). */
  transferred?: number;
  expunged: number;
  foldersSkipped: number;
  failed: unknown[];
  warnings: string[];
  stats: { a: { bytesOut: number }; b: { commands: number; bytesIn: number; bytesOut: number } };
}

function syncArgs(a: DovecotServer, b: DovecotServer, statePath: string, mode: 'copy' | 'mirror', extra: string[] = []): string[] {
  return ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', mode, '--json', ...extra];
}

/** The run's --json summary; the run must have exited 0. */
const summaryOf = (run: CliRun): SyncJson => okSummaryOf<SyncJson>(run);

async function sync(a: DovecotServer, b: DovecotServer, statePath: string, mode: 'copy' | 'mirror', extra: string[] = []): Promise<SyncJson> {
  return summaryOf(await runCli(syncArgs(a, b, statePath, mode, extra), passwordEnv(a, b)));
}

/** A run whose commands to B Dovecot counts by name (B must be a bench server). */
async function syncCounted(
  a: DovecotServer,
  b: DovecotServer,
  statePath: string,
  mode: 'copy' | 'mirror',
  extra: string[] = [],
): Promise<{ run: SyncJson; commands: CommandCounts }> {
  await commandCounts(b); // zeroes B's counters
  const run = await sync(a, b, statePath, mode, extra);
  return { run, commands: await commandCounts(b) };
}

/** The run after: nothing left to do (the state knows where everything went), B still as A. */
async function expectSettled(a: DovecotServer, b: DovecotServer, statePath: string, mode: 'copy' | 'mirror', folders: readonly string[] = FOLDERS): Promise<void> {
  const after = await sync(a, b, statePath, mode);
  expect(after, 'the run after').toMatchObject({ copied: 0, transferred: 0, expunged: 0 });
  await expectSameMail(a, b, folders);
}

const count = (c: CommandCounts, name: string): number => c.byName[name] ?? 0;

/** Names of the commands that may carry a message body to B. */
function bodyCommands(c: CommandCounts): Record<string, number> {
  // Dovecot lists a command seen earlier with a count of 0.
  return Object.fromEntries(Object.entries(c.byName).filter(([name, n]) => n > 0 && /APPEND|CATENATE/i.test(name)));
}

/** Dovecot names a UID command by its verb alone in some versions and "UID X" in others: count both. */
const uidCommand = (c: CommandCounts, verb: string): number => count(c, verb) + count(c, `UID ${verb}`) + count(c, `UID_${verb}`);

describe('server-side moves on B (issue 9 §3), through the CLI', () => {
  const servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  /** A (plain test server) and B (a bench server: Dovecot counts its commands by name). */
  async function twoServers(bCapabilities?: string): Promise<[DovecotServer, DovecotServer]> {
    const [a, b] = await Promise.all([startDovecot(), startBenchServer(bCapabilities === undefined ? {} : { capabilities: bCapabilities })]);
    servers.push(a, b);
    return [a, b];
  }

  it('mirror: 1,000 messages moved from INBOX to Archive on A are moved on B without sending a body', async () => {
    const [a, b] = await twoServers();
    const statePath = join(tempDir(), 'move1000.state');
    await seedFolder(a, 'INBOX', paddedMessages('moving', 1000, 3000));
    await seedFolder(a, 'Archive', paddedMessages('archived', 20, 3000));
    expect((await sync(a, b, statePath, 'mirror')).copied).toBe(1020);

    const movedBytes = await moveOnA(a, 'INBOX', 'Archive');
    // No --force: all of INBOX leaves it, but for Archive; the guard does not count a move as a deletion.
    const { run, commands } = await syncCounted(a, b, statePath, 'mirror');

    await expectSameMail(a, b);
    expect(await uidsOf(b, 'INBOX')).toEqual([]);
    expect(run).toMatchObject({ copied: 0, transferred: 1000 });
    expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
    expect(uidCommand(commands, 'MOVE'), `B's commands: ${JSON.stringify(commands.byName)}`).toBeGreaterThan(0);
    // Commands only: a few UID sets, far below the 3 MB the bodies weigh.
    expect(run.stats.b.bytesOut, `bytes sent to B (moved: ${movedBytes})`).toBeLessThan(movedBytes / 20);
    await expectSettled(a, b, statePath, 'mirror');
  });

  it('mirror: 12 of a 20-message folder (60 %) moved on A: the guard lets the moves go (exit 0), no duplicate, no body sent', async () => {
    const [a, b] = await twoServers();
    const statePath = join(tempDir(), 'moveguard.state');
    await seedFolder(a, 'INBOX', paddedMessages('moving', 20, 3000));
    await seedFolder(a, 'Archive', []); // empty: the account-wide count sees A lack 12 of its 20 messages too
    await sync(a, b, statePath, 'mirror');

    const movedBytes = await moveOnA(a, 'INBOX', 'Archive', (await uidsOf(a, 'INBOX')).slice(0, 12));
    const { run, commands } = await syncCounted(a, b, statePath, 'mirror');

    await expectSameMail(a, b);
    expect(await uidsOf(b, 'INBOX')).toHaveLength(8);
    expect(run).toMatchObject({ copied: 0, transferred: 12, expunged: 0 });
    expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
    expect(run.stats.b.bytesOut, `bytes sent to B (moved: ${movedBytes})`).toBeLessThan(movedBytes / 10);
    await expectSettled(a, b, statePath, 'mirror');
  });

  it('mirror: messages moved into a folder new on A (with a new parent) are moved on B once it is created there', async () => {
    const [a, b] = await twoServers();
    const statePath = join(tempDir(), 'newfolder.state');
    await seedFolder(a, 'INBOX', paddedMessages('moving', 90, 3000));
    await sync(a, b, statePath, 'mirror');

    await seedFolder(a, 'Projects/New', []); // created on A (and its parent), as a mail program does before moving
    const movedBytes = await moveOnA(a, 'INBOX', 'Projects/New', (await uidsOf(a, 'INBOX')).filter((_, i) => i % 3 === 0));
    const { run, commands } = await syncCounted(a, b, statePath, 'mirror');

    const folders = ['INBOX', 'Projects/New'];
    await expectSameMail(a, b, folders);
    expect(run).toMatchObject({ copied: 0, transferred: 30 });
    expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
    expect(run.stats.b.bytesOut, `bytes sent to B (moved: ${movedBytes})`).toBeLessThan(movedBytes / 10);
    await expectSettled(a, b, statePath, 'mirror', folders);
  });

  it('a dry run lists each move (no body sent) and changes nothing on B; the real run then moves', async () => {
    const [a, b] = await twoServers();
    const statePath = join(tempDir(), 'dryrun.state');
    await seedFolder(a, 'INBOX', paddedMessages('moving', 30, 3000));
    await seedFolder(a, 'Archive', paddedMessages('archived', 3, 3000));
    await sync(a, b, statePath, 'mirror');
    const before = await Promise.all(FOLDERS.map((f) => contentsOf(b, f)));

    await moveOnA(a, 'INBOX', 'Archive', (await uidsOf(a, 'INBOX')).slice(0, 5));
    const dry = (await sync(a, b, statePath, 'mirror', ['--dry-run'])) as SyncJson & { plan: string[] };
    expect(dry.plan.filter((line) => /^Archive: move B UID \d+ from B INBOX .*no body sent/.test(line)), dry.plan.join('\n')).toHaveLength(5);
    expect(dry.plan.filter((line) => /copy \d+ messages|delete B UID/.test(line)), dry.plan.join('\n')).toEqual([]);
    expect(await Promise.all(FOLDERS.map((f) => contentsOf(b, f)))).toEqual(before);

    expect(await sync(a, b, statePath, 'mirror')).toMatchObject({ copied: 0, transferred: 5 });
    await expectSameMail(a, b);
  });

  it('copy: messages moved on A are copied on B (UID COPY), B keeps them in their old folder too, no body sent', async () => {
    const [a, b] = await twoServers();
    const statePath = join(tempDir(), 'copymode.state');
    await seedFolder(a, 'INBOX', paddedMessages('moving', 200, 3000));
    await seedFolder(a, 'Archive', paddedMessages('archived', 10, 3000));
    await sync(a, b, statePath, 'copy');
    const inboxBefore = await contentsOf(b, 'INBOX');

    const movedBytes = await moveOnA(a, 'INBOX', 'Archive');
    const { run, commands } = await syncCounted(a, b, statePath, 'copy');

    expect(await contentsOf(b, 'INBOX'), 'copy mode keeps B\'s INBOX as it was').toEqual(inboxBefore);
    expect(await contentsOf(b, 'Archive')).toEqual(await contentsOf(a, 'Archive'));
    expect(run).toMatchObject({ copied: 0, transferred: 200 });
    expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
    expect(uidCommand(commands, 'COPY'), `B's commands: ${JSON.stringify(commands.byName)}`).toBeGreaterThan(0);
    expect(uidCommand(commands, 'MOVE') + uidCommand(commands, 'EXPUNGE')).toBe(0);
    expect(run.stats.b.bytesOut, `bytes sent to B (moved: ${movedBytes})`).toBeLessThan(movedBytes / 20);
  });

  it('mirror: flags changed on A with the move end on B\'s moved copies', async () => {
    const [a, b] = await twoServers();
    const statePath = join(tempDir(), 'moveflags.state');
    await seedFolder(a, 'INBOX', paddedMessages('moving', 40, 20_000));
    await seedFolder(a, 'Archive', paddedMessages('archived', 5, 20_000));
    await sync(a, b, statePath, 'mirror');

    const moved = (await uidsOf(a, 'INBOX')).slice(0, 12);
    // Changed before the move (travels with it on A) and after it (on the new UIDs).
    await setFlags(a, 'INBOX', moved.slice(0, 4), ['\\Flagged', '$Moved'], ['\\Seen']);
    const movedBytes = await moveOnA(a, 'INBOX', 'Archive', moved);
    const arrived = (await uidsOf(a, 'Archive')).slice(-12);
    await setFlags(a, 'Archive', arrived.slice(4, 8), ['\\Answered'], ['\\Flagged', '$Label1']);
    await setFlags(a, 'Archive', arrived.slice(8), ['\\Seen', '\\Flagged'], []);
    const { run, commands } = await syncCounted(a, b, statePath, 'mirror');

    await expectSameMail(a, b);
    expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
    expect(run.stats.b.bytesOut, `bytes sent to B (moved: ${movedBytes})`).toBeLessThan(movedBytes / 10);
  });

  it('mirror: a message copied on A (kept in INBOX too) is copied on B; of two exact duplicates, the one moved is moved', async () => {
    const [a, b] = await twoServers();
    const statePath = join(tempDir(), 'copyonA.state');
    const inbox = paddedMessages('kept', 20, 20_000);
    await seedFolder(a, 'INBOX', [...inbox, inbox[7]!]); // an exact duplicate of the eighth, last
    await seedFolder(a, 'Archive', paddedMessages('archived', 5, 20_000));
    await sync(a, b, statePath, 'mirror');

    const uids = await uidsOf(a, 'INBOX');
    const client = await openClient(a);
    try {
      await client.mailboxOpen('INBOX');
      expect(await client.messageCopy(uids.slice(0, 3).join(','), 'Archive', { uid: true })).not.toBe(false);
    } finally {
      await client.logout().catch(() => client.close());
    }
    const movedBytes = await moveOnA(a, 'INBOX', 'Archive', [uids[uids.length - 1]!]);
    const { run, commands } = await syncCounted(a, b, statePath, 'mirror');

    await expectSameMail(a, b);
    expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
    expect(uidCommand(commands, 'COPY'), `B's commands: ${JSON.stringify(commands.byName)}`).toBeGreaterThan(0);
    expect(run.stats.b.bytesOut, `bytes sent to B (moved and copied: ${movedBytes * 4})`).toBeLessThan(movedBytes);
  });

  for (const mode of ['copy', 'mirror'] as const) {
    it(`${mode}: messages labelled on A (UID COPY into Archive) from an INBOX unchanged on both sides are copied on B from its INBOX, not read; no body sent`, async () => {
      const [a, b] = await twoServers();
      const statePath = join(tempDir(), `label-${mode}.state`);
      await seedFolder(a, 'INBOX', paddedMessages('labelled', 20, 20_000));
      await seedFolder(a, 'Archive', paddedMessages('archived', 3, 20_000));
      await sync(a, b, statePath, mode);
      // The second run reads back what the first wrote to B: from then on INBOX is unchanged on both sides.
      expect(await sync(a, b, statePath, mode)).toMatchObject({ copied: 0, transferred: 0 });

      const labelled = (await readFolder(a, 'INBOX')).slice(2, 7);
      const client = await openClient(a);
      try {
        await client.mailboxOpen('INBOX');
        expect(await client.messageCopy(labelled.map((m) => m.uid).join(','), 'Archive', { uid: true })).not.toBe(false);
      } finally {
        await client.logout().catch(() => client.close());
      }
      // A flag on two of the copies in Archive: B's copies must end with it, its INBOX originals without.
      await setFlags(a, 'Archive', (await uidsOf(a, 'Archive')).slice(-2), ['$Label2', '\\Flagged'], []);
      const labelledBytes = labelled.reduce((n, m) => n + m.size, 0);
      const { run, commands } = await syncCounted(a, b, statePath, mode);

      expect(run).toMatchObject({ copied: 0, transferred: 5, foldersSkipped: 1 });
      await expectSameMail(a, b);
      expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
      expect(uidCommand(commands, 'COPY'), `B's commands: ${JSON.stringify(commands.byName)}`).toBeGreaterThan(0);
      expect(uidCommand(commands, 'MOVE') + uidCommand(commands, 'EXPUNGE')).toBe(0);
      expect(run.stats.b.bytesOut, `bytes sent to B (labelled: ${labelledBytes})`).toBeLessThan(labelledBytes / 20);
      // The COPY left B's INBOX as recorded: still unchanged (not read) in the run after.
      expect(await sync(a, b, statePath, mode)).toMatchObject({ copied: 0, transferred: 0, expunged: 0, foldersSkipped: 1 });
      await expectSameMail(a, b);
    });
  }

  describe('another version under the same identity arriving in Archive while the original leaves INBOX', () => {
    /** The same headers (Message-ID, Date, From, Subject: the same global id) over another body. */
    function otherVersion(n: number, body: string): string {
      return `${taggedMessage(n, 'version').split('\r\n\r\n')[0]!}\r\n\r\n${body}`;
    }

    // Only another size tells another version from the moved message: one of the same size (and global id)
    // is taken to be it, as the man page's IDENTITY says; comparing bodies would cost what the move saves.
    for (const [label, body] of [['of another size', `version body ${3}, corrected and longer\r\n`]] as const) {
      const test = it;
      test(`(${label}) is not moved in its place: B's Archive gets A's body`, async () => {
        const [a, b] = await twoServers();
        const statePath = join(tempDir(), 'version.state');
        const originals = Array.from({ length: 8 }, (_, n) => ({ raw: taggedMessage(n, 'version'), flags: ['\\Seen'] }));
        const second = otherVersion(3, body);
        expect(second.length).not.toBe(originals[3]!.raw.length);
        await seedFolder(a, 'INBOX', originals);
        await seedFolder(a, 'Archive', paddedMessages('archived', 3, 2000));
        await sync(a, b, statePath, 'mirror');

        const inboxUids = await uidsOf(a, 'INBOX');
        await expungeUids(a, 'INBOX', [inboxUids[3]!]);
        await seedFolder(a, 'Archive', [{ raw: second, flags: ['\\Seen'] }]);
        await sync(a, b, statePath, 'mirror');

        await expectSameMail(a, b);
        expect((await readFolder(b, 'Archive')).some((m) => m.body.toString() === second)).toBe(true);
      });
    }
  });

  it('mirror on a B without MOVE: UID COPY + UID EXPUNGE, no body sent', async () => {
    const [a, b] = await twoServers(DOVECOT_CAPABILITIES.filter((c) => c !== 'MOVE').join(' '));
    const statePath = join(tempDir(), 'nomove.state');
    await seedFolder(a, 'INBOX', paddedMessages('moving', 300, 3000));
    await seedFolder(a, 'Archive', paddedMessages('archived', 10, 3000));
    await sync(a, b, statePath, 'mirror');

    const movedBytes = await moveOnA(a, 'INBOX', 'Archive', (await uidsOf(a, 'INBOX')).filter((_, i) => i % 3 === 0));
    const { run, commands } = await syncCounted(a, b, statePath, 'mirror');

    await expectSameMail(a, b);
    expect(bodyCommands(commands), `B's commands: ${JSON.stringify(commands.byName)}`).toEqual({});
    expect(uidCommand(commands, 'MOVE'), 'B does not offer MOVE').toBe(0);
    expect(uidCommand(commands, 'COPY'), `B's commands: ${JSON.stringify(commands.byName)}`).toBeGreaterThan(0);
    expect(uidCommand(commands, 'EXPUNGE'), `B's commands: ${JSON.stringify(commands.byName)}`).toBeGreaterThan(0);
    expect(run.stats.b.bytesOut, `bytes sent to B (moved: ${movedBytes})`).toBeLessThan(movedBytes / 20);
  });

  // kill -9 of the real command while B moves 1,000 messages (issue 9 §6).
  // The first run is killed as soon as B's Archive holds them (polled: with
  // MOVE, after the UID MOVE; without, between the UID COPY and the UID
  // EXPUNGE of INBOX, which leaves each message twice on B), its rerun a random
  // time after -v printed its first planned transfer (if it plans any), then a
  // rerun to the end. B must end as A: every body once (digests), with its
  // flags. REPLIMAP_MOVE_KILL_SEED replays the second delay.
  for (const variant of ['with MOVE', 'without MOVE'] as const) {
    it(`kill -9 during a 1,000-message move (B ${variant}), its rerun killed too, then a rerun: no loss, no duplicate`, async () => {
      const [a, b] = await twoServers(variant === 'with MOVE' ? undefined : DOVECOT_CAPABILITIES.filter((c) => c !== 'MOVE').join(' '));
      const seed = Number(process.env.REPLIMAP_MOVE_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
      console.log(`1,000-message move kill test (B ${variant}) seed: ${seed} (replay with REPLIMAP_MOVE_KILL_SEED=${seed})`);
      const random = prng(seed);
      const statePath = join(tempDir(), 'move1000kill.state');
      await seedFolder(a, 'INBOX', paddedMessages('moving', 1000, 3000));
      await seedFolder(a, 'Archive', paddedMessages('archived', 20, 3000));
      await sync(a, b, statePath, 'mirror');

      await moveOnA(a, 'INBOX', 'Archive');
      const args = [...syncArgs(a, b, statePath, 'mirror').filter((x) => x !== '--json'), '-v'];
      const env = { ...passwordEnv(a, b), REPLIMAP_COMMIT_INTERVAL_MS: '50' };
      const first = await runCli(args, env, { killWhen: archiveOnBHolds(b, 1020) });
      const afterFirst = await messageCounts(b);
      const delay = Math.floor(random() * 600);
      const second = await runCli(args, env, { killAfterStderr: { pattern: TRANSFER_LINE, delayMs: delay } });
      console.log(`B's INBOX/Archive: ${afterFirst} after the first run (${first.signal ?? `exit ${first.code}`}), ` +
        `${await messageCounts(b)} after the second (${delay} ms after its first planned transfer: ${second.signal ?? `exit ${second.code}`})`);
      expect(first.signal, 'the first run was killed once B\'s Archive held the messages').toBe('SIGKILL');
      if (second.signal !== 'SIGKILL') expect(second.code, second.stderr).toBe(0);
      summaryOf(await runCli(syncArgs(a, b, statePath, 'mirror'), env));
      await expectSameMail(a, b);
      expect(await uidsOf(b, 'INBOX')).toEqual([]);
      expect(await uidsOf(b, 'Archive')).toHaveLength(1020);
      await expectSettled(a, b, statePath, 'mirror');
    }, 600_000);
  }

  // kill -9 at random points of runs that move messages both ways between
  // INBOX and Archive (in the same run; every other kill aimed at the act phase), on a B with MOVE and on one without (copy then expunge:
  // a kill between the two may leave a duplicate, which the rerun must clear
  // in mirror mode). Every rerun must leave B exactly as A. Seeds printed;
  // REPLIMAP_MOVE_KILL_SEED replays one.
  for (const variant of ['with MOVE', 'without MOVE'] as const) {
    it(`kill -9 during runs that move (B ${variant}), then a rerun: nothing lost, nothing duplicated`, async () => {
      const [a, b] = await twoServers(variant === 'with MOVE' ? undefined : DOVECOT_CAPABILITIES.filter((c) => c !== 'MOVE').join(' '));
      const seed = Number(process.env.REPLIMAP_MOVE_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
      console.log(`move kill test (B ${variant}) seed: ${seed} (replay with REPLIMAP_MOVE_KILL_SEED=${seed})`);
      const random = prng(seed);
      const statePath = join(tempDir(), 'movekill.state');
      await seedFolder(a, 'INBOX', paddedMessages('moving', 200, 3000));
      await seedFolder(a, 'Archive', paddedMessages('archived', 60, 3000));
      await sync(a, b, statePath, 'mirror');
      const args = syncArgs(a, b, statePath, 'mirror');
      const env = { ...passwordEnv(a, b), REPLIMAP_COMMIT_INTERVAL_MS: '50' };
      const killedAt: string[] = [];
      // Kill points are drawn from the time a whole run takes, learnt from each rerun (which
      // does the same work), so that most of them land while the run works, not before.
      let window = 1500;
      for (let k = 0; k < 4; k++) {
        // Both ways in one run (each source used once), about a quarter of each folder: under the mirror guard's half.
        const backwards = (await uidsOf(a, 'Archive')).filter(() => random() < 0.25);
        await moveOnA(a, 'INBOX', 'Archive', (await uidsOf(a, 'INBOX')).filter(() => random() < 0.25));
        await moveOnA(a, 'Archive', 'INBOX', backwards);
        const bBefore = await messageCounts(b);
        // Every other kill aims at the act phase: a little after -v printed the first planned transfer.
        const aimed = k % 2 === 1;
        const delay = aimed ? Math.floor(random() * 200) : Math.floor(100 + random() * window);
        const killed = aimed
          ? await runCli([...args.filter((x) => x !== '--json'), '-v'], env, { killAfterStderr: { pattern: TRANSFER_LINE, delayMs: delay } })
          : await runCli(args, env, { killAfterMs: delay, signal: 'SIGKILL' });
        const when = `${aimed ? 'transfers planned + ' : ''}${delay}`;
        if (killed.signal === 'SIGKILL') killedAt.push(`${when} (B ${bBefore} → ${await messageCounts(b)}, A ${await messageCounts(a)})`);
        else {
          expect(killed.code, killed.stderr).toBe(0);
          killedAt.push(`-(${when})`);
        }
        const started = Date.now();
        summaryOf(await runCli(args, env));
        window = Math.max(300, Date.now() - started);
        await expectSameMail(a, b);
      }
      console.log(`kill points (ms; negative: finished before the kill; INBOX/Archive on B before → after the kill, on A): ${killedAt.join(', ')}`);
    });
  }
});
