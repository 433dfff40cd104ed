// Copy mode: knowing B's status after our own writes, so the next run does
// not read them back. The status recorded for a folder is normally the one
// its SELECT reported before the run wrote anything (recording a later one
// could hide someone else's change). In copy mode the only changes on B that
// matter are appends and expunges, and both show in UIDNEXT and MESSAGES: if
// B's status at the end of the run shows exactly our own appends, nobody else
// appended or expunged meanwhile, and that status can be recorded. A flag
// change someone else made on B in between goes unseen, which copy mode may
// allow: it never propagates B's flags, and a later mirror run reads all of
// B's flags anyway (see rescanB in planFolders.ts).

import type { SyncState } from '../state/SyncState.js';
import type { FolderRead, Store } from '../store/types.js';
import type { FolderExecutionResult } from './executor.js';
import type { FolderPairJob, SyncObserver, SyncOptions } from './types.js';

export interface ExpectedStatus {
  nameA: string;
  nameB: string;
  uidValidity: bigint;
  uidNext: number;
  messages: number;
}

/**
 * B's UIDNEXT and message count once this run's own appends (copies and
 * stand-ins) and new UIDs are in, when they are exactly known: copy mode, every append's and new UID
 * reported, no expunge, nothing failed, and something written at all.
 */
export function expectedStatusOfB(
  options: SyncOptions,
  job: FolderPairJob,
  readB: Pick<FolderRead, 'status'>,
  result: FolderExecutionResult,
): ExpectedStatus | undefined {
  if (options.mode !== 'copy' || options.dryRun || !result.statusRecorded) return undefined;
  // A message given a new UID (uidReassign.ts) moved within the folder: UIDNEXT past it, MESSAGES as before.
  const renumbered = result.reassigned ?? [];
  if (result.appendsWithoutUid > 0 || result.expunged > 0 || renumbered.some((r) => r.newUid === undefined)) return undefined;
  // What the run appended to B: its copies and its stand-ins (--placeholders; transfers never reach here, see deletePass).
  const appended = result.copied + result.standInsAppended.b;
  if (appended === 0 && result.flagsUpdated === 0 && renumbered.length === 0) return undefined; // nothing of ours to account for
  return {
    nameA: job.nameA,
    nameB: job.nameB,
    uidValidity: readB.status.uidValidity,
    uidNext: Math.max(readB.status.uidNext, result.maxAppendedUid + 1),
    messages: readB.status.messages + appended,
  };
}

/**
 * One more LIST-STATUS of B at the end of the run. A folder whose status shows
 * exactly what was expected gets it recorded; any other keeps the status from
 * before our writes, and the next run reads the changes.
 */
export async function recordOwnWritesOnB(
  storeB: Store,
  state: SyncState,
  expected: ExpectedStatus[],
  observer: SyncObserver,
): Promise<void> {
  let listed;
  try {
    listed = await storeB.listFolders({ status: true });
  } catch (err) {
    // Only an optimisation: without it the next run reads these folders again.
    observer.verbose(`could not read B's folder status at the end of the run: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  const now = new Map(listed.map((f) => [f.name, f.status]));
  for (const e of expected) {
    const status = now.get(e.nameB);
    if (status && status.uidValidity === e.uidValidity && status.uidNext === e.uidNext && status.messages === e.messages) {
      state.apply({ op: 'status', nameA: e.nameA, nameB: e.nameB, side: 'b', status });
    } else {
      observer.verbose(`${e.nameB}: B changed during the run; it will be read again next time`);
    }
  }
  await state.flush();
}

