// State format 2: record statuses, the identity-rule version in the header,
// intents with their side (and version-1 intent lines), folder renames.
import { describe, expect, it } from 'vitest';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { SyncState } from '../../src/state/SyncState.js';
import { IDENTITY_RULE_VERSION } from '../../src/identityVersion.js';
import type { MessageRecord } from '../../src/state/types.js';
import { STATE_TEST_IDENTITY as ID } from '../support/stateOps.js';
import { crashCopy, expectStateError, snapshot, tempStateDir } from '../support/stateFiles.js';

const at = tempStateDir('replimap-state2-');

const rec = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => ({ uidA, uidB, gid, flags });
const F = { nameA: 'F', nameB: 'F' };
const JOURNAL_HEADER = `${JSON.stringify(ID.storeA)} ${JSON.stringify(ID.storeB)}`;

/** A committed state with folder F holding `records`. */
async function stateWith(records: MessageRecord[]): Promise<void> {
  const s = await SyncState.open(at.path, ID);
  s.apply({ op: 'folder', ...F });
  s.apply({ op: 'reset', ...F, records });
  await s.commit();
  await s.close();
}

/** F's record `2 12 g2` written as `line` in the file: the section is discarded, with a warning naming `problem`. */
async function expectLineDiscardsSection(line: string, problem: string): Promise<void> {
  await stateWith([rec(1, 11, 'g1'), rec(2, 12, 'g2')]);
  await writeFile(at.path, (await readFile(at.path, 'utf8')).replace('2 12 g2\n', `${line}\n`));
  const t = await SyncState.open(at.path, ID);
  expect(t.folder('F', 'F')!.records(), line).toEqual([]);
  expect(t.warnings.join('\n'), line).toContain(problem);
  await t.close();
  await rm(at.path);
}

/** journaled(records), then committed: the file's lines, and the records as both read them. */
async function committed(records: MessageRecord[]): Promise<{ lines: string[]; expected: unknown }> {
  const { s, expected } = await journaled(records);
  await s.commit();
  await s.close();
  return { lines: (await readFile(at.path, 'utf8')).split('\n'), expected };
}

/** As expectLineDiscardsSection, in a format-1 file (which has no record tokens but %held). */
async function expectFormat1LineDiscardsSection(line: string, problem: string): Promise<void> {
  await stateWith([rec(1, 11, 'g1'), rec(2, 12, 'g2')]);
  const v1 = (await readFile(at.path, 'utf8')).replace('replimap-state 2', 'replimap-state 1').replace('identity 1\n', '');
  await writeFile(at.path, v1.replace('2 12 g2\n', `${line}\n`));
  const t = await SyncState.open(at.path, ID);
  expect(t.folder('F', 'F')!.records()).toEqual([]);
  expect(t.warnings.join('\n')).toContain(problem);
  await t.close();
}

/** A new state with `records` put into F and flushed; a crash copy (the journal replayed) reads the same. */
async function journaled(records: MessageRecord[]): Promise<{ s: SyncState; expected: unknown }> {
  const s = await SyncState.open(at.path, ID);
  s.apply({ op: 'folder', ...F });
  for (const r of records) s.apply({ op: 'put', ...F, record: r });
  await s.flush();
  const expected = snapshot(s);
  const t = await SyncState.open(await crashCopy(at.path, at.dir), ID);
  expect(snapshot(t)).toEqual(expected);
  await t.close();
  return { s, expected };
}

