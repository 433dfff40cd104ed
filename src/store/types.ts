// The one interface every store kind implements (IMAP now, Maildir later), in
// the spirit of mbsync's driver.h. The sync engine talks only to this; how a
// driver reads changes (QRESYNC, CONDSTORE, full scan, a directory walk) is
// its own business, and what it can do beyond the basics is in `features`.
//
// Line ends: every body crosses this interface in its CRLF form (as IMAP
// sends it) and every size is that form's length (envelopes, fetchBodies
// requests, folderSize), whatever the store keeps on disk; a driver that keeps
// LF (features.lineEnds 'lf', a Maildir) converts at its edge (lineEnds.ts).
// Bodies given to append are in CRLF form too; a store may normalise what is
// not (Dovecot serves bare LFs as CRLF and "\r\r\n" as "\r\n", and sizes
// that), so only a CRLF body is sure to come back byte for byte.

import type { LineEnds } from './lineEnds.js';
import type { MessageFilter } from './messageFilter.js';

export type SpecialUse = '\\All' | '\\Archive' | '\\Drafts' | '\\Flagged' | '\\Junk' | '\\Sent' | '\\Trash';

/** What a folder looks like from outside, as LIST-STATUS / STATUS / SELECT report it. */
export interface FolderStatus {
  uidValidity: bigint;
  uidNext: number;
  /** Absent when the server or folder has no mod-sequences (no CONDSTORE, or NOMODSEQ). */
  highestModseq?: bigint;
  messages: number;
  /**
   * Bytes of the folder's messages (STATUS SIZE, RFC 8438): only a listing's
   * status has it, where the server has STATUS=SIZE (SELECT gives none).
   */
  size?: number;
  /**
   * The folder's MAILBOXID (RFC 8474 OBJECTID): the server's name for the
   * folder itself, kept by RENAME, new for a folder deleted and created again.
   * Only a listing's status has it, where the store gives ids (features.mailboxIds).
   */
  mailboxId?: string;
}

export interface FolderInfo {
  /** Full name as the server has it, decoded to UTF-8 (e.g. "INBOX.Sent", "Archive/2020", "Entwürfe"). */
  name: string;
  /** Hierarchy separator of this folder; null for a flat namespace. */
  delimiter: string | null;
  specialUse?: SpecialUse;
  subscribed: boolean;
  /** False for \Noselect / \NonExistent placeholders. */
  selectable: boolean;
  /** Present for selectable folders when listFolders was asked for status, unless the server gave none for it. */
  status?: FolderStatus;
}

export interface NamespaceInfo {
  /** Personal namespace prefix, e.g. "" or "INBOX." */
  prefix: string;
  delimiter: string | null;
}

/** Flags never include \Recent (it is session state, not message state). */
export interface MessageState {
  uid: number;
  flags: string[];
}

export interface MessageEnvelope extends MessageState {
  /** Bytes of the body's CRLF form (RFC822.SIZE), what fetchBodies returns for it. */
  size: number;
  internalDate: Date;
  /**
   * The raw header lines of Message-ID, Date, From and Subject as the server
   * returned them (BODY.PEEK[HEADER.FIELDS (...)]); empty when none are present.
   * The sync layer turns them into the global id.
   */
  identityHeaders: string;
}

/** What the caller already knows of one side of a folder (from the state file). */
export interface ReadBase {
  uidValidity: bigint;
  uidNext: number;
  highestModseq?: bigint;
  /** Every UID the state knows on this side, ascending. */
  knownUids: number[];
}

export interface ReadFolderOptions {
  /** EXAMINE instead of SELECT: nothing can change, \Recent is left alone. */
  readOnly: boolean;
  /** null: no usable state, read everything. */
  base: ReadBase | null;
  /** Fetch envelopes of every message, not only unknown ones (to verify identities). */
  verify: boolean;
  /**
   * Fetch no envelope at all: only the status, the changed rows' flags and what
   * vanished (a caller comparing flags with its own records, see twoWayOwnWrites.ts).
   */
  flagsOnly?: boolean;
}

