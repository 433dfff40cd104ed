import { describe, expect, it } from 'vitest';
import type { StateOp } from '../../src/state/types.js';
import type { FolderInfo, FolderRead, Store } from '../../src/store/types.js';
import type { FolderExecutionResult } from '../../src/sync/executor.js';
import { expectedStatusOfB, recordOwnWritesOnB, type ExpectedStatus } from '../../src/sync/ownWrites.js';
import type { SyncObserver, SyncOptions } from '../../src/sync/types.js';
import type { SyncState } from '../../src/state/SyncState.js';

const options = (mode: SyncOptions['mode'], dryRun = false): SyncOptions => ({
  mode, dryRun, filter: { include: [], exclude: [] }, deleteFolders: false, force: false, full: false, connections: 1,
});
const job = { nameA: 'INBOX', nameB: 'INBOX', label: 'INBOX', missingOn: [], rescanB: false };
const readB = { status: { uidValidity: 7n, uidNext: 11, highestModseq: 30n, messages: 10 } } as FolderRead;
const done = (over: Partial<FolderExecutionResult> = {}): FolderExecutionResult => ({
  folder: 'INBOX', skipped: false, copied: 3, bytes: 300, transferred: 0, flagsUpdated: 0, expunged: 0, failed: 0,
  statusRecorded: true, maxAppendedUid: 13, maxAppendedUidA: 0, appendsWithoutUid: 0, standInsAppended: { a: 0, b: 0 },
  bySide: { a: { copied: 0, bytes: 0, flagsUpdated: 0, expunged: 0 }, b: { copied: 3, bytes: 300, flagsUpdated: 0, expunged: 0 } }, ...over,
});

describe('expectedStatusOfB', () => {
  it('predicts UIDNEXT and MESSAGES after our own appends in copy mode', () => {
    expect(expectedStatusOfB(options('copy'), job, readB, done())).toEqual({
      nameA: 'INBOX', nameB: 'INBOX', uidValidity: 7n, uidNext: 14, messages: 13,
    });
    expect(expectedStatusOfB(options('copy'), job, readB, done({ copied: 0, maxAppendedUid: 0, flagsUpdated: 2 }))?.uidNext).toBe(11);
  });

  it('counts the stand-ins appended to B (--placeholders) in MESSAGES, with or without a copy', () => {
    expect(expectedStatusOfB(options('copy'), job, readB, done({ copied: 1, maxAppendedUid: 13, standInsAppended: { a: 0, b: 2 } }))).toMatchObject({ uidNext: 14, messages: 13 });
    expect(expectedStatusOfB(options('copy'), job, readB, done({ copied: 0, maxAppendedUid: 12, standInsAppended: { a: 0, b: 2 } }))).toMatchObject({ uidNext: 13, messages: 12 });
  });

  it('counts a message given a new UID (moved within the folder): UIDNEXT past it, MESSAGES unchanged; unknown new UID: no prediction', () => {
    const renumbered = done({ copied: 0, maxAppendedUid: 15, reassigned: [{ side: 'B', uid: 4, newUid: 15 }] });
    expect(expectedStatusOfB(options('copy'), job, readB, renumbered)).toMatchObject({ uidNext: 16, messages: 10 });
    expect(expectedStatusOfB(options('copy'), job, readB, done({ copied: 0, reassigned: [{ side: 'B', uid: 4 }] }))).toBeUndefined();
  });

  it('predicts nothing when it cannot be exact or need not be', () => {
    expect(expectedStatusOfB(options('mirror'), job, readB, done())).toBeUndefined();
    expect(expectedStatusOfB(options('copy', true), job, readB, done())).toBeUndefined();
    expect(expectedStatusOfB(options('copy'), job, readB, done({ statusRecorded: false }))).toBeUndefined();
    expect(expectedStatusOfB(options('copy'), job, readB, done({ appendsWithoutUid: 1 }))).toBeUndefined();
    expect(expectedStatusOfB(options('copy'), job, readB, done({ copied: 0, maxAppendedUid: 0 }))).toBeUndefined();
  });
});

describe('recordOwnWritesOnB', () => {
  const expected: ExpectedStatus[] = [
    { nameA: 'INBOX', nameB: 'INBOX', uidValidity: 7n, uidNext: 14, messages: 13 },
    { nameA: 'Work', nameB: 'Work', uidValidity: 8n, uidNext: 5, messages: 4 },
  ];
  it('records the status only where B shows exactly our own writes', async () => {
    const listed: FolderInfo[] = [
      { name: 'INBOX', delimiter: '/', subscribed: true, selectable: true, status: { uidValidity: 7n, uidNext: 14, highestModseq: 41n, messages: 13 } },
      // Someone else appended to Work meanwhile.
      { name: 'Work', delimiter: '/', subscribed: true, selectable: true, status: { uidValidity: 8n, uidNext: 6, highestModseq: 9n, messages: 5 } },
    ];
    const ops: StateOp[] = [];
    const state = { apply: (op: StateOp) => ops.push(op), flush: async () => undefined } as unknown as SyncState;
    const store = { listFolders: async () => listed } as unknown as Store;
    const notes: string[] = [];
    const observer = { verbose: (t: string) => notes.push(t) } as unknown as SyncObserver;
    await recordOwnWritesOnB(store, state, expected, observer);
    expect(ops).toEqual([{ op: 'status', nameA: 'INBOX', nameB: 'INBOX', side: 'b', status: listed[0]!.status }]);
    expect(notes.join('\n')).toMatch(/Work: B changed/);
  });

  it('a failed listing only costs the optimisation', async () => {
    const ops: StateOp[] = [];
    const state = { apply: (op: StateOp) => ops.push(op), flush: async () => undefined } as unknown as SyncState;
    const store = { listFolders: async () => { throw new Error('connection lost'); } } as unknown as Store;
    const notes: string[] = [];
    await recordOwnWritesOnB(store, state, expected, { verbose: (t: string) => notes.push(t) } as unknown as SyncObserver);
    expect(ops).toEqual([]);
    expect(notes.join('\n')).toMatch(/connection lost/);
  });
});
