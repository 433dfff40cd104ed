// Folder listing: one LIST ... RETURN (SPECIAL-USE SUBSCRIBED STATUS (...))
// where the server has LIST-STATUS, the classic LIST + LSUB + STATUS per
// folder otherwise.
//
// Written on exec() rather than imapflow's list(): that one adds the namespace
// prefix to names, guesses special use from folder names ("Sent" without a
// \Sent attribute), marks every folder subscribed when none is, and sends an
// LSUB when no folder came back subscribed. We want what the server says, in
// as few commands as it allows.

import { parseStatusList } from 'imapflow/lib/commands/status-fields.js';
import { getStringList } from 'imapflow/lib/tools.js';
import { ImapCommandError } from './commandError.js';
import type { FolderInfo, FolderStatus, SpecialUse } from '../types.js';
import type { CommandAttribute, ImapAttributeList, ImapResponse } from './imapflowInternals.js';
import type { ImapSession } from './session.js';

const SPECIAL_USES: readonly SpecialUse[] = ['\\All', '\\Archive', '\\Drafts', '\\Flagged', '\\Junk', '\\Sent', '\\Trash'];
const SPECIAL_USE_BY_NAME = new Map(SPECIAL_USES.map((use) => [use.toLowerCase(), use]));

/**
 * The STATUS items we read; HIGHESTMODSEQ only from a CONDSTORE server, SIZE
 * from one with STATUS=SIZE (in the same command: it shows a restore that gave
 * every other counter back, see SideStatus.size).
 */
function statusItems(condstore: boolean, size: boolean): CommandAttribute[] {
  const names = ['MESSAGES', 'UIDNEXT', 'UIDVALIDITY', ...(condstore ? ['HIGHESTMODSEQ'] : []), ...(size ? ['SIZE'] : [])];
  return names.map((value) => ({ type: 'ATOM', value }));
}

/** A STATUS response's item list as a FolderStatus; undefined when the server left out a required item. */
function toFolderStatus(list: ImapAttributeList, condstore: boolean): FolderStatus | undefined {
  const fields: Record<string, number | bigint> = {};
  parseStatusList(list, (key, value) => {
    fields[key] = value;
  });
  const { messages, uidNext, uidValidity, highestModseq, size } = fields;
  if (typeof messages !== 'number' || typeof uidNext !== 'number' || typeof uidValidity !== 'bigint') return undefined;
  const status: FolderStatus = { uidValidity, uidNext, messages };
  // 0 means "this mailbox has no mod-sequences" (RFC 7162 3.1.1)
  if (condstore && typeof highestModseq === 'bigint' && highestModseq > 0n) status.highestModseq = highestModseq;
  if (typeof size === 'number' && Number.isSafeInteger(size) && size >= 0) status.size = size;
  return status;
}

function parseListLine(session: ImapSession, untagged: ImapResponse): FolderInfo | undefined {
  const attributes = untagged.attributes;
  if (!attributes || attributes.length < 3) return undefined;
  const flags = getStringList(attributes[0]).map((flag) => flag.toLowerCase());
  const delimiterNode = attributes[1];
  const delimiter = delimiterNode && !Array.isArray(delimiterNode) && delimiterNode.value != null ? String(delimiterNode.value) : null;
  const nameNode = attributes[2];
  if (!nameNode || Array.isArray(nameNode)) return undefined;
  const name = session.decodeMailbox(nameNode.value);
  let specialUse: SpecialUse | undefined;
  for (const flag of flags) specialUse ??= SPECIAL_USE_BY_NAME.get(flag);
  const info: FolderInfo = {
    name,
    delimiter,
    subscribed: flags.includes('\\subscribed'),
    selectable: !flags.includes('\\noselect') && !flags.includes('\\nonexistent'),
  };
  if (specialUse) info.specialUse = specialUse;
  return info;
}

