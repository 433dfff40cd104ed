// Talk to a test server directly, beside the program under test: seed folders
// before a sync, read them back byte for byte after it. Uses imapflow on its own
// (nothing from src/), so a bug in replimap's IMAP layer cannot hide itself here.

import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import type { DovecotServer } from './dovecot.js';

/** What these helpers need of a test server (Dovecot, or Cyrus: cyrus.ts). */
export type ImapTestServer = Pick<DovecotServer, 'host' | 'imapsPort' | 'caPem' | 'passwordOf' | 'separator' | 'namespacePrefix'>;

export interface SeedMessage {
  raw: Buffer | string;
  flags?: string[];
  internalDate?: Date;
}

export interface StoredMessage {
  uid: number;
  /** Sorted, without \Recent. */
  flags: string[];
  internalDate: Date;
  size: number;
  body: Buffer;
}

export interface ListedFolder {
  /** Full IMAP name as the server lists it (namespace prefix included), decoded from modified UTF-7. */
  name: string;
  delimiter: string;
  /** Only what the server itself declares (SPECIAL-USE), never a guess from the name. */
  specialUse?: string;
  subscribed: boolean;
  /** LIST attributes, e.g. \HasChildren, \Noselect. */
  flags: string[];
}

/** Logged-in imapflow client over imaps, trusting the server's CA. The caller logs out. */
export async function openClient(server: ImapTestServer, user = 'alice', password?: string): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: server.host,
    port: server.imapsPort,
    secure: true,
    tls: { ca: server.caPem },
    auth: { user, pass: password ?? server.passwordOf(user) },
    logger: false,
    disableAutoIdle: true,
  });
  // Without a listener an 'error' event would kill the test process.
  client.on('error', () => {
    // failures surface through the awaited command
  });
  await client.connect();
  return client;
}