describe('record status', () => {
  const statused: MessageRecord[] = [
    rec(1, 11, 'g1', ['\\Seen']),
    { ...rec(2, 0, 'g2', ['\\Seen', 'a b']), status: 'pending' },
    { ...rec(0, 13, 'g3'), status: 'deferred' },
    { ...rec(0, 14, 'g4', ['$Junk']), held: 'rollback', status: 'pending' },
    { ...rec(5, 0, 'g5'), held: 'unknown' },
  ];

  it('round-trips through the journal and the state file, read lazily, with no bytes for synced records', async () => {
    // An explicit 'synced' is what no status means.
    const { s, expected } = await journaled([...statused, { ...rec(6, 16, 'g6'), status: 'synced' }]);
    expect(s.folder('F', 'F')!.records().find((r) => r.uidA === 6)).toEqual(rec(6, 16, 'g6'));
    await s.commit();
    await s.close();

    const text = await readFile(at.path, 'utf8');
    expect(text).toContain('\n1 11 g1 \\Seen\n');
    expect(text).toContain('\n2 0 g2 %status:pending \\Seen a%20b\n');
    expect(text).toContain('\n0 13 g3 %status:deferred\n');
    expect(text).toContain('\n0 14 g4 %held:rollback %status:pending $Junk\n');
    expect(text).toContain('\n5 0 g5 %held:unknown\n');
    expect(text).toContain('\n6 16 g6\n');
    const u = await SyncState.open(at.path, ID);
    expect(u.folder('F', 'F')!.hasUnsyncedRecords()).toBe(true); // unparsed: a byte search
    expect(snapshot(u)).toEqual(expected);
    // Copied to B: the pair replaces the pending record, status and all.
    u.apply({ op: 'put', ...F, record: rec(2, 12, 'g2', ['\\Seen']) });
    await u.commit();
    await u.close();
    expect(await readFile(at.path, 'utf8')).toContain('\n2 12 g2 \\Seen\n');
  });

  it('hasUnsyncedRecords: false without a status, parsed or not; true once one is put', async () => {
    await stateWith([rec(1, 11, 'g1'), { ...rec(0, 12, 'g2'), held: 'rollback' }]);
    const s = await SyncState.open(at.path, ID);
    expect(s.folder('F', 'F')!.hasUnsyncedRecords()).toBe(false);
    s.folder('F', 'F')!.records();
    expect(s.folder('F', 'F')!.hasUnsyncedRecords()).toBe(false);
    s.apply({ op: 'put', ...F, record: { ...rec(0, 13, 'g3'), status: 'deferred' } });
    expect(s.folder('F', 'F')!.hasUnsyncedRecords()).toBe(true);
    await s.close();
  });

  it('a state of 100,000 synced records is as big as its version-1 form plus the identity line', async () => {
    const records = Array.from({ length: 100_000 }, (_, i) => rec(i + 1, i + 1, `gid${i}`, i % 2 ? ['\\Seen'] : []));
    await stateWith(records);
    const text = await readFile(at.path, 'utf8');
    const recordBytes = records.reduce((n, r) => n + `${r.uidA} ${r.uidB} ${r.gid}${r.flags.length ? ' \\Seen' : ''}\n`.length, 0);
    const v1Header = `replimap-state 1\nstores ${JOURNAL_HEADER}\ngeneration 1\n`;
    const rest = 'folder "F" "F"\nend 1 100000\n';
    expect(text.length).toBe(v1Header.length + 'identity 1\n'.length + rest.length + recordBytes);
    expect(text).not.toContain('%status');
  });

  it('refuses a status on a record with both UIDs or an unknown one; in the file such a line discards its section', async () => {
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'folder', ...F });
    expect(() => s.apply({ op: 'put', ...F, record: { ...rec(1, 11, 'g1'), status: 'pending' } })).toThrow(/bad status "pending"/);
    expect(() => s.apply({ op: 'put', ...F, record: { ...rec(1, 0, 'g1'), status: 'later' as 'pending' } })).toThrow(/bad status "later"/);
    await s.close();
    for (const [line, problem] of [
      ['2 12 g2 %status:pending', 'a pending status on a record with both UIDs'],
      ['2 0 g2 %status:sync', 'bad percent-encoding'],
      ['0 12 g2 %status:pending %held:rollback', 'bad percent-encoding'], // held comes first
    ] as const) {
      await expectLineDiscardsSection(line, problem);
    }
  });

  it('in a format-1 file a status token is damage, as it was to the release that wrote format 1', async () => {
    await stateWith([rec(1, 11, 'g1'), rec(2, 12, 'g2')]);
    const v1 = (await readFile(at.path, 'utf8')).replace('replimap-state 2', 'replimap-state 1').replace('identity 1\n', '');
    await writeFile(at.path, v1.replace('2 12 g2\n', '0 12 g2 %status:pending\n'));
    const t = await SyncState.open(at.path, ID);
    expect(t.folder('F', 'F')!.hasUnsyncedRecords()).toBe(false); // a format-1 section has no statuses
    expect(t.folder('F', 'F')!.records()).toEqual([]);
    expect(t.warnings.join('\n')).toContain('bad percent-encoding in flag "%status:pending"');
    await t.close();
  });
});

