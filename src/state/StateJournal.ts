// The append-only journal next to the state file (`<state>.journal`). Every
// StateOp is appended as one line; flush() makes the lines durable. After a
// crash the next open replays the journal onto the state, and commit() (a new
// state generation) makes the journal obsolete: it is removed, and a journal
// naming an older generation is ignored on open.
import { open, readFile, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateError } from '../errors.js';
import { fsyncDir } from './atomicWrite.js';
import { writeFailureText } from './writeFailure.js';
import { JOURNAL_FORMAT_VERSION, JOURNAL_MAGIC, decodeJournalHeader, decodeOp, encodeJournalHeader } from './journalFormat.js';
import { FlagInterner, LineError } from './lineCodec.js';
import type { StateOp } from './types.js';

/** Buffered journal text beyond which apply() starts a write without waiting for flush(). */
const AUTO_FLUSH_CHARS = 256 * 1024;

export interface JournalIdentity {
  storeA: string;
  storeB: string;
}

export type JournalReadResult =
  | { kind: 'none' }
  /** Written for an older generation: the state already holds its ops. */
  | { kind: 'old'; generation: number }
  | {
      kind: 'current';
      /** The journal's format version (see journalFormat.ts). */
      version: number;
      ops: number;
      /** Bytes of header and replayed lines: what a later write keeps. */
      validLength: number;
      tornTail: boolean;
      /** The first line that could not be replayed; it and every later line were not. */
      badLine?: { line: number; problem: string; dropped: number };
    };

/**
 * Reads the journal for a state of `generation` and hands each op, in order,
 * to `replay` (ops are streamed, not collected: a journal can hold a million).
 * A missing journal, an empty one, or one whose header line is incomplete (a
 * crash while it was being started) counts as none; a torn last line is
 * dropped. A line that does not parse, or that `replay` rejects with a plain
 * Error, ends the replay there (badLine), as if the run had stopped before
 * writing it: any prefix of the journal is a state a crash could have left,
 * so the rest of the account goes on, and the folders whose later ops are
 * dropped keep their older statuses and are re-read from them.
 */
export async function readJournal(
  path: string,
  identity: JournalIdentity,
  generation: number,
  interner: FlagInterner,
  replay: (op: StateOp) => void,
): Promise<JournalReadResult> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    throw new StateError(`cannot read state journal ${path}: ${(e as Error).message}`, { cause: e });
  }
  const headerEnd = buf.indexOf(0x0a);
  if (headerEnd === -1) return { kind: 'none' };
  const corrupt = (line: number, problem: string): StateError =>
    new StateError(`state journal ${path} is corrupt at line ${line}: ${problem}`);
  let header;
  try {
    header = decodeJournalHeader(buf.toString('utf8', 0, headerEnd));
  } catch (e) {
    if (e instanceof LineError) throw corrupt(1, e.message);
    throw e;
  }
  if (header.storeA !== identity.storeA || header.storeB !== identity.storeB) {
    throw new StateError(
      `state journal ${path} belongs to stores A=${header.storeA} B=${header.storeB}, not A=${identity.storeA} B=${identity.storeB}`,
    );
  }
  if (header.generation < generation) return { kind: 'old', generation: header.generation };
  if (header.generation > generation) {
    throw new StateError(
      `state journal ${path} is for state generation ${header.generation}, but the state file is at generation ${generation} ` +
        `(was the state file replaced or removed?); remove the journal to go on from the state file`,
    );
  }
  let ops = 0;
  let pos = headerEnd + 1;
  let line = 1;
  for (;;) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl === -1) break;
    line++;
    try {
      replay(decodeOp(buf.toString('utf8', pos, nl), interner));
    } catch (e) {
      if (e instanceof StateError) throw e;
      const dropped = countLines(buf, pos);
      return { kind: 'current', version: header.version, ops, validLength: pos, tornTail: false, badLine: { line, problem: (e as Error).message, dropped } };
    }
    ops++;
    pos = nl + 1;
  }
  const tornTail = pos < buf.length;
  const validLength = pos;
  return { kind: 'current', version: header.version, ops, validLength, tornTail };
}

/** Lines from `start` to the end of buf, a last one without its newline included. */
function countLines(buf: Buffer, start: number): number {
  let n = 0;
  for (let p = start; p < buf.length; n++) {
    const nl = buf.indexOf(0x0a, p);
    p = nl === -1 ? buf.length : nl + 1;
  }
  return n;
}

