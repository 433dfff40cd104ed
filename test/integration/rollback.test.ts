// Issue 6, point 7: a server restored from an older copy of its Maildir, then
// new mail that takes the UIDs the state remembers for the lost messages. The
// counters (UIDNEXT, HIGHESTMODSEQ) have moved on, so only the identities of
// the messages behind those UIDs can tell.

import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readFolder, seedFolder, setFlags } from '../support/imap.js';
import { passwordEnv, plainSpecVia, runCli, syncOnce, tempDir } from '../support/sync.js';
import { dropBodyOf, fetchRowOf, startFilterProxy } from '../support/filterProxy.js';
import { backupMaildir, restoreMaildir } from '../support/maildirBackup.js';
import type { SyncMode } from '../../src/sync/types.js';

function message(n: number, tag: string): string {
  return [
    `From: Sender ${n} <s${n}@example.org>`,
    'To: alice@example.org',
    `Subject: ${tag} message ${n}`,
    `Date: Mon, 2 Mar 2026 10:${String(n % 60).padStart(2, '0')}:00 +0000`,
    `Message-ID: <${tag}-${n}@example.org>`,
    '',
    `Body of ${tag} message ${n}.`,
    '',
  ].join('\r\n');
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const digest = (body: Buffer): string => createHash('sha256').update(body).digest('hex');
const digests = async (server: DovecotServer): Promise<string[]> => (await readFolder(server, 'INBOX')).map((m) => digest(m.body)).sort();

/** New mail delivered one message at a time, as a mail server delivers it; returns the UIDs it got. */
async function deliver(server: DovecotServer, numbers: number[], tag: string): Promise<number[]> {
  const uids: number[] = [];
  for (const n of numbers) uids.push(...(await seedFolder(server, 'INBOX', [{ raw: message(n, tag) }])));
  return uids;
}

/** Every digest of `wanted` is in `have` exactly as often. */
function expectContainsOnce(have: string[], wanted: string[], what: string): void {
  for (const d of wanted) expect(have.filter((x) => x === d), `${what}: ${d}`).toHaveLength(wanted.filter((x) => x === d).length);
}

describe('a server restored from an older copy of its Maildir, then new mail on the reused UIDs', () => {
  let servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  interface Restored {
    a: DovecotServer;
    b: DovecotServer;
    statePath: string;
    /** B's messages (digests) just before the restore. */
    beforeOnB: string[];
  }

  /**
   * A gets `first` messages, copied to B; `side`'s Maildir is backed up (then
   * `afterBackup` runs); A gets `more` messages, copied; `side` is restored.
   */
  async function restored(
    side: 'a' | 'b', mode: SyncMode, first: number, more: number, afterBackup?: (b: DovecotServer) => Promise<void>,
  ): Promise<Restored> {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir(), 'rollback.state');
    await seedFolder(a, 'INBOX', range(1, first).map((n) => ({ raw: message(n, 'a') })));
    await syncOnce(a, b, statePath, { mode });
    const backup = await backupMaildir(side === 'a' ? a : b);
    await afterBackup?.(b);
    await seedFolder(a, 'INBOX', range(first + 1, first + more).map((n) => ({ raw: message(n, 'a') })));
    await syncOnce(a, b, statePath, { mode });
    const beforeOnB = await digests(b);
    expect(beforeOnB).toHaveLength(first + more);
    await restoreMaildir(side === 'a' ? a : b, backup);
    expect(await readFolder(side === 'a' ? a : b, 'INBOX')).toHaveLength(first);
    return { a, b, statePath, beforeOnB };
  }

  /**
   * A has 50 messages, copied to B; B's Maildir is backed up; 15 more on A,
   * copied (B has 65); B is restored (back to 50) and gets 20 messages of its
   * own, which take the UIDs 51..70 the state remembers for A's last 15 copies.
   */
  async function restoredB(mode: SyncMode): Promise<Restored & { ownOnB: string[] }> {
    const r = await restored('b', mode, 50, 15);
    const uids = await deliver(r.b, range(1, 20), 'own-on-b');
    expect(uids).toEqual(range(51, 70)); // the UIDs the state remembers for A's last 15 copies
    const ownOnB = (await readFolder(r.b, 'INBOX')).filter((m) => m.uid > 50).map((m) => digest(m.body)).sort();
    return { ...r, ownOnB };
  }

  it('copy: B gets back the 15 messages it lost, keeps its own 20, reports the rollback; the next run is a no-op', async () => {
    const { a, b, statePath, ownOnB } = await restoredB('copy');
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath];
    const run = await runCli([...args, '--json'], passwordEnv(a, b));
    expect(run.code, run.stderr).toBe(0);
    const inA = await digests(a);
    const inB = await digests(b);
    expect(inA).toHaveLength(65);
    expectContainsOnce(inB, inA, 'A message on B');
    expectContainsOnce(inB, ownOnB, 'B message kept');
    expect(inB).toHaveLength(85);

    const summary = JSON.parse(run.stdout);
    expect(summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'B' }]);
    expect(summary.copied).toBe(15);
    expect(summary.warnings.some((w: string) => /INBOX.*B went back in time/.test(w))).toBe(true);

    const again = await syncOnce(a, b, statePath);
    expect(again.summary.copied).toBe(0);
    expect(again.summary.foldersSkipped).toBe(again.summary.folders);
    expect(again.summary.rollbacks).toEqual([]);
    expect(again.warnings).toEqual([]);
  });

  // Issue 8 §2: a client that cached UIDs 51..65 (A's last 15 copies) must not see B's own mail under them.
  for (const mode of ['two-way', 'copy'] as const) {
    it(`${mode}: B's own mail on the 15 reused UIDs gets new UIDs (bodies kept), what B lost comes back; the next run does nothing`, async () => {
      const { a, b, statePath } = await restoredB(mode);
      const onReused = new Map((await readFolder(b, 'INBOX')).filter((m) => m.uid >= 51 && m.uid <= 65).map((m) => [m.uid, digest(m.body)]));
      const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', mode, '--json'];
      const run = await runCli(args, passwordEnv(a, b));
      expect(run.code, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.reassigned.map((r: { uid: number }) => r.uid)).toEqual(range(51, 65));
      const afterRun = new Map((await readFolder(b, 'INBOX')).map((m) => [m.uid, digest(m.body)]));
      for (const r of summary.reassigned as { folder: string; side: string; uid: number; newUid: number }[]) {
        expect([r.folder, r.side]).toEqual(['INBOX', 'B']);
        expect(r.newUid).toBeGreaterThan(70);
        expect(afterRun.get(r.newUid), `B UID ${r.uid} → ${r.newUid}`).toBe(onReused.get(r.uid));
        expect(afterRun.has(r.uid), `B UID ${r.uid} is gone`).toBe(false);
      }
      const inA = await digests(a);
      const inB = await digests(b);
      expect(inB).toHaveLength(85);
      expect(inA).toHaveLength(mode === 'two-way' ? 85 : 65);
      expectContainsOnce(inB, inA, 'A message on B');
      if (mode === 'two-way') expect(inA).toEqual(inB);
      const again = await syncOnce(a, b, statePath, { mode });
      expect([again.failures, again.summary.copied, again.summary.flagsUpdated, again.summary.expunged, again.summary.reassigned])
        .toEqual([[], 0, 0, 0, []]);
      expect(await digests(b)).toEqual(inB);
    });
  }

  it('copy: caught even when the reused UIDs carry mod-sequences below the recorded one (only old messages show as changed)', async () => {
    const flagOneByOne = async (server: DovecotServer, uids: number[]): Promise<void> => {
      for (const uid of uids) await setFlags(server, 'INBOX', [uid], ['$Seen-on-b'], []);
    };
    // Work on B after the backup raises its HIGHESTMODSEQ well above the backup's.
    const { a, b, statePath } = await restored('b', 'copy', 50, 15, (server) => flagOneByOne(server, range(1, 20)));
    expect(await deliver(b, range(1, 20), 'own-on-b')).toEqual(range(51, 70));
    // The new mail's mod-sequences stay below the recorded HIGHESTMODSEQ; flag changes on
    // old messages lift the folder's above it, so only those show as changed.
    await flagOneByOne(b, range(1, 30));
    const run = await syncOnce(a, b, statePath);
    const inB = await digests(b);
    expectContainsOnce(inB, await digests(a), 'A message on B');
    expect(inB).toHaveLength(85);
    expect(run.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'B' }]);
  });

  it('mirror: every one of A’s 65 messages ends up on B; the text summary names the rollback', async () => {
    const { a, b, statePath } = await restoredB('mirror');
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', 'mirror'];
    const run = await runCli(args, passwordEnv(a, b));
    expect(run.code, run.stderr).toBe(0);
    const inA = await digests(a);
    // B's own 20 are not A's: mirror deletes them (the guard allows it), but A's 65 are all there.
    expect(await digests(b)).toEqual(inA);
    expect(run.stdout).toMatch(/rolled back:\s+INBOX \(B\)/);
    expect(run.stderr).toMatch(/INBOX: B went back in time/);
    const again = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(again.summary.copied + again.summary.expunged + again.summary.flagsUpdated).toBe(0);
    expect(again.summary.rollbacks).toEqual([]);
  });

  /**
   * A has 65 messages, mirrored to B; A is restored to its first 50 and gets
   * 20 new ones, which take the UIDs 51..70 the state remembers for the 15
   * messages A lost. Returns the digests of those 15 (still on B).
   */
  async function restoredA(mode: 'copy' | 'mirror'): Promise<Restored & { lost: string[] }> {
    const r = await restored('a', mode, 50, 15);
    const inA = await digests(r.a);
    const lost = r.beforeOnB.filter((d) => !inA.includes(d));
    expect(lost).toHaveLength(15);
    expect(await deliver(r.a, range(1, 20), 'new-on-a')).toEqual(range(51, 70));
    return { ...r, lost };
  }

  const HELD_REASON = /^"INBOX": mirror would delete (\d+) messages? A lacks; A went back in time \(restored from an older backup\?\) and lost them/;

  it('mirror, A restored: nothing on B is expunged in that run, A’s new messages are copied', async () => {
    const { a, b, statePath, beforeOnB, lost } = await restoredA('mirror');
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.summary.expunged).toBe(0);
    const inB = await digests(b);
    expectContainsOnce(inB, beforeOnB, 'what B had');
    expectContainsOnce(inB, await digests(a), 'A message on B');
    expect(inB).toHaveLength(85);
    expect(run.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'A' }]);
    expect(run.warnings.some((w) => /INBOX.*A went back in time/.test(w))).toBe(true);
    // The 15 A lost stay on B, withheld (exit 5) and said why.
    expect(run.summary.deletionsWithheld).toBe(15);
    expect(run.summary.withheld.map((w) => w.reason)).toEqual([expect.stringMatching(/"INBOX": mirror would delete 15 messages A lacks; A went back in time/)]);

    // Later runs no longer see the rollback (run 1 paired the reused UIDs with the new
    // messages), but what A lost stays withheld, every run, for the same reason.
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', 'mirror', '--json'];
    for (const n of [2, 3]) {
      const later = await runCli(args, passwordEnv(a, b));
      expect(later.code, `run ${n}: ${later.stderr}`).toBe(5);
      const summary = JSON.parse(later.stdout);
      expect(summary, `run ${n}`).toMatchObject({ expunged: 0, copied: 0, deletionsWithheld: 15 });
      expect(summary.withheld.map((w: { reason: string }) => w.reason), `run ${n}`).toEqual([expect.stringMatching(HELD_REASON)]);
      expect(summary.withheld[0].count).toBe(15);
      expectContainsOnce(await digests(b), lost, `run ${n}: lost on A, kept on B`);
    }

    // --force alone deletes them; then nothing is left to do.
    const forced = await runCli([...args, '--force'], passwordEnv(a, b));
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ expunged: 15, deletionsWithheld: 0, withheld: [] });
    expect(await digests(b)).toEqual(await digests(a));
    const after = await runCli(args, passwordEnv(a, b));
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject({ copied: 0, expunged: 0, deletionsWithheld: 0, withheld: [], warnings: [] });
  });

  it('mirror, A restored: a lost message A gets back pairs with its copy on B (not copied twice, no longer withheld)', async () => {
    const { a, b, statePath, lost } = await restoredA('mirror');
    expect((await syncOnce(a, b, statePath, { mode: 'mirror' })).summary.deletionsWithheld).toBe(15);
    // The user puts one of the lost messages back on A (the same bytes: the same global id).
    await seedFolder(a, 'INBOX', [{ raw: message(51, 'a') }]);
    const back = digest(Buffer.from(message(51, 'a')));
    expect(lost).toContain(back);

    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.summary).toMatchObject({ copied: 0, expunged: 0, deletionsWithheld: 14 });
    expect(run.summary.withheld.map((w) => w.reason)).toEqual([expect.stringMatching(HELD_REASON)]);
    expect(run.summary.withheld[0]!.count).toBe(14);
    expect((await digests(b)).filter((d) => d === back)).toHaveLength(1);

    const forced = await syncOnce(a, b, statePath, { mode: 'mirror', force: true });
    expect(forced.summary).toMatchObject({ copied: 0, expunged: 14, deletionsWithheld: 0 });
    expect(await digests(b)).toEqual(await digests(a));
    expect(await digests(a)).toHaveLength(71);
  });

  it('copy, A restored: what A lost is remembered, so a later mirror run withholds it (exit 5) until --force', async () => {
    const { a, b, statePath, lost } = await restoredA('copy');
    const copy = await syncOnce(a, b, statePath, { mode: 'copy' });
    expect(copy.summary).toMatchObject({ copied: 20, expunged: 0, deletionsWithheld: 0 });
    expect(copy.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'A' }]);
    // A mirror run on another folder only (INBOX left as it is) completes and records mirror mode.
    await seedFolder(a, 'Other', [{ raw: message(1, 'other') }]);
    const elsewhere = await syncOnce(a, b, statePath, { mode: 'mirror', filter: { include: ['Other'], exclude: [] } });
    expect(elsewhere.summary).toMatchObject({ copied: 1, deletionsWithheld: 0, withheld: [] });

    // INBOX's statuses are unchanged since the copy run, yet its 15 lost messages are reported.
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--mode', 'mirror', '--json'];
    const mirror = await runCli(args, passwordEnv(a, b));
    expect(mirror.code, mirror.stderr).toBe(5);
    const summary = JSON.parse(mirror.stdout);
    expect(summary).toMatchObject({ expunged: 0, deletionsWithheld: 15 });
    expect(summary.withheld.map((w: { reason: string }) => w.reason)).toEqual([expect.stringMatching(HELD_REASON)]);
    expectContainsOnce(await digests(b), lost, 'lost on A, kept on B');

    const forced = await runCli([...args, '--force'], passwordEnv(a, b));
    expect(forced.code, forced.stderr).toBe(0);
    expect(JSON.parse(forced.stdout)).toMatchObject({ expunged: 15, withheld: [] });
    expect(await digests(b)).toEqual(await digests(a));
  });

  it('mirror, A restored with no new mail (its counters went down): nothing on B is expunged in that run', async () => {
    const { a, b, statePath, beforeOnB } = await restored('a', 'mirror', 20, 10);
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.summary.expunged).toBe(0);
    expect(await digests(b)).toEqual(beforeOnB);
    expect(run.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'A' }]);
    expect(run.summary.deletionsWithheld).toBe(10);
    // The rollback is reported once; what A lost stays withheld, for that reason, until --force.
    const again = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(again.summary).toMatchObject({ expunged: 0, deletionsWithheld: 10, rollbacks: [] });
    expect(again.warnings).toEqual([expect.stringMatching(HELD_REASON)]);
    expect(await digests(b)).toEqual(beforeOnB);
    const forced = await syncOnce(a, b, statePath, { mode: 'mirror', force: true });
    expect(forced.summary).toMatchObject({ expunged: 10, deletionsWithheld: 0, withheld: [] });
    expect(await digests(b)).toEqual(await digests(a));
  });

  it('mirror, A restored in a folder where one message keeps failing (no status ever recorded): B keeps the copies of what A lost', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir(), 'rollback.state');
    await deliver(a, range(1, 20), 'a');
    // A never gives the body of UID 1: the folder always has a failure, so its statuses are never recorded.
    const proxy = await startFilterProxy({ targetHost: a.host, targetPort: a.imapPort, filter: dropBodyOf(1) });
    try {
      const via = { a: plainSpecVia(a, proxy.port) };
      expect((await syncOnce(a, b, statePath, { mode: 'mirror' }, {}, via)).failures.map((f) => f.uid)).toEqual([1]);
      const backup = await backupMaildir(a);
      await deliver(a, range(21, 25), 'a');
      await syncOnce(a, b, statePath, { mode: 'mirror' }, {}, via);
      const beforeOnB = await digests(b);
      expect(beforeOnB).toHaveLength(24);
      await restoreMaildir(a, backup);
      await deliver(a, range(1, 7), 'new'); // UIDs 21..27: five of them were A's lost messages' UIDs

      const run = await syncOnce(a, b, statePath, { mode: 'mirror' }, {}, via);
      expect(run.summary.expunged).toBe(0);
      expect(run.summary.rollbacks).toEqual([{ folder: 'INBOX', side: 'A' }]);
      const onB = await digests(b);
      expectContainsOnce(onB, beforeOnB, 'what B had');
      const onA = (await readFolder(a, 'INBOX')).filter((m) => m.uid !== 1).map((m) => digest(m.body));
      expectContainsOnce(onB, onA, 'A message on B');
    } finally {
      await proxy.close();
    }
  });

  it('B reporting other sizes than A for Message-ID-less mail: a flag set on B is no rollback, nothing copied twice', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir(), 'rollback.state');
    const noId = (n: number): { raw: string } => ({
      raw: [`From: <n${n}@example.org>`, `Subject: note ${n}`, 'Date: Tue, 3 Mar 2026 09:00:00 +0100', '', `note ${n}`, ''].join('\r\n'),
    });
    await seedFolder(a, 'INBOX', [noId(1), noId(2), noId(3)]);
    // B counts its copies' bytes otherwise (as Dovecot does for a bare CR it normalised on APPEND):
    // a Message-ID-less copy gets another global id on B than its original on A.
    const proxy = await startFilterProxy({
      targetHost: b.host, targetPort: b.imapPort,
      filter: (response) => {
        if (!fetchRowOf(response)) return response;
        return Buffer.from(response.toString('latin1').replace(/RFC822\.SIZE (\d+)/gi, (_, n: string) => `RFC822.SIZE ${Number(n) + 7}`), 'latin1');
      },
    });
    try {
      const via = { b: plainSpecVia(b, proxy.port) };
      expect((await syncOnce(a, b, statePath, {}, {}, via)).summary.copied).toBe(3);
      const [m] = await readFolder(b, 'INBOX');
      await setFlags(b, 'INBOX', [m!.uid], ['\\Flagged'], []);
      const second = await syncOnce(a, b, statePath, {}, {}, via);
      expect({ copied: second.summary.copied, rollbacks: second.summary.rollbacks, failures: second.failures })
        .toEqual({ copied: 0, rollbacks: [], failures: [] });
      expect(await digests(b)).toEqual(await digests(a));
      expect((await readFolder(b, 'INBOX')).filter((x) => x.flags.includes('\\Flagged'))).toHaveLength(1); // copy: B's own flag stays
    } finally {
      await proxy.close();
    }
  });
});

