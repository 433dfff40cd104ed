// Two-way mode's folder rules (issue 8), decided from both listings and the
// pairs the state knows, before any message is read. Pure: planFolders.ts
// merges them into the account's folder plan.
// - A folder only B has, that no remembered pair explains, is created on A
//   (the name mapping run backwards: a B name that no A name maps onto is a
//   failure, as an A name B cannot spell is).
// - A remembered pair one side deleted: the other side's copy is deleted when
//   it provably holds nothing new since the last (two-way) run: no copy or
//   append of an earlier run unconfirmed, no held record, and either its
//   UIDVALIDITY and UIDNEXT are as recorded and it is empty with a LIST-STATUS
//   as recorded, or every message it holds is one the state knows on both sides,
//   each UID holding the record's message (a restore plus new mail can give back
//   the counters): the plan asks (`questions`, one EXAMINE and UID FETCH of the
//   envelopes each, see folderProof.ts) and is
//   made again with the answers. Otherwise the folder is created again on the
//   side that deleted it and the pair synced as new (the state forgets it
//   first, so none of its messages can be deleted): never lose mail. Never
//   INBOX, a special-use folder, or a parent of a folder that stays.
// - A remembered pair both sides deleted is forgotten.
// - A side that lost more than half of the remembered folders, or lost folders
//   while it lacks more than half of the messages the state remembers on it
//   (those of the lost folders count): its losses are left alone, withheld
//   (checkFolderLoss), until --force.

import type { FolderInfo } from '../store/types.js';
import { canonicalInbox, isInbox } from '../store/names.js';
import { selectFolders } from './folderFilter.js';
import { isWithin, nameOn, type FolderPairMapping, type FolderPairName } from './folderMap.js';
import { translateFolderNameBack, untranslatedName } from './folderName.js';
import type { FolderAction, FolderPlanningInput, KnownPair, SurvivorQuestion, WantedPair } from './folderPlanTypes.js';
import { statusUnchanged, wentBackInTime } from './folderStatus.js';
import { checkFolderLoss } from './mirrorGuard.js';
import { other, sideLabel, SIDES, type Side } from './side.js';
import type { MessageFailure, Withholding } from './types.js';

export interface TwoWayFolders {
  /** Every pair to sync: A's (less those deleted or withheld), then those whose A folder is created. */
  wanted: WantedPair[];
  /** Folders to delete, children first. */
  deletes: FolderAction[];
  /** Pairs to forget: deleted on both sides, paired otherwise now, or created again. */
  forget: (FolderPairName & { why: string })[];
  /** B folders that get no A folder of their own. */
  unmapped: MessageFailure[];
  /** A side's losses left alone by the folder guard. */
  withheld: Withholding[];
  /** Copies whose deletion waits for an answer (see SurvivorQuestion); until then they count as changed. */
  questions: SurvivorQuestion[];
  /** Remembered pairs each side no longer lists while the other does (withheld or not): the account-wide count counts them. */
  lost: Record<Side, KnownPair[]>;
}

/** What became of a remembered pair's folders. */
interface Losses {
  /** Pairs a side lost while the other still has its folder, by the side that lost it. */
  lost: Record<Side, KnownPair[]>;
  forget: TwoWayFolders['forget'];
}

/**
 * `mapped`: every A folder's pair (mapFolders); `fromA`: the selected ones, as
 * the run wants them without two-way's rules.
 */
