// Server-side UID COPY and UID MOVE (RFC 6851) of messages of the selected
// folder, with where they landed read from COPYUID (RFC 4315): in the tagged
// OK of a COPY, in an untagged OK before the EXPUNGEs of a MOVE. And RENAME.

import type { CopyResult } from '../types.js';
import type { ImapResponse } from './imapflowInternals.js';
import { responseCodeParts } from './multiAppend.js';
import type { ImapSession } from './session.js';
import { expandUidSet, splitUidSets } from './uidSet.js';

/** Adds what a [COPYUID uidvalidity source-set target-set] code says to `result`; other codes change nothing. */
function noteCopyUid(response: ImapResponse, result: CopyResult): void {
  const [code, validity, from, to] = responseCodeParts(response);
  if (code?.toUpperCase() !== 'COPYUID' || !validity || !/^\d+$/.test(validity) || !from || !to) return;
  try {
    const sources = expandUidSet(from);
    const targets = expandUidSet(to);
    if (sources.length !== targets.length) return;
    result.uidValidity = BigInt(validity);
    sources.forEach((uid, i) => result.uids.set(uid, targets[i]!));
  } catch {
    // a malformed set tells nothing: the caller finds the copies by global id
  }
}

export async function copyOrMove(
  session: ImapSession,
  command: 'UID COPY' | 'UID MOVE',
  folder: string,
  uids: number[],
  target: string,
): Promise<CopyResult> {
  const result: CopyResult = { uids: new Map() };
  const onOk = (untagged: ImapResponse): void => noteCopyUid(untagged, result);
  for (const set of splitUidSets(uids)) {
    const what = `${command} from "${folder}" to "${target}"`;
    const response = await session.run(command, [{ type: 'SEQUENCE', value: set }, session.mailbox(target)], what, { untagged: { OK: onOk } });
    noteCopyUid(response, result);
  }
  return result;
}

export async function renameFolder(session: ImapSession, from: string, to: string): Promise<void> {
  await session.run('RENAME', [session.mailbox(from), session.mailbox(to)], `RENAME "${from}" to "${to}"`);
}
