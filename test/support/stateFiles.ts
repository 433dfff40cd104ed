// Helpers of the state tests: a fresh directory per test, comparable
// snapshots of a state, crash copies of its files, and the StateError an open
// or commit must fail with.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { StateError } from '../../src/errors.js';
import type { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord } from '../../src/state/types.js';

export function sortRecords(rs: readonly MessageRecord[]): MessageRecord[] {
  return [...rs].map((r) => ({ ...r, flags: [...r.flags] })).sort((x, y) => x.uidA - y.uidA || x.uidB - y.uidB);
}

/** Folder names, statuses, discarded marks and records of a state, in a comparable form. */
export function snapshot(s: SyncState): unknown {
  return s
    .folderKeys()
    .map(({ nameA, nameB }) => {
      const f = s.folder(nameA, nameB)!;
      return { nameA, nameB, statusA: f.statusA, statusB: f.statusB, discarded: f.discarded, records: sortRecords(f.records()) };
    })
    .sort((x, y) => (x.nameA + '\0' + x.nameB < y.nameA + '\0' + y.nameB ? -1 : 1));
}

export async function expectStateError(p: Promise<unknown>, ...patterns: RegExp[]): Promise<StateError> {
  const err = await p.then(
    () => {
      throw new Error('expected a StateError');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StateError);
  expect((err as StateError).exitCode).toBe(4);
  for (const pat of patterns) expect((err as StateError).message).toMatch(pat);
  return err as StateError;
}

/** Copies the state files as they are on disk now, as a crash would leave them, into a new directory under `dir`. */
export async function crashCopy(from: string, dir: string): Promise<string> {
  const to = await mkdtemp(join(dir, 'crash-'));
  for (const suffix of ['', '.journal']) {
    await copyFile(from + suffix, join(to, 'state' + suffix)).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  }
  return join(to, 'state');
}

/** Registers a fresh directory for each test (removed after it); `path` is a state file in it. */
export function tempStateDir(prefix: string): { readonly dir: string; readonly path: string } {
  const at = { dir: '', path: '' };
  beforeEach(async () => {
    at.dir = await mkdtemp(join(tmpdir(), prefix));
    at.path = join(at.dir, 'state');
  });
  afterEach(async () => {
    await rm(at.dir, { recursive: true, force: true });
  });
  return at;
}
