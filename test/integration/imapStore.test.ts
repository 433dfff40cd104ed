// The IMAP driver (src/store/imap) against real Dovecot servers: connecting and
// its failures, listing, incremental reads on QRESYNC / CONDSTORE / plain
// servers, MULTIAPPEND, flags, expunge and bodies. Command counts are asserted
// where the point of the code is doing something in one command.

import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectError, ConnectionLostError, ExitCode } from '../../src/errors.js';
import { ImapCommandError } from '../../src/store/imap/commandError.js';
import { ImapStore } from '../../src/store/imap/ImapStore.js';
import type { ImapStoreSpec } from '../../src/store/spec.js';
import type { FolderRead, ReadBase } from '../../src/store/types.js';
import { DOVECOT_CAPABILITIES, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, readFolder as readBack, seedFolder, setFlags, type SeedMessage } from '../support/imap.js';

// Servers below drop parts of what Dovecot advertises.
const capsWithout = (...drop: string[]): string => DOVECOT_CAPABILITIES.filter((c) => !drop.includes(c)).join(' ');

function specFor(server: DovecotServer, overrides: Partial<ImapStoreSpec> = {}): ImapStoreSpec {
  return {
    kind: 'imap',
    host: server.host,
    port: server.imapsPort,
    security: 'tls',
    user: 'alice',
    password: 'secret',
    tlsCa: server.caPem,
    insecure: false,
    displayUrl: server.url(),
    ...overrides,
  };
}

const opened: ImapStore[] = [];
async function connected(server: DovecotServer, overrides: Partial<ImapStoreSpec> = {}, label = 'A'): Promise<ImapStore> {
  const store = new ImapStore(label, specFor(server, overrides));
  await store.connect();
  opened.push(store);
  return store;
}

