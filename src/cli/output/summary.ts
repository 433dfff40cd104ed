// The final summary of a sync run: human lines, or one JSON object.

import { ExitCode } from '../../errors.js';
import type { MessageFailure, SideWork, SyncLeft, SyncSummary } from '../../sync/types.js';
import type { BucketReport } from '../../store/tokenBucket.js';
import type { StoreStats } from '../../store/types.js';
import { formatBytes, formatDuration, formatRate, plural } from './format.js';

/**
 * The exit code a finished run deserves. The mirror guard outranks message
 * failures: it says the source may be broken, which a human must look at.
 */
export function exitCodeForSummary(summary: SyncSummary): ExitCode {
  if ((summary.deletionsWithheld ?? 0) > 0 || (summary.withheld?.length ?? 0) > 0) return ExitCode.GuardRefused;
  if (summary.failed.length > 0) return ExitCode.PartialFailure;
  return ExitCode.Ok;
}

export function describeFailure(f: MessageFailure): string {
  // UID 0: the whole folder failed (e.g. SELECT refused), not one message.
  return f.uid > 0 ? `${f.folder}: UID ${f.uid} on ${f.side}: ${f.reason}` : `${f.folder}: ${f.reason}`;
}

/** "2 messages", "1 folder", "1 message, 1 folder": a whole folder's failure has UID 0. */
function failedCounts(failed: MessageFailure[]): string {
  const folders = failed.filter((f) => f.uid === 0).length;
  const messages = failed.length - folders;
  if (folders === 0) return plural(messages, 'message');
  return messages === 0 ? plural(folders, 'folder') : `${plural(messages, 'message')}, ${plural(folders, 'folder')}`;
}

/** --max-time: what the spent budget left for the next run, in one line (exit 0: on schedule, not done). */
function describeLeft(left: SyncLeft): string {
  const parts = [`${plural(left.messages, 'message')} (${formatBytes(left.bytes)})`];
  if (left.deletions > 0) parts.push(`${plural(left.deletions, 'deletion')}`);
  if (left.folderDeletions > 0) parts.push(`${plural(left.folderDeletions, 'folder deletion')}`);
  return `${parts.join(', ')} in ${plural(left.folders, 'folder')} not done: --max-time spent; the next run continues`;
}

export interface SummaryOptions {
  /** --stats: commands and bytes per store. */
  stats: boolean;
}

export function formatSummary(summary: SyncSummary, options: SummaryOptions): string[] {
  const dry = summary.dryRun;
  const lines: string[] = [];
  const title = dry ? `replimap ${summary.mode} (dry run: nothing was changed)` : `replimap ${summary.mode}`;
  // --max-time: a run that stopped on time is not done; its first line says so.
  const ending = summary.left === undefined ? 'done' : 'stopped by --max-time, NOT all done,';
  lines.push(`${title}: ${ending} in ${formatDuration(summary.elapsedMs)}`);

  const row = (label: string, text: string): void => {
    lines.push(`  ${`${label}:`.padEnd(16)}${text}`);
  };
  const folderParts = [`${summary.folders} checked`, `${summary.foldersSkipped} unchanged`];
  if (summary.foldersCreated > 0) folderParts.push(`${summary.foldersCreated} ${dry ? 'to create' : 'created'}`);
  if (summary.foldersDeleted > 0) folderParts.push(`${summary.foldersDeleted} ${dry ? 'to delete' : 'deleted'}`);
  if ((summary.foldersRenamed ?? 0) > 0) folderParts.push(`${summary.foldersRenamed} ${dry ? 'to rename' : 'renamed'}`);
  row('folders', folderParts.join(', '));
  // Two-way acts on both sides: each count says how much went to (or happened on) each.
  const perSide = (key: keyof SideWork, word: string): string => {
    const { bySide } = summary;
    return summary.mode === 'two-way' && bySide ? `: ${bySide.a[key]} ${word} A, ${bySide.b[key]} ${word} B` : '';
  };
  row(dry ? 'would copy' : 'copied', `${plural(summary.copied, 'message')} (${formatBytes(summary.bytes)})${perSide('copied', 'to')}`);
  if (summary.transferred > 0) row('server-side', `${plural(summary.transferred, 'message')} ${dry ? 'would be ' : ''}moved or copied from another folder (no body sent)`);
  row(dry ? 'would update' : 'flags updated', `${plural(summary.flagsUpdated, 'message')}${perSide('flagsUpdated', 'on')}`);
  if (summary.mode !== 'copy') {
    row(dry ? 'would expunge' : 'expunged', `${plural(summary.expunged, 'message')}${perSide('expunged', 'on')}`);
  }
  row(summary.mode === 'two-way' ? 'already synced' : 'already on B', plural(summary.skipped, 'message'));
  if ((summary.deferred ?? 0) > 0) {
    row(dry ? 'would defer' : 'deferred', `${plural(summary.deferred, 'message')} (${formatBytes(summary.deferredBytes)}) held back by the message filter (replimap status lists them)`);
  }
  const withheld = summary.withheld ?? [];
  if ((summary.deletionsWithheld ?? 0) > 0 || withheld.length > 0) {
    const folders = withheld.filter((w) => w.what === 'folders').reduce((sum, w) => sum + w.count, 0);
    const parts: string[] = [];
    if ((summary.deletionsWithheld ?? 0) > 0) parts.push(plural(summary.deletionsWithheld, 'message'));
    if (folders > 0) parts.push(plural(folders, 'folder'));
    row('withheld', `${parts.join(', ')} not deleted on ${summary.mode === 'two-way' ? 'A or B' : 'B'} (--force deletes them)`);
    for (const w of withheld) lines.push(`    ${w.reason}`);
  }
  if ((summary.rollbacks ?? []).length > 0) {
    row('rolled back', summary.rollbacks.map((r) => `${r.folder} (${r.side})`).join(', '));
  }
  const reassigned = summary.reassigned ?? [];
  if (reassigned.length > 0) {
    row(dry ? 'would renumber' : 'new UIDs', `${plural(reassigned.length, 'message')} found at a reused UID`);
    for (const r of reassigned) lines.push(`    ${r.folder}: ${r.side} UID ${r.uid}${r.newUid === undefined ? '' : ` → ${r.newUid}`}`);
  }
  if (summary.left !== undefined) row('left', describeLeft(summary.left));
  if (summary.warnings.length > 0) row('warnings', String(summary.warnings.length));
  row('failed', failedCounts(summary.failed));
  for (const f of summary.failed) lines.push(`    ${describeFailure(f)}`);
  if (options.stats) {
    for (const [label, st] of [['A', summary.stats.a], ['B', summary.stats.b]] as const) row(`store ${label}`, storeStatsText(st));
    const bucket = summary.stats.bandwidth;
    if (bucket) row('bwlimit', bwlimitText(bucket));
  }
  return lines;
}

