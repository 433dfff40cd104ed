// What replimap does with messages flagged \Deleted (README, man page and
// docs/architecture.md say the same): the flag is copied and kept in sync like
// any other, in both modes, and no message is ever expunged because of it.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { syncSpecs, tempDir } from '../support/sync.js';

afterEach(forgetMemorySpecs);

/** Body digest and flags of each message, in UID order. */
const contents = (server: MemoryServer): string[][] => server.messages('INBOX').map((m) => [digest(m.body), m.flags.join(',')]);
const d = (n: number): string => digest(conformanceMessage(n));

describe.each(['copy', 'mirror'] as const)('\\Deleted in %s mode', (mode) => {
  it('is copied and synchronised like any other flag; a message carrying it is never expunged', async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    a.append('INBOX', [{ raw: conformanceMessage(1), flags: ['\\Deleted'] }, { raw: conformanceMessage(2) }, { raw: conformanceMessage(3) }]);
    const statePath = join(tempDir('replimap-deleted-'), 'state');
    const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
    /** A run that fails nothing, withholds nothing, warns of nothing. */
    const run = async (): Promise<void> => {
      const { failures, warnings } = await syncSpecs(specs.a, specs.b, statePath, { mode } as Partial<SyncOptions>);
      expect({ failures, warnings }).toEqual({ failures: [], warnings: [] });
    };
    await run();
    expect(contents(b)).toEqual([[d(1), '\\Deleted'], [d(2), ''], [d(3), '']]);

    // A marks message 2 \Deleted, and a client of B marks message 3 so: both stay on both sides.
    a.setFlags('INBOX', [2], ['\\Deleted'], []);
    b.setFlags('INBOX', [3], ['\\Deleted'], []);
    await run();
    expect(contents(a).map(([body]) => body)).toEqual([d(1), d(2), d(3)]);
    expect(contents(b)[0]).toEqual([d(1), '\\Deleted']);
    expect(contents(b)[1]).toEqual([d(2), '\\Deleted']);
    // Mirror makes B's flags A's; copy keeps B's own change.
    expect(contents(b)[2]).toEqual([d(3), mode === 'copy' ? '\\Deleted' : '']);

    // A expunges message 1: copy keeps it on B, still marked; mirror deletes it (as A no longer has it).
    a.expunge('INBOX', [1]);
    await run();
    expect(contents(b).map(([body, flags]) => `${body} ${flags}`)).toEqual([
      ...(mode === 'copy' ? [`${d(1)} \\Deleted`] : []),
      `${d(2)} \\Deleted`,
      `${d(3)} ${mode === 'copy' ? '\\Deleted' : ''}`,
    ]);
  });
});
