// The executor's bookkeeping, with stores that misbehave on purpose: what is
// recorded when a body or an envelope does not come back, when an append is
// refused, and when a batch's result is unknown.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { AppendMessage, AppendResult, BodyRequest, FetchedBodies, FolderRead, MessageEnvelope, Store } from '../../src/store/types.js';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { MemoryStore } from '../../src/store/memory/MemoryStore.js';
import { BATCH_MAX_BYTES, BODY_BYTES_IN_FLIGHT } from '../../src/sync/batches.js';
import { ByteBudget } from '../../src/sync/byteBudget.js';
import { executeFolderPlan } from '../../src/sync/executor.js';
import type { FolderPlan } from '../../src/sync/planTypes.js';
import type { MessageFailure, SyncObserver } from '../../src/sync/types.js';
import { WRITE_OPERATIONS } from '../support/memoryKill.js';
import { digest } from '../support/storeConformance.js';

const quiet: SyncObserver = {
  phase: () => {}, started: () => {}, folderPlanned: () => {}, progress: () => {}, folderFinished: () => {},
  wouldDo: () => {}, warning: () => {}, failure: () => {}, verbose: () => {},
};
const read = (uidNext: number): FolderRead => ({
  status: { uidValidity: 1n, uidNext, highestModseq: 5n, messages: uidNext - 1 },
  uidValidityChanged: false, permanentFlags: { flags: [], allowsNewKeywords: true },
  readOnly: false, kind: 'full', messages: [], vanished: [], envelopes: [], unidentified: [], unread: [],
});

interface Misbehaviour {
  /** A returns no body for this UID. */
  missingBody?: number;
  /** No envelope of A for this UID (A did not return it). */
  missingEnvelope?: number;
  /** UIDs the asked store no longer has (expunged since the read). */
  gone?: number[];
  /** A's existence check fails. */
  checkFails?: boolean;
  /** B refuses the message with this body number. */
  refuse?: number;
  /** The APPEND batch fails as a whole (connection lost). */
  appendThrows?: boolean;
  /** B UIDs new on B that B gave no envelope for (readFolder's `unidentified`). */
  unidentifiedB?: number[];
  /** Known B UIDs that B left out of its flag listing (readFolder's `unread`). */
  unreadB?: number[];
  /** Deletions the guard withheld in this folder. */
  withheld?: number;
  /** Of those, deletions of held records (A lost them in a rollback). */
  held?: number;
  /** Messages whose bodies the plan could not compare. */
  uncompared?: number;
  /** The state knew these A UIDs, paired with B UID 50 + uid, before B lost them. */
  known?: number[];
  /** Copies of these A UIDs say their global id hashes a Message-ID (CopyAction.byMessageId). */
  byMessageId?: number[];
}

