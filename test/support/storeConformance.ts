// One contract, every driver: the same cases against the in-memory store
// (test/unit/memoryStore.conformance.test.ts) and against real Dovecot
// (test/integration/imapStore.conformance.test.ts). A fixture gives Store
// connections to one account and a way to seed and change that account
// beside the store under test (Dovecot: imapflow and doveadm; memory: the
// MemoryServer's own helpers), so what a case checks never relies on the
// driver it checks.

import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionLostError, StoreError } from '../../src/errors.js';
import type { MessageFilter } from '../../src/store/messageFilter.js';
import { MAX_HEADER_BYTES } from '../../src/store/readRules.js';
import type { FolderRead, OptionalOperation, ReadBase, Store } from '../../src/store/types.js';
import { globalId } from '../../src/sync/identity.js';

interface ConformanceSeed {
  raw: Buffer;
  flags?: string[];
  internalDate?: Date;
}

interface ConformanceMessage {
  uid: number;
  /** Sorted, without \Recent. */
  flags: string[];
  internalDate: Date;
  body: Buffer;
}

export interface StoreFixture {
  /** A new connected Store on the account (each call its own connection). */
  connect(label: string): Promise<Store>;
  /** Appends to the folder (created if missing), in order; the UIDs. */
  seed(folder: string, messages: ConformanceSeed[]): Promise<number[]>;
  setFlags(folder: string, uids: number[], add: string[], remove: string[]): Promise<void>;
  /** Removes exactly these messages. */
  expunge(folder: string, uids: number[]): Promise<void>;
  /** Gives the folder a new UIDVALIDITY (its messages stay, perhaps numbered anew). */
  resetUidValidity(folder: string): Promise<void>;
  /** Every message of the folder, read beside the store under test. */
  messages(folder: string): Promise<ConformanceMessage[]>;
  /** Stops what the fixture started. */
  close(): Promise<void>;
  /** A new connected Store (on another account or server) lacking this optional operation; for the operations of ConformanceOptions.canLack. */
  connectLacking?(operation: OptionalOperation, label: string): Promise<Store>;
}

export interface ConformanceOptions {
  /** The optional operations this driver can be without (IMAP: MOVE, which needs RFC 6851); connectLacking gives such a store. */
  canLack: OptionalOperation[];
}

/** Each optional operation's method. */
const OPTIONAL_METHODS = { copy: 'copyMessages', move: 'moveMessages', rename: 'renameFolder' } as const satisfies Record<OptionalOperation, keyof Store>;
const OPTIONAL_OPERATIONS = Object.keys(OPTIONAL_METHODS) as OptionalOperation[];

const bytes = (text: string): Buffer => Buffer.from(text, 'latin1');

const SYSTEM_FLAGS = ['\\Answered', '\\Deleted', '\\Draft', '\\Flagged', '\\Seen'];

export function digest(body: Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}

/** A message with all four identity headers, a folded one among them. */
export function conformanceMessage(n: number, bodyLines = 3): Buffer {
  const head =
    `Message-ID: <conf${n}@replimap.test>\r\nDate: Wed, 2 Jan 2019 09:00:${String(n % 60).padStart(2, '0')} +0000\r\n` +
    `X-Other: not part of the id\r\nfrom: Sender ${n} <s${n}@example.org>\r\nSubject: message ${n}\r\n  folded on a second line\r\n\r\n`;
  return Buffer.from(head + `body line of message ${n}\r\n`.repeat(bodyLines));
}

function seedOf(n: number, flags: string[] = []): ConformanceSeed {
  return { raw: conformanceMessage(n), flags, internalDate: new Date(Date.UTC(2021, 2, n, 8, 15, 30)) };
}

function baseOf(read: FolderRead, knownUids: number[]): ReadBase {
  const base: ReadBase = { uidValidity: read.status.uidValidity, uidNext: read.status.uidNext, knownUids };
  if (read.status.highestModseq !== undefined) base.highestModseq = read.status.highestModseq;
  return base;
}

const uidsOf = (items: readonly { uid: number }[]): number[] => items.map((i) => i.uid);

/**
 * The global id of conformanceMessage(1), computed once by hand from its
 * headers: a driver that returns other header lines gives another id.
 */
const GLOBAL_ID_OF_MESSAGE_1 = globalId(
  'Message-ID: <conf1@replimap.test>\r\nDate: Wed, 2 Jan 2019 09:00:01 +0000\r\nfrom: Sender 1 <s1@example.org>\r\nSubject: message 1 folded on a second line\r\n',
  0,
);

