// UID FETCH: one command for a whole UID set, rows collected into a map
// (never a command while rows stream in), and the rows turned into the
// MessageState / MessageEnvelope shapes of the Store interface.

import { getStringList } from 'imapflow/lib/tools.js';
import { ImapCommandError } from './commandError.js';
import { IDENTITY_HEADER_NAMES, identityHeaders, MAX_HEADER_BYTES } from '../readRules.js';
import type { MessageEnvelope, MessageState } from '../types.js';
import { parseImapDateTime } from './imapDate.js';
import type { CommandAttribute, ImapAttribute, ImapResponse } from './imapflowInternals.js';
import type { ImapSession } from './session.js';
import { uidSetMatcher } from './uidSet.js';
import { reportedFlags } from '../names.js';

/** What one message's FETCH response(s) said; a server may split a message over several rows. */
export interface FetchRow {
  uid: number;
  flags?: string[];
  size?: number;
  internalDate?: Date;
  modseq?: bigint;
  /** BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT X-REPLIMAP-PLACEHOLDER)] */
  headers?: Buffer;
  /** BODY[] */
  body?: Buffer;
  /** BODY[HEADER]<0>: the start of the whole header (see HEADER_ITEM_BYTES) */
  header?: Buffer;
}

export type FetchItem = 'FLAGS' | 'RFC822.SIZE' | 'INTERNALDATE' | 'IDENTITY_HEADERS' | 'BODY' | 'HEADER';

/** The bytes of a header the HEADER item asks for: one past MAX_HEADER_BYTES, so a longer header shows as longer. */
export const HEADER_ITEM_BYTES = MAX_HEADER_BYTES + 1;

/** The FETCH items of an envelope, in one list so every envelope fetch asks the same. */
export const ENVELOPE_ITEMS: FetchItem[] = ['FLAGS', 'RFC822.SIZE', 'INTERNALDATE', 'IDENTITY_HEADERS'];

function itemAttribute(item: FetchItem): CommandAttribute {
  switch (item) {
    case 'IDENTITY_HEADERS':
      return {
        type: 'ATOM',
        value: 'BODY.PEEK',
        section: [{ type: 'ATOM', value: 'HEADER.FIELDS' }, IDENTITY_HEADER_NAMES.map((value) => ({ type: 'ATOM' as const, value }))],
      };
    case 'HEADER':
      return { type: 'ATOM', value: 'BODY.PEEK', section: [{ type: 'ATOM', value: 'HEADER' }], partial: [0, HEADER_ITEM_BYTES] };
    case 'BODY':
      // PEEK: reading a message must not set \Seen on it.
      return { type: 'ATOM', value: 'BODY.PEEK', section: [] };
    default:
      return { type: 'ATOM', value: item };
  }
}

