// The small text codecs shared by the state file and its journal: a strict
// token cursor (bare words and JSON strings separated by single spaces), the
// record line `uidA uidB gid [%held:<kind>] [%status:<status>] [%mid] flags…`, the
// status fields, and flag interning.
// Everything here is pure; problems are thrown as LineError and turned into a
// StateError naming the file and line by the caller.
import type { HeldKind, MessageRecord, RecordStatus, SideStatus } from './types.js';

/** A malformed line. The caller adds the file name and line number. */
export class LineError extends Error {}

const MAX_UID = 0xffff_ffff;
const MAX_DECIMAL_DIGITS = 20; // 2^64 has 20 digits; mod-sequences are 63-bit

/** Reads one line token by token. Tokens are separated by exactly one space. */
export class LineCursor {
  private pos: number;
  constructor(
    readonly text: string,
    start = 0,
    private readonly end = text.length,
  ) {
    this.pos = start;
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  /** The next bare token (up to the next space or the end of the line). */
  word(what: string): string {
    if (this.atEnd()) throw new LineError(`missing ${what}`);
    let stop = this.text.indexOf(' ', this.pos);
    if (stop === -1 || stop > this.end) stop = this.end;
    if (stop === this.pos) throw new LineError(`empty ${what} (double space?)`);
    const token = this.text.slice(this.pos, stop);
    this.skipSeparator(stop);
    return token;
  }

  /** The next token, which must be a JSON string literal; returns its value. */
  json(what: string): string {
    if (this.atEnd() || this.text.charCodeAt(this.pos) !== 0x22) throw new LineError(`missing ${what} (a JSON string)`);
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      if (p >= this.end) throw new LineError(`unterminated JSON string for ${what}`);
      const c = this.text.charCodeAt(p);
      if (c === 0x5c) {
        escaped = true;
        p += 2;
      } else if (c === 0x22) break;
      else if (c < 0x20) throw new LineError(`control character in the JSON string for ${what}`);
      else p++;
    }
    let value: unknown;
    if (!escaped) {
      value = this.text.slice(this.pos + 1, p); // the common case: nothing to decode
    } else {
      try {
        value = JSON.parse(this.text.slice(this.pos, p + 1));
      } catch {
        throw new LineError(`bad JSON string for ${what}`);
      }
      if (typeof value !== 'string') throw new LineError(`bad JSON string for ${what}`);
    }
    this.skipSeparator(p + 1);
    return value as string;
  }

  /** A non-negative decimal integer that fits a UID-sized number. */
  uint(what: string, max = MAX_UID): number {
    const token = this.word(what);
    return parseUint(token, what, max);
  }

  bigint(what: string): bigint {
    const token = this.word(what);
    return parseBigDecimal(token, what);
  }

  /** Offsets of the rest of the line (for a record line embedded in a journal line). */
  rest(): [number, number] {
    const r: [number, number] = [this.pos, this.end];
    this.pos = this.end;
    return r;
  }

  expectEnd(): void {
    if (!this.atEnd()) throw new LineError(`unexpected text at the end of the line: ${JSON.stringify(this.text.slice(this.pos, Math.min(this.end, this.pos + 40)))}`);
  }

  private skipSeparator(stop: number): void {
    if (stop >= this.end) {
      this.pos = this.end;
      return;
    }
    if (this.text.charCodeAt(stop) !== 0x20) throw new LineError('tokens must be separated by one space');
    this.pos = stop + 1;
    if (this.pos >= this.end) throw new LineError('trailing space');
  }
}

function parseUint(token: string, what: string, max: number): number {
  if (!/^[0-9]{1,10}$/.test(token)) throw new LineError(`bad ${what} ${JSON.stringify(token)}`);
  const n = Number(token);
  if (n > max) throw new LineError(`${what} ${token} is out of range`);
  return n;
}

function parseBigDecimal(token: string, what: string): bigint {
  if (token.length > MAX_DECIMAL_DIGITS || !/^[0-9]+$/.test(token)) throw new LineError(`bad ${what} ${JSON.stringify(token)}`);
  return BigInt(token);
}

// ---- flags ---------------------------------------------------------------

