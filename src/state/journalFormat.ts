// The journal's line format, version 2. The first line names the state it
// applies to; every other line is one StateOp:
//
//   replimap-journal 2 <generation> "<store A>" "<store B>"
//   folder "<nameA>" "<nameB>"
//   drop-folder "<nameA>" "<nameB>"
//   rename-folder "<fromA>" "<fromB>" "<toA>" "<toB>"
//   status "<nameA>" "<nameB>" a|b <uidValidity> <uidNext> <highestModseq|-> <messages> [<size>]
//   put "<nameA>" "<nameB>" <uidA> <uidB> <gid> [%held:<kind>] [%status:<status>] [%mid] <flags…>
//   del "<nameA>" "<nameB>" <uidA> <uidB>
//   reset "<nameA>" "<nameB>" <count>[<TAB><uidA> <uidB> <gid> [%held:<kind>] [%status:<status>] [%mid] <flags…>]…
//   intent "<nameA>" "<nameB>" a|b <uid> <gid>
//
// One op is always one line, so a crash can only tear the last one. Record
// text is the state file's record line (flags percent-encoded, so no tabs).
//
// Version 1 (replimap up to issue 7) had no rename-folder and no %status:, and
// its intent line was `intent "<nameA>" "<nameB>" <uidA> <gid>`. Every version-1
// line is a valid version-2 line (that intent reads as side a), so one decoder
// reads both; a run that replays a version-1 journal appends version-2 lines to
// it after turning its header into version 2 (StateJournal), so an older
// replimap refuses the journal instead of dropping the lines it cannot read.
import type { MessageRecord, PairOp, StateOp } from './types.js';
import { FlagInterner, LineCursor, LineError, encodeRecord, encodeStatus, isValidGid, parseRecordAt, readStatus, type RecordSyntax } from './lineCodec.js';

export const JOURNAL_MAGIC = 'replimap-journal';
export const JOURNAL_FORMAT_VERSION = 2;
export const JOURNAL_SUPPORTED_VERSIONS: readonly number[] = [1, 2];
/** Journal record lines may carry statuses (a version-1 journal never has one: its writer had none). */
const JOURNAL_RECORDS: RecordSyntax = Object.freeze({ statuses: true });

export interface JournalHeader {
  version: number;
  generation: number;
  storeA: string;
  storeB: string;
}

export function encodeJournalHeader(h: Omit<JournalHeader, 'version'>): string {
  return `${JOURNAL_MAGIC} ${JOURNAL_FORMAT_VERSION} ${h.generation} ${JSON.stringify(h.storeA)} ${JSON.stringify(h.storeB)}`;
}

export function decodeJournalHeader(line: string): JournalHeader {
  const c = new LineCursor(line);
  if (c.word('magic') !== JOURNAL_MAGIC) throw new LineError('not a replimap journal');
  const version = c.uint('version');
  if (!JOURNAL_SUPPORTED_VERSIONS.includes(version)) {
    throw new LineError(`journal version ${version}; this replimap reads versions ${JOURNAL_SUPPORTED_VERSIONS.join(' and ')}`);
  }
  const generation = c.uint('generation', Number.MAX_SAFE_INTEGER);
  const storeA = c.json('store A');
  const storeB = c.json('store B');
  c.expectEnd();
  return { version, generation, storeA, storeB };
}

/**
 * @param names the pair op's two names as written (`encodeNames`), when the
 *   caller has them at hand: saves two JSON.stringify calls per op.
 */
export function encodeOp(op: StateOp, names?: string): string {
  if (op.op === 'rename-folder') return `rename-folder ${encodeNames(op.fromA, op.fromB)} ${encodeNames(op.toA, op.toB)}`;
  return encodePairOp(op, names ?? encodeNames(op.nameA, op.nameB));
}

function encodePairOp(op: PairOp, names: string): string {
  switch (op.op) {
    case 'folder':
    case 'drop-folder':
      return `${op.op} ${names}`;
    case 'status':
      return `status ${names} ${op.side} ${encodeStatus(op.status)}`;
    case 'put':
      return `put ${names} ${encodeRecord(op.record)}`;
    case 'del':
      return `del ${names} ${op.uidA} ${op.uidB}`;
    case 'reset': {
      let out = `reset ${names} ${op.records.length}`;
      for (const r of op.records) out += '\t' + encodeRecord(r);
      return out;
    }
    case 'intent':
      return `intent ${names} ${op.side} ${op.uid} ${op.gid}`;
  }
}

