// Issue 8: two-way mode through the real command against real Dovecot servers.
// Every check compares both sides folder by folder: body digests and flags,
// each message once. Random parts print their seed (REPLIMAP_TWOWAY_SEED replays).

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateMessages, prng } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, inNamespace, listFolders, openClient, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { passwordEnv, runCli, tempDir, type CliRun, type RunCliOptions } from '../support/sync.js';
import { taggedMessage, taggedMessages } from '../support/taggedMessages.js';

const seed = Number(process.env.REPLIMAP_TWOWAY_SEED ?? Math.floor(Math.random() * 2 ** 31));

interface SideCounts {
  copied: number;
  flagsUpdated: number;
  expunged: number;
}
/** The parts of `--json` these tests read. */
interface JsonSummary extends SideCounts {
  exitCode: number;
  foldersCreated: number;
  foldersDeleted: number;
  bySide: { a: SideCounts; b: SideCounts };
  warnings: string[];
  failed: unknown[];
  rollbacks: { folder: string; side: string }[];
}

const digest = (body: Buffer | string): string => createHash('sha256').update(body).digest('hex');

describe('two-way against real Dovecot', () => {
  const servers: DovecotServer[] = [];
  const dir = tempDir('replimap-twoway-');
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  async function start(count: number): Promise<DovecotServer[]> {
    const started = await Promise.all(Array.from({ length: count }, () => startDovecot()));
    servers.push(...started);
    return started;
  }

  const args = (x: DovecotServer, y: DovecotServer, state: string, extra: string[] = []): string[] => [
    'sync', '--mode', 'two-way', x.url(), y.url(), '--tls-ca', x.caFile, '--state', join(dir, state), ...extra,
  ];

  function run(x: DovecotServer, y: DovecotServer, state: string, extra: string[] = [], options: RunCliOptions = {}): Promise<CliRun> {
    return runCli(args(x, y, state, extra), passwordEnv(x, y), options);
  }

  /** One two-way run that must succeed (exit 0); its --json summary. */
  async function sync(x: DovecotServer, y: DovecotServer, state: string): Promise<JsonSummary> {
    const done = await run(x, y, state, ['--json']);
    expect(done.code, `${done.stderr}\n${done.stdout}`).toBe(0);
    return JSON.parse(done.stdout) as JsonSummary;
  }

  /** A run that finds nothing to do: the previous one converged. */
  async function expectIdle(x: DovecotServer, y: DovecotServer, state: string): Promise<void> {
    const again = await sync(x, y, state);
    expect({ copied: again.copied, flags: again.flagsUpdated, expunged: again.expunged, created: again.foldersCreated, deleted: again.foldersDeleted })
      .toEqual({ copied: 0, flags: 0, expunged: 0, created: 0, deleted: 0 });
  }

  /** Per folder: "digest flags" of every message, sorted; a missing folder reads as absent. */
  async function view(server: DovecotServer, folders: string[]): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for (const folder of folders) {
      const messages = await readFolder(server, folder).catch(() => undefined);
      if (messages) out[folder] = messages.map((m) => `${digest(m.body)} ${m.flags.join(' ')}`).sort();
    }
    return out;
  }

  /** Every server holds the same messages (by digest), with the same flags, each once; returns that view. */
  async function expectConverged(all: DovecotServer[], folders: string[]): Promise<Record<string, string[]>> {
    const [first, ...rest] = await Promise.all(all.map((s) => view(s, folders)));
    for (const other of rest) expect(other).toEqual(first);
    for (const [folder, lines] of Object.entries(first!)) {
      const digests = lines.map((l) => l.split(' ')[0]);
      expect(new Set(digests).size, `${folder}: a message twice`).toBe(digests.length);
    }
    return first!;
  }

  /** Flags of each message of a folder by its body text (tagged messages: unique bodies). */
  async function flagsByBody(server: DovecotServer, folder: string): Promise<Record<string, string[]>> {
    return Object.fromEntries((await readFolder(server, folder)).map((m) => [m.body.toString(), m.flags]));
  }

  async function uidOf(server: DovecotServer, folder: string, n: number, tag: string): Promise<number> {
    const found = (await readFolder(server, folder)).find((m) => m.body.toString() === taggedMessage(n, tag));
    if (!found) throw new Error(`${tag} ${n} is not in ${folder}`);
    return found.uid;
  }

  const digestsOf = (raws: string[]): string[] => raws.map((r) => digest(r)).sort();

  it('partition: mail and reading on both sides while cut off; one run converges, the next does nothing', async () => {
    const [a, b] = await start(2);
    await seedFolder(a, 'INBOX', taggedMessages('before', 6));
    await seedFolder(a, 'Lists', taggedMessages('list', 3));
    expect((await sync(a, b, 'p.state')).bySide.b.copied).toBe(9);

    // The link drops: the cron run cannot reach B (exit 3) and changes nothing; mail keeps arriving on A.
    await b.restart(async () => {
      const cut = await run(a, b, 'p.state', ['-q']);
      expect(cut.code, cut.stderr).toBe(3);
      await seedFolder(a, 'INBOX', taggedMessages('on-a', 5));
    });
    await seedFolder(b, 'INBOX', taggedMessages('on-b', 4));
    await seedFolder(b, 'Lists', taggedMessages('list-b', 2));
    // Users read on both: one message on both sides, others on one side only.
    await setFlags(a, 'INBOX', [await uidOf(a, 'INBOX', 0, 'before'), await uidOf(a, 'INBOX', 1, 'before'), await uidOf(a, 'INBOX', 0, 'on-a')], ['\\Seen'], []);
    await setFlags(b, 'INBOX', [await uidOf(b, 'INBOX', 1, 'before')], ['\\Seen'], []);
    await setFlags(b, 'INBOX', [await uidOf(b, 'INBOX', 2, 'before')], ['\\Flagged'], []);
    await setFlags(b, 'INBOX', [await uidOf(b, 'INBOX', 0, 'on-b')], ['\\Seen', '\\Answered'], []);

    const healed = await sync(a, b, 'p.state');
    expect(healed.bySide.a.copied).toBe(6);
    expect(healed.bySide.b.copied).toBe(5);
    expect(healed.bySide.a.flagsUpdated).toBe(1);
    expect(healed.bySide.b.flagsUpdated).toBe(1);
    expect(healed.expunged).toBe(0);
    const seen = await expectConverged([a, b], ['INBOX', 'Lists']);
    expect(seen.INBOX).toHaveLength(15);
    expect(seen.Lists).toHaveLength(5);
    const flags = await flagsByBody(a, 'INBOX');
    expect(flags[taggedMessage(0, 'before')]).toEqual(['\\Seen']);
    expect(flags[taggedMessage(1, 'before')]).toEqual(['\\Seen']);
    expect(flags[taggedMessage(2, 'before')]).toEqual(['\\Flagged']);
    expect(flags[taggedMessage(0, 'on-a')]).toEqual(['\\Seen']);
    expect(flags[taggedMessage(0, 'on-b')]).toEqual(['\\Answered', '\\Seen']);
    await expectIdle(a, b, 'p.state');
  });

  it("the issue's flag example: base \\Flagged, A adds \\Answered, B adds \\Seen and drops \\Flagged → both \\Answered \\Seen; \\Deleted travels, expunges nothing", async () => {
    const [a, b] = await start(2);
    await seedFolder(a, 'INBOX', [{ raw: taggedMessage(0, 'flag'), flags: ['\\Flagged'] }, { raw: taggedMessage(1, 'flag') }]);
    await sync(a, b, 'f.state');
    await setFlags(a, 'INBOX', [await uidOf(a, 'INBOX', 0, 'flag')], ['\\Answered'], []);
    await setFlags(b, 'INBOX', [await uidOf(b, 'INBOX', 0, 'flag')], ['\\Seen'], ['\\Flagged']);
    await setFlags(b, 'INBOX', [await uidOf(b, 'INBOX', 1, 'flag')], ['\\Deleted', '$Work'], []);

    const merged = await sync(a, b, 'f.state');
    expect(merged.expunged).toBe(0);
    await expectConverged([a, b], ['INBOX']);
    const flags = await flagsByBody(a, 'INBOX');
    expect(flags[taggedMessage(0, 'flag')]).toEqual(['\\Answered', '\\Seen']);
    expect(flags[taggedMessage(1, 'flag')]).toEqual(['$Work', '\\Deleted']);
    await expectIdle(a, b, 'f.state');
  });

  it('an expunge on one side wins over a flag change on the other, both ways, and is reported', async () => {
    const [a, b] = await start(2);
    await seedFolder(a, 'INBOX', taggedMessages('x', 3));
    await sync(a, b, 'x.state');
    await expungeUids(a, 'INBOX', [await uidOf(a, 'INBOX', 0, 'x')]);
    await setFlags(b, 'INBOX', [await uidOf(b, 'INBOX', 0, 'x')], ['\\Flagged'], []);
    await expungeUids(b, 'INBOX', [await uidOf(b, 'INBOX', 1, 'x')]);
    await setFlags(a, 'INBOX', [await uidOf(a, 'INBOX', 1, 'x')], ['\\Seen'], []);
    await setFlags(b, 'INBOX', [await uidOf(b, 'INBOX', 2, 'x')], ['\\Answered'], []);

    // A dry run names each message and the flag change it would lose.
    const told = await run(a, b, 'x.state', ['--dry-run']);
    expect(told.code, told.stderr).toBe(0);
    expect(told.stdout).toMatch(/INBOX: delete B UID \d+ \(global id [^)]+\) from B INBOX: two-way: A deleted it; its flag change on B since the last run \(\+\\Flagged\) is lost: the expunge wins/);
    expect(told.stdout).toMatch(/INBOX: delete A UID \d+ \(global id [^)]+\) from A INBOX: two-way: B deleted it; its flag change on A since the last run \(\+\\Seen\) is lost: the expunge wins/);
    const done = await sync(a, b, 'x.state');
    expect(done.bySide.a.expunged).toBe(1);
    expect(done.bySide.b.expunged).toBe(1);
    expect(done.warnings).toContain(
      'INBOX: deleting 2 messages the other side expunged although their flags changed since the last run (the expunge wins; -v lists them)',
    );
    const left = await expectConverged([a, b], ['INBOX']);
    expect(left.INBOX).toEqual([`${digest(taggedMessage(2, 'x'))} \\Answered`]);
    await expectIdle(a, b, 'x.state');
  });

  it('B restored from an older copy of its Maildir: what B lost comes back from A, nothing is deleted on A', async () => {
    const [a, b] = await start(2);
    await seedFolder(a, 'INBOX', taggedMessages('r', 4));
    await sync(a, b, 'r.state');
    const backup = join(dir, 'b-maildir-backup');
    execFileSync('cp', ['-a', b.maildirOf(), backup]);
    await seedFolder(a, 'INBOX', taggedMessages('r-a', 2));
    await seedFolder(b, 'INBOX', taggedMessages('r-b', 3));
    await sync(a, b, 'r.state');

    await b.restart(async () => {
      execFileSync('rm', ['-rf', b.maildirOf()]);
      execFileSync('cp', ['-a', backup, b.maildirOf()]);
    });
    const back = await sync(a, b, 'r.state');
    expect(back.rollbacks).toEqual([{ folder: 'INBOX', side: expect.stringMatching(/^b$/i) }]);
    expect(back.bySide.a.expunged).toBe(0);
    expect(back.bySide.b.copied).toBe(5);
    const all = await expectConverged([a, b], ['INBOX']);
    expect(all.INBOX).toHaveLength(9);
    await expectIdle(a, b, 'r.state');
  });

  it('a new UIDVALIDITY on either side: re-matched by global id, nothing copied twice or deleted, flags merged', async () => {
    const [a, b] = await start(2);
    await seedFolder(a, 'INBOX', taggedMessages('v', 5));
    await seedFolder(b, 'Work', taggedMessages('w', 4));
    await sync(a, b, 'v.state');
    await b.doveadm(['mailbox', 'update', '-u', 'alice', '--uid-validity', '4242', 'INBOX']);
    await a.doveadm(['mailbox', 'update', '-u', 'alice', '--uid-validity', '777', 'Work']);
    await setFlags(a, 'INBOX', [await uidOf(a, 'INBOX', 1, 'v')], ['\\Seen'], []);
    await setFlags(a, 'Work', [await uidOf(a, 'Work', 2, 'w')], ['\\Flagged'], []);
    await seedFolder(b, 'INBOX', taggedMessages('v-b', 1));

    const rematched = await sync(a, b, 'v.state');
    expect(rematched.expunged).toBe(0);
    expect(rematched.bySide.a.copied).toBe(1);
    expect(rematched.bySide.b.copied).toBe(0);
    const all = await expectConverged([a, b], ['INBOX', 'Work']);
    expect(all.INBOX).toHaveLength(6);
    expect(all.Work).toHaveLength(4);
    expect((await flagsByBody(b, 'INBOX'))[taggedMessage(1, 'v')]).toEqual(['\\Seen']);
    expect((await flagsByBody(b, 'Work'))[taggedMessage(2, 'w')]).toEqual(['\\Flagged']);
    await expectIdle(a, b, 'v.state');
  });

  it('folders: one created on B reaches A with its messages and subscription; one deleted on A goes from B only when B holds nothing new there', async () => {
    const [a, b] = await start(2);
    // INBOX holds enough that deleting Old and Busy (6 messages) leaves A more than half of what the state
    // remembers (13, B's 3 copied into Projects/2026 included): the account-wide guard lets the deletions through.
    await seedFolder(a, 'INBOX', taggedMessages('in', 4));
    await seedFolder(a, 'Old', taggedMessages('old', 3));
    await seedFolder(a, 'Busy', taggedMessages('busy', 3));
    await sync(a, b, 'd.state');

    await seedFolder(b, 'Projects/2026', taggedMessages('proj', 3));
    const client = await openClient(b);
    try {
      await client.mailboxSubscribe(inNamespace(b, 'Projects/2026'));
    } finally {
      await client.logout();
    }
    const created = await sync(a, b, 'd.state');
    expect(created.bySide.a.copied).toBe(3);
    expect((await listFolders(a)).find((f) => f.name === 'Projects/2026')?.subscribed).toBe(true);
    await expectConverged([a, b], ['INBOX', 'Projects/2026']);

    // Old: deleted on A, untouched on B → deleted on B. Busy: deleted on A while B got mail there → back on A, whole.
    const onA = await openClient(a);
    try {
      await onA.mailboxDelete(inNamespace(a, 'Old'));
      await onA.mailboxDelete(inNamespace(a, 'Busy'));
    } finally {
      await onA.logout();
    }
    await seedFolder(b, 'Busy', taggedMessages('busy-b', 1));
    const deleted = await sync(a, b, 'd.state');
    expect(deleted.foldersDeleted).toBe(1);
    const namesB = (await listFolders(b)).map((f) => f.name);
    expect(namesB).not.toContain('Old');
    expect((await listFolders(a)).map((f) => f.name)).not.toContain('Old');
    const busy = await expectConverged([a, b], ['INBOX', 'Busy', 'Projects/2026']);
    expect(busy.Busy!.map((l) => l.split(' ')[0]).sort()).toEqual(digestsOf([...taggedMessages('busy', 3), ...taggedMessages('busy-b', 1)].map((m) => m.raw)));
    await expectIdle(a, b, 'd.state');
  });

  it('three servers, A↔B and B↔C (a state file each): a change on A reaches C, an expunge on C reaches A, nothing twice or back', async () => {
    const [a, b, c] = await start(3);
    const folders = ['INBOX', 'Team'];
    await seedFolder(a, 'INBOX', taggedMessages('a', 4));
    await seedFolder(b, 'INBOX', taggedMessages('b', 2));
    await seedFolder(c, 'INBOX', taggedMessages('c', 3));
    await seedFolder(c, 'Team', taggedMessages('team', 2));
    // The same mail delivered to A and to C (a list both receive): paired on B, never twice.
    await seedFolder(a, 'INBOX', taggedMessages('list', 1));
    await seedFolder(c, 'INBOX', taggedMessages('list', 1));
    // A star around B: each round runs every spoke once.
    const round = async (): Promise<void> => {
      await sync(a, b, 'ab.state');
      await sync(b, c, 'bc.state');
    };
    await round();
    await round();
    let all = await expectConverged([a, b, c], folders);
    expect(all.INBOX).toHaveLength(10);
    expect(all.Team).toHaveLength(2);

    await setFlags(a, 'INBOX', [await uidOf(a, 'INBOX', 1, 'b')], ['\\Flagged'], []);
    await seedFolder(a, 'INBOX', taggedMessages('a-late', 1));
    await expungeUids(c, 'INBOX', [await uidOf(c, 'INBOX', 0, 'a')]);
    await expungeUids(c, 'Team', [await uidOf(c, 'Team', 1, 'team')]);
    await round();
    await round();
    all = await expectConverged([a, b, c], folders);
    const expected = [
      ...['a 1', 'a 2', 'a 3', 'b 0', 'c 0', 'c 1', 'c 2', 'a-late 0', 'list 0'].map((s) => `${digest(taggedMessage(Number(s.split(' ')[1]), s.split(' ')[0]!))} `),
      `${digest(taggedMessage(1, 'b'))} \\Flagged`,
    ].sort();
    expect(all.INBOX).toEqual(expected);
    expect(all.Team).toEqual([`${digest(taggedMessage(0, 'team'))} `]);
    // Later rounds find nothing to do on any pair: nothing comes back, nothing is copied again.
    await expectIdle(a, b, 'ab.state');
    await expectIdle(b, c, 'bc.state');
    expect(await expectConverged([a, b, c], folders)).toEqual(all);
  });

  it('kill -9 at random points of two-way runs, then rerun: nothing lost, nothing twice, nothing expunged back, converged', async () => {
    const [a, b] = await start(2);
    const folders = ['INBOX', 'Archive', 'Lists'];
    const random = prng(seed);
    console.log(`two-way kill test seed: ${seed} (replay with REPLIMAP_TWOWAY_SEED=${seed})`);
    const expected = new Map<string, string[]>(folders.map((f) => [f, []]));
    let batch = 0;
    const addMail = async (server: DovecotServer, folder: string, count: number): Promise<void> => {
      const messages = generateMessages(count, { seed: seed % 100_000 * 100 + batch++, folder });
      await seedFolder(server, folder, messages.map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
      expected.get(folder)!.push(...messages.map((m) => digest(m.raw)));
    };
    for (const folder of folders) {
      await addMail(a, folder, 15);
      await addMail(b, folder, 15);
    }
    // Synced once in full: these are on both sides and known to the state, so they may be expunged.
    await sync(a, b, 'k.state');
    const synced = new Set([...expected.values()].flat());
    let expunged = 0;
    const expungeSome = async (server: DovecotServer, folder: string): Promise<void> => {
      const present = (await readFolder(server, folder)).filter((m) => synced.has(digest(m.body)) && random() < 0.1).slice(0, 2);
      await expungeUids(server, folder, present.map((m) => m.uid));
      expunged += present.length;
      const gone = new Set(present.map((m) => digest(m.body)));
      expected.set(folder, expected.get(folder)!.filter((d) => !gone.has(d)));
    };
    for (const folder of folders) {
      await addMail(a, folder, 40);
      await addMail(b, folder, 40);
    }
    const env = { ...passwordEnv(a, b), REPLIMAP_COMMIT_INTERVAL_MS: '150' };
    const killedAt: number[] = [];
    let window = 2500;
    for (let k = 0; k < 6; k++) {
      if (k > 0) {
        // Work for the next run on both sides: new mail, flag changes, expunges.
        await addMail(random() < 0.5 ? a : b, folders[Math.floor(random() * folders.length)]!, 20);
        for (const server of [a, b]) {
          const folder = folders[Math.floor(random() * folders.length)]!;
          const uids = (await readFolder(server, folder)).filter(() => random() < 0.1).map((m) => m.uid);
          await setFlags(server, folder, uids, [random() < 0.5 ? '\\Flagged' : '$Later'], []);
          await expungeSome(server, folders[Math.floor(random() * folders.length)]!);
        }
      }
      const delay = Math.floor(150 + random() * (window - 150));
      const started = Date.now();
      const killed = await runCli(args(a, b, 'k.state', ['-q']), env, { killAfterMs: delay, signal: 'SIGKILL' });
      killedAt.push(killed.signal === 'SIGKILL' ? delay : -delay);
      if (killed.signal !== 'SIGKILL') {
        expect(killed.code, killed.stderr).toBe(0);
        window = Math.max(300, Math.floor((Date.now() - started) * 0.9));
      }
    }
    console.log(`two-way kill points (ms; negative: finished before the kill): ${killedAt.join(' ')}`);
    expect(killedAt.filter((t) => t > 0).length).toBeGreaterThan(2);
    expect(expunged).toBeGreaterThan(0);

    await sync(a, b, 'k.state');
    await expectIdle(a, b, 'k.state');
    const all = await expectConverged([a, b], folders);
    for (const folder of folders) {
      // Every message once, and none of those expunged on either side.
      expect(all[folder]!.map((l) => l.split(' ')[0]).sort(), `${folder}: every message once`).toEqual(expected.get(folder)!.sort());
    }
  });

  it('clients write to both servers during the runs: once they stop, repeated runs converge', async () => {
    const [a, b] = await start(2);
    await seedFolder(a, 'INBOX', taggedMessages('base', 20));
    await sync(a, b, 'w.state');
    console.log(`two-way concurrent writers seed: ${seed}`);
    const stop = { now: false };
    // Each writer appends its own mail, flags what it finds, and expunges some of the shared messages
    // and some of what the other writer appended (once a run brought it over).
    const writers = [
      writer(a, { tag: 'wa', otherTag: 'wb', base: [0, 2, 4, 6] }, prng(seed + 1), stop),
      writer(b, { tag: 'wb', otherTag: 'wa', base: [1, 3, 5, 7] }, prng(seed + 2), stop),
    ];
    const during: (number | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const busy = await run(a, b, 'w.state', ['-q']);
      if (busy.code !== 0) console.log(`run ${i} during the writes: exit ${busy.code}: ${busy.stderr}`);
      during.push(busy.code);
    }
    stop.now = true;
    const [fromA, fromB] = await Promise.all(writers);
    expect(during.every((code) => code === 0 || code === 1), `exits during the writes: ${during.join(' ')}`).toBe(true);
    // The clients did write on both sides while the runs went on.
    expect(fromA.appended.length * fromB.appended.length).toBeGreaterThan(0);
    expect(fromA.expunged.length * fromB.expunged.length).toBeGreaterThan(0);
    console.log(`expunged of the other writer's mail: ${fromA.expungedOther.length} on A, ${fromB.expungedOther.length} on B`);

    let runs = 0;
    for (;;) {
      const next = await sync(a, b, 'w.state');
      runs++;
      if (next.copied + next.flagsUpdated + next.expunged === 0) break;
      expect(runs, 'converges within three runs once the clients stop').toBeLessThan(3);
    }
    const all = await expectConverged([a, b], ['INBOX']);
    const gone = new Set([...fromA.expunged, ...fromB.expunged]);
    const kept = taggedMessages('base', 20).filter((_, i) => !gone.has(i)).map((m) => m.raw);
    const expungedNew = new Set([...fromA.expungedOther, ...fromB.expungedOther]);
    const want = digestsOf([...kept, ...[...fromA.appended, ...fromB.appended].filter((raw) => !expungedNew.has(raw))]);
    expect(all.INBOX!.map((l) => l.split(' ')[0]).sort()).toEqual(want);
  });
});

