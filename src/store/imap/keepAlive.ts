// Keeps an idle connection alive. imapflow closes a connection whose socket
// stays silent for the timeout (--timeout), and during a long run one store
// often waits while the other works (reading a big folder on A, nothing to do
// on B yet). A NOOP once the connection has been quiet for half the timeout
// (at most four minutes) keeps both imapflow and the server content.

import type { CommandStats } from './commandStats.js';
import type { ImapSession } from './session.js';

const MAX_CHECK_EVERY_MS = 30_000;
const MAX_NOOP_AFTER_MS = 4 * 60_000;

export function startKeepAlive(session: ImapSession, stats: CommandStats, timeoutMs: number): () => void {
  // Checked four times per timeout, a NOOP goes out at most 3/4 of the timeout into a silence.
  const noopAfter = Math.min(MAX_NOOP_AFTER_MS, timeoutMs / 2);
  const timer = setInterval(() => {
    const client = session.client;
    const busy = client.currentRequest !== false;
    if (!session.usable || busy || Date.now() - stats.lastCommandAt < noopAfter) return;
    // A failure here is recorded by the session's error/close listeners and reported by the next real command.
    session.run('NOOP', false, 'NOOP (keep-alive)').catch(() => undefined);
  }, Math.min(MAX_CHECK_EVERY_MS, timeoutMs / 4));
  timer.unref();
  return () => clearInterval(timer);
}
