// Issue 9 §2 and §6 against real Dovecot, through the real command: a stand-in
// round trip with --placeholders. A message held back by --max-size appears on
// B as a small stand-in with the original's headers; the user flags it via
// IMAP; the next run replaces it with the exact original (body digest) and
// keeps the user's flags; a run after that has nothing to do.
// Also: in two-way a big message on B gets its stand-in on A, and flagging
// that one brings the real message to A; and a looser filter (none, or a
// larger --max-size) replaces the stand-ins it lets through.

import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, readFolder, seedFolder, setFlags, type StoredMessage } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';
import { expectOriginalHeadersOn, withOriginalHeaders } from '../support/standInHeaders.js';
import { taggedMessage } from '../support/taggedMessages.js';

const LIMIT = 50_000;
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const headerOf = (m: StoredMessage, name: string): string | undefined =>
  new RegExp(`^${name}: *(.*)$`, 'imu').exec(m.body.toString('utf8').split('\r\n\r\n')[0]!)?.[1];
const isStandIn = (m: StoredMessage): boolean => headerOf(m, 'X-Replimap-Placeholder') !== undefined;

/** A tagged message padded to about `bytes`. */
function padded(n: number, tag: string, bytes: number): string {
  const head = taggedMessage(n, tag);
  const line = `${tag} ${n} ${'.'.repeat(60)}\r\n`;
  return head + line.repeat(Math.max(0, Math.ceil((bytes - head.length) / line.length)));
}

interface SyncJson {
  ok: boolean;
  copied: number;
  expunged: number;
  flagsUpdated: number;
  deferred: number;
  failed: unknown[];
}

/**
 * Runs of `replimap sync --json` between `a` and `b` in `mode`, on one state:
 * each must exit 0 with ok and no failure. Every run holds back by --max-size
 * LIMIT with --placeholders, unless given `filter` (other filter flags, or none).
 */
function syncOf(a: DovecotServer, b: DovecotServer, mode: string, statePath = join(tempDir(), 'placeholders.state')): (extra?: string[], filter?: string[]) => Promise<SyncJson> {
  return async (extra = [], filter = ['--max-size', String(LIMIT), '--placeholders']) => {
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--json', '--mode', mode, ...filter, ...extra];
    const run = await runCli(args, passwordEnv(a, b));
    expect(run.code, `stderr: ${run.stderr}`).toBe(0);
    const json = JSON.parse(run.stdout) as SyncJson;
    expect([json.ok, json.failed]).toEqual([true, []]);
    return json;
  };
}

/** The SHA-256 of each message of a folder, sorted; `keep` picks which. */
async function digestsOf(server: DovecotServer, keep: (m: StoredMessage) => boolean = () => true): Promise<string[]> {
  return (await readFolder(server, 'INBOX')).filter(keep).map((m) => sha256(m.body)).sort();
}

