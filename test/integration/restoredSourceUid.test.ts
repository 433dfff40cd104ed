// Review 9, bug 2 against real Dovecot (mirror and two-way): B's Maildir put
// back to a copy taken before m.11 reached its X, then m.12 (the same size,
// another Message-ID) delivered to B's X takes m.11's UID. Dovecot gives X's
// counters back as the state recorded them, HIGHESTMODSEQ and STATUS SIZE
// included (the sizes are equal on purpose): the run sees no restore (checked:
// no "went back in time"). A user copies m.11 into Y on A and reads it in X,
// so X is read, B's side incrementally (m.12 unseen). The plan's cheapest way
// to put m.11 into B's Y is a server-side copy of the UID the state gives m.11
// in B's X, whose size is asked first (sizeQuestions.ts): the size matches, and
// only the global id asked with it tells that the UID holds m.12. m.11 must be
// appended from A instead; no m.12 in Y, and nothing lost (without the id
// check, B's Y got m.12 and the run said nothing). That finding is a restore
// seen: X is read again in full in the same run and planned as gone back in
// time, so A's flag changes on m.11 never reach m.12 (they did, and a
// \Deleted there lost m.12 on both sides once A's client expunged).

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, expungeUids, openClient, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { backupMaildir, restoreMaildir } from '../support/maildirBackup.js';
import { digest } from '../support/storeConformance.js';
import { syncOnce, syncUntilSkipped, tempDir, type EngineRun } from '../support/sync.js';
import { taggedMessage } from '../support/taggedMessages.js';

const [m11, m12] = [taggedMessage(11, 'm'), taggedMessage(12, 'm')];
const digestOf = (raw: string): string => digest(Buffer.from(raw));

describe('a restore gave a UID the state knows to another message of the same size (Dovecot)', () => {
  let servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  /**
   * A and B synced with m.11 in X, B's Maildir restored from before it and m.12 delivered at m.11's UID, then A's
   * client copies m.11 into Y (the copy the size question is asked for).
   */
  async function restoredWithM12(mode: 'two-way' | 'mirror'): Promise<{ a: DovecotServer; b: DovecotServer; sync: () => Promise<EngineRun>; m11OnA: number }> {
    expect(m12.length).toBe(m11.length);
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir('replimap-restored-uid-'), 'state');
    const sync = (): Promise<EngineRun> => syncOnce(a, b, statePath, { mode });
    await seedFolder(a, 'X', []);
    await seedFolder(a, 'Y', []);
    expect((await sync()).failures).toEqual([]);
    const backup = await backupMaildir(b);
    const [m11OnA] = await seedFolder(a, 'X', [{ raw: m11 }]);
    expect((await sync()).summary.bySide!.b.copied).toBe(1);
    await syncUntilSkipped(sync, 3); // INBOX, X and Y skipped: their counters are those recorded
    const [m11OnB] = (await readFolder(b, 'X')).map((m) => m.uid);
    await restoreMaildir(b, backup);
    expect(await seedFolder(b, 'X', [{ raw: m12 }])).toEqual([m11OnB]);
    const client = await openClient(a);
    await client.mailboxOpen('X');
    await client.messageCopy(String(m11OnA), 'Y', { uid: true });
    await client.logout();
    return { a, b, sync, m11OnA: m11OnA! };
  }

  // A client "moving" m.11 (copy into Y, \Deleted in X, expunge later): the size question finds m.12 at m.11's UID,
  // which must not get the \Deleted (it did: the next run copied m.12 to A \Deleted, and A's expunge lost it).
  it('two-way: A\'s \\Deleted on m.11 does not reach m.12 at its UID on B; m.12 survives A\'s expunge on both sides', async () => {
    const { a, b, sync, m11OnA } = await restoredWithM12('two-way');
    await setFlags(a, 'X', [m11OnA], ['\\Deleted'], []);
    const run = await sync();
    expect(run.failures).toEqual([]);
    expect(run.warnings.filter((w) => /^X: B went back in time \(UID \d+ now holds another message than recorded\)/.test(w))).toHaveLength(1);
    const m12OnB = async (): Promise<string[][]> =>
      (await readFolder(b, 'X')).filter((m) => digest(m.body) === digestOf(m12)).map((m) => m.flags.filter((f) => f !== '\\Seen'));
    expect(await m12OnB()).toEqual([[]]);
    expect((await sync()).failures).toEqual([]);
    expect(await m12OnB()).toEqual([[]]);
    const deletedOnA = (await readFolder(a, 'X')).filter((m) => m.flags.includes('\\Deleted')).map((m) => m.uid);
    await expungeUids(a, 'X', deletedOnA);
    const last = await sync();
    expect(last.failures).toEqual([]);
    const [yA, yB, xA, xB] = await Promise.all([bodyDigestsOf(a, 'Y'), bodyDigestsOf(b, 'Y'), bodyDigestsOf(a, 'X'), bodyDigestsOf(b, 'X')]);
    expect({ yA, yB, xA, xB }).toEqual({ yA: [digestOf(m11)], yB: [digestOf(m11)], xA: [digestOf(m12)], xB: [digestOf(m12)] });
  });

  for (const mode of ['two-way', 'mirror'] as const) {
    it(`${mode}: that UID is not copied into Y in place of the message the state names; no mail lost`, async () => {
      const { a, b, sync, m11OnA } = await restoredWithM12(mode);
      await setFlags(a, 'X', [m11OnA], ['\\Seen'], []);

      const run = await sync();
      // The counters hide the restore; the size question finds m.12 at m.11's UID, and X is read again in full at once.
      expect({ failures: run.failures, rollbacks: run.summary.rollbacks, wentBack: run.warnings.filter((w) => /went back in time/.test(w)).length })
        .toEqual({ failures: [], rollbacks: [{ folder: 'X', side: 'B' }], wentBack: 1 });
      expect(await bodyDigestsOf(b, 'Y')).toEqual([digestOf(m11)]);
      // X read in full, its restore seen, is settled by the next run at the latest (two-way: m.12
      // gets a new UID and reaches A, m.11 comes back to B; mirror: m.11 comes back, m.12, B's own mail, goes as A lacks it).
      const again = await sync();
      expect(again.failures).toEqual([]);
      const [yA, yB, xA, xB] = await Promise.all([bodyDigestsOf(a, 'Y'), bodyDigestsOf(b, 'Y'), bodyDigestsOf(a, 'X'), bodyDigestsOf(b, 'X')]);
      const x = (mode === 'two-way' ? [m11, m12] : [m11]).map(digestOf).sort();
      expect({ yA, yB, xA, xB }).toEqual({ yA: [digestOf(m11)], yB: [digestOf(m11)], xA: x, xB: x });
    });
  }
});