/** Which flags the open folder can store permanently. */
export interface PermanentFlags {
  flags: string[];
  /** \* was advertised: any new keyword can be created. */
  allowsNewKeywords: boolean;
}

/**
 * The result of opening a folder and reading what changed.
 * - kind 'full': `messages` lists every message present now (base was null,
 *   UIDVALIDITY changed, or the server cannot tell changes), except those the
 *   server left out of the listing (`unread`, `unidentified`); `vanished` is
 *   base.knownUids minus those present.
 * - kind 'delta': `messages` lists only messages whose flags changed or that
 *   are new since base.highestModseq; `vanished` lists known UIDs now gone.
 * In both kinds `envelopes` holds every present message whose UID is not in
 * base.knownUids (all of them when base was null, UIDVALIDITY changed, or
 * `verify` was asked). So that the caller can check known UIDs still hold the
 * messages it knows (a server restored from a backup gives the UIDs it lost
 * to new mail), a read that fetches envelopes of new messages, or whose delta
 * reports known ones changed, also returns the envelopes of those changed
 * known UIDs and of the highest known UID still present, in the same FETCH.
 */
export interface FolderRead {
  /** As reported by SELECT/EXAMINE before anything of ours changed the folder. */
  status: FolderStatus;
  /** True when base.uidValidity no longer matches: every known UID is void. */
  uidValidityChanged: boolean;
  permanentFlags: PermanentFlags;
  readOnly: boolean;
  kind: 'full' | 'delta';
  messages: MessageState[];
  vanished: number[];
  envelopes: MessageEnvelope[];
  /**
   * Present UIDs that should have had an envelope but the server returned none
   * for (or, in a read without base, no row at all: UIDs the caller may know
   * of, when it asked for no base to verify every identity): they cannot be
   * identified, and are in neither `messages` nor `envelopes`. The caller must
   * come back to them.
   */
  unidentified: number[];
  /** Why some UIDs of `unidentified` got no envelope: their row came incomplete or garbled (e.g. "no usable INTERNALDATE"). */
  incompleteRows?: Map<number, string>;
  /**
   * Known UIDs (base.knownUids) that a full listing returned no row for although
   * the server still holds them (UID SEARCH, asked only when the listing had
   * fewer rows than the folder has messages): their flags are unknown. Neither
   * in `messages` nor in `vanished`. The caller must keep what it knows of them
   * and come back to them.
   */
  unread: number[];
}

/** A message whose body is wanted, with the size (RFC822.SIZE, CRLF form) its envelope announced. */
export interface BodyRequest {
  uid: number;
  size: number;
}

/** What fetchBodies read. */
export interface FetchedBodies {
  /** Byte-exact bodies (CRLF form) by UID; a UID the server returned nothing for is in neither map. */
  bodies: Map<number, Buffer>;
  /** Messages whose body the driver refused (far larger or shorter than announced, the server said NO or closed the connection), with why. */
  refused: Map<number, string>;
  /** Bodies kept although shorter than announced (the store allows size mismatches), with what to warn about. */
  sizeMismatches?: Map<number, string>;
}

export interface AppendMessage {
  /** In CRLF form; a store may normalise other line ends (see the top of this file). */
  body: Buffer;
  flags: readonly string[];
  internalDate: Date;
}

export type AppendOutcome =
  | { ok: true; uid?: number }
  | { ok: false; error: Error };

export interface AppendResult {
  /** UIDVALIDITY from APPENDUID, when the server reports it. */
  uidValidity?: bigint;
  /** One per message, in order. `uid` absent when the server lacks UIDPLUS. */
  outcomes: AppendOutcome[];
}

