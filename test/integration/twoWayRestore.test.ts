// Issue 8 §2 against real Dovecot: B's Maildir put back to an older copy, then
// new mail on B takes a UID the state remembers for a message B lost, so that
// B's INBOX counters come back as the state recorded them. (The case where the
// counters moved on, 15 UIDs reused, is in rollback.test.ts.)
//
// What Dovecot 2.3 really does (checked here on every run, see countersBack):
// UIDVALIDITY, UIDNEXT and MESSAGES come back exactly as recorded, and so does
// HIGHESTMODSEQ: the backup's index carries the older HIGHESTMODSEQ, and the one
// APPEND raises it by one, as the lost message's APPEND did. A restore plus one
// new message is thus invisible to LIST-STATUS.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, openClient, readFolder, seedFolder } from '../support/imap.js';
import { backupMaildir, restoreMaildir } from '../support/maildirBackup.js';
import { syncOnce, syncUntilSkipped, tempDir, type EngineRun } from '../support/sync.js';
import { taggedMessage, taggedMessages } from '../support/taggedMessages.js';

const digest = (body: Buffer | string): string => createHash('sha256').update(body).digest('hex');
const digests = async (server: DovecotServer): Promise<string[]> => (await readFolder(server, 'INBOX')).map((m) => digest(m.body)).sort();

interface Counters {
  uidValidity: string;
  uidNext: number;
  messages: number;
  highestModseq: string;
}

/** INBOX's STATUS: the counters LIST-STATUS gives the planner. */
async function countersOf(server: DovecotServer): Promise<Counters> {
  const client = await openClient(server);
  try {
    const s = await client.status('INBOX', { uidValidity: true, uidNext: true, messages: true, highestModseq: true });
    if (!s) throw new Error('STATUS INBOX failed');
    return { uidValidity: String(s.uidValidity), uidNext: s.uidNext!, messages: s.messages!, highestModseq: String(s.highestModseq) };
  } finally {
    await client.logout();
  }
}

