// SyncState: round trips, lazy sections, op semantics, journal recovery,
// corrupt files, permissions, read-only opens.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { StateError } from '../../src/errors.js';
import { SyncState } from '../../src/state/SyncState.js';
import { stateDir as defaultStateDir } from '../../src/config/statePath.js';
import type { MessageRecord, SideStatus, StateOp } from '../../src/state/types.js';
import { FlagInterner, HELD_ROLLBACK_TOKEN } from '../../src/state/lineCodec.js';
import { STATE_TEST_IDENTITY as ID } from '../support/stateOps.js';
import { crashCopy as crashCopyInto, expectStateError, snapshot, sortRecords } from '../support/stateFiles.js';

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'replimap-state-'));
  path = join(dir, 'state');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rec = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => ({ uidA, uidB, gid, flags });
const status = (uidNext: number, modseq?: bigint): SideStatus =>
  modseq === undefined ? { uidValidity: 42n, uidNext, messages: uidNext - 1 } : { uidValidity: 42n, uidNext, highestModseq: modseq, messages: uidNext - 1 };

/** Copies the state files as they are on disk now, as a crash would leave them. */
const crashCopy = (from: string): Promise<string> => crashCopyInto(from, dir);

async function writeSample(p: string): Promise<void> {
  const s = await SyncState.open(p, ID);
  s.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
  s.apply({ op: 'status', nameA: 'INBOX', nameB: 'INBOX', side: 'a', status: status(10, 5n) });
  s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(1, 11, 'g1', ['\\Seen']) });
  s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(2, 12, 'g2') });
  s.apply({ op: 'folder', nameA: 'Other', nameB: 'Other' });
  s.apply({ op: 'put', nameA: 'Other', nameB: 'Other', record: rec(7, 8, 'g7', ['$Junk']) });
  await s.commit();
  await s.close();
}

describe('round trip', () => {
  it('writes and reads back names, statuses near 2^63, keywords and empty folders', async () => {
    const names: [string, string][] = [
      ['INBOX', 'INBOX'],
      ['Sent Items', 'Gesendete Objekte'],
      ['a "quoted" \\ name', 'Entwürfe/日本語 😀'],
      ['Empty', 'Empty'],
    ];
    const s = await SyncState.open(path, ID);
    expect(s.isNew).toBe(true);
    for (const [nameA, nameB] of names) s.apply({ op: 'folder', nameA, nameB });
    const [[a0, b0], [a1, b1], [a2, b2]] = names as [[string, string], [string, string], [string, string]];
    s.apply({ op: 'status', nameA: a0, nameB: b0, side: 'a', status: { uidValidity: 2n ** 32n - 1n, uidNext: 2 ** 32, highestModseq: 2n ** 63n - 1n, messages: 3 } });
    s.apply({ op: 'status', nameA: a0, nameB: b0, side: 'b', status: status(5) });
    s.apply({ op: 'put', nameA: a0, nameB: b0, record: rec(1, 2, 'AbC-_9', ['\\Seen', '\\Flagged', '$Forwarded', 'NonJunk']) });
    s.apply({ op: 'put', nameA: a0, nameB: b0, record: rec(0, 3, 'bOnly') });
    s.apply({ op: 'put', nameA: a0, nameB: b0, record: rec(4_294_967_295, 0, 'aOnly', ['odd flag with spaces', '100%', 'ключ']) });
    s.apply({ op: 'put', nameA: a1, nameB: b1, record: rec(9, 9, 'x', ['\\Seen']) });
    s.apply({ op: 'status', nameA: a2, nameB: b2, side: 'a', status: status(1, 0n) });
    const before = snapshot(s);
    await s.commit();
    await s.close();

    const t = await SyncState.open(path, ID);
    expect(t.isNew).toBe(false);
    expect(t.warnings).toEqual([]);
    expect(snapshot(t)).toEqual(before);
    expect(t.folderKeys()).toEqual(names.map(([nameA, nameB]) => ({ nameA, nameB })));
    expect(t.folder(a0, b0)!.statusA!.highestModseq).toBe(2n ** 63n - 1n);
    expect(t.folder(a0, b0)!.statusB!.highestModseq).toBeUndefined();
    expect(t.folder('Empty', 'Empty')!.records()).toEqual([]);
    await t.close();
  });

  it('round-trips arbitrary folders and records (property)', async () => {
    const flag = fc.oneof(fc.constantFrom('\\Seen', '\\Answered', '\\Flagged', '\\Deleted', '\\Draft', '$Forwarded'), fc.string({ minLength: 1, maxLength: 8, unit: 'binary' }));
    const gid = fc.string({ minLength: 1, maxLength: 12, unit: fc.constantFrom(...'ABCxyz019-_+/='.split('')) });
    const side = fc.record(
      { uidValidity: fc.bigInt(0n, 2n ** 32n), uidNext: fc.nat(2 ** 32), highestModseq: fc.option(fc.bigInt(0n, 2n ** 63n - 1n), { nil: undefined }), messages: fc.nat(2 ** 32 - 1) },
      { requiredKeys: ['uidValidity', 'uidNext', 'messages'] },
    );
    const folder = fc.record({
      nameA: fc.string({ maxLength: 10, unit: 'binary' }),
      nameB: fc.string({ maxLength: 10, unit: 'binary' }),
      statusA: fc.option(side, { nil: undefined }),
      statusB: fc.option(side, { nil: undefined }),
      uids: fc.uniqueArray(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { maxLength: 20 }),
      flags: fc.array(fc.uniqueArray(flag, { maxLength: 4 }), { minLength: 1, maxLength: 3 }),
      gids: fc.array(gid, { minLength: 1, maxLength: 3 }),
    });
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(folder, { maxLength: 5, selector: (f) => JSON.stringify([f.nameA, f.nameB]) }), async (folders) => {
        const p = join(dir, `prop-${run++}`);
        const s = await SyncState.open(p, ID);
        for (const f of folders) {
          const { nameA, nameB } = f;
          s.apply({ op: 'folder', nameA, nameB });
          if (f.statusA) s.apply({ op: 'status', nameA, nameB, side: 'a', status: f.statusA });
          if (f.statusB) s.apply({ op: 'status', nameA, nameB, side: 'b', status: f.statusB });
          // Distinct uids on each side; two records in three are one-sided, every other of them held.
          const records = f.uids.map((u, i): MessageRecord => {
            const r = rec(i % 3 === 1 ? 0 : u, i % 3 === 2 ? 0 : u, f.gids[i % f.gids.length]!, f.flags[i % f.flags.length]!);
            return i % 6 === 1 || i % 6 === 5 ? { ...r, held: 'rollback' } : r;
          });
          s.apply({ op: 'reset', nameA, nameB, records });
        }
        const before = snapshot(s);
        await s.commit();
        await s.close();
        const t = await SyncState.open(p, ID);
        expect(snapshot(t)).toEqual(before);
        await t.close();
      }),
      { numRuns: 40 },
    );
  });

  it('shares one frozen flag array between records with the same flags', async () => {
    await writeSample(path);
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(3, 13, 'g3', ['\\Seen']) });
    const rs = s.folder('INBOX', 'INBOX')!.records();
    const seen = rs.filter((r) => r.flags[0] === '\\Seen');
    expect(seen).toHaveLength(2);
    expect(seen[0]!.flags).toBe(seen[1]!.flags);
    expect(Object.isFrozen(seen[0]!.flags)).toBe(true);
    await s.close();
  });
});

