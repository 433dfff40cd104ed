// The state file format, version 2:
//
//   replimap-state 2
//   stores "<display URL of A>" "<display URL of B>"
//   generation <n>
//   identity <n>                               the global-id rule version of the gids
//   mode <copy|mirror|two-way>                 the mode of the last committed run
//   filter "<key>"                             optional: the message filter of the last complete run (messageFilter.ts)
//   folder "<name on A>" "<name on B>"          one section per folder pair
//   discarded                                  optional (see FolderRecordHeader.discarded)
//   status a <uidValidity> <uidNext> <highestModseq|-> <messages> [<size>] [%mailboxid:<id>]   optional
//   status b <uidValidity> <uidNext> <highestModseq|-> <messages> [<size>] [%mailboxid:<id>]   optional
//   <uidA> <uidB> <gid> [%held:<kind>] [%status:<status>] [%size:<n>] [%stand-in:<side>:<gid>] [%mid] <flag> <flag>…   one line per record
//   …
//   end <folderCount> <recordCount>
//
// Names are JSON strings (they may hold spaces, quotes, non-ASCII). Record
// lines always start with a digit and every other line with a keyword, so a
// section's records can be skipped by looking at one byte per line (see
// stateScan.ts); they are parsed only when a run asks for that folder's
// records. Flags are encoded by encodeFlag, so record lines are pure ASCII.
// `%held:rollback` marks a one-sided record whose other side lost the message
// in a rollback (see MessageRecord.held), `%held:unknown` one whose record came
// back after a damaged section. `%status:pending` / `%status:deferred` give a
// one-sided record's copy status (MessageRecord.status); a synced record has
// none (no bytes more than in version 1). `%mid` marks a record whose global
// id hashes a Message-ID (MessageRecord.byMessageId; 5 bytes); a record
// without it is read as before (its id may hash a size). `%size:<n>` follows
// `%status:deferred`: the held-back message's size (MessageRecord.size).
// It may also follow the gid (or a `%status:` token) of a record whose id
// hashes a size (no Message-ID): the size it hashes, so that its message can be
// compared by headers alone (knownIdentity.ts); a record without it reads as before.
// `%stand-in:<side>:<gid>` (--placeholders) follows the size (the original's) on
// a record pairing an original with its stand-in, or `%status:deferred` on one
// whose stand-in is being made (MessageRecord.standIn).
// A status line's `<size>` (the folder's STATUS SIZE, SideStatus.size) is
// optional: a line without it, as every one written before it existed, reads
// as a status without size. Its `%mailboxid:<id>` (the folder's MAILBOXID,
// RFC 8474, SideStatus.mailboxId) is optional too: a line without it reads
// as a status without id. An older replimap takes the token for a bad size
// and reads that folder again in full (its section discarded, with a warning).
// The end marker makes a truncated file detectable; counts that do not match
// are reported (countMismatch), not refused: the caller discards the sections
// it can no longer trust. A damaged line inside a section costs only that
// section (stateScan.ts); a damaged file header or end marker makes the file
// unreadable.
//
// Version 1 (replimap up to issue 7) is still read: it has no `identity` line
// (its gids are of identity rule 1) and no `%status:` token (in a version-1
// file it is damage, as it was to that release). Its record lines are valid
// version-2 lines, so an unparsed section is copied byte for byte when the
// file is upgraded: SyncState rewrites a version-1 file as version 2 on its
// next commit, even in a run that changes nothing.
//
// Adding a version: bump STATE_FORMAT_VERSION, give the new line kinds their
// keyword (e.g. `base …` inside a section), accept them in scanStateFile only
// for files of that version or later, and keep reading the older versions
// (SUPPORTED_VERSIONS). A reader refuses any version it does not know (so an
// old replimap never silently drops data it does not understand); an unknown
// line kind in a known version is damage (its section is discarded with a
// warning).
import type { FolderRecordHeader, MessageRecord, StateMode } from './types.js';
import {
  FlagInterner,
  HELD_TOKEN_PREFIX,
  STAND_IN_TOKEN_PREFIX,
  LineError,
  STATUS_TOKEN_PREFIX,
  encodeRecord,
  encodeStatus,
  parseRecordAt,
  type RecordSyntax,
} from './lineCodec.js';

export const STATE_MAGIC = 'replimap-state';
export const STATE_FORMAT_VERSION = 2;
export const SUPPORTED_VERSIONS: readonly number[] = [1, 2];
/** The identity rule of the gids in a file without an `identity` line (version 1). */
export const IDENTITY_VERSION_OF_FORMAT_1 = 1;

/** A problem at one line of the state file (1-based). */
export class StateFormatError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** A version this replimap cannot read. */
export class StateVersionError extends Error {
  constructor(readonly version: string) {
    super(`version ${version}`);
  }
}

/** The still-unparsed record lines of one folder section: bytes [start, end) of buf. */
export interface RawRecords {
  buf: Buffer;
  start: number;
  end: number;
  /** Line number of the first record line. */
  firstLine: number;
  count: number;
  /** The format version of the file they come from. */
  version: number;
}

const WITH_STATUSES: RecordSyntax = Object.freeze({ statuses: true });
const WITHOUT_STATUSES: RecordSyntax = Object.freeze({ statuses: false });

/** The record tokens a file of `version` may hold (`%status:` and `%mid` came with version 2). */
export function recordSyntax(version: number): RecordSyntax {
  return version >= 2 ? WITH_STATUSES : WITHOUT_STATUSES;
}

