// --max-time (issue 9 §1): the act phase starts no new batch (of copies, of
// server-side transfers, of a folder's deletions) once the run's budget is
// spent. The run's first batch always starts, so a run with a tiny budget still
// moves forward. What is not started stays the next run's work: its records
// are pending or absent, and its folders' statuses are not recorded.
// In copy mode the read phase reads no further folder pair once the budget is
// spent (its first pair always, so the first batch has something to copy): a
// pair not read is left as it is, for the next run (engine.ts: readAll).

import type { SyncLeft } from './types.js';

export class TimeBudget {
  private startedOne = false;
  private readOne = false;
  /** What the budget kept from starting, added up for the summary. */
  readonly left: SyncLeft = { messages: 0, bytes: 0, folders: 0, deletions: 0, folderDeletions: 0 };
  private readonly foldersLeft = new Set<string>();

  /** `deadline`: ms since the epoch, as `now` counts (undefined: no budget). */
  constructor(
    private readonly deadline: number | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** May a new batch start? Yes while the budget lasts, and always for the run's first one. */
  mayStart(): boolean {
    const first = !this.startedOne;
    this.startedOne = true;
    return first || !this.spent();
  }

  /** Would mayStart() say yes now? (Asks without taking the run's first batch.) */
  wouldStart(): boolean {
    return !this.startedOne || !this.spent();
  }

  /** May the read of a folder pair start? Yes while the budget lasts, and always for the run's first one. */
  mayRead(): boolean {
    const first = !this.readOne;
    this.readOne = true;
    return first || !this.spent();
  }

  /** The budget is spent (never, without one). */
  spent(): boolean {
    return this.deadline !== undefined && this.now() >= this.deadline;
  }

  /** Work the budget kept from starting in `folder` (its label). */
  leave(folder: string, work: Partial<Omit<SyncLeft, 'folders'>>): void {
    this.foldersLeft.add(folder);
    this.left.folders = this.foldersLeft.size;
    this.left.messages += work.messages ?? 0;
    this.left.bytes += work.bytes ?? 0;
    this.left.deletions += work.deletions ?? 0;
    this.left.folderDeletions += work.folderDeletions ?? 0;
  }

  /** Did the budget keep anything from starting? */
  get leftSomething(): boolean {
    return this.foldersLeft.size > 0;
  }
}