/** What every case works with; filled in by beforeAll (read it inside a case, never at registration). */
interface ConformanceContext {
  fx: StoreFixture;
  /** The store under test, and a second connection to the same account. */
  store: Store;
  other: Store;
  /** A folder name no other case uses. */
  fresh(): string;
  /** A folder of n messages, read once in full: the read and a base knowing every UID. */
  seededAndRead(n: number): Promise<{ folder: string; uids: number[]; first: FolderRead; base: ReadBase }>;
}

export function describeStoreConformance(name: string, makeFixture: () => Promise<StoreFixture>, options: ConformanceOptions): void {
  describe(`Store conformance: ${name}`, () => {
    let folderCount = 0;
    const ctx = {
      fresh: () => `Conf${++folderCount}`,
      async seededAndRead(n: number) {
        const folder = ctx.fresh();
        const uids = await ctx.fx.seed(folder, Array.from({ length: n }, (_, i) => seedOf(i + 1)));
        const first = await ctx.store.readFolder(folder, { readOnly: false, base: null, verify: false });
        return { folder, uids, first, base: baseOf(first, uids) };
      },
    } as ConformanceContext;

    beforeAll(async () => {
      ctx.fx = await makeFixture();
      ctx.store = await ctx.fx.connect('A');
      ctx.other = await ctx.fx.connect('B');
    }, 60_000);
    afterAll(async () => {
      await ctx.store?.close();
      await ctx.other?.close();
      await ctx.fx?.close();
    });

    folderCases(ctx);
    readCases(ctx);
    writeCases(ctx);
    optionalOperationCases(ctx, options);
    bodyCases(ctx);
  });
}

/** Listing, creating and deleting folders; appending; a cut connection. */
function folderCases(ctx: ConformanceContext): void {
  it('lists folders with their status, INBOX included, in the namespace delimiter', async () => {
    const { fx, store, other, fresh } = ctx;
    const folder = fresh();
    const uids = await fx.seed(folder, [seedOf(1), seedOf(2), seedOf(3)]);
    const folders = await store.listFolders({ status: true });
    const inbox = folders.find((f) => f.name === 'INBOX');
    expect(inbox?.selectable).toBe(true);
    const listed = folders.find((f) => f.name === folder);
    expect(listed).toMatchObject({ selectable: true, delimiter: store.namespace.delimiter });
    expect(listed!.status!.messages).toBe(3);
    expect(listed!.status!.uidNext).toBe(Math.max(...uids) + 1);
    expect(listed!.status!.uidValidity).toBeGreaterThan(0n);
    expect(listed!.status!.highestModseq).toBeGreaterThan(0n);
    const read = await other.readFolder(folder, { readOnly: true, base: null, verify: false });
    // Both fixtures have STATUS=SIZE: the listing's status adds the folder's size, which SELECT does not give.
    const { size, ...counters } = listed!.status!;
    expect(read.status).toEqual(counters);
    expect(size).toBe(await store.folderSize(folder));
  });

  it('creates, subscribes and deletes a folder; creating it twice or deleting a missing one is no error', async () => {
    const { store, other, fresh } = ctx;
    const folder = fresh();
    await store.createFolder(folder);
    let listed = (await other.listFolders({ status: false })).find((f) => f.name === folder);
    expect(listed).toMatchObject({ selectable: true, subscribed: false });
    await store.subscribeFolder(folder);
    listed = (await other.listFolders({ status: false })).find((f) => f.name === folder);
    expect(listed?.subscribed).toBe(true);
    await store.createFolder(folder);
    await store.deleteFolder(folder);
    expect((await other.listFolders({ status: false })).filter((f) => f.name === folder && f.selectable)).toEqual([]);
    await store.deleteFolder(folder);
    expect((await other.listFolders({ status: false })).filter((f) => f.name === folder && f.selectable)).toEqual([]);
  });

  it('appends one message and a batch: UIDs in order, bytes, flags and internal date kept exactly', async () => {
    const { fx, store, other, fresh } = ctx;
    const folder = fresh();
    await fx.seed(folder, []);
    const one = await store.append(folder, [{ body: conformanceMessage(1), flags: ['\\Seen'], internalDate: new Date(Date.UTC(2018, 4, 5, 6, 7, 8)) }]);
    const batch = await store.append(folder, [
      { body: conformanceMessage(2, 40), flags: ['\\Flagged', '$Work'], internalDate: new Date(Date.UTC(2019, 0, 1, 0, 0, 1)) },
      { body: conformanceMessage(3, 1), flags: [], internalDate: new Date(Date.UTC(2020, 11, 31, 23, 59, 59)) },
      { body: Buffer.from('Subject: no id\r\n\r\nbody without a Message-ID\r\n'), flags: ['\\Answered', '\\Draft'], internalDate: new Date(Date.UTC(2017, 6, 1)) },
    ]);
    const outcomes = [...one.outcomes, ...batch.outcomes];
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const uids = outcomes.map((o) => (o.ok ? o.uid : undefined));
    expect(uids).toEqual([uids[0], uids[0]! + 1, uids[0]! + 2, uids[0]! + 3]);
    const stored = await fx.messages(folder);
    expect(stored.map((m) => [m.uid, m.flags, m.internalDate.toISOString(), digest(m.body)])).toEqual([
      [uids[0], ['\\Seen'], '2018-05-05T06:07:08.000Z', digest(conformanceMessage(1))],
      [uids[1], ['$Work', '\\Flagged'], '2019-01-01T00:00:01.000Z', digest(conformanceMessage(2, 40))],
      [uids[2], [], '2020-12-31T23:59:59.000Z', digest(conformanceMessage(3, 1))],
      [uids[3], ['\\Answered', '\\Draft'], '2017-07-01T00:00:00.000Z', digest(Buffer.from('Subject: no id\r\n\r\nbody without a Message-ID\r\n'))],
    ]);
    expect(one.uidValidity ?? batch.uidValidity).toBe((await other.readFolder(folder, { readOnly: true, base: null, verify: false })).status.uidValidity);
  });

  it('after abort() every operation fails with ConnectionLostError', async () => {
    const { fx } = ctx;
    const cut = await fx.connect('C');
    cut.abort();
    await expect(cut.listFolders({ status: false })).rejects.toBeInstanceOf(ConnectionLostError);
    await cut.close();
  });
}

