// The "rename" step of the renames scenario (issue 9 §4): another client
// renames the source's last folder (not INBOX, not a special-use one) with
// IMAP RENAME, directly (not through the proxy, since that traffic is not the
// tool's). Deterministic, so every tool faces the same rename.

import type { DovecotServer } from '../test/support/dovecot.js';
import { openClient } from '../test/support/imap.js';
import type { CorpusPlan } from './benchCorpus.js';

export interface RenameSummary {
  from: string;
  to: string;
  messages: number;
  /** RFC822.SIZE of the renamed folder's messages: what a tool that uploads them again sends at least. */
  bytes: number;
}

export async function renameLastFolder(server: DovecotServer, plan: CorpusPlan): Promise<RenameSummary> {
  const from = plan.folders[plan.folders.length - 1];
  if (from === undefined || plan.folders.length < 2) throw new Error('the rename step needs a corpus of at least two folders');
  const to = `${from} 2026`;
  const client = await openClient(server);
  try {
    await client.mailboxOpen(from, { readOnly: true });
    let bytes = 0;
    let messages = 0;
    for await (const msg of client.fetch('1:*', { uid: true, size: true })) {
      bytes += msg.size ?? 0;
      messages++;
    }
    await client.mailboxClose();
    await client.mailboxRename(from, to);
    return { from, to, messages, bytes };
  } finally {
    await client.logout().catch(() => client.close());
  }
}
