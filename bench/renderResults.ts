// Merges the results.json of several bench runs (say the competitors' run and
// a later replimap run at the same sizes) into the Markdown tables of
// bench/RESULTS.md. Steps without figures get a "not run" row.
//
//   npx tsx bench/renderResults.ts bench/out/issue2-full/results.json bench/out/replimap-issue2/results.json
//   [--tools replimap,mbsync,interimap,offlineimap]   which rows to show (default all)

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { compactTable, twoWayTable, type StepRecord } from './results.js';
import { ALL_TOOLS, type StepName, type ToolName } from './runners/types.js';

const TITLES: Record<string, string> = {
  issue2: 'Issue 2 (initial sync, no-op resync)',
  issue3: 'Issue 3 (initial copy, no-op resync, resync after 1% flag changes + 0.5% new)',
  move: 'Issue 9 (initial mirror, resync after messages moved between two folders)',
  rename: 'Issue 9 (initial mirror, resync after a folder renamed on A)',
  twoway: 'Issue 8 (two-way: initial run, run after changes on both sides, no-op run)',
  filter: 'Issue 9 §2 (initial copy with --max-size 1M, then a run without it)',
};

const STEPS: Record<string, StepName[]> = {
  issue3: ['initial', 'noop', 'noop2', 'changes'],
  move: ['initial', 'move'],
  rename: ['initial', 'rename'],
  twoway: ['initial', 'changes', 'noop'],
  filter: ['filtered', 'rest'],
};

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: { tools: { type: 'string', default: ALL_TOOLS.join(',') } },
    allowPositionals: true,
  });
  if (positionals.length === 0) throw new Error('usage: renderResults.ts results.json [results.json …] [--tools a,b]');
  const tools = values.tools.split(',') as ToolName[];
  const records: StepRecord[] = [];
  for (const file of positionals) {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { records: StepRecord[] };
    records.push(...parsed.records);
  }
  const groups = new Map<string, StepRecord[]>();
  for (const r of records) {
    const key = `${r.scenario}|${r.folders}|${r.messages}|${r.rttMs}`;
    const list = groups.get(key) ?? [];
    // A later file wins for the same tool and step (a re-run replaces the old figure).
    const at = list.findIndex((x) => x.tool === r.tool && x.step === r.step);
    if (at >= 0) list[at] = r;
    else list.push(r);
    groups.set(key, list);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [sa, fa, ma, ra] = a.split('|');
    const [sb, fb, mb, rb] = b.split('|');
    return sa!.localeCompare(sb!) || Number(ma) - Number(mb) || Number(fa) - Number(fb) || Number(ra) - Number(rb);
  });
  for (const key of keys) {
    const rows = groups.get(key)!;
    const [scenario, folders, messages, rtt] = key.split('|');
    const steps: StepName[] = STEPS[scenario!] ?? ['initial', 'noop', 'noop2'];
    process.stdout.write(
      `\n#### ${TITLES[scenario!] ?? scenario} — ${folders} folders, ${Number(messages).toLocaleString('en')} messages, RTT ${rtt} ms\n\n` +
        (scenario === 'twoway' ? twoWayTable(rows, tools, steps) : compactTable(rows, tools, steps)),
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
