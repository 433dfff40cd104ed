// A state and journal written by the release that wrote format 1 (see
// test/fixtures/state-format-1/README.md) open with today's code, lose
// nothing, and are rewritten as format 2 by the next commit.
import { describe, expect, it } from 'vitest';
import { copyFile, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord } from '../../src/state/types.js';
import { crashCopy, snapshot, tempStateDir } from '../support/stateFiles.js';

const fixtures = fileURLToPath(new URL('../fixtures/state-format-1/', import.meta.url));
const ID = { storeA: 'imap://alice@a.test/', storeB: 'imap://alice@b.test/' };
const INBOX = { nameA: 'INBOX', nameB: 'INBOX' };
const ODD = { nameA: 'Sent "Items" 😀', nameB: 'Gesendete Objekte/Entwürfe ü' };

const at = tempStateDir('replimap-upgrade-');

async function fixture(withJournal: boolean): Promise<void> {
  await copyFile(join(fixtures, 'state'), at.path);
  if (withJournal) await copyFile(join(fixtures, 'state.journal'), `${at.path}.journal`);
}

const rec = (uidA: number, uidB: number, gid: string, flags: string[], marks: Partial<MessageRecord> = {}): MessageRecord => ({
  uidA, uidB, gid, flags, ...marks,
});

/** What make.ts.txt wrote, its journal replayed (in snapshot() form). */
const EXPECTED = [
  {
    nameA: 'Broken', nameB: 'Kaputt', statusA: undefined, statusB: undefined, discarded: true,
    records: [rec(0, 2, 'CCCCCCCCCCCCCCC2', ['\\Seen'], { held: 'unknown' })],
  },
  { nameA: 'Empty', nameB: 'Empty', statusA: undefined, statusB: undefined, discarded: false, records: [] },
  {
    ...INBOX,
    statusA: { uidValidity: 1700000000n, uidNext: 12, highestModseq: 9223372036854775807n, messages: 6 },
    statusB: { uidValidity: 4294967295n, uidNext: 40, messages: 5 },
    discarded: false,
    records: [
      rec(0, 34, 'AAAAAAAAAAAAAAA4', ['\\Seen', 'a b'], { held: 'rollback' }),
      rec(0, 35, 'AAAAAAAAAAAAAAA5', [], { held: 'unknown' }),
      rec(0, 36, 'AAAAAAAAAAAAAAA6', ['$Junk']),
      rec(1, 31, 'AAAAAAAAAAAAAAA1', ['\\Seen', '\\Flagged', '$Forwarded']),
      rec(2, 32, 'AAAAAAAAAAAAAAA2', ['odd flag', '100%', 'ключ', '\\Answered']),
      rec(3, 0, 'AAAAAAAAAAAAAAA3', ['\\Seen']),
      rec(7, 37, 'AAAAAAAAAAAAAAA7', []),
      rec(9, 39, 'AAAAAAAAAAAAAAA9', ['\\Seen']), // from the journal
    ],
  },
  {
    ...ODD,
    statusA: { uidValidity: 3n, uidNext: 4, highestModseq: 17n, messages: 1 }, // from the journal
    statusB: { uidValidity: 5n, uidNext: 9, highestModseq: 0n, messages: 2 },
    discarded: false,
    records: [rec(1, 7, 'BBBBBBBBBBBBBBB1', ['\\Seen', '\\Flagged'])], // 2/8 deleted by the journal
  },
];

describe('a format-1 state written by the previous release', () => {
  it('opens with every record, status, held mark, discarded mark, the mode and the journal intent; commits as format 2 and reads back the same', async () => {
    await fixture(true);
    const s = await SyncState.open(at.path, ID);
    expect(s.warnings).toEqual(['recovered 6 change(s) from the journal of an interrupted run']);
    expect(s.identityVersion).toBe(1);
    expect(s.lastMode).toBe('mirror');
    expect(s.hasChanges).toBe(true);
    expect(s.unresolvedIntents()).toEqual([{ ...INBOX, side: 'a', uid: 8, gid: 'AAAAAAAAAAAAAAA8' }]);
    expect(s.folder('INBOX', 'INBOX')!.hasHeldRecords()).toBe(true);
    expect(snapshot(s)).toEqual(EXPECTED);
    await s.commit();
    await s.close();

    const text = await readFile(at.path, 'utf8');
    expect(text.split('\n').slice(0, 5)).toEqual([
      'replimap-state 2', `stores ${JSON.stringify(ID.storeA)} ${JSON.stringify(ID.storeB)}`, 'generation 3', 'identity 1', 'mode mirror',
    ]);
    expect(text).toContain('\nfolder "Broken" "Kaputt"\ndiscarded\n0 2 CCCCCCCCCCCCCCC2 %held:unknown \\Seen\n');
    await expect(stat(`${at.path}.journal`)).rejects.toThrow(/ENOENT/);
    const t = await SyncState.open(at.path, ID);
    expect(t.warnings).toEqual([]);
    expect(t.hasChanges).toBe(false);
    expect(t.identityVersion).toBe(1);
    expect(t.lastMode).toBe('mirror');
    expect(snapshot(t)).toEqual(EXPECTED);
    await t.close();
  });

  it('a run that changes nothing still upgrades it; unparsed sections are copied byte for byte', async () => {
    await fixture(false);
    const v1 = await readFile(at.path, 'utf8');
    const s = await SyncState.open(at.path, ID);
    expect(s.warnings).toEqual([]);
    expect(s.hasChanges).toBe(true);
    await s.commit();
    await s.close();
    const v2 = v1.replace('replimap-state 1\n', 'replimap-state 2\n').replace('generation 2\n', 'generation 3\nidentity 1\n');
    expect(await readFile(at.path, 'utf8')).toBe(v2);
  });

  it('its journal is replayed and then continued as version 2; a crash before the commit loses nothing', async () => {
    await fixture(true);
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'put', ...INBOX, record: rec(8, 0, 'AAAAAAAAAAAAAAA8', [], { status: 'pending' }) });
    await s.flush();
    const journal = await readFile(`${at.path}.journal`, 'utf8');
    const old = await readFile(join(fixtures, 'state.journal'), 'utf8');
    expect(journal).toBe(old.replace(/^replimap-journal 1 /, 'replimap-journal 2 ') + 'put "INBOX" "INBOX" 8 0 AAAAAAAAAAAAAAA8 %status:pending\n');
    const expected = snapshot(s);
    const t = await SyncState.open(await crashCopy(at.path, at.dir), ID);
    expect(snapshot(t)).toEqual(expected);
    // A pending record settles nothing: the write's result is still unknown.
    expect(t.unresolvedIntents()).toEqual([{ ...INBOX, side: 'a', uid: 8, gid: 'AAAAAAAAAAAAAAA8' }]);
    await t.close();
    await s.close();
  });
});
