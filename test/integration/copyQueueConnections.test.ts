// Issue 9 §1's one copy queue on real Dovecot with several connections: a run
// cut by --max-time copied the account's newest mail first, across folders;
// the next run copies the rest; every body once (digests), and the run after
// reads nothing. Copy mode, and two-way from both sides at once.
//
// The budget needs no wall clock (as in maxTime.test.ts): the run's clock
// moves 60 s per stored batch only, and the budget is 90 s, so no batch
// starts after the second one is stored. Each folder's newest 200 messages
// (one batch) are newer than the next folder's, and its last message older
// than all of them, so the queue's first turns are one per folder, in folder
// order. The connections take them in that order: before the first batch is
// stored one each, before the second one more; so the batches started are
// among the queue's first CONNECTIONS + 1, however the connections interleave,
// and at least two (the second starts before it is stored, or after the first
// is, on a clock still within the budget).

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_MAX_MESSAGES } from '../../src/sync/batches.js';
import { runSync } from '../../src/sync/engine.js';
import type { SyncMode, SyncSummary } from '../../src/sync/types.js';
import type { DovecotServer } from '../support/dovecot.js';
import { dovecotPairs } from '../support/dovecotPairs.js';
import { readFolder, seedFolder, type StoredMessage } from '../support/imap.js';
import { batchClock, defaultOptions, specOf, tempDir } from '../support/sync.js';
import { taggedMessages } from '../support/taggedMessages.js';

const FOLDERS = ['F0', 'F1', 'F2', 'F3', 'F4', 'F5'];
/** Per folder and side: one full batch of recent mail and one old message (a second batch). */
const PER_FOLDER = BATCH_MAX_MESSAGES + 1;
const CONNECTIONS = 3;
const digest = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/**
 * Seeds `tag`'s mail in every folder: folder f's first batch is newer than
 * folder f+1's, its last message older than all of them. `offset` (in hours)
 * sets a side's mail between the other's.
 */
async function seedAll(server: DovecotServer, tag: string, offset: number): Promise<void> {
  const hour = 3_600_000;
  const newest = Date.UTC(2025, 5, 1);
  for (const [f, folder] of FOLDERS.entries()) {
    const dates = Array.from({ length: PER_FOLDER }, (_, i) =>
      new Date(i < BATCH_MAX_MESSAGES ? newest - ((f * 2 + offset) * 1000 + i) * hour : Date.UTC(2001, 0, 1 + f * 2 + offset)));
    await seedFolder(server, folder, taggedMessages(`${tag}-${folder}`, PER_FOLDER).map((m, i) => ({ ...m, internalDate: dates[i]! })));
  }
}

async function everything(server: DovecotServer): Promise<Map<string, StoredMessage[]>> {
  return new Map(await Promise.all(FOLDERS.map(async (f) => [f, await readFolder(server, f)] as const)));
}

/** Every folder's body digests, sorted. */
async function digestsByFolder(server: DovecotServer): Promise<Record<string, string[]>> {
  const all = await everything(server);
  return Object.fromEntries([...all].map(([f, ms]) => [f, ms.map((m) => digest(m.body)).sort()]));
}

/** The digests, sorted, of the `n` newest of `messages` (by INTERNALDATE). */
function newestDigests(messages: readonly StoredMessage[], n: number): string[] {
  return [...messages].sort((x, y) => y.internalDate.getTime() - x.internalDate.getTime()).slice(0, n).map((m) => digest(m.body)).sort();
}

/** A sync on the engine whose clock moves 60 s per stored batch (batchClock); `budget`: --max-time in ms. */
function sync(a: DovecotServer, b: DovecotServer, statePath: string, mode: SyncMode, budget?: number): Promise<SyncSummary> {
  const { observer, now } = batchClock();
  const options = { ...defaultOptions, mode, connections: CONNECTIONS, ...(budget !== undefined && { maxTimeMs: budget }) };
  return runSync({ a: specOf(a), b: specOf(b), statePath, options }, observer, undefined, now);
}

