// `replimap sync A B`: turn the command line into a SyncJob, run the engine
// with a reporter, print the summary, and say which exit code the run earned.

import { resolvePassword } from '../config/credentials.js';
import { checkFilter } from '../config/filterArgs.js';
import { isActiveFilter } from '../store/messageFilter.js';
import { defaultStatePath } from '../config/statePath.js';
import { buildStoreSpec } from '../config/storeSpec.js';
import { parseStoreUrl, type StoreLabel } from '../config/storeUrl.js';
import { ExitCode, UsageError } from '../errors.js';
import type { StoreSpec } from '../store/spec.js';
import { TokenBucket } from '../store/tokenBucket.js';
import type { SyncJob, SyncSummary } from '../sync/types.js';
import type { CliContext } from './context.js';
import { chooseReporter } from './output/chooseReporter.js';
import { observerOf, type Reporter } from './output/reporter.js';
import { exitCodeForSummary, formatSummary, summaryToJson, toJsonText } from './output/summary.js';
import type { SyncCommandOptions } from './program.js';

export const INSECURE_WARNING = '--insecure: TLS certificates are not verified, and imap:// may run without TLS';

/** Checks that need no I/O, done before any password command runs. */
function checkSyncOptions(options: SyncCommandOptions): void {
  if (options.mode !== 'mirror' && options.deleteFolders) throw new UsageError('--delete-folders needs --mode mirror');
  if (options.mode === 'copy' && options.force) throw new UsageError('--force needs --mode mirror or two-way');
  for (const glob of [...options.include, ...options.exclude]) {
    if (glob.trim() === '') throw new UsageError('--include/--exclude need a non-empty glob');
  }
  try {
    checkFilter(options.messageFilter);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (options.priority.some((glob) => glob.trim() === '')) throw new UsageError('--priority needs a non-empty glob');
  // Stand-ins are made only for messages held back by size: without a size bound the option would do nothing.
  if (options.placeholders && options.messageFilter.maxSize === undefined && options.messageFilter.minSize === undefined) {
    throw new UsageError('--placeholders needs --max-size or --min-size (stand-ins are made for messages held back by size)');
  }
}

interface PreparedJob {
  job: SyncJob;
  /** Warnings from the configuration (URL password, loose file mode, --insecure). */
  warnings: string[];
}

async function prepareSyncJob(
  a: string,
  b: string,
  options: SyncCommandOptions,
  env: CliContext['env'],
): Promise<PreparedJob> {
  checkSyncOptions(options);
  const urlA = parseStoreUrl(a, 'A');
  const urlB = parseStoreUrl(b, 'B');
  if (urlA.displayUrl === urlB.displayUrl) {
    throw new UsageError(`A and B are the same store (${urlA.displayUrl})`);
  }
  const warnings: string[] = [];
  // One bucket for the run: every connection to A and B draws from it.
  const bandwidth = options.bwlimit !== undefined ? new TokenBucket(options.bwlimit) : undefined;
  const spec = async (label: StoreLabel, url: typeof urlA): Promise<StoreSpec> => {
    const file = label === 'A' ? options.passwordAFile : options.passwordBFile;
    const command = label === 'A' ? options.passwordACommand : options.passwordBCommand;
    const resolved = await resolvePassword(label, {
      env,
      ...(file !== undefined && { passwordFile: file }),
      ...(command !== undefined && { passwordCommand: command }),
      ...(url.passwordInUrl !== undefined && { urlPassword: url.passwordInUrl }),
    });
    warnings.push(...resolved.warnings);
    const built = await buildStoreSpec(url, resolved.password, {
      ...(options.tlsCa !== undefined && { tlsCaFile: options.tlsCa }),
      insecure: options.insecure,
      timeoutMs: options.timeout * 1000,
    });
    return {
      ...built,
      compress: options.compress,
      ...(options.allowSizeMismatch && { allowSizeMismatch: true }),
      ...(bandwidth && { bandwidth }),
    };
  };
  // One after the other: a password command may prompt.
  const specA = await spec('A', urlA);
  const specB = await spec('B', urlB);
  if (options.insecure) warnings.push(INSECURE_WARNING);

  const job: SyncJob = {
    a: specA,
    b: specB,
    statePath: options.state ?? defaultStatePath(urlA.displayUrl, urlB.displayUrl, env),
    options: {
      mode: options.mode,
      dryRun: options.dryRun,
      filter: { include: options.include, exclude: options.exclude },
      deleteFolders: options.deleteFolders,
      force: options.force,
      full: options.full,
      connections: options.connections,
      ...(isActiveFilter(options.messageFilter) && { messageFilter: options.messageFilter }),
      ...(options.placeholders && { placeholders: true }),
      ...(options.priority.length > 0 && { priority: options.priority }),
      ...(options.maxTimeMs !== undefined && { maxTimeMs: options.maxTimeMs }),
      ...commitInterval(env),
    },
  };
  return { job, warnings };
}

/**
 * REPLIMAP_COMMIT_INTERVAL_MS: how often a long run rewrites its state file
 * (default 60 s; the journal keeps every result safe in between). Tests set it
 * low so that kills also land during commits.
 */
function commitInterval(env: CliContext['env']): { commitIntervalMs?: number } {
  const raw = env.REPLIMAP_COMMIT_INTERVAL_MS;
  if (raw === undefined || raw === '') return {};
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0) throw new UsageError(`REPLIMAP_COMMIT_INTERVAL_MS must be a whole number of milliseconds, not ${JSON.stringify(raw)}`);
  return { commitIntervalMs: ms };
}

