// Bug (fixed: src/sync/reusedFound.ts), found while reproducing review 9's bug 2 against Dovecot
// (test/integration/restoredSourceUid.test.ts): B restored, new mail m12 of
// m11's very size takes m11's UID in X with X's counters as recorded (STATUS
// SIZE included), so the restore is unseen. A user "moves" m11 from X to Y the
// way many clients do: copy, \Deleted now, expunge later. The run's size
// question (a server-side copy into Y could use B's UID) reads that the UID
// holds another message, so m11 is rightly appended into Y; but the same run
// still sets \Deleted on that UID, i.e. on m12, and says nothing. The next run
// sees the restore and gives m12 a new UID and a copy on A, both \Deleted; A's
// client expunging its \Deleted mail then deletes m12 from both sides (every
// run exit 0). The fix: a UID the size question finds holding another message
// is a restore seen: the pair is read again in full at once and planned as
// gone back in time (rollback.ts); should that second plan find one again, the
// UID gets no flag change and no deletion (reusedFound.ts).
// Without the copy into Y no read sees the restore at all: the man page says
// so (TWO-WAY MODE, "What stays unseen"), and only --full helps.

import { afterEach, describe, expect, it } from 'vitest';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { bodies, everyBody } from '../support/memoryWorld.js';
import { restoredWithM12 } from '../support/restoredM12.js';

afterEach(forgetMemorySpecs);

/** Message 12 without Message-ID, padded to m11's size: its id hashes its size, and only its headers tell it from m11. */
function m12WithoutMessageId(): Buffer {
  const text = conformanceMessage(12).toString('latin1').replace(/^Message-ID:.*\r\n/imu, '');
  const pad = conformanceMessage(11).length - Buffer.byteLength(text, 'latin1');
  expect(pad).toBeGreaterThan(0);
  return Buffer.from(text + 'x'.repeat(pad), 'latin1');
}

describe('a size question that finds a reused UID', () => {
  for (const [what, m12] of [['with', conformanceMessage(12)], ['without', m12WithoutMessageId()]] as const) {
  it(`two-way: A moves m11 from X to Y (copy, \\Deleted, expunge later): m12 (${what} Message-ID), new on B at m11's UID, is not deleted`, async () => {
    const world = await restoredWithM12('two-way', m12);
    world.a.setFlags('X', [world.a.messages('X')[0]!.uid], ['\\Deleted'], []);
    const found = await world.sync();
    expect(found.failures).toEqual([]);
    expect(found.warnings.some((w) => /^X: B went back in time \(UID \d+ now holds another message than recorded\)/.test(w))).toBe(true);
    const m12OnB = (): string[][] => world.b.messages('X').filter((m) => digest(m.body) === digest(m12)).map((m) => m.flags);
    expect(m12OnB()).toEqual([[]]);
    expect((await world.sync()).failures).toEqual([]);
    expect(m12OnB()).toEqual([[]]);
    world.a.expunge('X', world.a.messages('X').filter((m) => m.flags.includes('\\Deleted')).map((m) => m.uid));
    const last = await world.sync();
    const m12Digest = digest(m12);
    expect({ failures: last.failures, onA: everyBody(world.a).includes(m12Digest), onB: everyBody(world.b).includes(m12Digest) })
      .toEqual({ failures: [], onA: true, onB: true });
  });
}
});

describe('a size question that finds a reused UID in a folder the run skips as unchanged', () => {
  it('two-way: the copy into Y is appended, and the user is told (once) that X needs --full', async () => {
    const world = await restoredWithM12('two-way');
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect(run.summary.foldersSkipped).toBeGreaterThan(0);
    const told = run.warnings.filter((w) => /^X: B UID \d+ holds another message than recorded although the folder looks unchanged/.test(w));
    expect(told).toHaveLength(1);
    expect(bodies(world.b, 'Y')).toEqual([digest(conformanceMessage(11))]);
    const full = await world.sync({ full: true });
    expect(full.failures).toEqual([]);
    expect(bodies(world.a, 'X')).toEqual(bodies(world.b, 'X'));
    expect(bodies(world.b, 'X')).toEqual([digest(conformanceMessage(11)), digest(conformanceMessage(12))].sort());
  });
});
