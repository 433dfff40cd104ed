// The state of one replication (store A ↔ store B): per folder pair, each
// side's status and one record per known message. Opened at the start of a
// run, changed only through apply() (journaled first, see StateJournal),
// committed atomically at safe points. See docs/architecture.md, "The state
// file: what it must survive".
import { readFile, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { StateError } from '../errors.js';
import { ensurePrivateDir, fsyncDir, removeTempFiles, replaceFile, type ChunkWriter } from './atomicWrite.js';
import { FolderEntry, damagedSectionWarning } from './FolderEntry.js';
import { encodeOp } from './journalFormat.js';
import { FlagInterner, encodeRecord, isValidGid, isValidHeld, isValidRecordStatus, isValidStandIn, isValidStatus, isValidUid } from './lineCodec.js';
import { StateJournal, readJournal } from './StateJournal.js';
import { StateLock } from './StateLock.js';
import { writeFailureText } from './writeFailure.js';
import {
  StateFormatError,
  StateVersionError,
  STATE_FORMAT_VERSION,
  SUPPORTED_VERSIONS,
  endText,
  folderKey,
  sectionHeaderText,
  stateHeaderText,
} from './stateFormat.js';
import { scanStateFile, type DamagedSection, type ScannedState } from './stateScan.js';
import type { FolderState, MessageRecord, PairOp, SideStatus, StateMode, StateOp } from './types.js';
import { IDENTITY_RULE_VERSION } from '../identityVersion.js';

export type { FolderState } from './types.js';

export interface StateIdentity {
  /** Display URLs without passwords. */
  storeA: string;
  storeB: string;
}

export interface OpenStateOptions {
  /** Dry run: no lock, no journal writes, no file or directory created; apply() only changes memory. */
  readOnly?: boolean;
}

/** A write of a copy of message `uid` of side `side` to the other side, whose result is not known. */
export interface UnresolvedIntent {
  nameA: string;
  nameB: string;
  side: 'a' | 'b';
  uid: number;
  gid: string;
}

/** A folder pair's unresolved intents: gid by uid, per side. */
interface PairIntents {
  nameA: string;
  nameB: string;
  a: Map<number, string>;
  b: Map<number, string>;
}

export class SyncState {
  readonly path: string;
  readonly isNew: boolean;
  /**
   * Things the user should hear about (a stale lock taken over, a run
   * recovered from its journal, a damaged section discarded). A section is
   * parsed when a run first needs it, so warnings can come later: see onWarning.
   */
  readonly warnings: string[] = [];
  private warningListener: ((text: string) => void) | null = null;

  private generation: number;
  /** Mode of the last committed run, as read; setMode() changes what the next commit writes. */
  private mode: StateMode | undefined;
  private filterKey = '';
  /** The global-id rule of the gids, as read (see identityVersion). */
  private identityRule = IDENTITY_RULE_VERSION;
  private readonly folders = new Map<string, FolderEntry>();
  private readonly intents = new Map<string, PairIntents>();
  private readonly interner = new FlagInterner();
  private journal: StateJournal | null = null;
  private lock: StateLock | null = null;
  private committing = false;
  /** Something differs from the file on disk (ops applied or replayed, mode changed). */
  private dirty = false;
  /**
   * Some section was discarded without its folder names (or every section, for
   * a count mismatch): a pair met later may be one of them, so it starts
   * discarded (in doubt, mirror keeps what only B has).
   */
  private lostSections = false;
  private closed = false;

  private constructor(
    path: string,
    private readonly identity: StateIdentity,
    private readonly readOnly: boolean,
    isNew: boolean,
    generation: number,
  ) {
    this.path = path;
    this.isNew = isNew;
    this.generation = generation;
  }

  static async open(path: string, identity: StateIdentity, options: OpenStateOptions = {}): Promise<SyncState> {
    const abs = resolve(path);
    const readOnly = options.readOnly === true;
    const warnings: string[] = [];
    let lock: StateLock | null = null;
    if (!readOnly) {
      try {
        await ensurePrivateDir(dirname(abs));
      } catch (e) {
        throw new StateError(writeFailureText(`cannot create the state directory ${dirname(abs)}`, e), { cause: e });
      }
      let taken;
      try {
        taken = await StateLock.acquire(abs);
      } catch (e) {
        if (e instanceof StateError) throw e;
        throw new StateError(writeFailureText(`cannot take the lock ${abs}.lock`, e), { cause: e });
      }
      lock = taken.lock;
      if (taken.warning) warnings.push(taken.warning);
      // We hold the lock, so no other run is writing one: these are a killed run's.
      await removeTempFiles(abs).catch(() => undefined);
    } else if (await exists(`${abs}.lock`)) {
      warnings.push(`${abs}.lock exists: another replimap run may be changing this state right now`);
    }
    try {
      const state = await SyncState.load(abs, identity, readOnly);
      state.lock = lock;
      state.warnings.unshift(...warnings);
      return state;
    } catch (e) {
      await lock?.release();
      throw e;
    }
  }

  private static async load(path: string, identity: StateIdentity, readOnly: boolean): Promise<SyncState> {
    let buf: Buffer | null;
    try {
      buf = await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StateError(`cannot read state file ${path}: ${(e as Error).message}`, { cause: e });
      }
      buf = null;
    }
    const state = buf === null ? new SyncState(path, identity, readOnly, true, 0) : SyncState.fromFile(path, identity, readOnly, buf);
    await state.recover();
    return state;
  }

  /** The state a file holds; its damaged sections discarded with a warning each (see stateScan.ts). */
  private static fromFile(path: string, identity: StateIdentity, readOnly: boolean, buf: Buffer): SyncState {
    const scanned = scanOrRefuse(path, buf);
    if (scanned.storeA !== identity.storeA || scanned.storeB !== identity.storeB) {
      throw new StateError(
        `state file ${path} belongs to stores A=${scanned.storeA} B=${scanned.storeB}, ` +
          `not to A=${identity.storeA} B=${identity.storeB}; choose another state file`,
      );
    }
    const state = new SyncState(path, identity, readOnly, false, scanned.generation);
    state.mode = scanned.mode;
    state.filterKey = scanned.messageFilter ?? '';
    state.identityRule = scanned.identityVersion;
    // An older format is rewritten as the current one by the next commit, even one that changes nothing.
    if (scanned.version !== STATE_FORMAT_VERSION) state.dirty = true;
    if (scanned.identityVersion !== IDENTITY_RULE_VERSION) state.warn(identityMismatchWarning(path, scanned.identityVersion));
    const onDiscard = (text: string): void => state.sectionDiscarded(text);
    for (const s of scanned.sections) {
      const raw = s.records.count > 0 ? s.records : null;
      state.folders.set(folderKey(s.header.nameA, s.header.nameB), FolderEntry.fromHeader(s.header, state.interner, path, onDiscard, raw));
    }
    for (const d of scanned.damaged) state.discardScanned(d);
    if (scanned.countMismatch) state.discardAll(scanned.countMismatch);
    return state;
  }

  /**
   * A section found damaged by the scan: its folder pair (when readable) is
   * kept with no statuses and no records, as FolderEntry.load leaves one.
   */
  private discardScanned({ names, line, problem }: DamagedSection): void {
    const where = `line ${problem.line}: ${problem.message}`;
    if (names === undefined) {
      this.lostSections = true;
      this.sectionDiscarded(
        `state file ${this.path}: the folder section at line ${line} is damaged (${where}); its folder names cannot be read, ` +
          `so the section is discarded and that folder is re-matched by global id (nothing is copied twice)`,
      );
      return;
    }
    const { nameA, nameB } = names;
    const entry = this.newEntry(nameA, nameB);
    entry.discard();
    this.folders.set(folderKey(nameA, nameB), entry);
    this.sectionDiscarded(damagedSectionWarning(this.path, nameA, nameB, where));
  }

  /**
   * The end marker's counts do not match the sections: some section gained or
   * lost lines, and which one is unknown. Every section is discarded, so every
   * folder is re-matched by global id; nothing stops the run.
   */
  private discardAll(problem: StateFormatError): void {
    for (const f of this.folders.values()) f.discard();
    this.lostSections = true;
    this.dirty = true;
    this.warn(
      `state file ${this.path} is damaged at line ${problem.line} (${problem.message}); which folder lost or gained ` +
        `records is unknown, so every folder's records are discarded and re-matched by global id ` +
        `(nothing is copied twice; this run reads every folder in full)`,
    );
  }

  /** A folder pair with no statuses and no records. */
  private newEntry(nameA: string, nameB: string): FolderEntry {
    return new FolderEntry(nameA, nameB, this.interner, this.path, (text) => this.sectionDiscarded(text));
  }

  /** A pair not in the file after a section was lost with its names: maybe that one, so discarded. */
  private pairOfLostSection(nameA: string, nameB: string): FolderEntry {
    const entry = this.newEntry(nameA, nameB);
    entry.discarded = true;
    this.dirty = true;
    return entry;
  }

  /** A FolderEntry discarded its damaged section: the next commit must write it anew. */
  private sectionDiscarded(text: string): void {
    this.dirty = true;
    this.warn(text);
  }

  private warn(text: string): void {
    this.warnings.push(text);
    this.warningListener?.(text);
  }

  /** Hands every warning so far to `listener`, then each later one as it happens. */
  onWarning(listener: (text: string) => void): void {
    for (const w of this.warnings) listener(w);
    this.warningListener = listener;
  }

  /** Replays a journal left by a run that did not commit. */
  private async recover(): Promise<void> {
    const journalPath = `${this.path}.journal`;
    const found = await readJournal(journalPath, this.identity, this.generation, this.interner, (op) => this.applyOp(op, 'replay'));
    let keepLength: number | null = null;
    if (found.kind === 'current') {
      if (found.ops > 0) this.warn(`recovered ${found.ops} change(s) from the journal of an interrupted run`);
      if (found.tornTail) {
        this.warn(
          `ignored an incomplete last line of ${journalPath} ` +
            `(a run was interrupted while writing it: killed, crashed, or the disk was full)`,
        );
      }
      if (found.badLine) {
        const { line, problem, dropped } = found.badLine;
        this.warn(
          `ignored ${journalPath} from line ${line} on (${problem}; ${dropped} line(s)), as if the run that wrote it had ` +
            `stopped there: the folders those lines were about are read again and re-matched by global id (nothing is copied twice)`,
        );
      }
      // Even with nothing replayed, the next commit must clear what was ignored.
      if (found.ops > 0 || found.tornTail || found.badLine) this.dirty = true;
      keepLength = found.validLength;
    } else if (found.kind === 'old' && !this.readOnly) {
      // Left by a crash right after a commit: everything in it is in the state.
      await unlink(journalPath).catch(() => undefined);
    }
    const keptVersion = found.kind === 'current' ? found.version : undefined;
    if (!this.readOnly) this.journal = new StateJournal(journalPath, this.identity, this.generation, keepLength, keptVersion);
  }

  /** The mode of the last committed run (undefined for a new state or an older file). */
  get lastMode(): StateMode | undefined {
    return this.mode;
  }

  /**
   * The version of the global-id rule the state's gids were computed with
   * (IDENTITY_RULE_VERSION for a new state, 1 for a format-1 file). When it is
   * not the current rule, a warning says so at open, and no gid may be trusted
   * to match a newly computed one until the pair is re-verified.
   */
  get identityVersion(): number {
    return this.identityRule;
  }

  /**
   * The rule the next commit records: the caller sets the current one once
   * every folder pair has been re-verified under it. Not journaled, like setMode.
   */
  setIdentityVersion(version: number): void {
    if (!Number.isSafeInteger(version) || version < 0) throw new TypeError(`bad identity rule version ${version}`);
    if (this.identityRule !== version) this.dirty = true;
    this.identityRule = version;
  }

  /**
   * The message filter (messageFilter.ts filterKey; '' for none) of the last
   * complete run: deferred records held back by another one are read again.
   */
  get messageFilter(): string {
    return this.filterKey;
  }

  /** The filter the next commit records: set by a complete run over every folder. Not journaled, like setMode. */
  setMessageFilter(key: string): void {
    if (this.filterKey !== key) this.dirty = true;
    this.filterKey = key;
  }

  /** The mode the next commit records. Not journaled: a run that dies before committing left no record of it. */
  setMode(mode: StateMode): void {
    if (this.mode !== mode) this.dirty = true;
    this.mode = mode;
  }

  folderKeys(): { nameA: string; nameB: string }[] {
    return [...this.folders.values()].map((f) => ({ nameA: f.nameA, nameB: f.nameB }));
  }

  folder(nameA: string, nameB: string): FolderState | undefined {
    return this.folders.get(folderKey(nameA, nameB));
  }

  /** True when a commit would write something the file does not hold yet. */
  get hasChanges(): boolean {
    return this.dirty;
  }

  /** Journals the op (buffered, in order) and applies it to memory. */
  apply(op: StateOp): void {
    if (this.closed) throw new Error('SyncState.apply: the state is closed');
    if (this.committing) throw new Error('SyncState.apply: called while commit() is running; await it first');
    this.applyOp(op, 'apply');
    this.dirty = true;
  }

  /** Writes buffered journal lines and fdatasyncs (nothing in a read-only state). */
  async flush(): Promise<void> {
    await this.journal?.flush();
  }

  /**
   * Rewrites the state file atomically as the next generation, then removes
   * the journal. Unchanged, never-parsed folder sections are copied byte for
   * byte. Pending intents are dropped. Nothing is written in a read-only state.
   */
  async commit(): Promise<void> {
    if (this.closed) throw new Error('SyncState.commit: the state is closed');
    if (this.readOnly || this.journal === null) return;
    if (this.committing) throw new Error('SyncState.commit: already committing');
    this.committing = true;
    try {
      // Durable first: if the rewrite fails, the journal still holds everything.
      await this.journal.flush();
      const generation = this.generation + 1;
      await this.writeFile(() => replaceFile(this.path, (out) => this.writeState(out, generation)));
      // The new file is in place: from now on the journal must be for it,
      // even if the directory fsync below fails.
      this.generation = generation;
      this.intents.clear();
      this.journal.invalidate(generation);
      await this.writeFile(() => fsyncDir(dirname(this.path)));
      // Only once the rename is durable may the old journal go.
      await this.journal.restart(generation);
      this.dirty = false;
    } finally {
      this.committing = false;
    }
  }

  /** Flushes the journal and releases the lock. Does not commit. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.journal?.close();
    } finally {
      await this.lock?.release();
    }
  }

  unresolvedIntents(): UnresolvedIntent[] {
    const out: UnresolvedIntent[] = [];
    for (const pending of this.intents.values()) {
      for (const side of ['a', 'b'] as const) {
        for (const [uid, gid] of pending[side]) out.push({ nameA: pending.nameA, nameB: pending.nameB, side, uid, gid });
      }
    }
    return out;
  }

  private async writeFile(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (e) {
      if (e instanceof StateError) throw e;
      throw new StateError(writeFailureText(`cannot write state file ${this.path}`, e), { cause: e });
    }
  }

  private async writeState(out: ChunkWriter, generation: number): Promise<void> {
    const { storeA, storeB } = this.identity;
    await out.text(stateHeaderText({ storeA, storeB, generation, identityVersion: this.identityRule, ...(this.mode && { mode: this.mode }), messageFilter: this.filterKey }));
    let total = 0;
    for (const f of this.folders.values()) {
      await out.text(sectionHeaderText(f));
      const raw = f.unchangedRaw();
      if (raw !== null) {
        await out.bytes(raw.buf.subarray(raw.start, raw.end));
        total += raw.count;
        continue;
      }
      let chunk = '';
      for (const r of f.records()) {
        chunk += encodeRecord(r) + '\n';
        if (chunk.length >= 1 << 20) {
          await out.text(chunk);
          chunk = '';
        }
      }
      await out.text(chunk);
      total += f.recordCount;
    }
    await out.text(endText(this.folders.size, total));
  }

  /**
   * Validates, journals and applies one op. A 'replay' op comes from the
   * journal: decodeOp has validated it and its records are fresh objects with
   * interned flags, so it is neither checked, copied, nor journaled again.
   */
  private applyOp(op: StateOp, source: 'apply' | 'replay'): void {
    if (source === 'apply') checkOp(op);
    if (op.op === 'rename-folder') this.renameFolder(op, source);
    else this.applyPairOp(op, source);
  }

  private applyPairOp(op: PairOp, source: 'apply' | 'replay'): void {
    const key = folderKey(op.nameA, op.nameB);
    // A journal op for a pair whose section was lost with its names: that pair, kept as discarded.
    if (source === 'replay' && this.lostSections && !this.folders.has(key) && op.op !== 'drop-folder') {
      this.folders.set(key, this.pairOfLostSection(op.nameA, op.nameB));
    }
    const entry = this.folders.get(key);
    if (entry === undefined && op.op !== 'folder' && op.op !== 'drop-folder') {
      throw new Error(`${op.op} for folder pair ${JSON.stringify(op.nameA)} / ${JSON.stringify(op.nameB)}, which was not declared (apply a 'folder' op first)`);
    }
    // Parse and index before journaling, so a damaged section is discarded before the op is written.
    if (op.op === 'put' || op.op === 'del') entry!.prepareChange();
    if (source === 'apply' && this.journal) this.journal.append(encodeOp(op, entry?.journalNames));
    const own = source === 'apply' ? (r: MessageRecord) => this.copyRecord(r) : (r: MessageRecord) => r;

    switch (op.op) {
      case 'folder':
        if (entry === undefined) {
          this.folders.set(key, this.lostSections ? this.pairOfLostSection(op.nameA, op.nameB) : this.newEntry(op.nameA, op.nameB));
        }
        return;
      case 'drop-folder':
        this.folders.delete(key);
        this.intents.delete(key);
        return;
      case 'status':
        this.applyStatus(entry!, op, source);
        return;
      case 'put':
        entry!.put(own(op.record));
        this.resolveIntents(key, [op.record]);
        return;
      case 'del':
        entry!.del(op.uidA, op.uidB);
        return;
      case 'reset':
        entry!.reset(op.records.map(own));
        this.resolveIntents(key, op.records);
        return;
      case 'intent':
        this.addIntent(key, op);
        return;
    }
  }

  private applyStatus(entry: FolderEntry, op: Extract<StateOp, { op: 'status' }>, source: 'apply' | 'replay'): void {
    // A section discarded at open (or during this replay) lost its records: the journal's statuses
    // would make the folder look up to date without them. Its puts are kept; it is read in full.
    if (source === 'replay' && entry.discarded) return;
    // A live status means the folder's sync completed: its records now carry their marks.
    entry.discarded = false;
    const s: SideStatus = { uidValidity: op.status.uidValidity, uidNext: op.status.uidNext, messages: op.status.messages };
    if (op.status.highestModseq !== undefined) s.highestModseq = op.status.highestModseq;
    if (op.status.size !== undefined) s.size = op.status.size;
    if (op.status.mailboxId !== undefined) s.mailboxId = op.status.mailboxId;
    if (op.side === 'a') entry.statusA = s;
    else entry.statusB = s;
  }

  /**
   * Moves a folder pair to its new names, records, statuses and intents with it.
   * Idempotent: nothing happens when the source pair is absent. A rename onto a
   * pair the state has is refused (two pairs are never merged silently); on
   * replay that ends the replay there, like any op that does not apply.
   */
  private renameFolder(op: Extract<StateOp, { op: 'rename-folder' }>, source: 'apply' | 'replay'): void {
    const from = folderKey(op.fromA, op.fromB);
    const to = folderKey(op.toA, op.toB);
    const entry = this.folders.get(from);
    if (entry === undefined || from === to) return;
    if (this.folders.has(to)) {
      throw new Error(
        `rename-folder ${JSON.stringify(op.fromA)} / ${JSON.stringify(op.fromB)} to ${JSON.stringify(op.toA)} / ${JSON.stringify(op.toB)}: ` +
          `the state already has that folder pair (drop it first; a rename never merges two pairs)`,
      );
    }
    if (source === 'apply' && this.journal) this.journal.append(encodeOp(op));
    this.folders.delete(from);
    this.folders.set(to, entry.renamed(op.toA, op.toB));
    const pending = this.intents.get(from);
    if (pending !== undefined) {
      this.intents.delete(from);
      this.intents.set(to, { ...pending, nameA: op.toA, nameB: op.toB });
    }
  }

  private addIntent(key: string, op: Extract<StateOp, { op: 'intent' }>): void {
    let pending = this.intents.get(key);
    if (pending === undefined) {
      pending = { nameA: op.nameA, nameB: op.nameB, a: new Map(), b: new Map() };
      this.intents.set(key, pending);
    }
    pending[op.side].set(op.uid, op.gid);
  }

  /**
   * A record holding a message's uid on a side settles the intent to copy that
   * message, unless its copy is still pending or deferred: then whether the
   * write happened is as unknown as before.
   */
  private resolveIntents(key: string, records: readonly MessageRecord[]): void {
    const pending = this.intents.get(key);
    if (pending === undefined) return;
    for (const r of records) {
      if (r.status !== undefined && r.status !== 'synced') continue;
      if (r.uidA !== 0) pending.a.delete(r.uidA);
      if (r.uidB !== 0) pending.b.delete(r.uidB);
    }
  }

  /** Our own copy, so later changes to the caller's object cannot reach the state; flags interned. */
  private copyRecord(r: MessageRecord): MessageRecord {
    const copy: MessageRecord = { uidA: r.uidA, uidB: r.uidB, gid: r.gid, flags: this.interner.intern(r.flags) };
    if (r.held !== undefined) copy.held = r.held;
    // 'synced' is what no status means: kept out so records compare (and are written) alike.
    if (r.status !== undefined && r.status !== 'synced') copy.status = r.status;
    if (r.byMessageId === true) copy.byMessageId = true;
    if (r.size !== undefined) copy.size = r.size;
    if (r.standIn !== undefined) {
      copy.standIn = r.standIn;
      copy.standInGid = r.standInGid!;
    }
    return copy;
  }
}