/** Damages the first record line of INBOX's section (its uidB no longer parses). */
function damageFirstRecord(statePath: string): void {
  const lines = readFileSync(statePath, 'utf8').split('\n');
  const header = lines.findIndex((l) => l === 'folder "INBOX" "INBOX"');
  expect(header).toBeGreaterThan(0);
  const at = lines.findIndex((l, i) => i > header && /^[0-9]/.test(l));
  const [uidA, , ...rest] = lines[at]!.split(' ');
  lines[at] = [uidA, 'x', ...rest].join(' ');
  writeFileSync(statePath, lines.join('\n'));
}

// Second hostile review of issue 6: the held marks of what A lost live in the state section; a damaged
// section is discarded with them, and the folder must not then be planned as a first run that deletes.
describe('a damaged state section × held records (mirror)', () => {
  let servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  it('a damaged record line in a folder with held records does not delete what A lost (B holds the only copies) without --force', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir(), 'held-damaged.state');
    await seedFolder(a, 'INBOX', range(1, 50).map((n) => ({ raw: message(n, 'a') })));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const backup = await backupMaildir(a);
    await seedFolder(a, 'INBOX', range(51, 65).map((n) => ({ raw: message(n, 'a') })));
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const beforeOnB = await digests(b);
    await restoreMaildir(a, backup);
    const inA = await digests(a);
    const lost = beforeOnB.filter((d) => !inA.includes(d));
    expect(lost).toHaveLength(15);
    for (const n of range(1, 20)) await seedFolder(a, 'INBOX', [{ raw: message(n, 'new-on-a') }]);

    const first = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(first.summary.deletionsWithheld).toBe(15); // held: B holds the only copies

    // One record line of INBOX's section rots (or a disk error): the section is discarded.
    damageFirstRecord(statePath);
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    for (const d of lost) expect(await digests(b), 'a message A lost, kept on B').toContain(d);
    expect(run.summary.expunged).toBe(0);
    expect(run.summary.deletionsWithheld).toBe(15);
    // And the run after it still withholds them (the marks were written again), until --force.
    const again = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(again.summary.expunged).toBe(0);
    expect(again.summary.deletionsWithheld).toBe(15);
    const forced = await syncOnce(a, b, statePath, { mode: 'mirror', force: true });
    expect(forced.summary.expunged).toBe(15);
    const onB = await digests(b);
    for (const d of lost) expect(onB).not.toContain(d);
  });
});
