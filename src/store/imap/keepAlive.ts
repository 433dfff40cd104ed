// Keeps an idle connection alive. imapflow closes a connection whose socket
// stays silent for socketTimeout, and during a long run one store often waits
// while the other works (reading a big folder on A, nothing to do on B yet).
// A NOOP after a few quiet minutes keeps both imapflow and the server content.

import type { CommandStats } from './commandStats.js';
import type { ImapSession } from './session.js';

const CHECK_EVERY_MS = 30_000;
const NOOP_AFTER_MS = 4 * 60_000;

export function startKeepAlive(session: ImapSession, stats: CommandStats): () => void {
  const timer = setInterval(() => {
    const client = session.client;
    const busy = client.currentRequest !== false;
    if (!session.usable || busy || Date.now() - stats.lastCommandAt < NOOP_AFTER_MS) return;
    // A failure here is recorded by the session's error/close listeners and reported by the next real command.
    session.run('NOOP', false, 'NOOP (keep-alive)').catch(() => undefined);
  }, CHECK_EVERY_MS);
  timer.unref();
  return () => clearInterval(timer);
}
