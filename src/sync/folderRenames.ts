// Folder renames (issue 9 §4): a folder one side renamed is renamed on the
// other side (one RENAME, the folders below it following), not created again
// and copied. Pure: planFolders.ts plans them first and then plans the rest of
// the account as if they were done; folderRenaming.ts carries them out.
//
// Without MAILBOXID (RFC 8474; Dovecot 2.3 has none) a rename is read from
// the state: a remembered pair whose folder `side` no longer lists, and a
// folder `side` lists that no pair knows, with the UIDVALIDITY the state
// recorded (and a UIDNEXT not below it), one for the other; then the record
// UIDs must hold the records' messages in the new folder (a RenameQuestion,
// answered by renameProof.ts). Where the side's listing gives MAILBOXIDs
// (RFC 8474 OBJECTID) and the state recorded the pair's, the id decides: the
// folder with the recorded id under another name is the pair's folder renamed,
// proven without a question (even when a new folder took the old name), and a
// candidate with another id is never it. Copy and mirror follow A's renames; two-way
// both sides'. In doubt (two candidates, a target name taken, a folder below
// the old one that does not move with it, a store without RENAME, a refusal)
// nothing is renamed: the run does what it did before renames existed.

import type { SideStatus } from '../state/types.js';
import type { FolderInfo, FolderStatus } from '../store/types.js';
import { canonicalInbox, isInbox } from '../store/names.js';
import { selectFolders } from './folderFilter.js';
import { anotherMailbox } from './folderStatus.js';
import { isWithin, nameOn, type FolderPairName } from './folderMap.js';
import { translateFolderName, untranslatableReason, untranslatedName } from './folderName.js';
import type { FolderPlanningInput, FolderRename, KnownPair, RenameQuestion } from './folderPlanTypes.js';
import { other, sideLabel, SIDES, type Side } from './side.js';

export interface RenamePlan {
  /** In the order to do them: parents first (a child its parent's RENAME moves is `by: 'parent'`). */
  renames: FolderRename[];
  questions: RenameQuestion[];
  /** The planning input as it is once the renames are done: the pairs under their new names, the renamed side's listing too. */
  after: FolderPlanningInput;
}

export function planRenames(input: FolderPlanningInput): RenamePlan {
  const found: FolderRename[] = [];
  const questions: RenameQuestion[] = [];
  const followed: readonly Side[] = input.options.mode === 'two-way' ? SIDES : ['a'];
  for (const side of followed) {
    if (input.canRename?.[other(side)] !== true) continue;
    for (const { pair, folder, byId } of renamedOn(input, side)) {
      // Asked only about a rename the other side can follow.
      const rename = found.some((r) => samePair(r.pair, pair)) ? undefined : followOn(input, pair, folder, side);
      if (rename === undefined) continue;
      if (byId) {
        found.push({ ...rename, why: `${rename.why} (same MAILBOXID)` });
        continue;
      }
      const answer = input.renameAnswers?.find((a) => samePair(a, pair) && a.side === side && a.name === folder.name);
      if (answer === undefined) questions.push({ nameA: pair.nameA, nameB: pair.nameB, side, name: folder.name, uidValidity: folder.status!.uidValidity });
      else if (answer.same) found.push(rename);
    }
  }
  const renames = inOrder(input, withFoldersBelow(input, found));
  return { renames, questions, after: renames.length === 0 ? input : applied(input, renames) };
}

function samePair(x: FolderPairName, y: FolderPairName): boolean {
  return x.nameA === y.nameA && x.nameB === y.nameB;
}

/** A side's selectable folders by canonical name. */
function listed(input: FolderPlanningInput, side: Side): Map<string, FolderInfo> {
  return new Map(input[side].folders.filter((f) => f.selectable).map((f) => [canonicalInbox(f.name), f]));
}

