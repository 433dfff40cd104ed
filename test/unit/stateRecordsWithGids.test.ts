// FolderState.recordsWithGids: the records of some global ids from a section
// not parsed yet (server-side copies from unchanged folders look them up):
// only the matching lines are parsed, the section stays unparsed.
import { describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord } from '../../src/state/types.js';
import { STATE_TEST_IDENTITY as ID } from '../support/stateOps.js';
import { tempStateDir } from '../support/stateFiles.js';

const at = tempStateDir('replimap-gids-');
const rec = (uidA: number, uidB: number, gid: string, flags: string[] = []): MessageRecord => ({ uidA, uidB, gid, flags });

const records: MessageRecord[] = [
  rec(1, 11, 'g1', ['\\Seen']),
  { ...rec(2, 0, 'g2', ['\\Seen', 'a b']), status: 'pending' },
  { ...rec(0, 13, 'g3'), status: 'deferred', size: 120 },
  { ...rec(0, 14, 'g4', ['$Junk']), held: 'rollback', status: 'pending' },
  { ...rec(5, 15, 'g2', ['x']), byMessageId: true },
  rec(6, 16, 'g22'),
];

async function committed(): Promise<void> {
  const s = await SyncState.open(at.path, ID);
  s.apply({ op: 'folder', nameA: 'F', nameB: 'F' });
  s.apply({ op: 'reset', nameA: 'F', nameB: 'F', records });
  await s.commit();
  await s.close();
}

const byUids = (rs: readonly MessageRecord[]): MessageRecord[] => [...rs].sort((x, y) => x.uidA - y.uidA || x.uidB - y.uidB);

describe('recordsWithGids', () => {
  it('gives the records of those gids (marks, flags and all) from an unparsed section, as the parsed section would', async () => {
    await committed();
    const s = await SyncState.open(at.path, ID);
    const wanted = new Set(['g2', 'g4', 'absent']);
    const found = s.folder('F', 'F')!.recordsWithGids(wanted);
    expect(byUids(found)).toEqual(byUids(records.filter((r) => wanted.has(r.gid))));
    // Once parsed, the same answer.
    expect(byUids(s.folder('F', 'F')!.records().filter((r) => wanted.has(r.gid)))).toEqual(byUids(found));
    expect(byUids(s.folder('F', 'F')!.recordsWithGids(wanted))).toEqual(byUids(found));
    await s.close();
  });

  it('parses only the matching lines: a damaged line of another gid goes unseen (no warning), a damaged matching one is left out', async () => {
    await committed();
    const text = await readFile(at.path, 'utf8');
    // g22's line loses its spaces (a line shorter than its gid must not swallow the next one), g1's gets a bad mark.
    await writeFile(at.path, text.replace('6 16 g22\n', '616g22\n').replace('1 11 g1 ', '1 11 g1 %bogus '));
    const s = await SyncState.open(at.path, ID);
    const intact = new Set(['g2', 'g3', 'g4']);
    expect(byUids(s.folder('F', 'F')!.recordsWithGids(intact))).toEqual(byUids(records.filter((r) => intact.has(r.gid))));
    expect(s.folder('F', 'F')!.recordsWithGids(new Set(['g1']))).toEqual([]);
    expect(s.warnings).toEqual([]);
    // Parsed in full, the section is found damaged as before.
    expect(s.folder('F', 'F')!.records()).toEqual([]);
    expect(s.warnings.join('\n')).toMatch(/damaged/);
    await s.close();
  });
});
