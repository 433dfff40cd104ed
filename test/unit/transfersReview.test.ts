// Hostile review of server-side moves and copies (review7): a test per bug
// found, fixed on branch fixT, except the one kept by design (it.fails, last).
// Memory stores, real engine (as test/unit/transfers.test.ts).

import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryServer, MemoryServerOptions } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';

afterEach(forgetMemorySpecs);

/** Digests with flags per folder. */
function contents(server: MemoryServer): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of server.folderNames()) out[f] = server.messages(f).map((m) => `${digest(m.body).slice(0, 12)} ${m.flags.join(',')}`).sort();
  return out;
}

/** The world of memoryWorld synced once in `mode`, then A's first INBOX message moved to Archive; its digest. */
async function movedOnA(mode: SyncOptions['mode'], bOptions: MemoryServerOptions = {}): Promise<{ world: MemoryWorld; moved: string }> {
  const world = memoryWorld({ mode }, bOptions);
  expect((await world.sync()).failures).toEqual([]);
  const m = world.a.messages('INBOX')[0]!;
  world.a.append('Archive', [{ raw: m.body, flags: m.flags, internalDate: m.internalDate }]);
  world.a.expunge('INBOX', [m.uid]);
  return { world, moved: digest(m.body) };
}

/** Another client of B expunges B INBOX `uid` just before replimap's UID MOVE / UID COPY (which then moves nothing). */
function expungedBeforeTransfer(world: MemoryWorld, uid: number): void {
  world.b.beforeOperation = (op) => {
    if (op !== 'moveMessages' && op !== 'copyMessages') return;
    world.b.beforeOperation = undefined;
    world.b.expunge('INBOX', [uid]);
  };
}

/** A B that answers UID MOVE and UID COPY without COPYUID, as a server without UIDPLUS does. */
const NO_COPYUID: MemoryServerOptions = { copyUid: false };

// Diagnosis: transferInto (src/sync/transferExecute.ts) takes a UID MOVE/COPY
// that did not fail as done for every transfer of the command. A source UID
// absent from the COPYUID answer (the server moved nothing: another client
// expunged or moved it since the read; IMAP answers OK) is recorded by
// recordTransfer as a one-sided record (B UID 0, "paired next run by global
// id"), counted as transferred, and the target's transfersUnsettled is undone,
// so both folders' statuses are recorded. B Archive did not change, A Archive
// did not change: the next runs skip Archive as unchanged and the one-sided
// record is never acted on (a run that reads Archive again, after any change
// there, does copy it). Copy mode alike. Exit 0 every run while B lacks the
// message. A UID missing from a COPYUID that was given should be a
// failed transfer (listed, both folders unsettled); only a wholly missing
// COPYUID (no UIDPLUS) may mean "arrived, UID unknown".
// Fixed (fixT): settle (transferExecute.ts) lists such a UID as a failed
// transfer and leaves both folders unsettled.
describe('review7: a transfer whose source is gone when it runs', () => {
  for (const mode of ['mirror', 'copy'] as const) {
    it(`${mode}: B's copy of the moved message is expunged by a B client between read and act; the run lists a failed transfer, and a rerun puts it in B Archive`, async () => {
      const { world, moved } = await movedOnA(mode);
      const source = world.b.messages('INBOX').find((m) => digest(m.body) === moved)!;
      expungedBeforeTransfer(world, source.uid);
      const run = await world.sync();
      expect(bodies(world.b, 'Archive')).not.toContain(moved);
      // (The command's only UID gone, the answer has no COPYUID at all: nothing was copied; moves branch.)
      expect(run.failures.map((f) => `${f.folder} ${f.side} ${f.uid} ${/COPYUID/.test(f.reason)}`)).toEqual([`INBOX B ${source.uid} true`]);
      const rerun = await world.sync();
      expect.soft(rerun.failures).toEqual([]);
      expect.soft(bodies(world.b, "Archive")).toEqual([moved]);
      expect(contents(world.b).Archive).toEqual(contents(world.a).Archive);
    });
  }
});