describe('lazy sections', () => {
  it('writes an untouched section back byte for byte, without parsing it', async () => {
    await writeSample(path);
    // Damage a record of "Other" in a way only the full parser notices.
    const original = await readFile(path, 'utf8');
    const damaged = original.replace('7 8 g7 $Junk\n', '7 8 g7 $Junk %ZZ\n');
    expect(damaged).not.toBe(original);
    await writeFile(path, damaged);
    const otherSection = damaged.slice(damaged.indexOf('folder "Other"'), damaged.indexOf('end '));

    const s = await SyncState.open(path, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(3, 13, 'g3') });
    await s.commit();
    await s.close();
    const after = await readFile(path, 'utf8');
    expect(after).toContain(otherSection);
    expect(after).toMatch(/^generation 2$/m);

    // The damage is still found, at its line, once the section is read.
    const t = await SyncState.open(path, ID);
    const line = after.split('\n').indexOf('7 8 g7 $Junk %ZZ') + 1;
    expect(t.folder('Other', 'Other')!.records()).toEqual([]);
    expect(t.warnings.join('\n')).toContain(`(line ${line}: bad percent-encoding`);
    await t.close();
  });

  it('writes an unchanged state back identical except for the generation', async () => {
    await writeSample(path);
    const before = await readFile(path, 'utf8');
    const s = await SyncState.open(path, ID);
    s.folder('INBOX', 'INBOX')!.records(); // parsed but unchanged: still verbatim
    await s.commit();
    await s.close();
    expect(await readFile(path, 'utf8')).toBe(before.replace('generation 1', 'generation 2'));
  });

  it('caches records() and gives knownUids ascending without zeros', async () => {
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'folder', nameA: 'F', nameB: 'F' });
    s.apply({ op: 'reset', nameA: 'F', nameB: 'F', records: [rec(30, 0, 'a'), rec(0, 5, 'b'), rec(2, 100, 'c'), rec(11, 7, 'd')] });
    const f = s.folder('F', 'F')!;
    expect(f.records()).toBe(f.records());
    expect(f.knownUids('a')).toEqual([2, 11, 30]);
    expect(f.knownUids('b')).toEqual([5, 7, 100]);
    await s.close();
  });
});

describe('ops', () => {
  const F = { nameA: 'F', nameB: 'F' };
  const put = (r: MessageRecord): StateOp => ({ op: 'put', ...F, record: r });

  it('put replaces the record holding its uidA or uidB; del needs the exact pair', async () => {
    const s = await SyncState.open(path, ID, { readOnly: true });
    s.apply({ op: 'folder', ...F });
    s.apply(put(rec(5, 0, 'g5')));
    s.apply(put(rec(0, 812, 'g5')));
    s.apply(put(rec(5, 812, 'g5', ['\\Seen'])));
    expect(sortRecords(s.folder('F', 'F')!.records())).toEqual([rec(5, 812, 'g5', ['\\Seen'])]);
    s.apply(put(rec(5, 812, 'g5', ['\\Seen']))); // idempotent
    s.apply(put(rec(6, 0, 'g6')));
    s.apply({ op: 'del', ...F, uidA: 5, uidB: 0 }); // not that pair: no change
    s.apply({ op: 'del', ...F, uidA: 6, uidB: 0 });
    expect(sortRecords(s.folder('F', 'F')!.records())).toEqual([rec(5, 812, 'g5', ['\\Seen'])]);
    s.apply({ op: 'del', ...F, uidA: 5, uidB: 812 });
    s.apply({ op: 'del', ...F, uidA: 5, uidB: 812 });
    expect(s.folder('F', 'F')!.records()).toEqual([]);
    s.apply({ op: 'reset', ...F, records: [rec(1, 1, 'a'), rec(2, 2, 'b')] });
    expect(s.folder('F', 'F')!.knownUids('a')).toEqual([1, 2]);
    s.apply({ op: 'drop-folder', ...F });
    expect(s.folder('F', 'F')).toBeUndefined();
    expect(s.folderKeys()).toEqual([]);
    await s.close();
  });

  it('handles 100,000 puts into one folder (indexed, not quadratic)', async () => {
    await writeSample(path);
    const s = await SyncState.open(path, ID);
    for (let i = 1; i <= 100_000; i++) s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(i + 10, 0, `n${i}`) });
    for (let i = 1; i <= 100_000; i++) s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(i + 10, i + 1000, `n${i}`, ['\\Seen']) });
    await s.commit();
    await s.close();
    const t = await SyncState.open(path, ID);
    const f = t.folder('INBOX', 'INBOX')!;
    expect(f.records()).toHaveLength(100_002);
    expect(f.knownUids('b').slice(0, 4)).toEqual([11, 12, 1001, 1002]);
    expect(f.knownUids('a').slice(-2)).toEqual([100_009, 100_010]);
    await t.close();
  });

  it('refuses ops that cannot be written or name an undeclared folder', async () => {
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'folder', ...F });
    expect(() => s.apply(put(rec(1, 1, 'has space')))).toThrow(TypeError);
    expect(() => s.apply(put(rec(0, 0, 'g')))).toThrow(TypeError);
    expect(() => s.apply(put(rec(1.5, 1, 'g')))).toThrow(TypeError);
    expect(() => s.apply(put(rec(1, 1, 'g', ['']))))
      .toThrow(TypeError);
    expect(() => s.apply({ op: 'put', nameA: 'nope', nameB: 'F', record: rec(1, 1, 'g') })).toThrow(/not declared/);
    await s.flush();
    await s.close();
    expect((await readFile(`${path}.journal`, 'utf8')).trim().split('\n')).toHaveLength(2); // header + folder
    expect(() => s.apply({ op: 'folder', ...F })).toThrow(/closed/);
  });

  it('tracks intents, with their side, until a put holding that uid on that side, and drops them at commit', async () => {
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'folder', ...F });
    s.apply({ op: 'intent', ...F, side: 'a', uid: 3, gid: 'g3' });
    s.apply({ op: 'intent', ...F, side: 'a', uid: 4, gid: 'g4' });
    s.apply({ op: 'intent', ...F, side: 'b', uid: 5, gid: 'g5' });
    s.apply({ op: 'intent', ...F, side: 'b', uid: 6, gid: 'g6' });
    s.apply(put(rec(3, 33, 'g3')));
    // uid 4 on B is not the A message 4; B's 5 got its copy on A; a pending record settles nothing.
    s.apply(put(rec(55, 4, 'gx')));
    s.apply(put(rec(15, 5, 'g5')));
    s.apply(put({ ...rec(4, 0, 'g4'), status: 'pending' }));
    s.apply({ op: 'reset', ...F, records: [rec(3, 33, 'g3'), rec(55, 4, 'gx'), rec(15, 5, 'g5'), { ...rec(0, 6, 'g6'), status: 'deferred' }] });
    const left = [
      { nameA: 'F', nameB: 'F', side: 'a', uid: 4, gid: 'g4' },
      { nameA: 'F', nameB: 'F', side: 'b', uid: 6, gid: 'g6' },
    ];
    expect(s.unresolvedIntents()).toEqual(left);
    await s.flush();
    expect(await readFile(`${path}.journal`, 'utf8')).toContain('\nintent "F" "F" b 6 g6\n');
    const copy = await crashCopy(path);
    const t = await SyncState.open(copy, ID);
    expect(t.unresolvedIntents()).toEqual(left);
    await t.commit();
    expect(t.unresolvedIntents()).toEqual([]);
    await t.close();
    await s.close();
  });
});

