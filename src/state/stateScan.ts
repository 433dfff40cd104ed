// Reads the structure of a state file (format: see stateFormat.ts) without
// parsing record lines: the header, then each folder section's `folder` and
// `status` lines, with its record lines only counted (one byte looked at per
// line), then the end marker.
//
// What stops the file from being read (a StateFormatError thrown): a damaged
// file header (everything before the first `folder` line), a damaged end
// marker, a truncated file, data after the end marker. Anything else damaged
// costs only its section, as a damaged record line does (FolderEntry.load):
// a section runs from its `folder` line to the next `folder` or `end` line,
// so a bad `folder` or `status` line, a line out of place or of an unknown
// kind, or a folder pair listed twice is returned as a DamagedSection, and the
// caller discards it with a warning. A `folder` line whose keyword itself is
// damaged makes its lines part of the section before it (discarded with it),
// and the end marker's folder count then differs (countMismatch).
import type { FolderRecordHeader, SideStatus, StateMode } from './types.js';
import { LineCursor, LineError, readStatus } from './lineCodec.js';
import {
  IDENTITY_VERSION_OF_FORMAT_1,
  STATE_MAGIC,
  StateFormatError,
  StateVersionError,
  SUPPORTED_VERSIONS,
  folderKey,
  type RawRecords,
} from './stateFormat.js';

interface ScannedSection {
  header: FolderRecordHeader;
  records: RawRecords;
}

/** A folder section that cannot be trusted: its statuses and records are to be discarded. */
export interface DamagedSection {
  /** The folder pair, when its `folder` line could be read. */
  names?: { nameA: string; nameB: string };
  /** Line number of the section's `folder` line. */
  line: number;
  /** The first problem found in it. */
  problem: StateFormatError;
}

export interface ScannedState {
  /** The file's format version (one of SUPPORTED_VERSIONS). */
  version: number;
  storeA: string;
  storeB: string;
  generation: number;
  /** The global-id rule version of the file's gids (1 for a version-1 file, which has no such line). */
  identityVersion: number;
  /** Absent in a file written before the line existed: treat as unknown. */
  mode?: StateMode;
  /** The message filter of the last complete run (`filter "<key>"`, see MessageFilter): absent when it had none. */
  messageFilter?: string;
  /** The sound sections, in file order. */
  sections: ScannedSection[];
  /** The damaged ones, by line; no folder pair is in both lists. */
  damaged: DamagedSection[];
  /**
   * The end marker's counts differ from the sections' (a hand edit, a bad
   * disk): every line parsed, but which section gained or lost lines is unknown.
   */
  countMismatch?: StateFormatError;
}

const MODES: readonly StateMode[] = ['copy', 'mirror', 'two-way'];

const NL = 0x0a;

/** Splits a state file into its header and folder sections without parsing record lines. */
export function scanStateFile(buf: Buffer): ScannedState {
  const r = new LineReader(buf);
  const header = scanHeader(r);
  r.version = header.version;
  const body = new SectionCollector();
  if (!isBoundary(r.line)) throw new StateFormatError(r.lineNo, unexpectedLine(r.line));
  while (r.line.startsWith('folder ')) body.add(scanSection(r));
  const countMismatch = scanEnd(r, body.folders, body.records, body.uncertain);
  return { ...header, sections: body.sections(), damaged: body.damaged(), ...(countMismatch && { countMismatch }) };
}

/** Reads a buffer line by line; `line` is the current line, `lineNo` its number (1-based). */
class LineReader {
  line = '';
  lineNo = 0;
  /** The file's format version, once its first line is read: stamped on every RawRecords. */
  version = 0;
  /** Offset of the current line. */
  private lineStart = 0;
  /** Offset of the line after it. */
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  next(): string {
    this.lineNo++;
    this.lineStart = this.pos;
    if (this.pos >= this.buf.length) throw new StateFormatError(this.lineNo, 'the file ends without an end marker (truncated?)');
    const nl = this.buf.indexOf(NL, this.pos);
    if (nl === -1) throw new StateFormatError(this.lineNo, 'the file ends in the middle of a line (truncated?)');
    this.line = this.buf.toString('utf8', this.pos, nl);
    this.pos = nl + 1;
    return this.line;
  }

  get atFileEnd(): boolean {
    return this.pos === this.buf.length;
  }