/** readFolder: full reads, deltas, a new UIDVALIDITY, verify. */
function readCases(ctx: ConformanceContext): void {
  it('a first read (base null) is full, with an envelope for every message and the same global ids as any driver', async () => {
    const { seededAndRead } = ctx;
    const { uids, first } = await seededAndRead(3);
    expect(first).toMatchObject({ kind: 'full', uidValidityChanged: false, vanished: [], unidentified: [], readOnly: false });
    expect(uidsOf(first.messages)).toEqual(uids);
    expect(uidsOf(first.envelopes)).toEqual(uids);
    for (const [i, e] of first.envelopes.entries()) {
      const raw = conformanceMessage(i + 1);
      expect(e.size).toBe(raw.length);
      expect(e.internalDate.toISOString()).toBe(new Date(Date.UTC(2021, 2, i + 1, 8, 15, 30)).toISOString());
      // The whole header parses to the same fields as the identity lines alone.
      expect(globalId(e.identityHeaders, e.size)).toBe(globalId(raw.toString('utf8'), raw.length));
      expect(e.identityHeaders).not.toContain('X-Other');
    }
    expect(globalId(first.envelopes[0]!.identityHeaders, first.envelopes[0]!.size)).toBe(GLOBAL_ID_OF_MESSAGE_1);
  });

  it('a delta after flag changes lists only the changed messages, with envelopes of those and of the highest known UID', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids, base } = await seededAndRead(4);
    await fx.setFlags(folder, [uids[1]!], ['\\Flagged'], []);
    const read = await store.readFolder(folder, { readOnly: false, base, verify: false });
    expect(read.kind).toBe('delta');
    expect(read.messages).toEqual([{ uid: uids[1], flags: ['\\Flagged'] }]);
    expect(read.vanished).toEqual([]);
    expect(uidsOf(read.envelopes)).toEqual([uids[1], uids[3]]);
    expect(read.unidentified).toEqual([]);
  });

  it('a delta after a new message lists it with its envelope; after an expunge, the UID as vanished', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids, base } = await seededAndRead(3);
    const [added] = await fx.seed(folder, [seedOf(9, ['\\Seen'])]);
    const afterAppend = await store.readFolder(folder, { readOnly: false, base, verify: false });
    expect(afterAppend.kind).toBe('delta');
    expect(afterAppend.messages).toEqual([{ uid: added, flags: ['\\Seen'] }]);
    expect(uidsOf(afterAppend.envelopes)).toEqual([uids[2], added]);
    expect(afterAppend.envelopes[1]!.size).toBe(conformanceMessage(9).length);

    const base2 = baseOf(afterAppend, [...uids, added!]);
    await fx.expunge(folder, [uids[1]!]);
    const afterExpunge = await store.readFolder(folder, { readOnly: false, base: base2, verify: false });
    expect(afterExpunge).toMatchObject({ kind: 'delta', messages: [], vanished: [uids[1]], envelopes: [], unidentified: [] });
    expect(afterExpunge.status.messages).toBe(3);
  });

  it('flagsOnly: a delta lists the changed and new messages with their flags and the status, and fetches no envelope', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids, base } = await seededAndRead(3);
    await fx.setFlags(folder, [uids[0]!], ['\\Answered'], []);
    const [added] = await fx.seed(folder, [seedOf(9, ['\\Seen'])]);
    const read = await store.readFolder(folder, { readOnly: true, base: { ...base, knownUids: [] }, verify: false, flagsOnly: true });
    expect(read).toMatchObject({ kind: 'delta', uidValidityChanged: false, envelopes: [], unread: [] });
    expect(read.messages).toEqual([{ uid: uids[0], flags: ['\\Answered'] }, { uid: added, flags: ['\\Seen'] }]);
    expect([read.status.messages, read.status.uidNext]).toEqual([4, added! + 1]);
  });

  it('a new UIDVALIDITY voids the base: a full read with every envelope', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids, base } = await seededAndRead(3);
    await fx.resetUidValidity(folder);
    const read = await store.readFolder(folder, { readOnly: false, base, verify: false });
    expect(read.uidValidityChanged).toBe(true);
    expect(read.kind).toBe('full');
    expect(read.status.uidValidity).not.toBe(base.uidValidity);
    expect(read.envelopes.map((e) => globalId(e.identityHeaders, e.size))).toEqual(
      [1, 2, 3].map((n) => globalId(conformanceMessage(n).toString(), 0)),
    );
    expect(uidsOf(read.messages)).toEqual(uidsOf(read.envelopes));
    const present = new Set(uidsOf(read.envelopes));
    expect(read.vanished).toEqual(uids.filter((uid) => !present.has(uid)));
  });

  it('verify returns an envelope for every message, changed or not', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids, base } = await seededAndRead(3);
    await fx.setFlags(folder, [uids[0]!], ['\\Seen'], []);
    const read = await store.readFolder(folder, { readOnly: false, base, verify: true });
    expect(uidsOf(read.envelopes)).toEqual(uids);
    expect(read.envelopes[0]!.flags).toEqual(['\\Seen']);
    expect(read.messages).toEqual([{ uid: uids[0], flags: ['\\Seen'] }]);
    expect(read.unidentified).toEqual([]);
  });
}