describe('two-way, B restored from an older Maildir and new mail with the counters as recorded (Dovecot)', () => {
  let servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  /**
   * A's INBOX r.0..r.2 synced two-way to B; B backed up; r.3 on A synced (B UID 4);
   * B restored and given b.0, which takes UID 4. Returns B's counters as the
   * state recorded them (a run that skipped INBOX proves it) and after.
   * `made` makes A's messages (tagged ones by default).
   */
  async function countersBack(
    newOnB = taggedMessages('b', 1),
    made: typeof taggedMessages = taggedMessages,
  ): Promise<{ a: DovecotServer; b: DovecotServer; sync: () => Promise<EngineRun>; recorded: Counters; now: Counters }> {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir('replimap-twoway-restore-'), 'state');
    const sync = (): Promise<EngineRun> => syncOnce(a, b, statePath, { mode: 'two-way' });
    await seedFolder(a, 'INBOX', made('r', 3));
    expect((await sync()).failures).toEqual([]);
    const backup = await backupMaildir(b);
    await seedFolder(a, 'INBOX', made('r', 1, 3));
    expect((await sync()).summary.bySide!.b.copied).toBe(1);
    const skipped = await syncUntilSkipped(sync, 1); // INBOX skipped: its counters now are those recorded
    console.log(`runs until INBOX was skipped (folders skipped per run): ${skipped.join(' ')}`);
    const recorded = await countersOf(b);
    await restoreMaildir(b, backup);
    expect(await seedFolder(b, 'INBOX', newOnB)).toEqual([4]); // the UID the state remembers for r.3
    return { a, b, sync, recorded, now: await countersOf(b) };
  }

  it('Dovecot gives the counters back as recorded, HIGHESTMODSEQ included', async () => {
    const { recorded, now } = await countersBack();
    expect(now).toEqual(recorded);
  });

  it('A deleted the message the reused UID held: B\'s new message is kept, given a new UID and copied to A; the next run does nothing', async () => {
    const { a, b, sync } = await countersBack();
    const r3 = (await readFolder(a, 'INBOX')).find((m) => m.body.toString() === taggedMessage(3, 'r'))!;
    await expungeUids(a, 'INBOX', [r3.uid]);
    const run = await sync();
    expect({ failures: run.failures, reassigned: run.summary.reassigned!.map((r) => [r.folder, r.side, r.uid]), expunged: run.summary.expunged })
      .toEqual({ failures: [], reassigned: [['INBOX', 'B', 4]], expunged: 0 });
    const onB = await readFolder(b, 'INBOX');
    const moved = onB.find((m) => m.body.toString() === taggedMessage(0, 'b'));
    expect(moved?.uid).toBe(run.summary.reassigned![0]!.newUid);
    expect(onB.map((m) => m.uid)).not.toContain(4);
    const want = [...taggedMessages('r', 3), ...taggedMessages('b', 1)].map((m) => digest(m.raw)).sort();
    expect([await digests(a), await digests(b)]).toEqual([want, want]);
    const again = await sync();
    expect([again.failures, again.summary.copied, again.summary.flagsUpdated, again.summary.expunged, again.summary.reassigned]).toEqual([[], 0, 0, 0, []]);
  });

  // Was a KNOWN BUG (as in twoWayReview.test.ts): with A unchanged too, both sides' counters are those recorded
  // and INBOX was skipped as unchanged. B's LIST-STATUS now asks SIZE (Dovecot has STATUS=SIZE) and the state
  // records it: b.10 is longer than r.3, so INBOX's size is not the one recorded, which with HIGHESTMODSEQ and
  // UIDNEXT as recorded only a restore explains. (New mail of r.3's very size stays unseen: man page, TWO-WAY MODE.)
  it('A unchanged, new mail on B of another size than the lost one: b.10 reaches A, r.3 comes back to B, the next run does nothing', async () => {
    const { a, b, sync, recorded, now } = await countersBack(taggedMessages('b', 1, 10));
    expect(now).toEqual(recorded);
    const first = await sync();
    const again = await sync();
    const want = [...taggedMessages('r', 4), ...taggedMessages('b', 1, 10)].map((m) => digest(m.raw)).sort();
    expect({
      failures: first.failures, warned: first.warnings.some((w) => /B went back in time .*SIZE/.test(w)),
      a: await digests(a), b: await digests(b), again: [again.failures, again.summary.copied, again.summary.expunged, again.summary.flagsUpdated],
    }).toEqual({ failures: [], warned: true, a: want, b: want, again: [[], 0, 0, 0] });
  });

  // Bug 3: no message has a Message-ID, so their global ids hash their sizes, and b.0 has r.3's very size (the
  // folder's SIZE is as recorded too). Only the headers tell b.0 from r.3 (the record keeps the size its id hashes):
  // before, b.0 at r.3's UID was taken for B's version of r.3 and expunged with it, from both sides, exit 0.
  it('without Message-IDs, A deleted the message the reused UID held: B\'s new message of its very size is kept, given a new UID and copied to A', async () => {
    const noMessageId = (tag: string, count: number, from?: number): { raw: string }[] =>
      taggedMessages(tag, count, from).map((m) => ({ raw: m.raw.replace(/^Message-ID: [^\r]*\r\n/m, '') }));
    const { a, b, sync, recorded, now } = await countersBack(noMessageId('b', 1), noMessageId);
    expect(now).toEqual(recorded);
    const [r3, b0] = [...noMessageId('r', 1, 3), ...noMessageId('b', 1)].map((m) => m.raw);
    expect(b0!.length).toBe(r3!.length);
    await expungeUids(a, 'INBOX', [(await readFolder(a, 'INBOX')).find((m) => m.body.toString() === r3)!.uid]);
    const run = await sync();
    expect({ failures: run.failures, reassigned: run.summary.reassigned?.map((r) => [r.folder, r.side, r.uid]), expunged: run.summary.expunged })
      .toEqual({ failures: [], reassigned: [['INBOX', 'B', 4]], expunged: 0 });
    const want = [...noMessageId('r', 3), ...noMessageId('b', 1)].map((m) => digest(m.raw)).sort();
    expect([await digests(a), await digests(b)]).toEqual([want, want]);
    const again = await sync();
    expect([again.failures, again.summary.copied, again.summary.flagsUpdated, again.summary.expunged, again.summary.reassigned]).toEqual([[], 0, 0, 0, []]);
    expect([await digests(a), await digests(b)]).toEqual([want, want]);
  });
});