/** Parses the record lines of one section (done lazily, once per section). */
export function parseRecords(raw: RawRecords, interner: FlagInterner): MessageRecord[] {
  // latin1: record lines are ASCII by construction; any other byte is then
  // caught by the parser as a bad character instead of being decoded.
  const text = raw.buf.toString('latin1', raw.start, raw.end);
  const out = new Array<MessageRecord>(raw.count);
  const syntax = recordSyntax(raw.version);
  let pos = 0;
  for (let i = 0; i < raw.count; i++) {
    const nl = text.indexOf('\n', pos);
    try {
      out[i] = parseRecordAt(text, pos, nl, interner, syntax);
    } catch (e) {
      if (e instanceof LineError) throw new StateFormatError(raw.firstLine + i, e.message);
      throw e;
    }
    pos = nl + 1;
  }
  return out;
}

/**
 * The records among these unparsed lines whose gid is in `gids`: one pass over
 * the bytes, only the matching lines parsed, nothing kept (a lookup that must
 * not load a whole section). Each line's gid is hashed in place and turned
 * into a string only when its hash is a wanted one (a million lines cost no
 * million strings). A matching line that does not parse is left out: its
 * section is found damaged when it is parsed in full.
 */
export function recordsWithGids(raw: RawRecords, gids: ReadonlySet<string>, interner: FlagInterner): MessageRecord[] {
  const { buf, end } = raw;
  const hashes = new Set([...gids].map(gidHash));
  const syntax = recordSyntax(raw.version);
  const out: MessageRecord[] = [];
  for (let pos = raw.start; pos < end; ) {
    let p = pos;
    // Past uidA and uidB (a damaged line may end first: its gid is then empty).
    for (let spaces = 0; p < end && spaces < 2 && buf[p] !== 0x0a; p++) if (buf[p] === 0x20) spaces++;
    // The gid's bytes, hashed as gidHash hashes its string (ASCII).
    let h = FNV_OFFSET;
    let gidEnd = p;
    for (let c = buf[gidEnd]; gidEnd < end && c !== 0x20 && c !== 0x0a; c = buf[++gidEnd]) h = Math.imul(h ^ c!, FNV_PRIME);
    let nl = gidEnd;
    while (nl < end && buf[nl] !== 0x0a) nl++;
    if (hashes.has(h >>> 0) && gids.has(buf.toString('latin1', p, gidEnd))) {
      const line = buf.toString('latin1', pos, nl);
      try {
        out.push(parseRecordAt(line, 0, line.length, interner, syntax));
      } catch (e) {
        if (!(e instanceof LineError)) throw e;
      }
    }
    pos = nl + 1;
  }
  return out;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over a gid's char codes. */
function gidHash(gid: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < gid.length; i++) h = Math.imul(h ^ gid.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}

const HELD_MARK_BYTES = Buffer.from(` ${HELD_TOKEN_PREFIX}`, 'latin1');
const STATUS_MARK_BYTES = Buffer.from(` ${STATUS_TOKEN_PREFIX}`, 'latin1');
const PENDING_MARK_BYTES = Buffer.from(` ${STATUS_TOKEN_PREFIX}pending`, 'latin1');
const STAND_IN_MARK_BYTES = Buffer.from(` ${STAND_IN_TOKEN_PREFIX}`, 'latin1');

/**
 * Whether any of these unparsed record lines carries a held mark (`held`), a
 * status token (`status`, format 2 only), a pending one (`pending`) or a stand-in mark (`stand-in`): one byte search, no parsing. The
 * tokens cannot occur otherwise (a flag never starts with '%h' or '%s'), so a
 * match is a mark (or a damaged line, found when parsed).
 */
export function rawHasMark(raw: RawRecords, mark: 'held' | 'status' | 'pending' | 'stand-in'): boolean {
  if (mark !== 'held' && !recordSyntax(raw.version).statuses) return false;
  const bytes = { held: HELD_MARK_BYTES, status: STATUS_MARK_BYTES, pending: PENDING_MARK_BYTES, 'stand-in': STAND_IN_MARK_BYTES }[mark];
  return raw.buf.subarray(raw.start, raw.end).includes(bytes);
}

/** A map key for a folder pair (the length prefix keeps it unambiguous). */
export function folderKey(nameA: string, nameB: string): string {
  return `${nameA.length}:${nameA}${nameB}`;
}

// ---- writing ---------------------------------------------------------------

export interface StateHeader {
  storeA: string;
  storeB: string;
  generation: number;
  identityVersion: number;
  mode?: StateMode;
  /** The filter key (messageFilter.ts filterKey); empty or absent: no line. */
  messageFilter?: string;
}

export function stateHeaderText(h: StateHeader): string {
  return (
    `${STATE_MAGIC} ${STATE_FORMAT_VERSION}\nstores ${JSON.stringify(h.storeA)} ${JSON.stringify(h.storeB)}\n` +
    `generation ${h.generation}\nidentity ${h.identityVersion}\n` +
    (h.mode ? `mode ${h.mode}\n` : '') +
    (h.messageFilter ? `filter ${JSON.stringify(h.messageFilter)}\n` : '')
  );
}

/** The `folder` line and the `status` lines of a section. */
export function sectionHeaderText(h: FolderRecordHeader): string {
  let out = `folder ${JSON.stringify(h.nameA)} ${JSON.stringify(h.nameB)}\n`;
  if (h.discarded) out += 'discarded\n';
  if (h.statusA) out += `status a ${encodeStatus(h.statusA)}\n`;
  if (h.statusB) out += `status b ${encodeStatus(h.statusB)}\n`;
  return out;
}

export function endText(folders: number, records: number): string {
  return `end ${folders} ${records}\n`;
}
