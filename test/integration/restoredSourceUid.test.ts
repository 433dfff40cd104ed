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
// check, B's Y got m.12 and the run said nothing).

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, openClient, readFolder, seedFolder, setFlags } from '../support/imap.js';
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

  for (const mode of ['two-way', 'mirror'] as const) {
    it(`${mode}: that UID is not copied into Y in place of the message the state names; no mail lost`, async () => {
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
      await setFlags(a, 'X', [m11OnA!], ['\\Seen'], []);

      const run = await sync();
      expect({ failures: run.failures, rollbacks: run.summary.rollbacks, wentBack: run.warnings.filter((w) => /went back in time/.test(w)) })
        .toEqual({ failures: [], rollbacks: [], wentBack: [] }); // the restore is invisible: the size question is what decides
      expect(await bodyDigestsOf(b, 'Y')).toEqual([digestOf(m11)]);
      // Setting \Seen on B's UID moved B's X on: the next run reads it, sees the restore and settles X (two-way: m.12
      // gets a new UID and reaches A, m.11 comes back to B; mirror: m.11 comes back, m.12, B's own mail, goes as A lacks it).
      const again = await sync();
      expect(again.failures).toEqual([]);
      const [yA, yB, xA, xB] = await Promise.all([bodyDigestsOf(a, 'Y'), bodyDigestsOf(b, 'Y'), bodyDigestsOf(a, 'X'), bodyDigestsOf(b, 'X')]);
      const x = (mode === 'two-way' ? [m11, m12] : [m11]).map(digestOf).sort();
      expect({ yA, yB, xA, xB }).toEqual({ yA: [digestOf(m11)], yB: [digestOf(m11)], xA: x, xB: x });
    });
  }
});