describe('journal', () => {
  it('replays flushed ops after a crash (no commit)', async () => {
    await writeSample(path);
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(1, 11, 'g1', ['\\Seen', '\\Answered']) });
    s.apply({ op: 'del', nameA: 'INBOX', nameB: 'INBOX', uidA: 2, uidB: 12 });
    s.apply({ op: 'folder', nameA: 'New', nameB: 'Neu' });
    s.apply({ op: 'status', nameA: 'New', nameB: 'Neu', side: 'b', status: status(3, 2n ** 63n - 2n) });
    s.apply({ op: 'reset', nameA: 'New', nameB: 'Neu', records: [rec(1, 2, 'n1', ['x y']), rec(0, 3, 'n2')] });
    s.apply({ op: 'drop-folder', nameA: 'Other', nameB: 'Other' });
    await s.flush();
    const expected = snapshot(s);
    const copy = await crashCopy(path);
    await s.close();

    const t = await SyncState.open(copy, ID);
    expect(snapshot(t)).toEqual(expected);
    expect(t.warnings.join('\n')).toMatch(/recovered 6 change/);
    // Replaying again (a second crash before any commit) gives the same state.
    await t.close();
    const u = await SyncState.open(copy, ID);
    expect(snapshot(u)).toEqual(expected);
    await u.commit();
    await u.close();
    await expect(stat(`${copy}.journal`)).rejects.toThrow(/ENOENT/);
    const v = await SyncState.open(copy, ID);
    expect(snapshot(v)).toEqual(expected);
    expect(v.warnings).toEqual([]);
    await v.close();
  });

  it('replays a journal even when the state file was never committed', async () => {
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'folder', nameA: 'F', nameB: 'F' });
    s.apply({ op: 'put', nameA: 'F', nameB: 'F', record: rec(1, 1, 'g') });
    await s.flush();
    const copy = await crashCopy(path);
    await s.close();
    const t = await SyncState.open(copy, ID);
    expect(t.isNew).toBe(true);
    expect(t.folder('F', 'F')!.records()).toEqual([rec(1, 1, 'g')]);
    await t.close();
  });

  it('ignores a torn last line, and appends cleanly after it', async () => {
    await writeSample(path);
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(3, 13, 'g3') });
    await s.flush();
    const copy = await crashCopy(path);
    await s.close();
    // Longer than the line appended next, so a missing truncation would show.
    await appendFile(`${copy}.journal`, 'put "INBOX" "INBOX" 4 14 g4 \\Seen \\Flagged $SomeLongKeyword $Another');

    const t = await SyncState.open(copy, ID);
    expect(t.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2, 3]);
    expect(t.warnings.join('\n')).toMatch(/incomplete last line/);
    t.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(5, 15, 'g5') });
    await t.flush();
    const copy2 = await crashCopy(copy);
    await t.close();
    const u = await SyncState.open(copy2, ID);
    expect(u.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2, 3, 5]);
    expect(u.warnings.join('\n')).not.toMatch(/incomplete/);
    await u.close();
  });

  it('ignores a journal of an older generation (crash between rename and journal removal)', async () => {
    await writeSample(path);
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(3, 13, 'g3') });
    await s.flush();
    const oldJournal = await readFile(`${path}.journal`);
    await s.commit();
    s.apply({ op: 'del', nameA: 'INBOX', nameB: 'INBOX', uidA: 3, uidB: 13 });
    await s.commit();
    await s.close();
    await writeFile(`${path}.journal`, oldJournal);

    const t = await SyncState.open(path, ID);
    expect(t.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2]);
    t.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(4, 14, 'g4') });
    await t.flush();
    expect((await readFile(`${path}.journal`, 'utf8')).split('\n')[0]).toMatch(/^replimap-journal 2 3 /);
    await t.close();
    const u = await SyncState.open(path, ID);
    expect(u.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2, 4]);
    await u.close();
  });

  it('treats an empty journal or an incomplete header as no journal', async () => {
    await writeSample(path);
    for (const content of ['', 'replimap-journal 1 1 "imap://al']) {
      await writeFile(`${path}.journal`, content);
      const s = await SyncState.open(path, ID);
      expect(s.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2]);
      await s.close();
    }
  });

  it('refuses a journal from the future, one for other stores, and a damaged header', async () => {
    await writeSample(path);
    const header = `replimap-journal 2 1 ${JSON.stringify(ID.storeA)} ${JSON.stringify(ID.storeB)}\n`;
    await writeFile(`${path}.journal`, 'replimap-journal x\n');
    await expectStateError(SyncState.open(path, ID), /state journal .*state\.journal is corrupt at line 1: /);
    await writeFile(`${path}.journal`, header.replace(' 2 1 ', ' 2 9 '));
    await expectStateError(SyncState.open(path, ID), /generation 9, but the state file is at generation 1/);
    await writeFile(`${path}.journal`, header.replace('alice@b', 'bob@b'));
    await expectStateError(SyncState.open(path, ID), /belongs to stores A=imap:\/\/alice@a\.test\/ B=imap:\/\/bob@b\.test\//);
    // A failed open leaves no lock behind.
    await expect(stat(`${path}.lock`)).rejects.toThrow(/ENOENT/);
  });
});