/**
 * Operations a driver may lack, and how it keeps line ends (valid after
 * connect()). An operation is there exactly when its feature is true: a
 * driver, or a server (IMAP without MOVE), that lacks one leaves its method
 * undefined. The sync layer falls back (append + expunge, create + copy)
 * where one is missing.
 */
export interface StoreFeatures {
  /** copyMessages: a server-side copy into another folder (IMAP: UID COPY). */
  copy: boolean;
  /** moveMessages: a server-side move into another folder (IMAP: UID MOVE, RFC 6851). */
  move: boolean;
  /**
   * copyMessages and moveMessages name the new UID of every message they
   * copied (IMAP: UIDPLUS's COPYUID): an answer without them copied nothing.
   * Without, their CopyResult names none, and the copies are found by reading the target.
   */
  copyUid: boolean;
  /** renameFolder (IMAP: RENAME). */
  rename: boolean;
  /** listFolders gives each folder's status a mailboxId (IMAP: OBJECTID, RFC 8474). */
  mailboxIds: boolean;
  /**
   * How the store keeps line ends: 'crlf' as given (IMAP: whatever the server
   * does, CRLF is all the driver sees), 'lf' converted at the driver's edge.
   * Bodies and sizes cross the interface in CRLF form either way.
   */
  lineEnds: LineEnds;
}

/** The optional operations (StoreFeatures flags named after them). */
export type OptionalOperation = 'copy' | 'move' | 'rename';

/** Where copied or moved messages landed. */
export interface CopyResult {
  /** UIDVALIDITY of the target folder, when the server reports it (COPYUID). */
  uidValidity?: bigint;
  /** Target UID by source UID; empty when the server does not tell (no UIDPLUS). */
  uids: Map<number, number>;
}

export interface StoreStats {
  /** IMAP commands sent (every tagged command, LOGIN and LOGOUT included). */
  commands: number;
  /** Bytes received and sent, uncompressed (as the IMAP protocol reads them). */
  bytesIn: number;
  bytesOut: number;
  /** Bytes on the wire: what the socket moved (less than bytesIn/bytesOut under COMPRESS). */
  wireIn: number;
  wireOut: number;
  /** Connections that ran with COMPRESS=DEFLATE, of all connections made. */
  compressed: number;
  connections: number;
}

export interface Store {
  /** "A" or "B": used in every message about this store. */
  readonly label: string;
  /** The store URL without any password, for messages. */
  readonly displayUrl: string;
  /** Valid after connect(). */
  readonly namespace: NamespaceInfo;
  /** Valid after connect(): which optional operations work, how line ends are kept. */
  readonly features: StoreFeatures;

  /**
   * Connected, and not known to be lost (no command needed to tell: a
   * connection the server closed, or that a keep-alive found dead, is not).
   */
  readonly usable: boolean;
  /** What the last connect() found the user should know (--compress on, but no COMPRESS); the engine reports the first connections'. */
  readonly connectWarnings?: readonly string[];
  /** Connect and authenticate. Throws ConnectError (exit 3) on any failure. */
  connect(): Promise<void>;
  /** Log out politely; never throws. */
  close(): Promise<void>;
  /**
   * Drop the connection now, without a word to the server (a signal must act
   * whatever the network does): pending and later commands fail with
   * ConnectionLostError, a pending connect() with ConnectError. Never throws.
   */
  abort(): void;
  stats(): StoreStats;

  /** All folders, with special-use and subscription; with status when asked (one LIST-STATUS where possible). */
  listFolders(options: { status: boolean }): Promise<FolderInfo[]>;
  /** A folder that already exists is not an error (parents are the caller's business). */
  createFolder(name: string): Promise<void>;
  /** A folder that is already gone is not an error. */
  deleteFolder(name: string): Promise<void>;
  subscribeFolder(name: string): Promise<void>;
  /** Total size in bytes (CRLF forms) of the messages of a folder (for `replimap list`). */
  folderSize(name: string): Promise<number>;

