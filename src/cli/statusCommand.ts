// `replimap status A B`: what the state file holds back (deferred by a message
// filter) per folder and in total, with sizes, read from the state alone:
// no password, no connection. The state path follows sync's rules.

import { defaultStatePath } from '../config/statePath.js';
import { parseStoreUrl } from '../config/storeUrl.js';
import { SyncState } from '../state/SyncState.js';
import { pairLabel } from '../sync/folderMap.js';
import type { CliContext } from './context.js';
import { formatBytes } from './output/format.js';
import { toJsonText } from './output/summary.js';
import type { StatusCommandOptions } from './program.js';
import type { RunFlags } from './syncCommand.js';

export interface DeferredFolder {
  /** A's name, with B's in parentheses when it differs (as sync names a folder). */
  folder: string;
  nameA: string;
  nameB: string;
  /** Deferred records, and the bytes of those whose size the state knows. */
  deferred: number;
  bytes: number;
}

export interface DeferredReport {
  folders: DeferredFolder[];
  total: { deferred: number; bytes: number };
  /** The filter of the last complete run ('' for none). */
  filter: string;
}

/** Deferred records per folder (folders without any left out, A's names in order). */
export function deferredReport(state: SyncState): DeferredReport {
  const folders: DeferredFolder[] = [];
  for (const { nameA, nameB } of state.folderKeys()) {
    const entry = state.folder(nameA, nameB);
    // A byte search first: only sections that hold a status token are parsed.
    if (entry === undefined || !entry.hasUnsyncedRecords()) continue;
    let deferred = 0;
    let bytes = 0;
    for (const r of entry.records()) {
      // An original with a stand-in on the other side (--placeholders) is held back too; a stand-in alone is not.
      const withStandIn = r.standIn !== undefined && r.uidA !== 0 && r.uidB !== 0;
      if (r.status !== 'deferred' && !withStandIn) continue;
      deferred++;
      bytes += r.size ?? 0;
    }
    if (deferred > 0) folders.push({ folder: pairLabel({ nameA, nameB }), nameA, nameB, deferred, bytes });
  }
  folders.sort((x, y) => (x.nameA < y.nameA ? -1 : x.nameA > y.nameA ? 1 : 0));
  const total = folders.reduce((t, f) => ({ deferred: t.deferred + f.deferred, bytes: t.bytes + f.bytes }), { deferred: 0, bytes: 0 });
  return { folders, total, filter: state.messageFilter };
}

export async function runStatusCommand(a: string, b: string, options: StatusCommandOptions, ctx: CliContext, flags: RunFlags): Promise<number> {
  flags.verbose = options.verbose;
  flags.json = options.json;
  const urlA = parseStoreUrl(a, 'A');
  const urlB = parseStoreUrl(b, 'B');
  const statePath = options.state ?? defaultStatePath(urlA.displayUrl, urlB.displayUrl, ctx.env);
  // Read-only: no lock, nothing written, so a sync may run meanwhile (a warning says so).
  const state = await SyncState.open(statePath, { storeA: urlA.displayUrl, storeB: urlB.displayUrl }, { readOnly: true });
  const report = deferredReport(state);
  if (options.json) {
    ctx.stdout.write(`${toJsonText({ ok: true, a: urlA.displayUrl, b: urlB.displayUrl, statePath, stateExists: !state.isNew, ...report, warnings: state.warnings })}\n`);
    return 0;
  }
  for (const w of state.warnings) ctx.stderr.write(`warning: ${w}\n`);
  ctx.stdout.write(`${formatReport(report, statePath, state.isNew).join('\n')}\n`);
  return 0;
}

function formatReport(report: DeferredReport, statePath: string, isNew: boolean): string[] {
  if (isNew) return [`no state file at ${statePath}: nothing synced yet, nothing deferred`];
  const lines = [`state file ${statePath}${report.filter === '' ? '' : ` (last filter: ${report.filter})`}`];
  if (report.folders.length === 0) return [...lines, 'nothing deferred'];
  const width = Math.max(6, ...report.folders.map((f) => f.folder.length));
  lines.push(`${'folder'.padEnd(width)}  ${'deferred'.padStart(8)}  ${'size'.padStart(10)}`);
  for (const f of report.folders) lines.push(`${f.folder.padEnd(width)}  ${String(f.deferred).padStart(8)}  ${formatBytes(f.bytes).padStart(10)}`);
  lines.push(`${'total'.padEnd(width)}  ${String(report.total.deferred).padStart(8)}  ${formatBytes(report.total.bytes).padStart(10)}`);
  return lines;
}