async function connectFailure(spec: ImapStoreSpec): Promise<ConnectError> {
  const store = new ImapStore('A', spec);
  const error = await store.connect().then(
    () => undefined,
    (e: unknown) => e,
  );
  await store.close();
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

/** Commands `fn` cost on `store`. */
async function cost<T>(store: ImapStore, fn: () => Promise<T>): Promise<{ value: T; commands: number; continuations: number }> {
  const before = store.stats();
  const value = await fn();
  const after = store.stats();
  return { value, commands: after.commands - before.commands, continuations: after.continuations - before.continuations };
}

function message(n: number, bodyBytes = 40, extra = ''): Buffer {
  const head =
    `Message-ID: <m${n}@replimap.test>\r\nDate: Tue, 1 Jan 2019 10:00:${String(n % 60).padStart(2, '0')} +0000\r\n` +
    `From: Sender ${n} <s${n}@example.org>\r\nSubject: message ${n}${extra}\r\n\r\n`;
  const line = `line of message ${n} `.padEnd(76, '.') + '\r\n';
  return Buffer.from(head + line.repeat(Math.max(1, Math.ceil(bodyBytes / line.length))));
}

function seed(n: number, flags: string[] = [], bodyBytes = 40): SeedMessage {
  return { raw: message(n, bodyBytes), flags, internalDate: new Date(Date.UTC(2020, 0, n, 12, 30, 15)) };
}

function baseOf(read: FolderRead, knownUids: number[]): ReadBase {
  const base: ReadBase = { uidValidity: read.status.uidValidity, uidNext: read.status.uidNext, knownUids };
  if (read.status.highestModseq !== undefined) base.highestModseq = read.status.highestModseq;
  return base;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let full: DovecotServer; // '/' separator, everything Dovecot has
let dotted: DovecotServer; // '.' separator, INBOX. prefix
let condstoreOnly: DovecotServer; // no QRESYNC
let minimal: DovecotServer; // no QRESYNC, CONDSTORE, LIST-STATUS, STATUS=SIZE, LITERAL+, UIDPLUS
let limited: DovecotServer; // refuses messages over 10 KB (quota plugin), advertises APPENDLIMIT=20000

beforeAll(async () => {
  [full, dotted, condstoreOnly, minimal, limited] = await Promise.all([
    startDovecot({ specialUse: { Sent: '\\Sent', Trash: '\\Trash' } }),
    startDovecot({ separator: '.', inboxPrefix: true, specialUse: { Sent: '\\Sent' } }),
    startDovecot({ capabilities: capsWithout('QRESYNC') }),
    startDovecot({ capabilities: capsWithout('QRESYNC', 'CONDSTORE', 'LIST-STATUS', 'STATUS=SIZE', 'LITERAL+', 'UIDPLUS') }),
    startDovecot({
      capabilities: `${DOVECOT_CAPABILITIES.join(' ')} APPENDLIMIT=20000`,
      extraConfig: 'mail_plugins = $mail_plugins quota\nplugin {\n  quota = count:User quota\n  quota_vsizes = yes\n  quota_max_mail_size = 10k\n}\n',
    }),
  ]);
});

afterAll(async () => {
  await Promise.all(opened.map((store) => store.close()));
  await Promise.all([full, dotted, condstoreOnly, minimal, limited].map((server) => server?.stop()));
});

describe('connect', () => {
  it('logs in over imaps, trusting --tls-ca, and reports capabilities and namespace', async () => {
    const store = await connected(full);
    expect(store.capabilities).toEqual({ condstore: true, qresync: true, move: true, uidplus: true, objectId: false });
    expect(store.features).toEqual({ copy: true, move: true, copyUid: true, rename: true, mailboxIds: false, lineEnds: 'crlf' });
    expect(store.namespace).toEqual({ prefix: '', delimiter: '/' });
    // CAPABILITY, ID, AUTHENTICATE, NAMESPACE, ENABLE: all counted
    expect(store.stats().commands).toBeGreaterThanOrEqual(4);
    expect(store.stats().bytesIn).toBeGreaterThan(0);
    expect(store.stats().bytesOut).toBeGreaterThan(0);
  });

  it('logs in over imap with required STARTTLS', async () => {
    const store = await connected(full, { port: full.imapPort, security: 'starttls' });
    expect(store.capabilities.qresync).toBe(true);
    const folders = await store.listFolders({ status: false });
    expect(folders.map((f) => f.name)).toContain('INBOX');
  });

  it('reports the server without CONDSTORE/QRESYNC as such', async () => {
    const store = await connected(minimal);
    expect(store.capabilities).toEqual({ condstore: false, qresync: false, move: true, uidplus: false, objectId: false });
  });

  it('wrong password: one line naming the user, exit code 3, no password', async () => {
    const error = await connectFailure(specFor(full, { password: 'hunter2-wrong' }));
    expect(error.message).toBe('A: login failed for user alice (wrong password?)');
    expect(error.exitCode).toBe(ExitCode.Connect);
    expect(error.message).not.toContain('hunter2');
    expect(error.cause).toBeDefined();
  });

  it('closed port: connection refused, quickly', async () => {
    const port = await closedPort();
    const error = await connectFailure(specFor(full, { port }));
    expect(error.message).toBe(`A: cannot connect to 127.0.0.1:${port}: connection refused`);
    expect((error.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('untrusted certificate (no --tls-ca): says how to fix it', async () => {
    const error = await connectFailure(specFor(full, { tlsCa: undefined }));
    expect(error.message).toBe('A: TLS certificate of 127.0.0.1 is not trusted (self-signed certificate); use --tls-ca FILE or --insecure');
    // the same over STARTTLS
    const starttls = await connectFailure(specFor(full, { tlsCa: undefined, port: full.imapPort, security: 'starttls' }));
    expect(starttls.message).toBe(error.message);
  });

  it('--insecure accepts the untrusted certificate', async () => {
    const store = await connected(full, { tlsCa: undefined, insecure: true });
    expect(store.capabilities.qresync).toBe(true);
  });

  it('implicit TLS against the plain port says so', async () => {
    const error = await connectFailure(specFor(full, { port: full.imapPort }));
    expect(error.message).toMatch(/^A: TLS handshake with 127\.0\.0\.1:\d+ failed: .*wrong version number.*use imap:\/\//);
    expect(error.message.split('\n')).toHaveLength(1);
  });
});

describe('folders', () => {
  it('lists folders with status in ONE command (LIST-STATUS), with special use, subscriptions and non-ASCII names', async () => {
    const store = await connected(full);
    await store.createFolder('Archive');
    await store.createFolder('Archive/2020');
    await store.createFolder('Entwürfe');
    await store.createFolder('Entwürfe/Ölkännchen & Co');
    await store.subscribeFolder('Entwürfe');
    await store.createFolder('Archive'); // exists: not an error
    await seedFolder(full, 'Archive/2020', [seed(1), seed(2)]);

    const { value: folders, commands } = await cost(store, () => store.listFolders({ status: true }));
    expect(commands).toBe(1);
    const byName = new Map(folders.map((f) => [f.name, f]));
    expect([...byName.keys()].sort()).toEqual(['Archive', 'Archive/2020', 'Entwürfe', 'Entwürfe/Ölkännchen & Co', 'INBOX', 'Sent', 'Trash']);
    expect(byName.get('Sent')).toMatchObject({ specialUse: '\\Sent', subscribed: true, selectable: true, delimiter: '/' });
    expect(byName.get('Trash')?.specialUse).toBe('\\Trash');
    expect(byName.get('Archive')?.specialUse).toBeUndefined();
    expect(byName.get('Entwürfe')?.subscribed).toBe(true);
    expect(byName.get('Archive/2020')?.subscribed).toBe(false);
    const status = byName.get('Archive/2020')!.status!;
    expect(status.messages).toBe(2);
    expect(status.uidNext).toBe(3);
    expect(typeof status.uidValidity).toBe('bigint');
    expect(typeof status.highestModseq).toBe('bigint');
    expect(byName.get('Entwürfe/Ölkännchen & Co')!.status).toMatchObject({ messages: 0, uidNext: 1 });
    // STATUS=SIZE: the folder's size comes in the same LIST-STATUS (a restore that gave every counter back shows in it).
    expect([status.size, byName.get('Entwürfe/Ölkännchen & Co')!.status!.size]).toEqual([await store.folderSize('Archive/2020'), 0]);

    // the non-ASCII name round-trips through APPEND and SELECT as well
    const appended = await store.append('Entwürfe/Ölkännchen & Co', [{ body: message(9), flags: [], internalDate: new Date() }]);
    expect(appended.outcomes).toEqual([{ ok: true, uid: 1 }]);
    const read = await store.readFolder('Entwürfe/Ölkännchen & Co', { readOnly: true, base: null, verify: false });
    expect(read.envelopes.map((e) => e.uid)).toEqual([1]);

    await store.deleteFolder('Entwürfe/Ölkännchen & Co');
    await store.deleteFolder('Entwürfe/Ölkännchen & Co'); // gone already: not an error
    const after = await store.listFolders({ status: false });
    expect(after.map((f) => f.name)).not.toContain('Entwürfe/Ölkännchen & Co');
    expect(after.every((f) => f.status === undefined)).toBe(true);
  });

  it("lists a '.'-server with an INBOX. namespace", async () => {
    const store = await connected(dotted);
    expect(store.namespace).toEqual({ prefix: 'INBOX.', delimiter: '.' });
    await store.createFolder('INBOX.Projekte');
    await store.createFolder('INBOX.Projekte.Größe');
    const { value: folders, commands } = await cost(store, () => store.listFolders({ status: true }));
    expect(commands).toBe(1);
    const names = folders.map((f) => f.name).sort();
    expect(names).toEqual(['INBOX', 'INBOX.Projekte', 'INBOX.Projekte.Größe', 'INBOX.Sent']);
    expect(folders.every((f) => f.delimiter === '.')).toBe(true);
    expect(folders.find((f) => f.name === 'INBOX.Sent')?.specialUse).toBe('\\Sent');
    expect(folders.find((f) => f.name === 'INBOX.Projekte.Größe')?.status?.messages).toBe(0);
  });

  it('without LIST-STATUS: LIST, then one STATUS per selectable folder, no HIGHESTMODSEQ without CONDSTORE', async () => {
    const store = await connected(minimal);
    await store.createFolder('One');
    await store.createFolder('Two');
    await seedFolder(minimal, 'Two', [seed(1)]);
    const { value: folders, commands } = await cost(store, () => store.listFolders({ status: true }));
    const selectable = folders.filter((f) => f.selectable);
    expect(commands).toBe(1 + selectable.length);
    expect(folders.find((f) => f.name === 'Two')?.status).toEqual({ uidValidity: expect.any(BigInt), uidNext: 2, messages: 1 });
    expect(folders.every((f) => f.status?.highestModseq === undefined)).toBe(true);
  });

  it('folderSize: STATUS SIZE, or the sum of RFC822.SIZE without STATUS=SIZE', async () => {
    for (const server of [full, minimal]) {
      const store = await connected(server);
      await seedFolder(server, 'Sized', [seed(1, [], 100), seed(2, [], 9000), seed(3)]);
      const expected = (await readBack(server, 'Sized')).reduce((sum, m) => sum + m.size, 0);
      const { value, commands } = await cost(store, () => store.folderSize('Sized'));
      expect(value).toBe(expected);
      expect(commands).toBe(server === full ? 1 : 2);
    }
  });
});

describe('readFolder', () => {
  it('base null: every message with its envelope, in SELECT + one UID FETCH', async () => {
    const store = await connected(full);
    const uids = await seedFolder(full, 'Fresh', [seed(1, ['\\Seen']), seed(2, ['\\Flagged', '$Label1'], 6000), seed(3)]);
    const { value: read, commands } = await cost(store, () => store.readFolder('Fresh', { readOnly: false, base: null, verify: false }));
    expect(commands).toBe(2);
    expect(read.kind).toBe('full');
    expect(read.uidValidityChanged).toBe(false);
    expect(read.readOnly).toBe(false);
    expect(read.status).toMatchObject({ messages: 3, uidNext: 4 });
    expect(typeof read.status.highestModseq).toBe('bigint');
    expect(read.messages).toEqual([
      { uid: uids[0], flags: ['\\Seen'] },
      { uid: uids[1], flags: ['$Label1', '\\Flagged'] },
      { uid: uids[2], flags: [] },
    ]);
    const stored = await readBack(full, 'Fresh');
    expect(read.envelopes).toEqual(
      stored.map((m, i) => ({
        uid: m.uid,
        flags: m.flags,
        size: m.size,
        internalDate: seed(i + 1).internalDate,
        identityHeaders:
          `Message-ID: <m${i + 1}@replimap.test>\r\nDate: Tue, 1 Jan 2019 10:00:0${i + 1} +0000\r\n` +
          `From: Sender ${i + 1} <s${i + 1}@example.org>\r\nSubject: message ${i + 1}\r\n`,
      })),
    );
    expect(read.permanentFlags.allowsNewKeywords).toBe(true);
    expect(read.permanentFlags.flags).toContain('\\Seen');
    expect(read.permanentFlags.flags).not.toContain('\\*');
  });

  it('an empty folder costs one command and reads empty', async () => {
    const store = await connected(full);
    await store.createFolder('Empty');
    const { value: read, commands } = await cost(store, () => store.readFolder('Empty', { readOnly: true, base: null, verify: false }));
    expect(commands).toBe(1);
    expect(read).toMatchObject({ kind: 'full', messages: [], envelopes: [], vanished: [], readOnly: true });
  });

  /**
   * Seeds 4 messages, reads them, then (from another connection) changes flags
   * of #1, sets a keyword on #4, expunges #2 and appends two new ones; reads
   * again with the first read as base.
   */
  async function incremental(server: DovecotServer, folder: string) {
    const store = await connected(server);
    const uids = await seedFolder(server, folder, [seed(1), seed(2), seed(3, ['\\Seen']), seed(4)]);
    const first = await store.readFolder(folder, { readOnly: false, base: null, verify: false });
    await setFlags(server, folder, [uids[0]!], ['\\Flagged', '\\Seen'], []);
    await setFlags(server, folder, [uids[3]!], ['$Work'], []);
    await expungeUids(server, folder, [uids[1]!]);
    const added = await seedFolder(server, folder, [seed(5, ['\\Answered']), seed(6, [], 5000)]);
    const { value: read, commands } = await cost(store, () =>
      store.readFolder(folder, { readOnly: false, base: baseOf(first, uids), verify: false }),
    );
    return { uids, added, read, commands, first, store };
  }

  /** `checked`: the known UIDs whose envelopes ride along so the caller can check their identity. */
  function expectDelta(read: FolderRead, uids: number[], added: number[], checked: number[]): void {
    expect(read.vanished).toEqual([uids[1]]);
    expect(read.envelopes.map((e) => e.uid)).toEqual([...checked, ...added]);
    const fresh = read.envelopes.filter((e) => added.includes(e.uid));
    expect(fresh.map((e) => e.identityHeaders.match(/Subject: (.*)\r\n/)?.[1])).toEqual(['message 5', 'message 6']);
    expect(fresh.map((e) => e.flags)).toEqual([['\\Answered'], []]);
    expect(read.status).toMatchObject({ messages: 5, uidNext: added[1]! + 1 });
  }

  it('QRESYNC: the delta in SELECT (QRESYNC) + one envelope fetch', async () => {
    const { uids, added, read, commands } = await incremental(full, 'Qresync');
    expect(read.kind).toBe('delta');
    expect(read.messages).toEqual([
      { uid: uids[0], flags: ['\\Flagged', '\\Seen'] },
      { uid: uids[3], flags: ['$Work'] },
      { uid: added[0], flags: ['\\Answered'] },
      { uid: added[1], flags: [] },
    ]);
    expectDelta(read, uids, added, [uids[0]!, uids[3]!]);
    expect(commands).toBe(2);
  });

  it('CONDSTORE without QRESYNC: SELECT, UID FETCH (CHANGEDSINCE), UID SEARCH, envelope fetch', async () => {
    const { uids, added, read, commands } = await incremental(condstoreOnly, 'Condstore');
    expect(read.kind).toBe('delta');
    expect(read.messages).toEqual([
      { uid: uids[0], flags: ['\\Flagged', '\\Seen'] },
      { uid: uids[3], flags: ['$Work'] },
      { uid: added[0], flags: ['\\Answered'] },
      { uid: added[1], flags: [] },
    ]);
    expectDelta(read, uids, added, [uids[0]!, uids[3]!]);
    expect(commands).toBe(4);
  });

  it('neither: a full scan of flags, vanished = known - present', async () => {
    const { uids, added, read, commands } = await incremental(minimal, 'Plain');
    expect(read.kind).toBe('full');
    expect(read.status.highestModseq).toBeUndefined();
    expect(read.messages).toEqual([
      { uid: uids[0], flags: ['\\Flagged', '\\Seen'] },
      { uid: uids[2], flags: ['\\Seen'] },
      { uid: uids[3], flags: ['$Work'] },
      { uid: added[0], flags: ['\\Answered'] },
      { uid: added[1], flags: [] },
    ]);
    expectDelta(read, uids, added, [uids[3]!]);
    expect(commands).toBe(3);
  });

  it("QRESYNC after another folder was open: that folder's pending changes are not taken for this one's", async () => {
    const store = await connected(full);
    const x = await seedFolder(full, 'SwitchX', [seed(1), seed(2), seed(3)]);
    const y = await seedFolder(full, 'SwitchY', [seed(1), seed(2), seed(3)]);
    expect(y).toEqual(x);
    const readX = await store.readFolder('SwitchX', { readOnly: false, base: null, verify: false });
    await store.readFolder('SwitchY', { readOnly: false, base: null, verify: false });
    // changes in the folder that is still selected on our connection
    await setFlags(full, 'SwitchY', [y[0]!], ['\\Flagged'], []);
    await expungeUids(full, 'SwitchY', [y[1]!]);
    const read = await store.readFolder('SwitchX', { readOnly: false, base: baseOf(readX, x), verify: false });
    expect(read.kind).toBe('delta');
    expect(read.vanished).toEqual([]);
    expect(read.messages).toEqual([]);
    expect(read.status.messages).toBe(3);
  });

  it('verify: envelopes of every present message, also in a delta', async () => {
    const { uids, added, first, store } = await incremental(full, 'Verify');
    const read = await store.readFolder('Verify', { readOnly: true, base: baseOf(first, uids), verify: true });
    expect(read.kind).toBe('delta');
    expect(read.readOnly).toBe(true);
    expect(read.envelopes.map((e) => e.uid)).toEqual([uids[0], uids[2], uids[3], ...added]);
    expect(read.vanished).toEqual([uids[1]]);
  });

  it('a new UIDVALIDITY: kind full, uidValidityChanged, every envelope; vanished never names a present UID', async () => {
    const store = await connected(full);
    const uids = await seedFolder(full, 'Renumbered', [seed(1), seed(2)]);
    const first = await store.readFolder('Renumbered', { readOnly: false, base: null, verify: false });
    const newValidity = first.status.uidValidity + 1000n;
    await full.doveadm(['mailbox', 'update', '-u', 'alice', '--uid-validity', newValidity.toString(), 'Renumbered']);
    const read = await store.readFolder('Renumbered', { readOnly: false, base: baseOf(first, uids), verify: false });
    expect(read.kind).toBe('full');
    expect(read.uidValidityChanged).toBe(true);
    expect(read.status.uidValidity).toBe(newValidity);
    expect(read.envelopes).toHaveLength(2);
    expect(read.messages.map((m) => m.uid)).toEqual(read.envelopes.map((e) => e.uid));
    // Dovecot keeps the UIDs, only their validity changed: known minus present is empty
    expect(read.envelopes.map((e) => e.uid)).toEqual(uids);
    expect(read.vanished).toEqual([]);
  });
});

describe('append', () => {
  const batch = (): { body: Buffer; flags: string[]; internalDate: Date }[] => [
    { body: message(1), flags: ['\\Seen'], internalDate: new Date('2019-03-04T05:06:07Z') },
    { body: message(2, 20_000), flags: ['\\Flagged', '$Important', 'custom_kw'], internalDate: new Date('2018-12-31T23:59:59Z') },
    { body: message(3, 120_000), flags: [], internalDate: new Date('2021-07-01T00:00:00Z') },
    { body: message(4, 5_000), flags: ['\\Answered', '\\Draft', '\\Recent'], internalDate: new Date('2000-02-29T12:00:00Z') },
    { body: Buffer.from('Subject: 8-bit \xe4\r\n\r\nbytes \xff\xfe as they are\r\n', 'latin1'), flags: [], internalDate: new Date('2022-01-01T00:00:00Z') },
  ];

  it('MULTIAPPEND: one command, no continuation waits (LITERAL+), APPENDUIDs in order, everything read back identical', async () => {
    const store = await connected(full);
    await store.createFolder('Appended');
    const messages = batch();
    const { value: result, commands, continuations } = await cost(store, () => store.append('Appended', messages));
    expect(commands).toBe(1);
    expect(continuations).toBe(0);
    expect(result.outcomes).toEqual([1, 2, 3, 4, 5].map((uid) => ({ ok: true, uid })));
    expect(typeof result.uidValidity).toBe('bigint');
    const stored = await readBack(full, 'Appended');
    expect(stored.map((m) => m.uid)).toEqual([1, 2, 3, 4, 5]);
    stored.forEach((m, i) => {
      expect(m.body.equals(messages[i]!.body)).toBe(true);
      expect(m.internalDate.getTime()).toBe(messages[i]!.internalDate.getTime());
      expect(m.flags).toEqual(messages[i]!.flags.filter((f) => f !== '\\Recent').sort());
    });
  });

  it('without LITERAL+ each literal waits for a continuation (what the LITERAL+ path saves)', async () => {
    const store = await connected(minimal);
    await store.createFolder('Appended');
    const messages = batch();
    const { value: result, commands, continuations } = await cost(store, () => store.append('Appended', messages));
    expect(commands).toBe(1);
    expect(continuations).toBe(messages.length);
    // no UIDPLUS advertised: Dovecot still answers APPENDUID, and we use it
    expect(result.outcomes.every((o) => o.ok)).toBe(true);
    const stored = await readBack(minimal, 'Appended');
    expect(stored.map((m) => m.body.equals(messages[stored.indexOf(m)]!.body))).toEqual([true, true, true, true, true]);
  });

  it('a batch with a message the server refuses: only that one fails, with the server text', async () => {
    const store = await connected(full);
    await store.createFolder('Partial');
    const { value: result, commands } = await cost(store, () =>
      store.append('Partial', [
        { body: message(1, 6000), flags: [], internalDate: new Date('2020-01-01T00:00:00Z') },
        { body: Buffer.alloc(0), flags: [], internalDate: new Date('2020-01-02T00:00:00Z') },
        { body: message(3), flags: ['\\Seen'], internalDate: new Date('2020-01-03T00:00:00Z') },
      ]),
    );
    // the MULTIAPPEND, then each message on its own
    expect(commands).toBe(4);
    expect(result.outcomes[0]).toEqual({ ok: true, uid: 1 });
    expect(result.outcomes[2]).toEqual({ ok: true, uid: 2 });
    const failed = result.outcomes[1]!;
    expect(failed.ok).toBe(false);
    if (failed.ok) return;
    expect(failed.error).toBeInstanceOf(ImapCommandError);
    expect(failed.error.message).toMatch(/^A: APPEND to "Partial" failed: NO .*zero byte message/);
    expect((failed.error as ImapCommandError).serverText).toMatch(/zero byte/);
    const stored = await readBack(full, 'Partial');
    expect(stored.map((m) => m.body.toString())).toEqual([message(1, 6000).toString(), message(3).toString()]);
  });

  it('too big: the server refuses one over its size limit, the driver one over APPENDLIMIT; the rest is stored', async () => {
    const store = await connected(limited);
    const messages = [message(1), message(2, 15_000), message(3, 30_000), message(4)].map((body) => ({ body, flags: [], internalDate: new Date() }));
    const { value: result, commands } = await cost(store, () => store.append('INBOX', messages));
    // MULTIAPPEND of #1 #2 #4 (refused for #2), then each alone; #3 is never sent
    expect(commands).toBe(4);
    expect(result.outcomes.map((o) => o.ok)).toEqual([true, false, false, true]);
    const [, overLimit, overAppendLimit] = result.outcomes as { ok: false; error: ImapCommandError }[];
    expect(overLimit!.error.message).toMatch(/^A: APPEND to "INBOX" failed: NO \[LIMIT\] Mail size is larger/);
    expect(overLimit!.error.responseCode).toBe('LIMIT');
    expect(overAppendLimit!.error.message).toBe(`A: APPEND to "INBOX" refused: message of ${messages[2]!.body.length} bytes exceeds the server's APPENDLIMIT of 20000`);
    const stored = await readBack(limited, 'INBOX');
    expect(stored.map((m) => m.body.toString())).toEqual([message(1).toString(), message(4).toString()]);
  });

  it('an APPEND to a missing folder fails every message with the server text', async () => {
    const store = await connected(full);
    const result = await store.append('Does/Not/Exist', [{ body: message(1), flags: [], internalDate: new Date() }]);
    expect(result.outcomes[0]!.ok).toBe(false);
    if (result.outcomes[0]!.ok) return;
    expect(result.outcomes[0]!.error.message).toMatch(/^A: APPEND to "Does\/Not\/Exist" failed: NO \[TRYCREATE\]/);
  });
});

describe('flags, expunge, bodies', () => {
  it('addFlags/removeFlags: one silent UID STORE each', async () => {
    const store = await connected(full);
    const uids = await seedFolder(full, 'Flags', [seed(1), seed(2, ['\\Seen']), seed(3)]);
    await store.readFolder('Flags', { readOnly: false, base: null, verify: false });
    expect((await cost(store, () => store.addFlags([uids[0]!, uids[2]!], ['\\Flagged', '$Todo']))).commands).toBe(1);
    expect((await cost(store, () => store.removeFlags([uids[1]!, uids[2]!], ['\\Seen', '$Todo']))).commands).toBe(1);
    const stored = await readBack(full, 'Flags');
    expect(stored.map((m) => m.flags)).toEqual([['$Todo', '\\Flagged'], [], ['\\Flagged']]);
  });

  it('a STORE the server refuses is an ImapCommandError with its text; none is sent to a read-only folder', async () => {
    const store = await connected(full);
    const uids = await seedFolder(full, 'Refused', [seed(1)]);
    await store.readFolder('Refused', { readOnly: false, base: null, verify: false });
    const refused = await store.addFlags(uids, ['\\Bogus']).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImapCommandError);
    expect((refused as ImapCommandError).command).toBe('UID STORE');
    expect((refused as Error).message).toMatch(/^A: UID STORE \+FLAGS\.SILENT in "Refused" failed: BAD .*Invalid system flag/);

    // Dovecot would answer "OK Store ignored" on an EXAMINEd folder: the driver refuses first.
    await store.readFolder('Refused', { readOnly: true, base: null, verify: false });
    const { value: readOnly, commands } = await cost(store, () => store.addFlags(uids, ['\\Flagged']).catch((e: unknown) => e));
    expect(commands).toBe(0);
    expect(readOnly).toBeInstanceOf(ImapCommandError);
    expect((readOnly as Error).message).toBe('A: "Refused" is open read-only; UID STORE not sent');
    expect((await store.expungeMessages(uids).catch((e: unknown) => e)) as Error).toBeInstanceOf(ImapCommandError);
    expect((await readBack(full, 'Refused'))[0]!.flags).toEqual([]);
  });

  it('expungeMessages removes exactly those UIDs, not another \\Deleted message', async () => {
    const store = await connected(full);
    const uids = await seedFolder(full, 'Expunge', [seed(1), seed(2), seed(3), seed(4)]);
    await setFlags(full, 'Expunge', [uids[0]!], ['\\Deleted'], []);
    await store.readFolder('Expunge', { readOnly: false, base: null, verify: false });
    const { commands } = await cost(store, () => store.expungeMessages([uids[1]!, uids[3]!]));
    expect(commands).toBe(2);
    const stored = await readBack(full, 'Expunge');
    expect(stored.map((m) => m.uid)).toEqual([uids[0], uids[2]]);
    expect(stored[0]!.flags).toEqual(['\\Deleted']);
  });

  it('without UIDPLUS expungeMessages refuses and leaves the messages untouched', async () => {
    const store = await connected(minimal);
    const uids = await seedFolder(minimal, 'NoUidplus', [seed(1), seed(2)]);
    await store.readFolder('NoUidplus', { readOnly: false, base: null, verify: false });
    const error = await store.expungeMessages([uids[0]!]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImapCommandError);
    expect((error as Error).message).toMatch(/UIDPLUS.*nothing was expunged/);
    const stored = await readBack(minimal, 'NoUidplus');
    expect(stored.map((m) => [m.uid, m.flags])).toEqual([
      [uids[0], []],
      [uids[1], []],
    ]);
  });

  it('fetchBodies: byte-exact, one command, \\Seen untouched, gone UIDs absent', async () => {
    const store = await connected(full);
    const bodies = [message(1), message(2, 200_000), Buffer.from('Subject: raw\r\n\r\n\x00\x01\xff bytes\r\n', 'latin1')];
    const uids = await seedFolder(
      full,
      'Bodies',
      bodies.map((raw) => ({ raw })),
    );
    await store.readFolder('Bodies', { readOnly: false, base: null, verify: false });
    const sizes = bodies.map((body) => body.length);
    const requests = [...uids.map((uid, i) => ({ uid, size: sizes[i]! })), { uid: 999, size: 10 }];
    const { value: result, commands } = await cost(store, () => store.fetchBodies(requests));
    const fetched = result.bodies;
    expect(result.refused.size).toBe(0);
    expect(commands).toBe(1);
    expect([...fetched.keys()].sort((a, b) => a - b)).toEqual(uids);
    const stored = await readBack(full, 'Bodies');
    uids.forEach((uid, i) => expect(fetched.get(uid)!.equals(stored[i]!.body)).toBe(true));
    expect(fetched.get(uids[1]!)!.equals(bodies[1]!)).toBe(true);
    expect(stored.every((m) => !m.flags.includes('\\Seen'))).toBe(true);

    const envelopes = await cost(store, () => store.fetchEnvelopes([uids[0]!, uids[2]!, 999]));
    expect(envelopes.commands).toBe(1);
    expect(envelopes.value.map((e) => e.uid)).toEqual([uids[0], uids[2]]);
  });

  it('a message expunged by another session since the read: once this session sees it, FETCH leaves it out (OK) and existingUids says so', async () => {
    const store = await connected(full);
    const uids = await seedFolder(full, 'Vanishing', [seed(1), seed(2), seed(3)]);
    await store.readFolder('Vanishing', { readOnly: true, base: null, verify: false });
    await expungeUids(full, 'Vanishing', [uids[1]!]);
    // Dovecot updates a session's view of another's expunge only after a command or
    // two, answering from the old view meanwhile (the body still arrives, and is copied).
    // Never a NO: once the view is updated, the UID is simply left out.
    let fetched: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      fetched = [...(await store.fetchBodies(uids.map((uid) => ({ uid, size: 0 })))).bodies.keys()].sort((x, y) => x - y);
      if (fetched.length < uids.length) break;
    }
    expect(fetched).toEqual([uids[0], uids[2]]);
    const { value: existing, commands } = await cost(store, () => store.existingUids([...uids, 999]));
    expect(commands).toBe(1);
    expect([...existing].sort((x, y) => x - y)).toEqual([uids[0], uids[2]]);
  });

  it('a connection dropped by the server becomes ConnectionLostError', async () => {
    const store = await connected(full, {}, 'B');
    await store.readFolder('INBOX', { readOnly: true, base: null, verify: false });
    await full.doveadm(['kick', 'alice']);
    // The kick reaches our socket a moment later: ask until the loss shows.
    let error: unknown;
    for (let attempt = 0; attempt < 50 && error === undefined; attempt++) {
      error = await store.listFolders({ status: false }).then(
        () => new Promise((resolve) => setTimeout(resolve, 100)).then(() => undefined),
        (e: unknown) => e,
      );
    }
    expect(error).toBeInstanceOf(ConnectionLostError);
    expect((error as Error).message).toMatch(/^B: connection to 127\.0\.0\.1:\d+ lost during LIST/);
    await store.close(); // never throws
  });
});
