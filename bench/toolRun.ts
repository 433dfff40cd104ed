// What every scenario does around one tool run: seeded Dovecot servers behind
// latency proxies, the runner prepared on them, and each step measured the same
// way (wall time, CPU, peak RSS, commands counted by Dovecot, bytes counted by
// the proxies). Shared by the one-way scenarios (bench.ts) and the two-way one.

import { loadavg } from 'node:os';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DovecotServer } from '../test/support/dovecot.js';
import type { StepRecord } from './results.js';
import { commandCounts, mailOwner, startBenchServer } from './benchServers.js';
import { startLatencyProxy, type LatencyProxy } from './latencyProxy.js';
import { cloneMaildir } from './maildirSeeder.js';
import type { readMailbox } from './readback.js';
import type { ImapTarget, StepName, StepOutcome, ToolContext, ToolRunner } from './runners/types.js';

export function log(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** A server holding a clone of a Maildir template (or empty), indexed before any timing starts. */
export async function startSeededServer(templateDir: string | undefined): Promise<DovecotServer> {
  const server = await startBenchServer();
  if (templateDir === undefined) return server;
  try {
    const started = performance.now();
    await cloneMaildir(templateDir, server.maildirOf(), await mailOwner(server));
    // Build Dovecot's indexes now, so no tool pays for the first scan of 100,000 files.
    await server.doveadm(['mailbox', 'status', '-u', 'alice', 'messages uidnext', '*']);
    log(`    server ready in ${((performance.now() - started) / 1000).toFixed(1)} s (clone + index)`);
    return server;
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export function endpointOf(server: DovecotServer): Parameters<typeof readMailbox>[0] {
  return { host: server.host, port: server.imapsPort, secure: true, caPem: server.caPem, user: 'alice', password: server.passwordOf() };
}

function targetOf(server: DovecotServer, proxy: LatencyProxy): ImapTarget {
  return {
    host: '127.0.0.1',
    port: proxy.port,
    user: 'alice',
    password: server.passwordOf(),
    caFile: server.caFile,
    url: `imaps://alice@127.0.0.1:${proxy.port}`,
  };
}

/** The two servers of one tool run and the proxies in front of them. */
export interface ToolRunSetup {
  a: DovecotServer;
  b: DovecotServer;
  proxyA: LatencyProxy;
  proxyB: LatencyProxy;
}

export interface ToolRunOptions {
  /** Maildir templates to clone onto A and B (undefined: an empty server). */
  templates: { a?: string; b?: string };
  rttMs: number;
  runner: ToolRunner;
  context: Omit<ToolContext, 'a' | 'b'>;
}

/** Starts servers and proxies, prepares the runner on them, runs `fn`, and stops everything. */
export async function withToolRun(options: ToolRunOptions, fn: (setup: ToolRunSetup) => Promise<void>): Promise<void> {
  let a: DovecotServer | undefined;
  let b: DovecotServer | undefined;
  let proxyA: LatencyProxy | undefined;
  let proxyB: LatencyProxy | undefined;
  try {
    a = await startSeededServer(options.templates.a);
    b = await startSeededServer(options.templates.b);
    proxyA = await startLatencyProxy({ targetHost: a.host, targetPort: a.imapsPort, delayMs: options.rttMs / 2 });
    proxyB = await startLatencyProxy({ targetHost: b.host, targetPort: b.imapsPort, delayMs: options.rttMs / 2 });
    await options.runner.prepare({ ...options.context, a: targetOf(a, proxyA), b: targetOf(b, proxyB) });
    for (const [name, content] of Object.entries(options.runner.configFiles())) await writeFile(join(options.context.outDir, name), content);
    await fn({ a, b, proxyA, proxyB });
  } finally {
    await proxyA?.close();
    await proxyB?.close();
    await a?.stop();
    await b?.stop();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs one step of the tool and records what it cost; fidelity is the caller's. */
export async function measureStep(runner: ToolRunner, step: StepName, setup: ToolRunSetup, base: Omit<StepRecord, 'step' | 'ok'>): Promise<StepRecord> {
  const { a, b, proxyA, proxyB } = setup;
  await commandCounts(a);
  await commandCounts(b);
  const loadBefore = loadavg()[0]!;
  const before = [proxyA.bytesUp(), proxyA.bytesDown(), proxyB.bytesUp(), proxyB.bytesDown(), proxyA.connections(), proxyB.connections()];
  const outcome: StepOutcome = await runner.run(step);
  await sleep(500); // let the imap processes report their last commands to the stats service
  const record: StepRecord = {
    ...base,
    step,
    ok: outcome.ok,
    wallMs: outcome.wallMs,
    commandsA: await commandCounts(a),
    commandsB: await commandCounts(b),
    bytesAUp: proxyA.bytesUp() - before[0]!,
    bytesADown: proxyA.bytesDown() - before[1]!,
    bytesBUp: proxyB.bytesUp() - before[2]!,
    bytesBDown: proxyB.bytesDown() - before[3]!,
    connectionsA: proxyA.connections() - before[4]!,
    connectionsB: proxyB.connections() - before[5]!,
    commandLine: outcome.commandLine,
    loadBefore,
  };
  if (outcome.peakRssKiB !== undefined) record.peakRssKiB = outcome.peakRssKiB;
  if (outcome.cpuMs !== undefined) record.cpuMs = outcome.cpuMs;
  if (outcome.note !== undefined) record.note = outcome.note;
  const stats = outcome.reportedStats;
  if (stats?.commandsA !== undefined) record.reportedCommandsA = stats.commandsA;
  if (stats?.commandsB !== undefined) record.reportedCommandsB = stats.commandsB;
  if (stats?.bytesA !== undefined) record.reportedBytesA = stats.bytesA;
  if (stats?.bytesB !== undefined) record.reportedBytesB = stats.bytesB;
  return record;
}