describe('the Message-ID mark (%mid)', () => {
  const marked: MessageRecord[] = [
    { ...rec(1, 11, 'g1', ['\\Seen']), byMessageId: true },
    { ...rec(2, 0, 'g2', ['a b']), status: 'pending', byMessageId: true },
    { ...rec(0, 14, 'g4', ['$Junk']), held: 'rollback', status: 'pending', byMessageId: true },
    rec(3, 13, 'g3'),
  ];

  it('round-trips through the journal and the state file, after the held and status tokens', async () => {
    const { s, expected } = await journaled(marked);
    expect(s.folder('F', 'F')!.records().find((r) => r.uidA === 1)).toEqual(marked[0]);
    await s.commit();
    await s.close();

    const lines = (await readFile(at.path, 'utf8')).split('\n');
    const written = ['1 11 g1 %mid \\Seen', '2 0 g2 %status:pending %mid a%20b', '0 14 g4 %held:rollback %status:pending %mid $Junk', '3 13 g3'];
    expect(lines).toEqual(expect.arrayContaining(written));
    const u = await SyncState.open(at.path, ID);
    expect(snapshot(u)).toEqual(expected);
    expect(u.folder('F', 'F')!.records().find((r) => r.uidA === 3)).not.toHaveProperty('byMessageId');
    await u.close();
  });

  it('a put that only adds the mark replaces the record', async () => {
    await stateWith([rec(1, 11, 'g1')]);
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'put', ...F, record: { ...rec(1, 11, 'g1'), byMessageId: true } });
    await s.commit();
    await s.close();
    expect(await readFile(at.path, 'utf8')).toContain('\n1 11 g1 %mid\n');
  });

  it('out of its place, or in a format-1 file, the token is damage', async () => {
    for (const [line, problem] of [
      ['2 0 g2 %mid %status:pending', 'bad percent-encoding in flag "%status:pending"'],
      ['2 12 g2 %mid %held:rollback', 'bad percent-encoding in flag "%held:rollback"'],
      ['2 12 g2 %midst', 'bad percent-encoding in flag "%midst"'],
    ] as const) {
      await expectLineDiscardsSection(line, problem);
    }
    await expectFormat1LineDiscardsSection('2 12 g2 %mid', 'bad percent-encoding in flag "%mid"');
  });
});

describe('deferred sizes (%size) and the message filter line', () => {
  const deferred: MessageRecord[] = [
    { ...rec(2, 0, 'g2', ['\\Seen']), status: 'deferred', size: 123456, byMessageId: true },
    { ...rec(0, 14, 'g4'), held: 'rollback', status: 'deferred', size: 0 },
    { ...rec(3, 0, 'g3'), status: 'pending' },
  ];

  it('round-trips a deferred record\'s size through the journal and the file; hasPendingRecords tells pending from deferred', async () => {
    const { lines, expected } = await committed(deferred);
    expect(lines).toEqual(expect.arrayContaining(['2 0 g2 %status:deferred %size:123456 %mid \\Seen', '0 14 g4 %held:rollback %status:deferred %size:0', '3 0 g3 %status:pending']));
    const u = await SyncState.open(at.path, ID);
    expect(u.folder('F', 'F')!.hasPendingRecords()).toBe(true); // unparsed: a byte search
    expect(snapshot(u)).toEqual(expected);
    u.apply({ op: 'del', ...F, uidA: 3, uidB: 0 });
    expect(u.folder('F', 'F')!.hasPendingRecords()).toBe(false);
    expect(u.folder('F', 'F')!.hasUnsyncedRecords()).toBe(true);
    await u.close();
  });

  it('a size token out of its place (after %mid), with bad digits, or in a format-1 file is damage', async () => {
    await expectLineDiscardsSection('2 12 g2 %mid %size:12', 'bad percent-encoding in flag "%size:12"');
    await expectLineDiscardsSection('2 0 g2 %status:deferred %size:1x', 'bad size');
    await expectLineDiscardsSection('2 12 g2 %size:', 'bad size');
    await expectFormat1LineDiscardsSection('2 12 g2 %size:12', 'bad percent-encoding in flag "%size:12"');
  });

  it('round-trips the size a Message-ID-less record\'s id hashes, on pairs and one-sided records of any status (bug 3)', async () => {
    const sized: MessageRecord[] = [
      { ...rec(1, 11, 'g1', ['\\Seen']), size: 321 },
      { ...rec(2, 0, 'g2'), status: 'pending', size: 12 },
      { ...rec(0, 13, 'g3'), held: 'rollback', size: 7 },
    ];
    const { lines, expected } = await committed(sized);
    expect(lines).toEqual(expect.arrayContaining(['1 11 g1 %size:321 \\Seen', '2 0 g2 %status:pending %size:12', '0 13 g3 %held:rollback %size:7']));
    const u = await SyncState.open(at.path, ID);
    expect(snapshot(u)).toEqual(expected);
    await u.close();
  });

  it('records the filter of the last complete run in the header, and none when it had none', async () => {
    const s = await SyncState.open(at.path, ID);
    expect(s.messageFilter).toBe('');
    s.setMessageFilter('max-size=1048576');
    await s.commit();
    await s.close();
    expect(await readFile(at.path, 'utf8')).toContain('\nfilter "max-size=1048576"\n');
    const t = await SyncState.open(at.path, ID);
    expect(t.messageFilter).toBe('max-size=1048576');
    t.setMessageFilter('');
    await t.commit();
    await t.close();
    expect(await readFile(at.path, 'utf8')).not.toContain('filter');
    await rm(at.path);
  });
});