const OP_KINDS: ReadonlySet<string> = new Set(['folder', 'drop-folder', 'rename-folder', 'status', 'put', 'del', 'reset', 'intent']);

export function encodeNames(nameA: string, nameB: string): string {
  return `${JSON.stringify(nameA)} ${JSON.stringify(nameB)}`;
}

/**
 * Decodes one op line (of a version-1 or version-2 journal). The result is
 * fully validated (as SyncState.apply would check it), so a replay can apply
 * it as it is.
 */
export function decodeOp(line: string, interner: FlagInterner): StateOp {
  const tab = line.indexOf('\t');
  const head = new LineCursor(line, 0, tab === -1 ? line.length : tab);
  const kind = head.word('op');
  if (!OP_KINDS.has(kind)) throw new LineError(`unknown op ${JSON.stringify(kind.slice(0, 40))}`);
  const nameA = head.json('folder name on A');
  const nameB = head.json('folder name on B');
  if (kind !== 'reset' && tab !== -1) throw new LineError('unexpected tab');
  switch (kind) {
    case 'folder':
    case 'drop-folder':
      head.expectEnd();
      return { op: kind, nameA, nameB };
    case 'rename-folder': {
      const toA = head.json('new folder name on A');
      const toB = head.json('new folder name on B');
      head.expectEnd();
      return { op: 'rename-folder', fromA: nameA, fromB: nameB, toA, toB };
    }
    case 'status': {
      const side = readSide(head.word('side'));
      const status = readStatus(head);
      head.expectEnd();
      return { op: 'status', nameA, nameB, side, status };
    }
    case 'put': {
      const [start, end] = head.rest();
      if (start >= end) throw new LineError('missing record');
      return { op: 'put', nameA, nameB, record: parseRecordAt(line, start, end, interner, JOURNAL_RECORDS) };
    }
    case 'del': {
      const uidA = head.uint('uidA');
      const uidB = head.uint('uidB');
      head.expectEnd();
      if (uidA === 0 && uidB === 0) throw new LineError('del needs uidA or uidB');
      return { op: 'del', nameA, nameB, uidA, uidB };
    }
    case 'reset':
      return { op: 'reset', nameA, nameB, records: resetRecords(line, head, tab, interner) };
    case 'intent':
      return { op: 'intent', nameA, nameB, ...intentFields(head) };
    default:
      throw new LineError(`unknown op ${JSON.stringify(kind.slice(0, 40))}`);
  }
}

function readSide(word: string): 'a' | 'b' {
  if (word !== 'a' && word !== 'b') throw new LineError(`bad side ${JSON.stringify(word)}`);
  return word;
}

/** The tab-separated records after a reset's count (head: at the count). */
function resetRecords(line: string, head: LineCursor, tab: number, interner: FlagInterner): MessageRecord[] {
  const count = head.uint('record count', Number.MAX_SAFE_INTEGER);
  head.expectEnd();
  const records = [];
  let pos = tab;
  while (pos !== -1) {
    const next = line.indexOf('\t', pos + 1);
    records.push(parseRecordAt(line, pos + 1, next === -1 ? line.length : next, interner, JOURNAL_RECORDS));
    pos = next;
  }
  if (records.length !== count) throw new LineError(`reset says ${count} records, the line has ${records.length}`);
  return records;
}

/** `a|b <uid> <gid>`, or version 1's `<uidA> <gid>` (head: after the names). */
function intentFields(head: LineCursor): { side: 'a' | 'b'; uid: number; gid: string } {
  const first = head.word('side');
  const side = first === 'a' || first === 'b' ? first : 'a';
  const uid = side === first ? head.uint('uid') : parseLegacyUid(first);
  const gid = head.word('gid');
  head.expectEnd();
  if (uid === 0) throw new LineError('intent needs a uid');
  if (!isValidGid(gid)) throw new LineError('bad gid');
  return { side, uid, gid };
}

/** A version-1 intent's uidA, read as LineCursor.uint would. */
function parseLegacyUid(token: string): number {
  return new LineCursor(token).uint('side or uidA');
}
