// The "changes" step of issue 3: another client changes flags on ~1% of the
// source's messages and delivers ~0.5% new ones, directly (not through the
// proxy, since that traffic is not the tool's). Deterministic, so every tool
// faces the same changes.

import type { DovecotServer } from '../test/support/dovecot.js';
import { openClient, seedFolder } from '../test/support/imap.js';
import { generateAdditions, type CorpusPlan } from './benchCorpus.js';

export interface ChangeSummary {
  flagChanges: number;
  added: number;
}

export async function applySourceChanges(
  server: DovecotServer,
  plan: CorpusPlan,
  shares: { flags: number; added: number } = { flags: 0.01, added: 0.005 },
): Promise<ChangeSummary> {
  let flagChanges = 0;
  const client = await openClient(server);
  try {
    for (let f = 0; f < plan.folders.length; f++) {
      const folder = plan.folders[f]!;
      const count = plan.counts[f]!;
      const changes = Math.round(count * shares.flags);
      if (changes === 0) continue;
      await client.mailboxOpen(folder);
      // Evenly spread UIDs (the template gives UIDs 1..count in corpus order).
      const step = count / changes;
      const uids = Array.from({ length: changes }, (_, i) => 1 + Math.floor(i * step + ((f * 37) % Math.max(1, Math.floor(step)))));
      const seen: number[] = [];
      const unseen: number[] = [];
      // Collect first: no other command inside a fetch loop.
      for await (const msg of client.fetch(uids.join(','), { uid: true, flags: true }, { uid: true })) {
        (msg.flags?.has('\\Seen') ? seen : unseen).push(msg.uid);
      }
      // Read mail gets unread and flagged, unread mail gets read: both kinds of flag change.
      if (seen.length > 0) {
        await client.messageFlagsRemove(seen.join(','), ['\\Seen'], { uid: true });
        await client.messageFlagsAdd(seen.join(','), ['\\Flagged'], { uid: true });
      }
      if (unseen.length > 0) await client.messageFlagsAdd(unseen.join(','), ['\\Seen'], { uid: true });
      flagChanges += seen.length + unseen.length;
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  const perFolder = plan.counts.map((c) => Math.round(c * shares.added));
  let added = 0;
  const byFolder = new Map<string, { raw: Buffer; flags: string[]; internalDate: Date }[]>();
  for (const m of generateAdditions(plan, perFolder)) {
    const list = byFolder.get(m.folder) ?? [];
    list.push({ raw: m.raw, flags: m.flags, internalDate: m.internalDate });
    byFolder.set(m.folder, list);
  }
  for (const [folder, messages] of byFolder) added += (await seedFolder(server, folder, messages)).length;
  return { flagChanges, added };
}
