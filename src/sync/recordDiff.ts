// Turns "records before" and "records after" into the fewest state ops.

import type { MessageRecord, StateOp } from '../state/types.js';
import { sameFlags } from './flags.js';

/** A record's identity within its folder: its pair of UIDs (0 for a side it lacks). */
export function recordKey(r: MessageRecord): string {
  return `${r.uidA}:${r.uidB}`;
}

/**
 * put/del ops for what changed; one 'reset' when that is shorter (a first
 * sync, a folder rebuilt after a UIDVALIDITY change).
 */
export function diffRecords(
  nameA: string,
  nameB: string,
  before: readonly MessageRecord[],
  after: readonly MessageRecord[],
): StateOp[] {
  const key = recordKey;
  const old = new Map<string, MessageRecord>();
  for (const r of before) old.set(key(r), r);

  const kept = new Set<string>();
  const puts: StateOp[] = [];
  for (const r of after) {
    const k = key(r);
    kept.add(k);
    const prev = old.get(k);
    if (!prev || prev.gid !== r.gid || prev.held !== r.held || prev.status !== r.status || prev.byMessageId !== r.byMessageId || prev.size !== r.size || prev.standIn !== r.standIn || prev.standInGid !== r.standInGid || !sameFlags(prev.flags, r.flags)) {
      puts.push({ op: 'put', nameA, nameB, record: r });
    }
  }
  // Deletions first: a record (5,0) that became (5,7) is a del and a put, and
  // the put must not be undone by the del.
  const ops: StateOp[] = [];
  for (const [k, r] of old) {
    if (!kept.has(k)) ops.push({ op: 'del', nameA, nameB, uidA: r.uidA, uidB: r.uidB });
  }
  ops.push(...puts);
  if (ops.length > after.length) return [{ op: 'reset', nameA, nameB, records: [...after] }];
  return ops;
}
