// Input and output of the pure folder planner (planFolder). Everything the
// planner needs arrives here as data; it does no I/O.

import type { HeldKind, MessageRecord } from '../state/types.js';
import type { IdentityFields } from './identity.js';
import type { Side } from './side.js';
import type { SyncMode } from './types.js';

/** A held record whose side holding the message lost its UID (see FolderPlanInput.heldWithoutUid). */
export interface HeldWithoutUid {
  side: Side;
  gid: string;
  held: HeldKind;
}

/** One message present on a side right now. */
export interface SnapshotMessage {
  flags: readonly string[];
  /**
   * Global id read from the server now. Always present for messages the state
   * does not know; present for known ones only when they were verified. When
   * present for a known UID and different from the record's gid, the UID was
   * reused for another message and the record is not trusted.
   */
  gid?: string;
  /**
   * The gid hashes the size (no Message-ID): another server may hold the same
   * message under another gid, so a difference from the record's gid is proof
   * only where the record's gid came from this side (see knownIdentity.ts).
   */
  sizedGid?: true;
  /**
   * With sizedGid: the identity fields read, so that a known UID's message can
   * be compared with its record by headers alone (knownIdentity.ts).
   */
  fields?: IdentityFields;
  /**
   * Read from its envelope: its Message-ID says it is replimap's stand-in for
   * the message of this gid (EnvelopeIdentity.standInOf). The planner heeds it
   * only for a message the state does not know (a lost record): never copied.
   */
  standInOf?: string;
  /** Size in bytes, when an envelope was read (needed for appends). */
  size?: number;
  /**
   * A known message the server still has but left out of its listing: its
   * flags here are the record's, not read. Its record is kept as it is.
   */
  unread?: true;
}

/** Every message present on one side of a folder now, by UID. */
export type SideSnapshot = ReadonlyMap<number, SnapshotMessage>;

/** Which flags one side's folder can store (from its PERMANENTFLAGS). */
export interface FlagAcceptance {
  /** System flags and keywords listed in PERMANENTFLAGS. */
  flags: readonly string[];
  /** \* was listed: any keyword can be created. */
  allowsNewKeywords: boolean;
}

/** SHA-256 digests of message bodies, per side, by UID (see bodyDigests.ts). */
export interface BodyDigests {
  a: ReadonlyMap<number, string>;
  b: ReadonlyMap<number, string>;
}

export interface FolderPlanInput {
  mode: SyncMode;
  /** The state's records for this folder pair (after UIDVALIDITY voiding, see voidSide). */
  records: readonly MessageRecord[];
  a: SideSnapshot;
  b: SideSnapshot;
  /** Which flags each side's folder can store (a flag a side cannot store is never a difference there). */
  accepts: { a: FlagAcceptance; b: FlagAcceptance };
  /** Mirror and two-way: expunges are allowed (the guard passed or --force). */
  allowExpunge: boolean;
  /**
   * UIDs each side holds but gave no identity for (FolderRead.unidentified).
   * Those no record names may be anything, so while A has any, mirror
   * deletes nothing from B in this folder (they are listed as failures).
   */
  unidentified?: { a: readonly number[]; b: readonly number[] };
  /**
   * Sides that went back in time in this run (restored from an older backup,
   * see rollback.ts). A record that loses its message on such a side is
   * marked held: the other side's copy is not deleted because of it (see
   * MessageRecord.held).
   */
  wentBack?: readonly Side[];
  /**
   * How each side can give a message a new UID in its own folder (UID MOVE, or
   * UID COPY then UID EXPUNGE of the old UID); a side absent here cannot, and a
   * message found at a reused UID there keeps it (warned).
   */
  reassignWith?: Partial<Record<Side, ReassignHow>>;
  /** Mirror, with allowExpunge: held B messages are expunged too (--force). */
  expungeHeld?: boolean;
  /**
   * Held records whose UIDs were voided before planning (a new UIDVALIDITY on
   * the side that holds the message): a message of that side and gid left
   * unpaired keeps the mark, one per record (a multiset, like the matching).
   */
  heldWithoutUid?: readonly HeldWithoutUid[];
  /**
   * The folder's records were lost with a damaged state section: every
   * message of these sides left unpaired may be one the other side lost, so
   * it is marked held 'unknown' (kept, and withheld in later runs too, until
   * --force or the other side has it). Mirror passes ['b'].
   */
  holdUnpaired?: readonly Side[];
  /**
   * UIDs each side holds that the message filter holds back (--max-size,
   * --since…, Store.searchHeldBack): a copy of one to the other side is
   * deferred instead (its record one-sided, status 'deferred', with its size),
   * which is never a reason to delete anything. Absent: no filter.
   */
  heldBack?: Partial<Record<Side, ReadonlySet<number>>>;
  /**
   * --placeholders: of `heldBack`, the UIDs the size filter holds back (a date
   * filter makes no stand-in): a copy of one gets a stand-in on the other side
   * (StandInAction) instead. Absent: no stand-ins are made.
   */
  standInFor?: Partial<Record<Side, ReadonlySet<number>>>;
  /**
   * Digests of the bodies a first plan asked for (its `needDigests`); a UID
   * missing here could not be read. Absent on the first plan.
   */
  digests?: BodyDigests;
}

