// Dovecot instances for the bench: the shared test harness plus a server-side
// count of IMAP commands (Dovecot's imap_command_finished events), which counts
// every tool the same way. Commands handled before login (CAPABILITY, LOGIN,
// STARTTLS by imap-login) are not in it.

import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { startDovecot, type DovecotOptions, type DovecotServer } from '../test/support/dovecot.js';

const COMMAND_METRICS = `
# bench: count IMAP commands per name (read with doveadm stats dump)
stats_writer_socket_path = stats-writer
metric bench_imap_command {
  filter = event=imap_command_finished
  group_by = cmd_name
}
`;

export async function startBenchServer(options: DovecotOptions = {}): Promise<DovecotServer> {
  return startDovecot({ ...options, ...(process.env.REPLIMAP_BENCH_COMPRESS === '1' && { compress: true }), extraConfig: `${options.extraConfig ?? ''}\n${COMMAND_METRICS}` });
}

/** Owner (uid/gid) of a user's home: the identity the mail processes run as. */
export async function mailOwner(server: DovecotServer, user = 'alice'): Promise<{ uid: number; gid: number }> {
  const st = await stat(dirname(server.maildirOf(user)));
  return { uid: st.uid, gid: st.gid };
}

export interface CommandCounts {
  total: number;
  byName: Record<string, number>;
}

/** Reads (and, with reset, zeroes) the command counters of a bench server. */
export async function commandCounts(server: DovecotServer, reset = true): Promise<CommandCounts> {
  const out = await server.doveadm(['stats', 'dump', ...(reset ? ['-r'] : []), '-f', 'count']);
  const counts: CommandCounts = { total: 0, byName: {} };
  for (const line of out.split('\n').slice(1)) {
    const [metric, field, count] = line.split('\t');
    if (!metric || field !== 'duration' || count === undefined) continue;
    const n = Number.parseInt(count, 10);
    if (metric === 'bench_imap_command') counts.total = n;
    else if (metric.startsWith('bench_imap_command_')) counts.byName[metric.slice('bench_imap_command_'.length)] = n;
  }
  return counts;
}
