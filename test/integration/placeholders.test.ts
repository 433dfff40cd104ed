// Issue 9 §2 and §6 against real Dovecot, through the real command: a stand-in
// round trip with --placeholders. A message held back by --max-size appears on
// B as a small stand-in with the original's headers; the user flags it via
// IMAP; the next run replaces it with the exact original (body digest) and
// keeps the user's flags; a run after that has nothing to do.

import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readFolder, seedFolder, setFlags, type StoredMessage } from '../support/imap.js';
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

describe('--placeholders through the CLI (issue 9 §2, §6)', () => {
  const servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  it.each(['copy', 'mirror', 'two-way'] as const)('%s: stand-in with the original headers; flagged via IMAP, the next run puts the exact original in its place, flags kept', async (mode) => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    await seedFolder(a, 'INBOX', [{ raw: padded(1, 'small', 2_000) }, { raw: withOriginalHeaders(padded(2, 'big', 200_000)), flags: ['\\Seen'] }, { raw: padded(3, 'small', 2_000) }]);
    const statePath = join(tempDir(), 'placeholders.state');
    const env = passwordEnv(a, b);
    const sync = async (...extra: string[]): Promise<SyncJson> => {
      const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--json', '--mode', mode, '--max-size', String(LIMIT), '--placeholders', ...extra];
      const run = await runCli(args, env);
      expect(run.code, `stderr: ${run.stderr}`).toBe(0);
      const json = JSON.parse(run.stdout) as SyncJson;
      expect([json.ok, json.failed]).toEqual([true, []]);
      return json;
    };
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

  /** Two Dovecots, A seeded with a small message and a big one (`bigFlags`); `sync(mode, ...extra)` runs the CLI with --max-size and --placeholders. */
  async function bigOnA(bigFlags: string[]): Promise<{ a: DovecotServer; b: DovecotServer; statePath: string; sync: (mode: string, ...extra: string[]) => Promise<SyncJson> }> {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    await seedFolder(a, 'INBOX', [{ raw: padded(1, 'small', 2_000) }, { raw: padded(2, 'big', 200_000), flags: bigFlags }]);
    const statePath = join(tempDir(), 'placeholders.state');
    const sync = async (mode: string, ...extra: string[]): Promise<SyncJson> => {
      const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--json', '--mode', mode, ...extra];
      const run = await runCli(args, passwordEnv(a, b));
      expect(run.code, `stderr: ${run.stderr}`).toBe(0);
      const json = JSON.parse(run.stdout) as SyncJson;
      expect([json.ok, json.failed]).toEqual([true, []]);
      return json;
    };
    return { a, b, statePath, sync };
  }

  it('two-way, the state file deleted: the stand-in is not copied back to A nor made twice; a looser filter then replaces it', async () => {
    const { a, b, statePath, sync } = await bigOnA([]);
    const filter = ['--max-size', String(LIMIT), '--placeholders'];
    const original = (await readFolder(a, 'INBOX')).find((m) => m.size > LIMIT)!;
    await sync('two-way', ...filter);
    expect((await readFolder(b, 'INBOX')).filter(isStandIn)).toHaveLength(1);
    for (const suffix of ['', '.journal']) rmSync(statePath + suffix, { force: true });
    expect(await sync('two-way', ...filter)).toMatchObject({ copied: 0, expunged: 0 });
    const onA = await readFolder(a, 'INBOX');
    expect(onA.filter(isStandIn)).toEqual([]);
    expect(onA.map((m) => sha256(m.body)).sort()).toEqual([sha256(original.body), ...onA.filter((m) => m.size <= LIMIT).map((m) => sha256(m.body))].sort());
    expect(onA).toHaveLength(2);
    expect((await readFolder(b, 'INBOX')).filter(isStandIn)).toHaveLength(1);

    expect(await sync('two-way')).toMatchObject({ copied: 1, expunged: 1 });
    const onB = await readFolder(b, 'INBOX');
    expect(onB.filter(isStandIn)).toEqual([]);
    expect(onB.map((m) => sha256(m.body)).sort()).toEqual((await readFolder(a, 'INBOX')).map((m) => sha256(m.body)).sort());
    expect(await sync('two-way')).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0 });
  });

  it('copy: an original \\Flagged from the start gets an unflagged stand-in; flagging that one fetches it', async () => {
    const { a, b, sync } = await bigOnA(['\\Flagged']);
    const filter = ['--max-size', String(LIMIT), '--placeholders'];
    const original = (await readFolder(a, 'INBOX')).find((m) => m.size > LIMIT)!;
    expect(await sync('copy', ...filter)).toMatchObject({ copied: 1, deferred: 1 });
    const standIn = (await readFolder(b, 'INBOX')).find(isStandIn)!;
    expect(standIn.flags).toEqual([]);
    expect(await sync('copy', ...filter)).toMatchObject({ copied: 0, flagsUpdated: 0 });
    await setFlags(b, 'INBOX', [standIn.uid], ['\\Flagged'], []);
    expect(await sync('copy', ...filter)).toMatchObject({ copied: 1, expunged: 1 });
    const onB = await readFolder(b, 'INBOX');
    expect(onB.filter(isStandIn)).toEqual([]);
    expect(onB.find((m) => sha256(m.body) === sha256(original.body))!.flags).toEqual(['\\Flagged']);
    expect((await readFolder(a, 'INBOX')).find((m) => m.uid === original.uid)!.flags).toEqual(['\\Flagged']);
    expect(await sync('copy', ...filter)).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 0 });
  });
});