describe('the identity-rule version', () => {
  it('is the current rule in a new state, written after the generation', async () => {
    const s = await SyncState.open(at.path, ID);
    expect(s.identityVersion).toBe(IDENTITY_RULE_VERSION);
    await s.commit();
    await s.close();
    expect((await readFile(at.path, 'utf8')).split('\n').slice(2, 4)).toEqual(['generation 1', `identity ${IDENTITY_RULE_VERSION}`]);
  });

  it('another rule: read back with a warning, kept until the caller says the pairs are re-verified', async () => {
    await stateWith([rec(1, 11, 'g1')]);
    await writeFile(at.path, (await readFile(at.path, 'utf8')).replace(`identity ${IDENTITY_RULE_VERSION}\n`, 'identity 7\n'));
    const s = await SyncState.open(at.path, ID);
    expect(s.identityVersion).toBe(7);
    expect(s.warnings).toEqual([
      `state file ${at.path} holds global ids of identity rule 7, this replimap computes rule ${IDENTITY_RULE_VERSION}: ` +
        `its records are re-verified before they are trusted`,
    ]);
    expect(s.hasChanges).toBe(false);
    await s.commit();
    await s.close();
    // A commit before the re-verification keeps the old rule.
    expect(await readFile(at.path, 'utf8')).toContain('\nidentity 7\n');
    const t = await SyncState.open(at.path, ID);
    t.setIdentityVersion(IDENTITY_RULE_VERSION);
    expect(t.hasChanges).toBe(true);
    await t.commit();
    await t.close();
    const u = await SyncState.open(at.path, ID);
    expect(u.identityVersion).toBe(IDENTITY_RULE_VERSION);
    expect(u.warnings).toEqual([]);
    await u.close();
  });

  it('a format-2 file without the line, or with a bad one, is corrupt (its header is damaged)', async () => {
    await stateWith([rec(1, 11, 'g1')]);
    const good = await readFile(at.path, 'utf8');
    await writeFile(at.path, good.replace('identity 1\n', ''));
    await expectStateError(SyncState.open(at.path, ID), /corrupt at line 4: expected the "identity" line/);
    await writeFile(at.path, good.replace('identity 1\n', 'identity one\n'));
    await expectStateError(SyncState.open(at.path, ID), /corrupt at line 4: bad identity "one"/);
  });
});