describe('--placeholders through the CLI (issue 9 §2, §6)', () => {
  const servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it.each(['copy', 'mirror', 'two-way'] as const)('%s: stand-in with the original headers; flagged via IMAP, the next run puts the exact original in its place, flags kept', async (mode) => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    await seedFolder(a, 'INBOX', [{ raw: padded(1, 'small', 2_000) }, { raw: withOriginalHeaders(padded(2, 'big', 200_000)), flags: ['\\Seen'] }, { raw: padded(3, 'small', 2_000) }]);
    const sync = syncOf(a, b, mode);
    const original = (await readFolder(a, 'INBOX')).find((m) => m.size > LIMIT)!;

    expect(await sync()).toMatchObject({ copied: 2, deferred: 1 });
    const onB = await readFolder(b, 'INBOX');
    const standIns = onB.filter(isStandIn);
    expect(standIns).toHaveLength(1);
    const standIn = standIns[0]!;
    for (const name of ['From', 'Subject', 'Date']) expect(headerOf(standIn, name)).toBe(headerOf(original, name));
    expectOriginalHeadersOn(standIn.body, original.body);
    expect(headerOf(standIn, 'Message-ID')).toMatch(/^<placeholder\..+@replimap>$/u);
    expect(headerOf(standIn, 'X-Replimap-Placeholder')).toBe(String(original.size));
    expect(standIn.size).toBeLessThan(2_000);
    expect(standIn.flags).toEqual(['\\Seen']);
    expect(onB.filter((m) => !isStandIn(m)).map((m) => sha256(m.body)).sort()).toEqual(
      (await readFolder(a, 'INBOX')).filter((m) => m.size <= LIMIT).map((m) => sha256(m.body)).sort(),
    );

    // The user asks for the real message: \Flagged on the stand-in, and a keyword of their own.
    const userFlags = ['\\Flagged', '$Later'];
    await setFlags(b, 'INBOX', [standIn.uid], userFlags, []);
    expect(await sync()).toMatchObject({ copied: 1, expunged: 1 });
    const after = await readFolder(b, 'INBOX');
    expect(after.filter(isStandIn)).toEqual([]);
    expect(after.map((m) => sha256(m.body)).sort()).toEqual((await readFolder(a, 'INBOX')).map((m) => sha256(m.body)).sort());
    const real = after.find((m) => sha256(m.body) === sha256(original.body))!;
    // Copy and two-way keep the user's flags (two-way gives them to the original too); mirror: B's follow A's.
    const kept = ['$Later', '\\Flagged', '\\Seen'];
    expect(real.flags).toEqual(mode === 'mirror' ? ['\\Seen'] : kept);
    expect((await readFolder(a, 'INBOX')).find((m) => m.uid === original.uid)!.flags).toEqual(mode === 'two-way' ? kept : ['\\Seen']);

    expect(await sync()).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0 });
    expect((await readFolder(a, 'INBOX')).filter(isStandIn)).toEqual([]);
  });

  it('two-way: a big message on B gets its stand-in on A; flagged there via IMAP, the next run brings the real message to A, B\'s untouched', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    await seedFolder(a, 'INBOX', [{ raw: padded(1, 'small', 2_000) }]);
    await seedFolder(b, 'INBOX', [{ raw: withOriginalHeaders(padded(2, 'big', 200_000)) }, { raw: padded(3, 'small', 2_000) }]);
    const sync = syncOf(a, b, 'two-way');
    const original = (await readFolder(b, 'INBOX')).find((m) => m.size > LIMIT)!;

    expect(await sync()).toMatchObject({ copied: 2, deferred: 1 });
    const standIns = (await readFolder(a, 'INBOX')).filter(isStandIn);
    expect(standIns).toHaveLength(1);
    const standIn = standIns[0]!;
    expect(headerOf(standIn, 'X-Replimap-Placeholder')).toBe(String(original.size));
    expectOriginalHeadersOn(standIn.body, original.body);
    expect((await readFolder(b, 'INBOX')).filter(isStandIn)).toEqual([]);
    expect(await digestsOf(a, (m) => !isStandIn(m))).toEqual(await digestsOf(b, (m) => m.size <= LIMIT));

    await setFlags(a, 'INBOX', [standIn.uid], ['\\Flagged'], []);
    expect(await sync()).toMatchObject({ copied: 1, expunged: 1 });
    const onA = await readFolder(a, 'INBOX');
    expect(onA.filter(isStandIn)).toEqual([]);
    expect(onA.some((m) => m.uid === standIn.uid)).toBe(false);
    expect(onA.filter((m) => sha256(m.body) === sha256(original.body))).toHaveLength(1);
    expect(await digestsOf(a)).toEqual(await digestsOf(b));
    // B's original is where it was, byte for byte.
    expect(sha256((await readFolder(b, 'INBOX')).find((m) => m.uid === original.uid)!.body)).toBe(sha256(original.body));

    expect(await sync()).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0 });
    expect(await digestsOf(a)).toEqual(await digestsOf(b));
  });

  // A second run with no size filter, or a larger --max-size, replaces every stand-in it lets through by the real
  // message and deletes the stand-in; what the larger one still holds back keeps its stand-in until a run lets it through.
  it.each([
    { mode: 'copy', looser: [[]] },
    { mode: 'mirror', looser: [['--max-size', '150000', '--placeholders'], []] },
    { mode: 'two-way', looser: [[]] },
  ])('$mode: a looser filter replaces the stand-ins by the real messages, then nothing is left to do', async ({ mode, looser }) => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const sizes = [2_000, 200_000, 120_000, 2_000, 80_000];
    await seedFolder(a, 'INBOX', sizes.map((bytes, i) => ({ raw: withOriginalHeaders(padded(i + 1, bytes > LIMIT ? 'big' : 'small', bytes)) })));
    const sync = syncOf(a, b, mode);
    const big = (await readFolder(a, 'INBOX')).filter((m) => m.size > LIMIT);
    expect(big).toHaveLength(3);

    expect(await sync()).toMatchObject({ copied: 2, deferred: 3 });
    expect((await readFolder(b, 'INBOX')).filter(isStandIn).map((m) => headerOf(m, 'X-Replimap-Placeholder')).sort()).toEqual(big.map((m) => String(m.size)).sort());

    let held = big;
    for (const filter of looser) {
      const limit = filter.length === 0 ? Infinity : Number(filter[1]);
      const letThrough = held.filter((m) => m.size <= limit).length;
      held = held.filter((m) => m.size > limit);
      expect(await sync([], filter)).toMatchObject({ copied: letThrough, expunged: letThrough });
      const onB = await readFolder(b, 'INBOX');
      expect(onB.filter(isStandIn).map((m) => headerOf(m, 'X-Replimap-Placeholder')).sort()).toEqual(held.map((m) => String(m.size)).sort());
      expect(await digestsOf(b, (m) => !isStandIn(m))).toEqual(await digestsOf(a, (m) => m.size <= limit));
    }
    expect(await digestsOf(b)).toEqual(await digestsOf(a));
    expect(await sync([], [])).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0, deferred: 0 });
    expect(await digestsOf(b)).toEqual(await digestsOf(a));
    expect((await readFolder(a, 'INBOX')).filter(isStandIn)).toEqual([]);
  });

  /** Two Dovecots, A seeded with a small message and a big one (`bigFlags`). */
  async function bigOnA(bigFlags: string[]): Promise<{ a: DovecotServer; b: DovecotServer }> {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    await seedFolder(a, 'INBOX', [{ raw: padded(1, 'small', 2_000) }, { raw: padded(2, 'big', 200_000), flags: bigFlags }]);
    return { a, b };
  }

  it('two-way, the state file deleted: the stand-in is not copied back to A nor made twice; a looser filter then replaces it', async () => {
    const { a, b } = await bigOnA([]);
    const statePath = join(tempDir(), 'placeholders.state');
    const sync = syncOf(a, b, 'two-way', statePath);
    const original = (await readFolder(a, 'INBOX')).find((m) => m.size > LIMIT)!;
    await sync();
    expect((await readFolder(b, 'INBOX')).filter(isStandIn)).toHaveLength(1);
    for (const suffix of ['', '.journal']) rmSync(statePath + suffix, { force: true });
    expect(await sync()).toMatchObject({ copied: 0, expunged: 0 });
    const onA = await readFolder(a, 'INBOX');
    expect(onA.filter(isStandIn)).toEqual([]);
    expect(onA.map((m) => sha256(m.body)).sort()).toEqual([sha256(original.body), ...onA.filter((m) => m.size <= LIMIT).map((m) => sha256(m.body))].sort());
    expect(onA).toHaveLength(2);
    expect((await readFolder(b, 'INBOX')).filter(isStandIn)).toHaveLength(1);

    expect(await sync([], [])).toMatchObject({ copied: 1, expunged: 1 });
    const onB = await readFolder(b, 'INBOX');
    expect(onB.filter(isStandIn)).toEqual([]);
    expect(await digestsOf(b)).toEqual(await digestsOf(a));
    expect(await sync([], [])).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0 });
  });

  it('copy: an original expunged on A keeps its stand-in on B; put back, it pairs with it again (no second one); a looser filter then replaces it', async () => {
    const { a, b } = await bigOnA([]);
    const sync = syncOf(a, b, 'copy');
    const original = (await readFolder(a, 'INBOX')).find((m) => m.size > LIMIT)!;
    expect(await sync()).toMatchObject({ copied: 1, deferred: 1 });
    const standIn = (await readFolder(b, 'INBOX')).find(isStandIn)!;
    await expungeUids(a, 'INBOX', [original.uid]);
    expect(await sync()).toMatchObject({ copied: 0, expunged: 0 });
    expect((await readFolder(b, 'INBOX')).filter(isStandIn).map((m) => m.uid)).toEqual([standIn.uid]);
    await seedFolder(a, 'INBOX', [{ raw: original.body }]);
    expect(await sync()).toMatchObject({ copied: 0, expunged: 0 });
    expect((await readFolder(b, 'INBOX')).filter(isStandIn).map((m) => m.uid)).toEqual([standIn.uid]);
    expect(await sync([], [])).toMatchObject({ copied: 1, expunged: 1 });
    expect((await readFolder(b, 'INBOX')).filter(isStandIn)).toEqual([]);
    expect(await digestsOf(b)).toEqual(await digestsOf(a));
    expect(await sync([], [])).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0 });
  });

  it('copy: an original \\Flagged from the start gets an unflagged stand-in; flagging that one fetches it', async () => {
    const { a, b } = await bigOnA(['\\Flagged']);
    const sync = syncOf(a, b, 'copy');
    const original = (await readFolder(a, 'INBOX')).find((m) => m.size > LIMIT)!;
    expect(await sync()).toMatchObject({ copied: 1, deferred: 1 });
    const standIn = (await readFolder(b, 'INBOX')).find(isStandIn)!;
    expect(standIn.flags).toEqual([]);
    expect(await sync()).toMatchObject({ copied: 0, flagsUpdated: 0 });
    await setFlags(b, 'INBOX', [standIn.uid], ['\\Flagged'], []);
    expect(await sync()).toMatchObject({ copied: 1, expunged: 1 });
    const onB = await readFolder(b, 'INBOX');
    expect(onB.filter(isStandIn)).toEqual([]);
    expect(onB.find((m) => sha256(m.body) === sha256(original.body))!.flags).toEqual(['\\Flagged']);
    expect((await readFolder(a, 'INBOX')).find((m) => m.uid === original.uid)!.flags).toEqual(['\\Flagged']);
    expect(await sync()).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0 });
  });
});
