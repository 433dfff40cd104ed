// Which UIDs a selected folder holds now: one UID SEARCH (ALL, or only within a
// UID set), answered as compact ranges where the server has ESEARCH.

import type { MessageFilter } from '../messageFilter.js';
import { searchDate } from './imapDate.js';
import type { CommandAttribute } from './imapflowInternals.js';
import type { ImapSession } from './session.js';
import { expandUidSet } from './uidSet.js';

/** Every UID of the folder. */
export function searchAllUids(session: ImapSession, folder: string): Promise<Set<number>> {
  return searchUids(session, folder, [{ type: 'ATOM', value: 'ALL' }]);
}

/** The UIDs of `set` (e.g. "3,7:9") the folder still holds. */
export function searchUidsIn(session: ImapSession, folder: string, set: string): Promise<Set<number>> {
  return searchUids(session, folder, [{ type: 'ATOM', value: 'UID' }, { type: 'SEQUENCE', value: set }]);
}

/**
 * The UIDs the filter holds back: one UID SEARCH of the keys that fail it
 * (OR LARGER max OR SMALLER min OR BEFORE since SINCE before), usually few.
 */
export function searchHeldBack(session: ImapSession, folder: string, filter: MessageFilter): Promise<Set<number>> {
  const keys: string[][] = [];
  if (filter.maxSize !== undefined) keys.push(['LARGER', String(filter.maxSize)]);
  if (filter.minSize !== undefined) keys.push(['SMALLER', String(filter.minSize)]);
  if (filter.since !== undefined) keys.push(['BEFORE', searchDate(filter.since)]);
  if (filter.before !== undefined) keys.push(['SINCE', searchDate(filter.before)]);
  if (keys.length === 0) return Promise.resolve(new Set());
  // OR takes two keys: "OR k1 OR k2 k3".
  const words = keys.flatMap((key, i) => (i < keys.length - 1 ? ['OR', ...key] : key));
  return searchUids(session, folder, words.map((value) => ({ type: 'ATOM', value })));
}

async function searchUids(session: ImapSession, folder: string, key: CommandAttribute[]): Promise<Set<number>> {
  const uids = new Set<number>();
  const esearch = session.has('ESEARCH');
  const criteria: CommandAttribute[] = esearch
    ? [{ type: 'ATOM', value: 'RETURN' }, [{ type: 'ATOM', value: 'ALL' }], ...key]
    : key;
  await session.run('UID SEARCH', criteria, `UID SEARCH in "${folder}"`, {
    untagged: {
      // * SEARCH 1 2 5
      SEARCH: (untagged) => {
        for (const uid of untagged.numbers ?? []) uids.add(uid);
      },
      // * ESEARCH (TAG "A5") UID ALL 1:3,5
      ESEARCH: (untagged) => {
        const attributes = untagged.attributes ?? [];
        for (let i = 0; i + 1 < attributes.length; i++) {
          const key = attributes[i];
          const value = attributes[i + 1];
          if (!key || Array.isArray(key) || String(key.value).toUpperCase() !== 'ALL') continue;
          if (value && !Array.isArray(value) && typeof value.value === 'string') for (const uid of expandUidSet(value.value)) uids.add(uid);
        }
      },
    },
  });
  return uids;
}