// Flags are written as space-separated tokens. IMAP keywords are atoms (no
// spaces), but nothing downstream should break if a store hands us something
// odd, so any byte outside printable ASCII, and '%', is percent-encoded
// (UTF-8). Record lines therefore stay pure ASCII, which lets the loader decode
// record sections as latin1 (one byte per character, no UTF-8 work).
const PLAIN_FLAG = /^[\x21-\x24\x26-\x7e]+$/;
const ENCODED_FLAG = /^[\x21-\x7e]+$/;

export function encodeFlag(flag: string): string {
  if (PLAIN_FLAG.test(flag)) return flag;
  if (flag === '') throw new TypeError('a flag cannot be empty');
  let out = '';
  for (const byte of Buffer.from(flag, 'utf8')) {
    out += byte >= 0x21 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function decodeFlag(token: string): string {
  if (!ENCODED_FLAG.test(token)) throw new LineError(`bad flag ${JSON.stringify(token)}`);
  if (!token.includes('%')) return token;
  try {
    return decodeURIComponent(token);
  } catch {
    throw new LineError(`bad percent-encoding in flag ${JSON.stringify(token)}`);
  }
}

const NO_FLAGS: readonly string[] = Object.freeze([]);

/**
 * Shares one frozen array between all records with the same flag set: a
 * million records typically use a few dozen distinct sets.
 */
export class FlagInterner {
  private readonly byEncoded = new Map<string, readonly string[]>();

  /** From the encoded, space-separated form as written in a record line. */
  fromEncoded(encoded: string): readonly string[] {
    if (encoded === '') return NO_FLAGS;
    let flags = this.byEncoded.get(encoded);
    if (flags === undefined) {
      flags = Object.freeze(encoded.split(' ').map((t) => {
        if (t === '') throw new LineError('empty flag (double space?)');
        return decodeFlag(t);
      }));
      this.byEncoded.set(encoded, flags);
    }
    return flags;
  }

  /** The shared array equal to `flags` (same order). */
  intern(flags: readonly string[]): readonly string[] {
    return flags.length === 0 ? NO_FLAGS : this.fromEncoded(encodeFlags(flags));
  }
}

function encodeFlags(flags: readonly string[]): string {
  let out = '';
  for (let i = 0; i < flags.length; i++) out += (i === 0 ? '' : ' ') + encodeFlag(flags[i]!);
  return out;
}

// ---- records ---------------------------------------------------------------

/** A gid is one token of printable ASCII (in practice short base64url). */
const GID = /^[\x21-\x7e]+$/;

export function isValidGid(gid: string): boolean {
  return GID.test(gid);
}

export function isValidUid(uid: number): boolean {
  return Number.isInteger(uid) && uid >= 0 && uid <= MAX_UID;
}

/**
 * The token after the gid of a record marked `held: 'rollback'`; `%held:unknown`
 * marks `held: 'unknown'`. Neither can ever be a flag: encodeFlag writes '%' only
 * before two hex digits. A file without them reads as before; a replimap that
 * predates them refuses the line (a bad percent-encoding) rather than taking it
 * for a flag.
 */
export const HELD_ROLLBACK_TOKEN = '%held:rollback';
/** What every held token starts with. */
export const HELD_TOKEN_PREFIX = '%held:';
const HELD_KINDS: readonly HeldKind[] = ['rollback', 'unknown'];

/**
 * What a record status token starts with (`%status:pending`, `%status:deferred`;
 * 'synced' is written as nothing). Like the held token it can never be a flag;
 * it comes after the held token, and is read only where `statuses` allows it
 * (format 2 state files, journals): in a format-1 file it is damage.
 */
export const STATUS_TOKEN_PREFIX = '%status:';
const WRITTEN_STATUSES: readonly RecordStatus[] = ['pending', 'deferred'];
const RECORD_STATUSES: readonly RecordStatus[] = ['synced', ...WRITTEN_STATUSES];

/**
 * The token of a record whose global id hashes a Message-ID
 * (MessageRecord.byMessageId), after the status token. Like them it can never
 * be a flag ('m' is no hex digit), and is read where `statuses` allows (it came
 * with format 2): a file without it reads as before.
 */
export const MESSAGE_ID_TOKEN = '%mid';

/**
 * The token of a record's size (MessageRecord.size: a deferred record's, or
 * the one its gid hashes), after the status token if any: `%size:<n>`. Never a
 * flag ('s' is no hex digit); read where `statuses` allows.
 */
export const SIZE_TOKEN_PREFIX = '%size:';

/**
 * The token of a stand-in's record (MessageRecord.standIn, standInGid), after
 * the status and size tokens (the size: the original's): `%stand-in:<side>:<stand-in's gid>`.
 * After `%status:deferred`: the stand-in is being made, on the side the record lacks. Never a flag ('s' is no hex digit); read where `statuses` allows.
 * A replimap that predates it finds the line damaged (its section is then
 * re-matched by global id), as with the other format-2 tokens.
 */
export const STAND_IN_TOKEN_PREFIX = '%stand-in:';

/** Which optional record tokens a file's version allows. */
export interface RecordSyntax {
  /** `%status:` and `%mid` (format 2, journals). */
  statuses: boolean;
}

/** `uidA uidB gid [%held:<kind>] [%status:<status>] [%size:<n>] [%stand-in:<side>:<gid>] [%mid] flags…` without the newline. */
export function encodeRecord(r: MessageRecord): string {
  const flags = r.flags.length === 0 ? '' : ' ' + encodeFlags(r.flags);
  const held = r.held === undefined ? '' : ` ${HELD_TOKEN_PREFIX}${r.held}`;
  const status = r.status === undefined || r.status === 'synced' ? '' : ` ${STATUS_TOKEN_PREFIX}${r.status}`;
  const size = r.size !== undefined ? ` ${SIZE_TOKEN_PREFIX}${r.size}` : '';
  const standIn = r.standIn === undefined ? '' : ` ${STAND_IN_TOKEN_PREFIX}${r.standIn}:${r.standInGid}`;
  const byMessageId = r.byMessageId === true ? ` ${MESSAGE_ID_TOKEN}` : '';
  return `${r.uidA} ${r.uidB} ${r.gid}${held}${status}${size}${standIn}${byMessageId}${flags}`;
}

/** A held mark belongs on a record that lacks one side (the side that lost the message). */
export function isValidHeld(r: MessageRecord): boolean {
  return r.held === undefined || (HELD_KINDS.includes(r.held) && isOneSided(r));
}

/** A status other than 'synced' belongs on a record that lacks one side (the side its copy goes to). */
export function isValidRecordStatus(r: MessageRecord): boolean {
  return r.status === undefined || r.status === 'synced' || (RECORD_STATUSES.includes(r.status) && isOneSided(r));
}

/**
 * A stand-in mark names a side that holds a UID, and comes with no status
 * (but a deferred one's) and no held mark, but on a stand-in named alone (its
 * original's side lost it in a rollback: mirror waits for --force).
 */
export function isValidStandIn(r: MessageRecord): boolean {
  if (r.standIn === undefined) return r.standInGid === undefined;
  if (!(r.standIn === 'a' || r.standIn === 'b') || !isValidGid(r.standInGid ?? '') || (r.held !== undefined && !isOneSided(r))) return false;
  // Being made: a deferred one-sided record whose stand-in goes to the side it lacks.
  if (r.status === 'deferred') return (r.standIn === 'a' ? r.uidA : r.uidB) === 0 && isOneSided(r);
  return (r.standIn === 'a' ? r.uidA : r.uidB) !== 0 && (r.status === undefined || r.status === 'synced');
}

function isOneSided(r: MessageRecord): boolean {
  return (r.uidA === 0) !== (r.uidB === 0);
}

/** The word of `kinds` whose token (`prefix` + word) starts at `p` and ends at `end` or a space, if one does. */
function markTokenAt<K extends string>(text: string, p: number, end: number, prefix: string, kinds: readonly K[]): { kind: K; after: number } | undefined {
  if (!text.startsWith(prefix, p)) return undefined;
  for (const kind of kinds) {
    const after = p + prefix.length + kind.length;
    if (after > end || !text.startsWith(kind, p + prefix.length)) continue;
    if (after === end || text.charCodeAt(after) === 0x20) return { kind, after };
  }
  return undefined;
}

/**
 * Parses the record line text[start, end). Hand-written rather than a regex
 * or split(): this runs a million times when a big state is parsed.
 */
export function parseRecordAt(text: string, start: number, end: number, interner: FlagInterner, syntax: RecordSyntax): MessageRecord {
  let p = start;
  let uidA = 0;
  while (p < end && text.charCodeAt(p) !== 0x20) {
    const d = text.charCodeAt(p) - 48;
    if (d < 0 || d > 9) throw new LineError('bad uidA');
    uidA = uidA * 10 + d;
    p++;
  }
  if (p === start || p - start > 10 || uidA > MAX_UID) throw new LineError('bad uidA');
  if (p >= end) throw new LineError('missing uidB');
  const bStart = ++p;
  let uidB = 0;
  while (p < end && text.charCodeAt(p) !== 0x20) {
    const d = text.charCodeAt(p) - 48;
    if (d < 0 || d > 9) throw new LineError('bad uidB');
    uidB = uidB * 10 + d;
    p++;
  }
  if (p === bStart || p - bStart > 10 || uidB > MAX_UID) throw new LineError('bad uidB');
  if (uidA === 0 && uidB === 0) throw new LineError('a record needs uidA or uidB');
  if (p >= end) throw new LineError('missing gid');
  const gStart = ++p;
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === 0x20) break;
    if (c < 0x21 || c > 0x7e) throw new LineError('bad character in gid');
    p++;
  }
  if (p === gStart) throw new LineError('empty gid');
  const r: MessageRecord = { uidA, uidB, gid: text.slice(gStart, p), flags: NO_FLAGS };
  if (p < end && text.charCodeAt(p + 1) === 0x25) p = parseMarks(text, p, end, r, syntax); // '%': a mark (or a flag)
  if (p < end) {
    if (p + 1 >= end) throw new LineError('trailing space');
    r.flags = interner.fromEncoded(text.slice(p + 1, end));
  }
  return r;
}

