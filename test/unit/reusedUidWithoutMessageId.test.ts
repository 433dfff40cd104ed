// Bug 3 (issue 8 §2), as a table on memory servers through the real engine: a
// known UID of B whose record's message had no Message-ID now holds a message
// without Message-ID and another global id. The record keeps the size its id
// hashes (MessageRecord.size), so the headers alone tell the two cases apart:
// - the same headers (the same message, stored with other bytes: Dovecot turns
//   a bare CR into CRLF on APPEND): still the recorded message, nothing copied
//   or renumbered, an expunge on A reaches it;
// - other headers (B restored from a backup, new mail took the UID): another
//   message, kept on both sides and given a new UID on B, never expunged.
// Each row starts from the same history (N on A: m1, then m2, both without
// Message-ID, synced while B's backup holds m1 only), changes the servers, runs
// once, then once more, which must change nothing. Bodies are compared by digest.

import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord } from '../../src/state/types.js';
import type { MemoryServer, MemorySnapshot } from '../../src/store/memory/MemoryServer.js';
import { forgetMemorySpecs } from '../support/memorySpecs.js';
import { memoryWorld, type MemoryWorld } from '../support/memoryWorld.js';
import { digest } from '../support/storeConformance.js';
import type { EngineRun } from '../support/sync.js';

afterEach(forgetMemorySpecs);

/** A message without Message-ID (its global id hashes its headers and its size). */
function note(n: number, body = `body ${n}`): Buffer {
  return Buffer.from(`Date: Wed, 2 Jan 2019 09:00:${String(n % 60).padStart(2, '0')} +0000\r\nFrom: s${n}@example.org\r\nSubject: note ${n}\r\n\r\n${body}\r\n`);
}

const MESSAGES = {
  m1: note(1),
  m2: note(2, 'body\r2'),
  // m2 as a server that rewrites bytes on APPEND stores it (Dovecot turns `\r\r\n` into CRLF): same headers, other bytes.
  "m2'": note(2, 'body\r\n2'),
  // Other headers, m2's size.
  m9: note(9),
  // Other headers, another size.
  m19: note(19),
};
const NAME_BY_DIGEST = new Map(Object.entries(MESSAGES).map(([name, raw]) => [digest(raw), name]));

/** A server's N as `name@uid[:flags]`, in UID order ('?' for a body no row wrote). */
function boxOf(server: MemoryServer): string {
  return server.messages('N').map((m) => `${NAME_BY_DIGEST.get(digest(m.body)) ?? '?'}@${m.uid}${m.flags.length > 0 ? `:${m.flags.join(',')}` : ''}`).join(' ');
}

/** What a server that rewrites bytes on APPEND leaves at `uid`: `raw` in place of the message it was given (flags kept). */
function storedWithOtherBytes(server: MemoryServer, uid: number, raw: Buffer): void {
  const messages = server.folder('N').messages;
  messages.set(uid, { ...messages.get(uid)!, body: raw });
}

interface Row {
  name: string;
  /** What happens between the history and the run (B's backup holds N with m1 only). */
  change: (world: MemoryWorld, backup: MemorySnapshot) => void;
  expect: { a: string; b: string };
  check?: (run: EngineRun) => void;
}

/** The history every row starts from: m1 synced, B's backup taken, m2 synced (B's server then holds it as m2'). */
async function history(): Promise<{ world: MemoryWorld; backup: MemorySnapshot }> {
  const world = memoryWorld({ mode: 'two-way' });
  world.a.createFolder('N');
  world.a.append('N', [{ raw: MESSAGES.m1 }]);
  expect((await world.sync()).failures).toEqual([]);
  const backup = world.b.snapshot();
  world.a.append('N', [{ raw: MESSAGES.m2 }]);
  expect((await world.sync()).failures).toEqual([]);
  storedWithOtherBytes(world.b, 2, MESSAGES["m2'"]);
  expect((await world.sync()).failures).toEqual([]);
  expect([boxOf(world.a), boxOf(world.b)]).toEqual(['m1@1 m2@2', "m1@1 m2'@2"]);
  return { world, backup };
}

const restoredWith = (raw: Buffer) => (world: MemoryWorld, backup: MemorySnapshot): void => {
  world.b.restore(backup);
  world.b.append('N', [{ raw }]); // takes UID 2: B's counters are back to those recorded
};

/** restoredWith, then A deletes m2 (the message the reused UID held). */
const restoredAndDeletedOnA = (raw: Buffer) => (world: MemoryWorld, backup: MemorySnapshot): void => {
  restoredWith(raw)(world, backup);
  world.a.expunge('N', [2]);
};

const renumbered = (run: EngineRun): void => {
  expect(run.summary.reassigned).toEqual([{ folder: 'N', side: 'B', uid: 2, newUid: expect.any(Number) }]);
};