export async function listFolders(session: ImapSession, withStatus: boolean, condstore: boolean): Promise<FolderInfo[]> {
  const folders = new Map<string, FolderInfo>();
  const statuses = new Map<string, FolderStatus>();

  const onList = (untagged: ImapResponse): void => {
    const listed = parseListLine(session, untagged);
    if (!listed) return;
    const known = folders.get(listed.name);
    // A server may list a name twice (e.g. once per namespace): merge what they say.
    if (known) {
      known.subscribed ||= listed.subscribed;
      if (listed.specialUse) known.specialUse ??= listed.specialUse;
    } else {
      folders.set(listed.name, listed);
    }
  };
  const onStatus = (untagged: ImapResponse): void => {
    const attributes = untagged.attributes;
    const nameNode = attributes?.[0];
    const list = attributes?.[1];
    if (!nameNode || Array.isArray(nameNode) || !Array.isArray(list)) return;
    const status = toFolderStatus(list, condstore);
    // One folder's incomplete status is that folder's: it is asked directly, then left without one.
    if (status) statuses.set(session.decodeMailbox(nameNode.value), status);
  };

  const list = async (returnOptions: CommandAttribute[]): Promise<void> => {
    const args: CommandAttribute[] = [
      { type: 'STRING', value: '' },
      { type: 'STRING', value: '*' },
    ];
    if (returnOptions.length > 0) args.push({ type: 'ATOM', value: 'RETURN' }, returnOptions);
    await session.run('LIST', args, 'LIST', { untagged: { LIST: onList, STATUS: onStatus } });
  };

  const items = statusItems(condstore, session.has('STATUS=SIZE'));
  let extended = session.has('LIST-EXTENDED');
  if (extended) {
    const returnOptions: CommandAttribute[] = [];
    if (session.has('SPECIAL-USE')) returnOptions.push({ type: 'ATOM', value: 'SPECIAL-USE' });
    returnOptions.push({ type: 'ATOM', value: 'SUBSCRIBED' });
    if (withStatus && session.has('LIST-STATUS')) returnOptions.push({ type: 'ATOM', value: 'STATUS' }, items);
    try {
      await list(returnOptions);
    } catch (error) {
      // A server that advertises LIST-EXTENDED yet answers RETURN (...) with BAD: list the classic way.
      if (!(error instanceof ImapCommandError) || !/ BAD /.test(error.message)) throw error;
      folders.clear();
      statuses.clear();
      extended = false;
    }
  }
  if (!extended) await list([]);

  if (!extended) {
    // No RETURN (SUBSCRIBED): the subscriptions come from LSUB.
    await session.run('LSUB', [{ type: 'STRING', value: '' }, { type: 'STRING', value: '*' }], 'LSUB', {
      untagged: {
        LSUB: (untagged) => {
          const listed = parseListLine(session, untagged);
          const known = listed && folders.get(listed.name);
          if (known) known.subscribed = true;
        },
      },
    });
  }

  if (withStatus && session.has('OBJECTID')) await listMailboxIds(session, statuses);
  if (withStatus) {
    for (const info of folders.values()) {
      if (!info.selectable) continue;
      // No LIST-STATUS, or the server left this folder out of it: ask directly.
      if (!statuses.has(info.name)) await askStatus(session, info.name, items, onStatus);
      const status = statuses.get(info.name);
      // None still: the folder goes without (never skipped as unchanged; its SELECT reads it or fails it alone).
      if (status) info.status = status;
    }
  }
  return [...folders.values()];
}

/** RFC 8474's objectid: 1 to 255 of ALPHA, DIGIT, "_" and "-". */
const OBJECTID = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * The MAILBOXID of every folder, added to the statuses the listing gave (a
 * folder without one gets none). A LIST-STATUS of its own, asking MAILBOXID
 * alone: Cyrus 3.6 answers it with garbled bytes when it comes with the
 * counters in one LIST-STATUS (seen on 3.6.1), so one more round trip buys
 * ids that can be trusted. A server that refuses it leaves the folders without ids.
 */
async function listMailboxIds(session: ImapSession, statuses: Map<string, FolderStatus>): Promise<void> {
  const onStatus = (untagged: ImapResponse): void => {
    const nameNode = untagged.attributes?.[0];
    const list = untagged.attributes?.[1];
    if (!nameNode || Array.isArray(nameNode) || !Array.isArray(list)) return;
    const id = mailboxIdIn(list);
    const status = statuses.get(session.decodeMailbox(nameNode.value));
    if (id !== undefined && status !== undefined) status.mailboxId = id;
  };
  const args: CommandAttribute[] = [
    { type: 'STRING', value: '' },
    { type: 'STRING', value: '*' },
    { type: 'ATOM', value: 'RETURN' },
    [{ type: 'ATOM', value: 'STATUS' }, [{ type: 'ATOM', value: 'MAILBOXID' }]],
  ];
  try {
    await session.run('LIST', args, 'LIST of MAILBOXIDs', { untagged: { STATUS: onStatus } });
  } catch (error) {
    if (!(error instanceof ImapCommandError)) throw error;
  }
}

/** `MAILBOXID (<objectid>)` of a STATUS item list (imapflow's parseStatusList skips it); undefined when absent or not an objectid. */
export function mailboxIdIn(list: ImapAttributeList): string | undefined {
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i];
    if (!name || Array.isArray(name) || String(name.value).toUpperCase() !== 'MAILBOXID') continue;
    const value = list[i + 1];
    const id = Array.isArray(value) && value.length === 1 && !Array.isArray(value[0]) ? String(value[0]?.value ?? '') : '';
    return OBJECTID.test(id) ? id : undefined;
  }
  return undefined;
}

/** STATUS of one folder; a refusal (NO/BAD) leaves it without status, a lost connection ends the listing. */
async function askStatus(
  session: ImapSession,
  name: string,
  items: CommandAttribute[],
  onStatus: (untagged: ImapResponse) => void,
): Promise<void> {
  try {
    await session.run('STATUS', [session.mailbox(name), items], `STATUS of "${name}"`, { untagged: { STATUS: onStatus } });
  } catch (error) {
    if (!(error instanceof ImapCommandError)) throw error;
  }
}
