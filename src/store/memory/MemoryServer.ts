// One in-memory mail account, shared by every MemoryStore connected to it (as
// two IMAP connections share a Dovecot account). Deterministic: UIDVALIDITY
// values come from a counter, mod-sequences from per-folder counters, nothing
// from the clock. Besides what the Store interface needs, tests get direct
// access: seed and change mail, change a folder's UIDVALIDITY, snapshot() and
// restore() an older copy (UIDs are then reused by new mail, as on a restored
// Dovecot), and operation hooks that fail an operation or "kill" the run
// between any two store operations.

import { StoreError } from '../../errors.js';
import type { OptionalOperation, SpecialUse } from '../types.js';
import { crlfAsStored } from '../lineEnds.js';
import { canonicalInbox, inboxFirst, reportedFlags, SYSTEM_FLAGS } from '../names.js';

export interface MemoryMessage {
  uid: number;
  /** Sorted, never \Recent. */
  flags: string[];
  internalDate: Date;
  /** What Dovecot serves for the bytes appended: their CRLF form (crlfAsStored). Never changed; shared between snapshots. */
  body: Buffer;
  /** Mod-sequence of the message's last change. */
  modseq: bigint;
}

export interface MemoryFolder {
  name: string;
  uidValidity: bigint;
  uidNext: number;
  /** Raised by every append, flag change and expunge (RFC 7162). */
  highestModseq: bigint;
  /** By UID, ascending. */
  messages: Map<number, MemoryMessage>;
  specialUse?: SpecialUse;
  /** Its MAILBOXID (RFC 8474): given at creation, kept by a rename; listed where MemoryServerOptions.mailboxIds. */
  mailboxId: string;
}

/** A message to store: raw bytes (a string is UTF-8), flags, internal date (default 2020-01-01). */
export interface MemorySeed {
  raw: Buffer | string;
  flags?: readonly string[];
  internalDate?: Date;
}

/** The store operations a hook sees, by Store method name ('appendMessage' is one message of an append). */
export type MemoryOperation =
  | 'connect' | 'listFolders' | 'createFolder' | 'deleteFolder' | 'subscribeFolder' | 'folderSize'
  | 'readFolder' | 'openFolder' | 'closeFolder' | 'fetchEnvelopes' | 'fetchHeaders' | 'fetchBodies' | 'existingUids' | 'searchHeldBack'
  | 'append' | 'appendMessage' | 'addFlags' | 'removeFlags' | 'expungeMessages'
  | 'copyMessages' | 'moveMessages' | 'renameFolder';

export interface MemoryOperationArgs {
  /** The connection's label ("A", "B"). */
  label: string;
  folder?: string;
  uids?: number[];
  flags?: string[];
  /** appendMessage: the message's place in its append. */
  index?: number;
  /** copyMessages, moveMessages, renameFolder: where to. */
  target?: string;
}

/**
 * Called around every store operation of every connection. A throw from
 * `beforeOperation` fails the operation before it changes anything (a
 * StoreError is an ordinary refusal; for 'appendMessage' it refuses only that
 * message). A throw from `afterOperation` comes after the change was made: the
 * client never learns its result (a kill after the server acted).
 */
export type MemoryHook = (op: MemoryOperation, args: MemoryOperationArgs) => void;

export interface MemoryServerOptions {
  /** Hierarchy separator; default '/'. */
  delimiter?: string | null;
  /** Personal namespace prefix; default ''. Folder names include it, as on the server. */
  namespacePrefix?: string;
  /** Mod-sequences (CONDSTORE and QRESYNC); default true. Without: reads are full scans. */
  condstore?: boolean;
  /** A listing's status has the folder's size, as on a server with STATUS=SIZE; default true. */
  statusSize?: boolean;
  /** A listing's status has the folder's MAILBOXID, as on a server with OBJECTID; default false. */
  mailboxIds?: boolean;
  /** PERMANENTFLAGS has \*; default true. Without, a keyword not yet in the folder is dropped silently. */
  allowsNewKeywords?: boolean;
  /** A message bigger than this is refused by append (like APPENDLIMIT). */
  appendLimit?: number;
  /** Folders other than INBOX to create at once, with their special use. */
  specialUse?: Record<string, SpecialUse>;
  /** First UIDVALIDITY handed out; default 1000. */
  firstUidValidity?: bigint;
  /** Optional operations to lack (all present by default), as a server without MOVE lacks it. */
  features?: Partial<Record<OptionalOperation, boolean>>;
  /**
   * Copies and moves say where each message landed (IMAP: UIDPLUS's COPYUID);
   * default true. As on IMAP, a copy of nothing (every UID gone) says nothing.
   */
  copyUid?: boolean;
}

/** An older copy of the account, for restore(). */
export interface MemorySnapshot {
  readonly folders: ReadonlyMap<string, MemoryFolder>;
  readonly subscriptions: ReadonlySet<string>;
}