export function planTwoWayFolders(
  input: FolderPlanningInput,
  mapped: readonly FolderPairMapping[],
  fromA: readonly WantedPair[],
): TwoWayFolders {
  const selected = (nameA: string): boolean => selectFolders([nameA], input.options.filter).length === 1;
  const known = input.known.filter((k) => selected(k.nameA));
  const { lost, forget } = losses(input, known, mapped);
  const withheld: Withholding[] = [];
  const decided: Decisions = { deletes: [], recreated: new Map(), questions: [] };
  for (const side of SIDES) {
    const guard = checkFolderLoss({
      side: sideLabel(side), lost: lost[side].map((k) => nameOn(k, side)), remembered: known.length, force: input.options.force,
      messages: messageLoss(input, known, lost[side], side),
    });
    if (guard) withheld.push(guard);
    else decideLosses(input, lost[side], side, decided, wentBackIn(input, known, side));
  }
  const { deletes, recreated, questions } = decided;
  for (const [k, why] of recreated) forget.push({ nameA: k.nameA, nameB: k.nameB, why });

  const recreatedOnB = new Map([...recreated].filter(([k]) => lost.b.includes(k)).map(([k, why]) => [k.nameA, why]));
  const leftOutOnA = new Set(lost.b.filter((k) => !recreated.has(k)).map((k) => k.nameA));
  const wanted = fromA
    .filter((w) => !leftOutOnA.has(w.mapping.nameA))
    .map((w) => (recreatedOnB.has(w.mapping.nameA) ? { ...w, recreated: recreatedOnB.get(w.mapping.nameA)! } : w));
  const onlyB = foldersOnlyOnB(input, mapped, new Set(lost.a.map((k) => canonicalInbox(k.nameB))), selected);
  const again = lost.a.flatMap((k): WantedPair[] => {
    const why = recreated.get(k);
    const folder = why === undefined ? undefined : listedOn(input, 'b').get(canonicalInbox(k.nameB));
    return folder === undefined ? [] : [{ mapping: pairOnlyB(k.nameA, folder), missing: ['a'], recreated: why! }];
  });
  return { wanted: [...wanted, ...again, ...onlyB.wanted], deletes, forget, unmapped: onlyB.unmapped, withheld, questions, lost };
}

/** A side's selectable folders by canonical name. */
function listedOn(input: FolderPlanningInput, side: Side): Map<string, FolderInfo> {
  return new Map(input[side].folders.filter((f) => f.selectable).map((f) => [canonicalInbox(f.name), f]));
}

/**
 * Which remembered pairs a side lost while the other still has the folder,
 * and which to forget: gone on both sides, or now paired otherwise (A's folder
 * maps onto another B name, or B's folder is another A folder's pair).
 */
function losses(input: FolderPlanningInput, known: readonly KnownPair[], mapped: readonly FolderPairMapping[]): Losses {
  const listed = { a: listedOn(input, 'a'), b: listedOn(input, 'b') };
  const pairOfA = new Map(mapped.map((p) => [p.nameA, p]));
  const pairedOnB = new Set(mapped.map((p) => canonicalInbox(p.nameB)));
  const out: Losses = { lost: { a: [], b: [] }, forget: [] };
  for (const k of known) {
    const onA = listed.a.has(canonicalInbox(k.nameA));
    const onB = listed.b.has(canonicalInbox(k.nameB));
    const forget = (why: string): void => void out.forget.push({ nameA: k.nameA, nameB: k.nameB, why });
    if (onA && onB) continue;
    if (!onA && !onB) forget('deleted on both sides');
    else if (onA && canonicalInbox(pairOfA.get(k.nameA)?.nameB ?? '') !== canonicalInbox(k.nameB)) forget(`A's ${k.nameA} pairs with another B folder now`);
    else if (onB && pairedOnB.has(canonicalInbox(k.nameB))) forget(`B's ${k.nameB} pairs with another A folder now`);
    else out.lost[onA ? 'b' : 'a'].push(k);
  }
  return out;
}

/**
 * The messages the state remembers on `side` (its recorded statuses: no
 * record is parsed), and how many it lacks now: all those of the folders it
 * lost, and what its other folders lack (by LIST-STATUS; per folder, so new
 * mail in one does not hide what another lost; a folder without a status is
 * not counted).
 */
