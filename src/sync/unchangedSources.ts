// The records of pairs skipped as unchanged that server-side copies may use
// (planTransfers.ts: needSources): from the state alone, no server I/O, and
// only the records of the global ids asked for (an unparsed section is
// scanned, not loaded: memory stays bounded however big the account). A copy
// from an unchanged pair is checked before it is planned: its size question
// reads the UID's envelope, which must still hold the record's message.

import type { SyncState } from '../state/SyncState.js';
import type { MessageRecord } from '../state/types.js';
import type { UnchangedPairName } from './folderPlanTypes.js';
import type { UnchangedPair } from './planTransfers.js';
import { SIDES, uidOn, type Side } from './side.js';

export function unchangedSources(state: SyncState, unchanged: readonly UnchangedPairName[], wanted: Record<Side, readonly string[]>): UnchangedPair[] {
  const gids = { a: new Set(wanted.a), b: new Set(wanted.b) };
  const either = new Set([...wanted.a, ...wanted.b]);
  if (either.size === 0) return [];
  const out: UnchangedPair[] = [];
  for (const { label, nameA, nameB } of unchanged) {
    const folder = state.folder(nameA, nameB);
    const [statusA, statusB] = [folder?.statusA, folder?.statusB];
    if (folder === undefined || statusA === undefined || statusB === undefined) continue;
    // Only a record that holds a wanted global id on the side that wants it.
    const holds = (r: MessageRecord): boolean => SIDES.some((side) => uidOn(r, side) !== 0 && gids[side].has(r.gid));
    const records = folder.recordsWithGids(either).filter(holds);
    if (records.length === 0) continue;
    const status = { a: { uidValidity: statusA.uidValidity, uidNext: statusA.uidNext }, b: { uidValidity: statusB.uidValidity, uidNext: statusB.uidNext } };
    out.push({ label, nameA, nameB, status, records });
  }
  return out;
}