describe(`the copy queue with --connections ${CONNECTIONS}, on Dovecot`, () => {
  const pair = dovecotPairs();

  it('copy mode: a cut run copies the account’s newest batches across folders; the next the rest; every body once; then nothing is read', async () => {
    const [a, b] = await pair();
    await seedAll(a, 'a', 0);
    const statePath = join(tempDir(), 'queue.state');
    const total = FOLDERS.length * PER_FOLDER;

    const cut = await sync(a, b, statePath, 'copy', 90_000);
    expect(cut.left).toMatchObject({ messages: total - cut.copied, folders: FOLDERS.length });
    expect(cut.stats.b.connections, 'connections to B').toBeGreaterThan(1);
    // Whole newest batches of the queue's first turns: no old message (a folder's last batch comes after every
    // folder's newest), at least two folders, at most one per connection and one more (see the top).
    const onA = await everything(a);
    const onB = await everything(b);
    const started = FOLDERS.filter((f) => onB.get(f)!.length > 0);
    for (const f of started) expect(onB.get(f)!.map((m) => digest(m.body)).sort(), f).toEqual(newestDigests(onA.get(f)!, BATCH_MAX_MESSAGES));
    expect(cut.copied).toBe(started.length * BATCH_MAX_MESSAGES);
    expect(started.length).toBeGreaterThanOrEqual(2);
    expect(FOLDERS.slice(0, CONNECTIONS + 1)).toEqual(expect.arrayContaining(started));

    const rest = await sync(a, b, statePath, 'copy');
    expect([rest.copied, rest.left]).toEqual([total - cut.copied, undefined]);
    expect(await digestsByFolder(b)).toEqual(await digestsByFolder(a));

    const again = await sync(a, b, statePath, 'copy');
    expect([again.copied, again.foldersSkipped]).toEqual([0, again.folders]);
  });

  it('two-way, mail only each side holds in every folder: a cut initial run, then the rest; each message once on both sides; then nothing is read', async () => {
    const [a, b] = await pair();
    await seedAll(a, 'a', 0);
    await seedAll(b, 'b', 1);
    const statePath = join(tempDir(), 'twoway.state');
    const total = 2 * FOLDERS.length * PER_FOLDER;

    const own = { a: await everything(a), b: await everything(b) };
    const cut = await sync(a, b, statePath, 'two-way', 90_000);
    expect(cut.left).toMatchObject({ messages: total - cut.copied });
    expect(cut.stats.b.connections, 'connections to B').toBeGreaterThan(1);
    // Each way, each folder: nothing, or the newest batch of the source's own mail; no old message; at least two batches.
    let batches = 0;
    for (const [target, source] of [['a', 'b'], ['b', 'a']] as const) {
      const now = await everything(target === 'a' ? a : b);
      for (const f of FOLDERS) {
        const before = new Set(own[target].get(f)!.map((m) => digest(m.body)));
        const copied = now.get(f)!.map((m) => digest(m.body)).filter((d) => !before.has(d)).sort();
        if (copied.length === 0) continue;
        expect(copied, `${f} to ${target}`).toEqual(newestDigests(own[source].get(f)!, BATCH_MAX_MESSAGES));
        batches++;
      }
    }
    expect(cut.copied).toBe(batches * BATCH_MAX_MESSAGES);
    expect(batches).toBeGreaterThanOrEqual(2);
    const rest = await sync(a, b, statePath, 'two-way');
    expect([cut.copied + rest.copied, rest.left]).toEqual([total, undefined]);
    expect([cut.bySide!.a.copied + rest.bySide!.a.copied, cut.bySide!.b.copied + rest.bySide!.b.copied]).toEqual([total / 2, total / 2]);

    const both = await digestsByFolder(a);
    expect(await digestsByFolder(b)).toEqual(both);
    for (const folder of FOLDERS) {
      expect(both[folder], folder).toHaveLength(2 * PER_FOLDER);
      expect(new Set(both[folder]).size, `${folder}: a message twice`).toBe(2 * PER_FOLDER);
    }
    const again = await sync(a, b, statePath, 'two-way');
    expect([again.copied, again.flagsUpdated, again.expunged, again.foldersSkipped]).toEqual([0, 0, 0, again.folders]);
  });
});
