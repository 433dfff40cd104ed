// Minimal cases the two-way property test (engine.twoway.property.test.ts)
// found, each with its seed, on two memory accounts through the real engine.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { bodies } from '../support/memoryWorld.js';
import { syncSpecs, tempDir, type EngineRun } from '../support/sync.js';

afterEach(forgetMemorySpecs);

const withId = (n: number): string =>
  `Message-ID: <w${n}@replimap.test>\r\nDate: Wed, 2 Jan 2019 09:00:0${n} +0000\r\nFrom: s${n}@example.org\r\nSubject: message ${n}\r\n\r\nbody ${n}\r\n`;
/** No Message-ID: its global id hashes its size. */
const withoutId = 'Date: Thu, 3 Jan 2019 10:00:00 +0000\r\nFrom: twin0@example.org\r\nSubject: twin\r\n\r\nversion 0\r\n';

function twoAccounts(): { a: MemoryServer; b: MemoryServer; sync: () => Promise<EngineRun> } {
  const a = new MemoryServer();
  const b = new MemoryServer({ firstUidValidity: 5000n });
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-twoway-found-'), 'state');
  return { a, b, sync: () => syncSpecs(specs.a, specs.b, statePath, { mode: 'two-way', connections: 1 }) };
}

describe('two-way: found by the property test', () => {
  // Seed 370003757, "A+INBOX:m0,sync,restoreB~0+t0.0": B restored from before replimap copied m0
  // there, then new mail without a Message-ID takes m0's UID. Its size-hashed global id is not taken
  // as proof of another message on B (knownIdentity.ts: B may store A's bytes otherwise), but m0's id
  // hashes no size, so no version of m0 can have it: the UID holds another message. m0's record
  // says so (MessageRecord.byMessageId, set when the first run read m0's envelope).
  it('a message without Message-ID on B at the UID of a known message with one is new: copied to A, m0 back on B', async () => {
    const { a, b, sync } = twoAccounts();
    const before = b.snapshot();
    a.append('INBOX', [{ raw: withId(0) }]);
    await sync();
    b.restore(before);
    b.append('INBOX', [{ raw: withoutId }]);
    const run = await sync();
    expect(run.failures).toEqual([]);
    expect(bodies(a, 'INBOX')).toEqual(bodies(b, 'INBOX'));
    expect(bodies(a, 'INBOX')).toHaveLength(2);
  });

  // Seed 563686003, "restoreA~0+t0.0,restoreB~0" (F1 on A from the start): B restored from before
  // its F1 existed. B's INBOX shows it went back in time (UIDNEXT down) in the same run, yet F1, as
  // unchanged on A, was deleted on A. A side that went back in time propagates no deletion in that
  // run (issue 8): F1 must come back on B, with its mail.
  it('a folder lost by a side that went back in time is created again on it, not deleted on the other', async () => {
    const { a, b, sync } = twoAccounts();
    const before = b.snapshot();
    a.append('INBOX', [{ raw: withId(1) }]);
    a.createFolder('F1');
    a.append('F1', [{ raw: withId(2) }]);
    await sync();
    b.restore(before);
    const run = await sync();
    expect(run.failures).toEqual([]);
    expect(a.folderNames()).toEqual(['INBOX', 'F1']);
    expect(b.folderNames()).toEqual(['INBOX', 'F1']);
    expect(bodies(b, 'F1')).toEqual(bodies(a, 'F1'));
    expect(bodies(b, 'INBOX')).toEqual(bodies(a, 'INBOX'));
  });
});
