// Result records of bench runs and their Markdown tables, shared by bench.ts
// (which writes results.json) and renderResults.ts (which merges several runs,
// e.g. the competitors' and replimap's, into the tables of RESULTS.md).

import type { CommandCounts } from './benchServers.js';
import type { FidelityReport } from './readback.js';
import type { ChangeSummary } from './sourceChanges.js';
import type { MoveSummary } from './sourceMoves.js';
import type { RenameSummary } from './sourceRenames.js';
import type { TwoWayChangeSummary } from './twoWayChanges.js';
import type { StepName, ToolName } from './runners/types.js';

export interface StepRecord {
  scenario: string;
  folders: number;
  messages: number;
  rttMs: number;
  tool: ToolName;
  step: StepName;
  ok: boolean;
  note?: string;
  wallMs?: number;
  /** User + system CPU time of the tool process (ms). */
  cpuMs?: number;
  peakRssKiB?: number;
  /** Counted by Dovecot (imap_command_finished), after login. */
  commandsA?: CommandCounts;
  commandsB?: CommandCounts;
  /** As replimap reports them itself (--json --stats). */
  reportedCommandsA?: number;
  reportedCommandsB?: number;
  reportedBytesA?: number;
  reportedBytesB?: number;
  /** Through the proxies: tool → server (up) and server → tool (down). */
  bytesAUp?: number;
  bytesADown?: number;
  bytesBUp?: number;
  bytesBDown?: number;
  connectionsA?: number;
  connectionsB?: number;
  fidelity?: string;
  faithful?: boolean;
  fidelityReport?: Omit<FidelityReport, 'perFolder'>;
  changes?: ChangeSummary;
  moves?: MoveSummary;
  renames?: RenameSummary;
  /** Two-way scenario: what changed on each side before the step. */
  twoWayChanges?: TwoWayChangeSummary;
  commandLine?: string;
  /** 1-minute load average just before the step (other work on the machine skews timings). */
  loadBefore?: number;
}

export function mib(bytes: number | undefined): string {
  return bytes === undefined ? '–' : (bytes / 2 ** 20).toFixed(1);
}

const rss = (r: StepRecord): string => mib(r.peakRssKiB !== undefined ? r.peakRssKiB * 1024 : undefined);

/** The figures of one step on one line, as the bench logs them. */
export function stepFigures(r: StepRecord): string {
  const seconds = (ms: number | undefined): string => (ms === undefined ? '–' : (ms / 1000).toFixed(2));
  return `${seconds(r.wallMs)} s (CPU ${seconds(r.cpuMs)} s), peak RSS ${rss(r)} MiB, ` +
    `commands A/B ${r.commandsA?.total ?? '–'}/${r.commandsB?.total ?? '–'}, tool→A ${mib(r.bytesAUp)} MiB, tool→B ${mib(r.bytesBUp)} MiB`;
}

/** Every figure of every step, as bench.ts prints it. */
export function resultsTable(rows: StepRecord[]): string {
  const head =
    '| tool | step | wall s | peak RSS MiB | cmds A | cmds B | replimap-reported cmds A/B | A→tool MiB | tool→A MiB | tool→B MiB | B→tool MiB | conns A/B | load | fidelity |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n';
  const body = rows
    .map((r) => {
      if (r.wallMs === undefined) return `| ${r.tool} | ${r.step} | ${r.note ?? 'n/a'} | | | | | | | | | | | |`;
      const reported = r.reportedCommandsA !== undefined ? `${r.reportedCommandsA}/${r.reportedCommandsB ?? '–'}` : '–';
      const status = r.ok ? '' : `FAILED: ${(r.note ?? '').slice(0, 80)}; `;
      return `| ${r.tool} | ${r.step} | ${(r.wallMs / 1000).toFixed(2)} | ${rss(r)} | ` +
        `${r.commandsA?.total ?? '–'} | ${r.commandsB?.total ?? '–'} | ${reported} | ${mib(r.bytesADown)} | ${mib(r.bytesAUp)} | ` +
        `${mib(r.bytesBUp)} | ${mib(r.bytesBDown)} | ${r.connectionsA ?? '–'}/${r.connectionsB ?? '–'} | ${r.loadBefore?.toFixed(1) ?? '–'} | ` +
        `${status}${r.fidelity ?? (r.step === 'noop' || r.step === 'noop2' ? '(not checked)' : '')} |`;
    })
    .join('\n');
  return head + body + '\n';
}

