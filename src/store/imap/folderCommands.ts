// Commands on whole folders: CREATE, DELETE, SUBSCRIBE, and the size of a folder.

import { parseStatusList } from 'imapflow/lib/commands/status-fields.js';
import { ImapCommandError } from './commandError.js';
import type { ImapSession } from './session.js';
import { uidFetch } from './fetchMessages.js';

function saysAlready(error: unknown, responseCode: string, text: RegExp): boolean {
  if (!(error instanceof ImapCommandError)) return false;
  return error.responseCode?.toUpperCase() === responseCode || text.test(error.serverText ?? '');
}

/** CREATE; a folder that already exists is not an error (parents are the caller's business). */
export async function createFolder(session: ImapSession, name: string): Promise<void> {
  try {
    await session.run('CREATE', [session.mailbox(name)], `CREATE "${name}"`);
  } catch (error) {
    if (saysAlready(error, 'ALREADYEXISTS', /already exists/i)) return;
    throw error;
  }
}

/** DELETE; a folder that is already gone is not an error either. */
export async function deleteFolder(session: ImapSession, name: string): Promise<void> {
  try {
    await session.run('DELETE', [session.mailbox(name)], `DELETE "${name}"`);
  } catch (error) {
    if (saysAlready(error, 'NONEXISTENT', /does ?n[o']t exist|no such mailbox|not found/i)) return;
    throw error;
  }
}

export async function subscribeFolder(session: ImapSession, name: string): Promise<void> {
  await session.run('SUBSCRIBE', [session.mailbox(name)], `SUBSCRIBE "${name}"`);
}

/**
 * Leaves the selected folder without expunging anything (UNSELECT; CLOSE
 * would expunge \Deleted messages, so without UNSELECT the folder stays selected).
 */
export async function unselect(session: ImapSession): Promise<boolean> {
  if (!session.has('UNSELECT')) return false;
  await session.run('UNSELECT', false, 'UNSELECT');
  return true;
}

/** STATUS (SIZE) when the server has STATUS=SIZE; undefined when it has not. */
export async function statusSize(session: ImapSession, name: string): Promise<number | undefined> {
  if (!session.has('STATUS=SIZE')) return undefined;
  let size: number | undefined;
  await session.run('STATUS', [session.mailbox(name), [{ type: 'ATOM', value: 'SIZE' }]], `STATUS SIZE of "${name}"`, {
    untagged: {
      STATUS: (untagged) => {
        const list = untagged.attributes?.[1];
        if (!Array.isArray(list)) return;
        parseStatusList(list, (key, value) => {
          if (key === 'size' && typeof value === 'number') size = value;
        });
      },
    },
  });
  if (size === undefined) {
    throw new ImapCommandError('STATUS', `${session.label}: STATUS SIZE of "${name}" returned no size`, { store: session.label });
  }
  return size;
}

/** The sum of RFC822.SIZE over the messages of the folder selected now (EXAMINEd by the caller). */
export async function sumMessageSizes(session: ImapSession, folder: string, messages: number): Promise<number> {
  if (messages === 0) return 0;
  const rows = await uidFetch(session, folder, '1:*', ['RFC822.SIZE']);
  let total = 0;
  for (const row of rows.values()) total += row.size ?? 0;
  return total;
}
