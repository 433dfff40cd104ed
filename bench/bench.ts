// replimap benchmark: the scenarios of issues 2 and 3 (and, on demand, issue 9's
// moves and renames, and issue 8's two-way runs), each at 0 ms and 20 ms RTT (a latency proxy in front of BOTH servers),
// for replimap and the usual alternatives (mbsync, interimap, offlineimap3).
// Prints figures; asserts nothing.
//
//   npm run bench -- [--scenario issue2,issue3,move,rename,twoway,filter] [--folders N] [--messages N] [--moves N]
//                    [--rtt 0,20] [--tools replimap,mbsync,interimap,offlineimap]
//                    [--quick] [--timeout-min 30] [--out DIR] [--replimap-args="--mode copy ..."]
//
// REPLIMAP_BENCH_COMPRESS=1 starts every Dovecot with COMPRESS=DEFLATE (imap_zlib), as
// for the compression figures of issue 9 (bench/RESULTS.md, "Compression and --bwlimit").
//
// Every tool run gets a fresh source (hard-linked clone of one seeded Maildir
// template, so all tools copy the same bytes with the same UIDs) and a fresh,
// empty destination. Raw output goes to bench/out/<timestamp>/.

import { execFileSync } from 'node:child_process';
import { cpus, freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { mib, resultsTable, stepFigures, twoWayTable, type StepRecord } from './results.js';
import { describeCorpus, generateBigMessages, generateCorpus, planCorpus, type CorpusPlan } from './benchCorpus.js';
import { writeMaildir, type SeedMessage } from './maildirSeeder.js';
import { compareMailboxes, describeFidelity, digestOf, isFaithful, readMailbox, type FidelityReport, type MailboxDigest } from './readback.js';
import { InterimapRunner } from './runners/interimap.js';
import { MbsyncRunner } from './runners/mbsync.js';
import { killRunningTools } from './runners/measure.js';
import { OfflineimapRunner } from './runners/offlineimap.js';
import { ReplimapRunner } from './runners/replimap.js';
import { ALL_TOOLS, type StepName, type ToolName, type ToolRunner } from './runners/types.js';
import { applySourceChanges, type ChangeSummary } from './sourceChanges.js';
import { moveBetweenFolders, type MoveSummary } from './sourceMoves.js';
import { renameLastFolder, type RenameSummary } from './sourceRenames.js';
import { TWO_WAY_STEPS, runTwoWayTool } from './twoWayScenario.js';
import { buildTwoWayTemplate, SIDES, type TwoWayTemplate } from './twoWayCorpus.js';
import { endpointOf, log, measureStep, startSeededServer, withToolRun } from './toolRun.js';

const REPO = resolve(fileURLToPath(new URL('..', import.meta.url)));

// ---------------------------------------------------------------------------
// Options

interface Scenario {
  id: 'issue2' | 'issue3' | 'move' | 'rename' | 'twoway' | 'filter';
  title: string;
  folders: number;
  messages: number;
  steps: StepName[];
  /** The move step: how many messages move from the first folder to the second. */
  moves?: number;
  /** Tools delete on B what A lost (replimap --mode mirror, mbsync Expunge Near). */
  mirror?: boolean;
  /** Messages of 1.1–3 MiB added to the corpus (the filter scenario: what --max-size 1M holds back). */
  bigMessages?: number;
  /** Only these tools run it (the others get a "not run" record saying why). */
  onlyTools?: ToolName[];
}

interface BenchOptions {
  scenarios: Scenario[];
  rtts: number[];
  tools: ToolName[];
  timeoutMs: number;
  outDir: string;
  replimapArgs: string[];
  seed: number;
}

function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', default: 'issue2,issue3' },
      folders: { type: 'string' },
      messages: { type: 'string' },
      moves: { type: 'string' },
      rtt: { type: 'string', default: '0,20' },
      tools: { type: 'string', default: ALL_TOOLS.join(',') },
      quick: { type: 'boolean', default: false },
      'timeout-min': { type: 'string', default: '30' },
      out: { type: 'string' },
      'replimap-args': { type: 'string', default: '' },
      seed: { type: 'string', default: '20240601' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(0, 14).join('\n') + '\n');
    process.exit(0);
  }
  const quick = values.quick;
  const defaults: Scenario[] = [
    { id: 'issue2', title: 'Issue 2: initial sync and no-op resync', folders: quick ? 5 : 10, messages: quick ? 500 : 5_000, steps: ['initial', 'noop', 'noop2'] },
    {
      id: 'issue3',
      title: 'Issue 3: many folders; initial copy, no-op resync, resync after 1% flag changes and 0.5% new messages',
      folders: quick ? 10 : 100,
      messages: quick ? 1_000 : 100_000,
      steps: ['initial', 'noop', 'noop2', 'changes'],
    },
    {
      id: 'move',
      title: 'Issue 9: moves between folders; initial mirror, then a resync after messages moved from INBOX to Sent on A',
      // Two folders: INBOX keeps more than half of its messages, under mirror's guard.
      folders: 2,
      messages: quick ? 2_500 : 5_000,
      steps: ['initial', 'move'],
      moves: quick ? 400 : 1_000,
      mirror: true,
    },
    {
      id: 'rename',
      title: 'Issue 9: folder rename; initial mirror, then a resync after the last folder (5,000 messages) was renamed on A',
      // Three folders (INBOX, Sent, Archive) of 5,000 messages each: Archive, not special-use, is renamed.
      folders: 3,
      messages: quick ? 3_000 : 15_000,
      steps: ['initial', 'rename'],
      mirror: true,
    },
    {
      id: 'filter',
      title: 'Issue 9 §2: initial copy with --max-size 1M (big messages deferred), then a run without it',
      folders: quick ? 5 : 10,
      messages: quick ? 500 : 5_000,
      steps: ['filtered', 'rest'],
      bigMessages: quick ? 5 : 20,
      onlyTools: ['replimap'],
    },
    {
      id: 'twoway',
      title: 'Issue 8: two-way; initial run over two half-filled servers, then a run after changes on both sides, then a no-op run',
      // At least three folders: some on both sides, some only on A, some only on B.
      folders: quick ? 6 : 10,
      messages: quick ? 1_000 : 10_000,
      steps: [...TWO_WAY_STEPS],
    },
  ];
  const wanted = values.scenario.split(',').map((s) => s.trim());
  const scenarios = defaults.filter((s) => wanted.includes(s.id));
  if (scenarios.length === 0) throw new Error(`--scenario: choose from ${defaults.map((s) => s.id).join(', ')}`);
  const positive = (name: string, v: string | undefined): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const folders = positive('folders', values.folders);
  const messages = positive('messages', values.messages);
  const moves = positive('moves', values.moves);
  for (const s of scenarios) {
    if (folders !== undefined) s.folders = folders;
    if (messages !== undefined) s.messages = messages;
    if (moves !== undefined && s.moves !== undefined) s.moves = moves;
  }
  const rtts = values.rtt.split(',').map((v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--rtt: bad value ${v}`);
    return n;
  });
  const tools = values.tools.split(',').map((t) => t.trim()) as ToolName[];
  for (const t of tools) if (!ALL_TOOLS.includes(t)) throw new Error(`--tools: unknown tool ${t} (${ALL_TOOLS.join(', ')})`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  return {
    scenarios,
    rtts,
    tools,
    timeoutMs: Number(values['timeout-min']) * 60_000,
    outDir: resolve(values.out ?? join(REPO, 'bench', 'out', stamp)),
    replimapArgs: values['replimap-args'].split(' ').filter((a) => a !== ''),
    seed: Number(values.seed),
  };
}

function runnerFor(tool: ToolName, options: BenchOptions): ToolRunner {
  switch (tool) {
    case 'replimap':
      return new ReplimapRunner(options.replimapArgs);
    case 'mbsync':
      return new MbsyncRunner();
    case 'interimap':
      return new InterimapRunner();
    case 'offlineimap':
      return new OfflineimapRunner();
  }
}

// ---------------------------------------------------------------------------
// Records

const records: StepRecord[] = [];

// ---------------------------------------------------------------------------
// Machine

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string };
    return (e.stdout || e.stderr || '').trim() || 'unknown';
  }
}

function machineInfo(): Record<string, string> {
  const osRelease = readFileSync('/etc/os-release', 'utf8');
  const cpuModel = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown';
  return {
    date: new Date().toISOString(),
    nproc: String(cpus().length),
    memory: `${(totalmem() / 2 ** 30).toFixed(1)} GiB (free ${(freemem() / 2 ** 30).toFixed(1)} GiB)`,
    load: loadavg().map((l) => l.toFixed(2)).join(' '),
    cpu: cpuModel,
    os: /PRETTY_NAME="([^"]*)"/.exec(osRelease)?.[1] ?? 'unknown',
    kernel: sh('uname', ['-r']),
    node: process.version,
    dovecot: sh('dovecot', ['--version']),
    mbsync: sh('mbsync', ['--version']),
    interimap: sh('interimap', ['--version']).split('\n')[0] ?? 'unknown',
    offlineimap: sh('offlineimap', ['--version']),
  };
}

// ---------------------------------------------------------------------------
// Corpus template

interface Template {
  dir: string;
  plan: CorpusPlan;
  /** What the corpus should read back as over IMAP. */
  expected: MailboxDigest;
  bytes: number;
  seedMs: number;
}

async function buildTemplate(scenario: Scenario, seed: number, workRoot: string): Promise<Template> {
  const plan = planCorpus(scenario.folders, scenario.messages, seed);
  const dir = join(workRoot, `template-${scenario.id}`);
  const expected: MailboxDigest = new Map();
  let bytes = 0;
  const started = performance.now();
  const messages = (function* () {
    for (const m of withBigMessages(generateCorpus(plan), plan, scenario.bigMessages ?? 0)) {
      bytes += m.raw.length;
      const list = expected.get(m.folder) ?? [];
      list.push(digestOf(m.raw, m.flags, m.internalDate, list.length + 1));
      expected.set(m.folder, list);
      yield m;
    }
  })();
  await writeMaildir(dir, messages);
  return { dir, plan, expected, bytes, seedMs: performance.now() - started };
}

/** The corpus, each folder followed by its share of `count` big messages (folders stay contiguous for the Maildir writer). */
function* withBigMessages(corpus: Iterable<SeedMessage>, plan: CorpusPlan, count: number): Generator<SeedMessage> {
  const big = [...generateBigMessages(plan, count)];
  let folder: string | undefined;
  for (const m of corpus) {
    if (folder !== undefined && m.folder !== folder) yield* big.filter((b) => b.folder === folder);
    folder = m.folder;
    yield m;
  }
  yield* big.filter((b) => b.folder === folder);
}

/** What B holds after `--max-size 1M`: the source without its messages over 1 MiB. */
function withoutBig(mailbox: MailboxDigest): MailboxDigest {
  return new Map([...mailbox].map(([folder, list]) => [folder, list.filter((m) => m.size <= 2 ** 20)]));
}

/** Seeding check, once per scenario: the template must read back exactly as generated. */
async function verifyTemplate(template: Template): Promise<void> {
  const server = await startSeededServer(template.dir);
  try {
    const read = await readMailbox(endpointOf(server));
    const report = compareMailboxes(template.expected, read);
    if (!isFaithful(report)) throw new Error(`seeded source differs from the corpus: ${describeFidelity(report)}\n${report.examples.join('\n')}`);
    log(`    seeding verified over IMAP: ${describeFidelity(report)}`);
  } finally {
    await server.stop();
  }
}

// ---------------------------------------------------------------------------
// One tool on one scenario at one RTT

function fidelityFields(report: FidelityReport): Pick<StepRecord, 'fidelity' | 'faithful' | 'fidelityReport'> {
  const { perFolder: _perFolder, ...rest } = report;
  return { fidelity: describeFidelity(report), faithful: isFaithful(report), fidelityReport: rest };
}

const recordBase = (tool: ToolName, scenario: Scenario, rttMs: number): Omit<StepRecord, 'step' | 'ok'> =>
  ({ scenario: scenario.id, folders: scenario.folders, messages: scenario.messages, rttMs, tool });

/** The tool's runner, or undefined (and "not run" records saying why) when it cannot run this scenario. */
async function usableRunner(tool: ToolName, scenario: Scenario, rttMs: number, options: BenchOptions): Promise<ToolRunner | undefined> {
  const runner = runnerFor(tool, options);
  const unavailable = scenario.id === 'twoway' && tool === 'offlineimap'
    ? 'the two-way runs compare replimap, interimap and mbsync (this harness sets offlineimap up one-way, A read-only)'
    : scenario.onlyTools !== undefined && !scenario.onlyTools.includes(tool)
      ? `this scenario runs ${scenario.onlyTools.join(', ')} only`
      : await runner.unavailableReason();
  if (unavailable === undefined) return runner;
  log(`  ${tool}: not available (${unavailable})`);
  for (const step of scenario.steps) records.push({ ...recordBase(tool, scenario, rttMs), step, ok: false, note: `not available: ${unavailable}` });
  return undefined;
}

async function runTool(tool: ToolName, scenario: Scenario, rttMs: number, template: Template, options: BenchOptions): Promise<void> {
  const runner = await usableRunner(tool, scenario, rttMs, options);
  if (!runner) return;
  const base = recordBase(tool, scenario, rttMs);
  const runDir = join(options.outDir, `${scenario.id}-rtt${rttMs}-${tool}`);
  await mkdir(runDir, { recursive: true });
  const workDir = await mkdtemp(join(tmpdir(), `replimap-bench-${tool}-`));
  const context = { workDir, outDir: runDir, timeoutMs: options.timeoutMs, mirror: scenario.mirror === true, twoWay: false };
  try {
    await withToolRun({ templates: { a: template.dir }, rttMs, runner, context }, async (setup) => {
      let sourceNow = template.expected;
      for (const step of scenario.steps) {
        let changes: ChangeSummary | undefined;
        if (step === 'changes') {
          changes = await applySourceChanges(setup.a, template.plan);
          sourceNow = await readMailbox(endpointOf(setup.a));
          log(`    source changed: ${changes.flagChanges} flag changes, ${changes.added} new messages`);
        }
        let moves: MoveSummary | undefined;
        if (step === 'move') {
          moves = await moveBetweenFolders(setup.a, template.plan, scenario.moves ?? 1_000);
          sourceNow = await readMailbox(endpointOf(setup.a));
          log(`    source changed: ${moves.moved} messages (${mib(moves.bytes)} MiB) moved from ${moves.from} to ${moves.to}`);
        }
        let renames: RenameSummary | undefined;
        if (step === 'rename') {
          renames = await renameLastFolder(setup.a, template.plan);
          sourceNow = await readMailbox(endpointOf(setup.a));
          log(`    source changed: ${renames.from} (${renames.messages} messages, ${mib(renames.bytes)} MiB) renamed to ${renames.to}`);
        }
        const record = await measureStep(runner, step, setup, base);
        if (changes) record.changes = changes;
        if (moves) record.moves = moves;
        if (renames) record.renames = renames;
        if (step !== 'noop' && step !== 'noop2') {
          const report = compareMailboxes(step === 'filtered' ? withoutBig(sourceNow) : sourceNow, await readMailbox(endpointOf(setup.b)));
          Object.assign(record, fidelityFields(report));
          await writeFile(join(runDir, `fidelity-${step}.json`), JSON.stringify(report, null, 2));
        }
        records.push(record);
        log(`  ${tool} ${step}: ${record.ok ? 'ok' : `FAILED (${record.note ?? ''})`} ${stepFigures(record)}` +
          (step === 'move' || step === 'rename' ? ` (B's commands: ${JSON.stringify(record.commandsB?.byName ?? {})})` : '') +
          (record.fidelity ? `, fidelity: ${record.fidelity}` : ''));
        if (!record.ok && step === 'initial') {
          if (tool === 'replimap') log(`  replimap: not available (${record.note ?? 'failed'}); going on with the others`);
          for (const later of scenario.steps.slice(1)) records.push({ ...base, step: later, ok: false, note: 'skipped: initial sync failed' });
          break;
        }
      }
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${tool}: bench error: ${message}`);
    records.push({ ...base, step: 'initial', ok: false, note: `bench error: ${message}` });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------
// The two-way scenario (issue 8)

/** Seeding check: A and B together must read back as the whole corpus. */
async function verifyTwoWayTemplate(template: TwoWayTemplate): Promise<void> {
  const both: MailboxDigest = new Map();
  for (const side of SIDES) {
    const server = await startSeededServer(template.dirs[side]);
    try {
      for (const [folder, list] of await readMailbox(endpointOf(server))) both.set(folder, [...(both.get(folder) ?? []), ...list]);
    } finally {
      await server.stop();
    }
  }
  const report = compareMailboxes(template.expected, both);
  if (!isFaithful(report)) throw new Error(`seeded sides differ from the corpus: ${describeFidelity(report)}\n${report.examples.join('\n')}`);
  log(`    seeding verified over IMAP (A and B together): ${describeFidelity(report)}`);
}

async function runTwoWayScenario(scenario: Scenario, options: BenchOptions, workRoot: string): Promise<void> {
  const started = performance.now();
  const template = await buildTwoWayTemplate(planCorpus(scenario.folders, scenario.messages, options.seed), workRoot, scenario.id);
  log(`    corpus split: A ${template.messages.a} messages (${mib(template.bytes.a)} MiB), B ${template.messages.b} (${mib(template.bytes.b)} MiB), ` +
    `written in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await verifyTwoWayTemplate(template);
  for (const rttMs of options.rtts) {
    log(`\n-- RTT ${rttMs} ms`);
    for (const tool of options.tools) {
      const runner = await usableRunner(tool, scenario, rttMs, options);
      if (!runner) continue;
      const outDir = join(options.outDir, `${scenario.id}-rtt${rttMs}-${tool}`);
      const base = recordBase(tool, scenario, rttMs);
      records.push(...(await runTwoWayTool({ runner, rttMs, template, outDir, timeoutMs: options.timeoutMs, base })));
    }
  }
  for (const side of SIDES) await rm(template.dirs[side], { recursive: true, force: true });
}