/** The file's structure, or the StateError (exit 4) that says what is wrong and what to do. */
function scanOrRefuse(path: string, buf: Buffer): ScannedState {
  try {
    return scanStateFile(buf);
  } catch (e) {
    if (e instanceof StateFormatError) {
      throw new StateError(
        `state file ${path} is corrupt at line ${e.line}: ${e.message}; move it aside (e.g. mv ${path} ${path}.damaged) ` +
          `and run again: the next run re-matches every folder by global id (nothing is copied twice; ` +
          `in mirror mode run once with --mode copy first: with no state, mirror deletes what only B has)`,
      );
    }
    if (e instanceof StateVersionError) {
      throw new StateError(
        `state file ${path} has version ${e.version}; this replimap reads versions ${SUPPORTED_VERSIONS.join(' and ')} ` +
          `(a newer replimap wrote it: use that one)`,
      );
    }
    throw e;
  }
}

function identityMismatchWarning(path: string, version: number): string {
  return (
    `state file ${path} holds global ids of identity rule ${version}, this replimap computes rule ${IDENTITY_RULE_VERSION}: ` +
    `its records are re-verified before they are trusted`
  );
}

/** Rejects ops that would write something unreadable or meaningless (a programming error). */
function checkOp(op: StateOp): void {
  if (op.op === 'rename-folder') {
    for (const name of [op.fromA, op.fromB, op.toA, op.toB]) if (typeof name !== 'string') throw new TypeError('folder names must be strings');
    return;
  }
  if (typeof op.nameA !== 'string' || typeof op.nameB !== 'string') throw new TypeError('folder names must be strings');
  switch (op.op) {
    case 'folder':
    case 'drop-folder':
      return;
    case 'status':
      if (op.side !== 'a' && op.side !== 'b') throw new TypeError(`bad side ${String(op.side)}`);
      if (!isValidStatus(op.status)) throw new TypeError(`bad status for side ${op.side}`);
      return;
    case 'put':
      checkRecord(op.record);
      return;
    case 'del':
      if (!isValidUid(op.uidA) || !isValidUid(op.uidB) || (op.uidA === 0 && op.uidB === 0)) {
        throw new TypeError(`bad uids for del: ${op.uidA} ${op.uidB}`);
      }
      return;
    case 'reset':
      for (const r of op.records) checkRecord(r);
      return;
    case 'intent':
      if (op.side !== 'a' && op.side !== 'b') throw new TypeError(`bad side ${String(op.side)}`);
      if (!isValidUid(op.uid) || op.uid === 0) throw new TypeError(`bad uid for intent: ${op.uid}`);
      if (!isValidGid(op.gid)) throw new TypeError(`bad gid ${JSON.stringify(op.gid)}`);
      return;
    default:
      throw new TypeError(`unknown state op ${JSON.stringify((op as { op: unknown }).op)}`);
  }
}

