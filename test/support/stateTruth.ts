// After a finished run, the state must tell the truth about both memory
// servers: every record's UIDs hold its message (by global id), no UID is in
// two records, every message of a folder both sides have has a record.

import { expect } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { envelopeOf } from '../../src/store/memory/readMemoryFolder.js';
import { globalId } from '../../src/sync/identity.js';

export async function checkStateTruth(
  servers: { a: MemoryServer; b: MemoryServer },
  statePath: string,
  identity: { storeA: string; storeB: string },
): Promise<void> {
  const state = await SyncState.open(statePath, identity, { readOnly: true });
  try {
    for (const name of servers.a.folderNames()) {
      const folder = state.folder(name, name);
      if (!folder || !servers.b.hasFolder(name)) continue;
      const records = folder.records();
      for (const side of ['a', 'b'] as const) {
        const server = servers[side];
        const gids = new Map(server.messages(name).map((m) => {
          const e = envelopeOf(m);
          return [m.uid, globalId(e.identityHeaders, e.size)];
        }));
        const seen = new Set<number>();
        for (const r of records) {
          const uid = side === 'a' ? r.uidA : r.uidB;
          if (uid === 0) continue;
          expect(gids.get(uid), `state: ${name} ${side.toUpperCase()} UID ${uid} holds its record's message`).toBe(r.gid);
          expect(seen.has(uid), `state: ${name} ${side.toUpperCase()} UID ${uid} in two records`).toBe(false);
          seen.add(uid);
        }
        expect([...gids.keys()].filter((uid) => !seen.has(uid)), `state: ${name} ${side.toUpperCase()} messages without a record`).toEqual([]);
      }
    }
  } finally {
    await state.close();
  }
}