async function run(options: Misbehaviour) {
  const state = await SyncState.open(join(mkdtempSync(join(tmpdir(), 'replimap-exec-')), 's'), { storeA: 'a', storeB: 'b' });
  state.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
  const uids = [1, 2, 3];
  const recordsBefore = (options.known ?? []).map((uid) => ({ uidA: uid, uidB: 50 + uid, gid: `gid${uid}aaaaaaaaaaa`, flags: ['\\Seen'] }));
  for (const record of recordsBefore) state.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record });
  const plan: FolderPlan = {
    records: [], flagChanges: [], expunges: [], droppedKeywords: { a: [], b: [] }, reusedUids: [], expungesWithheld: options.withheld ?? 0,
    appends: uids.map((uid) => ({ from: 'a' as const, to: 'b' as const, uid, gid: `gid${uid}aaaaaaaaaaa`, flags: ['\\Seen'], sourceFlags: ['\\Seen'], size: 10, why: 'new on A',
      ...(options.byMessageId?.includes(uid) && { byMessageId: true as const }) })),
    ...(options.uncompared !== undefined && { uncompared: options.uncompared }),
    ...(options.held !== undefined && { expungesHeld: options.held }),
  };
  const envelopesA = new Map<number, MessageEnvelope>(
    uids.filter((uid) => uid !== options.missingEnvelope).map((uid) => [uid, { uid, flags: ['\\Seen'], size: 10, internalDate: new Date(0), identityHeaders: '' }]),
  );
  const failures: MessageFailure[] = [];
  const existenceChecks: number[][] = [];
  let nextUid = 100;
  const storeA = {
    fetchBodies: async (want: BodyRequest[]): Promise<FetchedBodies> => ({
      bodies: new Map(want.filter(({ uid }) => uid !== options.missingBody).map(({ uid }) => [uid, Buffer.from(`m${uid}`)])),
      refused: new Map(),
    }),
    existingUids: async (want: number[]) => {
      existenceChecks.push(want);
      if (options.checkFails) throw new Error('connection lost');
      return new Set(want.filter((u) => !(options.gone ?? []).includes(u)));
    },
  } as unknown as Store;
  const storeB = {
    append: async (_folder: string, messages: AppendMessage[]): Promise<AppendResult> => {
      if (options.appendThrows) throw new Error('connection lost');
      return {
      outcomes: messages.map((m) => (m.body.toString() === `m${options.refuse}` ? { ok: false as const, error: new Error('NO too big') } : { ok: true as const, uid: nextUid++ })),
      };
    },
    addFlags: async () => {}, removeFlags: async () => {}, expungeMessages: async () => {},
    existingUids: async (want: number[]) => new Set(want.filter((u) => !(options.gone ?? []).includes(u))),
  } as unknown as Store;
  const observer: SyncObserver = { ...quiet, failure: (f) => { failures.push(f); } };
  let thrown: unknown;
  const result = await executeFolderPlan(
    { stores: { a: storeA, b: storeB }, mode: 'copy', state, observer },
    {
      nameA: 'INBOX', nameB: 'INBOX', label: 'INBOX', plan, recordsBefore,
      envelopes: { a: envelopesA, b: new Map() },
      reads: { a: read(4), b: { ...read(1), unidentified: options.unidentifiedB ?? [], unread: options.unreadB ?? [] } },
    },
  ).catch((err: unknown) => {
    thrown = err;
    return undefined;
  });
  const folder = state.folder('INBOX', 'INBOX')!;
  const records = folder.records().map((r) => [r.uidA, r.uidB]).sort((x, y) => x[0]! - y[0]!);
  const marked = folder.records().filter((r) => r.byMessageId === true).map((r) => [r.uidA, r.uidB]).sort((x, y) => x[0]! - y[0]!);
  const out = { result, thrown, failures, existenceChecks, records, marked, statusA: folder.statusA };
  await state.close();
  return out;
}