async function withClient<T>(server: ImapTestServer, user: string | undefined, fn: (client: ImapFlow) => Promise<T>): Promise<T> {
  const client = await openClient(server, user);
  try {
    return await fn(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/**
 * The full name of a folder on this server: adds the personal namespace prefix
 * ("INBOX.") when the server has one and the name lacks it. INBOX stays INBOX.
 */
export function inNamespace(server: ImapTestServer, folder: string): string {
  if (folder.toUpperCase() === 'INBOX' || server.namespacePrefix === '' || folder.startsWith(server.namespacePrefix)) return folder;
  return server.namespacePrefix + folder;
}

/** Creates the folder and every missing parent. */
export async function ensureFolder(client: ImapFlow, server: ImapTestServer, folder: string): Promise<void> {
  const full = inNamespace(server, folder);
  if (full.toUpperCase() === 'INBOX') return;
  const parts = full.split(server.separator);
  for (let i = 1; i <= parts.length; i++) {
    const path = parts.slice(0, i).join(server.separator);
    if (path.toUpperCase() === 'INBOX') continue;
    try {
      await client.mailboxCreate(path); // resolves with created: false when it exists (Dovecot's [ALREADYEXISTS])
    } catch (error) {
      // Cyrus answers a plain NO for a folder that exists.
      if (!(await client.list()).some((f) => f.path === path)) throw error;
    }
  }
}

/**
 * Appends the messages in order to the folder (created with its parents if
 * needed); returns their UIDs. Uses MULTIAPPEND batches when the server offers
 * it (about 8x faster than one APPEND per message), else one APPEND each.
 */
export async function seedFolder(server: ImapTestServer, folder: string, messages: SeedMessage[], user?: string): Promise<number[]> {
  return withClient(server, user, async (client) => {
    await ensureFolder(client, server, folder);
    const path = inNamespace(server, folder);
    if (!client.capabilities.has('MULTIAPPEND')) return appendOneByOne(client, path, messages);
    const uids: number[] = [];
    for (const batch of batches(messages, DEFAULT_BATCH)) uids.push(...(await multiAppend(client, path, batch)));
    return uids;
  });
}

export interface BulkSeedOptions {
  user?: string;
  /** Called after each batch with the number of messages stored so far. */
  onProgress?: (stored: number) => void;
  /** Batch limits per MULTIAPPEND command (defaults: 500 messages, 32 MB). */
  batch?: { messages?: number; bytes?: number };
}

export interface BulkSeedResult {
  count: number;
  /** UID range of the appended messages (0 and 0 when none). */
  firstUid: number;
  lastUid: number;
}

/**
 * For benchmarks: appends any number of messages from an iterable (a generator
 * keeps memory flat) with MULTIAPPEND batches, in order. Bytes, flags, keywords
 * and internal dates are kept exactly (to the second).
 */
export async function seedFolderBulk(
  server: ImapTestServer,
  folder: string,
  messages: Iterable<SeedMessage>,
  options: BulkSeedOptions = {},
): Promise<BulkSeedResult> {
  return withClient(server, options.user, async (client) => {
    if (!client.capabilities.has('MULTIAPPEND')) throw new Error('seedFolderBulk needs a server with MULTIAPPEND');
    await ensureFolder(client, server, folder);
    const path = inNamespace(server, folder);
    const limits = { ...DEFAULT_BATCH, ...options.batch };
    let count = 0;
    let firstUid = 0;
    let lastUid = 0;
    for (const batch of batches(messages, limits)) {
      const uids = await multiAppend(client, path, batch);
      if (firstUid === 0) firstUid = uids[0] ?? 0;
      lastUid = uids[uids.length - 1] ?? lastUid;
      count += uids.length;
      options.onProgress?.(count);
    }
    return { count, firstUid, lastUid };
  });
}

const DEFAULT_BATCH = { messages: 500, bytes: 32 * 1024 * 1024 };

function* batches(messages: Iterable<SeedMessage>, limits: { messages: number; bytes: number }): Generator<SeedMessage[]> {
  let batch: SeedMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = typeof m.raw === 'string' ? Buffer.byteLength(m.raw) : m.raw.length;
    if (batch.length > 0 && (batch.length >= limits.messages || bytes + size > limits.bytes)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(m);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}

async function appendOneByOne(client: ImapFlow, path: string, messages: SeedMessage[]): Promise<number[]> {
  const uids: number[] = [];
  for (const [i, m] of messages.entries()) {
    const result = await client.append(path, toBuffer(m.raw), seedFlags(m), m.internalDate);
    if (!result || typeof result.uid !== 'number') {
      throw new Error(`APPEND of message ${i} to ${path} returned no UID (${JSON.stringify(result)})`);
    }
    uids.push(result.uid);
  }
  return uids;
}

// imapflow's exec() is internal and untyped: this is the part of it we use.
interface CompiledAttribute {
  type: 'ATOM' | 'STRING' | 'LITERAL';
  value: string | Buffer;
  isLiteral8?: boolean;
}
interface ResponseNode {
  type?: string;
  value?: string;
  section?: ResponseNode[];
}
interface RawCommandClient {
  /** Resolves with the tagged response; next() must be called to let the following command run. */
  exec(
    command: string,
    attributes: (CompiledAttribute | CompiledAttribute[])[],
  ): Promise<{ response?: { attributes?: ResponseNode[] }; next: () => void }>;
}

/** One MULTIAPPEND (RFC 3502) for the batch; returns the UIDs from APPENDUID, in order. */
async function multiAppend(client: ImapFlow, path: string, batch: SeedMessage[]): Promise<number[]> {
  const binary = client.capabilities.has('BINARY');
  const attributes: (CompiledAttribute | CompiledAttribute[])[] = [{ type: 'STRING', value: encodeMailboxName(path) }];
  for (const m of batch) {
    const raw = toBuffer(m.raw);
    attributes.push(seedFlags(m).map((f): CompiledAttribute => ({ type: 'ATOM', value: f })));
    if (m.internalDate) attributes.push({ type: 'STRING', value: imapDateTime(m.internalDate) });
    // NUL bytes need a literal8 (RFC 3516), as imapflow's own append does.
    attributes.push({ type: 'LITERAL', value: raw, isLiteral8: binary && raw.includes(0) });
  }
  const uidplus = client.capabilities.has('UIDPLUS');
  const statusBefore = uidplus ? undefined : await client.status(path, { uidNext: true });
  let result: Awaited<ReturnType<RawCommandClient['exec']>>;
  try {
    result = await (client as unknown as RawCommandClient).exec('APPEND', attributes);
    result.next();
  } catch (error) {
    throw new Error(`MULTIAPPEND of ${batch.length} messages to ${path} failed: ${(error as Error).message}`, { cause: error });
  }
  const code = result.response?.attributes?.[0]?.section;
  if (code?.[0]?.value?.toUpperCase() === 'APPENDUID' && typeof code[2]?.value === 'string') {
    const uids = expandUidSet(code[2].value);
    if (uids.length !== batch.length) throw new Error(`APPENDUID listed ${uids.length} UIDs for ${batch.length} messages`);
    return uids;
  }
  // No UIDPLUS: we are the only writer, so the batch took the next UIDs in a row.
  const first = statusBefore ? statusBefore.uidNext : undefined;
  if (first === undefined) throw new Error(`MULTIAPPEND to ${path}: no APPENDUID and no UIDNEXT to infer the UIDs`);
  return batch.map((_, i) => first + i);
}

function expandUidSet(set: string): number[] {
  const out: number[] = [];
  for (const part of set.split(',')) {
    const [a, b] = part.split(':').map(Number);
    if (a === undefined || !Number.isInteger(a)) throw new Error(`bad UID set ${set}`);
    const end = b ?? a;
    for (let uid = Math.min(a, end); uid <= Math.max(a, end); uid++) out.push(uid);
  }
  return out;
}

/** Modified UTF-7 (RFC 3501 5.1.3), as imapflow encodes mailbox names. */
export function encodeMailboxName(name: string): string {
  return name.replace(/&/g, '&-').replace(/[^\x20-\x7e]+/g, (run) => {
    const utf16 = Buffer.alloc(run.length * 2);
    for (let i = 0; i < run.length; i++) utf16.writeUInt16BE(run.charCodeAt(i), i * 2);
    return '&' + utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** IMAP date-time in UTC: "dd-Mon-yyyy hh:mm:ss +0000" (seconds precision). */
export function imapDateTime(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

function seedFlags(m: SeedMessage): string[] {
  return (m.flags ?? []).filter((f) => f.toLowerCase() !== '\\recent');
}

function toBuffer(raw: Buffer | string): Buffer {
  return typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
}

/** Every message of the folder in UID order, bodies byte-exact (BODY.PEEK[], nothing marked \Seen). */
export async function readFolder(server: ImapTestServer, folder: string, user?: string): Promise<StoredMessage[]> {
  return withClient(server, user, async (client) => {
    const mailbox = await client.mailboxOpen(inNamespace(server, folder), { readOnly: true });
    if (mailbox.exists === 0) return [];
    const out: StoredMessage[] = [];
    // Collect only: no other command may run inside the fetch loop.
    for await (const msg of client.fetch('1:*', { uid: true, flags: true, internalDate: true, size: true, source: true })) {
      if (!msg.source || msg.internalDate === undefined || msg.size === undefined) {
        throw new Error(`FETCH in ${folder} returned an incomplete message (uid ${msg.uid})`);
      }
      out.push({
        uid: msg.uid,
        flags: [...(msg.flags ?? [])].filter((f) => f !== '\\Recent').sort(),
        internalDate: new Date(msg.internalDate),
        size: msg.size,
        body: msg.source,
      });
    }
    return out.sort((a, b) => a.uid - b.uid);
  });
}

/** The SHA-256 of every message body in the folder, sorted: equal lists mean the same mail, byte for byte. */
export async function bodyDigestsOf(server: ImapTestServer, folder: string, user?: string): Promise<string[]> {
  const messages = await readFolder(server, folder, user);
  return messages.map((m) => createHash('sha256').update(m.body).digest('hex')).sort();
}

/** Every folder the server lists, with its subscription and declared special use. */
export async function listFolders(server: ImapTestServer, user?: string): Promise<ListedFolder[]> {
  return withClient(server, user, async (client) => {
    const entries = await client.list();
    return entries
      .map((e) => {
        const folder: ListedFolder = {
          name: e.path,
          delimiter: e.delimiter,
          subscribed: e.subscribed === true,
          flags: [...e.flags].sort(),
        };
        if (e.specialUse && e.specialUseSource === 'extension') folder.specialUse = e.specialUse;
        return folder;
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  });
}

/** Adds then removes flags on the given UIDs. */
export async function setFlags(
  server: ImapTestServer,
  folder: string,
  uids: number[],
  add: string[],
  remove: string[],
  user?: string,
): Promise<void> {
  if (uids.length === 0) return;
  await withClient(server, user, async (client) => {
    await client.mailboxOpen(inNamespace(server, folder));
    const set = uids.join(',');
    if (add.length > 0 && !(await client.messageFlagsAdd(set, add, { uid: true }))) {
      throw new Error(`STORE +FLAGS ${add.join(' ')} failed in ${folder}`);
    }
    if (remove.length > 0 && !(await client.messageFlagsRemove(set, remove, { uid: true }))) {
      throw new Error(`STORE -FLAGS ${remove.join(' ')} failed in ${folder}`);
    }
  });
}

/** Marks the UIDs \Deleted and expunges exactly those (UID EXPUNGE). */
export async function expungeUids(server: ImapTestServer, folder: string, uids: number[], user?: string): Promise<void> {
  if (uids.length === 0) return;
  await withClient(server, user, async (client) => {
    await client.mailboxOpen(inNamespace(server, folder));
    if (!(await client.messageDelete(uids.join(','), { uid: true }))) {
      throw new Error(`UID EXPUNGE ${uids.join(',')} failed in ${folder}`);
    }
  });
}