/** Flag changes, expunges and refusals. */
function writeCases(ctx: ConformanceContext): void {
  it('addFlags and removeFlags change exactly the named messages; keywords join PERMANENTFLAGS', async () => {
    const { fx, store, other, seededAndRead } = ctx;
    const { folder, uids, first } = await seededAndRead(3);
    expect(first.permanentFlags.flags).toEqual(expect.arrayContaining(SYSTEM_FLAGS));
    expect(first.permanentFlags.flags).not.toContain('$Custom');
    expect(first.permanentFlags.allowsNewKeywords).toBe(true);
    await store.addFlags([uids[0]!, uids[1]!], ['\\Seen', '$Custom']);
    await store.removeFlags([uids[1]!], ['\\Seen']);
    expect((await fx.messages(folder)).map((m) => m.flags)).toEqual([['$Custom', '\\Seen'], ['$Custom'], []]);
    const again = await other.readFolder(folder, { readOnly: false, base: null, verify: false });
    expect(again.permanentFlags.flags).toContain('$Custom');
    // EXAMINE: nothing can be stored.
    const examined = await other.readFolder(folder, { readOnly: true, base: null, verify: false });
    expect(examined.permanentFlags).toEqual({ flags: [], allowsNewKeywords: false });
  });

  it('expungeMessages removes exactly those UIDs, even when another message carries \\Deleted', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids } = await seededAndRead(3);
    await fx.setFlags(folder, [uids[0]!], ['\\Deleted'], []);
    await store.readFolder(folder, { readOnly: false, base: null, verify: false });
    await store.expungeMessages([uids[1]!]);
    const left = await fx.messages(folder);
    expect(left.map((m) => [m.uid, m.flags])).toEqual([[uids[0], ['\\Deleted']], [uids[2], []]]);
  });

  it('never reports \\Recent', async () => {
    const { fx, store, fresh } = ctx;
    const folder = fresh();
    await fx.seed(folder, [seedOf(1), seedOf(2, ['\\Seen'])]);
    // A first SELECT (not EXAMINE) is where an IMAP server hands out \Recent.
    const read = await store.readFolder(folder, { readOnly: false, base: null, verify: false });
    const flags = [...read.messages, ...read.envelopes, ...(await store.fetchEnvelopes(uidsOf(read.messages)))].flatMap((m) => m.flags);
    expect(flags.some((f) => f.toLowerCase() === '\\recent')).toBe(false);
    expect(flags).toContain('\\Seen');
    expect(read.permanentFlags.flags.some((f) => f.toLowerCase() === '\\recent')).toBe(false);
  });

  it('a folder read read-only refuses writes with a StoreError and keeps its messages', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids } = await seededAndRead(2);
    const read = await store.readFolder(folder, { readOnly: true, base: null, verify: false });
    expect(read.readOnly).toBe(true);
    await expect(store.addFlags([uids[0]!], ['\\Seen'])).rejects.toBeInstanceOf(StoreError);
    await expect(store.expungeMessages([uids[0]!])).rejects.toBeInstanceOf(StoreError);
    expect((await fx.messages(folder)).map((m) => [m.uid, m.flags])).toEqual([[uids[0], []], [uids[1], []]]);
  });

  it('openFolder opens again a folder read earlier, so its UIDs act on it; a new UIDVALIDITY since is a folder-scoped StoreError', async () => {
    const { fx, store, seededAndRead } = ctx;
    const one = await seededAndRead(2);
    const two = await seededAndRead(2);
    // `two` is open now; reopening `one` read-write lets a flag change land there, not in `two`.
    await store.openFolder(one.folder, { readOnly: false, uidValidity: one.first.status.uidValidity });
    await store.addFlags([one.uids[0]!], ['\\Flagged']);
    expect((await fx.messages(one.folder)).map((m) => m.flags)).toEqual([['\\Flagged'], []]);
    expect((await fx.messages(two.folder)).map((m) => m.flags)).toEqual([[], []]);
    // Open already: nothing changes, reads still work.
    await store.openFolder(one.folder, { readOnly: true, uidValidity: one.first.status.uidValidity });
    expect([...(await store.existingUids(one.uids))].sort()).toEqual(one.uids);
    // Left: no folder is open, so a write names none (and nothing is expunged by leaving).
    await store.closeFolder();
    await expect(store.addFlags([one.uids[1]!], ['\\Seen'])).rejects.toBeInstanceOf(StoreError);
    expect((await fx.messages(one.folder)).map((m) => m.flags)).toEqual([['\\Flagged'], []]);
    await fx.resetUidValidity(two.folder);
    const err = await store.openFolder(two.folder, { readOnly: false, uidValidity: two.first.status.uidValidity }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).scope).toBe('folder');
    expect((err as StoreError).message).toMatch(/UIDVALIDITY .* changed since it was read/);
    // Nothing is open after that refusal: a write names no folder rather than the wrong one.
    await expect(store.addFlags([two.uids[0]!], ['\\Seen'])).rejects.toBeInstanceOf(StoreError);
  });

  it('a missing folder is a folder-scoped StoreError; appending to it refuses every message', async () => {
    const { store } = ctx;
    const error = await store.readFolder('NoSuchFolder', { readOnly: false, base: null, verify: false }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).scope).toBe('folder');
    const result = await store.append('NoSuchFolder', [{ body: conformanceMessage(1), flags: [], internalDate: new Date(Date.UTC(2020, 0, 1)) }]);
    expect(result.outcomes.map((o) => o.ok)).toEqual([false]);
  });
}