describe('executeFolderPlan', () => {
  it('records every copy with its B UID, then the statuses', async () => {
    const { result, records, statusA } = await run({});
    expect(result!.copied).toBe(3);
    expect(records).toEqual([[1, 100], [2, 101], [3, 102]]);
    expect(statusA).toBeDefined();
    expect(result!.maxAppendedUid).toBe(102);
  });

  it('a body A did not return, for a message A still has, is a failure kept as A-only; the folder is read again', async () => {
    const { result, failures, existenceChecks, records, statusA } = await run({ missingBody: 2 });
    expect(result!.copied).toBe(2);
    expect(result!.failed).toBe(1);
    expect(failures).toEqual([{ folder: 'INBOX', uid: 2, side: 'A', reason: expect.stringMatching(/no body/) }]);
    expect(existenceChecks).toEqual([[2]]);
    expect(records).toEqual([[1, 100], [2, 0], [3, 101]]);
    expect(statusA).toBeUndefined();
  });

  it('a plan with bodies it could not compare is carried out, and the folder is read again next run', async () => {
    const { result, records, statusA } = await run({ uncompared: 1 });
    expect(result!.copied).toBe(3);
    expect(result!.failed).toBe(0);
    expect(records).toEqual([[1, 100], [2, 101], [3, 102]]);
    expect(statusA).toBeUndefined();
  });

  it('a body A did not return because A expunged it since the read is no failure; its A-only record stays for the next read to settle', async () => {
    // A's "gone" comes from the server that just failed to give the body: the next run's read
    // (where a real expunge is vanished, and the planner lets the record go) decides, not this answer.
    const { result, failures, records, statusA } = await run({ missingBody: 2, gone: [2] });
    expect(result!.copied).toBe(2);
    expect(failures).toEqual([]);
    expect(records).toEqual([[1, 100], [2, 0], [3, 101]]);
    expect(statusA).toBeUndefined();
  });

  it('when A cannot say whether an unreturned message still exists, it is a failure and its record stays', async () => {
    const { failures, records, statusA } = await run({ missingBody: 2, checkFails: true });
    expect(failures).toEqual([{ folder: 'INBOX', uid: 2, side: 'A', reason: expect.stringMatching(/no body.*connection lost/) }]);
    expect(records).toEqual([[1, 100], [2, 0], [3, 101]]);
    expect(statusA).toBeUndefined();
  });

  it('a known message B lost whose envelope A did not return is a failure, its record kept as A-only', async () => {
    const { result, failures, records, statusA } = await run({ known: [2], missingEnvelope: 2 });
    expect(result!.copied).toBe(2);
    expect(failures).toEqual([{ folder: 'INBOX', uid: 2, side: 'A', reason: expect.stringMatching(/no envelope/) }]);
    expect(records).toEqual([[1, 100], [2, 0], [3, 101]]);
    expect(statusA).toBeUndefined();
  });

  it('a message new on B that B gave no envelope for is a failure on B, and the folder is read again', async () => {
    const { result, failures, statusA } = await run({ unidentifiedB: [7] });
    expect(result!.copied).toBe(3);
    expect(failures).toEqual([{ folder: 'INBOX', uid: 7, side: 'B', reason: expect.stringMatching(/no envelope/) }]);
    expect(statusA).toBeUndefined();
  });

  it('a known message B left out of its flag listing is a failure on B (no flags) while it exists; gone, it is not', async () => {
    const { failures, statusA } = await run({ unreadB: [8] });
    expect(failures).toEqual([{ folder: 'INBOX', uid: 8, side: 'B', reason: 'server returned no flags for a message it still has' }]);
    expect(statusA).toBeUndefined();
    const gone = await run({ unreadB: [8], gone: [8] });
    expect(gone.failures).toEqual([]);
    expect(gone.statusA).toBeUndefined(); // read again: the next read confirms it is gone
  });

  it('a known message B lost is still known (A-only) when the append batch ends without a result', async () => {
    const { thrown, records, statusA } = await run({ known: [2], appendThrows: true });
    expect(String(thrown)).toMatch(/connection lost/);
    // New messages 1 and 3 are found again from the old base; 2 is not new on A and must stay known.
    expect(records).toEqual([[2, 0]]);
    expect(statusA).toBeUndefined();
  });

  it('a known message B lost is copied again and paired with its new B UID', async () => {
    const { result, records } = await run({ known: [1, 3] });
    expect(result!.copied).toBe(3);
    expect(records).toEqual([[1, 100], [2, 101], [3, 102]]);
  });

  it('a copy whose global id hashes a Message-ID leaves a record that says so, paired or (refused) A-only', async () => {
    const { records, marked } = await run({ byMessageId: [1, 3], refuse: 3 });
    expect(records).toEqual([[1, 100], [2, 101], [3, 0]]);
    expect(marked).toEqual([[1, 100], [3, 0]]);
  });

  it('a refused append is a failure, kept as A-only, and the folder is read again next run', async () => {
    const { result, records, statusA } = await run({ refuse: 3 });
    expect(result!.failed).toBe(1);
    expect(records).toEqual([[1, 100], [2, 101], [3, 0]]);
    expect(statusA).toBeUndefined();
  });

  it('a folder whose deletions the guard withheld keeps its old statuses: planned again, and reported again, next run', async () => {
    const { result, records, statusA } = await run({ withheld: 12 });
    expect(result!.copied).toBe(3);
    expect(records).toEqual([[1, 100], [2, 101], [3, 102]]);
    expect(result!.statusRecorded).toBe(false);
    expect(statusA).toBeUndefined();
  });

  it('held records alone do not keep the statuses back (their mark keeps them withheld); with other withholdings they do', async () => {
    const heldOnly = await run({ withheld: 4, held: 4 });
    expect(heldOnly.result!.statusRecorded).toBe(true);
    expect(heldOnly.statusA).toBeDefined();
    const both = await run({ withheld: 16, held: 4 });
    expect(both.result!.statusRecorded).toBe(false);
    expect(both.statusA).toBeUndefined();
  });
});