/** Reads the held, status, size and Message-ID tokens after the gid (p: the space before them) into r; returns where they end. */
function parseMarks(text: string, p: number, end: number, r: MessageRecord, syntax: RecordSyntax): number {
  const twoSided = r.uidA !== 0 && r.uidB !== 0;
  const held = markTokenAt(text, p + 1, end, HELD_TOKEN_PREFIX, HELD_KINDS);
  if (held !== undefined) {
    if (twoSided) throw new LineError('a held mark on a record with both UIDs');
    r.held = held.kind;
    p = held.after;
  }
  const status = syntax.statuses && p < end ? markTokenAt(text, p + 1, end, STATUS_TOKEN_PREFIX, WRITTEN_STATUSES) : undefined;
  if (status !== undefined) {
    if (twoSided) throw new LineError(`a ${status.kind} status on a record with both UIDs`);
    r.status = status.kind;
    p = status.after;
  }
  if (syntax.statuses && p < end && text.startsWith(SIZE_TOKEN_PREFIX, p + 1)) p = parseSize(text, p + 1 + SIZE_TOKEN_PREFIX.length, end, r);
  const beingMade = status?.kind === 'deferred';
  // After a held mark, only on a stand-in named alone (isValidStandIn).
  if (syntax.statuses && (status === undefined || beingMade) && p < end && text.startsWith(STAND_IN_TOKEN_PREFIX, p + 1)) {
    p = parseStandIn(text, p + 1 + STAND_IN_TOKEN_PREFIX.length, end, r, beingMade);
  }
  const byMessageId = syntax.statuses && p < end ? markTokenAt(text, p + 1, end, MESSAGE_ID_TOKEN, ['']) : undefined;
  if (byMessageId !== undefined) {
    r.byMessageId = true;
    p = byMessageId.after;
  }
  return p;
}

