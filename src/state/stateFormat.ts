// The state file format, version 1:
//
//   replimap-state 1
//   stores "<display URL of A>" "<display URL of B>"
//   generation <n>
//   mode <copy|mirror|two-way>                 the mode of the last committed run
//   folder "<name on A>" "<name on B>"          one section per folder pair
//   status a <uidValidity> <uidNext> <highestModseq|-> <messages>   optional
//   status b <uidValidity> <uidNext> <highestModseq|-> <messages>   optional
//   <uidA> <uidB> <gid> [%held:rollback] <flag> <flag>…   one line per record
//   …
//   end <folderCount> <recordCount>
//
// Names are JSON strings (they may hold spaces, quotes, non-ASCII). Record
// lines always start with a digit and every other line with a keyword, so a
// section's records can be skipped by looking at one byte per line; they are
// parsed only when a run asks for that folder's records. Flags are encoded by
// encodeFlag, so record lines are pure ASCII. `%held:rollback` marks a
// one-sided record whose other side lost the message in a rollback (see
// MessageRecord.held); it came after version 1 and needs no new version:
// files without it read as before. The end marker makes a truncated
// file detectable; counts that do not match are reported (countMismatch), not
// refused: the caller discards the sections it can no longer trust.
//
// Adding a version: bump STATE_FORMAT_VERSION, give the new line kinds their
// keyword (e.g. `defer …`, `base …` inside a section), accept them in
// scanStateFile only when `version >= 2`, and keep reading the older versions
// (SUPPORTED_VERSIONS) so an upgrade rewrites the file on its next commit.
// Version 1 readers refuse any unknown line kind and any higher version, so an
// old replimap never silently drops data it does not understand.
import type { FolderRecordHeader, MessageRecord, StateMode } from './types.js';
import { FlagInterner, HELD_ROLLBACK_TOKEN, LineCursor, LineError, encodeRecord, encodeStatus, parseRecordAt, readStatus } from './lineCodec.js';

export const STATE_MAGIC = 'replimap-state';
export const STATE_FORMAT_VERSION = 1;
const SUPPORTED_VERSIONS: readonly number[] = [1];

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

export interface ScannedSection {
  header: FolderRecordHeader;
  records: RawRecords;
}

export interface ScannedState {
  storeA: string;
  storeB: string;
  generation: number;
  /** Absent in a file written before the line existed: treat as unknown. */
  mode?: StateMode;
  sections: ScannedSection[];
  /**
   * The end marker's counts differ from the sections' (a hand edit, a bad
   * disk): every line parsed, but which section gained or lost lines is unknown.
   */
  countMismatch?: StateFormatError;
}

const MODES: readonly StateMode[] = ['copy', 'mirror', 'two-way'];

const NL = 0x0a;

/**
 * Splits a state file into its header and folder sections without parsing
 * record lines (only their first byte is looked at, and they are counted).
 */
