// Did one side of a folder go back in time (a server restored from an older
// backup, same UIDVALIDITY)? Either its counters went down, or they moved on
// because new mail took the UIDs of the messages it lost: then a known UID
// holds another message than the state recorded for it, or a known UID is at
// or above UIDNEXT (never given yet, so taken back).

import type { MessageRecord, SideStatus } from '../state/types.js';
import type { FolderRead, MessageEnvelope } from '../store/types.js';
import { wentBackInTime } from './folderStatus.js';
import { identityOf } from './identity.js';
import { holdsAnotherMessage } from './knownIdentity.js';

/**
 * Why this side looks restored from a backup, in words for a warning, or
 * undefined when nothing says so. Looks only at what a read without verify
 * already returned: its status, and the envelopes it carries for known UIDs
 * (those reported changed, and the highest known one; see FolderRead). The
 * counters need a recorded status to compare with; the identities of known
 * UIDs do not (a folder whose runs always fail records none, yet has records).
 */
export function rollbackEvidence(
  stored: SideStatus | undefined,
  read: FolderRead,
  records: readonly MessageRecord[],
  side: 'a' | 'b',
): string | undefined {
  // Under another UIDVALIDITY the UIDs say nothing.
  if (read.uidValidityChanged || (stored && stored.uidValidity !== read.status.uidValidity)) return undefined;
  if (stored && wentBackInTime(stored, read.status)) {
    const now = read.status;
    // Counters as recorded, another SIZE: new mail took the lost UIDs and mod-sequences (see wentBackInTime).
    const size = stored.size !== undefined && now.size !== undefined && stored.size !== now.size ? `, SIZE ${stored.size} → ${now.size}` : '';
    return `UIDNEXT ${stored.uidNext} → ${now.uidNext}, HIGHESTMODSEQ ${stored.highestModseq ?? '-'} → ${now.highestModseq ?? '-'}${size}`;
  }
  // No UID at or above UIDNEXT was ever given: a record naming one (a killed run recorded it, a restore took it back)
  // proves the counters came back up to those recorded only by new mail, or that there are none (the killed run was
  // the first). Without a stored status this may also be a new UIDVALIDITY nothing recorded: that too must delete nothing.
  const beyond = knownUidsFrom(records, side, read.status.uidNext);
  if (beyond.length > 0) return `UID ${beyond[beyond.length - 1]} is known, yet UIDNEXT is ${read.status.uidNext}`;
  const reused = reusedKnownUids(records, side, read);
  if (reused.length === 0) return undefined;
  const shown = reused.length === 1 ? `UID ${reused[0]}` : `UIDs ${reused[0]}…${reused[reused.length - 1]} (${reused.length})`;
  return `${shown} now hold${reused.length === 1 ? 's' : ''} another message than recorded`;
}

/** Known UIDs of this side at or above `uidNext`, ascending. */
function knownUidsFrom(records: readonly MessageRecord[], side: 'a' | 'b', uidNext: number): number[] {
  const out: number[] = [];
  for (const record of records) {
    const uid = side === 'a' ? record.uidA : record.uidB;
    if (uid >= uidNext) out.push(uid);
  }
  return out.sort((x, y) => x - y);
}

/** Known UIDs of this side whose envelope in the read shows another message than the record's (see knownIdentity.ts). */
export function reusedKnownUids(records: readonly MessageRecord[], side: 'a' | 'b', read: FolderRead): number[] {
  if (read.envelopes.length === 0) return [];
  const seen = new Map<number, MessageEnvelope>();
  for (const e of read.envelopes) seen.set(e.uid, e);
  const reused: number[] = [];
  for (const record of records) {
    const uid = side === 'a' ? record.uidA : record.uidB;
    const envelope = uid === 0 ? undefined : seen.get(uid);
    if (envelope === undefined) continue;
    const now = identityOf(envelope);
    if (holdsAnotherMessage(record, side, now)) reused.push(uid);
  }
  return reused.sort((x, y) => x - y);
}
