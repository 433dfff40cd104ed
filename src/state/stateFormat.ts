// The state file format, version 1:
//
//   replimap-state 1
//   stores "<display URL of A>" "<display URL of B>"
//   generation <n>
//   mode <copy|mirror|two-way>                 the mode of the last committed run
//   folder "<name on A>" "<name on B>"          one section per folder pair
//   status a <uidValidity> <uidNext> <highestModseq|-> <messages>   optional
//   status b <uidValidity> <uidNext> <highestModseq|-> <messages>   optional
//   <uidA> <uidB> <gid> [%held:<kind>] <flag> <flag>…   one line per record
//   …
//   end <folderCount> <recordCount>
//
// Names are JSON strings (they may hold spaces, quotes, non-ASCII). Record
// lines always start with a digit and every other line with a keyword, so a
// section's records can be skipped by looking at one byte per line (see
// stateScan.ts); they are parsed only when a run asks for that folder's records. Flags are encoded by
// encodeFlag, so record lines are pure ASCII. `%held:rollback` marks a
// one-sided record whose other side lost the message in a rollback (see
// MessageRecord.held), `%held:unknown` one whose record came back after a
// damaged section; they came after version 1 and need no new version:
// files without it read as before. The end marker makes a truncated
// file detectable; counts that do not match are reported (countMismatch), not
// refused: the caller discards the sections it can no longer trust. A damaged
// line inside a section costs only that section (stateScan.ts); a damaged
// file header or end marker makes the file unreadable.
//
// Adding a version: bump STATE_FORMAT_VERSION, give the new line kinds their
// keyword (e.g. `defer …`, `base …` inside a section), accept them in
// scanStateFile only when `version >= 2`, and keep reading the older versions
// (SUPPORTED_VERSIONS) so an upgrade rewrites the file on its next commit.
// Version 1 readers refuse any higher version, so an old replimap never
// silently drops data it does not understand; an unknown line kind in a
// version 1 file is damage (its section is discarded with a warning).
import type { FolderRecordHeader, MessageRecord, StateMode } from './types.js';
import { FlagInterner, HELD_TOKEN_PREFIX, LineError, encodeRecord, encodeStatus, parseRecordAt } from './lineCodec.js';

export const STATE_MAGIC = 'replimap-state';
export const STATE_FORMAT_VERSION = 1;
export const SUPPORTED_VERSIONS: readonly number[] = [1];

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
}

/** Parses the record lines of one section (done lazily, once per section). */
export function parseRecords(raw: RawRecords, interner: FlagInterner): MessageRecord[] {
  // latin1: record lines are ASCII by construction; any other byte is then
  // caught by the parser as a bad character instead of being decoded.
  const text = raw.buf.toString('latin1', raw.start, raw.end);
  const out = new Array<MessageRecord>(raw.count);
  let pos = 0;
  for (let i = 0; i < raw.count; i++) {
    const nl = text.indexOf('\n', pos);
    try {
      out[i] = parseRecordAt(text, pos, nl, interner);
    } catch (e) {
      if (e instanceof LineError) throw new StateFormatError(raw.firstLine + i, e.message);
      throw e;
    }
    pos = nl + 1;
  }
  return out;
}

const HELD_MARK_BYTES = Buffer.from(` ${HELD_TOKEN_PREFIX}`, 'latin1');

/**
 * Whether any of these unparsed record lines carries a held mark: one byte
 * search, no parsing. The token cannot occur otherwise (a flag never starts
 * with '%h'), so a match is a mark (or a damaged line, found when parsed).
 */
export function rawHasHeldMark(raw: RawRecords): boolean {
  return raw.buf.subarray(raw.start, raw.end).includes(HELD_MARK_BYTES);
}

/** A map key for a folder pair (the length prefix keeps it unambiguous). */
export function folderKey(nameA: string, nameB: string): string {
  return `${nameA.length}:${nameA}${nameB}`;
}

// ---- writing ---------------------------------------------------------------

export function stateHeaderText(storeA: string, storeB: string, generation: number, mode?: StateMode): string {
  return (
    `${STATE_MAGIC} ${STATE_FORMAT_VERSION}\nstores ${JSON.stringify(storeA)} ${JSON.stringify(storeB)}\ngeneration ${generation}\n` +
    (mode ? `mode ${mode}\n` : '')
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

export function recordLine(r: MessageRecord): string {
  return encodeRecord(r) + '\n';
}

export function endText(folders: number, records: number): string {
  return `end ${folders} ${records}\n`;
}