/** `<side>:<gid>` of a `%stand-in:` token from `p` into r; returns where it ends. Rare: no hand-made loop. */
function parseStandIn(text: string, p: number, end: number, r: MessageRecord, beingMade: boolean): number {
  const space = text.indexOf(' ', p);
  const after = space === -1 || space > end ? end : space;
  const found = /^([ab]):([\x21-\x7e]+)$/u.exec(text.slice(p, after));
  if (found === null) throw new LineError('bad stand-in mark');
  r.standIn = found[1] as 'a' | 'b';
  r.standInGid = found[2]!;
  // A stand-in being made (after %status:deferred) goes to the side the record lacks; a made one is on a side it has.
  if (((r.standIn === 'a' ? r.uidA : r.uidB) === 0) !== beingMade) throw new LineError(beingMade ? 'a stand-in being made on a side with a UID' : 'a stand-in mark on a side without a UID');
  return after;
}

/** The digits of a `%size:` token from `p` into r.size; returns where they end. Rare (deferred and Message-ID-less records): no hand-made loop. */
function parseSize(text: string, p: number, end: number, r: MessageRecord): number {
  const space = text.indexOf(' ', p);
  const after = space === -1 || space > end ? end : space;
  const digits = text.slice(p, after);
  if (!/^[0-9]{1,15}$/.test(digits)) throw new LineError('bad size');
  r.size = Number(digits);
  return after;
}