describe('intents', () => {
  it('journals the side; a version-1 intent line replays as side a', async () => {
    await stateWith([]);
    await writeFile(
      `${at.path}.journal`,
      `replimap-journal 1 1 ${JOURNAL_HEADER}\nintent "F" "F" 4 g4\nintent "F" "F" 5 g5\nput "F" "F" 5 55 g5\n`,
    );
    const s = await SyncState.open(at.path, ID);
    expect(s.unresolvedIntents()).toEqual([{ nameA: 'F', nameB: 'F', side: 'a', uid: 4, gid: 'g4' }]);
    s.apply({ op: 'intent', ...F, side: 'b', uid: 7, gid: 'g7' });
    await s.flush();
    expect((await readFile(`${at.path}.journal`, 'utf8')).split('\n').slice(-2)).toEqual(['intent "F" "F" b 7 g7', '']);
    await s.close();
  });

  it('refuses a bad side or uid 0; a journal line with either ends the replay there', async () => {
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'folder', ...F });
    expect(() => s.apply({ op: 'intent', ...F, side: 'c' as 'a', uid: 1, gid: 'g' })).toThrow(/bad side c/);
    expect(() => s.apply({ op: 'intent', ...F, side: 'b', uid: 0, gid: 'g' })).toThrow(/bad uid for intent: 0/);
    await s.commit();
    await s.close();
    for (const [line, problem] of [
      ['intent "F" "F" c 1 g', 'bad side or uidA "c"'],
      ['intent "F" "F" b 0 g', 'intent needs a uid'],
      ['intent "F" "F" 0 g', 'intent needs a uid'],
    ]) {
      await writeFile(`${at.path}.journal`, `replimap-journal 2 1 ${JOURNAL_HEADER}\nintent "F" "F" a 9 g9\n${line}\n`);
      const t = await SyncState.open(at.path, ID);
      expect(t.warnings.join('\n'), line).toContain(`from line 3 on (${problem}`);
      expect(t.unresolvedIntents(), line).toEqual([{ nameA: 'F', nameB: 'F', side: 'a', uid: 9, gid: 'g9' }]);
      await t.close();
    }
  });

  it('a version-1 journal gets a version-2 header before version-2 lines follow it', async () => {
    await stateWith([]);
    const v1Lines = `intent "F" "F" 4 g4\nput "F" "F" 1 11 g1\n`;
    await writeFile(`${at.path}.journal`, `replimap-journal 1 1 ${JOURNAL_HEADER}\n${v1Lines}`);
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'put', ...F, record: { ...rec(2, 0, 'g2'), status: 'pending' } });
    await s.flush();
    expect(await readFile(`${at.path}.journal`, 'utf8')).toBe(`replimap-journal 2 1 ${JOURNAL_HEADER}\n${v1Lines}put "F" "F" 2 0 g2 %status:pending\n`);
    const expected = snapshot(s);
    const t = await SyncState.open(await crashCopy(at.path, at.dir), ID);
    expect(snapshot(t)).toEqual(expected);
    expect(t.unresolvedIntents()).toEqual([{ nameA: 'F', nameB: 'F', side: 'a', uid: 4, gid: 'g4' }]);
    await t.close();
    await s.close();
  });

  it('a journal of an unknown version is refused, naming the versions read', async () => {
    await stateWith([]);
    await writeFile(`${at.path}.journal`, `replimap-journal 3 1 ${JOURNAL_HEADER}\n`);
    await expectStateError(SyncState.open(at.path, ID), /corrupt at line 1: journal version 3; this replimap reads versions 1 and 2$/);
  });
});

