// The engine's act phase holds no more body bytes at once than the run's
// budget (BODY_BYTES_IN_FLIGHT), however many connections copy at once:
// counted on in-memory servers, every message of one size, from each body
// FETCH on A to each message's APPEND on B (a count that can only be lower
// than what the run holds, which lasts until the whole APPEND is answered).

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { BATCH_MAX_BYTES, BODY_BYTES_IN_FLIGHT } from '../../src/sync/batches.js';
import { digest } from '../support/storeConformance.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { syncSpecs, tempDir } from '../support/sync.js';

afterEach(forgetMemorySpecs);

const SIZE = 1024 * 1024;
const FOLDERS = ['INBOX', 'F1', 'F2', 'F3'];
const PER_FOLDER = 20;

/** A message of exactly SIZE bytes. */
function message(folder: string, n: number): Buffer {
  const head = `Message-ID: <${folder}-${n}@budget.test>\r\nSubject: ${folder} ${n}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head), Buffer.alloc(SIZE - head.length, 'x'.charCodeAt(0) + (n % 20))]);
}

describe('the run budget of body bytes on memory stores', () => {
  it.each([
    ['', undefined],
    [', with a periodic commit due at every batch (a worker waiting for bytes does not hold up the commit)', 0],
  ])('four connections copying four folders at once hold no more than the budget; every body arrives%s', async (_, commitIntervalMs) => {
    const a = new MemoryServer();
    const b = new MemoryServer();
    for (const folder of FOLDERS) {
      if (folder !== 'INBOX') a.createFolder(folder);
      a.append(folder, Array.from({ length: PER_FOLDER }, (_, n) => ({ raw: message(folder, n) })));
    }
    let fetched = 0;
    let peak = 0;
    a.beforeOperation = (op, args) => {
      if (op !== 'fetchBodies') return;
      fetched += (args.uids?.length ?? 0) * SIZE;
      peak = Math.max(peak, fetched);
    };
    b.beforeOperation = (op) => {
      if (op === 'appendMessage') fetched -= SIZE;
    };
    const run = await syncSpecs(memorySpec(a, 'a'), memorySpec(b, 'b'), join(tempDir('replimap-budget-'), 'state'), { connections: 4, ...(commitIntervalMs !== undefined && { commitIntervalMs }) });
    expect(run.failures).toEqual([]);
    expect(run.summary.copied).toBe(FOLDERS.length * PER_FOLDER);
    for (const folder of FOLDERS) {
      expect(b.messages(folder).map((m) => digest(m.body)).sort()).toEqual(a.messages(folder).map((m) => digest(m.body)).sort());
    }
    expect(peak).toBeLessThanOrEqual(BODY_BYTES_IN_FLIGHT);
    // Not one batch at a time either: a connection fetches ahead, or two copy at once.
    expect(peak).toBeGreaterThan(BATCH_MAX_BYTES);
  });
});