export function scanStateFile(buf: Buffer): ScannedState {
  let pos = 0;
  let lineNo = 0;
  let lineStart = 0;
  const nextLine = (): string => {
    lineNo++;
    lineStart = pos;
    if (pos >= buf.length) throw new StateFormatError(lineNo, 'the file ends without an end marker (truncated?)');
    const nl = buf.indexOf(NL, pos);
    if (nl === -1) throw new StateFormatError(lineNo, 'the file ends in the middle of a line (truncated?)');
    const line = buf.toString('utf8', pos, nl);
    pos = nl + 1;
    return line;
  };
  const at = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof LineError) throw new StateFormatError(lineNo, e.message);
      throw e;
    }
  };

  const magic = nextLine();
  const m = /^(\S+) (\S+)$/.exec(magic);
  if (m === null || m[1] !== STATE_MAGIC) throw new StateFormatError(1, `not a replimap state file (first line ${JSON.stringify(magic.slice(0, 40))})`);
  const version = m[2]!;
  if (!/^[0-9]+$/.test(version) || !SUPPORTED_VERSIONS.includes(Number(version))) throw new StateVersionError(version);

  const { storeA, storeB } = at(() => {
    const c = new LineCursor(nextLine());
    if (c.word('line kind') !== 'stores') throw new LineError('expected the "stores" line');
    const storeA = c.json('store A');
    const storeB = c.json('store B');
    c.expectEnd();
    return { storeA, storeB };
  });
  const generation = at(() => {
    const c = new LineCursor(nextLine());
    if (c.word('line kind') !== 'generation') throw new LineError('expected the "generation" line');
    const g = c.uint('generation', Number.MAX_SAFE_INTEGER);
    c.expectEnd();
    return g;
  });

  const sections: ScannedSection[] = [];
  const seen = new Set<string>();
  let totalRecords = 0;
  let line = nextLine();
  let mode: StateMode | undefined;
  if (line.startsWith('mode ')) {
    mode = at(() => {
      const c = new LineCursor(line);
      c.word('line kind');
      const word = c.word('mode');
      c.expectEnd();
      const found = MODES.find((m) => m === word);
      if (!found) throw new LineError(`unknown mode ${JSON.stringify(word)}`);
      return found;
    });
    line = nextLine();
  }
  for (;;) {
    const c = new LineCursor(line);
    const kind = at(() => c.word('line kind'));
    if (kind === 'end') {
      const counts = at(() => {
        const folders = c.uint('folder count', Number.MAX_SAFE_INTEGER);
        const records = c.uint('record count', Number.MAX_SAFE_INTEGER);
        c.expectEnd();
        return { folders, records };
      });
      if (pos !== buf.length) throw new StateFormatError(lineNo + 1, 'data after the end marker');
      let countMismatch: StateFormatError | undefined;
      if (counts.folders !== sections.length) {
        countMismatch = new StateFormatError(lineNo, `end marker says ${counts.folders} folders, the file has ${sections.length}`);
      } else if (counts.records !== totalRecords) {
        countMismatch = new StateFormatError(lineNo, `end marker says ${counts.records} records, the file has ${totalRecords}`);
      }
      return { storeA, storeB, generation, ...(mode && { mode }), sections, ...(countMismatch && { countMismatch }) };
    }
    if (kind !== 'folder') {
      if (/^[0-9]/.test(kind)) throw new StateFormatError(lineNo, 'record line outside a folder section');
      throw new StateFormatError(lineNo, `unknown line kind ${JSON.stringify(kind.slice(0, 40))}`);
    }
    const header = at((): FolderRecordHeader => {
      const nameA = c.json('folder name on A');
      const nameB = c.json('folder name on B');
      c.expectEnd();
      const key = folderKey(nameA, nameB);
      if (seen.has(key)) throw new LineError('folder pair listed twice');
      seen.add(key);
      return { nameA, nameB };
    });
    line = nextLine();
    for (const side of ['a', 'b'] as const) {
      if (!line.startsWith(`status ${side} `)) continue;
      at(() => {
        const sc = new LineCursor(line, `status ${side} `.length);
        const status = readStatus(sc);
        sc.expectEnd();
        if (side === 'a') header.statusA = status;
        else header.statusB = status;
      });
      line = nextLine();
    }
    // Record lines: count them, looking only at their first byte. `line`
    // (already read) is the first of them, or the next section's first line.
    const records: RawRecords = { buf, start: lineStart, end: lineStart, firstLine: lineNo, count: 0 };
    if (isDigit(buf[lineStart]!)) {
      let p = lineStart;
      lineNo--;
      while (p < buf.length && isDigit(buf[p]!)) {
        lineNo++;
        const nl = buf.indexOf(NL, p);
        if (nl === -1) throw new StateFormatError(lineNo, 'the file ends in the middle of a line (truncated?)');
        p = nl + 1;
        records.count++;
      }
      records.end = p;
      pos = p;
      line = nextLine();
    }
    totalRecords += records.count;
    sections.push({ header, records });
  }
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
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

const HELD_MARK_BYTES = Buffer.from(` ${HELD_ROLLBACK_TOKEN}`, 'latin1');

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