/**
 * Remembered pairs whose folder `side` lost, each with the one folder `side`
 * lists that no pair knows and that is that folder renamed, when each has
 * exactly one such match: the one with the recorded MAILBOXID (`byId`), else
 * one with the recorded UIDVALIDITY (and a UIDNEXT not below the recorded
 * one) and no other MAILBOXID. A pair whose name `side` lists holding another
 * MAILBOXID lost its folder too when the recorded id is listed elsewhere.
 */
function renamedOn(input: FolderPlanningInput, side: Side): { pair: KnownPair; folder: FolderInfo; byId: boolean }[] {
  const here = listed(input, side);
  const selected = (nameA: string): boolean => selectFolders([nameA], input.options.filter).length === 1;
  const refused = (k: KnownPair): boolean => (input.refusedRenames ?? []).some((r) => samePair(r, k));
  const knownNames = new Set(input.known.map((k) => canonicalInbox(nameOn(k, side))));
  const fresh = [...here.values()].filter((f) => f.status !== undefined && f.specialUse === undefined && !isInbox(f.name) && !knownNames.has(canonicalInbox(f.name)));
  const recordedOn = (k: KnownPair): SideStatus | undefined => (side === 'a' ? k.statusA : k.statusB);
  const withId = (id: string | undefined): FolderInfo[] => (id === undefined ? [] : fresh.filter((f) => f.status!.mailboxId === id));
  const gone = (k: KnownPair): boolean => {
    const now = here.get(canonicalInbox(nameOn(k, side)));
    return now === undefined || (anotherMailbox(recordedOn(k), now.status) && withId(recordedOn(k)?.mailboxId).length > 0);
  };
  const lost = input.known.filter((k) => !isInbox(nameOn(k, side)) && gone(k) && selected(k.nameA) && !refused(k));
  const matches = lost.map((k) => {
    const recorded = recordedOn(k);
    const byId = withId(recorded?.mailboxId);
    if (byId.length > 0) return { pair: k, same: byId, byId: true };
    const same = recorded === undefined ? [] : fresh.filter((f) => sameCounters(recorded, f.status!) && !anotherMailbox(recorded, f.status));
    return { pair: k, same, byId: false };
  });
  const claims = (f: FolderInfo): number => matches.filter((m) => m.same.includes(f)).length;
  return matches.flatMap(({ pair, same, byId }) => (same.length === 1 && claims(same[0]!) === 1 ? [{ pair, folder: same[0]!, byId }] : []));
}

/** The folder may be the recorded one as far as its counters tell: the same UIDVALIDITY, a UIDNEXT not below. */
function sameCounters(recorded: SideStatus, now: FolderStatus): boolean {
  return now.uidValidity === recorded.uidValidity && now.uidNext >= recorded.uidNext;
}

/** `side`'s new folder name as the other side spells it, or undefined when it has none. */
function nameOnOther(input: FolderPlanningInput, folder: FolderInfo, side: Side): string | undefined {
  if (side === 'b') {
    const back = untranslatedName(folder.name, input.b.namespace, input.a.namespace);
    return 'name' in back ? back.name : undefined;
  }
  const spelling = { prefix: input.a.namespace.prefix, delimiter: folder.delimiter ?? input.a.namespace.delimiter };
  return untranslatableReason(folder.name, spelling, input.b.namespace) === undefined ? translateFolderName(folder.name, spelling, input.b.namespace) : undefined;
}

/**
 * The rename of the pair's folder on the other side, to the name `side`'s new
 * folder maps onto: when the other side still has the folder under its old
 * name and nothing under the new one, or (a run killed before its journal
 * line) has it under the new name only, with the recorded UIDVALIDITY.
 */
