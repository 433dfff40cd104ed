// Mirror's account-wide count on memory stores: many small folders emptied on
// A at once, each under the per-folder minimum, must not wipe B.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { registerMemoryServer, unregisterMemoryServer } from '../../src/store/memory/registry.js';
import type { MemoryStoreSpec } from '../../src/store/spec.js';
import { conformanceMessage, digest } from '../support/storeConformance.js';
import { syncSpecs, tempDir } from '../support/sync.js';

let count = 0;
const registered: string[] = [];
afterEach(() => {
  for (const name of registered.splice(0)) unregisterMemoryServer(name);
});
function spec(server: MemoryServer, side: string): MemoryStoreSpec {
  const name = `account-guard-${++count}-${side}`;
  registerMemoryServer(name, server);
  registered.push(name);
  return { kind: 'memory', name, displayUrl: `memory://${name}` };
}
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const bodies = (server: MemoryServer, folder: string): string[] => server.messages(folder).map((m) => digest(m.body)).sort();

describe('mirror: the account-wide count withholds what many small folders lost at once', () => {
  it('A shows every one of 20 small folders empty at once: mirror does not wipe the 160 messages B holds without --force', async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    const specs = { a: spec(a, 'a'), b: spec(b, 'b') };
    const statePath = join(tempDir('replimap-account-guard-'), 'state');
    const folders = range(1, 20).map((n) => `F${n}`);
    for (const [i, f] of folders.entries()) {
      a.createFolder(f);
      a.append(f, range(1, 8).map((n) => ({ raw: conformanceMessage(i * 100 + n) })));
    }
    expect((await syncSpecs(specs.a, specs.b, statePath, { mode: 'mirror' })).summary.copied).toBe(160);
    // A breaks: every folder is listed, same UIDVALIDITY, but empty (its message files lost).
    for (const f of folders) a.expunge(f, a.messages(f).map((m) => m.uid));
    const run = await syncSpecs(specs.a, specs.b, statePath, { mode: 'mirror' });
    const left = folders.reduce((sum, f) => sum + b.messages(f).length, 0);
    // Seen before the fix: expunged 160, withheld [] (exit 0).
    expect({ left, withheld: run.summary.withheld.length > 0 }).toEqual({ left: 160, withheld: true });
  });

  it('withholds every folder whose count dropped, run after run, while new mail arrives; --force then deletes', async () => {
    const a = new MemoryServer();
    const b = new MemoryServer({ firstUidValidity: 5000n });
    const specs = { a: spec(a, 'a'), b: spec(b, 'b') };
    const statePath = join(tempDir('replimap-account-guard-'), 'state');
    const sync = (force = false) => syncSpecs(specs.a, specs.b, statePath, { mode: 'mirror', force });
    const folders = ['F1', 'F2', 'F3', 'F4'];
    for (const [i, f] of folders.entries()) {
      a.createFolder(f);
      a.append(f, range(1, 5).map((n) => ({ raw: conformanceMessage(i * 100 + n) })));
    }
    a.append('INBOX', range(900, 901).map((n) => ({ raw: conformanceMessage(n) })));
    expect((await sync()).summary.copied).toBe(22);
    const before = Object.fromEntries(folders.map((f) => [f, bodies(b, f)]));

    for (const f of folders) a.expunge(f, a.messages(f).map((m) => m.uid));
    a.append('INBOX', [{ raw: conformanceMessage(902) }]);
    for (const attempt of [1, 2]) {
      const run = await sync();
      expect(Object.fromEntries(folders.map((f) => [f, bodies(b, f)])), `run ${attempt}`).toEqual(before);
      expect(run.summary.withheld.map((w) => [w.folder, w.count]).sort(), `run ${attempt}`).toEqual(
        folders.map((f) => [f, 5]),
      );
      // The count is net (INBOX's new mail counts as present); the withheld folders keep their remembered status.
      expect(run.summary.withheld[0]!.reason).toMatch(/A lacks 20 of the 2[23] messages the state remembers across the account \(more than half; a broken source\?\): withheld, rerun with --force/);
      expect(run.summary.expunged).toBe(0);
      expect(bodies(b, 'INBOX')).toEqual(bodies(a, 'INBOX'));
      expect(bodies(b, 'INBOX')).toHaveLength(3);
    }

    const forced = await sync(true);
    expect(forced.summary.withheld).toEqual([]);
    expect(forced.summary.expunged).toBe(20);
    for (const f of folders) expect(b.messages(f)).toEqual([]);
  });
});

describe('two-way: the account-wide count, on each side', () => {
  for (const broken of ['a', 'b'] as const) {
    it(`${broken.toUpperCase()} shows every one of 20 small folders empty at once: nothing deleted on the other side without --force`, async () => {
      const a = new MemoryServer();
      const b = new MemoryServer({ firstUidValidity: 5000n });
      const specs = { a: spec(a, 'a'), b: spec(b, 'b') };
      const statePath = join(tempDir('replimap-account-guard-'), 'state');
      const sync = (force = false) => syncSpecs(specs.a, specs.b, statePath, { mode: 'two-way', force });
      const folders = range(1, 20).map((n) => `F${n}`);
      for (const [i, f] of folders.entries()) {
        a.createFolder(f);
        a.append(f, range(1, 8).map((n) => ({ raw: conformanceMessage(i * 100 + n) })));
      }
      expect((await sync()).summary.copied).toBe(160);
      // The run after one that wrote reads its own writes once: B's count is then remembered too.
      expect((await sync()).summary.copied).toBe(0);
      const server = broken === 'a' ? a : b;
      const other = broken === 'a' ? b : a;
      for (const f of folders) server.expunge(f, server.messages(f).map((m) => m.uid));
      const run = await sync();
      const left = folders.reduce((sum, f) => sum + other.messages(f).length, 0);
      expect({ left, withheld: run.summary.withheld.map((w) => w.reason)[0] }).toEqual({
        left: 160,
        withheld: expect.stringContaining(`${broken.toUpperCase()} lacks 160 of the 160 messages the state remembers across the account`),
      });
      // What the broken side lost is not copied back either: the records still prove it was deleted there.
      expect(folders.reduce((sum, f) => sum + server.messages(f).length, 0)).toBe(0);
      await sync(true);
      expect(folders.reduce((sum, f) => sum + other.messages(f).length, 0)).toBe(0);
    });
  }
});
