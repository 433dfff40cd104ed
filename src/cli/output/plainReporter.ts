// For logs and cron: one timestamped line per event worth keeping (a folder
// that changed, a warning, a failure; phases only with -v), no escape codes,
// no spinner, and a progress line now and then on long copies. A run that
// fails early prints just its error line.

import type { FolderResult, MessageFailure, PlannedWork } from '../../sync/types.js';
import { folderResultLine } from './folderLine.js';
import { formatBytes, formatRate, plural } from './format.js';
import { BaseReporter, failureLine, LineLog, type ReporterContext } from './reporter.js';
import { RateMeter, WorkTotals } from './workTotals.js';

/** How often a long copy reports overall progress. */
const PROGRESS_EVERY_MS = 60_000;

export class PlainReporter extends BaseReporter {
  private readonly log: LineLog;
  private readonly totals = new WorkTotals();
  private rate: RateMeter | undefined;
  private lastProgressLine = 0;

  constructor(ctx: ReporterContext) {
    super(ctx);
    this.log = new LineLog(ctx.stderr, true, ctx.now);
  }

  override phase(text: string): void {
    if (this.ctx.verbose) this.log.line(text);
  }

  override started(estimate: { folders: number; messages: number; bytes: number }): void {
    this.totals.start(estimate);
    const start = this.ctx.now().getTime();
    this.rate = new RateMeter(start);
    this.lastProgressLine = start;
    const about = estimate.messages > 0 ? `, about ${plural(estimate.messages, 'message')} to copy` : '';
    if (this.ctx.verbose) this.log.line(`${plural(estimate.folders, 'folder')} to sync${about}`);
  }

  override folderPlanned(folder: string, work: PlannedWork): void {
    this.totals.folderPlanned(folder, work);
    if (this.ctx.verbose) {
      this.log.line(
        `${folder}: planned ${work.appends} to copy (${formatBytes(work.appendBytes)}), ` +
          `${work.flagUpdates} flag updates, ${work.expunges} to expunge`,
      );
    }
  }

  override progress(folder: string, messages: number, bytes: number): void {
    this.totals.progress(folder, messages, bytes);
    const now = this.ctx.now().getTime();
    this.rate?.add(now, bytes);
    if (now - this.lastProgressLine >= PROGRESS_EVERY_MS) {
      this.lastProgressLine = now;
      const done = this.totals.done;
      const total = this.totals.total;
      this.log.line(
        `progress: ${done.messages} of ${total.messages} messages, ${formatBytes(done.bytes)}` +
          (total.bytes > 0 ? ` of ${formatBytes(total.bytes)}` : '') +
          (this.rate ? `, ${formatRate(this.rate.rate(now))}` : ''),
      );
    }
  }

  override folderFinished(result: FolderResult): void {
    const line = this.ctx.dryRun ? undefined : folderResultLine(result);
    if (line) this.log.line(line);
    else if (this.ctx.verbose) this.log.line(`${result.folder}: ${result.skipped ? 'unchanged' : 'nothing to do'}`);
  }

  override verbose(text: string): void {
    if (this.ctx.verbose) this.log.line(text);
  }

  override notice(text: string): void {
    this.log.line(text);
  }

  protected showPlanLine(text: string): void {
    this.ctx.stdout.write(`${text}\n`);
  }

  protected showWarning(text: string): void {
    this.log.line(`warning: ${text}`);
  }

  protected showFailure(f: MessageFailure): void {
    this.log.line(failureLine(f));
  }
}
