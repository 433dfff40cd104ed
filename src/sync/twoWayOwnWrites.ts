// Two-way: knowing a side's status after our own writes, so the next run does
// not read them back. A folder side's recorded status is the one its SELECT
// reported before the run wrote anything (see recordStatuses in executor.ts),
// so every run would read again, and identity-check, all it wrote itself
// (after an initial run: every message it copied). Once a pair is done, each
// side it wrote to is read again from the read's HIGHESTMODSEQ, flags only
// (one QRESYNC SELECT, or SELECT + UID FETCH CHANGEDSINCE + UID SEARCH ALL).
// When that side holds exactly the messages the state records for it (count,
// nothing above the UIDs recorded) and every message changed since the read has
// the flags its record has, nobody else wrote anything the next run would act
// on: the new status is recorded. Otherwise the status from before our writes
// stays, and the next run reads the changes as always.

import { StoreError } from '../errors.js';
import type { SyncState } from '../state/SyncState.js';
import type { MessageRecord } from '../state/types.js';
import type { FolderRead, FolderStatus, Store } from '../store/types.js';
import { normalizedView, sameFlags } from './flags.js';
import type { FolderExecutionResult } from './executor.js';
import { sideLabel, SIDES, type Side } from './side.js';
import type { SyncObserver, SyncOptions } from './types.js';

/**
 * Does `now` (a flags-only read from `before`'s HIGHESTMODSEQ, after our writes)
 * show nothing but what the records say? Pure.
 */
export function showsOnlyRecorded(now: FolderRead, before: FolderStatus, records: readonly MessageRecord[], side: Side): boolean {
  if (now.uidValidityChanged || now.kind !== 'delta' || now.unread.length > 0) return false;
  if (now.status.uidValidity !== before.uidValidity || now.status.highestModseq === undefined) return false;
  const flagsByUid = new Map<number, readonly string[]>();
  let highestUid = 0;
  for (const r of records) {
    const uid = side === 'a' ? r.uidA : r.uidB;
    if (uid === 0) continue;
    flagsByUid.set(uid, r.flags);
    highestUid = Math.max(highestUid, uid);
  }
  // Another client's expunge shows in the count, its append in the count or UIDNEXT.
  if (now.status.messages !== flagsByUid.size) return false;
  if (now.status.uidNext > Math.max(before.uidNext, highestUid + 1)) return false;
  return now.messages.every((m) => {
    const recorded = flagsByUid.get(m.uid);
    return recorded !== undefined && sameFlags(normalizedView(m.flags), normalizedView(recorded));
  });
}

export interface OwnWritesSide {
  side: Side;
  /** The folder's name on that side. */
  name: string;
  /** Its status as this run read it (before writing). */
  before: FolderStatus;
  /** The server gives folder sizes (STATUS=SIZE): the status recorded carries one, which shows a restore. */
  sized: boolean;
}

/**
 * Reads each side again (flags only) and records its status now where it shows
 * only what the state records. Only an optimisation: a refusal records nothing.
 */
export async function recordOwnWritesTwoWay(
  stores: Record<Side, Store>,
  state: SyncState,
  pair: { nameA: string; nameB: string },
  sides: readonly OwnWritesSide[],
  observer: SyncObserver,
): Promise<void> {
  for (const check of sides) {
    const entry = state.folder(pair.nameA, pair.nameB);
    if (!entry || check.before.highestModseq === undefined) continue;
    try {
      const status = await statusIfOnlyRecorded(stores[check.side], check, entry.records());
      if (status) state.apply({ op: 'status', nameA: pair.nameA, nameB: pair.nameB, side: check.side, status });
      else observer.verbose(`${check.name}: changed during the run besides our own writes; it will be read again next time`);
    } catch (err) {
      if (!(err instanceof StoreError)) throw err; // a lost connection is the folder job's to handle
      observer.verbose(`${check.name}: could not read its status after this run's writes (${err.message}); it will be read again next time`);
    }
  }
  await state.flush();
}

/** The side's status now, when it shows only what `records` say; else undefined. */
async function statusIfOnlyRecorded(store: Store, { side, name, before, sized }: OwnWritesSide, records: readonly MessageRecord[]): Promise<FolderStatus | undefined> {
  const now = await store.readFolder(name, {
    readOnly: true, verify: false, flagsOnly: true,
    base: { uidValidity: before.uidValidity, uidNext: before.uidNext, highestModseq: before.highestModseq!, knownUids: [] },
  });
  if (!showsOnlyRecorded(now, before, records, side)) return undefined;
  // Taken after the read: a change in between also moves a counter, so the next run reads the folder anyway.
  return sized ? { ...now.status, size: await store.folderSize(name) } : now.status;
}

/**
 * The sides of a finished two-way pair worth reading again: those it wrote to,
 * when its statuses were recorded (nothing failed, withheld or cut short) and
 * no server-side transfer went into or out of it (such a folder is read again).
 */
export function ownWritesToCheck(
  options: Pick<SyncOptions, 'mode' | 'dryRun'>,
  pair: { nameA: string; nameB: string; reads: Record<Side, Pick<FolderRead, 'status'>>; listed?: Partial<Record<Side, FolderStatus>> },
  result: Pick<FolderExecutionResult, 'statusRecorded' | 'bySide' | 'reassigned'>,
  transfers: number,
): OwnWritesSide[] {
  if (options.mode !== 'two-way' || options.dryRun || !result.statusRecorded || transfers > 0) return [];
  const wrote = (side: Side): boolean => {
    const work = result.bySide[side];
    return work.copied + work.flagsUpdated + work.expunged > 0 || (result.reassigned ?? []).some((r) => r.side === sideLabel(side));
  };
  return SIDES.filter(wrote).map((side) => ({
    side, name: side === 'a' ? pair.nameA : pair.nameB, before: pair.reads[side].status,
    sized: pair.reads[side].status.size !== undefined || pair.listed?.[side]?.size !== undefined,
  }));
}
