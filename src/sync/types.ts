// Data that flows through one sync run: the job the CLI hands over, what the
// engine reports while it works, and the summary it returns.

import type { MessageFilter } from '../store/messageFilter.js';
import type { StoreSpec } from '../store/spec.js';
import type { FolderStatus, SpecialUse, StoreStats } from '../store/types.js';
import type { BucketReport } from '../store/tokenBucket.js';

export type SyncMode = 'copy' | 'mirror' | 'two-way';

export interface FolderFilter {
  /** Globs on folder names as `replimap list` shows them (A's names). Empty: all. */
  include: string[];
  exclude: string[];
}

export interface SyncOptions {
  mode: SyncMode;
  dryRun: boolean;
  filter: FolderFilter;
  /** Mirror: delete folders on B that A does not have. */
  deleteFolders: boolean;
  /** Mirror: delete even beyond the guard's limits (see mirrorGuard.ts). */
  force: boolean;
  /** Ignore the skip shortcuts: re-read every folder and verify every pair's global id. */
  full: boolean;
  /** Folder pairs synced at once, each on its own pair of connections (1 = one connection per store). */
  connections: number;
  /** How often a long run commits its state (default 60 s). */
  commitIntervalMs?: number;
  /** --max-size, --min-size, --since, --before: what is held back (deferred) in this run. Absent: nothing. */
  messageFilter?: MessageFilter;
  /**
   * --placeholders: a message the size bounds of messageFilter hold back gets
   * a stand-in on the other side (see standIn.ts, planStandIns.ts).
   */
  placeholders?: boolean;
  /** --priority: globs (as --include) of folders read and acted on first, in this order (see folderOrder.ts). */
  priority?: string[];
  /** --max-time: the act phase starts no new batch after this many ms from the run's start (see timeBudget.ts). */
  maxTimeMs?: number;
}

/** Exact work found in one folder pair once it has been read and planned. */
export interface PlannedWork {
  appends: number;
  appendBytes: number;
  flagUpdates: number;
  expunges: number;
}

/** What a run did (or would do) to one side: copies to it, flag changes and expunges on it. */
export interface SideWork {
  copied: number;
  bytes: number;
  flagsUpdated: number;
  expunged: number;
}

export interface MessageFailure {
  folder: string;
  /** UID on the side the message came from (A for appends). */
  uid: number;
  side: 'A' | 'B';
  reason: string;
}

export interface FolderResult {
  /** A's folder name (B's in parentheses when it differs). */
  folder: string;
  skipped: boolean;
  copied: number;
  bytes: number;
  /** Messages moved or copied by the server from another folder of the same side (no body sent). */
  transferred: number;
  flagsUpdated: number;
  expunged: number;
  failed: number;
  /** The same counts per side acted on (copies by the side they went to). */
  bySide?: { a: SideWork; b: SideWork };
  /** Messages found at reused UIDs given a new UID in their folder (a dry run: to be given one). Absent when none. */
  reassigned?: ReassignedUid[];
  /** Messages the message filter held back (deferred, not copied), and their bytes. Absent when none. */
  deferred?: number;
  deferredBytes?: number;
}

/** A message found at a UID that named another message before, given a new UID in its folder (issue 8 §2). */
export interface ReassignedUid {
  side: 'A' | 'B';
  uid: number;
  /** Absent in a dry run, or when the server did not tell (no UIDPLUS). */
  newUid?: number;
}

/**
 * Everything the engine tells the outside while it works. The CLI turns it
 * into spinners and progress bars, plain log lines, or nothing (quiet/JSON).
 */
export interface SyncObserver {
  /** A step with no measurable progress (connecting, listing folders). */
  phase(text: string): void;
  /** Folder pairs to look at, and a first estimate of messages/bytes to copy (from STATUS counts). */
  started(estimate: { folders: number; messages: number; bytes: number }): void;
  /** A folder pair was read and planned: exact work for it (replaces its share of the estimate). */
  folderPlanned(folder: string, work: PlannedWork): void;
  /** Messages copied (and their bytes) since the last call for this folder. */
  progress(folder: string, messages: number, bytes: number): void;
  folderFinished(result: FolderResult): void;
  /** Dry run: one line per action that would be taken. */
  wouldDo(text: string): void;
  warning(text: string): void;
  failure(failure: MessageFailure): void;
  /** Detail for -v. */
  verbose(text: string): void;
}

/**
 * Mirror: deletions the guard did not do in this run (one run never deletes
 * more than half of a folder on B, or of B's folders, without --force).
 */
export interface Withholding {
  what: 'messages' | 'folders';
  /** Two-way: the side the deletions were withheld on, set when it is A (absent: B). */
  side?: 'A' | 'B';
  /** The folder whose messages are withheld (messages only). */
  folder?: string;
  /** Deletions withheld. */
  count: number;
  /** What B (or `side`) holds now: messages in that folder, or folders (two-way's folder guard: the folders the state remembers). */
  heldOnB: number;
  /** One sentence: how many, of how many, why, and what to do. */
  reason: string;
}

