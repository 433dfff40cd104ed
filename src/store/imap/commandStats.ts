// Counts what one connection costs: tagged commands (every one, including the
// CAPABILITY, LOGIN, ENABLE, NAMESPACE, ID and LOGOUT imapflow sends on its
// own) and the '+' continuation requests the client had to wait for. Both are
// counted at imapflow's own choke points, so nothing can bypass them.

import type { ImapClient } from './imapflowInternals.js';

export interface CommandStats {
  commands: number;
  /** Server '+' continuation requests: each one is a round trip (synchronising literal, AUTHENTICATE). */
  continuations: number;
  /** Date.now() of the last command sent, for the keep-alive. */
  lastCommandAt: number;
}

const PLUS = 0x2b;

export function installCommandStats(client: ImapClient): CommandStats {
  const stats: CommandStats = { commands: 0, continuations: 0, lastCommandAt: Date.now() };
  const exec = client.exec.bind(client);
  client.exec = (command, attributes, options) => {
    stats.commands++;
    stats.lastCommandAt = Date.now();
    return exec(command, attributes, options);
  };
  const handleResponse = client.handleResponse.bind(client);
  client.handleResponse = (data) => {
    if (data.payload !== undefined && data.payload[0] === PLUS) stats.continuations++;
    return handleResponse(data);
  };
  return stats;
}