describe('rename-folder', () => {
  const G = { nameA: 'Archive "2024" ü', nameB: 'Archiv/2024 ü' };
  const rename = (from: { nameA: string; nameB: string }, to: { nameA: string; nameB: string }) =>
    ({ op: 'rename-folder', fromA: from.nameA, fromB: from.nameB, toA: to.nameA, toB: to.nameB }) as const;

  /** A committed state: F (statuses, records, one pending) and Other. */
  async function sample(): Promise<void> {
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'folder', ...F });
    s.apply({ op: 'status', ...F, side: 'a', status: { uidValidity: 3n, uidNext: 9, highestModseq: 12n, messages: 2 } });
    s.apply({ op: 'status', ...F, side: 'b', status: { uidValidity: 4n, uidNext: 30, messages: 2 } });
    s.apply({ op: 'put', ...F, record: rec(1, 21, 'g1', ['\\Seen']) });
    s.apply({ op: 'put', ...F, record: { ...rec(2, 0, 'g2'), status: 'pending' } });
    s.apply({ op: 'folder', nameA: 'Other', nameB: 'Other' });
    await s.commit();
    await s.close();
  }

  it('moves statuses, records (unparsed: written back byte for byte) and intents to the new names', async () => {
    await sample();
    const before = await readFile(at.path, 'utf8');
    const records = before.slice(before.indexOf('\n1 21 '), before.indexOf('\nfolder "Other"'));
    const s = await SyncState.open(at.path, ID);
    const old = snapshot(s) as { nameA: string }[];
    s.apply({ op: 'intent', ...F, side: 'a', uid: 2, gid: 'g2' });
    s.apply(rename(F, G));
    expect(s.folder('F', 'F')).toBeUndefined();
    expect(s.folderKeys()).toEqual([{ nameA: 'Other', nameB: 'Other' }, G]);
    expect(s.unresolvedIntents()).toEqual([{ ...G, side: 'a', uid: 2, gid: 'g2' }]);
    const renamed = snapshot(s);
    expect(renamed).toEqual(old.map((f) => (f.nameA === 'F' ? { ...f, ...G } : f)));
    await s.flush();
    expect(await readFile(`${at.path}.journal`, 'utf8')).toContain(`\nrename-folder "F" "F" ${JSON.stringify(G.nameA)} ${JSON.stringify(G.nameB)}\n`);
    // Replayed after a crash.
    const t = await SyncState.open(await crashCopy(at.path, at.dir), ID);
    expect(snapshot(t)).toEqual(renamed);
    expect(t.unresolvedIntents()).toEqual([{ ...G, side: 'a', uid: 2, gid: 'g2' }]);
    await t.close();
    // A put under the new name resolves the intent that moved with the pair.
    s.apply({ op: 'put', ...G, record: rec(2, 22, 'g2') });
    expect(s.unresolvedIntents()).toEqual([]);
    await s.commit();
    await s.close();
    const u = await SyncState.open(at.path, ID);
    expect(u.folder(G.nameA, G.nameB)!.records().find((r) => r.uidA === 2)).toEqual(rec(2, 22, 'g2'));
    await u.close();

    // Renamed without being parsed: its record lines are written back as they were.
    await rm(at.path);
    await sample();
    const v = await SyncState.open(at.path, ID);
    v.apply(rename(F, G));
    await v.commit();
    await v.close();
    const after = await readFile(at.path, 'utf8');
    expect(after).toContain(`folder ${JSON.stringify(G.nameA)} ${JSON.stringify(G.nameB)}\nstatus a 3 9 12 2\nstatus b 4 30 - 2${records}\nend `);
    expect(after).not.toContain('folder "F"');
  });

  it('is a no-op when the source pair is absent or the names do not change; refuses to merge into a known pair', async () => {
    await sample();
    const s = await SyncState.open(at.path, ID);
    const before = snapshot(s);
    s.apply(rename({ nameA: 'Nope', nameB: 'Nope' }, G));
    s.apply(rename(F, F));
    expect(snapshot(s)).toEqual(before);
    expect(() => s.apply(rename(F, { nameA: 'Other', nameB: 'Other' }))).toThrow(
      /^rename-folder "F" \/ "F" to "Other" \/ "Other": the state already has that folder pair \(drop it first; a rename never merges two pairs\)$/,
    );
    expect(snapshot(s)).toEqual(before);
    await s.flush();
    // Nothing was journaled for the no-ops or the refusal.
    expect(await readFile(`${at.path}.journal`, 'utf8').catch(() => '')).not.toContain('rename-folder');
    await s.close();
  });

  it('replays idempotently: a rename that already happened, twice over, or onto a known pair (the replay ends there)', async () => {
    await sample();
    const to = `${JSON.stringify(G.nameA)} ${JSON.stringify(G.nameB)}`;
    const journal = (lines: string[]) => writeFile(`${at.path}.journal`, [`replimap-journal 2 1 ${JOURNAL_HEADER}`, ...lines, ''].join('\n'));
    await journal([`rename-folder "F" "F" ${to}`, `rename-folder "F" "F" ${to}`, `put ${to} 3 23 g3`]);
    const s = await SyncState.open(at.path, ID);
    expect(s.warnings).toEqual(['recovered 3 change(s) from the journal of an interrupted run']);
    expect(s.folderKeys()).toEqual([{ nameA: 'Other', nameB: 'Other' }, G]);
    expect(s.folder(G.nameA, G.nameB)!.knownUids('a')).toEqual([1, 2, 3]);
    expect(s.folder(G.nameA, G.nameB)!.statusA!.uidNext).toBe(9);
    await s.close();

    await journal([`put "F" "F" 3 23 g3`, `rename-folder "F" "F" "Other" "Other"`, `put "F" "F" 4 24 g4`]);
    const t = await SyncState.open(at.path, ID);
    expect(t.warnings.join('\n')).toContain('from line 3 on (rename-folder "F" / "F" to "Other" / "Other": the state already has that folder pair');
    expect(t.folder('F', 'F')!.knownUids('a')).toEqual([1, 2, 3]);
    await t.close();
  });
});