const DEFAULT_DATE = new Date(Date.UTC(2020, 0, 1, 12, 0, 0));

function copyFolder(folder: MemoryFolder): MemoryFolder {
  const messages = new Map([...folder.messages].map(([uid, m]) => [uid, { ...m, flags: [...m.flags] }]));
  return { ...folder, messages };
}

export class MemoryServer {
  readonly delimiter: string | null;
  readonly namespacePrefix: string;
  readonly condstore: boolean;
  /** MemoryServerOptions.statusSize. */
  readonly statusSize: boolean;
  /** MemoryServerOptions.mailboxIds. */
  readonly mailboxIds: boolean;
  readonly allowsNewKeywords: boolean;
  readonly appendLimit: number | undefined;
  /** The optional operations this server has. */
  readonly features: Record<OptionalOperation, boolean>;
  /** Copies and moves name their new UIDs (MemoryServerOptions.copyUid). */
  readonly copyUid: boolean;
  beforeOperation: MemoryHook | undefined;
  afterOperation: MemoryHook | undefined;
  /**
   * True for a message the server leaves out of every FETCH answer (envelope
   * or body) while it still has it, as a misbehaving server does: readFolder
   * then lists it as unidentified, existingUids still finds it.
   */
  omitFromFetch: ((folder: string, uid: number) => boolean) | undefined;
  private folders = new Map<string, MemoryFolder>();
  private subscriptions = new Set<string>();
  private nextUidValidity: bigint;
  private nextMailboxId = 1;
  /** Called by dropConnections(): each connected MemoryStore's abort. */
  private readonly connections = new Set<() => void>();

  constructor(options: MemoryServerOptions = {}) {
    this.delimiter = options.delimiter === undefined ? '/' : options.delimiter;
    this.namespacePrefix = options.namespacePrefix ?? '';
    this.condstore = options.condstore ?? true;
    this.statusSize = options.statusSize ?? true;
    this.mailboxIds = options.mailboxIds ?? false;
    this.allowsNewKeywords = options.allowsNewKeywords ?? true;
    this.appendLimit = options.appendLimit;
    this.features = { copy: true, move: true, rename: true, ...options.features };
    this.copyUid = options.copyUid ?? true;
    this.nextUidValidity = options.firstUidValidity ?? 1000n;
    this.createFolder('INBOX');
    this.subscriptions.add('INBOX');
    for (const [name, use] of Object.entries(options.specialUse ?? {})) {
      this.createFolder(name, use);
      this.subscriptions.add(name);
    }
  }

  // ---- the account, as the driver and tests read it ----

  folderNames(): string[] {
    // INBOX first, as servers list it.
    return [...this.folders.keys()].sort(inboxFirst);
  }

  hasFolder(name: string): boolean {
    return this.folders.has(this.canonical(name));
  }

  /** The folder itself (live: changes show); throws StoreError when there is none. */
  folder(name: string): MemoryFolder {
    const folder = this.folders.get(this.canonical(name));
    if (!folder) throw new StoreError('folder', `folder "${name}" does not exist`);
    return folder;
  }

  /** Copies of the folder's messages, by ascending UID. */
  messages(name: string): MemoryMessage[] {
    return [...this.folder(name).messages.values()].map((m) => ({ ...m, flags: [...m.flags] }));
  }

  isSubscribed(name: string): boolean {
    return this.subscriptions.has(this.canonical(name));
  }

  /** Every flag the folder can store: system flags, keywords already used in it. */
  permanentFlags(name: string): string[] {
    const flags = new Set<string>(SYSTEM_FLAGS);
    for (const m of this.folder(name).messages.values()) for (const f of m.flags) flags.add(f);
    return [...flags].sort();
  }

  // ---- changes (used by MemoryStore, and by tests directly, without hooks) ----

  createFolder(name: string, specialUse?: SpecialUse): void {
    const key = this.canonical(name);
    if (this.folders.has(key)) throw new StoreError('folder', `folder "${name}" already exists`);
    const folder: MemoryFolder = {
      name: key, uidValidity: this.newUidValidity(), uidNext: 1, highestModseq: 1n, messages: new Map(), mailboxId: `M${this.nextMailboxId++}`,
    };
    if (specialUse) folder.specialUse = specialUse;
    this.folders.set(key, folder);
  }

  deleteFolder(name: string): void {
    if (this.canonical(name) === 'INBOX') throw new StoreError('folder', 'INBOX cannot be deleted');
    this.folder(name);
    this.folders.delete(this.canonical(name));
  }

  subscribe(name: string): void {
    this.subscriptions.add(this.canonical(name));
  }

