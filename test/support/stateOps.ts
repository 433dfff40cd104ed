// Shared by the state tests and their child process: a deterministic stream of
// state ops, and a plain model of what any prefix of it must leave behind.
import type { MessageRecord, SideStatus, StateOp } from '../../src/state/types.js';

export const STATE_TEST_IDENTITY = { storeA: 'imap://alice@a.test/', storeB: 'imap://alice@b.test/' };
/** The folder pair churn run `run` works in. */
export function churnFolder(run: number): { nameA: string; nameB: string } {
  return { nameA: `INBOX ${run}`, nameB: `Posteingang ü ${run}` };
}

/**
 * Op n (1-based) of the churn stream: mostly puts of new messages, some flag
 * changes and deletions of earlier ones, and a status every tenth op.
 */
export function churnOp(n: number, run = 0): StateOp {
  const { nameA, nameB } = churnFolder(run);
  if (n % 10 === 0) {
    return { op: 'status', nameA, nameB, side: 'a', status: { uidValidity: 7n, uidNext: n + 1, highestModseq: 2n ** 62n + BigInt(n), messages: n } };
  }
  if (n % 7 === 0) return { op: 'del', nameA, nameB, uidA: n - 3, uidB: n - 3 + 1000 };
  if (n % 4 === 0) return { op: 'put', nameA, nameB, record: { uidA: n - 2, uidB: n - 2 + 1000, gid: `g${n - 2}`, flags: ['\\Flagged', '\\Seen'] } };
  return { op: 'put', nameA, nameB, record: { uidA: n, uidB: n + 1000, gid: `g${n}`, flags: n % 3 === 0 ? [] : ['\\Seen'] } };
}

/** The records and status A after churn ops 1..count (a simple model, not the real code). */
export function churnModel(count: number, run = 0): { records: Map<number, MessageRecord>; statusA?: SideStatus } {
  const records = new Map<number, MessageRecord>();
  let statusA: SideStatus | undefined;
  for (let n = 1; n <= count; n++) {
    const op = churnOp(n, run);
    if (op.op === 'put') records.set(op.record.uidA, op.record);
    else if (op.op === 'del') {
      if (records.get(op.uidA)?.uidB === op.uidB) records.delete(op.uidA);
    } else if (op.op === 'status') statusA = op.status;
  }
  return statusA === undefined ? { records } : { records, statusA };
}

/** The name of the folder pair after `renames` renames in the rename stream. */
export function renamedFolder(renames: number): { nameA: string; nameB: string } {
  return { nameA: `R ${renames}`, nameB: `Umbenannt "${renames}" ü` };
}

/**
 * Op n (1-based) of the rename stream: every third op renames the one folder
 * pair to its next name; the others put a record (every fourth of them one-sided, pending).
 */
export function renameOp(n: number): StateOp {
  const renames = Math.floor((n - 1) / 3);
  if (n % 3 === 0) {
    const from = renamedFolder(renames);
    const to = renamedFolder(renames + 1);
    return { op: 'rename-folder', fromA: from.nameA, fromB: from.nameB, toA: to.nameA, toB: to.nameB };
  }
  const record: MessageRecord = n % 4 === 1 ? { uidA: n, uidB: 0, gid: `g${n}`, flags: ['\\Seen'], status: 'pending' } : { uidA: n, uidB: n + 1000, gid: `g${n}`, flags: [] };
  return { op: 'put', ...renamedFolder(renames), record };
}

/** The folder pair's name and records after rename ops 1..count. */
export function renameModel(count: number): { names: { nameA: string; nameB: string }; records: Map<number, MessageRecord> } {
  const records = new Map<number, MessageRecord>();
  for (let n = 1; n <= count; n++) {
    const op = renameOp(n);
    if (op.op === 'put') records.set(op.record.uidA, op.record);
  }
  return { names: renamedFolder(Math.floor(count / 3)), records };
}