function messageLoss(input: FolderPlanningInput, known: readonly KnownPair[], lost: readonly KnownPair[], side: Side): { remembered: number; lacking: number; inLostFolders: number } {
  const listed = listedOn(input, side);
  const recorded = (k: KnownPair): number => (side === 'a' ? k.statusA : k.statusB)?.messages ?? 0;
  const gone = new Set(lost);
  const inLostFolders = lost.reduce((sum, k) => sum + recorded(k), 0);
  const lackingElsewhere = known.filter((k) => !gone.has(k)).reduce((sum, k) => {
    const present = listed.get(canonicalInbox(nameOn(k, side)))?.status?.messages;
    return sum + (present === undefined ? 0 : Math.max(0, recorded(k) - present));
  }, 0);
  return { remembered: known.reduce((sum, k) => sum + recorded(k), 0), lacking: inLostFolders + lackingElsewhere, inLostFolders };
}

/** What becomes of the pairs a side lost (those the guard let through). */
interface Decisions {
  deletes: FolderAction[];
  /** The lost pairs created again, with why. */
  recreated: Map<KnownPair, string>;
  questions: SurvivorQuestion[];
}

/**
 * A folder of `side` whose LIST-STATUS counters went down since the state
 * recorded them (a server restored from an older backup), if there is one:
 * a side that went back in time propagates no deletion in that run, of
 * folders neither (what it lost comes back).
 */
function wentBackIn(input: FolderPlanningInput, known: readonly KnownPair[], side: Side): string | undefined {
  const listed = listedOn(input, side);
  const pair = known.find((k) => wentBackInTime(side === 'a' ? k.statusA : k.statusB, listed.get(canonicalInbox(nameOn(k, side)))?.status));
  return pair === undefined ? undefined : nameOn(pair, side);
}

/**
 * For each pair `side` lost (children first, so a parent knows whether its
 * children stay): delete the other side's copy, or create the folder again
 * (also while a question about the copy waits for its answer; always when
 * `side` went back in time, in `wentBack`).
 */
function decideLosses(input: FolderPlanningInput, lost: readonly KnownPair[], side: Side, decided: Decisions, wentBack: string | undefined): void {
  const survivor = other(side);
  const deleting = new Set<string>();
  const [L, S] = [sideLabel(side), sideLabel(survivor)];
  for (const k of [...lost].sort((x, y) => nameOn(y, survivor).length - nameOn(x, survivor).length)) {
    const name = nameOn(k, survivor);
    const keep = wentBack !== undefined ? `stays: ${L} went back in time (${wentBack}'s counters went down)` : whyKeep(input, k, survivor, deleting);
    if (keep === undefined) {
      deleting.add(name);
      const decidedOn = listedOn(input, survivor).get(canonicalInbox(name))?.status;
      decided.deletes.push({
        side: survivor, name, why: `${L} deleted ${nameOn(k, side)}, and ${S}'s copy holds nothing new since the last run`, ...(decidedOn && { decidedOn }),
      });
      continue;
    }
    if (typeof keep !== 'string') {
      decided.questions.push(keep);
      // Before any answer (a plan nothing acts on) its answer may delete it: its parent is asked in the same
      // round, as there is one round of answers. With the answers, one still asked stays, and so does its parent.
      if (input.survivors === undefined) deleting.add(name);
    }
    const why = typeof keep === 'string' ? keep : 'changed since the last run';
    decided.recreated.set(k, `${L} deleted ${nameOn(k, side)}, but ${S}'s copy ${why}: created again on ${L}`);
  }
}

/**
 * Why the survivor's copy of a pair the other side deleted must stay
 * (undefined: it may go), or the question whose answer decides it.
 */