describe("a side's STATUS SIZE (SideStatus.size)", () => {
  it('is kept through the journal and the committed file; a status line without it (older files) loads without size', async () => {
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'folder', ...F });
    s.apply({ op: 'status', ...F, side: 'a', status: { uidValidity: 7n, uidNext: 3, highestModseq: 9n, messages: 2, size: 12_345_678_901 } });
    s.apply({ op: 'status', ...F, side: 'b', status: { uidValidity: 8n, uidNext: 4, messages: 3 } });
    await s.flush();
    const replayed = await SyncState.open(await crashCopy(at.path, at.dir), ID);
    expect([replayed.folder('F', 'F')!.statusA, replayed.folder('F', 'F')!.statusB]).toEqual([
      { uidValidity: 7n, uidNext: 3, highestModseq: 9n, messages: 2, size: 12_345_678_901 },
      { uidValidity: 8n, uidNext: 4, messages: 3 },
    ]);
    await replayed.close();
    await s.commit();
    await s.close();
    const text = await readFile(at.path, 'utf8');
    expect(text).toContain('\nstatus a 7 3 9 2 12345678901\nstatus b 8 4 - 3\n');
    await writeFile(at.path, text.replace('status a 7 3 9 2 12345678901', 'status a 7 3 9 2'));
    const t = await SyncState.open(at.path, ID);
    expect([t.folder('F', 'F')!.statusA, t.warnings]).toEqual([{ uidValidity: 7n, uidNext: 3, highestModseq: 9n, messages: 2 }, []]);
    await t.close();
    await writeFile(at.path, text.replace('status a 7 3 9 2 12345678901', 'status a 7 3 9 2 1e5'));
    const u = await SyncState.open(at.path, ID);
    expect(u.warnings.join('\n')).toContain('bad SIZE');
    await u.close();
    await rm(at.path);
  });
});

describe("a side's MAILBOXID (SideStatus.mailboxId, %mailboxid:)", () => {
  it('is kept through the journal and the committed file, with a size or without; older lines load without it; a bad one is damage', async () => {
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'folder', ...F });
    s.apply({ op: 'status', ...F, side: 'a', status: { uidValidity: 7n, uidNext: 3, highestModseq: 9n, messages: 2, size: 500, mailboxId: 'r1iui0rg-oo_mvk5' } });
    s.apply({ op: 'status', ...F, side: 'b', status: { uidValidity: 8n, uidNext: 4, messages: 3, mailboxId: 'B42' } });
    await s.flush();
    const expected = [
      { uidValidity: 7n, uidNext: 3, highestModseq: 9n, messages: 2, size: 500, mailboxId: 'r1iui0rg-oo_mvk5' },
      { uidValidity: 8n, uidNext: 4, messages: 3, mailboxId: 'B42' },
    ];
    const replayed = await SyncState.open(await crashCopy(at.path, at.dir), ID);
    expect([replayed.folder('F', 'F')!.statusA, replayed.folder('F', 'F')!.statusB]).toEqual(expected);
    await replayed.close();
    await s.commit();
    await s.close();
    const text = await readFile(at.path, 'utf8');
    expect(text).toContain('\nstatus a 7 3 9 2 500 %mailboxid:r1iui0rg-oo_mvk5\nstatus b 8 4 - 3 %mailboxid:B42\n');
    const t = await SyncState.open(at.path, ID);
    expect([t.folder('F', 'F')!.statusA, t.folder('F', 'F')!.statusB, t.warnings]).toEqual([...expected, []]);
    await t.close();
    // A line written before ids existed.
    await writeFile(at.path, text.replace(' %mailboxid:B42', ''));
    const u = await SyncState.open(at.path, ID);
    expect([u.folder('F', 'F')!.statusB, u.warnings]).toEqual([{ uidValidity: 8n, uidNext: 4, messages: 3 }, []]);
    await u.close();
    for (const bad of ['%mailboxid:', '%mailboxid:a+b', 'B42']) {
      await writeFile(at.path, text.replace('%mailboxid:B42', bad));
      const v = await SyncState.open(at.path, ID);
      expect(v.warnings.join('\n'), bad).toMatch(/bad (MAILBOXID|SIZE)/);
      await v.close();
    }
    await rm(at.path);
  });

  it('refuses a status op with an id that is no RFC 8474 objectid', async () => {
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'folder', ...F });
    expect(() => s.apply({ op: 'status', ...F, side: 'a', status: { uidValidity: 7n, uidNext: 3, messages: 2, mailboxId: 'a b' } })).toThrow(/bad status/);
    await s.close();
    await rm(at.path, { force: true });
  });
});

