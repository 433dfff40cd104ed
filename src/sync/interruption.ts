// How a SIGINT/SIGTERM stops a run whatever the network does. The run first
// gets a moment to stop by itself at a safe point (between batches, between
// folders); after that every connection is cut, so a command stalled on a
// silent server fails at once instead of holding the run for --timeout.
// Cutting is safe at any point: an APPEND whose answer never came has its
// intent in the journal, and the next run finds the message on B by global id.

import { ConnectError, ConnectionLostError, InterruptedError } from '../errors.js';
import type { Store } from '../store/types.js';

/** How long a signalled run may take to reach a safe point before its connections are cut. */
const ABORT_GRACE_MS = 3_000;

/**
 * Once `signal` fires, cut every store in `stores` (as it is then) after the
 * grace period. Returns the function that disarms it, for the end of the run.
 */
export function cutConnectionsOnAbort(signal: AbortSignal | undefined, stores: readonly Store[], graceMs = ABORT_GRACE_MS): () => void {
  if (!signal) return () => undefined;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(() => {
      for (const store of stores) store.abort();
    }, graceMs);
  };
  if (signal.aborted) arm();
  else signal.addEventListener('abort', arm, { once: true });
  return () => {
    signal.removeEventListener('abort', arm);
    clearTimeout(timer);
  };
}

/** After a signal, a lost or refused connection is the run being stopped (we may have cut it), not a failure. */
export function isInterruption(error: unknown, signal: AbortSignal | undefined): boolean {
  return (
    signal?.aborted === true &&
    (error instanceof ConnectionLostError || error instanceof ConnectError || error instanceof InterruptedError)
  );
}

export function interruptedBy(signal: AbortSignal): InterruptedError {
  return new InterruptedError(signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT');
}
