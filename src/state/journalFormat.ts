// The journal's line format, version 1. The first line names the state it
// applies to; every other line is one StateOp:
//
//   replimap-journal 1 <generation> "<store A>" "<store B>"
//   folder "<nameA>" "<nameB>"
//   drop-folder "<nameA>" "<nameB>"
//   status "<nameA>" "<nameB>" a|b <uidValidity> <uidNext> <highestModseq|-> <messages>
//   put "<nameA>" "<nameB>" <uidA> <uidB> <gid> [%held:<kind>] <flags…>
//   del "<nameA>" "<nameB>" <uidA> <uidB>
//   reset "<nameA>" "<nameB>" <count>[<TAB><uidA> <uidB> <gid> [%held:<kind>] <flags…>]…
//   intent "<nameA>" "<nameB>" <uidA> <gid>
//
// One op is always one line, so a crash can only tear the last one. Record
// text is the state file's record line (flags percent-encoded, so no tabs).
import type { StateOp } from './types.js';
import { FlagInterner, LineCursor, LineError, encodeRecord, encodeStatus, isValidGid, parseRecordAt, readStatus } from './lineCodec.js';

export const JOURNAL_MAGIC = 'replimap-journal';
export const JOURNAL_FORMAT_VERSION = 1;

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
  if (version !== JOURNAL_FORMAT_VERSION) throw new LineError(`journal version ${version}; this replimap reads version ${JOURNAL_FORMAT_VERSION}`);
  const generation = c.uint('generation', Number.MAX_SAFE_INTEGER);
  const storeA = c.json('store A');
  const storeB = c.json('store B');
  c.expectEnd();
  return { version, generation, storeA, storeB };
}

/**
 * @param names the op's two names as written (`encodeNames`), when the caller
 *   has them at hand: saves two JSON.stringify calls per op.
 */
export function encodeOp(op: StateOp, names = encodeNames(op.nameA, op.nameB)): string {
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
      return `intent ${names} ${op.uidA} ${op.gid}`;
  }
}

const OP_KINDS: ReadonlySet<string> = new Set(['folder', 'drop-folder', 'status', 'put', 'del', 'reset', 'intent']);

export function encodeNames(nameA: string, nameB: string): string {
  return `${JSON.stringify(nameA)} ${JSON.stringify(nameB)}`;
}

/**
 * Decodes one op line. The result is fully validated (as SyncState.apply
 * would check it), so a replay can apply it as it is.
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
    case 'status': {
      const side = head.word('side');
      if (side !== 'a' && side !== 'b') throw new LineError(`bad side ${JSON.stringify(side)}`);
      const status = readStatus(head);
      head.expectEnd();
      return { op: 'status', nameA, nameB, side, status };
    }
    case 'put': {
      const [start, end] = head.rest();
      if (start >= end) throw new LineError('missing record');
      return { op: 'put', nameA, nameB, record: parseRecordAt(line, start, end, interner) };
    }
    case 'del': {
      const uidA = head.uint('uidA');
      const uidB = head.uint('uidB');
      head.expectEnd();
      if (uidA === 0 && uidB === 0) throw new LineError('del needs uidA or uidB');
      return { op: 'del', nameA, nameB, uidA, uidB };
    }
    case 'reset': {
      const count = head.uint('record count', Number.MAX_SAFE_INTEGER);
      head.expectEnd();
      const records = [];
      let pos = tab;
      while (pos !== -1) {
        const next = line.indexOf('\t', pos + 1);
        records.push(parseRecordAt(line, pos + 1, next === -1 ? line.length : next, interner));
        pos = next;
      }
      if (records.length !== count) throw new LineError(`reset says ${count} records, the line has ${records.length}`);
      return { op: 'reset', nameA, nameB, records };
    }
    case 'intent': {
      const uidA = head.uint('uidA');
      const gid = head.word('gid');
      head.expectEnd();
      if (uidA === 0) throw new LineError('intent needs a uidA');
      if (!isValidGid(gid)) throw new LineError('bad gid');
      return { op: 'intent', nameA, nameB, uidA, gid };
    }
    default:
      throw new LineError(`unknown op ${JSON.stringify(kind.slice(0, 40))}`);
  }
}