interface Written {
  appended: string[];
  /** Indexes of the base messages it expunged. */
  expunged: number[];
  /** Messages of the other writer it expunged. */
  expungedOther: string[];
}

/**
 * A mail client on one server until `stop.now`: appends its own messages, adds
 * or removes a flag on a random message, and expunges the base messages it
 * was given, one every few steps.
 */
async function writer(
  server: DovecotServer,
  who: { tag: string; otherTag: string; base: number[] },
  random: () => number,
  stop: { now: boolean },
): Promise<Written> {
  const { tag, base: toExpunge } = who;
  const client = await openClient(server);
  const done: Written = { appended: [], expunged: [], expungedOther: [] };
  try {
    await client.mailboxOpen('INBOX');
    for (let step = 0; !stop.now; step++) {
      const raw = taggedMessage(step, tag);
      await client.append('INBOX', raw, []);
      done.appended.push(raw);
      const uids = (await client.search({ all: true }, { uid: true })) || [];
      const uid = uids[Math.floor(random() * uids.length)];
      const flag = ['\\Seen', '\\Flagged', '$Todo'][Math.floor(random() * 3)]!;
      if (uid !== undefined) {
        if (random() < 0.7) await client.messageFlagsAdd(String(uid), [flag], { uid: true });
        else await client.messageFlagsRemove(String(uid), [flag], { uid: true });
      }
      const next = toExpunge[done.expunged.length];
      if (step % 3 === 2 && next !== undefined) {
        const target = await findBase(client, next);
        if (target !== undefined) await client.messageDelete(String(target), { uid: true });
        done.expunged.push(next);
      }
      if (step % 4 === 3) {
        const theirs = (await client.search({ header: { 'message-id': `<${who.otherTag}.` } }, { uid: true })) || [];
        const target = theirs[Math.floor(random() * theirs.length)];
        const fetched = target === undefined ? false : await client.fetchOne(String(target), { envelope: true }, { uid: true });
        const messageId = fetched ? fetched.envelope?.messageId : undefined;
        const n = messageId?.match(/^<[a-z]+\.(\d+)@/)?.[1];
        if (target !== undefined && n !== undefined && (await client.messageDelete(String(target), { uid: true }))) {
          done.expungedOther.push(taggedMessage(Number(n), who.otherTag));
        }
      }
      await new Promise((r) => setTimeout(r, 40));
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  return done;
}

async function findBase(client: Awaited<ReturnType<typeof openClient>>, n: number): Promise<number | undefined> {
  const uids = (await client.search({ header: { 'message-id': `<base.${n}@example.org>` } }, { uid: true })) || [];
  return uids[0];
}
