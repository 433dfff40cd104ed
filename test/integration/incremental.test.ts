// Issue: truly incremental runs and automatic recovery from desynchronisation.

import { execFileSync } from 'node:child_process';
import { rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { syncOnce, tempDir } from '../support/sync.js';

function message(n: number, tag: string, withMessageId = true): string {
  return [
    `From: Sender ${n} <s${n}@example.org>`,
    'To: alice@example.org',
    `Subject: ${tag} message ${n}`,
    `Date: Mon, 2 Mar 2026 10:${String(n % 60).padStart(2, '0')}:00 +0000`,
    ...(withMessageId ? [`Message-ID: <${tag}-${n}@example.org>`] : []),
    '',
    `Body of ${tag} message ${n}.`,
    '',
  ].join('\r\n');
}

async function fill(server: DovecotServer, folders: string[], perFolder: number, tag: string): Promise<void> {
  for (const folder of folders) {
    await seedFolder(server, folder, Array.from({ length: perFolder }, (_, i) => ({ raw: message(i, `${tag}-${folder}`) })));
  }
}

/** Like a backup tool: owners and modes kept (Dovecot runs as another user). */
const copyPreserving = (from: string, to: string): void => {
  execFileSync('cp', ['-a', from, to]);
};

const bodies = (ms: { body: Buffer }[]): string[] => ms.map((m) => m.body.toString()).sort();

describe('a no-op resync costs O(1) commands per server', () => {
  const sizes = [2, 20];
  const costs: { a: number; b: number; skipped: number; folders: number }[] = [];
  const servers: DovecotServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  for (const n of sizes) {
    it(`with ${n} folders`, async () => {
      const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
      servers.push(a, b);
      const folders = ['INBOX', ...Array.from({ length: n - 1 }, (_, i) => `Folder${i}`)];
      await fill(a, folders, 3, 'noop');
      const statePath = join(tempDir(), 'noop.state');
      const first = await syncOnce(a, b, statePath);
      expect(first.summary.copied).toBe(3 * n);
      // Copy mode records B's status after its own appends (nobody else wrote
      // meanwhile), so the very next run has nothing to read.
      const noop = await syncOnce(a, b, statePath);
      expect(noop.summary.copied).toBe(0);
      expect(noop.summary.foldersSkipped).toBe(n);
      costs.push({ a: noop.summary.stats.a.commands, b: noop.summary.stats.b.commands, skipped: noop.summary.foldersSkipped, folders: n });
    });
  }

  it('costs the same for 2 and for 20 folders', () => {
    expect(costs).toHaveLength(2);
    expect(costs[1]!.a).toBe(costs[0]!.a);
    expect(costs[1]!.b).toBe(costs[0]!.b);
    // connect + login + list-status + logout, give or take capability/namespace/enable.
    expect(costs[0]!.a).toBeLessThanOrEqual(8);
  });
});

describe('incremental runs and recovery', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;
  const folders = ['INBOX', 'Work', 'Lists/dev'];

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    await fill(a, folders, 10, 'inc');
    statePath = join(tempDir(), 'inc.state');
    await syncOnce(a, b, statePath);
    await syncOnce(a, b, statePath);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  /** Every message of A is on B exactly once (B may hold more of its own: copy never deletes). */
  async function expectBHasA(): Promise<void> {
    for (const f of folders) {
      const inB = bodies(await readFolder(b, f));
      for (const m of bodies(await readFolder(a, f))) {
        expect(inB.filter((x) => x === m), `${f}: ${m.slice(0, 60)}`).toHaveLength(1);
      }
    }
  }

  it('only the changed folder is opened, and only the change moves', async () => {
    const work = await readFolder(a, 'Work');
    await setFlags(a, 'Work', [work[3]!.uid], ['\\Flagged'], []);
    await seedFolder(a, 'Work', [{ raw: message(99, 'late') }]);
    const run = await syncOnce(a, b, statePath);
    expect(run.summary.foldersSkipped).toBe(run.summary.folders - 1);
    expect(run.summary.copied).toBe(1);
    expect(run.summary.flagsUpdated).toBe(1);
    const flagged = (await readFolder(b, 'Work')).filter((m) => m.flags.includes('\\Flagged'));
    expect(flagged.map((m) => m.body.toString())).toEqual([work[3]!.body.toString()]);
    await expectBHasA();
  });

  it('messages deleted on B behind our back are copied again; messages added on B are kept', async () => {
    const inboxB = await readFolder(b, 'INBOX');
    await expungeUids(b, 'INBOX', [inboxB[0]!.uid, inboxB[1]!.uid]);
    await seedFolder(b, 'INBOX', [{ raw: message(1, 'only-on-b') }]);
    const run = await syncOnce(a, b, statePath);
    expect(run.summary.copied).toBe(2);
    const after = await readFolder(b, 'INBOX');
    expect(after).toHaveLength(11);
    expect(after.some((m) => m.body.toString().includes('only-on-b'))).toBe(true);
    const again = await syncOnce(a, b, statePath);
    expect(again.summary.copied).toBe(0);
  });

  it('UIDVALIDITY changed on B: pairs rebuilt by global id, nothing copied twice or deleted', async () => {
    const before = await readFolder(b, 'Work');
    await b.doveadm(['mailbox', 'update', '-u', 'alice', '--uid-validity', '4242', 'Work']);
    const run = await syncOnce(a, b, statePath);
    expect(run.warnings.some((w) => w.includes('UIDVALIDITY'))).toBe(true);
    expect(run.summary.copied).toBe(0);
    expect(bodies(await readFolder(b, 'Work'))).toEqual(bodies(before));
  });

  it('UIDVALIDITY changed on A: nothing copied twice', async () => {
    await a.doveadm(['mailbox', 'update', '-u', 'alice', '--uid-validity', '777', 'Lists/dev']);
    const run = await syncOnce(a, b, statePath);
    expect(run.warnings.some((w) => w.includes('UIDVALIDITY'))).toBe(true);
    expect(run.summary.copied).toBe(0);
    await expectBHasA();
  });

  it('--full reads every folder and checks every identity, and changes nothing when all is in sync', async () => {
    const run = await syncOnce(a, b, statePath, { full: true });
    expect(run.summary.foldersSkipped).toBe(0);
    expect(run.summary.copied).toBe(0);
    expect(run.summary.flagsUpdated).toBe(0);
    expect(run.warnings).toEqual([]);
    await expectBHasA();
  });

  it('a lost state file behaves like a first run against a full B: no duplicates', async () => {
    unlinkSync(statePath);
    const run = await syncOnce(a, b, statePath);
    expect(run.summary.copied).toBe(0);
    for (const f of folders) {
      const inB = await readFolder(b, f);
      expect(new Set(bodies(inB)).size, `no duplicate in ${f}`).toBe(inB.length);
    }
    await expectBHasA();
  });
});

