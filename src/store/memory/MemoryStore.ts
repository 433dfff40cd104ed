// The Store interface over a MemoryServer: one "connection" with its own open
// folder, like an IMAP session. Every operation passes the server's hooks (a
// test fails it or simulates a kill there) and yields once to the event loop,
// so connections interleave as real ones do. Refusals are StoreErrors; after
// abort() (or MemoryServer.dropConnections) everything fails with
// ConnectionLostError, as a cut IMAP connection does. A connection the server
// dropped can be opened again (connect()); one aborted by a signal cannot.
// Bodies are kept as Dovecot serves them (MemoryServer.append): CRLF form.

import { ConnectError, ConnectionLostError, StoreError } from '../../errors.js';
import { lostConnectionRefusal, MAX_HEADER_BYTES, MAX_LOST_CONNECTIONS_PER_FETCH, maxBodyBytes } from '../readRules.js';
import { headerOf } from './headerFields.js';
import { heldBackBy, type MessageFilter } from '../messageFilter.js';
import type {
  AppendMessage,
  AppendOutcome,
  AppendResult,
  BodyRequest,
  CopyResult,
  FetchedBodies,
  FolderInfo,
  FolderRead,
  MessageEnvelope,
  NamespaceInfo,
  ReadFolderOptions,
  Store,
  StoreFeatures,
  StoreStats,
} from '../types.js';
import type { MemoryFolder, MemoryOperation, MemoryOperationArgs, MemoryServer } from './MemoryServer.js';
import { envelopeOf, folderBytes, listedStatusOf, readMemoryFolder } from './readMemoryFolder.js';

export class MemoryStore implements Store {
  readonly label: string;
  readonly displayUrl: string;
  private readonly server: MemoryServer;
  private connected = false;
  private aborted = false;
  /** The server dropped this connection (MemoryServer.dropConnections); connect() makes a new one. */
  private dropped = false;
  private detach: (() => void) | undefined;
  private open: { name: string; readOnly: boolean; uidValidity: bigint } | undefined;
  private counters = { commands: 0, bytesIn: 0, bytesOut: 0, connections: 0 };
  /** The optional operations: each undefined when the server is made to lack it (StoreFeatures). */
  readonly copyMessages?: (uids: number[], target: string) => Promise<CopyResult>;
  readonly moveMessages?: (uids: number[], target: string) => Promise<CopyResult>;
  readonly renameFolder?: (from: string, to: string) => Promise<void>;

  constructor(label: string, server: MemoryServer, displayUrl: string) {
    this.label = label;
    this.server = server;
    this.displayUrl = displayUrl;
    const has = server.features;
    if (has.copy) this.copyMessages = (uids, target) => this.copy(uids, target);
    if (has.move) this.moveMessages = (uids, target) => this.move(uids, target);
    if (has.rename) this.renameFolder = (from, to) => this.rename(from, to);
  }

  get namespace(): NamespaceInfo {
    if (!this.connected) throw new Error(`${this.label}: namespace read before connect()`);
    return { prefix: this.server.namespacePrefix, delimiter: this.server.delimiter };
  }

  get usable(): boolean {
    return this.connected && !this.dropped && !this.aborted;
  }

  get features(): StoreFeatures {
    if (!this.connected) throw new Error(`${this.label}: features read before connect()`);
    return { ...this.server.features, copyUid: this.server.copyUid, mailboxIds: this.server.mailboxIds, lineEnds: 'crlf' };
  }

  async connect(): Promise<void> {
    if (this.aborted) throw new ConnectionLostError(this.label, 'connection cut short by a signal');
    this.dropped = false;
    try {
      await this.operation('connect', {}, () => undefined);
    } catch (error) {
      throw error instanceof ConnectError ? error : new ConnectError(this.label, `cannot connect to ${this.displayUrl}: ${(error as Error).message}`, { cause: error });
    }
    this.connected = true;
    this.counters.connections++;
    this.detach = this.server.attach(() => this.drop());
  }

  async close(): Promise<void> {
    this.detach?.();
    this.detach = undefined;
    this.open = undefined;
    this.connected = false;
  }

  abort(): void {
    this.aborted = true;
    void this.close();
  }

  /** The server's side of a cut: the open folder is remembered, for reopen(). */
  private drop(): void {
    this.dropped = true;
    this.detach?.();
    this.detach = undefined;
  }