// Diagnosis: transferGroup opens the source folder once, then runs one
// transferInto per target folder. deltasOnNewUids opens the *target* folder to
// set the flag deltas on the new UIDs and leaves it open, so the next target's
// UID MOVE/COPY names source UIDs in the previous target folder: it moves or
// copies whatever holds those UIDs there (here A's flagged message, moved on
// from Archive into Work), or nothing (then the bug above). The result's
// COPYUID maps the UIDs given, so recordTransfer records Work's global id at a
// UID holding another message, and Archive's record at a UID now empty. Fix
// direction: reopen the source before each command (or set all deltas after
// all commands of the group).
// Fixed (fixT): transferGroup runs every command of the group first, with the
// source open, then each command's flag deltas and records.
describe('review7: one source folder, two target folders, the first with a flag delta', () => {
  for (const mode of ['mirror', 'copy'] as const) {
    it(`${mode}: the second UID MOVE/COPY runs in the source folder (not the first target, opened by its flag delta): right messages, right UIDs`, async () => {
      const world = memoryWorld({ mode });
      world.a.append('Archive', [6, 7].map((n) => ({ raw: conformanceMessage(n) })));
      expect((await world.sync()).failures).toEqual([]);
      // B: INBOX UIDs 1-3, Archive UIDs 1-2. On A, INBOX UID 1 goes to Archive flagged (a delta on B's new UID 3
      // there), INBOX UID 3 to Work: B's second command then names UID 3 while Archive is open.
      const [first, , third] = world.a.messages('INBOX');
      world.a.append('Archive', [{ raw: first!.body, flags: ['\\Flagged'], internalDate: first!.internalDate }]);
      world.a.append('Work', [{ raw: third!.body, flags: third!.flags, internalDate: third!.internalDate }]);
      if (mode === 'mirror') world.a.expunge('INBOX', [first!.uid, third!.uid]);
      // Copy mode: INBOX must change on A to be read (an unchanged pair is no source).
      else world.a.setFlags('INBOX', [world.a.messages('INBOX')[1]!.uid], ['\\Seen'], []);
      const run = await world.sync();
      expect.soft(run.failures).toEqual([]);
      expect.soft(contents(world.b).Archive, 'B Archive after the run').toEqual(contents(world.a).Archive);
      expect.soft(contents(world.b).Work, 'B Work after the run').toEqual(contents(world.a).Work);
      expect.soft(bodies(world.b, 'Work').filter((d) => d === digest(first!.body)), 'A\'s Archive message moved on into Work').toEqual([]);
      const rerun = await world.sync();
      expect.soft(rerun.failures).toEqual([]);
      const again = await world.sync();
      expect.soft(again.summary, 'the run after a clean rerun is a no-op').toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
      expect.soft(bodies(world.b, 'Work'), 'B Work has A\'s Work message after two runs').toContain(digest(third!.body));
      expect.soft(contents(world.b).Work, 'B Work after two runs').toEqual(contents(world.a).Work);
      if (mode === 'mirror') expect.soft(contents(world.b)).toEqual(contents(world.a));
    });
  }
});

// Diagnosis (minor): without COPYUID (a server without UIDPLUS) transferInto
// has no new UIDs, so deltasOnNewUids sets no flags and recordTransfer records
// the copy one-sided; nothing is listed or said. The copy is there with the
// source's flags; the next run reads Archive (its UIDNEXT moved), pairs it by
// global id and fixes the flags. So one run exits 0 with B's flags not A's.
// Fixed (fixT): settle warns (target folder, count) and records the merge
// base as the flags the copy has, so the next run sets A's flags on it.
// Changed (moves branch): without COPYUID the copies are found in the target by
// global id (from its UIDNEXT when read), so the delta is set in the same run.
describe('review7 (minor): a server that answers UID MOVE without COPYUID (no UIDPLUS)', () => {
  for (const mode of ['mirror', 'two-way'] as const) {
    it(`${mode}: the copy is found in the target by global id and the flag delta set in the same run, no warning`, async () => {
      const world = memoryWorld({ mode }, NO_COPYUID);
      expect((await world.sync()).failures).toEqual([]);
      const m = world.a.messages('INBOX')[0]!;
      world.a.append('Archive', [{ raw: m.body, flags: ['\\Flagged'], internalDate: m.internalDate }]);
      world.a.expunge('INBOX', [m.uid]);
      const run = await world.sync();
      expect(run.summary.transferred).toBe(1);
      expect(run.failures).toEqual([]);
      expect(run.warnings).toEqual([]);
      expect(contents(world.b).Archive).toEqual([`${digest(m.body).slice(0, 12)} \\Flagged`]);
      expect(contents(world.b)).toEqual(contents(world.a));
      expect((await world.sync()).summary, 'the run after is a no-op').toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
    });
  }
});

