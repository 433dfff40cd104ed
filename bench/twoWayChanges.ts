// The changes between the two-way scenario's initial and incremental runs:
// another client on EACH side changes flags on ~1% of the messages, expunges
// ~0.2% and delivers ~0.5% new ones, directly on the server (not through the
// proxy). Chosen from the model of the corpus, not from what a tool left on the
// servers, so every tool faces the same changes; the two sides change disjoint
// messages, so the correct outcome needs no conflict rule.

import type { DovecotServer } from '../test/support/dovecot.js';
import { openClient, seedFolder } from '../test/support/imap.js';
import { prng } from '../test/support/corpus.js';
import { makeMessage, NO_MESSAGE_ID_SHARE, type CorpusPlan } from './benchCorpus.js';
import type { SeedMessage } from './maildirSeeder.js';
import { digestOf, type MailboxDigest, type MessageDigest } from './readback.js';
import { SIDES, type Side } from './twoWayCorpus.js';

const SHARES = { flags: 0.01, expunges: 0.002, added: 0.005 };

export interface FlagChange {
  folder: string;
  sha256: string;
  add: string[];
  remove: string[];
}

export interface SideChanges {
  flags: FlagChange[];
  expunges: { folder: string; sha256: string }[];
  added: SeedMessage[];
}

export interface TwoWayChangeSummary {
  flagChanges: Record<Side, number>;
  expunges: Record<Side, number>;
  added: Record<Side, number>;
  /** Changes whose message a tool had lost from that side before they were made. */
  notApplied: Record<Side, number>;
}

/** A reads a read message as unread and flagged, an unread one as read; B toggles \Flagged and adds a keyword. */
function flagChangeOf(side: Side, m: MessageDigest): Pick<FlagChange, 'add' | 'remove'> {
  if (side === 'a') return m.systemFlags.includes('\\Seen') ? { add: ['\\Flagged'], remove: ['\\Seen'] } : { add: ['\\Seen'], remove: [] };
  return m.systemFlags.includes('\\Flagged') ? { add: ['todo'], remove: ['\\Flagged'] } : { add: ['\\Flagged', 'todo'], remove: [] };
}

/** Messages of a folder that one change can name unambiguously: a body found once, not already \Deleted; by hash order. */
function candidatesOf(messages: MessageDigest[]): MessageDigest[] {
  const count = new Map<string, number>();
  for (const m of messages) count.set(m.sha256, (count.get(m.sha256) ?? 0) + 1);
  return messages
    .filter((m) => count.get(m.sha256) === 1 && !m.systemFlags.includes('\\Deleted'))
    .sort((x, y) => x.sha256.localeCompare(y.sha256));
}

/** The changes of both sides: four disjoint pools per folder (flags on A, on B, expunges on A, on B). */
export function planTwoWayChanges(expected: MailboxDigest, plan: CorpusPlan): Record<Side, SideChanges> {
  const changes: Record<Side, SideChanges> = { a: { flags: [], expunges: [], added: [] }, b: { flags: [], expunges: [], added: [] } };
  plan.folders.forEach((folder, f) => {
    const messages = expected.get(folder) ?? [];
    const pools = [0, 1, 2, 3].map((k) => candidatesOf(messages).filter((_, i) => i % 4 === k));
    SIDES.forEach((side, s) => {
      const flagCount = Math.round(messages.length * SHARES.flags);
      for (const m of pools[s]!.slice(0, flagCount)) changes[side].flags.push({ folder, sha256: m.sha256, ...flagChangeOf(side, m) });
      for (const m of pools[2 + s]!.slice(0, Math.max(1, Math.round(messages.length * SHARES.expunges)))) {
        changes[side].expunges.push({ folder, sha256: m.sha256 });
      }
      const rand = prng(plan.seed * 1019 + f * 2 + s);
      for (let i = 0; i < Math.max(1, Math.round(messages.length * SHARES.added)); i++) {
        changes[side].added.push(makeMessage(folder, `f${f}${side}${i}`, rand, rand() >= NO_MESSAGE_ID_SHARE));
      }
    });
  });
  return changes;
}

/** The flags of a model message after a change (system flags and keywords kept apart, sorted, as readback gives them). */
function changedFlags(m: MessageDigest, c: FlagChange): Pick<MessageDigest, 'systemFlags' | 'keywords'> {
  const flags = new Set([...m.systemFlags, ...m.keywords].filter((x) => !c.remove.includes(x)).concat(c.add));
  const all = [...flags].sort();
  return { systemFlags: all.filter((x) => x.startsWith('\\')), keywords: all.filter((x) => !x.startsWith('\\')) };
}

/** What both sides should hold once a correct run has carried both sides' changes. */
export function applyToModel(expected: MailboxDigest, changes: Record<Side, SideChanges>): MailboxDigest {
  const out: MailboxDigest = new Map([...expected].map(([folder, list]) => [folder, list.map((m) => ({ ...m }))]));
  for (const side of SIDES) {
    for (const c of changes[side].flags) {
      const m = out.get(c.folder)?.find((x) => x.sha256 === c.sha256);
      if (m) Object.assign(m, changedFlags(m, c));
    }
    for (const e of changes[side].expunges) out.set(e.folder, (out.get(e.folder) ?? []).filter((m) => m.sha256 !== e.sha256));
    for (const m of changes[side].added) out.set(m.folder, [...(out.get(m.folder) ?? []), digestOf(m.raw, m.flags, m.internalDate)]);
  }
  return out;
}

/** Makes one side's changes on its server; `reading` (that side read back) maps bodies to its UIDs. */
export async function applySideChanges(server: DovecotServer, reading: MailboxDigest, changes: SideChanges): Promise<number> {
  let notApplied = 0;
  // A copy that a tool marked with its own header (mbsync's X-TUID) is still the message to change.
  const uidOf = (folder: string, sha256: string): number | undefined =>
    reading.get(folder)?.find((m) => m.sha256 === sha256 || m.sha256NoToolHeaders === sha256)?.uid;
  const client = await openClient(server);
  try {
    const folders = new Set([...changes.flags.map((c) => c.folder), ...changes.expunges.map((e) => e.folder)]);
    for (const folder of folders) {
      if (!reading.has(folder)) {
        notApplied += changes.flags.filter((c) => c.folder === folder).length + changes.expunges.filter((e) => e.folder === folder).length;
        continue;
      }
      await client.mailboxOpen(folder);
      for (const c of changes.flags.filter((x) => x.folder === folder)) {
        const uid = uidOf(folder, c.sha256);
        if (uid === undefined) { notApplied++; continue; }
        if (c.remove.length > 0) await client.messageFlagsRemove(String(uid), c.remove, { uid: true });
        if (c.add.length > 0) await client.messageFlagsAdd(String(uid), c.add, { uid: true });
      }
      const expunge = changes.expunges.filter((e) => e.folder === folder).map((e) => uidOf(folder, e.sha256));
      notApplied += expunge.filter((u) => u === undefined).length;
      const uids = expunge.filter((u): u is number => u !== undefined);
      if (uids.length > 0) await client.messageDelete(uids.join(','), { uid: true });
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  const byFolder = new Map<string, SeedMessage[]>();
  for (const m of changes.added) byFolder.set(m.folder, [...(byFolder.get(m.folder) ?? []), m]);
  for (const [folder, messages] of byFolder) await seedFolder(server, folder, messages);
  return notApplied;
}