  /** fn's result; a LineError it throws becomes a StateFormatError at the current line. */
  at<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof LineError) throw new StateFormatError(this.lineNo, e.message);
      throw e;
    }
  }

  /** Like at(), but the problem is returned instead of thrown. */
  check<T>(fn: () => T): T | StateFormatError {
    try {
      return this.at(fn);
    } catch (e) {
      if (e instanceof StateFormatError) return e;
      throw e;
    }
  }

  /**
   * The record lines from the current line on, looking only at their first
   * byte (the lazy loading's whole cost); the current line is then the one
   * after them.
   */
  skipRecords(): RawRecords {
    const buf = this.buf;
    const records: RawRecords = { buf, start: this.lineStart, end: this.lineStart, firstLine: this.lineNo, count: 0, version: this.version };
    if (!isDigit(buf[this.lineStart]!)) return records;
    let p = this.lineStart;
    this.lineNo--;
    while (p < buf.length && isDigit(buf[p]!)) {
      this.lineNo++;
      const nl = buf.indexOf(NL, p);
      if (nl === -1) throw new StateFormatError(this.lineNo, 'the file ends in the middle of a line (truncated?)');
      p = nl + 1;
      records.count++;
    }
    records.end = p;
    this.pos = p;
    this.next();
    return records;
  }

  /**
   * Skips a damaged section's remaining lines. `uncertain`: lines that are
   * neither a record nor a status line, which may be a record whose first byte
   * was damaged (the end marker counted it) or a line that was never written.
   */
  skipToBoundary(): { records: number; uncertain: number } {
    let records = 0;
    let uncertain = 0;
    while (!isBoundary(this.line)) {
      if (isDigit(this.line.charCodeAt(0))) records++;
      else if (!this.line.startsWith('status ')) uncertain++;
      this.next();
    }
    return { records, uncertain };
  }
}

type ScannedHeader = Pick<ScannedState, 'version' | 'storeA' | 'storeB' | 'generation' | 'identityVersion' | 'mode' | 'messageFilter'>;

/** The lines before the first section; the current line is then the one after them. */
function scanHeader(r: LineReader): ScannedHeader {
  const version = scanMagic(r.next());
  const stores = r.at(() => {
    const c = keywordLine(r.next(), 'stores');
    const storeA = c.json('store A');
    const storeB = c.json('store B');
    c.expectEnd();
    return { storeA, storeB };
  });
  const generation = r.at(() => numberLine(r.next(), 'generation'));
  r.next();
  let identityVersion = IDENTITY_VERSION_OF_FORMAT_1;
  if (version >= 2) {
    identityVersion = r.at(() => numberLine(r.line, 'identity'));
    r.next();
  }
  const header: ScannedHeader = { version, ...stores, generation, identityVersion };
  if (r.line.startsWith('mode ')) {
    header.mode = r.at(() => modeLine(r.line));
    r.next();
  }
  if (version >= 2 && r.line.startsWith('filter ')) {
    header.messageFilter = r.at(() => {
      const c = keywordLine(r.line, 'filter');
      const key = c.json('filter');
      c.expectEnd();
      return key;
    });
    r.next();
  }
  return header;
}

/** The format version the first line names; refuses a file that is not a state or of a version not read here. */
function scanMagic(magic: string): number {
  const m = /^(\S+) (\S+)$/.exec(magic);
  if (m === null || m[1] !== STATE_MAGIC) throw new StateFormatError(1, `not a replimap state file (first line ${JSON.stringify(magic.slice(0, 40))})`);
  const version = m[2]!;
  if (!/^[0-9]+$/.test(version) || !SUPPORTED_VERSIONS.includes(Number(version))) throw new StateVersionError(version);
  return Number(version);
}

/** `<keyword> <n>` */
function numberLine(line: string, keyword: string): number {
  const c = keywordLine(line, keyword);
  const n = c.uint(keyword, Number.MAX_SAFE_INTEGER);
  c.expectEnd();
  return n;
}

function modeLine(line: string): StateMode {
  const c = keywordLine(line, 'mode');
  const word = c.word('mode');
  c.expectEnd();
  const found = MODES.find((known) => known === word);
  if (!found) throw new LineError(`unknown mode ${JSON.stringify(word)}`);
  return found;
}

/** A cursor after the line's keyword, which must be `keyword`. */
function keywordLine(line: string, keyword: string): LineCursor {
  const c = new LineCursor(line);
  if (c.word('line kind') !== keyword) throw new LineError(`expected the "${keyword}" line`);
  return c;
}

interface SectionScan {
  /** Line number of the `folder` line. */
  line: number;
  /** Absent when the `folder` line does not parse. */
  header?: FolderRecordHeader;
  records: RawRecords;
  /** Lines of a damaged section that may or may not have been records (see skipToBoundary). */
  uncertain: number;
  problem?: StateFormatError;
}

