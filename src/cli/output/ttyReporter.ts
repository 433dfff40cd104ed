// For a person at a terminal: a spinner while connecting and listing, then
// progress bars (one per folder being copied, and one for the whole run with
// messages, bytes, rate and ETA). Lines (warnings, failures, finished folders)
// print above the bars without breaking them.

import cliProgress from 'cli-progress';
import ora, { type Ora } from 'ora';
import type { FolderResult, MessageFailure, PlannedWork } from '../../sync/types.js';
import { folderResultLine } from './folderLine.js';
import { formatBytes, formatDuration, formatRate } from './format.js';
import { BaseReporter, failureLine, LineLog, type ReporterContext } from './reporter.js';
import { RateMeter, WorkTotals } from './workTotals.js';

const LABEL_WIDTH = 22;

interface BarPayload {
  label: string;
  text: string;
}

export class TtyReporter extends BaseReporter {
  private readonly log: LineLog;
  private readonly totals = new WorkTotals();
  private rate: RateMeter;
  private startedAt: number;
  private spinner: Ora | undefined;
  private bars: cliProgress.MultiBar | undefined;
  private overall: cliProgress.SingleBar | undefined;
  private readonly folderBars = new Map<string, cliProgress.SingleBar>();
  private status = '';
  private closed = false;

  constructor(ctx: ReporterContext) {
    super(ctx);
    this.log = new LineLog(ctx.stderr, false, ctx.now);
    this.startedAt = ctx.now().getTime();
    this.rate = new RateMeter(this.startedAt);
  }

  override phase(text: string): void {
    this.status = text;
    if (this.closed) return;
    if (this.bars) {
      this.refreshOverall();
      return;
    }
    if (!this.spinner) {
      // discardStdin would put the terminal in raw mode, where Ctrl-C sends no SIGINT.
      this.spinner = ora({ text, stream: this.ctx.stderr, discardStdin: false }).start();
    } else {
      this.spinner.text = text;
    }
  }

  override started(estimate: { folders: number; messages: number; bytes: number }): void {
    this.totals.start(estimate);
    this.startedAt = this.ctx.now().getTime();
    this.rate = new RateMeter(this.startedAt);
    this.phase(`syncing ${estimate.folders} folder${estimate.folders === 1 ? '' : 's'}`);
  }

  override folderPlanned(folder: string, work: PlannedWork): void {
    this.totals.folderPlanned(folder, work);
    this.folderBars.get(folder)?.setTotal(work.appends);
    this.refreshOverall();
  }

  override progress(folder: string, messages: number, bytes: number): void {
    if (this.closed) return;
    this.totals.progress(folder, messages, bytes);
    this.rate.add(this.ctx.now().getTime(), bytes);
    const bars = this.ensureBars();
    const done = this.totals.folderDone(folder);
    const total = Math.max(this.totals.folderTotal(folder)?.messages ?? 0, done.messages);
    const payload: BarPayload = {
      label: fit(folder, LABEL_WIDTH),
      text: `${done.messages}/${total} · ${formatBytes(done.bytes)}`,
    };
    let bar = this.folderBars.get(folder);
    if (!bar) {
      bar = bars.create(total, done.messages, payload);
      this.folderBars.set(folder, bar);
    } else {
      bar.setTotal(total);
      bar.update(done.messages, payload);
    }
    // The engine may report all finished folders only at the very end: a
    // folder whose copies are done gives its line back at once.
    if (done.messages >= total) this.removeFolderBar(folder);
    this.refreshOverall();
  }

  override folderFinished(result: FolderResult): void {
    this.removeFolderBar(result.folder);
    const line = this.ctx.dryRun ? undefined : folderResultLine(result);
    if (line) this.printAbove(this.log.format(line));
    this.refreshOverall();
  }

  override verbose(text: string): void {
    if (this.ctx.verbose) this.printAbove(this.log.format(text));
  }

  override notice(text: string): void {
    this.printAbove(this.log.format(text));
  }

  protected showPlanLine(text: string): void {
    // The plan is a result: stdout. When stdout is the same terminal, go
    // through the bars so they are not torn.
    if (this.ctx.stdout.isTTY && this.bars) this.printAbove(`${text}\n`);
    else this.ctx.stdout.write(`${text}\n`);
  }

  protected showWarning(text: string): void {
    this.printAbove(this.log.format(`warning: ${text}`));
  }

  protected showFailure(f: MessageFailure): void {
    this.printAbove(this.log.format(failureLine(f)));
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.bars) {
      this.bars.update(); // flush lines logged since the last redraw
      this.bars.stop();
    }
    this.spinner?.stop();
  }

  /** ora hooks stream writes while it spins, so a plain write is safe then. */
  private printAbove(text: string): void {
    if (this.bars && !this.closed) this.bars.log(text);
    else this.ctx.stderr.write(text);
  }

  private ensureBars(): cliProgress.MultiBar {
    if (this.bars) return this.bars;
    this.spinner?.stop();
    this.spinner = undefined;
    this.bars = new cliProgress.MultiBar({
      stream: this.ctx.stderr,
      format: (options, params, payload: BarPayload) =>
        `${payload.label} ${cliProgress.Format.BarFormat(params.progress, options)} ${payload.text}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      autopadding: true,
      barCompleteChar: '█',
      barIncompleteChar: '░',
    });
    const total = this.totals.total;
    this.overall = this.bars.create(Math.max(total.messages, 1), 0, this.overallPayload());
    return this.bars;
  }

  private refreshOverall(): void {
    if (!this.overall || this.closed) return;
    const done = this.totals.done;
    this.overall.setTotal(Math.max(this.totals.total.messages, 1));
    this.overall.update(done.messages, this.overallPayload());
  }

  private overallPayload(): BarPayload {
    const now = this.ctx.now().getTime();
    const done = this.totals.done;
    const total = this.totals.total;
    const rate = this.rate.rate(now);
    const parts = [`${done.messages}/${total.messages} msgs`, `${formatBytes(done.bytes)}${total.bytes > 0 ? `/${formatBytes(total.bytes)}` : ''}`];
    if (rate > 0) parts.push(formatRate(rate));
    const eta = estimateRemainingMs(done, total, rate, now - this.startedAt);
    if (eta !== undefined) parts.push(`ETA ${formatDuration(eta)}`);
    if (this.status) parts.push(this.status);
    return { label: fit('total', LABEL_WIDTH), text: parts.join(' · ') };
  }

  private removeFolderBar(folder: string): void {
    const bar = this.folderBars.get(folder);
    if (!bar || !this.bars) return;
    this.folderBars.delete(folder);
    this.bars.remove(bar);
  }
}

/** By bytes when their total is known, else by messages; undefined until there is a rate to go by. */
export function estimateRemainingMs(
  done: { messages: number; bytes: number },
  total: { messages: number; bytes: number },
  bytesPerSecond: number,
  elapsedMs: number,
): number | undefined {
  if (total.bytes > 0 && bytesPerSecond > 0) return (Math.max(0, total.bytes - done.bytes) / bytesPerSecond) * 1000;
  if (done.messages > 0 && total.messages > 0) return ((total.messages - done.messages) / done.messages) * elapsedMs;
  return undefined;
}

function fit(text: string, width: number): string {
  return text.length > width ? `…${text.slice(text.length - width + 1)}` : text.padEnd(width);
}