// Every action names the side(s) it acts on and says why (a short reason for
// the dry run and -v). The executor does exactly these, on those sides.

/** Copy a message one side lacks from the side that has it (read `from`, append to `to`). */
export interface CopyAction {
  from: Side;
  to: Side;
  /** The message's UID on `from`. */
  uid: number;
  gid: string;
  /** Flags to give the copy (already filtered by what `to` accepts). Shared between copies: read-only. */
  flags: readonly string[];
  /** The flags the message has on `from`: its one-sided record's until the copy is confirmed. */
  sourceFlags: readonly string[];
  size: number;
  why: string;
  /**
   * Its envelope was read in this run and its global id comes from a
   * Message-ID (not from its size): only such a copy may be replaced by a
   * server-side move or copy (Message-ID-less twins share id and size).
   */
  byMessageId?: true;
  /** The size its global id hashes, when it hashes one and the plan knows it: its record keeps it (MessageRecord.size). */
  gidSize?: number;
  /**
   * The copy replaces a stand-in (--placeholders): `record` pairs the source
   * with the stand-in and stays until the copy is confirmed; then `orphan`
   * (naming the stand-in alone) takes its place, until the stand-in's expunge.
   */
  standIn?: { record: MessageRecord; orphan: MessageRecord };
}

/**
 * Make a stand-in on `to` for a message of `from` the size filter holds back
 * (--placeholders, see standIn.ts): built from the original's envelope,
 * appended with `flags`; its record then pairs the two (MessageRecord.standIn).
 */
export interface StandInAction {
  from: Side;
  to: Side;
  uid: number;
  /** The original's global id. */
  gid: string;
  /** The original's size. */
  size: number;
  /** Flags to give the stand-in (what `to` accepts of the original's, never \Flagged: on a stand-in it asks for the real message). */
  flags: readonly string[];
  /** The original's flags without \Flagged: the pair's merge base. */
  sourceFlags: readonly string[];
  why: string;
}

/** A stand-in the plan leaves alone (FolderPlan.standInsLeft). */
export interface StandInLeft {
  side: Side;
  uid: number;
  why: string;
}

/** Change one message's flags on `side`. */
export interface FlagChange {
  side: Side;
  uid: number;
  add: string[];
  remove: string[];
  why: string;
  /**
   * The merge base to record for the message's pair until this change is
   * confirmed, when the state had no record of it (an adopted stand-in pair
   * whose older replimap \Flagged is removed: its base keeps \Flagged, so a
   * refused STORE never reads as the user's request to fetch). Absent: the
   * old record's base, or none.
   */
  baseMeanwhile?: readonly string[];
}

/** Expunge one message from `side`. */
export interface ExpungeAction {
  side: Side;
  uid: number;
  /** The record to keep if the expunge fails (so the message is not forgotten). */
  record: MessageRecord;
  /** The flags the message has on `side` as read (a move carries them: see TransferAction.flagDelta). */
  flags: readonly string[];
  /** Its size (CRLF form), when the read gave it an envelope. */
  size?: number;
  why: string;
  /**
   * The account's plan copies this message (by global id) into this folder
   * pair's label: it left this folder for that one. Deleted only once a copy
   * of its global id is confirmed (in doubt, keep).
   */
  waitsForCopy?: string;
  /**
   * A stand-in replaced by the real message: the record naming it once that
   * copy is confirmed (CopyAction.standIn.orphan), which its expunge deletes.
   */
  after?: MessageRecord;
}