describe('corrupt state files', () => {
  const cases: [string, (s: string) => string, RegExp][] = [
    ['bad magic', (s) => s.replace('replimap-state 2', 'hello world'), /corrupt at line 1: not a replimap state file/],
    ['missing end marker', (s) => s.slice(0, s.indexOf('end ')), /corrupt at line 11: the file ends without an end marker/],
    ['truncated mid-line', (s) => s.slice(0, s.indexOf('end ') + 3), /corrupt at line 11: the file ends in the middle of a line/],
    ['data after end', (s) => s + 'more\n', /corrupt at line 12: data after the end marker/],
    ['bad stores line', (s) => s.replace('stores ', 'storez '), /corrupt at line 2: expected the "stores" line/],
    ['bad generation', (s) => s.replace('generation 1', 'generation -1'), /corrupt at line 3: bad generation/],
    // Before the first `folder` line nothing says where a section starts: the header is damaged.
    ['first folder line without its keyword', (s) => s.replace('folder "INBOX"', 'fodler "INBOX"'), /corrupt at line 5: unknown line kind "fodler"/],
    ['status line before any section', (s) => s.replace('folder "INBOX" "INBOX"\n', ''), /corrupt at line 5: status line out of place/],
    ['bad end marker', (s) => s.replace('end 2 3', 'end 2 three'), /corrupt at line 11: bad record count "three"/],
  ];
  for (const [name, damage, message] of cases) {
    it(`refuses, saying to move the file aside: ${name}`, async () => {
      await writeSample(path);
      await writeFile(path, damage(await readFile(path, 'utf8')));
      const err = await expectStateError(SyncState.open(path, ID), message);
      expect(err.message).toContain(`state file ${path} `);
      const hint = `; move it aside (e.g. mv ${path} ${path}.damaged) and run again: the next run re-matches every folder by global id (nothing is copied twice; ` +
        `in mirror mode run once with --mode copy first: with no state, mirror deletes what only B has)`;
      expect(err.message.endsWith(hint), err.message).toBe(true);
      expect(err.message).not.toContain('\n');
    });
  }

  it('names the version it found and the one it reads', async () => {
    await writeSample(path);
    await writeFile(path, (await readFile(path, 'utf8')).replace('replimap-state 2', 'replimap-state 7'));
    await expectStateError(
      SyncState.open(path, ID),
      new RegExp(`^state file ${path} has version 7; this replimap reads versions 1 and 2 \\(a newer replimap wrote it: use that one\\)$`),
    );
  });

  it('names the stores a state file belongs to', async () => {
    await writeSample(path);
    await expectStateError(
      SyncState.open(path, { storeA: ID.storeA, storeB: 'imap://carol@c.test/' }),
      /belongs to stores A=imap:\/\/alice@a\.test\/ B=imap:\/\/alice@b\.test\/, not to A=imap:\/\/alice@a\.test\/ B=imap:\/\/carol@c\.test\//,
    );
  });

  it('reports an unreadable state file', async () => {
    await expectStateError(SyncState.open(dir, ID), /cannot read state file/);
  });
});

describe('files and permissions', () => {
  it('creates the directory 0700 and the state and journal 0600, whatever the umask', async () => {
    const old = process.umask(0);
    try {
      const p = join(dir, 'deep', 'er', 'state');
      const s = await SyncState.open(p, ID);
      s.apply({ op: 'folder', nameA: 'F', nameB: 'F' });
      await s.flush();
      expect((await stat(`${p}.journal`)).mode & 0o777).toBe(0o600);
      await s.commit();
      await s.close();
      expect((await stat(join(dir, 'deep'))).mode & 0o777).toBe(0o700);
      expect((await stat(join(dir, 'deep', 'er'))).mode & 0o777).toBe(0o700);
      expect((await stat(p)).mode & 0o777).toBe(0o600);
      // Only the state file remains: no lock, no journal, no temp file.
      expect(await readdir(join(dir, 'deep', 'er'))).toEqual(['state']);
    } finally {
      process.umask(old);
    }
  });

  it('read-only opens create nothing, take no lock and leave files untouched', async () => {
    const p = join(dir, 'not', 'there', 'state');
    const s = await SyncState.open(p, ID, { readOnly: true });
    expect(s.isNew).toBe(true);
    s.apply({ op: 'folder', nameA: 'F', nameB: 'F' });
    s.apply({ op: 'put', nameA: 'F', nameB: 'F', record: rec(1, 1, 'g') });
    expect(s.folder('F', 'F')!.records()).toHaveLength(1);
    await s.flush();
    await s.commit();
    await s.close();
    await expect(stat(join(dir, 'not'))).rejects.toThrow(/ENOENT/);

    // With a leftover journal: replayed in memory, nothing on disk changes.
    await writeSample(path);
    const w = await SyncState.open(path, ID);
    w.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(3, 13, 'g3') });
    await w.flush();
    const copy = await crashCopy(path);
    await w.close();
    const files = await readdir(dirname(copy));
    const bytes = await Promise.all(files.map((f) => readFile(join(dirname(copy), f))));
    const r = await SyncState.open(copy, ID, { readOnly: true });
    expect(r.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2, 3]);
    r.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(4, 14, 'g4') });
    await r.commit();
    await r.close();
    expect(await readdir(dirname(copy))).toEqual(files);
    expect(await Promise.all(files.map((f) => readFile(join(dirname(copy), f))))).toEqual(bytes);
  });

  it('defaultStateDir follows XDG_STATE_HOME, else ~/.local/state', () => {
    expect(defaultStateDir({ XDG_STATE_HOME: '/x/state', HOME: '/home/u' })).toBe('/x/state/replimap');
    expect(defaultStateDir({ HOME: '/home/u' })).toBe('/home/u/.local/state/replimap');
    expect(defaultStateDir({ XDG_STATE_HOME: 'relative', HOME: '/home/u' })).toBe('/home/u/.local/state/replimap');
  });
});

describe('the mode of the last committed run', () => {
  it('is recorded by commit, read back, and absent in a file without the line', async () => {
    const s = await SyncState.open(path, ID);
    expect(s.lastMode).toBeUndefined();
    s.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
    s.setMode('mirror');
    await s.commit();
    await s.close();
    expect(await readFile(path, 'utf8')).toMatch(/^mode mirror$/m);

    const again = await SyncState.open(path, ID);
    expect(again.lastMode).toBe('mirror');
    await again.close();

    await writeFile(path, (await readFile(path, 'utf8')).replace('mode mirror\n', ''), { mode: 0o600 });
    const older = await SyncState.open(path, ID, { readOnly: true });
    expect(older.lastMode).toBeUndefined();
    expect(older.folderKeys()).toEqual([{ nameA: 'INBOX', nameB: 'INBOX' }]);
    await older.close();
  });

  it('an unknown mode is a corrupt file', async () => {
    const s = await SyncState.open(path, ID);
    s.setMode('copy');
    await s.commit();
    await s.close();
    await writeFile(path, (await readFile(path, 'utf8')).replace('mode copy', 'mode sideways'), { mode: 0o600 });
    await expectStateError(SyncState.open(path, ID), /line 5/, /unknown mode/);
  });
});

