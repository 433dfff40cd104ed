// Decisions taken from a folder's status alone (no SELECT): can it be skipped,
// did the server go back in time.

import type { SideStatus } from '../state/types.js';
import type { FolderStatus } from '../store/types.js';

/**
 * Nothing changed since the state was written: same UIDVALIDITY, UIDNEXT,
 * MESSAGES and HIGHESTMODSEQ, and the same SIZE where both have one. Without
 * a mod-sequence a flag change leaves no trace in the status, so such a folder
 * is never "unchanged" (like mbsync, it is scanned every run).
 */
export function statusUnchanged(stored: SideStatus | undefined, now: FolderStatus | undefined): boolean {
  if (!stored || !now) return false;
  if (stored.highestModseq === undefined || now.highestModseq === undefined) return false;
  return (
    stored.uidValidity === now.uidValidity &&
    stored.uidNext === now.uidNext &&
    stored.messages === now.messages &&
    stored.highestModseq === now.highestModseq &&
    !sizeDiffers(stored, now) &&
    !anotherMailbox(stored, now)
  );
}

/**
 * The folder went back in time with the same UIDVALIDITY (a server restored
 * from a backup): UIDNEXT or HIGHESTMODSEQ is lower than what the state saw,
 * or both are as recorded yet its SIZE is not (every append or expunge raises
 * HIGHESTMODSEQ, so only a restore plus new mail taking the lost UIDs and
 * mod-sequences gets there). UIDs at and above the restored UIDNEXT may now
 * be reused for other messages, so no UID of this folder can be trusted
 * without checking its global id.
 */
export function wentBackInTime(stored: SideStatus | undefined, now: FolderStatus | undefined): boolean {
  if (!stored || !now || stored.uidValidity !== now.uidValidity || anotherMailbox(stored, now)) return false;
  if (now.uidNext < stored.uidNext) return true;
  if (stored.highestModseq === undefined || now.highestModseq === undefined) return false;
  if (now.highestModseq < stored.highestModseq) return true;
  return now.highestModseq === stored.highestModseq && now.uidNext === stored.uidNext && sizeDiffers(stored, now);
}

/** Both know the folder's size, and it is not the same (absent on either side: nothing to tell). */
function sizeDiffers(stored: SideStatus, now: FolderStatus): boolean {
  return stored.size !== undefined && now.size !== undefined && stored.size !== now.size;
}

/**
 * A read's status (SELECT, which has no SIZE) with the size the listing gave,
 * when the listing's counters are the read's: the size is then that of the
 * folder the read saw. Otherwise (the folder changed in between) none.
 */
export function withListedSize(read: FolderStatus, listed: FolderStatus | undefined): FolderStatus {
  if (listed?.size === undefined) return read;
  const same =
    listed.uidValidity === read.uidValidity && listed.uidNext === read.uidNext &&
    listed.messages === read.messages && listed.highestModseq === read.highestModseq;
  return same ? { ...read, size: listed.size } : read;
}

/**
 * A read's status with the MAILBOXID the listing gave, when the listing's
 * UIDVALIDITY is the read's (a folder deleted and created again in between
 * has another). SELECT's own MAILBOXID is not read: imapflow drops it.
 */
export function withListedMailboxId(read: FolderStatus, listed: FolderStatus | undefined): FolderStatus {
  if (listed?.mailboxId === undefined || listed.uidValidity !== read.uidValidity) return read;
  return { ...read, mailboxId: listed.mailboxId };
}

/**
 * The listing gives the folder a MAILBOXID the state has not recorded (a
 * state from before ids, or a folder this side got in a run): it is read once,
 * so its status is recorded with the id, which later renames are proven by.
 */
export function mailboxIdUnrecorded(stored: SideStatus | undefined, now: FolderStatus | undefined): boolean {
  return stored !== undefined && stored.mailboxId === undefined && now?.mailboxId !== undefined;
}

/**
 * The folder the side lists under the pair's name is not the one the state
 * recorded: both have a MAILBOXID and they differ (deleted and created again,
 * or another folder renamed to this name). Like a new UIDVALIDITY, it voids
 * that side's UIDs in the records.
 */
export function anotherMailbox(stored: SideStatus | undefined, now: FolderStatus | undefined): boolean {
  return stored?.mailboxId !== undefined && now?.mailboxId !== undefined && stored.mailboxId !== now.mailboxId;
}
