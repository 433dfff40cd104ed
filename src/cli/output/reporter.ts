// What the CLI hands to the engine as its SyncObserver, plus what the CLI
// itself needs around a run. Four kinds, chosen by context:
//   tty    stderr is a terminal: spinner for phases, progress bars for copies
//   plain  stderr is not a terminal (cron, logs): timestamped lines, no escapes
//   quiet  -q: failures only
//   json   --json: failures only on stderr; the summary goes to stdout as JSON
// Progress and log lines go to stderr. The results of a run go to stdout: the
// summary, the JSON object, and the dry-run plan (one `wouldDo` line each).

import type { MessageFailure, SyncObserver } from '../../sync/types.js';
import type { CliStream } from '../context.js';
import { timestamp } from './format.js';
import { describeFailure } from './summary.js';

export interface Reporter extends SyncObserver {
  /** Stop spinners and bars so the summary or an error prints on a clean terminal. Idempotent. */
  close(): void;
  /** A line from the CLI itself (e.g. "stopping after the current batch"), shown unless --json/-q. */
  notice(text: string): void;
  /** Every warning seen, in order, without duplicates (for --json). */
  readonly warnings: readonly string[];
  /** Dry run: every `wouldDo` line, in order (for --json). */
  readonly plan: readonly string[];
}

export interface ReporterContext {
  stdout: CliStream;
  stderr: CliStream;
  verbose: boolean;
  dryRun: boolean;
  now: () => Date;
}

/** Writes `[timestamp ]replimap: text` lines. Timestamps only where there is no terminal to look at. */
export class LineLog {
  constructor(
    private readonly stream: CliStream,
    private readonly timestamps: boolean,
    private readonly now: () => Date,
  ) {}

  format(text: string): string {
    return `${this.timestamps ? `${timestamp(this.now())} ` : ''}replimap: ${text}\n`;
  }

  line(text: string): void {
    this.stream.write(this.format(text));
  }
}

/** Bookkeeping every reporter shares; the default reactions print nothing. */
export abstract class BaseReporter implements Reporter {
  private readonly warningSet = new Set<string>();
  readonly warnings: string[] = [];
  readonly plan: string[] = [];

  constructor(protected readonly ctx: ReporterContext) {}

  phase(_text: string): void {}
  started(_estimate: { folders: number; messages: number; bytes: number }): void {}
  folderPlanned(..._args: Parameters<SyncObserver['folderPlanned']>): void {}
  progress(_folder: string, _messages: number, _bytes: number): void {}
  folderFinished(..._args: Parameters<SyncObserver['folderFinished']>): void {}
  verbose(_text: string): void {}
  notice(_text: string): void {}
  close(): void {}

  wouldDo(text: string): void {
    this.plan.push(text);
    this.showPlanLine(text);
  }

  warning(text: string): void {
    if (this.warningSet.has(text)) return;
    this.warningSet.add(text);
    this.warnings.push(text);
    this.showWarning(text);
  }

  failure(failure: MessageFailure): void {
    this.showFailure(failure);
  }

  protected abstract showPlanLine(text: string): void;
  protected abstract showWarning(text: string): void;
  protected abstract showFailure(failure: MessageFailure): void;
}

/**
 * The reporter as a plain object of bound functions: the engine may copy an
 * observer with `{ ...observer, warning }`, which drops a class's methods.
 */
export function observerOf(reporter: Reporter): SyncObserver {
  return {
    phase: (text) => reporter.phase(text),
    started: (estimate) => reporter.started(estimate),
    folderPlanned: (folder, work) => reporter.folderPlanned(folder, work),
    progress: (folder, messages, bytes) => reporter.progress(folder, messages, bytes),
    folderFinished: (result) => reporter.folderFinished(result),
    wouldDo: (text) => reporter.wouldDo(text),
    warning: (text) => reporter.warning(text),
    failure: (failure) => reporter.failure(failure),
    verbose: (text) => reporter.verbose(text),
  };
}

export function failureLine(f: MessageFailure): string {
  return `failed: ${describeFailure(f)}`;
}

/** -q and --json: failures only, on stderr (timestamped when stderr is not a terminal). */
export class QuietReporter extends BaseReporter {
  private readonly log: LineLog;
  constructor(ctx: ReporterContext) {
    super(ctx);
    this.log = new LineLog(ctx.stderr, !ctx.stderr.isTTY, ctx.now);
  }
  protected showPlanLine(): void {}
  protected showWarning(): void {}
  protected showFailure(f: MessageFailure): void {
    this.log.line(failureLine(f));
  }
}
