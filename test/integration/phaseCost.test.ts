// What an incremental run costs in IMAP commands, against real Dovecot, compared
// with the one-pass core (dc6888a: each pair read, planned and executed in one
// go on one connection pair; its figures were measured with this very test on
// that commit, same Dovecot, same seeds, --connections 1). Planning the whole
// account before acting has a price, and only that price is allowed: a folder
// acted on is opened again, once per side it is acted on (A: EXAMINE to copy
// from; B: SELECT to change flags or delete in).

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, readFolder, seedFolder, setFlags } from '../support/imap.js';
import { taggedMessage, taggedMessages } from '../support/taggedMessages.js';
import { syncOnce, tempDir } from '../support/sync.js';

const FOLDERS = ['INBOX', 'Work', 'Lists/dev'];

describe('incremental cost in commands, three folders changed, --connections 1', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    for (const f of FOLDERS) await seedFolder(a, f, taggedMessages(`cost-${f}`, 5));
    statePath = join(tempDir(), 'cost.state');
    await syncOnce(a, b, statePath, { mode: 'mirror', connections: 1 });
    await syncOnce(a, b, statePath, { mode: 'mirror', connections: 1 });
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  async function expectBEqualsA(): Promise<void> {
    for (const f of FOLDERS) expect(await bodyDigestsOf(b, f), f).toEqual(await bodyDigestsOf(a, f));
  }

  // dc6888a: A 16, B 16. Now each folder is opened again on A (copies) and on B (flag changes).
  it('one new message and one flag change in each folder (mirror) costs the one-pass core plus one open per folder and side acted on', async () => {
    for (const f of FOLDERS) {
      const onA = await readFolder(a, f);
      await setFlags(a, f, [onA[1]!.uid], ['\\Flagged'], []);
      await seedFolder(a, f, [{ raw: taggedMessage(50, `late-${f}`) }]);
    }
    const run = await syncOnce(a, b, statePath, { mode: 'mirror', connections: 1 });
    expect(run.failures).toEqual([]);
    expect([run.summary.copied, run.summary.flagsUpdated]).toEqual([3, 3]);
    await expectBEqualsA();
    const cost = { a: run.summary.stats.a.commands, b: run.summary.stats.b.commands };
    console.log(`incremental mirror cost: ${JSON.stringify(cost)}`);
    expect(cost.a).toBeLessThanOrEqual(ONE_PASS_COST.mirror.a + FOLDERS.length);
    expect(cost.b).toBeLessThanOrEqual(ONE_PASS_COST.mirror.b + FOLDERS.length);
  });

  // dc6888a: A 16, B 17. Now each folder is opened again on A (copies); B needs no folder to append to.
  it('one new message in each folder (copy) costs the one-pass core plus one open per folder and side acted on', async () => {
    for (const f of FOLDERS) await seedFolder(a, f, [{ raw: taggedMessage(51, `later-${f}`) }]);
    const run = await syncOnce(a, b, statePath, { mode: 'copy', connections: 1 });
    expect(run.failures).toEqual([]);
    expect(run.summary.copied).toBe(3);
    await expectBEqualsA();
    const cost = { a: run.summary.stats.a.commands, b: run.summary.stats.b.commands };
    console.log(`incremental copy cost: ${JSON.stringify(cost)}`);
    expect(cost.a).toBeLessThanOrEqual(ONE_PASS_COST.copy.a + FOLDERS.length);
    expect(cost.b).toBeLessThanOrEqual(ONE_PASS_COST.copy.b);
  });
});

/** Measured on dc6888a with this file. */
const ONE_PASS_COST = {
  mirror: { a: 16, b: 16 },
  copy: { a: 16, b: 17 },
};