/** Commands, then bytes on the wire, then (when COMPRESS changed them) the uncompressed bytes. */
function storeStatsText(st: StoreStats): string {
  const wire = `${plural(st.commands, 'command')}, ${formatBytes(st.wireIn)} in, ${formatBytes(st.wireOut)} out on the wire`;
  if (st.compressed === 0) return `${wire} (uncompressed)`;
  return `${wire}; ${formatBytes(st.bytesIn)} in, ${formatBytes(st.bytesOut)} out before COMPRESS (${st.compressed} of ${plural(st.connections, 'connection')} compressed)`;
}

function bwlimitText(bucket: BucketReport): string {
  const held = bucket.peakExcess <= bucket.burst ? 'held' : `exceeded by ${formatBytes(bucket.peakExcess - bucket.burst)}`;
  return `${formatRate(bucket.rate)}: ${formatBytes(bucket.bytes)} on the wire, ${formatDuration(bucket.waitedMs)} waited in all, limit ${held}`;
}

export interface JsonSummaryContext {
  exitCode: number;
  a: string;
  b: string;
  statePath: string;
  /** Every warning of the run (the CLI's own and the engine's), in order, no duplicates. */
  warnings: string[];
  /** Dry run: the actions that would have been taken. */
  plan: string[];
}

/** The --json object: plain numbers and strings only (no bigint, never a password). */
export function summaryToJson(summary: SyncSummary, ctx: JsonSummaryContext): Record<string, unknown> {
  const json: Record<string, unknown> = {
    ok: ctx.exitCode === ExitCode.Ok,
    exitCode: ctx.exitCode,
    a: ctx.a,
    b: ctx.b,
    statePath: ctx.statePath,
    mode: summary.mode,
    dryRun: summary.dryRun,
    folders: summary.folders,
    foldersSkipped: summary.foldersSkipped,
    foldersCreated: summary.foldersCreated,
    foldersDeleted: summary.foldersDeleted,
    foldersRenamed: summary.foldersRenamed ?? 0,
    copied: summary.copied,
    bytes: summary.bytes,
    transferred: summary.transferred,
    flagsUpdated: summary.flagsUpdated,
    expunged: summary.expunged,
    skipped: summary.skipped,
    deferred: summary.deferred ?? 0,
    deferredBytes: summary.deferredBytes ?? 0,
    ...(summary.bySide && { bySide: { a: { ...summary.bySide.a }, b: { ...summary.bySide.b } } }),
    deletionsWithheld: summary.deletionsWithheld ?? 0,
    withheld: (summary.withheld ?? []).map((w) => ({ ...w })),
    rollbacks: (summary.rollbacks ?? []).map((r) => ({ folder: r.folder, side: r.side })),
    reassigned: (summary.reassigned ?? []).map((r) => ({ ...r })),
    // --max-time: what is left for the next run (zeros: nothing; ok with nonzero counts means on schedule, not done).
    left: { ...(summary.left ?? { messages: 0, bytes: 0, folders: 0, deletions: 0, folderDeletions: 0 }) },
    failed: summary.failed.map((f) => ({ folder: f.folder, uid: f.uid, side: f.side, reason: f.reason })),
    warnings: ctx.warnings,
    elapsedMs: summary.elapsedMs,
    stats: {
      a: { ...summary.stats.a },
      b: { ...summary.stats.b },
      ...(summary.stats.bandwidth && { bandwidth: { ...summary.stats.bandwidth } }),
    },
  };
  if (summary.dryRun) json.plan = ctx.plan;
  return json;
}

/** JSON.stringify that turns any bigint into a decimal string instead of throwing. */
export function toJsonText(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}
