// One folder pair in memory: its statuses and its records, parsed lazily from
// the loaded file and indexed only once something changes them.
//
// Record identity (what 'put' replaces and 'del' removes): within a folder
// pair, a non-zero uidA belongs to at most one record, and so does a non-zero
// uidB. put(r) removes every record holding r.uidA (if non-zero) or r.uidB (if
// non-zero), then adds r. So put(5, 812) after put(5, 0) replaces it (the A
// message got its B copy), and re-applying a put changes nothing. del(uidA,
// uidB) removes the record with exactly that pair, if there is one.
//
// A damaged section (a record line that does not parse, two records with one
// UID) is found when it is first parsed (one whose `folder` or `status` line is
// damaged is found when the file is scanned, and SyncState opens it empty). It is then discarded, statuses and
// records, with a warning: the folder pair reads as one the state never saw,
// so the run reads both sides in full and pairs the messages by global id
// (nothing is copied twice), and the next commit writes the section anew.
// One bad record never stops the rest of the account.
import type { FolderRecordHeader, FolderState, MessageRecord, SideStatus } from './types.js';
import { StateFormatError, parseRecords, rawHasMark, recordsWithGids, type RawRecords } from './stateFormat.js';
import type { FlagInterner } from './lineCodec.js';
import { encodeNames } from './journalFormat.js';

export class FolderEntry implements FolderState {
  statusA?: SideStatus;
  statusB?: SideStatus;
  /**
   * Discarded (see discard()), and no sync of the folder has completed since: kept in the file
   * (a `discarded` line) until one does. Its statuses are never taken from the journal meanwhile.
   */
  discarded = false;

  /** Unparsed record lines, kept while the records are unchanged since loading (written back verbatim). */
  private raw: RawRecords | null;
  /** The records as an array: from parsing, from reset, or rebuilt from the indexes. */
  private list: MessageRecord[] | null;
  /** Built on the first change: records by non-zero uidA; by uidB for uidA 0; by non-zero uidB. */
  private byA: Map<number, MessageRecord> | null = null;
  private bOnly: Map<number, MessageRecord> | null = null;
  private byB: Map<number, MessageRecord> | null = null;
  private uids: { a?: number[]; b?: number[] } = {};
  private names: string | undefined;

  constructor(
    readonly nameA: string,
    readonly nameB: string,
    private readonly interner: FlagInterner,
    /** The state file, for error messages. */
    private readonly statePath: string,
    /** Told, once, when a damaged section is discarded (see the file comment). */
    private readonly onDiscard: (warning: string) => void,
    raw: RawRecords | null = null,
  ) {
    this.raw = raw;
    this.list = raw === null ? [] : null;
  }

  static fromHeader(
    h: FolderRecordHeader,
    interner: FlagInterner,
    statePath: string,
    onDiscard: (warning: string) => void,
    raw: RawRecords | null,
  ): FolderEntry {
    const e = new FolderEntry(h.nameA, h.nameB, interner, statePath, onDiscard, raw);
    if (h.statusA) e.statusA = h.statusA;
    if (h.statusB) e.statusB = h.statusB;
    if (h.discarded) e.discarded = true;
    return e;
  }

  /**
   * The same folder pair under new names: statuses, records (parsed or not,
   * indexes and all) and the discarded mark move over; this entry is not to be
   * used any more.
   */
  renamed(nameA: string, nameB: string): FolderEntry {
    const e = new FolderEntry(nameA, nameB, this.interner, this.statePath, this.onDiscard, this.raw);
    if (this.statusA) e.statusA = this.statusA;
    if (this.statusB) e.statusB = this.statusB;
    e.discarded = this.discarded;
    e.list = this.list;
    e.byA = this.byA;
    e.bOnly = this.bOnly;
    e.byB = this.byB;
    e.uids = this.uids;
    return e;
  }

  /** The two names as the journal writes them (cached: every op line repeats them). */
  get journalNames(): string {
    return (this.names ??= encodeNames(this.nameA, this.nameB));
  }

  /** Whether the record lines still equal what was loaded (then they are written back byte for byte). */
  unchangedRaw(): RawRecords | null {
    return this.raw;
  }

  get recordCount(): number {
    if (this.list) return this.list.length;
    if (this.byA && this.bOnly) return this.byA.size + this.bOnly.size;
    return this.raw?.count ?? 0;
  }

  records(): readonly MessageRecord[] {
    if (this.list === null) {
      if (this.byA && this.bOnly) this.list = [...this.byA.values(), ...this.bOnly.values()];
      else this.list = this.load(this.raw!);
    }
    return this.list;
  }

  knownUids(side: 'a' | 'b'): number[] {
    let cached = this.uids[side];
    if (cached === undefined) {
      cached = sortedUids(this.records(), side);
      this.uids[side] = cached;
    }
    return cached.slice();
  }

  recordsWithGids(gids: ReadonlySet<string>): MessageRecord[] {
    // Unparsed: only the matching lines are parsed, and the section stays unparsed (memory stays bounded).
    if (this.list === null && this.raw !== null) return recordsWithGids(this.raw, gids, this.interner);
    return this.records().filter((r) => gids.has(r.gid));
  }