/** The optional operations: declared truthfully, working when present. */
function optionalOperationCases(ctx: ConformanceContext, options: ConformanceOptions): void {
  it('copyMessages copies into another folder, flags and dates kept, and says where (COPYUID)', async () => {
    const { fx, store, other, fresh, seededAndRead } = ctx;
    expect(store.features.copy).toBe(true);
    const { folder, uids } = await seededAndRead(3);
    await fx.setFlags(folder, [uids[2]!], ['\\Flagged', '$Copied'], []);
    const target = fresh();
    await fx.seed(target, [seedOf(7)]);
    const result = await store.copyMessages!([uids[0]!, uids[2]!], target);
    const inTarget = await fx.messages(target);
    expect(result.uidValidity).toBe((await other.readFolder(target, { readOnly: true, base: null, verify: false })).status.uidValidity);
    expect([...result.uids.keys()]).toEqual([uids[0], uids[2]]);
    expect(inTarget.slice(1).map((m) => [m.uid, digest(m.body), m.flags, m.internalDate.toISOString()])).toEqual([
      [result.uids.get(uids[0]!), digest(conformanceMessage(1)), [], new Date(Date.UTC(2021, 2, 1, 8, 15, 30)).toISOString()],
      [result.uids.get(uids[2]!), digest(conformanceMessage(3)), ['$Copied', '\\Flagged'], new Date(Date.UTC(2021, 2, 3, 8, 15, 30)).toISOString()],
    ]);
    expect((await fx.messages(folder)).map((m) => m.uid)).toEqual(uids);
  });

  it('moveMessages moves into another folder: gone from the source, there in the target', async () => {
    const { fx, store, fresh, seededAndRead } = ctx;
    expect(store.features.move).toBe(true);
    const { folder, uids } = await seededAndRead(3);
    const target = fresh();
    await fx.seed(target, []);
    const result = await store.moveMessages!([uids[1]!], target);
    expect([...result.uids.keys()]).toEqual([uids[1]]);
    expect((await fx.messages(folder)).map((m) => m.uid)).toEqual([uids[0], uids[2]]);
    expect((await fx.messages(target)).map((m) => [m.uid, digest(m.body)])).toEqual([[result.uids.get(uids[1]!), digest(conformanceMessage(2))]]);
  });

  // A message whose UID was reused by a restored server is given a new one in its own folder (uidReassign.ts).
  it('copyMessages and moveMessages into the open folder itself: the message gets a new UID there, the body kept', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids } = await seededAndRead(3);
    await fx.setFlags(folder, [uids[0]!], ['\\Seen'], []);
    const copied = await store.copyMessages!([uids[0]!], folder);
    const copyUid = copied.uids.get(uids[0]!)!;
    expect(copyUid).toBeGreaterThan(uids[2]!);
    const moved = await store.moveMessages!([uids[1]!], folder);
    const moveUid = moved.uids.get(uids[1]!)!;
    expect(moveUid).toBeGreaterThan(copyUid);
    expect((await fx.messages(folder)).map((m) => [m.uid, digest(m.body), m.flags])).toEqual([
      [uids[0], digest(conformanceMessage(1)), ['\\Seen']],
      [uids[2], digest(conformanceMessage(3)), []],
      [copyUid, digest(conformanceMessage(1)), ['\\Seen']],
      [moveUid, digest(conformanceMessage(2)), []],
    ]);
  });

  it('renameFolder renames a folder and the one below it, messages and UIDVALIDITY kept', async () => {
    const { fx, store, other, fresh, seededAndRead } = ctx;
    expect(store.features.rename).toBe(true);
    const { folder, uids, first } = await seededAndRead(2);
    const delimiter = store.namespace.delimiter ?? '/';
    await fx.seed(`${folder}${delimiter}Child`, [seedOf(5)]);
    // A name of another length than the old one: the child's name must be cut at the old name's end.
    const renamed = `${fresh()}Renamed`;
    await store.renameFolder!(folder, renamed);
    const names = (await other.listFolders({ status: false })).filter((f) => f.selectable).map((f) => f.name);
    expect(names).toEqual(expect.arrayContaining([renamed, `${renamed}${delimiter}Child`]));
    expect(names).not.toContain(folder);
    expect((await fx.messages(renamed)).map((m) => [m.uid, digest(m.body)])).toEqual(uids.map((uid, i) => [uid, digest(conformanceMessage(i + 1))]));
    expect((await fx.messages(`${renamed}${delimiter}Child`)).map((m) => digest(m.body))).toEqual([digest(seedOf(5).raw)]);
    const read = await other.readFolder(renamed, { readOnly: true, base: null, verify: false });
    expect(read.status.uidValidity).toBe(first.status.uidValidity);
  });

  it('declares its optional operations truthfully: a method exactly for each feature, all of them here', async () => {
    const { store } = ctx;
    for (const operation of OPTIONAL_OPERATIONS) {
      expect([operation, typeof store[OPTIONAL_METHODS[operation]]]).toEqual([operation, 'function']);
      expect([operation, store.features[operation]]).toEqual([operation, true]);
    }
    expect(['crlf', 'lf']).toContain(store.features.lineEnds);
  });

  it.each(options.canLack)('a store without %s says so in features and has no such method; the others are there', async (operation) => {
    const lacking = await ctx.fx.connectLacking!(operation, 'L');
    try {
      expect(lacking.features[operation]).toBe(false);
      expect(lacking[OPTIONAL_METHODS[operation]]).toBeUndefined();
      for (const kept of OPTIONAL_OPERATIONS.filter((o) => o !== operation)) {
        expect([kept, lacking.features[kept], typeof lacking[OPTIONAL_METHODS[kept]]]).toEqual([kept, true, 'function']);
      }
      await lacking.createFolder('LackingTarget');
      const appended = await lacking.append('INBOX', [{ body: conformanceMessage(1), flags: [], internalDate: new Date(Date.UTC(2020, 0, 1)) }]);
      const uid = appended.outcomes[0]!.ok ? appended.outcomes[0]!.uid : undefined;
      await lacking.readFolder('INBOX', { readOnly: false, base: null, verify: false });
      const copied = await lacking.copyMessages?.([uid!], 'LackingTarget');
      const moved = await lacking.moveMessages?.([uid!], 'LackingTarget');
      expect((copied ?? moved)!.uids.size).toBe(1);
    } finally {
      await lacking.close();
    }
  });
}

