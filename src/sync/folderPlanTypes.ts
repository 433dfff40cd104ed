// The folder plan's data: what the folder planner (planFolders.ts, and
// twoWayFolders.ts for two-way's rules) is given and what it decides, carried
// out by folderSetup.ts and folderDeletion.ts.

import type { SideStatus, StateMode } from '../state/types.js';
import type { FolderStatus } from '../store/types.js';
import type { FolderPairMapping, FolderPairName, FolderSide } from './folderMap.js';
import type { Side } from './side.js';
import type { FolderPairJob, MessageFailure, SyncOptions, Withholding } from './types.js';

/** What the state knows of one folder pair (cheap: no section's records are parsed). */
export interface KnownPair extends FolderPairName {
  statusA?: SideStatus;
  statusB?: SideStatus;
  /** Some record is held (see MessageRecord.held). */
  hasHeld: boolean;
  /** Some record's copy is pending: wanted by an earlier run, never confirmed (see MessageRecord.status). */
  hasPending?: boolean;
  /** Some record is deferred, and this run's message filter is not the one the state recorded: read it again. */
  recheckDeferred?: boolean;
}

export interface FolderPlanningInput {
  options: Pick<SyncOptions, 'mode' | 'dryRun' | 'deleteFolders' | 'force' | 'full' | 'filter' | 'priority'>;
  a: FolderSide;
  b: FolderSide;
  /** Every pair the state knows. */
  known: readonly KnownPair[];
  state: { isNew: boolean; lastMode: StateMode | undefined };
  /** Pairs with appends whose result an earlier run never learnt (the journal's unresolved intents). */
  pendingAppends: readonly FolderPairName[];
  /** Two-way: the answers to the plan's `questions` (a second planning, once the engine asked the stores). */
  survivors?: readonly SurvivorAnswer[];
  /** The sides whose store can rename a folder (Store.features.rename); absent: no renames are planned. */
  canRename?: Record<Side, boolean>;
  /** The answers to the plan's `renameQuestions` (a second planning, once the engine asked the stores). */
  renameAnswers?: readonly RenameAnswer[];
  /** Pairs whose rename a store refused in this run: planned as before renames existed (create + copy). */
  refusedRenames?: readonly FolderPairName[];
}

/**
 * Two-way: a pair one side deleted whose other copy (on `side`, called `name`)
 * changed since the last run by its status alone (e.g. that run's own writes):
 * does it hold only messages the state knows were on both sides? `messages`
 * and `uidValidity` are its LIST-STATUS now.
 */
/** A pair skipped as unchanged: its names (its records can still be a server-side copy's source: unchangedSources.ts). */
export interface UnchangedPairName extends FolderPairName {
  label: string;
  /** A's message count. */
  messages: number;
}

export interface SurvivorQuestion extends FolderPairName {
  side: Side;
  name: string;
  uidValidity: bigint;
  messages: number;
}

/** The answer to a SurvivorQuestion: `onlyKnown` when every message the copy holds is one the state knows on both sides. */
export interface SurvivorAnswer extends FolderPairName {
  side: Side;
  onlyKnown: boolean;
}

/** One folder-level action on one side, with why. */
export interface FolderAction {
  side: Side;
  name: string;
  why: string;
  /**
   * Two-way deletions: the folder's status the decision was made on. Mail can
   * arrive while the run syncs other folders: a folder whose status moved by
   * the time it would be deleted stays (folderDeletion.ts).
   */
  decidedOn?: FolderStatus;
}

/** A pair the run wants, before its statuses are looked at. */
export interface WantedPair {
  mapping: FolderPairMapping;
  /** The sides that lack the folder: it is created there first. */
  missing: Side[];
  /** Two-way: why the folder is created again on the side that deleted it (the state forgets the pair first). */
  recreated?: string;
}

/** A pair this run syncs, with why it is not skipped. */
export interface PairToSync {
  mapping: FolderPairMapping;
  /** The sides whose folder is created in this run (see WantedPair). */
  missing: Side[];
  job: FolderPairJob;
  why: string;
  /** Messages one side has beyond the other (LIST-STATUS counts): a first estimate of what to copy. */
  estimate: number;
}

export interface AccountFolderPlan {
  /** Folders that get no folder of their own on the other side (failures of the run). */
  unmapped: MessageFailure[];
  /** Pairs the state forgets before anything else: gone on both sides, or created again (two-way). */
  forget: (FolderPairName & { why: string })[];
  /** Folders to create, parents before children (B's, then two-way's A's). */
  creates: FolderAction[];
  /** Folders to subscribe to (the other side subscribes to their pair), with the pair's label. */
  subscribes: (FolderAction & { label: string })[];
  /** Pairs to read, plan and sync, in priority order (--priority, INBOX, \Sent, \Drafts, the most new mail first). */
  pairs: PairToSync[];
  /** Pairs left alone because neither side's status changed, with A's message count. */
  unchanged: UnchangedPairName[];
  /** Folders one side renamed, renamed on the other side first (parents first); the rest of the plan is made as if they were done. */
  renames: FolderRename[];
  /** What the engine must ask the stores before a rename can be planned (then plan again with the answers). */
  renameQuestions: RenameQuestion[];
  /** Folders to delete after the pairs are synced, children first (mirror --delete-folders: B's; two-way: either side's). */
  deletes: FolderAction[];
  /** Two-way: what the engine must ask the stores before this plan's deletions can be decided (then plan again with the answers). */
  questions: SurvivorQuestion[];
  /** Folder deletions the guard withheld (mirror --delete-folders: all of them; two-way: a side's losses). */
  foldersWithheld: Withholding[];
  /** Mirror --delete-folders: B folders A lacks that are kept all the same, with why (for -v). */
  keptOnB: FolderAction[];
  /** The first mirror or two-way run on a state written by copy runs: every flag on B is read once. */
  rescanB: boolean;
}

/**
 * A folder one side renamed (issue 9 §4), done on the other side too: the
 * pair `pair` becomes `renamed`. `side` is where the RENAME is done (`from` →
 * `to`, names on that side; the folders below it follow).
 */
export interface FolderRename {
  side: Side;
  from: string;
  to: string;
  pair: FolderPairName;
  renamed: FolderPairName;
  why: string;
  /**
   * What takes the folder to its new name: this RENAME, its parent's RENAME
   * earlier in the plan, or an earlier run (killed between the RENAME and its
   * journal line). Only with 'rename' is a command sent; the state follows always.
   */
  by: 'rename' | 'parent' | 'earlier run';
}

/**
 * A remembered pair `side` no longer lists, and a folder `name` it lists that no
 * pair knows, with the pair's recorded UIDVALIDITY: do the record UIDs of
 * `side` hold the records' messages in `name`? (Then it is the same folder,
 * renamed.)
 */
export interface RenameQuestion extends FolderPairName {
  side: Side;
  name: string;
  uidValidity: bigint;
}

/** The answer to a RenameQuestion: `same` when no record UID holds another message and one at least holds its own (or there are none). */
export interface RenameAnswer extends FolderPairName {
  side: Side;
  name: string;
  same: boolean;
}
