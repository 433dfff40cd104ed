// Which UIDs a selected folder holds now: one UID SEARCH ALL, answered as
// compact ranges where the server has ESEARCH.

import type { ImapSession } from './session.js';
import { expandUidSet } from './uidSet.js';

export async function searchAllUids(session: ImapSession, folder: string): Promise<Set<number>> {
  const uids = new Set<number>();
  const esearch = session.has('ESEARCH');
  const criteria = esearch
    ? [{ type: 'ATOM' as const, value: 'RETURN' }, [{ type: 'ATOM' as const, value: 'ALL' }], { type: 'ATOM' as const, value: 'ALL' }]
    : [{ type: 'ATOM' as const, value: 'ALL' }];
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