describe('hasChanges', () => {
  it('is false after open and after commit, true after an op or a new mode', async () => {
    const s = await SyncState.open(path, ID);
    expect(s.hasChanges).toBe(false);
    s.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
    expect(s.hasChanges).toBe(true);
    await s.commit();
    expect(s.hasChanges).toBe(false);
    s.setMode('copy');
    expect(s.hasChanges).toBe(true);
    await s.commit();
    s.setMode('copy');
    expect(s.hasChanges).toBe(false);
    s.apply({ op: 'status', nameA: 'INBOX', nameB: 'INBOX', side: 'a', status: status(5, 9n) });
    await s.flush();
    await s.close();
    // A journal replayed on open is a change the file does not hold yet.
    const again = await SyncState.open(path, ID);
    expect(again.hasChanges).toBe(true);
    await again.close();
  });
});

describe('held records (the other side lost the message in a rollback)', () => {
  const held = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => ({ ...rec(uidA, uidB, gid, flags), held: 'rollback' });

  it('a file written without the mark loads as before: no record is held', async () => {
    await writeSample(path);
    expect(await readFile(path, 'utf8')).not.toContain('%held');
    const s = await SyncState.open(path, ID);
    const inbox = s.folder('INBOX', 'INBOX')!;
    expect(inbox.hasHeldRecords()).toBe(false); // unparsed: a byte search
    expect(inbox.records().some((r) => 'held' in r)).toBe(false);
    expect(inbox.hasHeldRecords()).toBe(false); // parsed
    await s.close();
  });

  it('round-trips through the journal and the state file, read lazily; pairing the record drops the mark', async () => {
    await writeSample(path);
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: held(0, 13, 'g3', ['\\Seen', 'a b']) });
    s.apply({ op: 'reset', nameA: 'Other', nameB: 'Other', records: [rec(7, 8, 'g7', ['$Junk']), held(0, 9, 'g9'), { ...rec(0, 10, 'g10', ['\\Seen']), held: 'unknown' }] });
    await s.flush();
    expect(s.folder('INBOX', 'INBOX')!.hasHeldRecords()).toBe(true);
    const expected = snapshot(s);
    // Replayed from the journal (a crash before the commit).
    const copy = await crashCopy(path);
    const t = await SyncState.open(copy, ID);
    expect(snapshot(t)).toEqual(expected);
    await t.close();
    await s.commit();
    await s.close();
    const text = await readFile(path, 'utf8');
    expect(text).toContain('\n0 13 g3 %held:rollback \\Seen a%20b\n');
    expect(text).toContain('\n0 9 g9 %held:rollback\n');
    expect(text).toContain('\n0 10 g10 %held:unknown \\Seen\n');

    const u = await SyncState.open(path, ID);
    expect(u.folder('INBOX', 'INBOX')!.hasHeldRecords()).toBe(true); // before parsing
    expect(u.folder('Other', 'Other')!.hasHeldRecords()).toBe(true);
    expect(snapshot(u)).toEqual(expected);
    // A has the message again: the pair replaces the held record.
    u.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(3, 13, 'g3', ['\\Seen']) });
    expect(u.folder('INBOX', 'INBOX')!.hasHeldRecords()).toBe(false);
    await u.commit();
    await u.close();
    expect(await readFile(path, 'utf8')).toContain('\n3 13 g3 \\Seen\n');
  });

  it('refuses a mark on a record with both UIDs; a damaged mark discards its section', async () => {
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
    expect(() => s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: held(1, 11, 'g1') })).toThrow(/held mark/);
    await s.close();
    for (const [line, problem] of [
      ['2 12 g2 %held:rollback', 'a held mark on a record with both UIDs'],
      ['0 12 g2 %held:rollbackX', 'bad percent-encoding'],
      ['0 12 g2 %held:other', 'bad percent-encoding'],
      ['0 12 g2 \\Seen %held:rollback', 'bad percent-encoding'],
    ] as const) {
      await writeSample(path);
      await writeFile(path, (await readFile(path, 'utf8')).replace('2 12 g2\n', `${line}\n`));
      const t = await SyncState.open(path, ID);
      expect(t.folder('INBOX', 'INBOX')!.records(), line).toEqual([]);
      expect(t.warnings.join('\n'), line).toContain(problem);
      await t.close();
      await rm(path);
    }
  });

  it('a replimap that predates the mark refuses it rather than reading it as a flag', () => {
    // Such a replimap reads every token after the gid as an encoded flag.
    expect(() => new FlagInterner().fromEncoded(`${HELD_ROLLBACK_TOKEN} \\Seen`)).toThrow(/bad percent-encoding/);
  });
});