  /** A new connection in place of a dropped one, the open folder open again (a StoreError when it changed meanwhile). */
  private async reopen(): Promise<void> {
    const open = this.open;
    await this.close();
    await this.connect();
    this.open = open;
    if (open) this.current();
  }

  stats(): StoreStats {
    // No wire and no compression: what moved is what the wire would carry.
    return { ...this.counters, wireIn: this.counters.bytesIn, wireOut: this.counters.bytesOut, compressed: 0 };
  }

  /** One store operation: hooks around it, counted, failing once the connection is cut. */
  private async operation<T>(op: MemoryOperation, args: Omit<MemoryOperationArgs, 'label'>, body: () => T): Promise<T> {
    await Promise.resolve();
    if (this.aborted || this.dropped) throw new ConnectionLostError(this.label, `connection to ${this.displayUrl} lost during ${op}: cut short`);
    if (op !== 'connect' && !this.connected) throw new ConnectionLostError(this.label, `${op} on ${this.displayUrl}: not connected`);
    this.counters.commands++;
    const full: MemoryOperationArgs = { label: this.label, ...args };
    this.guarded(() => this.server.beforeOperation?.(op, full));
    const value = body();
    this.server.afterOperation?.(op, full);
    return value;
  }

  /** The open folder as it is now; a StoreError when none is open or it was deleted or renumbered meanwhile. */
  private current(writing?: string): MemoryFolder {
    const open = this.open;
    if (!open) throw new StoreError('folder', `${this.label}: no folder is open (readFolder first)`, { store: this.label });
    const folder = this.server.hasFolder(open.name) ? this.server.folder(open.name) : undefined;
    if (!folder || folder.uidValidity !== open.uidValidity) {
      throw new StoreError('folder', `${this.label}: "${open.name}" was deleted or got a new UIDVALIDITY while open`, { store: this.label });
    }
    if (writing && open.readOnly) throw new StoreError('folder', `${this.label}: "${open.name}" is open read-only; ${writing} not done`, { store: this.label });
    return folder;
  }

  private prefixed(error: unknown): unknown {
    return error instanceof StoreError ? new StoreError(error.scope, `${this.label}: ${error.message}`, { cause: error, store: this.label }) : error;
  }

  listFolders(options: { status: boolean }): Promise<FolderInfo[]> {
    return this.operation('listFolders', {}, () =>
      this.server.folderNames().map((name) => {
        const folder = this.server.folder(name);
        const info: FolderInfo = { name, delimiter: this.server.delimiter, subscribed: this.server.isSubscribed(name), selectable: true };
        if (folder.specialUse) info.specialUse = folder.specialUse;
        if (options.status) info.status = listedStatusOf(folder, this.server);
        return info;
      }),
    );
  }

  createFolder(name: string): Promise<void> {
    return this.operation('createFolder', { folder: name }, () => {
      if (!this.server.hasFolder(name)) this.server.createFolder(name);
    });
  }

  deleteFolder(name: string): Promise<void> {
    return this.operation('deleteFolder', { folder: name }, () => {
      if (this.server.hasFolder(name)) this.guarded(() => this.server.deleteFolder(name));
      if (this.open?.name === name) this.open = undefined;
    });
  }

  subscribeFolder(name: string): Promise<void> {
    return this.operation('subscribeFolder', { folder: name }, () => this.server.subscribe(name));
  }

  folderSize(name: string): Promise<number> {
    return this.operation('folderSize', { folder: name }, () => folderBytes(this.guarded(() => this.server.folder(name))));
  }

