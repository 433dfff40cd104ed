// The running totals behind the overall progress bar. The engine first gives
// an estimate for the whole run (from STATUS counts, not split by folder), then
// the exact work of each folder as it is planned. Without a per-folder split
// the best honest total is: exact work of planned folders, and while folders
// remain unplanned, at least the first estimate.

import type { PlannedWork } from '../../sync/types.js';

export interface WorkAmount {
  messages: number;
  bytes: number;
}

export class WorkTotals {
  private estimate: WorkAmount = { messages: 0, bytes: 0 };
  private folderCount = 0;
  private readonly planned = new Map<string, WorkAmount>();
  private plannedSum: WorkAmount = { messages: 0, bytes: 0 };
  private readonly doneByFolder = new Map<string, WorkAmount>();
  private doneSum: WorkAmount = { messages: 0, bytes: 0 };

  start(estimate: { folders: number; messages: number; bytes: number }): void {
    this.estimate = { messages: estimate.messages, bytes: estimate.bytes };
    this.folderCount = estimate.folders;
  }

  folderPlanned(folder: string, work: PlannedWork): void {
    const previous = this.planned.get(folder);
    if (previous) {
      this.plannedSum.messages -= previous.messages;
      this.plannedSum.bytes -= previous.bytes;
    }
    const amount = { messages: work.appends, bytes: work.appendBytes };
    this.planned.set(folder, amount);
    this.plannedSum.messages += amount.messages;
    this.plannedSum.bytes += amount.bytes;
  }

  progress(folder: string, messages: number, bytes: number): void {
    const done = this.doneByFolder.get(folder) ?? { messages: 0, bytes: 0 };
    done.messages += messages;
    done.bytes += bytes;
    this.doneByFolder.set(folder, done);
    this.doneSum.messages += messages;
    this.doneSum.bytes += bytes;
  }

  get done(): WorkAmount {
    return { ...this.doneSum };
  }

  folderDone(folder: string): WorkAmount {
    return { ...(this.doneByFolder.get(folder) ?? { messages: 0, bytes: 0 }) };
  }

  folderTotal(folder: string): WorkAmount | undefined {
    const p = this.planned.get(folder);
    return p ? { ...p } : undefined;
  }

  /** Never below what is already done: the engine may find more than it planned. */
  get total(): WorkAmount {
    const allPlanned = this.planned.size >= this.folderCount;
    const messages = allPlanned ? this.plannedSum.messages : Math.max(this.estimate.messages, this.plannedSum.messages);
    const bytes = allPlanned ? this.plannedSum.bytes : Math.max(this.estimate.bytes, this.plannedSum.bytes);
    return { messages: Math.max(messages, this.doneSum.messages), bytes: Math.max(bytes, this.doneSum.bytes) };
  }
}

/** Transfer rate over a sliding window, for the rate and ETA on the overall bar. */
export class RateMeter {
  /** Cumulative byte counts; the first one is the base the window is measured from. */
  private readonly samples: Array<{ at: number; total: number }>;
  private total = 0;

  constructor(startMs: number, private readonly windowMs = 10_000) {
    this.samples = [{ at: startMs, total: 0 }];
  }

  add(atMs: number, bytes: number): void {
    this.total += bytes;
    this.samples.push({ at: atMs, total: this.total });
    // Keep as base the newest sample that is at least a window old.
    while (this.samples.length > 1 && this.samples[1]!.at <= atMs - this.windowMs) this.samples.shift();
  }

  /** Bytes per second over the last window (or since the start, when shorter). */
  rate(nowMs: number): number {
    const base = this.samples[0]!;
    const span = nowMs - base.at;
    return span > 0 ? ((this.total - base.total) * 1000) / span : 0;
  }
}