/** Bodies: what fetchBodies leaves out or refuses, and the line-ending contract. */
function bodyCases(ctx: ConformanceContext): void {
  it('fetchEnvelopes, fetchBodies and existingUids leave out a UID a read reported vanished', async () => {
    const { fx, store, seededAndRead } = ctx;
    const { folder, uids, base } = await seededAndRead(3);
    await fx.expunge(folder, [uids[1]!]);
    // A server may go on serving a message expunged by another session until this one learns of it.
    expect((await store.readFolder(folder, { readOnly: false, base, verify: false })).vanished).toEqual([uids[1]]);
    const wanted = [...uids, 99];
    expect(uidsOf(await store.fetchEnvelopes(wanted))).toEqual([uids[0], uids[2]]);
    const fetched = await store.fetchBodies(uids.map((uid, i) => ({ uid, size: conformanceMessage(i + 1).length })));
    expect([...fetched.bodies.keys()].sort((x, y) => x - y)).toEqual([uids[0], uids[2]]);
    expect(digest(fetched.bodies.get(uids[2]!)!)).toBe(digest(conformanceMessage(3)));
    expect(fetched.refused.size).toBe(0);
    expect([...(await store.existingUids(wanted))].sort((x, y) => x - y)).toEqual([uids[0], uids[2]]);
  });

  it('searchHeldBack names exactly the messages a filter holds back (IMAP SEARCH rules: strict sizes, days)', async () => {
    const { fx, store, fresh } = ctx;
    const folder = fresh();
    // Noon UTC: the same day in any server time zone within ±11 hours.
    const day = (d: number): Date => new Date(Date.UTC(2025, 4, d, 12, 0, 0));
    const uids = await fx.seed(folder, [1, 2, 3, 4].map((n) => ({ raw: conformanceMessage(n, n === 2 ? 300 : n === 4 ? 100 : 3), internalDate: day(n) })));
    await store.readFolder(folder, { readOnly: true, base: null, verify: false });
    const sizes = (await fx.messages(folder)).map((m) => m.body.length);
    const sorted = async (filter: MessageFilter): Promise<number[]> => [...(await store.searchHeldBack(filter))].sort((x, y) => x - y);
    expect(await sorted({ maxSize: sizes[3]! })).toEqual([uids[1]]); // a message of exactly maxSize is not held back
    expect(await sorted({ minSize: sizes[3]! })).toEqual([uids[0], uids[2]]);
    expect(await sorted({ since: '2025-05-02', before: '2025-05-04' })).toEqual([uids[0], uids[3]]);
    expect(await sorted({ maxSize: sizes[3]!, since: '2025-05-03' })).toEqual([uids[0], uids[1]]);
    expect(await sorted({ before: '2020-01-01' })).toEqual(uids);
    expect(await sorted({ since: '2020-01-01' })).toEqual([]);
  });

  it('fetchBodies refuses a body far larger than the size it was asked with, and returns the others', async () => {
    const { fx, store, fresh } = ctx;
    const folder = fresh();
    const big = conformanceMessage(2, 3000);
    const uids = await fx.seed(folder, [seedOf(1), { raw: big }, seedOf(3)]);
    await store.readFolder(folder, { readOnly: true, base: null, verify: false });
    const fetched = await store.fetchBodies([
      { uid: uids[0]!, size: conformanceMessage(1).length },
      { uid: uids[1]!, size: 10 },
      { uid: uids[2]!, size: conformanceMessage(3).length },
    ]);
    expect(big.length).toBeGreaterThan(10 + 64 * 1024);
    expect([...fetched.refused.keys()]).toEqual([uids[1]]);
    expect([...fetched.bodies].map(([uid, body]) => [uid, digest(body)]).sort()).toEqual([
      [uids[0], digest(conformanceMessage(1))],
      [uids[2], digest(conformanceMessage(3))],
    ]);
  });

  it('a CRLF body comes back byte for byte, its size (envelope, folderSize) its length', async () => {
    const { fx, store, other, fresh } = ctx;
    const folder = fresh();
    await fx.seed(folder, []);
    const sent = [
      conformanceMessage(1),
      bytes('Subject: a bare CR inside a line\r\n\r\nbefore\rafter\r\n'),
      bytes('Subject: no line end after the last line\r\n\r\nlast'),
    ];
    const result = await store.append(folder, sent.map((body) => ({ body, flags: [], internalDate: new Date(Date.UTC(2020, 0, 1)) })));
    expect(result.outcomes.every((o) => o.ok)).toBe(true);
    const read = await other.readFolder(folder, { readOnly: true, base: null, verify: false });
    expect(read.envelopes.map((e) => e.size)).toEqual(sent.map((body) => body.length));
    const fetched = await other.fetchBodies(read.envelopes.map((e) => ({ uid: e.uid, size: e.size })));
    expect(read.envelopes.map((e) => fetched.bodies.get(e.uid)?.toString('latin1'))).toEqual(sent.map((body) => body.toString('latin1')));
    expect((await fx.messages(folder)).map((m) => digest(m.body))).toEqual(sent.map(digest));
    expect(await other.folderSize(folder)).toBe(sent.reduce((sum, body) => sum + body.length, 0));
  });

  it('fetchHeaders gives each header as it is (to its empty line, folded lines and 8-bit bytes kept, no body byte), null past MAX_HEADER_BYTES, a missing UID left out', async () => {
    const { fx, store, fresh } = ctx;
    const folder = fresh();
    const head = (raw: Buffer): string => raw.toString('latin1').slice(0, raw.toString('latin1').indexOf('\r\n\r\n') + 4);
    const filler = 'X-Filler: 0123456789012345678901234567890123456789012345678901234567890123\r\n';
    const longHeader = `Subject: long\r\n${filler.repeat(Math.ceil(MAX_HEADER_BYTES / filler.length))}`;
    const sent = [
      conformanceMessage(1),
      bytes('To: "R\xe9mi" <r@example.org>,\r\n\tsecond <s@example.org>\r\nX-Tag: kept\r\n\r\nbody\r\n'),
      bytes(`${longHeader}\r\nbody\r\n`),
      bytes('Subject: no body at all\r\nX-Tag: header only\r\n'),
    ];
    const uids = await fx.seed(folder, sent.map((raw) => ({ raw })));
    await store.readFolder(folder, { readOnly: true, base: null, verify: false });
    const headers = await store.fetchHeaders([...uids, 99]);
    expect([...headers.keys()].sort((x, y) => x - y)).toEqual(uids);
    expect(headers.get(uids[0]!)?.toString('latin1')).toBe(head(conformanceMessage(1)));
    expect(headers.get(uids[1]!)?.toString('latin1')).toBe('To: "R\xe9mi" <r@example.org>,\r\n\tsecond <s@example.org>\r\nX-Tag: kept\r\n\r\n');
    expect(longHeader.length).toBeGreaterThan(MAX_HEADER_BYTES);
    expect(headers.get(uids[2]!)).toBeNull();
    expect(headers.get(uids[3]!)?.toString('latin1')).toBe('Subject: no body at all\r\nX-Tag: header only\r\n');
  });

  it('a body appended with other line ends is served and sized in CRLF form, as Dovecot does (bare LF as CRLF, CR CR LF as CR LF)', async () => {
    const { fx, store, other, fresh } = ctx;
    const folder = fresh();
    await fx.seed(folder, []);
    const sent = ['Subject: lf\n\nline one\nline two\n', 'Subject: mixed\r\n\r\none\ntwo', 'Subject: cr cr lf\r\n\r\na\r\r\nb\r\n'];
    const served = ['Subject: lf\r\n\r\nline one\r\nline two\r\n', 'Subject: mixed\r\n\r\none\r\ntwo', 'Subject: cr cr lf\r\n\r\na\r\nb\r\n'];
    await store.append(folder, sent.map((text) => ({ body: bytes(text), flags: [], internalDate: new Date(Date.UTC(2020, 0, 1)) })));
    const read = await other.readFolder(folder, { readOnly: true, base: null, verify: false });
    expect(read.envelopes.map((e) => e.size)).toEqual(served.map((text) => text.length));
    const fetched = await other.fetchBodies(read.envelopes.map((e) => ({ uid: e.uid, size: e.size })));
    expect(read.envelopes.map((e) => fetched.bodies.get(e.uid)?.toString('latin1'))).toEqual(served);
    expect(read.envelopes.map((e) => e.identityHeaders)).toEqual(['Subject: lf\r\n', 'Subject: mixed\r\n', 'Subject: cr cr lf\r\n']);
    expect(await other.folderSize(folder)).toBe(served.reduce((sum, text) => sum + text.length, 0));
  });
}