/**
 * The RESULTS.md form: one row per tool and step, tools in the given order, a
 * "not run" row for every expected tool and step without figures.
 */
export function compactTable(rows: StepRecord[], tools: readonly ToolName[], steps: readonly StepName[]): string {
  let out =
    '| tool | step | wall s | peak RSS MiB | IMAP cmds A / B | MiB A→tool / tool→B | MiB tool→A / B→tool | load | copy check |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---|\n';
  for (const tool of tools) {
    for (const step of steps) {
      const r = rows.find((x) => x.tool === tool && x.step === step);
      if (!r) {
        out += `| ${tool} | ${step} | not run | | | | | | |\n`;
        continue;
      }
      if (r.wallMs === undefined) {
        out += `| ${tool} | ${step} | ${r.note ?? 'n/a'} | | | | | | |\n`;
        continue;
      }
      const reported = r.reportedCommandsA !== undefined ? ` (own count ${r.reportedCommandsA} / ${r.reportedCommandsB ?? '–'})` : '';
      const check = r.ok ? (r.fidelity ? (r.faithful ? 'faithful' : r.fidelity) : '–') : `FAILED: ${(r.note ?? '').slice(0, 80)}`;
      out += `| ${tool} | ${step} | ${(r.wallMs / 1000).toFixed(2)} | ${rss(r)} | ${r.commandsA?.total ?? '–'} / ${r.commandsB?.total ?? '–'}${reported} | ` +
        `${mib(r.bytesADown)} / ${mib(r.bytesBUp)} | ${mib(r.bytesAUp)} / ${mib(r.bytesBDown)} | ${r.loadBefore?.toFixed(1) ?? '–'} | ${check} |\n`;
    }
  }
  return out;
}

/**
 * The two-way form: both directions count, so bytes and commands are per side;
 * CPU is the tool's; the check is each side against the model and A against B.
 */
export function twoWayTable(rows: StepRecord[], tools: readonly ToolName[], steps: readonly StepName[]): string {
  let out =
    '| tool | step | wall s | CPU s | peak RSS MiB | IMAP cmds A / B | MiB tool→A / tool→B | MiB A→tool / B→tool | load | check |\n' +
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---|\n';
  for (const tool of tools) {
    for (const step of steps) {
      const r = rows.find((x) => x.tool === tool && x.step === step);
      if (!r || r.wallMs === undefined) {
        out += `| ${tool} | ${step} | ${r?.note ?? 'not run'} | | | | | | | |\n`;
        continue;
      }
      const cpu = r.cpuMs === undefined ? '–' : (r.cpuMs / 1000).toFixed(2);
      const check = `${r.ok ? '' : `FAILED: ${(r.note ?? '').slice(0, 80)}; `}${r.fidelity ?? '–'}`;
      out += `| ${tool} | ${step} | ${(r.wallMs / 1000).toFixed(2)} | ${cpu} | ${rss(r)} | ${r.commandsA?.total ?? '–'} / ${r.commandsB?.total ?? '–'} | ` +
        `${mib(r.bytesAUp)} / ${mib(r.bytesBUp)} | ${mib(r.bytesADown)} / ${mib(r.bytesBDown)} | ${r.loadBefore?.toFixed(1) ?? '–'} | ${check} |\n`;
    }
  }
  return out;
}