  hasHeldRecords(): boolean {
    // Unparsed: a byte search, so a skipped folder is not parsed for this.
    if (this.list === null && this.raw !== null) return rawHasMark(this.raw, 'held');
    return this.records().some((r) => r.held !== undefined);
  }

  hasUnsyncedRecords(): boolean {
    if (this.list === null && this.raw !== null) return rawHasMark(this.raw, 'status') || rawHasMark(this.raw, 'stand-in');
    return this.records().some((r) => r.status !== undefined || r.standIn !== undefined);
  }

  hasPendingRecords(): boolean {
    if (this.list === null && this.raw !== null) return rawHasMark(this.raw, 'pending');
    return this.records().some((r) => r.status === 'pending');
  }

  /**
   * Forgets the statuses and the records: the folder pair reads as one the
   * state never saw. For a section that cannot be trusted.
   */
  discard(): void {
    this.discarded = true;
    this.statusA = undefined;
    this.statusB = undefined;
    this.raw = null;
    this.list = [];
    this.byA = this.bOnly = this.byB = null;
    this.uids = {};
  }

  /**
   * Parses and indexes the records so changes are cheap. Called before a
   * change is journaled, so a damaged section is discarded before the change.
   */
  prepareChange(): void {
    if (this.byA) return;
    const recs = this.records();
    const byA = new Map<number, MessageRecord>();
    const bOnly = new Map<number, MessageRecord>();
    const byB = new Map<number, MessageRecord>();
    for (const r of recs) {
      // No UID is held twice: load() checked the lines, put() keeps it so.
      if (r.uidA !== 0) byA.set(r.uidA, r);
      else bOnly.set(r.uidB, r);
      if (r.uidB !== 0) byB.set(r.uidB, r);
    }
    this.byA = byA;
    this.bOnly = bOnly;
    this.byB = byB;
  }

  put(r: MessageRecord): void {
    this.prepareChange();
    this.changed();
    if (r.uidA !== 0) {
      const old = this.byA!.get(r.uidA);
      if (old) this.remove(old);
    }
    if (r.uidB !== 0) {
      const old = this.byB!.get(r.uidB);
      if (old) this.remove(old);
    }
    if (r.uidA !== 0) this.byA!.set(r.uidA, r);
    else this.bOnly!.set(r.uidB, r);
    if (r.uidB !== 0) this.byB!.set(r.uidB, r);
  }

  del(uidA: number, uidB: number): void {
    this.prepareChange();
    const found = uidA !== 0 ? this.byA!.get(uidA) : this.bOnly!.get(uidB);
    if (found === undefined || found.uidB !== uidB) return;
    this.changed();
    this.remove(found);
  }

  /** Replaces every record; later records win over earlier ones with the same uid (put semantics). */
  reset(records: readonly MessageRecord[]): void {
    this.raw = null;
    this.list = [];
    this.byA = this.bOnly = this.byB = null;
    this.uids = {};
    for (const r of records) this.put(r);
  }

  /** Parses the loaded record lines and checks them; a damaged section is discarded. */
  private load(raw: RawRecords): MessageRecord[] {
    let problem: string;
    try {
      const recs = parseRecords(raw, this.interner);
      // The sorted UIDs are wanted anyway (knownUids): two equal neighbours are two records with one UID.
      const uids = { a: sortedUids(recs, 'a'), b: sortedUids(recs, 'b') };
      const dupA = repeated(uids.a);
      const dupB = repeated(uids.b);
      if (dupA === undefined && dupB === undefined) {
        this.uids = uids;
        return recs;
      }
      problem = dupA !== undefined ? `two records with uidA ${dupA}` : `two records with uidB ${dupB}`;
    } catch (e) {
      if (!(e instanceof StateFormatError)) throw e;
      problem = `line ${e.line}: ${e.message}`;
    }
    this.discard();
    this.onDiscard(damagedSectionWarning(this.statePath, this.nameA, this.nameB, problem));
    return [];
  }

  private remove(r: MessageRecord): void {
    if (r.uidA !== 0) this.byA!.delete(r.uidA);
    else this.bOnly!.delete(r.uidB);
    if (r.uidB !== 0 && this.byB!.get(r.uidB) === r) this.byB!.delete(r.uidB);
  }

  private changed(): void {
    this.raw = null;
    this.list = null;
    this.uids = {};
  }
}

/** The warning for a discarded section, found damaged when scanned or when its records are first parsed. */
export function damagedSectionWarning(statePath: string, nameA: string, nameB: string, problem: string): string {
  return (
    `state file ${statePath}: folder ${JSON.stringify(nameA)} / ${JSON.stringify(nameB)} is damaged ` +
    `(${problem}); its records are discarded and the folder is re-matched by global id (nothing is copied twice)`
  );
}

/** The non-zero UIDs of one side, ascending. */
function sortedUids(recs: readonly MessageRecord[], side: 'a' | 'b'): number[] {
  const tmp = new Uint32Array(recs.length);
  let n = 0;
  for (const r of recs) {
    const uid = side === 'a' ? r.uidA : r.uidB;
    if (uid !== 0) tmp[n++] = uid;
  }
  return Array.from(tmp.subarray(0, n).sort());
}

/** The first value that appears twice in an ascending array. */
function repeated(sorted: readonly number[]): number | undefined {
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) return sorted[i];
  return undefined;
}