  /** Open a folder (selecting it) and read what changed since `base`. */
  readFolder(name: string, options: ReadFolderOptions): Promise<FolderRead>;
  /**
   * Open again a folder read earlier in the run (the account's plan is made
   * between reading and acting), so the UIDs of that read still name the same
   * messages: throws a folder-scoped StoreError when its UIDVALIDITY is no
   * longer `uidValidity`. Costs nothing when the folder is open already in a
   * mode that allows it (read-write allows reading).
   */
  openFolder(name: string, options: { readOnly: boolean; uidValidity: bigint }): Promise<void>;
  /**
   * Leave the open folder without expunging anything, so that this connection
   * holds no folder while others write to it (a server may then count our own
   * appends as someone else's change: Dovecot gives their \Recent to the
   * connection holding the folder, which moves its HIGHESTMODSEQ). Without a
   * way to do so (IMAP without UNSELECT) the folder stays open; never throws a StoreError for that.
   */
  closeFolder(): Promise<void>;
  /**
   * Envelopes of messages in the open folder. A UID the server returned nothing
   * for is left out: gone, or a server that failed to answer (existingUids tells which).
   */
  fetchEnvelopes(uids: number[]): Promise<MessageEnvelope[]>;
  /**
   * The raw headers of messages in the open folder, without their bodies
   * (IMAP: BODY.PEEK[HEADER]): the bytes up to and including the empty line
   * that ends the header (a message without one: all of it), CRLF form,
   * folded lines as they are. null for a header longer than MAX_HEADER_BYTES
   * (readRules.ts), of which no more than one byte past that is read. Left out as in fetchEnvelopes.
   */
  fetchHeaders(uids: number[]): Promise<Map<number, Buffer | null>>;
  /**
   * Full bodies (byte-exact) of messages in the open folder; left out as in fetchEnvelopes.
   * A body far larger than its announced size is refused, never buffered whole.
   * A message whose body FETCH, asked alone, costs the connection is refused
   * (the driver reads the rest on a new connection); only a server that keeps
   * dropping it (MAX_LOST_CONNECTIONS_PER_FETCH, readRules.ts) makes this throw.
   */
  fetchBodies(messages: readonly BodyRequest[]): Promise<FetchedBodies>;
  /** Which of these UIDs the open folder holds now (a cheap command, not a FETCH of their data). */
  existingUids(uids: number[]): Promise<Set<number>>;
  /**
   * The UIDs of the open folder that `filter` holds back (see messageFilter.ts),
   * asked of the server (IMAP: one UID SEARCH), not read from envelopes.
   */
  searchHeldBack(filter: MessageFilter): Promise<Set<number>>;
  /** Append messages to a folder (need not be open), in as few commands as the server allows. */
  append(folder: string, messages: AppendMessage[]): Promise<AppendResult>;
  /** Add / remove flags on messages of the open folder (UID sets, silent). Throws StoreError (ImapCommandError for IMAP) on a refusal. */
  addFlags(uids: number[], flags: string[]): Promise<void>;
  removeFlags(uids: number[], flags: string[]): Promise<void>;
  /**
   * Remove exactly these messages from the open folder (\Deleted, then UID EXPUNGE,
   * never a plain EXPUNGE). Throws StoreError when the server cannot do that.
   */
  expungeMessages(uids: number[]): Promise<void>;

  /** Optional (features.copy; undefined without it): copy messages of the open folder into `target`, flags and dates kept. */
  copyMessages?(uids: number[], target: string): Promise<CopyResult>;
  /** Optional (features.move; undefined without it): move messages of the open folder into `target`; they leave the open folder. */
  moveMessages?(uids: number[], target: string): Promise<CopyResult>;
  /** Optional (features.rename; undefined without it): rename a folder (with the folders below it), its messages and UIDs kept. */
  renameFolder?(from: string, to: string): Promise<void>;
}
