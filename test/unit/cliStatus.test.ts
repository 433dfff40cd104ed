// `replimap status A B`: deferred messages per folder and in total, from the
// state file alone (the harness has no store: a connection would fail).

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseStoreUrl } from '../../src/config/storeUrl.js';
import { SyncState } from '../../src/state/SyncState.js';
import { cliHarness } from '../support/cliHarness.js';
import { tempDir } from '../support/sync.js';

const A = 'imaps://alice@a.example';
const B = 'imaps://bob@b.example';

async function stateWithDeferred(path: string): Promise<void> {
  const s = await SyncState.open(path, { storeA: parseStoreUrl(A, 'A').displayUrl, storeB: parseStoreUrl(B, 'B').displayUrl });
  for (const [nameA, nameB] of [['INBOX', 'INBOX'], ['Sent', 'Sent Items'], ['Work', 'Work']] as const) s.apply({ op: 'folder', nameA, nameB });
  s.apply({ op: 'reset', nameA: 'INBOX', nameB: 'INBOX', records: [
    { uidA: 1, uidB: 1, gid: 'g1', flags: [] },
    { uidA: 2, uidB: 0, gid: 'g2', flags: [], status: 'deferred', size: 3_000_000 },
    { uidA: 3, uidB: 0, gid: 'g3', flags: [], status: 'deferred', size: 1_000_000 },
    { uidA: 4, uidB: 0, gid: 'g4', flags: [], status: 'pending' },
  ] });
  s.apply({ op: 'reset', nameA: 'Sent', nameB: 'Sent Items', records: [{ uidA: 9, uidB: 0, gid: 'g9', flags: [], status: 'deferred', size: 2048 }] });
  s.apply({ op: 'reset', nameA: 'Work', nameB: 'Work', records: [{ uidA: 5, uidB: 5, gid: 'g5', flags: [] }] });
  s.setMessageFilter('max-size=1048576');
  await s.commit();
  await s.close();
}

describe('replimap status', () => {
  it('lists deferred messages and sizes per folder and in total, as JSON too, without a password or a connection', async () => {
    const path = join(tempDir('replimap-status-'), 'state');
    await stateWithDeferred(path);
    const h = cliHarness({ env: { HOME: '/home/test' } });
    expect(await h.run('status', '--state', path, '--json', A, B)).toBe(0);
    const json = JSON.parse(h.stdout.text) as Record<string, unknown>;
    expect(json).toMatchObject({
      ok: true, statePath: path, stateExists: true, filter: 'max-size=1048576',
      folders: [
        { folder: 'INBOX', nameA: 'INBOX', nameB: 'INBOX', deferred: 2, bytes: 4_000_000 },
        { folder: 'Sent (Sent Items)', nameA: 'Sent', nameB: 'Sent Items', deferred: 1, bytes: 2048 },
      ],
      total: { deferred: 3, bytes: 4_002_048 },
    });
    expect(h.stores).toEqual([]);

    const text = cliHarness({ env: { HOME: '/home/test' } });
    expect(await text.run('status', '--state', path, A, B)).toBe(0);
    const lines = text.stdout.text.trim().split('\n');
    expect(lines[0]).toBe(`state file ${path} (last filter: max-size=1048576)`);
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/))).toEqual([['INBOX', '2', '4.0 MB'], ['Sent (Sent Items)', '1', '2.0 kB'], ['total', '3', '4.0 MB']]);
  });

  it('finds the state where sync keeps it by default, and says so when there is none', async () => {
    const xdg = tempDir('replimap-status-xdg-');
    const h = cliHarness({ env: { HOME: '/home/test', XDG_STATE_HOME: xdg } });
    expect(await h.run('status', A, B)).toBe(0);
    expect(h.stdout.text).toMatch(new RegExp(`^no state file at ${xdg}/replimap/alice@a\\.example_993--bob@b\\.example_993-[0-9a-f]+\\.state`));
  });

  it('a state of other stores is refused (exit 4)', async () => {
    const path = join(tempDir('replimap-status-'), 'state');
    await stateWithDeferred(path);
    const h = cliHarness({ env: { HOME: '/home/test' } });
    expect(await h.run('status', '--state', path, B, A)).toBe(4);
    expect(h.stderr.text).toMatch(/belongs to stores/);
  });
});