describe('a damaged folder section is discarded, not fatal', () => {
  /** writeSample's file with INBOX's second record line replaced. */
  async function damageInbox(line: string): Promise<void> {
    await writeSample(path);
    const text = await readFile(path, 'utf8');
    expect(text).toContain('2 12 g2\n');
    await writeFile(path, text.replace('2 12 g2\n', line));
  }

  it('a bad record line: the folder reads as unknown, one warning, the rest untouched, rewritten at commit', async () => {
    await damageInbox('2 12x g2\n');
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([]); // lazy: nothing is parsed at open
    const heard: string[] = [];
    s.onWarning((w) => heard.push(w));
    const inbox = s.folder('INBOX', 'INBOX')!;
    expect(inbox.records()).toEqual([]);
    expect(inbox.statusA).toBeUndefined();
    expect(inbox.statusB).toBeUndefined();
    expect(inbox.knownUids('a')).toEqual([]);
    inbox.records();
    const expected =
      `state file ${path}: folder "INBOX" / "INBOX" is damaged (line 8: bad uidB); ` +
      `its records are discarded and the folder is re-matched by global id (nothing is copied twice)`;
    expect(heard).toEqual([expected]);
    expect(s.warnings).toEqual([expected]);
    expect(s.folder('Other', 'Other')!.records()).toEqual([rec(7, 8, 'g7', ['$Junk'])]);
    expect(s.hasChanges).toBe(true);
    // The run re-matches the folder and records what it found.
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(2, 12, 'g2') });
    s.apply({ op: 'status', nameA: 'INBOX', nameB: 'INBOX', side: 'a', status: status(11, 6n) });
    await s.commit();
    await s.close();
    await expect(stat(`${path}.journal`)).rejects.toThrow(/ENOENT/);
    expect(await readFile(path, 'utf8')).not.toContain('12x');

    const t = await SyncState.open(path, ID);
    expect(t.folder('INBOX', 'INBOX')!.records()).toEqual([rec(2, 12, 'g2')]);
    expect(t.folder('INBOX', 'INBOX')!.statusA).toEqual(status(11, 6n));
    expect(t.folder('Other', 'Other')!.records()).toEqual([rec(7, 8, 'g7', ['$Junk'])]);
    expect(t.warnings).toEqual([]);
    await t.close();
  });

  it('two records with one UID: discarded the same way, also when the first use is a change', async () => {
    await damageInbox('1 12 g2\n');
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(9, 9, 'g') });
    expect(s.folder('INBOX', 'INBOX')!.records()).toEqual([rec(9, 9, 'g')]);
    expect(s.warnings).toEqual([expect.stringMatching(/folder "INBOX" \/ "INBOX" is damaged \(two records with uidA 1\)/)]);
    await s.close();
    await damageInbox('2 11 g2\n');
    const t = await SyncState.open(path, ID);
    expect(t.folder('INBOX', 'INBOX')!.records()).toEqual([]);
    expect(t.warnings.join('\n')).toMatch(/two records with uidB 11/);
    await t.close();
  });

  it('a journal replayed onto a damaged section lands on the emptied folder, then commits cleanly', async () => {
    await damageInbox('2 12x g2\n');
    const header = `replimap-journal 2 1 ${JSON.stringify(ID.storeA)} ${JSON.stringify(ID.storeB)}\n`;
    await writeFile(`${path}.journal`, header + 'put "INBOX" "INBOX" 3 13 g3\nput "Other" "Other" 9 19 g9\n');
    const s = await SyncState.open(path, ID);
    expect(s.folder('INBOX', 'INBOX')!.records()).toEqual([rec(3, 13, 'g3')]);
    expect(s.folder('Other', 'Other')!.knownUids('a')).toEqual([7, 9]);
    expect(s.warnings.filter((w) => /is damaged \(line 8: bad uidB\)/.test(w))).toHaveLength(1);
    await s.commit();
    await s.close();
    await expect(stat(`${path}.journal`)).rejects.toThrow(/ENOENT/);
    const t = await SyncState.open(path, ID);
    expect(t.folder('INBOX', 'INBOX')!.records()).toEqual([rec(3, 13, 'g3')]);
    expect(t.warnings).toEqual([]);
    await t.close();
  });

  /** The warning FolderEntry gives for a discarded section. */
  const discarded = (folder: string, problem: string): string =>
    `state file ${path}: folder ${JSON.stringify(folder)} / ${JSON.stringify(folder)} is damaged (${problem}); ` +
    `its records are discarded and the folder is re-matched by global id (nothing is copied twice)`;

  // A damaged line the scan reads (not a record line) is found at open; the section goes the same way.
  for (const [name, damage, problem] of [
    ['a bad UIDVALIDITY', (s: string) => s.replace('status a 42 ', 'status a x '), 'line 6: bad UIDVALIDITY "x"'],
    ['a bad status b line', (s: string) => s.replace('status a 42 10 5 9\n', 'status a 42 10 5 9\nstatus b 1 2 - -3\n'), 'line 7: bad MESSAGES "-3"'],
    ['status b before status a', (s: string) => s.replace('status a ', 'status b 1 2 - 1\nstatus a '), 'line 7: status line out of place'],
    ['a status line after the records', (s: string) => s.replace('2 12 g2\n', '2 12 g2\nstatus b 1 2 - 1\n'), 'line 9: status line out of place'],
    ['a status line for no side', (s: string) => s.replace('status a ', 'status c '), 'line 6: status line out of place'],
    ['an unknown line kind', (s: string) => s.replace('1 11 g1', 'defer 1\n1 11 g1'), 'line 7: unknown line kind "defer"'],
    ['an empty line', (s: string) => s.replace('2 12 g2\n', '2 12 g2\n\n'), 'line 9: unknown line kind ""'],
  ] as const) {
    it(`${name}: that folder reads as unknown from open on, one warning, the other section still lazy`, async () => {
      await writeSample(path);
      // Other's record is damaged too, to show its section is not parsed by open.
      await writeFile(path, damage((await readFile(path, 'utf8')).replace('7 8 g7 $Junk', '7 8x g7 $Junk')));
      const s = await SyncState.open(path, ID);
      expect(s.warnings).toEqual([discarded('INBOX', problem)]);
      expect(s.hasChanges).toBe(true);
      const inbox = s.folder('INBOX', 'INBOX')!;
      expect([inbox.statusA, inbox.statusB, inbox.records()]).toEqual([undefined, undefined, []]);
      expect(s.folderKeys()).toEqual([
        { nameA: 'Other', nameB: 'Other' },
        { nameA: 'INBOX', nameB: 'INBOX' },
      ]);
      s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(2, 12, 'g2') });
      s.apply({ op: 'status', nameA: 'INBOX', nameB: 'INBOX', side: 'a', status: status(11, 6n) });
      await s.commit();
      await s.close();
      // Other's lines went back byte for byte (damage included, found when it is used).
      expect(await readFile(path, 'utf8')).toContain('folder "Other" "Other"\n7 8x g7 $Junk\n');

      const t = await SyncState.open(path, ID);
      expect(t.warnings).toEqual([]);
      expect(t.folder('INBOX', 'INBOX')!.records()).toEqual([rec(2, 12, 'g2')]);
      expect(t.folder('INBOX', 'INBOX')!.statusA).toEqual(status(11, 6n));
      expect(t.folder('Other', 'Other')!.records()).toEqual([]);
      expect(t.warnings).toEqual([expect.stringContaining('folder "Other" / "Other" is damaged (line ')]);
      await t.close();
    });
  }

  it('a discarded section stays marked through commits until a sync of the folder records its statuses', async () => {
    await writeSample(path);
    await writeFile(path, (await readFile(path, 'utf8')).replace('2 12 g2', '2 1x2 g2'));
    const s = await SyncState.open(path, ID);
    expect(s.folder('INBOX', 'INBOX')!.records()).toEqual([]);
    // A commit before that folder's sync completes (a periodic one, a signal, a failed folder).
    await s.commit();
    await s.close();
    const t = await SyncState.open(path, ID);
    expect(t.folder('INBOX', 'INBOX')!.discarded).toBe(true);
    t.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: { ...rec(0, 12, 'g2'), held: 'unknown' } });
    t.apply({ op: 'status', nameA: 'INBOX', nameB: 'INBOX', side: 'a', status: status(11, 6n) });
    await t.commit();
    await t.close();
    const u = await SyncState.open(path, ID);
    expect(u.folder('INBOX', 'INBOX')!.discarded).toBe(false);
    expect(u.folder('INBOX', 'INBOX')!.records()).toEqual([{ ...rec(0, 12, 'g2'), held: 'unknown' }]);
    expect(u.warnings).toEqual([]);
    await u.close();
  });

  it('a record line whose first byte is damaged costs only its own section, not every section', async () => {
    await writeSample(path);
    await writeFile(path, (await readFile(path, 'utf8')).replace('2 12 g2', 'x 12 g2'));
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([discarded('INBOX', 'line 8: unknown line kind "x"')]);
    expect(s.folder('INBOX', 'INBOX')!.records()).toEqual([]);
    expect(s.folder('Other', 'Other')!.records()).toEqual([rec(7, 8, 'g7', ['$Junk'])]);
    await s.close();
  });

  it('an unreadable folder line: that section is dropped (its names are unknown), the rest is kept', async () => {
    await writeSample(path);
    await writeFile(path, (await readFile(path, 'utf8')).replace('folder "INBOX" "INBOX"', 'folder "INBOX "INBOX"'));
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^state file ${path}: the folder section at line 5 is damaged \\(line 5: [^)]+\\); its folder names cannot be read, ` +
            `so the section is discarded and that folder is re-matched by global id \\(nothing is copied twice\\)$`,
        ),
      ),
    ]);
    expect(s.folderKeys()).toEqual([{ nameA: 'Other', nameB: 'Other' }]);
    expect(s.folder('Other', 'Other')!.records()).toEqual([rec(7, 8, 'g7', ['$Junk'])]);
    expect(s.hasChanges).toBe(true);
    // The pair met again (its folder is synced) may be the lost one: it starts discarded.
    s.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
    expect(s.folder('INBOX', 'INBOX')!.discarded).toBe(true);
    await s.commit();
    await s.close();
    const t = await SyncState.open(path, ID);
    expect(t.warnings).toEqual([]);
    expect(t.folderKeys()).toEqual([{ nameA: 'Other', nameB: 'Other' }, { nameA: 'INBOX', nameB: 'INBOX' }]);
    expect(t.folder('INBOX', 'INBOX')!.discarded).toBe(true);
    await t.close();
  });

  it('a folder pair listed twice: neither section is trusted, one warning, the pair kept empty', async () => {
    await writeSample(path);
    await writeFile(path, (await readFile(path, 'utf8')).replace('folder "Other" "Other"', 'folder "INBOX" "INBOX"'));
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([discarded('INBOX', 'line 9: folder pair listed twice (first at line 5)')]);
    expect(s.folderKeys()).toEqual([{ nameA: 'INBOX', nameB: 'INBOX' }]);
    const inbox = s.folder('INBOX', 'INBOX')!;
    expect([inbox.statusA, inbox.records()]).toEqual([undefined, []]);
    await s.commit();
    await s.close();
    // Marked until a sync of the folder completes (its held marks may be missing till then).
    expect(await readFile(path, 'utf8')).toMatch(/folder "INBOX" "INBOX"\ndiscarded\nend 1 0\n$/);
  });

  it('a later folder line without its keyword: its lines fall in the section before, and the folder count tells', async () => {
    await writeSample(path);
    await writeFile(path, (await readFile(path, 'utf8')).replace('folder "Other"', 'deferred "Other"'));
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toEqual([
      discarded('INBOX', 'line 9: unknown line kind "deferred"'),
      expect.stringContaining(`state file ${path} is damaged at line 11 (end marker says 2 folders, the file has 1); which folder`),
    ]);
    expect(s.folderKeys()).toEqual([{ nameA: 'INBOX', nameB: 'INBOX' }]);
    expect(s.folder('INBOX', 'INBOX')!.records()).toEqual([]);
    await s.close();
  });

  for (const [name, damage, problem] of [
    ['record count', (s: string) => s.replace('end 2 3', 'end 2 4'), 'end marker says 4 records, the file has 3'],
    ['folder count', (s: string) => s.replace('end 2 3', 'end 3 3'), 'end marker says 3 folders, the file has 2'],
  ] as const) {
    it(`end marker with the wrong ${name}: every section is discarded, with one warning`, async () => {
      await writeSample(path);
      await writeFile(path, damage(await readFile(path, 'utf8')));
      const s = await SyncState.open(path, ID);
      expect(s.warnings).toEqual([
        `state file ${path} is damaged at line 11 (${problem}); which folder lost or gained records is unknown, ` +
          `so every folder's records are discarded and re-matched by global id (nothing is copied twice; this run reads every folder in full)`,
      ]);
      for (const k of s.folderKeys()) {
        const f = s.folder(k.nameA, k.nameB)!;
        expect([f.statusA, f.statusB, f.records()]).toEqual([undefined, undefined, []]);
      }
      expect(s.hasChanges).toBe(true);
      await s.commit();
      await s.close();
      const t = await SyncState.open(path, ID);
      expect(t.warnings).toEqual([]);
      expect(t.folderKeys()).toHaveLength(2);
      await t.close();
    });
  }
});