function text(node: ImapAttribute | undefined): string | undefined {
  if (!node || Array.isArray(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (Buffer.isBuffer(node.value)) return node.value.toString('utf8');
  if (typeof node.value === 'number') return String(node.value);
  return undefined;
}

function bytes(node: ImapAttribute | undefined): Buffer | undefined {
  if (node === null) return Buffer.alloc(0); // NIL
  if (!node || Array.isArray(node)) return undefined;
  if (Buffer.isBuffer(node.value)) return node.value;
  if (typeof node.value === 'string') return Buffer.from(node.value, 'utf8');
  return undefined;
}

/** The data of one untagged FETCH response; undefined when it carries no UID. */
export function parseFetchRow(untagged: ImapResponse): Omit<FetchRow, 'uid'> & { uid?: number } {
  const row: Omit<FetchRow, 'uid'> & { uid?: number } = {};
  const list = untagged.attributes?.[1];
  if (!Array.isArray(list)) return row;
  for (let i = 0; i + 1 < list.length; i += 2) {
    const key = list[i];
    const value = list[i + 1];
    if (!key || Array.isArray(key) || typeof key.value !== 'string') continue;
    const name = key.value.toUpperCase();
    if (key.section) {
      if (name !== 'BODY' && name !== 'BINARY') continue;
      const first = key.section[0];
      const part = first && !Array.isArray(first) && typeof first.value === 'string' ? first.value.toUpperCase() : '';
      // BODY[] NIL (Dovecot, for a message another session expunged since ours saw it, with OK [EXPUNGEISSUED]):
      // no body, not an empty one; the message counts as not returned (a 0-byte literal stays an empty body).
      if (part === '') {
        if (value !== null) row.body = bytes(value);
      }
      else if (part.startsWith('HEADER.FIELDS')) row.headers = bytes(value);
      else if (part === 'HEADER') row.header = bytes(value);
      continue;
    }
    switch (name) {
      case 'UID': {
        const uid = Number(text(value));
        if (Number.isSafeInteger(uid) && uid > 0) row.uid = uid;
        break;
      }
      case 'FLAGS':
        row.flags = getStringList(value);
        break;
      case 'RFC822.SIZE': {
        const size = Number(text(value));
        if (Number.isSafeInteger(size) && size >= 0) row.size = size;
        break;
      }
      case 'INTERNALDATE': {
        const date = parseImapDateTime(text(value) ?? '');
        if (date) row.internalDate = date;
        break;
      }
      case 'MODSEQ': {
        const raw = Array.isArray(value) ? text(value[0]) : text(value);
        if (raw && /^\d+$/.test(raw)) row.modseq = BigInt(raw);
        break;
      }
    }
  }
  return row;
}

/**
 * Collects FETCH responses by UID, merging split rows (later values win).
 * Rows for UIDs the command did not ask for (unsolicited flag updates) are
 * dropped as they arrive, so their data is never kept.
 */
export class FetchCollector {
  readonly rows = new Map<number, FetchRow>();

  constructor(private readonly wanted: (uid: number) => boolean = () => true) {}

  readonly onFetch = (untagged: ImapResponse): void => {
    const row = parseFetchRow(untagged);
    if (row.uid === undefined || !this.wanted(row.uid)) return;
    const known = this.rows.get(row.uid);
    const merged: FetchRow = { ...known, uid: row.uid };
    for (const [key, value] of Object.entries(row)) {
      if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
    }
    this.rows.set(row.uid, merged);
  };
}

const ROW_FIELD: Record<FetchItem, keyof FetchRow> = {
  FLAGS: 'flags',
  'RFC822.SIZE': 'size',
  INTERNALDATE: 'internalDate',
  IDENTITY_HEADERS: 'headers',
  BODY: 'body',
  HEADER: 'header',
};

/** The row carries every item asked (a split row counts once merged). */
function hasItems(row: FetchRow, items: readonly FetchItem[]): boolean {
  return items.every((item) => row[ROW_FIELD[item]] !== undefined);
}

export interface UidFetchOptions {
  changedSince?: bigint;
  /**
   * UIDNEXT of the SELECT the set refers to ("1:*" then means the messages
   * present at that time). A row for a UID at or above it that lacks the asked
   * items is the server's unsolicited news about a message that arrived since
   * (e.g. "* 7 FETCH (UID 7 FLAGS (\\Seen))"), not an answer: it is ignored.
   * Below it, a row lacking items is a server error, left for the caller to report.
   */
  uidNext?: number;
}

/**
 * One `UID FETCH <set> (UID items...) [(CHANGEDSINCE m)]` on the selected folder,
 * each untagged FETCH handed to `onRow` as it arrives (nothing is kept here).
 */
export async function uidFetchRows(
  session: ImapSession,
  folder: string,
  set: string,
  items: readonly FetchItem[],
  onRow: (untagged: ImapResponse) => void,
  changedSince?: bigint,
): Promise<void> {
  const attributes: CommandAttribute[] = [
    { type: 'SEQUENCE', value: set },
    [{ type: 'ATOM', value: 'UID' }, ...items.map(itemAttribute)],
  ];
  if (changedSince !== undefined) {
    attributes.push([
      { type: 'ATOM', value: 'CHANGEDSINCE' },
      { type: 'ATOM', value: changedSince.toString() },
    ]);
  }
  await session.run('UID FETCH', attributes, `UID FETCH in "${folder}"`, { untagged: { FETCH: onRow } });
}

/** One UID FETCH's rows by UID (see uidFetchRows); rows for UIDs outside a listed set (unsolicited flag updates) are left out. */
export async function uidFetch(
  session: ImapSession,
  folder: string,
  set: string,
  items: FetchItem[],
  options: UidFetchOptions = {},
): Promise<Map<number, FetchRow>> {
  const collector = new FetchCollector(uidSetMatcher(set));
  await uidFetchRows(session, folder, set, items, collector.onFetch, options.changedSince);
  const { uidNext } = options;
  if (uidNext !== undefined && uidNext > 0) {
    for (const row of collector.rows.values()) if (row.uid >= uidNext && !hasItems(row, items)) collector.rows.delete(row.uid);
  }
  return collector.rows;
}


function incomplete(session: ImapSession, folder: string, uid: number, what: string): ImapCommandError {
  return new ImapCommandError('UID FETCH', `${session.label}: UID FETCH in "${folder}" returned no ${what} for UID ${uid}`, {
    store: session.label,
  });
}

export function toMessageState(session: ImapSession, folder: string, row: FetchRow): MessageState {
  if (!row.flags) throw incomplete(session, folder, row.uid, 'FLAGS');
  return { uid: row.uid, flags: reportedFlags(row.flags) };
}

/**
 * The envelope of a row, or what it lacks when an item is missing or could not
 * be parsed (a garbled INTERNALDATE): that message cannot be identified or
 * copied, which the caller reports for it alone, not a failed folder.
 */
function toEnvelope(row: FetchRow): MessageEnvelope | string {
  if (!row.flags || row.size === undefined || !row.internalDate) {
    const lacking = [!row.flags && 'FLAGS', row.size === undefined && 'RFC822.SIZE', !row.internalDate && 'INTERNALDATE'];
    return `no usable ${lacking.filter(Boolean).join(', ')} in its FETCH row`;
  }
  return { uid: row.uid, flags: reportedFlags(row.flags), size: row.size, internalDate: row.internalDate, identityHeaders: identityHeaders(row.headers) };
}

/** The envelopes of these rows, and why the rows that gave none did not (see toEnvelope). */
export function envelopesOf(rows: Iterable<FetchRow>): { envelopes: MessageEnvelope[]; incomplete: Map<number, string> } {
  const envelopes: MessageEnvelope[] = [];
  const incomplete = new Map<number, string>();
  for (const row of rows) {
    const envelope = toEnvelope(row);
    if (typeof envelope === 'string') incomplete.set(row.uid, envelope);
    else envelopes.push(envelope);
  }
  return { envelopes, incomplete };
}
