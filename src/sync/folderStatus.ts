// Decisions taken from a folder's status alone (no SELECT): can it be skipped,
// did the server go back in time.

import type { SideStatus } from '../state/types.js';
import type { FolderStatus } from '../store/types.js';

/**
 * Nothing changed since the state was written: same UIDVALIDITY, UIDNEXT,
 * MESSAGES and HIGHESTMODSEQ. Without a mod-sequence a flag change leaves no
 * trace in the status, so such a folder is never "unchanged" (like mbsync,
 * it is scanned every run).
 */
export function statusUnchanged(stored: SideStatus | undefined, now: FolderStatus | undefined): boolean {
  if (!stored || !now) return false;
  if (stored.highestModseq === undefined || now.highestModseq === undefined) return false;
  return (
    stored.uidValidity === now.uidValidity &&
    stored.uidNext === now.uidNext &&
    stored.messages === now.messages &&
    stored.highestModseq === now.highestModseq
  );
}

/**
 * The folder went back in time with the same UIDVALIDITY (a server restored
 * from a backup): UIDNEXT or HIGHESTMODSEQ is lower than what the state saw.
 * UIDs at and above the restored UIDNEXT may now be reused for other
 * messages, so no UID of this folder can be trusted without checking its
 * global id.
 */
export function wentBackInTime(stored: SideStatus | undefined, now: FolderStatus | undefined): boolean {
  if (!stored || !now || stored.uidValidity !== now.uidValidity) return false;
  if (now.uidNext < stored.uidNext) return true;
  return stored.highestModseq !== undefined && now.highestModseq !== undefined && now.highestModseq < stored.highestModseq;
}