describe('a damaged journal line ends the replay there, it does not stop the run', () => {
  const header = `replimap-journal 2 1 ${JSON.stringify(ID.storeA)} ${JSON.stringify(ID.storeB)}\n`;
  for (const [name, bad, problem] of [
    ['an unknown op', 'bogus line', 'unknown op "bogus"'],
    ['an op for an undeclared folder', 'put "Nope" "Nope" 3 13 g3', 'not declared'],
  ] as const) {
    it(`${name}: the lines before it are replayed, it and the rest are dropped and cut off`, async () => {
      await writeSample(path);
      await writeFile(`${path}.journal`, header + `put "INBOX" "INBOX" 3 13 g3\n${bad}\nput "INBOX" "INBOX" 4 14 g4\nput "Other" "Other" 9 19 g9\n`);
      const s = await SyncState.open(path, ID);
      expect(s.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2, 3]);
      expect(s.folder('Other', 'Other')!.knownUids('a')).toEqual([7]);
      const warning = s.warnings.find((w) => w.startsWith(`ignored ${path}.journal from line 3 on (`));
      expect(warning).toContain(problem);
      expect(warning).toContain('; 3 line(s)), as if the run that wrote it had stopped there');
      expect(warning).toMatch(/re-matched by global id \(nothing is copied twice\)$/);
      // A later write goes after the good lines, never after the dropped ones.
      s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(5, 15, 'g5') });
      await s.flush();
      const copy = await crashCopy(path);
      await s.close();
      expect(await readFile(`${copy}.journal`, 'utf8')).toBe(header + 'put "INBOX" "INBOX" 3 13 g3\nput "INBOX" "INBOX" 5 15 g5\n');
      const t = await SyncState.open(copy, ID);
      expect(t.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2, 3, 5]);
      expect(t.warnings).toEqual(['recovered 2 change(s) from the journal of an interrupted run']);
      await t.close();
    });
  }

  it('a run that changes nothing still commits, so the journal does not stay behind', async () => {
    await writeSample(path);
    await writeFile(`${path}.journal`, header + 'bogus line\n');
    const s = await SyncState.open(path, ID);
    expect(s.hasChanges).toBe(true);
    await s.commit();
    await s.close();
    await expect(stat(`${path}.journal`)).rejects.toThrow(/ENOENT/);
    const t = await SyncState.open(path, ID);
    expect(t.warnings).toEqual([]);
    await t.close();
  });
});