export interface SyncSummary {
  mode: SyncMode;
  dryRun: boolean;
  folders: number;
  foldersSkipped: number;
  foldersCreated: number;
  copied: number;
  bytes: number;
  /** Messages moved or copied by the server from another folder of the same side (their bytes are 0: none sent). */
  transferred: number;
  flagsUpdated: number;
  expunged: number;
  foldersDeleted: number;
  /** Folders renamed on one side because the other renamed them (issue 9 §4; with those moved along with a parent). */
  foldersRenamed?: number;
  /** The counts above per side acted on (copies by the side they went to): two-way acts on both. */
  bySide?: { a: SideWork; b: SideWork };
  /** A messages left alone because B already has them. */
  skipped: number;
  /**
   * Messages the message filter (--max-size, --since…) held back in the folders
   * read by this run (deferred: a later run with a looser filter copies them),
   * and their bytes. `replimap status` counts every folder's.
   */
  deferred: number;
  deferredBytes: number;
  /** Mirror: message deletions the safety guard withheld (exit code 5; --force overrides). */
  deletionsWithheld: number;
  /** Mirror: every withholding of the guard (messages of a folder, or folders), with its reason. */
  withheld: Withholding[];
  /**
   * Folder sides found restored from an older backup (counters went down, or a
   * known UID now holds another message): read in full, what the side lost
   * copied again (B) or not deleted from B in that run (A).
   */
  rollbacks: { folder: string; side: 'A' | 'B' }[];
  /** Messages found at reused UIDs given a new UID, by folder (see ReassignedUid). */
  reassigned?: (ReassignedUid & { folder: string })[];
  failed: MessageFailure[];
  warnings: string[];
  /** --max-time: what the spent budget left for the next run (absent when it left nothing). */
  left?: SyncLeft;
  elapsedMs: number;
  /** Per store; `bandwidth`: --bwlimit's accounting (every wire byte of the run went through it). */
  stats: { a: StoreStats; b: StoreStats; bandwidth?: BucketReport };
}

/** Work a spent --max-time budget kept from starting: the next run does it (see timeBudget.ts). */
export interface SyncLeft {
  /**
   * Copies not made (server-side transfers included), and stand-ins not made (--placeholders):
   * those of chunks not started, and all of a pair whose copies the budget cut (they come after its copies).
   */
  messages: number;
  /** Their bytes (a transfer's or a stand-in's: 0, no body is sent). */
  bytes: number;
  /** Folder pairs with any of this work left. */
  folders: number;
  /** Message deletions not made. */
  deletions: number;
  /** Folder deletions not made. */
  folderDeletions: number;
}

/** What the CLI hands to the engine. */
export interface SyncJob {
  a: StoreSpec;
  b: StoreSpec;
  /** The state file (its journal and lock live next to it). */
  statePath: string;
  options: SyncOptions;
}

/** One folder pair to sync in this run. */
export interface FolderPairJob {
  nameA: string;
  nameB: string;
  /** A's name, with B's in parentheses when it differs. */
  label: string;
  /** The sides whose folder does not exist (only in a dry run: otherwise it was created). */
  missingOn: readonly ('a' | 'b')[];
  /** Dry run: a side's folder still has its old name (a rename only described), read under that name. */
  readAs?: Partial<Record<'a' | 'b', string>>;
  /**
   * Read every flag on B, not only the changes: the state's merge base holds
   * A's flags, and B may have kept flags of its own under copy mode, which a
   * first mirror run must see to undo.
   */
  rescanB: boolean;
  /** Mirror: why none of this pair's deletions may happen in this run (the account-wide count); --force overrides. */
  withholdAll?: string;
  /** The account-wide count behind withholdAll, which the account's plan counts again without the messages that moved. */
  accountLoss?: AccountLoss;
  /** A's special-use attribute (the act phase's priority order: see folderOrder.ts). */
  specialUse?: SpecialUse;
  /**
   * The sides' statuses as the listing gave them, where one has a SIZE (which
   * SELECT does not give): the read's status takes it when its counters match
   * (folderStatus.ts withListedSize), to be compared and recorded.
   */
  listed?: Partial<Record<'a' | 'b', FolderStatus>>;
}

/**
 * The account-wide count that withheld a folder's deletions (accountWithholding):
 * `side` lacks `lacking` of the `remembered` messages, `dropped` of them in this
 * folder. A message that moved to another folder of the account is no loss: the
 * account's plan subtracts those it moves (guardMoves.ts).
 */
export interface AccountLoss {
  side: 'a' | 'b';
  remembered: number;
  lacking: number;
  dropped: number;
}