// Found while fixing (fixT): without COPYUID a command that moved nothing
// (its source gone since the read; Dovecot then answers OK without COPYUID
// even with UIDPLUS) cannot be told from one that did. The run cannot know; the
// target folder is left unsettled so the next run reads it and copies it.
// Changed (moves branch): that run exited 0 with B lacking the message. Now the
// run looks for the copy in the target by global id: not there, a failure
// (exit 1), and the next run copies it.
describe('fixT: a server that answers without COPYUID, the source gone when the command runs', () => {
  for (const mode of ['mirror', 'copy', 'two-way'] as const) {
    it(`${mode}: the run lists the transfer as failed (exit 1), the next run puts the message in B Archive`, async () => {
      const { world, moved } = await movedOnA(mode, NO_COPYUID);
      const source = world.b.messages('INBOX').find((m) => digest(m.body) === moved)!.uid;
      expungedBeforeTransfer(world, source);
      const run = await world.sync();
      expect(run.summary.transferred).toBe(0);
      expect(run.failures.map((f) => `${f.folder} ${f.side} ${f.uid}`)).toEqual([`INBOX B ${source}`]);
      expect(bodies(world.b, 'Archive')).toEqual([]);
      expect((await world.sync()).failures).toEqual([]);
      expect(bodies(world.b, 'Archive')).toEqual([moved]);
      expect(contents(world.b).Archive).toEqual(contents(world.a).Archive);
      expect((await world.sync()).summary, 'the run after is a no-op').toMatchObject({ copied: 0, transferred: 0, flagsUpdated: 0, expunged: 0 });
    });
  }
});

// Diagnosis: planTransfers trusts global id + size as "the same message".
// The global id hashes Message-ID, Date, From and Subject only, so two
// deliveries of one mail that differ in another header (a spam score, a relay
// name) of the same length pass; B moves its own older version into Archive
// and records it as A's. The append path sends A's exact body, so this is new
// with transfers (the core conflates such versions only when it re-matches
// after a UIDVALIDITY change). Nothing ever corrects it: the record says
// synced. A cheap check (e.g. a body digest or BODY.PEEK[HEADER] digest of the
// source compared with A's) would close it; size alone cannot.
// Kept as it is (fixT): a documented design choice. man/replimap.1, IDENTITY:
// "When an id has one message on each side, the two are paired whatever their
// sizes (servers may rewrite bytes on APPEND)"; a transfer pairs as the core
// does, and the man page's moves paragraph says it outright ("a version with
// the same global id and the same size is taken to be the moved message"). `it.fails`: this test passes while the choice stands and fails (tells)
// if a body check is ever added.
describe('review7: another version under the same global id and of the same size (design choice, see IDENTITY)', () => {
  it.fails('mirror (known, by design): B moves its own version (same Message-ID, Date, From, Subject and size, another body) in place of A\'s', async () => {
    const world = memoryWorld({ mode: 'mirror' });
    expect((await world.sync()).failures).toEqual([]);
    const old = world.a.messages('INBOX')[0]!;
    // A second delivery of message 1 whose header says another thing in as many bytes (a spam score, a relay name).
    const other = Buffer.from(old.body.toString('latin1').replace('X-Other: not part of the id', 'X-Other: NOT part of the id'), 'latin1');
    expect(other.length).toBe(old.body.length);
    expect(digest(other)).not.toBe(digest(old.body));
    world.a.append('Archive', [{ raw: other }]);
    world.a.expunge('INBOX', [old.uid]);
    const run = await world.sync();
    expect.soft(run.failures).toEqual([]);
    expect.soft(bodies(world.b, 'Archive'), 'B Archive holds A\'s version').toEqual([digest(other)]);
    await world.sync();
    expect.soft(bodies(world.b, 'Archive'), 'B Archive holds A\'s version after a rerun').toEqual([digest(other)]);
  });
});