function checkRecord(r: MessageRecord): void {
  if (!isValidUid(r.uidA) || !isValidUid(r.uidB) || (r.uidA === 0 && r.uidB === 0)) {
    throw new TypeError(`bad uids for a record: ${r.uidA} ${r.uidB}`);
  }
  if (typeof r.gid !== 'string' || !isValidGid(r.gid)) throw new TypeError(`bad gid ${JSON.stringify(r.gid)}`);
  if (!isValidHeld(r)) throw new TypeError(`bad held mark ${JSON.stringify(r.held)} on a record ${r.uidA} ${r.uidB}`);
  if (!isValidRecordStatus(r)) throw new TypeError(`bad status ${JSON.stringify(r.status)} on a record ${r.uidA} ${r.uidB}`);
  if (!isValidStandIn(r)) throw new TypeError(`bad stand-in mark ${JSON.stringify(r.standIn)} on a record ${r.uidA} ${r.uidB}`);
  if (r.size !== undefined && !(Number.isSafeInteger(r.size) && r.size >= 0)) throw new TypeError(`bad size ${r.size} on a record ${r.uidA} ${r.uidB}`);
  if (!Array.isArray(r.flags)) throw new TypeError('record flags must be an array');
  for (const f of r.flags) if (typeof f !== 'string' || f === '') throw new TypeError(`bad flag ${JSON.stringify(f)}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
