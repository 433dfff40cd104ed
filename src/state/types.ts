// The state file's data model: the base of every later decision (what was
// synced, what was deleted, which flags changed on which side).

/** The sync mode a state was last committed by (the state layer does not depend on sync). */
export type StateMode = 'copy' | 'mirror' | 'two-way';

/** One side's folder status as last read (values from SELECT/STATUS, before our own writes). */
export interface SideStatus {
  uidValidity: bigint;
  uidNext: number;
  /** Absent when the server had no mod-sequences for the folder. */
  highestModseq?: bigint;
  messages: number;
  /**
   * The folder's STATUS SIZE, when the listing had it and its counters were
   * those of the read (a restore that gave back every other counter shows here).
   */
  size?: number;
  /**
   * The folder's MAILBOXID (RFC 8474) when the listing gave one for the
   * folder the read saw: a folder found under another name with it was
   * renamed, one under this name with another was deleted and created again.
   */
  mailboxId?: string;
}

/**
 * One message known to the state. uidA / uidB are 0 when the message is not
 * (known to be) on that side: a pair has both, a B-only message has uidA 0.
 * `flags` are the flags as last synced (sorted, no \Recent): the merge base.
 * Flag arrays loaded from disk are shared between records with the same set:
 * treat them as read-only and replace, never mutate.
 */
export interface MessageRecord {
  uidA: number;
  uidB: number;
  gid: string;
  flags: readonly string[];
  /**
   * Only on a one-sided record: the side whose UID is 0 lost this message when
   * it went back in time (restored from a backup), so the copy on the other
   * side is not deleted because of it (mirror withholds it, exit 5) until that
   * side has the message again (it pairs, and the mark goes) or --force.
   * 'unknown': the same for a message whose record was lost with a damaged
   * state section (so whether A lost it cannot be told).
   */
  held?: HeldKind;
  /**
   * Only on a one-sided record (format 2): whether its copy to the other side
   * is done. Absent means 'synced' (and costs no bytes on disk); apply() drops
   * an explicit 'synced'. 'pending': the copy is wanted but not confirmed yet
   * (e.g. an append that failed or whose result is unknown). 'deferred': known,
   * deliberately not copied yet (e.g. a body left for later).
   */
  status?: RecordStatus;
  /**
   * Its global id certainly hashes a Message-ID (the message had one when the
   * id was made): no version of it, on either side, has an id that hashes a
   * size, so such an id read at one of its UIDs is another message (see
   * knownIdentity.ts). Absent: not known (older states, ids never read).
   */
  byMessageId?: true;
  /**
   * Format 2, `%size:<n>`: the size (CRLF form) of the message whose bytes
   * made `gid`. On a deferred record (the message on the side that has it), so
   * `replimap status` can add up what is held back without connecting; and on
   * a record whose gid hashes that size (no Message-ID), so that a message
   * read at one of its UIDs can be compared by headers alone (knownIdentity.ts).
   * Absent when the run did not read it, and on records written before.
   * A stand-in's record carries it too (the original's size, its gid's).
   */
  size?: number;
  /**
   * Format 2, `%stand-in:<side>`: the message on that side is replimap's
   * stand-in for the message on the other side, which the size filter holds
   * back (--placeholders). The stand-in's global id is not `gid` (the
   * original's) but standInGid(gid) (src/sync/standIn.ts). A record whose
   * other side is 0 names a stand-in whose original was replaced by the real
   * message (an orphan; or its original's UIDs were voided: a new UIDVALIDITY,
   * and it pairs again with its original, unrecorded now): the stand-in is to
   * be expunged; or, when `gid` is standInGid itself, a stand-in kept alone,
   * its original no longer known (gone from its side where the mode keeps the
   * stand-in): never copied as mail, never given a stand-in. On a
   * deferred record (whose UID on that side is 0): a stand-in is being made
   * there; a run killed after its APPEND finds it by standInGid.
   */
  standIn?: 'a' | 'b';
  /** With standIn: the stand-in's own global id (written in its token: `%stand-in:b:<gid>`). */
  standInGid?: string;
}

/** Why a one-sided record's message is not deleted from the other side (see MessageRecord.held). */
export type HeldKind = 'rollback' | 'unknown';

