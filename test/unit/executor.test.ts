// The executor's bookkeeping, with stores that misbehave on purpose: what is
// recorded when a body cannot be read or an append is refused.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { AppendMessage, AppendResult, BodyRequest, FetchedBodies, FolderRead, MessageEnvelope, Store } from '../../src/store/types.js';
import { executeFolderPlan } from '../../src/sync/executor.js';
import type { FolderPlan, SnapshotMessage } from '../../src/sync/planTypes.js';
import type { SyncObserver } from '../../src/sync/types.js';

const quiet: SyncObserver = {
  phase: () => {}, started: () => {}, folderPlanned: () => {}, progress: () => {}, folderFinished: () => {},
  wouldDo: () => {}, warning: () => {}, failure: () => {}, verbose: () => {},
};
const read = (uidNext: number): FolderRead => ({
  status: { uidValidity: 1n, uidNext, highestModseq: 5n, messages: uidNext - 1 },
  uidValidityChanged: false, permanentFlags: { flags: [], allowsNewKeywords: true },
  readOnly: false, kind: 'full', messages: [], vanished: [], envelopes: [],
});

async function run(options: { missingBody?: number; refuse?: number; withheld?: number; uncompared?: number }) {
  const state = await SyncState.open(join(mkdtempSync(join(tmpdir(), 'replimap-exec-')), 's'), { storeA: 'a', storeB: 'b' });
  state.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
  const uids = [1, 2, 3];
  const plan: FolderPlan = {
    records: [], flagChanges: [], expunges: [], droppedKeywords: [], reusedUids: [], expungesWithheld: options.withheld ?? 0,
    appends: uids.map((uid) => ({ uidA: uid, gid: `gid${uid}aaaaaaaaaaa`, flags: ['\\Seen'], size: 10 })),
    ...(options.uncompared !== undefined && { uncompared: options.uncompared }),
  };
  const snapshotA = new Map<number, SnapshotMessage>(uids.map((uid) => [uid, { flags: ['\\Seen'], gid: `gid${uid}aaaaaaaaaaa`, size: 10 }]));
  const envelopesA = new Map<number, MessageEnvelope>(uids.map((uid) => [uid, { uid, flags: ['\\Seen'], size: 10, internalDate: new Date(0), identityHeaders: '' }]));
  let nextUid = 100;
  const storeA = {
    fetchBodies: async (want: BodyRequest[]): Promise<FetchedBodies> => ({
      bodies: new Map(want.filter(({ uid }) => uid !== options.missingBody).map(({ uid }) => [uid, Buffer.from(`m${uid}`)])),
      refused: new Map(),
    }),
  } as unknown as Store;
  const storeB = {
    append: async (_folder: string, messages: AppendMessage[]): Promise<AppendResult> => ({
      outcomes: messages.map((m) => (m.body.toString() === `m${options.refuse}` ? { ok: false as const, error: new Error('NO too big') } : { ok: true as const, uid: nextUid++ })),
    }),
    addFlags: async () => {}, removeFlags: async () => {}, expungeMessages: async () => {},
  } as unknown as Store;
  const result = await executeFolderPlan(
    { storeA, storeB, state, observer: quiet },
    { nameA: 'INBOX', nameB: 'INBOX', label: 'INBOX', plan, recordsBefore: [], snapshotA, envelopesA, readA: read(4), readB: read(1) },
  );
  const folder = state.folder('INBOX', 'INBOX')!;
  const out = { result, records: folder.records().map((r) => [r.uidA, r.uidB]).sort((x, y) => x[0]! - y[0]!), statusA: folder.statusA };
  await state.close();
  return out;
}

describe('executeFolderPlan', () => {
  it('records every copy with its B UID, then the statuses', async () => {
    const { result, records, statusA } = await run({});
    expect(result.copied).toBe(3);
    expect(records).toEqual([[1, 100], [2, 101], [3, 102]]);
    expect(statusA).toBeDefined();
    expect(result.maxAppendedUid).toBe(102);
  });

  it('a body A did not return is kept as A-only, and the folder is read again next run', async () => {
    const { result, records, statusA } = await run({ missingBody: 2 });
    expect(result.copied).toBe(2);
    expect(result.failed).toBe(0);
    expect(records).toEqual([[1, 100], [2, 0], [3, 101]]);
    expect(statusA).toBeUndefined();
  });

  it('a plan with bodies it could not compare is carried out, and the folder is read again next run', async () => {
    const { result, records, statusA } = await run({ uncompared: 1 });
    expect(result.copied).toBe(3);
    expect(result.failed).toBe(0);
    expect(records).toEqual([[1, 100], [2, 101], [3, 102]]);
    expect(statusA).toBeUndefined();
  });

  it('a refused append is a failure, kept as A-only, and the folder is read again next run', async () => {
    const { result, records, statusA } = await run({ refuse: 3 });
    expect(result.failed).toBe(1);
    expect(records).toEqual([[1, 100], [2, 101], [3, 0]]);
    expect(statusA).toBeUndefined();
  });

  it('a folder whose deletions the guard withheld keeps its old statuses: planned again, and reported again, next run', async () => {
    const { result, records, statusA } = await run({ withheld: 12 });
    expect(result.copied).toBe(3);
    expect(records).toEqual([[1, 100], [2, 101], [3, 102]]);
    expect(result.statusRecorded).toBe(false);
    expect(statusA).toBeUndefined();
  });
});