/** Reads one section, from its `folder` line (the current line) to the next boundary. */
function scanSection(r: LineReader): SectionScan {
  const line = r.lineNo;
  const names = r.check(() => {
    const c = keywordLine(r.line, 'folder');
    const nameA = c.json('folder name on A');
    const nameB = c.json('folder name on B');
    c.expectEnd();
    return { nameA, nameB };
  });
  let problem = names instanceof StateFormatError ? names : undefined;
  const header: FolderRecordHeader | undefined = names instanceof StateFormatError ? undefined : names;
  r.next();
  if (r.line === 'discarded') {
    if (header) header.discarded = true;
    r.next();
  }
  for (const side of ['a', 'b'] as const) {
    if (!r.line.startsWith(`status ${side} `)) continue;
    const status = r.check((): SideStatus => {
      const c = new LineCursor(r.line, `status ${side} `.length);
      const s = readStatus(c);
      c.expectEnd();
      return s;
    });
    if (status instanceof StateFormatError) problem ??= status;
    else if (header) header[side === 'a' ? 'statusA' : 'statusB'] = status;
    r.next();
  }
  const records = r.skipRecords();
  let uncertain = 0;
  if (!isBoundary(r.line)) {
    problem ??= new StateFormatError(r.lineNo, unexpectedLine(r.line));
    const rest = r.skipToBoundary();
    records.count += rest.records;
    uncertain = rest.uncertain;
  }
  return { line, records, uncertain, ...(header && { header }), ...(problem && { problem }) };
}

/** Sorts scanned sections into sound and damaged ones, and counts what the end marker counts. */
class SectionCollector {
  folders = 0;
  records = 0;
  uncertain = 0;
  private readonly sound = new Map<string, ScannedSection>();
  private readonly bad = new Map<string, DamagedSection>();
  private readonly nameless: DamagedSection[] = [];
  private readonly firstLine = new Map<string, number>();

  add(s: SectionScan): void {
    this.folders++;
    this.records += s.records.count;
    this.uncertain += s.uncertain;
    if (s.header === undefined) {
      this.nameless.push({ line: s.line, problem: s.problem! });
      return;
    }
    const names = { nameA: s.header.nameA, nameB: s.header.nameB };
    const key = folderKey(names.nameA, names.nameB);
    const first = this.firstLine.get(key);
    if (first === undefined) {
      this.firstLine.set(key, s.line);
      if (s.problem) this.bad.set(key, { names, line: s.line, problem: s.problem });
      else this.sound.set(key, { header: s.header, records: s.records });
      return;
    }
    // Listed twice: which section is right is unknown, so neither is kept.
    this.sound.delete(key);
    if (!this.bad.has(key)) this.bad.set(key, { names, line: first, problem: new StateFormatError(s.line, `folder pair listed twice (first at line ${first})`) });
  }

  sections(): ScannedSection[] {
    return [...this.sound.values()];
  }

  damaged(): DamagedSection[] {
    return [...this.bad.values(), ...this.nameless].sort((x, y) => x.line - y.line);
  }
}

/**
 * Reads the end marker (the current line); returns how its counts differ from the file's, if they do.
 * `uncertain` lines of damaged sections may have been records: a count within them still matches.
 */
function scanEnd(r: LineReader, folders: number, records: number, uncertain: number): StateFormatError | undefined {
  const counts = r.at(() => {
    const c = keywordLine(r.line, 'end');
    const counted = { folders: c.uint('folder count', Number.MAX_SAFE_INTEGER), records: c.uint('record count', Number.MAX_SAFE_INTEGER) };
    c.expectEnd();
    return counted;
  });
  if (!r.atFileEnd) throw new StateFormatError(r.lineNo + 1, 'data after the end marker');
  if (counts.folders !== folders) return new StateFormatError(r.lineNo, `end marker says ${counts.folders} folders, the file has ${folders}`);
  if (counts.records < records || counts.records > records + uncertain) return new StateFormatError(r.lineNo, `end marker says ${counts.records} records, the file has ${records}`);
  return undefined;
}

/** A line that starts a section or ends the file. */
function isBoundary(line: string): boolean {
  return line.startsWith('folder ') || line.startsWith('end ');
}

/** What is wrong with a line where it stands. */
function unexpectedLine(line: string): string {
  if (isDigit(line.charCodeAt(0))) return 'record line outside a folder section';
  const kind = line.split(' ', 1)[0]!;
  if (kind === 'status') return 'status line out of place';
  return `unknown line kind ${JSON.stringify(kind.slice(0, 40))}`;
}

function isDigit(byte: number): boolean {
  return byte >= 0x30 && byte <= 0x39;
}