  /** Runs a server call, naming this connection in a StoreError it throws. */
  private guarded<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      throw this.prefixed(error);
    }
  }

  openFolder(name: string, options: { readOnly: boolean; uidValidity: bigint }): Promise<void> {
    return this.operation('openFolder', { folder: name }, () => {
      const open = this.open;
      if (open?.name === name && open.uidValidity === options.uidValidity && (options.readOnly || !open.readOnly)) return;
      this.open = undefined;
      const folder = this.guarded(() => this.server.folder(name));
      if (folder.uidValidity !== options.uidValidity) {
        throw new StoreError('folder', `${this.label}: UIDVALIDITY of "${name}" changed since it was read (${options.uidValidity} → ${folder.uidValidity})`, { store: this.label });
      }
      this.open = { name: folder.name, readOnly: options.readOnly, uidValidity: folder.uidValidity };
    });
  }

  closeFolder(): Promise<void> {
    return this.operation('closeFolder', {}, () => {
      this.open = undefined;
    });
  }

  readFolder(name: string, options: ReadFolderOptions): Promise<FolderRead> {
    return this.operation('readFolder', { folder: name }, () => {
      this.open = undefined;
      const folder = this.guarded(() => this.server.folder(name));
      const read = readMemoryFolder(this.server, folder, options, (uid) => this.server.omitFromFetch?.(folder.name, uid) === true);
      this.open = { name: folder.name, readOnly: options.readOnly, uidValidity: folder.uidValidity };
      for (const e of read.envelopes) this.counters.bytesIn += e.identityHeaders.length;
      return read;
    });
  }

  /** The open folder's messages among `uids`, less those the server is made to leave out. */
  private returned(uids: readonly number[]) {
    const folder = this.current();
    const omit = this.server.omitFromFetch;
    return [...new Set(uids)]
      .sort((x, y) => x - y)
      .flatMap((uid) => {
        const message = folder.messages.get(uid);
        return message && !omit?.(folder.name, uid) ? [message] : [];
      });
  }

  fetchEnvelopes(uids: number[]): Promise<MessageEnvelope[]> {
    return this.operation('fetchEnvelopes', { uids }, () => this.returned(uids).map(envelopeOf));
  }

  fetchHeaders(uids: number[]): Promise<Map<number, Buffer | null>> {
    return this.operation('fetchHeaders', { uids }, () => {
      const headers = new Map(this.returned(uids).map((m) => [m.uid, headerOf(m.body)] as const));
      for (const header of headers.values()) this.counters.bytesIn += header?.length ?? MAX_HEADER_BYTES + 1;
      return headers;
    });
  }

  /**
   * As the IMAP driver: a body far larger than the size it was asked with is
   * refused (maxBodyBytes), and a set whose read loses the connection is read
   * again one message at a time on a new one, a message whose own read loses
   * it refused alone (at most MAX_LOST_CONNECTIONS_PER_FETCH losses a call).
   */
  async fetchBodies(messages: readonly BodyRequest[]): Promise<FetchedBodies> {
    const lost = { count: 0 };
    try {
      return await this.readBodies(messages);
    } catch (error) {
      await this.afterLostFetch(error, lost);
    }
    const out: FetchedBodies = { bodies: new Map(), refused: new Map() };
    for (const message of messages) {
      try {
        const one = await this.readBodies([message]);
        for (const [uid, body] of one.bodies) out.bodies.set(uid, body);
        for (const [uid, why] of one.refused) out.refused.set(uid, why);
      } catch (error) {
        if (error instanceof ConnectionLostError) out.refused.set(message.uid, lostConnectionRefusal(error));
        await this.afterLostFetch(error, lost);
      }
    }
    return out;
  }

  /** After a body read that failed: a new connection when it was lost (within the call's bound); anything else is thrown. */
  private async afterLostFetch(error: unknown, lost: { count: number }): Promise<void> {
    if (!(error instanceof ConnectionLostError) || ++lost.count > MAX_LOST_CONNECTIONS_PER_FETCH) throw error;
    await this.reopen();
  }

  private readBodies(messages: readonly BodyRequest[]): Promise<FetchedBodies> {
    return this.operation('fetchBodies', { uids: messages.map((m) => m.uid) }, () => {
      const out: FetchedBodies = { bodies: new Map(), refused: new Map() };
      const sizes = new Map(messages.map((r) => [r.uid, r.size]));
      for (const m of this.returned(messages.map((r) => r.uid))) {
        const size = sizes.get(m.uid)!;
        if (m.body.length > maxBodyBytes(size)) {
          out.refused.set(m.uid, `${this.label}: a body of ${m.body.length} bytes for a message announced as ${size}; refused (more than ${maxBodyBytes(size)} bytes)`);
          continue;
        }
        out.bodies.set(m.uid, Buffer.from(m.body));
        this.counters.bytesIn += m.body.length;
      }
      return out;
    });
  }

  existingUids(uids: number[]): Promise<Set<number>> {
    return this.operation('existingUids', { uids }, () => {
      const folder = this.current();
      return new Set(uids.filter((uid) => folder.messages.has(uid)));
    });
  }

  searchHeldBack(filter: MessageFilter): Promise<Set<number>> {
    return this.operation('searchHeldBack', {}, () => {
      const out = new Set<number>();
      for (const m of this.current().messages.values()) if (heldBackBy(filter, m.body.length, m.internalDate)) out.add(m.uid);
      return out;
    });
  }

  /**
   * Like the IMAP driver: a refusal comes back per message (a missing folder
   * refuses every one); only a lost connection throws. Either all accepted
   * messages are stored or none (one MULTIAPPEND).
   */
  append(folder: string, messages: AppendMessage[]): Promise<AppendResult> {
    return this.operation('append', { folder }, () => {
      const outcomes: (AppendOutcome | undefined)[] = messages.map((message, index) => this.refusal(folder, message, index));
      const accepted = messages.filter((_, index) => outcomes[index] === undefined);
      let uids: number[];
      try {
        uids = this.server.append(folder, accepted.map((m) => ({ raw: m.body, flags: m.flags, internalDate: m.internalDate })));
      } catch (error) {
        if (!(error instanceof StoreError)) throw error;
        const refused = this.prefixed(error) as StoreError;
        return { outcomes: messages.map(() => ({ ok: false as const, error: refused })) };
      }
      for (const m of accepted) this.counters.bytesOut += m.body.length;
      const result: AppendResult = { uidValidity: this.server.folder(folder).uidValidity, outcomes: [] };
      result.outcomes = outcomes.map((outcome) => outcome ?? { ok: true, uid: uids.shift()! });
      return result;
    });
  }

  /** Why the server refuses this message (the appendMessage hook, the append limit), or undefined. */
  private refusal(folder: string, message: AppendMessage, index: number): AppendOutcome | undefined {
    try {
      this.server.beforeOperation?.('appendMessage', { label: this.label, folder, index });
    } catch (error) {
      if (error instanceof StoreError) return { ok: false, error: this.prefixed(error) as StoreError };
      throw error;
    }
    const limit = this.server.appendLimit;
    if (limit !== undefined && message.body.length > limit) {
      const error = new StoreError('message', `${this.label}: APPEND to "${folder}" refused: message of ${message.body.length} bytes exceeds the limit of ${limit}`);
      return { ok: false, error };
    }
    return undefined;
  }

  addFlags(uids: number[], flags: string[]): Promise<void> {
    return this.operation('addFlags', { uids, flags }, () => {
      this.server.setFlags(this.current('flag change').name, uids, flags, []);
    });
  }

  removeFlags(uids: number[], flags: string[]): Promise<void> {
    return this.operation('removeFlags', { uids, flags }, () => {
      this.server.setFlags(this.current('flag change').name, uids, [], flags);
    });
  }

  expungeMessages(uids: number[]): Promise<void> {
    return this.operation('expungeMessages', { uids }, () => {
      this.server.expunge(this.current('expunge').name, uids);
    });
  }

  private copy(uids: number[], target: string): Promise<CopyResult> {
    return this.operation('copyMessages', { uids, target }, () => {
      const folder = this.current();
      const copied = this.guarded(() => this.server.copy(folder.name, uids, target));
      return this.copyResult(target, copied);
    });
  }

  private move(uids: number[], target: string): Promise<CopyResult> {
    return this.operation('moveMessages', { uids, target }, () => {
      const folder = this.current('move');
      const moved = this.guarded(() => this.server.copy(folder.name, uids, target));
      this.server.expunge(folder.name, [...moved.keys()]);
      return this.copyResult(target, moved);
    });
  }

  /** What the server says of a copy or move: COPYUID when it has UIDPLUS and copied something (as Dovecot), else nothing. */
  private copyResult(target: string, copied: Map<number, number>): CopyResult {
    if (!this.server.copyUid || copied.size === 0) return { uids: new Map() };
    return { uidValidity: this.server.folder(target).uidValidity, uids: copied };
  }

  private rename(from: string, to: string): Promise<void> {
    return this.operation('renameFolder', { folder: from, target: to }, () => {
      this.guarded(() => this.server.rename(from, to));
      if (this.open?.name === from) this.open = undefined;
    });
  }
}