/** Appends op lines to the journal; nothing touches the disk before the first write. */
export class StateJournal {
  private fh: FileHandle | null = null;
  private size = 0;
  private buffer: string[] = [];
  private bufferedChars = 0;
  private chain: Promise<void> = Promise.resolve();
  private failure: StateError | null = null;

  /**
   * @param keepLength when a journal for this generation exists (it was
   *   replayed): its valid length; later lines are appended after it (a torn
   *   tail is cut off first). null: the file is (re)started with a header.
   * @param keptVersion the format version of that journal: an older one has
   *   its header turned into the current version before the first append.
   */
  constructor(
    readonly path: string,
    private readonly identity: JournalIdentity,
    private generation: number,
    private keepLength: number | null,
    private keptVersion = JOURNAL_FORMAT_VERSION,
  ) {}

  append(line: string): void {
    if (this.failure) throw this.failure;
    this.buffer.push(line + '\n');
    this.bufferedChars += line.length + 1;
    if (this.bufferedChars >= AUTO_FLUSH_CHARS) this.schedule();
  }

  /** Writes every buffered line and fdatasyncs. */
  async flush(): Promise<void> {
    this.schedule();
    await this.chain;
    if (this.failure) throw this.failure;
  }

  /**
   * The state file has just been replaced by `generation`: from now on the
   * next write starts a fresh journal for it, never appending to the old one.
   * Call only with nothing buffered or being written (after flush()).
   */
  invalidate(generation: number): void {
    if (this.buffer.length > 0) throw new Error('StateJournal.invalidate: lines still buffered');
    this.generation = generation;
    this.keepLength = null;
    this.size = 0;
    const old = this.fh;
    this.fh = null;
    if (old) this.chain = this.chain.then(() => old.close()).catch(() => undefined);
  }

  /**
   * After a commit to `generation` is durable: its ops are all in the state
   * file, so the journal is removed.
   */
  async restart(generation: number): Promise<void> {
    this.invalidate(generation);
    await this.chain;
    if (this.failure) throw this.failure;
    await unlink(this.path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw new StateError(`cannot remove state journal ${this.path}: ${e.message}`, { cause: e });
    });
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.closeFile();
    }
  }

  private schedule(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    this.bufferedChars = 0;
    this.chain = this.chain.then(async () => {
      if (this.failure) return;
      try {
        await this.write(Buffer.from(text, 'utf8'));
      } catch (e) {
        // A failed write may have left part of a line: nothing may follow it.
        this.failure = e instanceof StateError ? e : new StateError(writeFailureText(`cannot write state journal ${this.path}`, e), { cause: e });
      }
    });
  }

  private async write(data: Buffer): Promise<void> {
    const fh = await this.openFile();
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off, this.size);
      off += bytesWritten;
      this.size += bytesWritten;
    }
    await fh.datasync();
  }

  private async openFile(): Promise<FileHandle> {
    if (this.fh) return this.fh;
    if (this.keepLength !== null) {
      const fh = await open(this.path, 'r+');
      this.fh = fh;
      await fh.truncate(this.keepLength);
      this.size = this.keepLength;
      if (this.keptVersion !== JOURNAL_FORMAT_VERSION) await this.upgradeHeader(fh);
      return fh;
    }
    // 'w' truncates a journal of an older generation; until the new header is
    // complete, a crash leaves a journal that reads as none.
    const fh = await open(this.path, 'w', 0o600);
    this.fh = fh;
    await fh.chmod(0o600);
    const header = Buffer.from(encodeJournalHeader({ generation: this.generation, ...this.identity }) + '\n', 'utf8');
    this.size = 0;
    let off = 0;
    while (off < header.length) {
      const { bytesWritten } = await fh.write(header, off, header.length - off, this.size);
      off += bytesWritten;
      this.size += bytesWritten;
    }
    await fh.datasync();
    await fsyncDir(dirname(this.path));
    return fh;
  }

  /**
   * Rewrites the kept journal's version number in place, before lines of the
   * current version follow (made durable with them by write()'s datasync).
   * Every older line is still valid (see journalFormat.ts), and an older
   * replimap now refuses the journal rather than stopping at the first new line.
   */
  private async upgradeHeader(fh: FileHandle): Promise<void> {
    const from = String(this.keptVersion);
    const to = String(JOURNAL_FORMAT_VERSION);
    if (from.length !== to.length) throw new Error(`cannot turn journal version ${from} into ${to} in place`);
    await fh.write(Buffer.from(to, 'latin1'), 0, to.length, JOURNAL_MAGIC.length + 1);
    this.keptVersion = JOURNAL_FORMAT_VERSION;
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = null;
    if (fh) await fh.close();
  }
}