export interface FolderPlan {
  /**
   * The folder's records once every action below has succeeded, excluding
   * the copies (whose new UIDs are known only after they are done).
   */
  records: MessageRecord[];
  /**
   * Messages one side lacks, copied (appended) from the other: by source side
   * (A first), then UID. Copy and mirror copy only from A to B.
   */
  appends: CopyAction[];
  /** --placeholders: stand-ins to make, for copies the size filter holds back (their records deferred meanwhile). Absent when none. */
  standIns?: StandInAction[];
  /**
   * Stand-ins the state does not know and that pair with no original (a lost
   * record; a second stand-in of one original): left where they are, neither
   * copied nor deleted, nor recorded (each run that reads one looks again), and
   * said why with -v and in a dry run. Also a recorded stand-in whose original
   * left its side where the mode keeps it (recorded alone from then on, as
   * MessageRecord.standIn says; never copied as mail). By side (A first), then
   * UID. Absent when none.
   */
  standInsLeft?: StandInLeft[];
  /** Flag changes, one per message and side: by side (A first), then UID. Copy and mirror change only B's. */
  flagChanges: FlagChange[];
  /** Messages deleted from a side (mirror: B messages that A does not have): by side, then UID. */
  expunges: ExpungeAction[];
  /** Keywords each side cannot store (one warning per keyword). */
  droppedKeywords: { a: string[]; b: string[] };
  /** Records no longer trusted because a UID now holds another message. */
  reusedUids: { side: Side; uid: number }[];
  /**
   * Messages found at reused UIDs that this run keeps on a side it writes:
   * each is given a new UID in its folder (see UidReassignment). Absent when none.
   */
  reassignments?: UidReassignment[];
  /** Mirror: expunges that were wanted but not allowed. */
  expungesWithheld: number;
  /** Copies the message filter held back (heldBack), by the side they are on: their records are deferred. Absent when none. */
  deferred?: Record<Side, DeferredCount>;
  /**
   * Mirror: how many of expungesWithheld are of held records (A lost those
   * messages in a rollback): withheld by their mark in every run until A has
   * them again or expungeHeld. Absent when none.
   */
  expungesHeld?: number;
  /** Of expungesHeld, how many are held 'unknown' (their records were lost with a damaged section). */
  expungesHeldUnknown?: number;
  /**
   * Mirror: B messages A lacks that were kept because A may have them after
   * all (A held messages it did not list or identify, see `unidentified`).
   * Not withheld (no guard, no --force): kept until A is read in full. Absent when none.
   */
  expungesInDoubt?: number;
  /**
   * Two-way: how many of `expunges` are of messages whose flags changed since
   * the last run on the side that still had them (the expunge wins, reported).
   * Absent when none.
   */
  expungesOverFlagChanges?: number;
  /**
   * Without `digests`: messages sharing a global id that sizes could not tell
   * apart; plan again with their digests before acting. Absent when none.
   * The plan made meanwhile deletes none of them and copies A's.
   */
  needDigests?: { a: number[]; b: number[] };
  /**
   * Two-way: known UIDs (per side, ascending) this plan would expunge but whose
   * identity the run did not read (a restore may have given the UID to new
   * mail): plan again with their gids in the snapshots before acting. The plan
   * made meanwhile keeps their records and deletes none of them. Absent when none.
   */
  needIdentity?: { a: number[]; b: number[] };
  /**
   * Originals of stand-ins (--placeholders) this plan copies whose flags the
   * run did not read (per side, ascending): a stand-in's record holds no
   * \Flagged (its base is what both had, the stand-in never \Flagged), so
   * the original's \Flagged is only known read. Plan again with their
   * envelopes (flags and identity) in the snapshots. Absent when none.
   */
  needFlags?: { a: number[]; b: number[] };
  /**
   * With `digests`: how many of the wanted digests were missing. Their B
   * messages are kept and A's copied; the folder is read again next run.
   * Absent when none.
   */
  uncompared?: number;
  /**
   * Known UIDs a size question found holding another message than recorded
   * (counters as recorded hid a restore): this plan neither changes their
   * flags nor deletes them, and the folder is read again next run (see
   * reusedFound.ts). Absent when none.
   */
  reusedFound?: { side: Side; uid: number }[];
}

/** Messages held back by the message filter, and their bytes. */
export interface DeferredCount {
  messages: number;
  bytes: number;
}

/** A folder pair as a transfer names it (its UIDVALIDITY on the transfer's side, as read). */
export interface TransferFolder {
  label: string;
  nameA: string;
  nameB: string;
  uidValidity: bigint;
  /** The folder's UIDNEXT when read: a copy into it without COPYUID is looked for from there (transferExecute.ts). */
  uidNext: number;
}

/**
 * A CopyAction the account's plan replaces by a server-side move or copy on
 * `side` (the copy's target side), of a message that side already holds in
 * another folder: its body is not sent again.
 */
export interface TransferAction {
  side: Side;
  /** 'move': the source's deletion is done by the move itself; 'copy': the source keeps it (or is deleted later, waiting for the copy). */
  kind: 'move' | 'copy';
  /** The message on `side` and its record, kept as it is if the transfer fails. */
  source: TransferFolder & { uid: number; record: MessageRecord };
  target: TransferFolder;
  /** The CopyAction replaced: the other side's UID of the message in the target pair (copy.uid on copy.from), gid, flags. */
  copy: CopyAction;
  /** Applied to the new message so that it ends with copy.flags (the server copies the source's flags). */
  flagDelta: { add: string[]; remove: string[] };
  /** Bytes (CRLF form) of the message, the same on both sides (checked). */
  size: number;
  why: string;
}

/** UID MOVE into the same folder, or UID COPY there then UID EXPUNGE of the old UID. */
export type ReassignHow = 'move' | 'copy';

/**
 * A message Y found at a UID the state recorded for another message X (a
 * server restored from a backup, or an index rebuilt, reused the UID): Y is
 * kept and given a new UID in its folder on `side`, so that no client that
 * cached the UID shows Y in place of X (X comes back from the other side).
 * Done after the pair's other actions, which name Y by `uid` as read.
 */
export interface UidReassignment {
  side: Side;
  uid: number;
  /** Y's global id. */
  gid: string;
  how: ReassignHow;
  why: string;
}