describe('an incomplete last journal line', () => {
  it('is reported without claiming the run was killed (a full disk leaves one too)', async () => {
    await writeSample(path);
    const header = `replimap-journal 2 1 ${JSON.stringify(ID.storeA)} ${JSON.stringify(ID.storeB)}\n`;
    await writeFile(`${path}.journal`, header + 'put "INBOX" "INBOX" 3 13 g3\nput "INBOX" "INB');
    const s = await SyncState.open(path, ID);
    expect(s.warnings).toContain(
      `ignored an incomplete last line of ${path}.journal (a run was interrupted while writing it: killed, crashed, or the disk was full)`,
    );
    expect(s.warnings.join('\n')).not.toMatch(/the run was killed/);
    await s.close();
  });
});

describe('a full disk', () => {
  // A real ENOSPC needs a small file system: a tmpfs, which only root may mount.
  let mountPoint: string;
  let mounted = false;
  beforeEach(async () => {
    mountPoint = join(dir, 'small-disk');
    await mkdir(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mountPoint], { stdio: 'ignore' });
      mounted = true;
    } catch {
      mounted = false;
    }
  });
  afterEach(() => {
    // Before the outer afterEach removes dir; lazy, so a handle still open cannot keep it mounted.
    if (mounted) execFileSync('umount', ['-l', mountPoint]);
  });

  it('the run that fills it names the file and the cause; the next run does not claim a kill', async (ctx) => {
    if (!mounted) ctx.skip();
    const p = join(mountPoint, 'state');
    const s = await SyncState.open(p, ID);
    s.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
    await s.commit();
    let err: unknown;
    try {
      for (let uid = 1; uid < 10_000; uid++) {
        s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(uid, uid, `gid-${uid}-${'x'.repeat(40)}`) });
        if (uid % 50 === 0) await s.flush();
      }
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).exitCode).toBe(4);
    expect((err as StateError).message).toMatch(
      new RegExp(`^cannot write state journal ${p}\\.journal: ENOSPC: no space left on device, write; free some space and run again`),
    );
    expect((err as StateError).message).not.toContain('\n');
    await s.close().catch(() => undefined);
    // The write that failed left part of a line; the next run keeps what came before and says nothing of a kill.
    const journal = await readFile(`${p}.journal`);
    expect(journal[journal.length - 1]).not.toBe(0x0a);
    const t = await SyncState.open(p, ID);
    expect(t.warnings.join('\n')).not.toMatch(/killed while/);
    expect(t.warnings.join('\n')).toMatch(/incomplete last line .*killed, crashed, or the disk was full/);
    expect(t.folder('INBOX', 'INBOX')!.records().length).toBeGreaterThan(0);
    await t.close();
  });

  it('a commit that does not fit names the state file and leaves the old one and the journal', async (ctx) => {
    if (!mounted) ctx.skip();
    const p = join(mountPoint, 'state2');
    await writeSample(p);
    const before = await readFile(p, 'utf8');
    const s = await SyncState.open(p, ID);
    s.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record: rec(3, 13, 'g3') });
    await s.flush();
    // Fill what is left, so the new state file cannot be written.
    const filler = join(mountPoint, 'filler');
    await writeFile(filler, Buffer.alloc(64 * 1024)).catch(() => undefined);
    try {
      const err = await expectStateError(s.commit(), new RegExp(`^cannot write state file ${p}: ENOSPC: no space left on device`));
      expect(err.message).toMatch(/free some space and run again/);
    } finally {
      await rm(filler);
    }
    await s.close();
    expect(await readFile(p, 'utf8')).toBe(before);
    const t = await SyncState.open(p, ID);
    expect(t.folder('INBOX', 'INBOX')!.knownUids('a')).toEqual([1, 2, 3]);
    await t.close();
  });
});

// Second hostile review of issue 6: a section discarded at open (a damaged status line) must not get its
// statuses back from the journal of an interrupted run without its records (the folder would look up to date).
describe('a damaged status line × journal replay', () => {
  it('a section discarded at open is not given back its statuses by the journal without its records (held marks lost)', async () => {
    const st = (uidNext: number): SideStatus => ({ uidValidity: 7n, uidNext, highestModseq: BigInt(uidNext), messages: uidNext - 1 });
    const names = { nameA: 'INBOX', nameB: 'INBOX' };
    const s = await SyncState.open(path, ID);
    s.apply({ op: 'folder', ...names });
    s.apply({ op: 'put', ...names, record: { uidA: 1, uidB: 1, gid: 'gid-one-aaaaaaaa', flags: [] } });
    s.apply({ op: 'put', ...names, record: { uidA: 0, uidB: 51, gid: 'gid-held-aaaaaaa', flags: [], held: 'rollback' } });
    s.apply({ op: 'status', ...names, side: 'a', status: st(52) });
    s.apply({ op: 'status', ...names, side: 'b', status: st(52) });
    await s.commit();
    await s.close();
    // The next (mirror) run copies one message, records the statuses, and dies before its commit.
    const t = await SyncState.open(path, ID);
    t.apply({ op: 'put', ...names, record: { uidA: 60, uidB: 60, gid: 'gid-new-aaaaaaaa', flags: [] } });
    t.apply({ op: 'status', ...names, side: 'a', status: st(61) });
    t.apply({ op: 'status', ...names, side: 'b', status: st(61) });
    await t.flush();
    await t.close();
    // The committed file's status line rots.
    await writeFile(path, (await readFile(path, 'utf8')).replace(/^status a 7 /m, 'status a x '));
    const u = await SyncState.open(path, ID);
    const f = u.folder('INBOX', 'INBOX')!;
    const view = { statusA: f.statusA, statusB: f.statusB, records: f.records().map((r) => r.uidB), discarded: f.discarded };
    await u.close();
    // Seen before the fix: statusA uidNext 61, records [60]: the folder read from 61 on, records 1 and 51 gone.
    expect(view).toEqual({ statusA: undefined, statusB: undefined, records: [60], discarded: true });
  });
});
