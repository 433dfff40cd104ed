// The "move" step of the moves scenario (issue 9 §3): another client moves
// messages from the source's first folder to its second with IMAP MOVE,
// directly (not through the proxy, since that traffic is not the tool's).
// Evenly spread UIDs, deterministic, so every tool faces the same move.

import type { DovecotServer } from '../test/support/dovecot.js';
import { openClient } from '../test/support/imap.js';
import type { CorpusPlan } from './benchCorpus.js';

export interface MoveSummary {
  from: string;
  to: string;
  moved: number;
  /** RFC822.SIZE of the moved messages: what a tool that uploads them again sends at least. */
  bytes: number;
}

export async function moveBetweenFolders(server: DovecotServer, plan: CorpusPlan, wanted: number): Promise<MoveSummary> {
  const [from, to] = plan.folders;
  if (from === undefined || to === undefined) throw new Error('the move step needs a corpus of at least two folders');
  const client = await openClient(server);
  try {
    await client.mailboxOpen(from);
    const sizes = new Map<number, number>();
    // Collect first: no other command inside a fetch loop.
    for await (const msg of client.fetch('1:*', { uid: true, size: true })) sizes.set(msg.uid, msg.size ?? 0);
    const uids = [...sizes.keys()].sort((x, y) => x - y);
    if (uids.length < wanted) throw new Error(`${from} holds ${uids.length} messages, fewer than the ${wanted} to move`);
    const step = uids.length / wanted;
    const picked = Array.from({ length: wanted }, (_, i) => uids[Math.floor(i * step)]!);
    if ((await client.messageMove(picked.join(','), to, { uid: true })) === false) throw new Error(`MOVE ${from} → ${to} failed`);
    return { from, to, moved: picked.length, bytes: picked.reduce((n, uid) => n + sizes.get(uid)!, 0) };
  } finally {
    await client.logout().catch(() => client.close());
  }
}