describe('executeFolderPlan: the mode decides which sides may be written', () => {
  const mail = (n: number): string => `Message-ID: <x${n}@replimap.test>\r\nSubject: ${n}\r\n\r\nbody ${n}\r\n`;

  it('mirror: an append to A, a flag change on A and an expunge on A are refused, listed, and A is untouched; B is still written', async () => {
    const serverA = new MemoryServer();
    const serverB = new MemoryServer({ firstUidValidity: 5000n });
    serverA.append('INBOX', [{ raw: mail(1), flags: ['\\Seen'] }, { raw: mail(2) }]);
    serverB.append('INBOX', [{ raw: mail(1), flags: ['\\Seen'] }, { raw: mail(2) }, { raw: mail(3), flags: ['kw'] }]);
    // A by UID, flags and body digest (bodies compared, not only counts).
    const viewA = (): string[] => serverA.messages('INBOX').map((m) => `${m.uid} ${m.flags.join(',')} ${digest(m.body)}`);
    const aBefore = viewA();
    const writesOnA: string[] = [];
    serverA.beforeOperation = (op) => {
      if (WRITE_OPERATIONS.has(op)) writesOnA.push(op);
    };
    const storeA = new MemoryStore('A', serverA, 'memory://a');
    const storeB = new MemoryStore('B', serverB, 'memory://b');
    await Promise.all([storeA.connect(), storeB.connect()]);
    // Both folders open read-write: only the executor's refusal keeps A as it is.
    const [readA, readB] = await Promise.all([
      storeA.readFolder('INBOX', { readOnly: false, base: null, verify: false }),
      storeB.readFolder('INBOX', { readOnly: false, base: null, verify: false }),
    ]);
    const state = await SyncState.open(join(mkdtempSync(join(tmpdir(), 'replimap-exec-')), 's'), { storeA: 'a', storeB: 'b' });
    state.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
    const recordsBefore = [{ uidA: 1, uidB: 1, gid: 'g1', flags: ['\\Seen'] }, { uidA: 2, uidB: 2, gid: 'g2', flags: [] }];
    for (const record of recordsBefore) state.apply({ op: 'put', nameA: 'INBOX', nameB: 'INBOX', record });
    const plan: FolderPlan = {
      // As a two-way plan would be if B had deleted its copy of A's 2 (so the record keeps A's alone).
      records: [{ uidA: 1, uidB: 1, gid: 'g1', flags: ['\\Flagged', '\\Seen'] }],
      appends: [{ from: 'b', to: 'a', uid: 3, gid: 'g3', flags: ['kw'], sourceFlags: ['kw'], size: readB.envelopes[2]!.size, why: 'new on B' }],
      flagChanges: [
        { side: 'a', uid: 1, add: ['\\Flagged'], remove: [], why: 'flags changed on B: +\\Flagged' },
        { side: 'b', uid: 1, add: ['\\Flagged'], remove: [], why: 'flags changed on A: +\\Flagged' },
      ],
      expunges: [{ side: 'a', uid: 2, record: { uidA: 2, uidB: 0, gid: 'g2', flags: [] }, flags: [], why: 'B deleted it' }],
      droppedKeywords: { a: [], b: [] }, reusedUids: [], expungesWithheld: 0,
    };
    const failures: MessageFailure[] = [];
    const result = await executeFolderPlan(
      { stores: { a: storeA, b: storeB }, mode: 'mirror', state, observer: { ...quiet, failure: (f) => void failures.push(f) } },
      {
        nameA: 'INBOX', nameB: 'INBOX', label: 'INBOX', plan, recordsBefore,
        envelopes: { a: new Map(), b: new Map(readB.envelopes.map((e) => [e.uid, e])) },
        reads: { a: readA, b: readB },
      },
    );

    expect(writesOnA).toEqual([]);
    expect(viewA()).toEqual(aBefore);
    expect(aBefore).toHaveLength(2);
    const refused = /^refused: mirror mode never writes to A$/;
    // In the executor's order: copies, flags, then deletions.
    expect(failures).toEqual([
      { folder: 'INBOX', uid: 3, side: 'A', reason: expect.stringMatching(refused) },
      { folder: 'INBOX', uid: 1, side: 'A', reason: expect.stringMatching(refused) },
      { folder: 'INBOX', uid: 2, side: 'A', reason: expect.stringMatching(refused) },
    ]);
    expect(result).toMatchObject({ copied: 0, expunged: 0, flagsUpdated: 1, failed: 3, statusRecorded: false });
    // What the mode allows is done: B's flag change.
    expect(serverB.messages('INBOX').find((m) => m.uid === 1)!.flags).toEqual(['\\Flagged', '\\Seen']);
    // Records as before each refused action: the old merge base, the pair not expunged, B's message one-sided.
    const records = state.folder('INBOX', 'INBOX')!.records().map(({ uidA, uidB, flags }) => ({ uidA, uidB, flags: [...flags] }))
      .sort((x, y) => x.uidA - y.uidA || x.uidB - y.uidB);
    expect(records).toEqual([
      { uidA: 0, uidB: 3, flags: ['kw'] },
      { uidA: 1, uidB: 1, flags: ['\\Seen'] },
      { uidA: 2, uidB: 0, flags: [] },
    ]);
    await state.close();
  });
});