const ROWS: Row[] = [
  {
    name: "same headers, other bytes on B; A deletes it: B's version goes too (the same message), nothing copied or renumbered",
    change: (world) => world.a.expunge('N', [2]),
    expect: { a: 'm1@1', b: 'm1@1' },
    check: (run) => expect([run.summary.copied, run.summary.expunged, run.summary.reassigned]).toEqual([0, 1, []]),
  },
  {
    name: "same headers, other bytes on B; B flags it: A's gets the flag, nothing copied or renumbered",
    change: (world) => world.b.setFlags('N', [2], ['\\Seen'], []),
    expect: { a: 'm1@1 m2@2:\\Seen', b: "m1@1 m2'@2:\\Seen" },
    check: (run) => expect([run.summary.copied, run.summary.expunged, run.summary.reassigned]).toEqual([0, 0, []]),
  },
  {
    name: 'B restored, other headers of the same size took UID 2; A deletes m2: the new mail stays, reaches A, gets a new UID on B',
    change: restoredAndDeletedOnA(MESSAGES.m9),
    expect: { a: 'm1@1 m9@3', b: 'm1@1 m9@3' },
    check: renumbered,
  },
  {
    name: 'B restored, other headers of the same size took UID 2; A unchanged: m2 comes back to B, the new mail reaches A and gets a new UID on B',
    change: restoredWith(MESSAGES.m9),
    expect: { a: 'm1@1 m2@2 m9@3', b: 'm1@1 m2@3 m9@4' },
    check: renumbered,
  },
  {
    name: 'B restored, other headers of another size took UID 2; A deletes m2: the new mail stays, reaches A, gets a new UID on B',
    change: restoredAndDeletedOnA(MESSAGES.m19),
    expect: { a: 'm1@1 m19@3', b: 'm1@1 m19@3' },
    check: renumbered,
  },
];

describe('bug 3: a known UID of B now holding a message without Message-ID (initial history → after one run; a second run changes nothing)', () => {
  for (const row of ROWS) {
    it(row.name, async () => {
      const { world, backup } = await history();
      row.change(world, backup);
      const run = await world.sync();
      expect(run.failures).toEqual([]);
      expect({ a: boxOf(world.a), b: boxOf(world.b) }).toEqual(row.expect);
      row.check?.(run);
      const again = await world.sync();
      expect({ a: boxOf(world.a), b: boxOf(world.b) }).toEqual(row.expect);
      expect([again.failures, again.summary.copied, again.summary.flagsUpdated, again.summary.expunged, again.summary.reassigned]).toEqual([[], 0, 0, 0, []]);
    });
  }

  it('same headers, other bytes on B: a run that reads every identity (--full) copies and renumbers nothing', async () => {
    const { world } = await history();
    const run = await world.sync({ full: true });
    expect([run.failures, run.summary.copied, run.summary.expunged, run.summary.reassigned]).toEqual([[], 0, 0, []]);
    expect({ a: boxOf(world.a), b: boxOf(world.b) }).toEqual({ a: 'm1@1 m2@2', b: "m1@1 m2'@2" });
  });

  it('records written before the fix (no size) learn it from a run that reads their messages (--full); then the new mail stays', async () => {
    const { world, backup } = await history();
    const sizes = async (strip: boolean): Promise<(number | undefined)[]> => {
      // The stores the state names (the world keeps no specs).
      const [, storeA, storeB] = /^stores (".*?") (".*?")$/m.exec(await readFile(world.statePath, 'utf8'))!;
      const state = await SyncState.open(world.statePath, { storeA: JSON.parse(storeA!) as string, storeB: JSON.parse(storeB!) as string });
      try {
        const records = state.folder('N', 'N')!.records();
        if (strip) {
          for (const { size: _size, ...record } of records) state.apply({ op: 'put', nameA: 'N', nameB: 'N', record: record as MessageRecord });
          await state.commit();
        }
        return state.folder('N', 'N')!.records().map((r) => r.size);
      } finally {
        await state.close();
      }
    };
    expect(await sizes(false)).toEqual([MESSAGES.m1.length, MESSAGES.m2.length]);
    expect(await sizes(true)).toEqual([undefined, undefined]);
    const full = await world.sync({ full: true });
    expect([full.failures, full.summary.copied, full.summary.expunged, full.summary.reassigned]).toEqual([[], 0, 0, []]);
    expect(await sizes(false)).toEqual([MESSAGES.m1.length, MESSAGES.m2.length]);
    restoredAndDeletedOnA(MESSAGES.m9)(world, backup);
    const run = await world.sync();
    expect(run.failures).toEqual([]);
    expect({ a: boxOf(world.a), b: boxOf(world.b) }).toEqual({ a: 'm1@1 m9@3', b: 'm1@1 m9@3' });
  });
});
