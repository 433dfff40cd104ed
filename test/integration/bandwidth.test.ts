// --compress and --bwlimit against real Dovecot (issue 9 §5), through the real
// CLI: with COMPRESS on and off the same bodies arrive; --stats tells the wire
// bytes from the uncompressed ones; off (and auto, on loopback) sends no
// COMPRESS at all; on, against a server without it, is a warning; a run under
// --bwlimit copies everything, every wire byte went through the bucket and its
// accounting says the limit held; a signal ends a throttled run.

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commandCounts, startBenchServer, type CommandCounts } from '../../bench/benchServers.js';
import type { BucketReport } from '../../src/store/tokenBucket.js';
import type { StoreStats } from '../../src/store/types.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, seedFolder, type SeedMessage } from '../support/imap.js';
import { okSummaryOf, passwordEnv, runCli, tempDir, type CliRun } from '../support/sync.js';

const FOLDERS = ['INBOX', 'Archive'] as const;

/** Plain text mail, about 12 kB each: what deflate shrinks well. */
function textMessages(folder: string, count: number): SeedMessage[] {
  return Array.from({ length: count }, (_, i) => {
    const lines = Array.from({ length: 160 }, (_, n) => `Line ${n} of message ${i} in ${folder}: the quarterly report is attached below.\r\n`);
    return {
      raw:
        `From: <sender${i}@example.org>\r\nTo: <alice@example.org>\r\nSubject: report ${folder} ${i}\r\n` +
        `Date: Tue, 3 Mar 2026 09:${String(i % 60).padStart(2, '0')}:00 +0100\r\nMessage-ID: <${folder}-${i}@example.org>\r\n\r\n${lines.join('')}`,
    };
  });
}

interface SyncJson {
  ok: boolean;
  copied: number;
  failed: unknown[];
  warnings: string[];
  stats: { a: StoreStats; b: StoreStats; bandwidth?: BucketReport };
}

const summaryOf = (run: CliRun): SyncJson => okSummaryOf<SyncJson>(run);

const compressCommands = (c: CommandCounts): number => c.byName['COMPRESS'] ?? 0;

async function expectSameMail(a: DovecotServer, b: DovecotServer): Promise<void> {
  for (const folder of FOLDERS) {
    const digests = await bodyDigestsOf(a, folder);
    expect(digests.length, folder).toBeGreaterThan(0);
    expect(await bodyDigestsOf(b, folder), folder).toEqual(digests);
  }
}

describe('--compress and --bwlimit on real Dovecot', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;
  const extra: DovecotServer[] = [];

  beforeEach(async () => {
    // Bench servers: Dovecot counts the commands it runs, COMPRESS included.
    [a, b] = await Promise.all([startBenchServer({ compress: true }), startBenchServer({ compress: true })]);
    statePath = join(tempDir(), 'bandwidth.state');
    await seedFolder(a, 'INBOX', textMessages('INBOX', 30));
    await seedFolder(a, 'Archive', textMessages('Archive', 10));
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop(), ...extra.splice(0).map((s) => s.stop())]);
  });

  async function sync(options: string[], target = b): Promise<{ json: SyncJson; commandsA: CommandCounts; commandsB: CommandCounts }> {
    await Promise.all([commandCounts(a), commandCounts(target)]);
    const args = ['sync', a.url(), target.url(), '--tls-ca', a.caFile, '--state', statePath, '--json', '--stats', ...options];
    const json = summaryOf(await runCli(args, passwordEnv(a, target)));
    return { json, commandsA: await commandCounts(a), commandsB: await commandCounts(target) };
  }

  it('--compress on: the same bodies arrive, every connection compressed, fewer bytes on the wire than before COMPRESS', async () => {
    const { json, commandsA, commandsB } = await sync(['--compress', 'on']);
    expect(json.copied).toBe(40);
    await expectSameMail(a, b);
    for (const [label, st, commands] of [['A', json.stats.a, commandsA], ['B', json.stats.b, commandsB]] as const) {
      expect(st.compressed, label).toBe(st.connections);
      expect(compressCommands(commands), label).toBe(st.connections);
    }
    // The bodies were read from A and written to B: deflate shrinks that text well below half.
    expect(json.stats.a.wireIn).toBeLessThan(json.stats.a.bytesIn / 2);
    expect(json.stats.b.wireOut).toBeLessThan(json.stats.b.bytesOut / 2);
    expect(json.stats.a.bytesIn).toBeGreaterThan(40 * 12_000);
    expect(json.warnings).toEqual([]);
  });

  it('--compress off, and auto on loopback: no COMPRESS sent, the wire carries the uncompressed bytes, the same bodies arrive', async () => {
    for (const options of [['--compress', 'off'], []]) {
      const target = await startBenchServer({ compress: true });
      extra.push(target);
      statePath = join(tempDir(), 'bandwidth-off.state');
      const { json, commandsA, commandsB } = await sync(options, target);
      expect(json.copied, options.join(' ') || 'auto').toBe(40);
      await expectSameMail(a, target);
      expect([compressCommands(commandsA), compressCommands(commandsB)], options.join(' ') || 'auto').toEqual([0, 0]);
      for (const st of [json.stats.a, json.stats.b]) {
        expect(st.compressed).toBe(0);
        expect([st.wireIn, st.wireOut]).toEqual([st.bytesIn, st.bytesOut]);
      }
    }
  });

  it('--compress on against a server without COMPRESS: a warning, the run succeeds uncompressed there', async () => {
    const plain = await startDovecot();
    extra.push(plain);
    const { json } = await sync(['--compress', 'on'], plain);
    await expectSameMail(a, plain);
    expect(json.stats.b.compressed).toBe(0);
    expect(json.stats.a.compressed).toBe(json.stats.a.connections);
    expect(json.warnings).toEqual([`--compress on: ${plain.url()} does not offer COMPRESS=DEFLATE; running uncompressed`]);
  });

  for (const compress of ['off', 'on'] as const) {
    it(`--bwlimit with --compress ${compress}: everything copied, every wire byte through the bucket, the limit held`, async () => {
      const { json } = await sync(['--compress', compress, '--bwlimit', '256k']);
      expect(json.copied).toBe(40);
      await expectSameMail(a, b);
      const bucket = json.stats.bandwidth!;
      expect(bucket.rate).toBe(256_000);
      const wire = json.stats.a.wireIn + json.stats.a.wireOut + json.stats.b.wireIn + json.stats.b.wireOut;
      expect(bucket.bytes).toBe(wire);
      expect(bucket.peakExcess).toBeLessThanOrEqual(bucket.burst);
      if (compress === 'off') expect(bucket.bytes).toBeGreaterThan(2 * 40 * 12_000);
    });
  }

  it('a signal ends a run held back by --bwlimit; the next run finishes the copy', async () => {
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath, '--compress', 'off', '--bwlimit', '16k'];
    // About 1 MB both ways at 16 KiB/s would take a minute: the test's timeout is shorter.
    const cut = await runCli(args, passwordEnv(a, b), { killAfterMs: 3_000, signal: 'SIGTERM' });
    expect(cut.code, cut.stderr).toBe(143);
    summaryOf(await runCli([...args.slice(0, -2), '--json'], passwordEnv(a, b)));
    await expectSameMail(a, b);
  }, 45_000);
});
