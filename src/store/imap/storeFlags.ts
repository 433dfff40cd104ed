// UID STORE and UID EXPUNGE on the selected folder. Written on exec() rather
// than imapflow's messageFlagsAdd(): that one silently drops flags missing
// from PERMANENTFLAGS and answers a NO with `false`; here every flag goes to
// the server and a NO comes back as an ImapCommandError with the server's text.

import { ImapCommandError } from './commandError.js';
import type { ImapSession } from './session.js';
import { splitUidSets } from './uidSet.js';
import { withoutRecent } from '../names.js';

export async function storeFlags(session: ImapSession, folder: string, uids: number[], flags: string[], add: boolean): Promise<void> {
  const sent = withoutRecent(flags);
  if (uids.length === 0 || sent.length === 0) return;
  const item = add ? '+FLAGS.SILENT' : '-FLAGS.SILENT';
  for (const set of splitUidSets(uids)) {
    await session.run(
      'UID STORE',
      [{ type: 'SEQUENCE', value: set }, { type: 'ATOM', value: item }, sent.map((value) => ({ type: 'ATOM' as const, value }))],
      `UID STORE ${item} in "${folder}"`,
    );
  }
}

/** Exactly these messages: \Deleted on them, then UID EXPUNGE of them. Never a plain EXPUNGE. */
export async function expungeUids(session: ImapSession, folder: string, uids: number[]): Promise<void> {
  if (uids.length === 0) return;
  if (!session.has('UIDPLUS')) {
    // Checked before anything is flagged: a plain EXPUNGE would also remove messages
    // someone else marked \Deleted, so without UIDPLUS nothing is touched at all.
    throw new ImapCommandError(
      'UID EXPUNGE',
      `${session.label}: cannot expunge single messages in "${folder}": the server lacks UIDPLUS (UID EXPUNGE); nothing was expunged`,
      { store: session.label },
    );
  }
  await storeFlags(session, folder, uids, ['\\Deleted'], true);
  for (const set of splitUidSets(uids)) {
    await session.run('UID EXPUNGE', [{ type: 'SEQUENCE', value: set }], `UID EXPUNGE in "${folder}"`);
  }
}
