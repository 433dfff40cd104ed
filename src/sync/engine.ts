// Walks the folder pairs of one run: discover, skip what did not change, read
// changes, plan (pure), execute, record in the state. (Being written.)
import type { SyncJob, SyncObserver, SyncSummary } from './types.js';

export async function runSync(job: SyncJob, observer: SyncObserver, signal?: AbortSignal): Promise<SyncSummary> {
  void job; void observer; void signal;
  throw new Error('runSync: not implemented yet');
}