/** Where a record's copy to the other side stands (see MessageRecord.status). */
export type RecordStatus = 'synced' | 'pending' | 'deferred';

/** A folder pair as the state knows it. */
export interface FolderRecordHeader {
  nameA: string;
  nameB: string;
  statusA?: SideStatus;
  statusB?: SideStatus;
  /**
   * The section was damaged and discarded, and no sync of the folder has
   * completed since: its records may lack held marks (see FolderState.discarded).
   * Written as a `discarded` line, so a commit before that sync keeps it.
   */
  discarded?: boolean;
}

/**
 * A single change to the state. Every mutation goes through one of these: it
 * is appended to the journal first (so a crash loses nothing that the server
 * already did) and applied to memory. Replaying a journal applies them again;
 * each op is idempotent.
 */
export type StateOp =
  /** Declare (or re-declare) a folder pair. */
  | { op: 'folder'; nameA: string; nameB: string }
  /** Forget a folder pair (its folder was deleted on purpose). */
  | { op: 'drop-folder'; nameA: string; nameB: string }
  /** Record one side's status after a folder was fully processed. */
  | { op: 'status'; nameA: string; nameB: string; side: 'a' | 'b'; status: SideStatus }
  /** Add a record, or replace the one with the same (uidA, uidB). */
  | { op: 'put'; nameA: string; nameB: string; record: MessageRecord }
  /** Remove the record with this (uidA, uidB). */
  | { op: 'del'; nameA: string; nameB: string; uidA: number; uidB: number }
  /**
   * Replace all records of a folder (used when a folder is rebuilt, e.g. after a
   * UIDVALIDITY change, where a diff would be longer than the result).
   */
  | { op: 'reset'; nameA: string; nameB: string; records: MessageRecord[] }
  /**
   * About to write a copy of the message `uid` of side `side` (global id `gid`)
   * to the other side. Informational: on the next start, intents without a
   * 'put' (or 'reset') of a record holding that uid on that side, and not
   * pending or deferred, tell which folders may hold a write whose result is
   * unknown. A commit drops them.
   */
  | { op: 'intent'; nameA: string; nameB: string; side: 'a' | 'b'; uid: number; gid: string }
  /**
   * The folder pair (fromA, fromB) is now called (toA, toB): its records,
   * statuses and intents move with it. A no-op when the source pair is absent
   * (the rename already happened, or the pair was never known); apply()
   * refuses a rename onto a pair the state already has.
   */
  | { op: 'rename-folder'; fromA: string; fromB: string; toA: string; toB: string };

/** The ops that are about one folder pair, named by nameA and nameB (every op but rename-folder). */
export type PairOp = Exclude<StateOp, { op: 'rename-folder' }>;

/** One folder pair of the state, as the sync layer reads it (FolderEntry implements it). */
export interface FolderState {
  readonly nameA: string;
  readonly nameB: string;
  readonly statusA?: SideStatus;
  readonly statusB?: SideStatus;
  /**
   * Parsed on the first call only, then cached until the folder changes. In no
   * particular order. Records and their flag arrays are shared: do not mutate.
   * A damaged section is discarded on that first call, statuses included
   * (with a warning, see FolderEntry): call it before trusting the statuses.
   */
  records(): readonly MessageRecord[];
  /**
   * The records whose gid is in `gids`; on a section not parsed yet, only
   * their lines are parsed and the section stays unparsed (nothing cached).
   */
  recordsWithGids(gids: ReadonlySet<string>): MessageRecord[];
  /** Ascending, non-zero. */
  knownUids(side: 'a' | 'b'): number[];
  /** Some record is marked held (see MessageRecord.held); cheap on an unparsed section. */
  hasHeldRecords(): boolean;
  /** Some record's copy is pending or deferred, or it names a stand-in (see MessageRecord.status, standIn); cheap on an unparsed section. */
  hasUnsyncedRecords(): boolean;
  /** Some record's copy is pending (not deferred); cheap on an unparsed section. */
  hasPendingRecords(): boolean;
  /**
   * The section was found damaged since the state was opened and discarded, held marks and all
   * (known after records()): B may hold messages A lost, which no record names any more.
   */
  readonly discarded: boolean;
}