function whyKeep(input: FolderPlanningInput, k: KnownPair, survivor: Side, deleting: ReadonlySet<string>): string | SurvivorQuestion | undefined {
  const name = nameOn(k, survivor);
  const { folders, namespace } = input[survivor];
  const folder = folders.find((f) => f.selectable && canonicalInbox(f.name) === canonicalInbox(name));
  if (folder?.specialUse !== undefined) return `is ${sideLabel(survivor)}'s ${folder.specialUse} folder`;
  if (folders.some((f) => f.name !== name && isWithin(f.name, name, namespace.delimiter) && !deleting.has(f.name))) {
    return 'holds folders that stay';
  }
  // Copy or mirror runs made this state: the copy may hold mail the other side never had.
  if (input.state.lastMode !== 'two-way') return 'may hold mail never synced both ways (the last run was not two-way)';
  if (input.pendingAppends.some((p) => p.nameA === k.nameA && p.nameB === k.nameB)) return 'may hold appends of an earlier run';
  if (k.hasPending === true) return 'holds copies not yet confirmed';
  if (k.hasHeld) return 'holds messages kept after a rollback';
  const [recorded, now] = [survivor === 'a' ? k.statusA : k.statusB, folder?.status];
  // Counters as recorded do not prove what the UIDs hold (a restore plus new mail can give them back): only an empty copy goes on them.
  if (statusUnchanged(recorded, now) && now?.messages === 0) return undefined;
  const answer = input.survivors?.find((s) => s.nameA === k.nameA && s.nameB === k.nameB && s.side === survivor);
  if (answer !== undefined) return answer.onlyKnown ? undefined : 'holds messages the last run did not see';
  // Nothing appended since the last run's own appends (UIDNEXT as recorded): worth asking which messages it holds.
  if (recorded !== undefined && now !== undefined && recorded.uidValidity === now.uidValidity && recorded.uidNext === now.uidNext) {
    return { nameA: k.nameA, nameB: k.nameB, side: survivor, name, uidValidity: now.uidValidity, messages: now.messages };
  }
  return 'changed since the last run';
}

/**
 * B folders that no A folder maps onto and no remembered pair explains
 * (`explained`): each is created on A under the name that maps back onto it,
 * or listed as a failure when there is none, or when A already has that name
 * for another pair. An empty one A lists as a hierarchy node is left alone.
 */
function foldersOnlyOnB(
  input: FolderPlanningInput,
  mapped: readonly FolderPairMapping[],
  explained: ReadonlySet<string>,
  selected: (nameA: string) => boolean,
): Pick<TwoWayFolders, 'wanted' | 'unmapped'> {
  const { a, b } = input;
  const pairedOnB = new Set(mapped.map((p) => canonicalInbox(p.nameB)));
  const onA = new Map(a.folders.map((f) => [canonicalInbox(f.name), f]));
  const takenOnA = new Map(mapped.map((p) => [canonicalInbox(p.nameA), p.nameB]));
  const out: Pick<TwoWayFolders, 'wanted' | 'unmapped'> = { wanted: [], unmapped: [] };
  for (const folder of listedOn(input, 'b').values()) {
    const key = canonicalInbox(folder.name);
    if (isInbox(folder.name) || pairedOnB.has(key) || explained.has(key)) continue;
    const named = untranslatedName(folder.name, b.namespace, a.namespace);
    const nameA = 'name' in named ? named.name : translateFolderNameBack(folder.name, b.namespace, a.namespace);
    if (!selected(nameA)) continue;
    // Only a hierarchy node on A (\Noselect), empty on B (e.g. a parent B was given): CREATE would make A's a mailbox for nothing.
    if (onA.get(canonicalInbox(nameA))?.selectable === false && folder.status?.messages === 0) continue;
    const fail = (reason: string): void => void out.unmapped.push({ folder: folder.name, uid: 0, side: 'B', reason: `no A folder of its own: ${reason}` });
    const taken = takenOnA.get(canonicalInbox(nameA));
    if ('reason' in named) fail(named.reason);
    else if (taken !== undefined) fail(`its A name "${nameA}" is already the A folder of B folder "${taken}"`);
    else if (onA.get(canonicalInbox(nameA))?.selectable === true) fail(`its A name "${nameA}" is an A folder that is not synced`);
    else {
      takenOnA.set(canonicalInbox(nameA), folder.name);
      out.wanted.push({ mapping: pairOnlyB(nameA, folder), missing: ['a'] });
    }
  }
  return out;
}

/** The pair of a folder only B has, whose A folder this run creates. */
function pairOnlyB(nameA: string, folder: FolderInfo): FolderPairMapping {
  return { nameA, nameB: folder.name, existsOnB: true, subscribedOnA: false, subscribedOnB: folder.subscribed, selectableOnA: true };
}