  /** Stores the messages in order, line ends as Dovecot keeps them (crlfAsStored); returns their UIDs. */
  append(name: string, seeds: readonly MemorySeed[]): number[] {
    const folder = this.folder(name);
    const known = new Set(this.permanentFlags(name));
    return seeds.map((seed) => {
      const modseq = ++folder.highestModseq;
      const uid = folder.uidNext++;
      const flags = reportedFlags(seed.flags ?? []).filter((f) => this.allowsNewKeywords || known.has(f));
      const body = Buffer.from(crlfAsStored(typeof seed.raw === 'string' ? Buffer.from(seed.raw, 'utf8') : seed.raw));
      folder.messages.set(uid, { uid, flags, internalDate: new Date(seed.internalDate ?? DEFAULT_DATE), body, modseq });
      return uid;
    });
  }

  /** Adds then removes flags on the UIDs present; a message whose flags do not change keeps its mod-sequence. */
  setFlags(name: string, uids: readonly number[], add: readonly string[], remove: readonly string[]): void {
    const folder = this.folder(name);
    const known = new Set(this.permanentFlags(name));
    const adding = reportedFlags(add).filter((f) => this.allowsNewKeywords || known.has(f));
    const removing = new Set(remove);
    for (const uid of uids) {
      const message = folder.messages.get(uid);
      if (!message) continue;
      const flags = reportedFlags([...message.flags, ...adding]).filter((f) => !removing.has(f));
      if (flags.join(' ') === message.flags.join(' ')) continue;
      message.flags = flags;
      message.modseq = ++folder.highestModseq;
    }
  }

  /** Removes exactly these UIDs (those present), whatever their flags. */
  expunge(name: string, uids: readonly number[]): void {
    const folder = this.folder(name);
    let removed = false;
    for (const uid of uids) removed = folder.messages.delete(uid) || removed;
    if (removed) folder.highestModseq++;
  }

  /** Copies of the messages present among `uids` appended to `target` (flags, dates kept); target UID by source UID. */
  copy(name: string, uids: readonly number[], target: string): Map<number, number> {
    const present = this.messages(name).filter((m) => uids.includes(m.uid));
    const copied = this.append(target, present.map((m) => ({ raw: m.body, flags: m.flags, internalDate: m.internalDate })));
    return new Map(present.map((m, i) => [m.uid, copied[i]!]));
  }

  /** Renames the folder and those below it; UIDVALIDITY, UIDs and MAILBOXIDs stay. Subscriptions stay as they were. */
  rename(from: string, to: string): void {
    const source = this.folder(from);
    if (source.name === 'INBOX') throw new StoreError('folder', 'renaming INBOX is not supported here');
    if (this.hasFolder(to)) throw new StoreError('folder', `folder "${to}" already exists`);
    // Its name before the loop renames it: every name below is cut at its end.
    const fromName = source.name;
    const below = this.delimiter === null ? [] : [...this.folders.keys()].filter((k) => k.startsWith(fromName + this.delimiter));
    for (const old of [fromName, ...below]) {
      const folder = this.folders.get(old)!;
      this.folders.delete(old);
      folder.name = to + old.slice(fromName.length);
      this.folders.set(folder.name, folder);
    }
  }

  /**
   * A new UIDVALIDITY for the folder (as after it was rebuilt): its messages are
   * kept, numbered again from 1, with fresh mod-sequences. Returns the new value.
   */
  resetUidValidity(name: string): bigint {
    const folder = this.folder(name);
    const kept = [...folder.messages.values()];
    folder.uidValidity = this.newUidValidity();
    folder.messages = new Map();
    folder.uidNext = 1;
    for (const m of kept) {
      const uid = folder.uidNext++;
      folder.messages.set(uid, { ...m, uid, modseq: ++folder.highestModseq });
    }
    return folder.uidValidity;
  }

  /** A copy of the whole account as it is now. */
  snapshot(): MemorySnapshot {
    return { folders: new Map([...this.folders].map(([k, f]) => [k, copyFolder(f)])), subscriptions: new Set(this.subscriptions) };
  }

  /** Puts the account back as it was at `snapshot` (a restore from a backup); UIDVALIDITY values handed out later are not reused. */
  restore(snapshot: MemorySnapshot): void {
    this.folders = new Map([...snapshot.folders].map(([k, f]) => [k, copyFolder(f)]));
    this.subscriptions = new Set(snapshot.subscriptions);
  }

  /** Cuts every connected MemoryStore (their later operations fail with ConnectionLostError). */
  dropConnections(): void {
    for (const abort of [...this.connections]) abort();
  }

  /** @internal MemoryStore registers its abort here while connected. */
  attach(abort: () => void): () => void {
    this.connections.add(abort);
    return () => this.connections.delete(abort);
  }

  private newUidValidity(): bigint {
    return this.nextUidValidity++;
  }

  /** INBOX is case-insensitive; every other name is taken as it is. */
  private canonical(name: string): string {
    return canonicalInbox(name);
  }
}
