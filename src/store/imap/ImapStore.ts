// The Store interface over one IMAP connection. imapflow is the protocol
// engine (sockets, TLS, STARTTLS, login, parsing, the command queue); the
// commands themselves are sent by the small modules of this folder, each
// through ImapSession.run(), so every NO/BAD becomes a typed error and every
// command is counted.

import { ConnectionLostError } from '../../errors.js';
import { ImapCommandError } from './commandError.js';
import type { MessageFilter } from '../messageFilter.js';
import type { ImapStoreSpec } from '../spec.js';
import type {
  AppendMessage,
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
import { readCapabilities, readNamespace, type ImapCapabilities } from './capabilities.js';
import { installCommandStats, type CommandStats } from './commandStats.js';
import { copyOrMove, renameFolder } from './copyMove.js';
import { connectError, createImapFlow, timeoutOf, watchStartTlsRefusal } from './connect.js';
import { fetchBodies } from './fetchBodies.js';
import { createFolder, deleteFolder, statusSize, subscribeFolder, sumMessageSizes, unselect } from './folderCommands.js';
import { negotiateCompression } from './compression.js';
import { asImapClient } from './imapflowInternals.js';
import { startKeepAlive } from './keepAlive.js';
import { installLiteralPlus } from './literalPlus.js';
import { installOneCopyLiterals } from './literalReceive.js';
import { listFolders } from './listFolders.js';
import { paceWrites } from './pacedWrites.js';
import { appendMessages } from './multiAppend.js';
import { fetchEnvelopes, readFolder } from './readFolder.js';
import { fetchHeaders } from './fetchHeaders.js';
import { searchHeldBack, searchUidsIn } from './searchUids.js';
import { selectFolder } from './selectFolder.js';
import { ImapSession } from './session.js';
import { expungeUids, storeFlags } from './storeFlags.js';
import { splitUidSets } from './uidSet.js';
import { meterClientWire, type WireCounts } from './wire.js';

export interface ImapStoreStats extends StoreStats {
  /** '+' continuation requests waited for (0 for APPENDs on a LITERAL+ server). */
  continuations: number;
}

const LOGOUT_TIMEOUT_MS = 5_000;

export class ImapStore implements Store {
  readonly label: string;
  readonly displayUrl: string;
  private readonly spec: ImapStoreSpec;
  private session: ImapSession | undefined;
  private counters: CommandStats | undefined;
  private caps: ImapCapabilities | undefined;
  private ns: NamespaceInfo | undefined;
  private stopKeepAlive: (() => void) | undefined;
  /** The selected folder, if any. */
  private open: { name: string; readOnly: boolean; uidValidity: bigint } | undefined;
  /** What connections replaced by reopen() counted. */
  private retired: ImapStoreStats = { commands: 0, bytesIn: 0, bytesOut: 0, wireIn: 0, wireOut: 0, compressed: 0, connections: 0, continuations: 0 };
  /** The socket's own counts for the current connection (set once logged in). */
  private wire: WireCounts | undefined;
  private compressed = false;
  connectWarnings: string[] = [];

  private aborted = false;
  /** The optional operations (StoreFeatures), set by connect(): moveMessages only on a server with MOVE. */
  copyMessages?: (uids: number[], target: string) => Promise<CopyResult>;
  moveMessages?: (uids: number[], target: string) => Promise<CopyResult>;
  renameFolder?: (from: string, to: string) => Promise<void>;

  constructor(label: string, spec: ImapStoreSpec) {
    this.label = label;
    this.spec = spec;
    this.displayUrl = spec.displayUrl;
  }

  get capabilities(): ImapCapabilities {
    if (!this.caps) throw new Error(`${this.label}: capabilities read before connect()`);
    return this.caps;
  }

  get namespace(): NamespaceInfo {
    if (!this.ns) throw new Error(`${this.label}: namespace read before connect()`);
    return this.ns;
  }

  /** COPY and RENAME are IMAP4rev1; MOVE needs RFC 6851, mailbox ids OBJECTID (RFC 8474). IMAP sends CRLF, whatever the server keeps. */
  get features(): StoreFeatures {
    const { move, uidplus, objectId } = this.capabilities;
    return { copy: true, move, copyUid: uidplus, rename: true, mailboxIds: objectId, lineEnds: 'crlf' };
  }

  async connect(): Promise<void> {
    // After abort() (a signal) no new connection is made, not even by reopen().
    if (this.aborted) throw new ConnectionLostError(this.label, 'connection cut short by a signal');
    const client = asImapClient(createImapFlow(this.spec));
    const session = new ImapSession(this.label, client, `${this.spec.host}:${this.spec.port}`, timeoutOf(this.spec));
    // Before connect(): an 'error' event without a listener would kill the process.
    client.on('error', (error: unknown) => session.noteError(error));
    client.on('close', () => session.noteClose());
    this.counters = installCommandStats(client);
    installLiteralPlus(client);
    installOneCopyLiterals(client);
    const startTlsRefusal = watchStartTlsRefusal(client);
    this.session = session;
    try {
      await client.connect();
    } catch (error) {
      session.markClosing();
      client.close();
      throw connectError(this.label, this.spec, error, startTlsRefusal());
    }
    await this.setUpWire(session);
    // A big APPEND must not look like silence to the timeout while it drains.
    if (client.writeSocket) paceWrites(client.writeSocket);
    this.caps = readCapabilities(session);
    this.ns = readNamespace(session);
    this.copyMessages = (uids, target) => this.copy(uids, target);
    this.moveMessages = this.caps.move ? (uids, target) => this.move(uids, target) : undefined;
    this.renameFolder = (from, to) => this.rename(from, to);
    this.stopKeepAlive = startKeepAlive(session, this.counters, timeoutOf(this.spec));
  }

  /** --compress, then the wire's counters (and --bwlimit) around the socket, below any DEFLATE stream. */
  private async setUpWire(session: ImapSession): Promise<void> {
    const client = session.client;
    const mode = this.spec.compress ?? 'auto';
    let outcome;
    try {
      outcome = await negotiateCompression(session, mode);
    } catch (error) {
      session.markClosing();
      client.close();
      throw connectError(this.label, this.spec, error);
    }
    this.compressed = outcome === 'deflate';
    this.connectWarnings =
      outcome === 'unavailable' && mode === 'on' ? [`--compress on: ${this.displayUrl} does not offer COMPRESS=DEFLATE; running uncompressed`] : [];
    this.wire = meterClientWire(client, this.spec.bandwidth);
  }

  /** Cuts the connection at once, without LOGOUT: every pending command fails now (ConnectionLostError). */
  abort(): void {
    this.aborted = true;
    this.stopKeepAlive?.();
    this.stopKeepAlive = undefined;
    this.session?.markAborted();
    this.session?.client.close();
  }

  get usable(): boolean {
    return !this.aborted && this.session?.usable === true;
  }

  async close(): Promise<void> {
    this.stopKeepAlive?.();
    this.stopKeepAlive = undefined;
    const session = this.session;
    if (!session) return;
    const client = session.client;
    const polite = session.usable;
    session.markClosing();
    try {
      if (polite) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          client.logout(),
          new Promise((resolve) => {
            timer = setTimeout(resolve, LOGOUT_TIMEOUT_MS);
          }),
        ]).finally(() => clearTimeout(timer));
      }
    } catch {
      // a failed LOGOUT changes nothing: the connection goes either way
    } finally {
      client.close();
      this.open = undefined;
    }
  }

  stats(): ImapStoreStats {
    const bytes = this.session?.client.stats() ?? { sent: 0, received: 0 };
    // Before the wire is metered (connecting, logging in), nothing is compressed: wire = raw.
    const wire = this.wire ?? { in: bytes.received, out: bytes.sent };
    const earlier = this.retired;
    const connected = this.session ? 1 : 0;
    return {
      commands: earlier.commands + (this.counters?.commands ?? 0),
      bytesIn: earlier.bytesIn + bytes.received,
      bytesOut: earlier.bytesOut + bytes.sent,
      wireIn: earlier.wireIn + wire.in,
      wireOut: earlier.wireOut + wire.out,
      compressed: earlier.compressed + (this.compressed ? connected : 0),
      connections: earlier.connections + connected,
      continuations: earlier.continuations + (this.counters?.continuations ?? 0),
    };
  }

  /**
   * A new connection in place of one that is gone, with the open folder opened
   * again. Throws ConnectError when the server cannot be reached, and
   * ImapCommandError when the folder's UIDVALIDITY changed meanwhile (every UID
   * the caller holds would then name another message).
   */
  private async reopen(): Promise<void> {
    const open = this.open;
    this.retired = this.stats();
    await this.close();
    this.session = undefined;
    this.counters = undefined;
    this.wire = undefined;
    this.compressed = false;
    await this.connect();
    if (!open) return;
    const selected = await selectFolder(this.live, open.name, open.readOnly);
    if (selected.uidValidity !== open.uidValidity) {
      throw new ImapCommandError('SELECT', `${this.label}: UIDVALIDITY of "${open.name}" changed while reconnecting (${open.uidValidity} → ${selected.uidValidity})`, {
        store: this.label,
      });
    }
    this.open = open;
  }

  private get live(): ImapSession {
    if (!this.session) throw new Error(`${this.label}: not connected`);
    return this.session;
  }

  private get selected(): string {
    if (!this.open) throw new ImapCommandError('UID FETCH', `${this.label}: no folder is open (readFolder first)`, { store: this.label });
    return this.open.name;
  }

  listFolders(options: { status: boolean }): Promise<FolderInfo[]> {
    return listFolders(this.live, options.status, this.capabilities.condstore);
  }

  createFolder(name: string): Promise<void> {
    return createFolder(this.live, name);
  }

  async deleteFolder(name: string): Promise<void> {
    if (this.open?.name === name) {
      // Servers may refuse to delete the selected folder; leave it without expunging.
      if (await unselect(this.live)) this.open = undefined;
    }
    await deleteFolder(this.live, name);
    if (this.open?.name === name) this.open = undefined;
  }

  subscribeFolder(name: string): Promise<void> {
    return subscribeFolder(this.live, name);
  }

  /** STATUS SIZE where the server has it; otherwise EXAMINEs the folder (it becomes the open one) and sums RFC822.SIZE. */
  async folderSize(name: string): Promise<number> {
    const size = await statusSize(this.live, name);
    if (size !== undefined) return size;
    const selected = await selectFolder(this.live, name, true);
    this.open = { name, readOnly: true, uidValidity: selected.uidValidity };
    return sumMessageSizes(this.live, name, selected.exists);
  }

  async openFolder(name: string, options: { readOnly: boolean; uidValidity: bigint }): Promise<void> {
    const open = this.open;
    if (open?.name === name && open.uidValidity === options.uidValidity && (options.readOnly || !open.readOnly)) return;
    this.open = undefined;
    const selected = await selectFolder(this.live, name, options.readOnly);
    if (selected.uidValidity !== options.uidValidity) {
      throw new ImapCommandError('SELECT', `${this.label}: UIDVALIDITY of "${name}" changed since it was read (${options.uidValidity} → ${selected.uidValidity})`, {
        store: this.label,
      });
    }
    this.open = { name, readOnly: selected.readOnly, uidValidity: selected.uidValidity };
  }

  async closeFolder(): Promise<void> {
    if (this.open && (await unselect(this.live))) this.open = undefined;
  }

  async readFolder(name: string, options: ReadFolderOptions): Promise<FolderRead> {
    this.open = undefined;
    const read = await readFolder(this.live, this.capabilities, name, options);
    this.open = { name, readOnly: read.readOnly, uidValidity: read.status.uidValidity };
    return read;
  }

  fetchEnvelopes(uids: number[]): Promise<MessageEnvelope[]> {
    const folder = this.selected;
    return uids.length === 0 ? Promise.resolve([]) : fetchEnvelopes(this.live, folder, uids);
  }

  fetchHeaders(uids: number[]): Promise<Map<number, Buffer | null>> {
    const folder = this.selected;
    return uids.length === 0 ? Promise.resolve(new Map()) : fetchHeaders(this.live, folder, uids);
  }

  fetchBodies(messages: readonly BodyRequest[]): Promise<FetchedBodies> {
    const folder = this.selected;
    return fetchBodies({ session: () => this.live, reopen: () => this.reopen() }, folder, messages, { allowSizeMismatch: this.spec.allowSizeMismatch === true });
  }

  /** UID SEARCH UID <set>: asks only which messages exist, so it works where a FETCH came back empty. */
  async existingUids(uids: number[]): Promise<Set<number>> {
    const folder = this.selected;
    const wanted = new Set(uids);
    const found = new Set<number>();
    for (const set of splitUidSets(uids)) {
      for (const uid of await searchUidsIn(this.live, folder, set)) if (wanted.has(uid)) found.add(uid);
    }
    return found;
  }

  searchHeldBack(filter: MessageFilter): Promise<Set<number>> {
    return searchHeldBack(this.live, this.selected, filter);
  }

  append(folder: string, messages: AppendMessage[]): Promise<AppendResult> {
    return messages.length === 0 ? Promise.resolve({ outcomes: [] }) : appendMessages(this.live, folder, messages);
  }

  /** The open folder, for a command that changes it. */
  private writableFolder(command: string): string {
    const folder = this.selected;
    // Dovecot answers a STORE on an EXAMINEd folder with "OK Store ignored": refuse here instead.
    if (this.open?.readOnly) {
      throw new ImapCommandError(command, `${this.label}: "${folder}" is open read-only; ${command} not sent`, { store: this.label });
    }
    return folder;
  }

  async addFlags(uids: number[], flags: string[]): Promise<void> {
    await storeFlags(this.live, this.writableFolder('UID STORE'), uids, flags, true);
  }

  async removeFlags(uids: number[], flags: string[]): Promise<void> {
    await storeFlags(this.live, this.writableFolder('UID STORE'), uids, flags, false);
  }

  async expungeMessages(uids: number[]): Promise<void> {
    await expungeUids(this.live, this.writableFolder('UID EXPUNGE'), uids);
  }

  private copy(uids: number[], target: string): Promise<CopyResult> {
    const folder = this.selected;
    return uids.length === 0 ? Promise.resolve({ uids: new Map() }) : copyOrMove(this.live, 'UID COPY', folder, uids, target);
  }

  private move(uids: number[], target: string): Promise<CopyResult> {
    const folder = this.writableFolder('UID MOVE');
    return uids.length === 0 ? Promise.resolve({ uids: new Map() }) : copyOrMove(this.live, 'UID MOVE', folder, uids, target);
  }

  private async rename(from: string, to: string): Promise<void> {
    // As for DELETE: a server may refuse to rename the selected folder.
    if (this.open?.name === from && (await unselect(this.live))) this.open = undefined;
    await renameFolder(this.live, from, to);
    if (this.open?.name === from) this.open = undefined;
  }
}