// ---------------------------------------------------------------------------
// Tables

function tablesByScenario(options: BenchOptions): string {
  let out = '';
  for (const s of options.scenarios) {
    for (const rtt of options.rtts) {
      const rows = records.filter((r) => r.scenario === s.id && r.rttMs === rtt);
      if (rows.length === 0) continue;
      const table = s.id === 'twoway' ? twoWayTable(rows, options.tools, s.steps) : resultsTable(rows);
      out += `\n### ${s.title} — ${s.folders} folders, ${s.messages.toLocaleString('en')} messages, RTT ${rtt} ms\n\n${table}`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await mkdir(options.outDir, { recursive: true });
  const machine = machineInfo();
  await writeFile(join(options.outDir, 'machine.json'), JSON.stringify(machine, null, 2));
  log(`replimap bench → ${options.outDir}`);
  log(`command: npm run bench -- ${process.argv.slice(2).join(' ')}`);
  for (const [k, v] of Object.entries(machine)) log(`  ${k}: ${v.split('\n')[0]}`);
  log(`corpus: ${describeCorpus()}`);
  const descriptions: Record<string, string> = {};
  for (const tool of options.tools) descriptions[tool] = runnerFor(tool, options).describe();

  const workRoot = await mkdtemp(join(tmpdir(), 'replimap-bench-'));
  const stop = (signal: NodeJS.Signals): void => {
    log(`\n${signal}: stopping tools and servers`);
    killRunningTools();
    // test/support/dovecot.ts stops its servers in an exit hook.
    void rm(workRoot, { recursive: true, force: true }).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const started = performance.now();
  try {
    for (const scenario of options.scenarios) {
      log(`\n== ${scenario.title}: ${scenario.folders} folders, ${scenario.messages} messages`);
      if (scenario.id === 'twoway') {
        await runTwoWayScenario(scenario, options, workRoot);
        continue;
      }
      const template = await buildTemplate(scenario, options.seed, workRoot);
      log(`    corpus written as Maildir: ${(template.bytes / 2 ** 20).toFixed(1)} MiB in ${(template.seedMs / 1000).toFixed(1)} s`);
      await verifyTemplate(template);
      for (const rtt of options.rtts) {
        log(`\n-- RTT ${rtt} ms`);
        for (const tool of options.tools) await runTool(tool, scenario, rtt, template, options);
      }
      await rm(template.dir, { recursive: true, force: true });
    }
  } finally {
    await rm(workRoot, { recursive: true, force: true });
  }
  const tables = tablesByScenario(options);
  const configs = Object.entries(descriptions).map(([tool, d]) => `- **${tool}**: ${d}`).join('\n');
  const md = `# Bench run ${machine['date']}\n\nCommand: \`npm run bench -- ${process.argv.slice(2).join(' ')}\`\n\n` +
    `Total time ${((performance.now() - started) / 60_000).toFixed(1)} min.\n\n## Machine\n\n` +
    Object.entries(machine).map(([k, v]) => `- ${k}: ${v.split('\n')[0]}`).join('\n') +
    `\n\n## Corpus\n\n${describeCorpus()}\n\n## Configurations\n\n${configs}\n\n## Results\n${tables}`;
  await writeFile(join(options.outDir, 'results.md'), md);
  await writeFile(join(options.outDir, 'results.json'), JSON.stringify({ machine, options, records }, null, 2));
  log(`\n${tables}`);
  log(`raw output and results.md/results.json in ${options.outDir}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  killRunningTools();
  process.exitCode = 1;
});