describe('a server restored from an old backup reuses UIDs', () => {
  it('the reused UIDs are not trusted: new messages are copied, nothing is lost', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    try {
      const statePath = join(tempDir(), 'restore.state');
      await seedFolder(a, 'Restore', Array.from({ length: 5 }, (_, i) => ({ raw: message(i, 'old') })));
      await syncOnce(a, b, statePath);
      const folderDir = join(a.maildirOf(), 'Restore');
      const backup = join(tempDir(), 'backup');
      copyPreserving(folderDir, backup);

      await seedFolder(a, 'Restore', Array.from({ length: 3 }, (_, i) => ({ raw: message(10 + i, 'lost-in-restore') })));
      await syncOnce(a, b, statePath);
      expect(await readFolder(b, 'Restore')).toHaveLength(8);

      // Disaster: A's folder comes back from the backup, then new mail arrives and
      // gets the UIDs the lost messages had.
      rmSync(folderDir, { recursive: true, force: true });
      copyPreserving(backup, folderDir);
      const reused = await seedFolder(a, 'Restore', Array.from({ length: 2 }, (_, i) => ({ raw: message(20 + i, 'after-restore') })));
      expect(Math.min(...reused)).toBeLessThanOrEqual(8); // really reused

      const run = await syncOnce(a, b, statePath);
      expect(run.warnings.some((w) => w.includes('back in time') || w.includes('reused'))).toBe(true);
      const inB = bodies(await readFolder(b, 'Restore'));
      for (const m of await readFolder(a, 'Restore')) expect(inB).toContain(m.body.toString());
      // The three messages the restore lost on A are still on B (copy never deletes).
      expect(inB.filter((x) => x.includes('lost-in-restore'))).toHaveLength(3);
      expect(inB).toHaveLength(10);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