function followOn(input: FolderPlanningInput, pair: KnownPair, folder: FolderInfo, side: Side): FolderRename | undefined {
  const target = other(side);
  const to = nameOnOther(input, folder, side);
  if (to === undefined || isInbox(to)) return undefined;
  const renamed = side === 'a' ? { nameA: folder.name, nameB: to } : { nameA: to, nameB: folder.name };
  if (input.known.some((k) => canonicalInbox(nameOn(k, target)) === canonicalInbox(to) || samePair(k, renamed))) return undefined;
  if (selectFolders([renamed.nameA], input.options.filter).length !== 1) return undefined;
  const there = listed(input, target);
  const from = nameOn(pair, target);
  const old = there.get(canonicalInbox(from));
  const now = input[target].folders.find((f) => canonicalInbox(f.name) === canonicalInbox(to));
  const why = `${sideLabel(side)} renamed ${nameOn(pair, side)} to ${folder.name}`;
  if (old !== undefined && now === undefined && old.specialUse === undefined) return { side: target, from, to, pair, renamed, why, by: 'rename' };
  const recorded = target === 'a' ? pair.statusA : pair.statusB;
  if (old === undefined && now?.status !== undefined && now.status.uidValidity === recorded?.uidValidity && !anotherMailbox(recorded, now.status)) {
    return { side: target, from, to, pair, renamed, why: `${why} (already renamed on ${sideLabel(target)})`, by: 'earlier run' };
  }
  return undefined;
}

/**
 * The renames whose RENAME takes along only folders that are renamed too: a
 * folder below the old name that stays (a pair not renamed, a folder of the
 * renaming side's own) would move with it, so its parent is not renamed.
 */
function withFoldersBelow(input: FolderPlanningInput, renames: readonly FolderRename[]): FolderRename[] {
  let kept = [...renames];
  for (;;) {
    const moving = (side: Side, name: string): boolean => kept.some((r) => r.side === side && r.by === 'rename' && canonicalInbox(r.from) === canonicalInbox(name));
    const safe = kept.filter((r) => {
      if (r.by !== 'rename') return true;
      const delim = input[r.side].namespace.delimiter;
      return input[r.side].folders.every((f) => f.name === r.from || !isWithin(f.name, r.from, delim) || moving(r.side, f.name));
    });
    if (safe.length === kept.length) return kept;
    kept = safe;
  }
}

/**
 * Parents first, each RENAME from the name its folder has by then: a child
 * its parent's RENAME took to its new name needs none (only the state
 * follows), one taken elsewhere is renamed from there.
 */
function inOrder(input: FolderPlanningInput, renames: readonly FolderRename[]): FolderRename[] {
  const sorted = [...renames].sort((x, y) => x.from.length - y.from.length);
  const out: FolderRename[] = [];
  for (const r of sorted) {
    if (r.by !== 'rename') {
      out.push(r);
      continue;
    }
    const from = movedBy(out, r.side, r.from, input[r.side].namespace.delimiter);
    out.push(from === r.to ? { ...r, from, by: 'parent', why: `${r.why} (moved with its parent)` } : { ...r, from });
  }
  return out;
}

/** Where the RENAMEs of `done` before it take folder `name` of `side`. */
function movedBy(done: readonly FolderRename[], side: Side, name: string, delim: string | null): string {
  let now = name;
  for (const r of done) if (r.side === side && r.by === 'rename' && isWithin(now, r.from, delim)) now = r.to + now.slice(r.from.length);
  return now;
}

/** The input once the renames are done: pairs, pending appends and the renamed sides' listings under the new names. */
function applied(input: FolderPlanningInput, renames: readonly FolderRename[]): FolderPlanningInput {
  const rename = (p: FolderPairName): FolderPairName => renames.find((r) => samePair(r.pair, p))?.renamed ?? p;
  const listing = (side: Side): FolderPlanningInput['a'] => ({
    ...input[side],
    folders: input[side].folders.map((f) => {
      const name = movedBy(renames, side, f.name, input[side].namespace.delimiter);
      return name === f.name ? f : { ...f, name };
    }),
  });
  return {
    ...input,
    a: listing('a'),
    b: listing('b'),
    known: input.known.map((k) => ({ ...k, ...rename(k) })),
    pendingAppends: input.pendingAppends.map(rename),
  };
}