describe('executeFolderPlan: body bytes in flight, shared by the folders copying at once', () => {
  const MiB = 1024 * 1024;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  /**
   * `sizes.length` folders copied at once, each from its own A connection to its own B
   * connection (as the engine's connections do), message k of a folder announced with
   * sizes[folder][k] bytes. Counts the announced bytes fetched and not yet stored (from
   * the FETCH to the APPEND's answer); each call waits a turn so the folders interleave.
   */
  async function copyAtOnce(sizes: number[][], budget: ByteBudget | undefined) {
    const state = await SyncState.open(join(mkdtempSync(join(tmpdir(), 'replimap-budget-')), 's'), { storeA: 'a', storeB: 'b' });
    let inFlight = 0;
    let peak = 0;
    const alongside: number[] = [];
    const stored = new Map<string, string[]>();
    const jobs = sizes.map((folderSizes, f) => {
      const name = `F${f}`;
      state.apply({ op: 'folder', nameA: name, nameB: name });
      const uids = folderSizes.map((_, k) => k + 1);
      const sizeOf = new Map(uids.map((uid) => [uid, folderSizes[uid - 1]!]));
      const bodyOf = (uid: number): Buffer => Buffer.from(`${name} message ${uid}`);
      const plan: FolderPlan = {
        records: [], flagChanges: [], expunges: [], droppedKeywords: { a: [], b: [] }, reusedUids: [], expungesWithheld: 0,
        appends: uids.map((uid) => ({ from: 'a' as const, to: 'b' as const, uid, gid: `${name}-${uid}-aaaaaaaa`, flags: [], sourceFlags: [], size: sizeOf.get(uid)!, why: 'new on A' })),
      };
      const envelopes = new Map(uids.map((uid): [number, MessageEnvelope] => [uid, { uid, flags: [], size: sizeOf.get(uid)!, internalDate: new Date(0), identityHeaders: '' }]));
      const byBody = new Map(uids.map((uid) => [bodyOf(uid).toString(), sizeOf.get(uid)!]));
      let nextUid = 1;
      const storeA = {
        fetchBodies: async (want: BodyRequest[]): Promise<FetchedBodies> => {
          const bytes = want.reduce((sum, w) => sum + w.size, 0);
          inFlight += bytes;
          peak = Math.max(peak, inFlight);
          if (want.some((w) => w.size > 16 * MiB)) alongside.push(inFlight - bytes);
          await turn();
          return { bodies: new Map(want.map(({ uid }) => [uid, bodyOf(uid)])), refused: new Map() };
        },
      } as unknown as Store;
      const storeB = {
        append: async (_folder: string, messages: AppendMessage[]): Promise<AppendResult> => {
          await turn();
          for (const m of messages) stored.set(name, [...(stored.get(name) ?? []), digest(m.body)]);
          inFlight -= messages.reduce((sum, m) => sum + byBody.get(m.body.toString())!, 0);
          return { outcomes: messages.map(() => ({ ok: true as const, uid: nextUid++ })) };
        },
      } as unknown as Store;
      const job = {
        nameA: name, nameB: name, label: name, plan, recordsBefore: [], envelopes: { a: envelopes, b: new Map() },
        reads: { a: read(uids.length + 1), b: read(1) },
      };
      const expected = uids.map((uid) => digest(bodyOf(uid)));
      return { job, stores: { a: storeA, b: storeB }, expected };
    });
    const results = await Promise.all(
      jobs.map(({ job, stores }) => executeFolderPlan({ stores, mode: 'copy', state, observer: quiet, ...(budget && { bodyBudget: budget }) }, job)),
    );
    await state.close();
    const complete = jobs.every(({ job, expected }) => JSON.stringify(stored.get(job.nameB)) === JSON.stringify(expected));
    return { peak, alongside, complete, copied: results.map((r) => r.copied), left: inFlight };
  }

  // Four folders of 40 messages of 1 MiB: batches of 8 MiB (BATCH_MAX_BYTES).
  const fourFolders = (): number[][] => Array.from({ length: 4 }, () => Array.from({ length: 40 }, () => MiB));

  it('each folder alone holds two batches at most: four at once hold more than the run budget', async () => {
    const alone = await copyAtOnce(fourFolders(), undefined);
    expect(alone.complete).toBe(true);
    expect(alone.peak).toBeGreaterThan(BODY_BYTES_IN_FLIGHT);
  });

  it('with one budget for the run, the folders together hold no more than it, and every body arrives in order', async () => {
    const budget = new ByteBudget(BODY_BYTES_IN_FLIGHT);
    const shared = await copyAtOnce(fourFolders(), budget);
    expect(shared.copied).toEqual([40, 40, 40, 40]);
    expect(shared.complete).toBe(true);
    expect(shared.peak).toBeLessThanOrEqual(BODY_BYTES_IN_FLIGHT);
    // Still overlapped: more than one batch was in flight at some point.
    expect(shared.peak).toBeGreaterThan(BATCH_MAX_BYTES);
    expect([shared.left, budget.inFlight]).toEqual([0, 0]);
  });

  it('a driver that throws at once instead of fetching (no folder open) gives its batch bytes back to the budget', async () => {
    const state = await SyncState.open(join(mkdtempSync(join(tmpdir(), 'replimap-budget-')), 's'), { storeA: 'a', storeB: 'b' });
    state.apply({ op: 'folder', nameA: 'INBOX', nameB: 'INBOX' });
    const uids = Array.from({ length: 20 }, (_, k) => k + 1);
    const plan: FolderPlan = {
      records: [], flagChanges: [], expunges: [], droppedKeywords: { a: [], b: [] }, reusedUids: [], expungesWithheld: 0,
      appends: uids.map((uid) => ({ from: 'a' as const, to: 'b' as const, uid, gid: `g${uid}-aaaaaaaaaa`, flags: [], sourceFlags: [], size: MiB, why: 'new on A' })),
    };
    let fetches = 0;
    const storeA = {
      // The first batch comes; the batch fetched ahead meets a driver that throws before returning a promise.
      fetchBodies: (want: BodyRequest[]): Promise<FetchedBodies> => {
        if (++fetches > 1) throw new Error('no folder is open');
        return Promise.resolve({ bodies: new Map(want.map(({ uid }) => [uid, Buffer.from(`m${uid}`)])), refused: new Map() });
      },
    } as unknown as Store;
    const storeB = {
      append: async (_folder: string, messages: AppendMessage[]): Promise<AppendResult> => ({ outcomes: messages.map((_, k) => ({ ok: true as const, uid: k + 1 })) }),
    } as unknown as Store;
    const budget = new ByteBudget(BODY_BYTES_IN_FLIGHT);
    const envelopes = new Map(uids.map((uid): [number, MessageEnvelope] => [uid, { uid, flags: [], size: MiB, internalDate: new Date(0), identityHeaders: '' }]));
    const outcome = await executeFolderPlan(
      { stores: { a: storeA, b: storeB }, mode: 'copy', state, observer: quiet, bodyBudget: budget },
      { nameA: 'INBOX', nameB: 'INBOX', label: 'INBOX', plan, recordsBefore: [], envelopes: { a: envelopes, b: new Map() }, reads: { a: read(21), b: read(1) } },
    ).then(() => 'finished', (err: unknown) => (err instanceof Error ? err.message : String(err)));
    await state.close();
    expect(outcome).toBe('no folder is open');
    expect(fetches).toBe(2);
    // Nothing left held: the run's other connections would otherwise wait for these bytes forever.
    expect(budget.inFlight).toBe(0);
  });

  it('a message bigger than the budget goes alone: nothing else is in flight while it is', async () => {
    const budget = new ByteBudget(BODY_BYTES_IN_FLIGHT);
    const sizes = [[MiB, 20 * MiB, MiB, MiB], ...fourFolders().slice(1)];
    const shared = await copyAtOnce(sizes, budget);
    expect(shared.complete).toBe(true);
    expect(shared.alongside).toEqual([0]);
    expect(shared.peak).toBe(20 * MiB);
    expect(budget.inFlight).toBe(0);
  });
});