/** Tells main() how a failed run should be reported (--json wants an object on stdout too). */
export interface RunFlags {
  verbose: boolean;
  json: boolean;
}

export async function runSyncCommand(
  a: string,
  b: string,
  options: SyncCommandOptions,
  ctx: CliContext,
  flags: RunFlags,
): Promise<number> {
  flags.verbose = options.verbose;
  flags.json = options.json;
  const { job, warnings } = await prepareSyncJob(a, b, options, ctx.env);
  const reporter = await chooseReporter(ctx, options);
  for (const w of warnings) reporter.warning(w);
  reporter.verbose(`state file: ${job.statePath}`);

  let summary: SyncSummary;
  const stop = watchSignals(ctx, reporter);
  try {
    summary = await ctx.runSync(job, observerOf(reporter), stop.signal);
  } finally {
    stop.dispose();
    reporter.close();
  }

  let exitCode: number = exitCodeForSummary(summary);
  // The engine may return normally after an abort; the run was still cut short.
  if (stop.received) exitCode = stop.received === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted;

  if (options.json) {
    const allWarnings = [...new Set([...reporter.warnings, ...summary.warnings])];
    const json = summaryToJson(summary, {
      exitCode,
      a: job.a.displayUrl,
      b: job.b.displayUrl,
      statePath: job.statePath,
      warnings: allWarnings,
      plan: [...reporter.plan],
    });
    ctx.stdout.write(`${toJsonText(json)}\n`);
  } else if (!options.quiet || exitCode !== ExitCode.Ok || summary.left !== undefined) {
    // -q: a run --max-time cut short is not all done; its summary says what is left.
    ctx.stdout.write(`${formatSummary(summary, { stats: options.stats }).join('\n')}\n`);
  }
  return exitCode;
}

interface SignalWatch {
  signal: AbortSignal;
  received: 'SIGINT' | 'SIGTERM' | undefined;
  dispose(): void;
}

/**
 * First SIGINT/SIGTERM: abort the run (the engine stops at a safe point and
 * saves the state, cutting the connections after a few seconds if a silent
 * server keeps it from getting there; the abort reason is the signal's name).
 * Second one: leave now.
 */
function watchSignals(ctx: CliContext, reporter: Reporter): SignalWatch {
  const controller = new AbortController();
  const watch: SignalWatch = {
    signal: controller.signal,
    received: undefined,
    dispose: () => {
      ctx.signals.off('SIGINT', onInt);
      ctx.signals.off('SIGTERM', onTerm);
    },
  };
  const on = (sig: 'SIGINT' | 'SIGTERM'): void => {
    const code = sig === 'SIGTERM' ? ExitCode.Terminated : ExitCode.Interrupted;
    if (watch.received) {
      reporter.close();
      ctx.stderr.write(`replimap: ${sig} again: exiting now\n`);
      ctx.exit(code);
      return;
    }
    watch.received = sig;
    reporter.notice(`${sig}: stopping at the next safe point and saving the state (again to quit at once)`);
    controller.abort(sig);
  };
  const onInt = (): void => on('SIGINT');
  const onTerm = (): void => on('SIGTERM');
  ctx.signals.on('SIGINT', onInt);
  ctx.signals.on('SIGTERM', onTerm);
  return watch;
}