describe('stand-in marks (%stand-in, --placeholders)', () => {
  const paired: MessageRecord[] = [
    { ...rec(2, 12, 'g2', ['\\Seen']), standIn: 'b', standInGid: 's2', size: 123456, byMessageId: true },
    { ...rec(3, 13, 'g3'), standIn: 'a', standInGid: 's3' },
    { ...rec(0, 14, 'g4'), standIn: 'b', standInGid: 's4', size: 9 },
    { ...rec(5, 0, 'g5'), status: 'deferred', size: 77, standIn: 'b', standInGid: 's5' },
    // A stand-in named alone whose original A lost in a rollback: mirror waits for --force.
    { ...rec(0, 16, 'g6'), held: 'rollback', standIn: 'b', standInGid: 's6' },
  ];

  it('round-trip through the journal and the file; a section with one counts as unsynced, parsed or not', async () => {
    const { s, expected } = await journaled(paired);
    await s.commit();
    await s.close();
    const lines = (await readFile(at.path, 'utf8')).split('\n');
    expect(lines).toEqual(expect.arrayContaining(['2 12 g2 %size:123456 %stand-in:b:s2 %mid \\Seen', '3 13 g3 %stand-in:a:s3', '0 14 g4 %size:9 %stand-in:b:s4', '5 0 g5 %status:deferred %size:77 %stand-in:b:s5', '0 16 g6 %held:rollback %stand-in:b:s6']));
    const u = await SyncState.open(at.path, ID);
    expect(u.folder('F', 'F')!.hasUnsyncedRecords()).toBe(true); // unparsed: a byte search
    expect(u.folder('F', 'F')!.hasPendingRecords()).toBe(false);
    expect(snapshot(u)).toEqual(expected);
    await u.close();
    await rm(at.path);
  });

  it('refuses a mark on a side without a UID (unless being made, deferred), with another status, or without its gid', async () => {
    const s = await SyncState.open(at.path, ID);
    s.apply({ op: 'folder', ...F });
    for (const bad of [
      { ...rec(2, 0, 'g2'), standIn: 'b' as const, standInGid: 's2' },
      { ...rec(2, 12, 'g2'), standIn: 'b' as const },
      { ...rec(2, 0, 'g2'), standIn: 'a' as const, standInGid: 's2', status: 'deferred' as const },
      { ...rec(2, 0, 'g2'), standIn: 'b' as const, standInGid: 's2', status: 'pending' as const },
    ]) {
      expect(() => s.apply({ op: 'put', ...F, record: bad })).toThrow(/stand-in/);
    }
    await s.close();
    await rm(at.path, { force: true });
  });

  it('in the file, a mark naming a side without a UID, or a bad one, is damage', async () => {
    await expectLineDiscardsSection('2 0 g2 %stand-in:b:s2', 'a stand-in mark on a side without a UID');
    await expectLineDiscardsSection('2 12 g2 %stand-in:c:s2', 'bad stand-in mark');
    await expectLineDiscardsSection('2 12 g2 %stand-in:b', 'bad stand-in mark');
    await expectLineDiscardsSection('2 0 g2 %status:deferred %stand-in:a:s2', 'a stand-in being made on a side with a UID');
    await expectLineDiscardsSection('2 0 g2 %status:pending %stand-in:b:s2', 'bad percent-encoding');
  });
});