// ---- status ---------------------------------------------------------------

/**
 * The token of a folder's MAILBOXID (SideStatus.mailboxId) at the end of a
 * status: `%mailboxid:<objectid>`. Its `%` tells it from a size.
 */
export const MAILBOX_ID_TOKEN_PREFIX = '%mailboxid:';
/** RFC 8474's objectid: 1 to 255 of ALPHA, DIGIT, "_" and "-" (so never a space in a line). */
const OBJECTID = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * `<uidValidity> <uidNext> <highestModseq|-> <messages> [<size>] [%mailboxid:<id>]`:
 * the size and the id only when known (older files have neither).
 */
export function encodeStatus(s: SideStatus): string {
  const size = s.size === undefined ? '' : ` ${s.size}`;
  const id = s.mailboxId === undefined ? '' : ` ${MAILBOX_ID_TOKEN_PREFIX}${s.mailboxId}`;
  return `${s.uidValidity} ${s.uidNext} ${s.highestModseq === undefined ? '-' : s.highestModseq} ${s.messages}${size}${id}`;
}

export function readStatus(c: LineCursor): SideStatus {
  const uidValidity = c.bigint('UIDVALIDITY');
  const uidNext = c.uint('UIDNEXT', MAX_UID + 1);
  const modseq = c.word('HIGHESTMODSEQ');
  const messages = c.uint('MESSAGES', MAX_UID);
  const status: SideStatus = { uidValidity, uidNext, messages };
  if (modseq !== '-') status.highestModseq = parseBigDecimal(modseq, 'HIGHESTMODSEQ');
  let token = c.atEnd() ? undefined : c.word('SIZE or MAILBOXID');
  if (token !== undefined && !token.startsWith(MAILBOX_ID_TOKEN_PREFIX)) {
    status.size = parseFolderSize(token);
    token = c.atEnd() ? undefined : c.word('MAILBOXID');
  }
  if (token !== undefined) status.mailboxId = parseMailboxId(token);
  return status;
}

function parseMailboxId(token: string): string {
  const id = token.startsWith(MAILBOX_ID_TOKEN_PREFIX) ? token.slice(MAILBOX_ID_TOKEN_PREFIX.length) : '';
  if (!OBJECTID.test(id)) throw new LineError(`bad MAILBOXID ${JSON.stringify(token)}`);
  return id;
}

/** A folder's size (STATUS SIZE is 63-bit; a JS number is exact up to 2^53). */
function parseFolderSize(token: string): number {
  if (!/^[0-9]{1,16}$/.test(token) || Number(token) > Number.MAX_SAFE_INTEGER) throw new LineError(`bad SIZE ${JSON.stringify(token)}`);
  return Number(token);
}

export function isValidStatus(s: SideStatus): boolean {
  return (
    typeof s.uidValidity === 'bigint' && s.uidValidity >= 0n && s.uidValidity.toString().length <= MAX_DECIMAL_DIGITS &&
    Number.isInteger(s.uidNext) && s.uidNext >= 0 && s.uidNext <= MAX_UID + 1 &&
    (s.highestModseq === undefined || (typeof s.highestModseq === 'bigint' && s.highestModseq >= 0n && s.highestModseq.toString().length <= MAX_DECIMAL_DIGITS)) &&
    Number.isInteger(s.messages) && s.messages >= 0 && s.messages <= MAX_UID &&
    (s.size === undefined || (Number.isSafeInteger(s.size) && s.size >= 0)) &&
    (s.mailboxId === undefined || (typeof s.mailboxId === 'string' && OBJECTID.test(s.mailboxId)))
  );
}
