// The account's folder rules, decided before any message is looked at: which
// folders get no folder on the other side (failures), which folders to create
// (parents first) and subscribe to, which pairs to sync and which are
// unchanged, which pairs' deletions the account-wide count withholds, and
// (mirror --delete-folders) which B folders to delete (children first) or
// withhold. Two-way's own rules (folders only B has, folders one side deleted,
// the folder guard of both sides) are in twoWayFolders.ts.
// Pure: the engine lists both sides and reads the state, and hands them over;
// folderSetup.ts and folderDeletion.ts carry the actions out.

import type { FolderInfo, FolderStatus } from '../store/types.js';
import { canonicalInbox, isInbox } from '../store/names.js';
import { selectFolders } from './folderFilter.js';
import {
  isWithin, mapFolders, nameOn, namesOnBOfAFolders, pairLabel, withMissingParents, type FolderPairMapping, type FolderPairName, type FolderSide,
} from './folderMap.js';
import { translateFolderNameBack } from './folderName.js';
import { priorityOrder } from './folderOrder.js';
import type { AccountFolderPlan, FolderAction, FolderPlanningInput, FolderRename, KnownPair, PairToSync, WantedPair } from './folderPlanTypes.js';
import { mailboxIdUnrecorded, statusUnchanged } from './folderStatus.js';
import { accountTotals, accountWithholding, checkDeletionLimit, checkFolderDeletionMessages, namesInBrief, type AccountFolderCount } from './mirrorGuard.js';
import { other, sideLabel, SIDES, type Side } from './side.js';
import { planRenames } from './folderRenames.js';
import { planTwoWayFolders } from './twoWayFolders.js';
import type { AccountLoss, MessageFailure, SyncOptions } from './types.js';

export type { AccountFolderPlan, FolderAction, FolderPlanningInput, KnownPair, PairToSync } from './folderPlanTypes.js';

export function planFolders(before: FolderPlanningInput): AccountFolderPlan {
  // Renames first: the rest is planned as if they were done (a renamed pair is neither lost nor new).
  const renaming = planRenames(before);
  const input = renaming.after;
  const { options } = input;
  const mapping = mapFolders(input.a, input.b, input.known);
  const selected = new Set(selectFolders(input.a.folders.map((f) => f.name), options.filter));
  const unmapped = mapping.unmapped
    .filter((u) => selected.has(u.nameA))
    .map((u): MessageFailure => ({ folder: u.nameA, uid: 0, side: 'A', reason: u.reason }));
  const fromA = mapping.pairs
    .filter((p) => selected.has(p.nameA))
    .map((p): WantedPair => ({ mapping: p, missing: p.existsOnB ? [] : ['b'] }));
  const twoWay = options.mode === 'two-way' ? planTwoWayFolders(input, mapping.pairs, fromA) : undefined;
  const wanted = twoWay?.wanted ?? fromA;
  // Copy mode lets B keep flag changes of its own that the state's base (A's flags) does not show;
  // mirror undoes them, two-way carries them to A: both must read them once. A state never
  // committed (its first run was killed) names no mode, yet its journal may hold statuses.
  const recorded = !input.state.isNew || input.known.some((k) => k.statusB !== undefined);
  const rescanB = options.mode !== 'copy' && recorded && input.state.lastMode !== 'mirror' && input.state.lastMode !== 'two-way';
  const { pairs, unchanged } = pairsToSync(input, wanted, rescanB, twoWay?.lost);
  const deletion = options.deleteFolders ? foldersToDelete(input, mapping.pairs) : { deletes: [], foldersWithheld: [], keptOnB: [] };
  return {
    renames: renaming.renames,
    renameQuestions: renaming.questions,
    unmapped: [...unmapped, ...(twoWay?.unmapped ?? [])],
    forget: twoWay?.forget ?? [],
    questions: twoWay?.questions ?? [],
    creates: SIDES.slice().reverse().flatMap((side) => foldersToCreate(input, wanted, side)),
    subscribes: SIDES.flatMap((side) => (side === 'a' && !twoWay ? [] : subscriptions(wanted, side))),
    pairs: options.dryRun ? readUnderOldNames(pairs, renaming.renames) : pairs, unchanged, rescanB,
    ...(twoWay ? { deletes: twoWay.deletes, foldersWithheld: twoWay.withheld, keptOnB: [] } : deletion),
  };
}

/** A dry run renames nothing: a renamed pair is read where its folders are now. */
function readUnderOldNames(pairs: PairToSync[], renames: readonly FolderRename[]): PairToSync[] {
  return pairs.map((p) => {
    const r = renames.find((x) => x.renamed.nameA === p.job.nameA && x.renamed.nameB === p.job.nameB);
    return r === undefined || r.by === 'earlier run' ? p : { ...p, job: { ...p.job, readAs: { [r.side]: nameOn(r.pair, r.side) } } };
  });
}

/**
 * The folders to create on `side` for the wanted pairs that lack theirs there:
 * each after its parents the side does not list, in the pairs' order.
 */
function foldersToCreate(input: FolderPlanningInput, wanted: readonly WantedPair[], side: Side): FolderAction[] {
  const listing = input[side];
  const listed = new Set(listing.folders.map((f) => canonicalInbox(f.name)));
  const seen = new Set<string>();
  return wanted.flatMap(({ mapping, missing, recreated }) => {
    if (!missing.includes(side)) return [];
    const name = nameOn(mapping, side);
    return withMissingParents(name, listed, listing.namespace).flatMap((folder): FolderAction[] => {
      if (seen.has(folder)) return [];
      seen.add(folder);
      const own = `${sideLabel(side)} lacks the pair of ${sideLabel(other(side))}'s ${nameOn(mapping, other(side))}`;
      return [{ side, name: folder, why: folder !== name ? `parent of ${name}` : recreated ?? own }];
    });
  });
}

/** Subscriptions on `side` for the wanted pairs the other side subscribes to and this one does not. */
function subscriptions(wanted: readonly WantedPair[], side: Side): AccountFolderPlan['subscribes'] {
  const subscribed = (p: FolderPairMapping, s: Side): boolean => (s === 'a' ? p.subscribedOnA : p.subscribedOnB);
  return wanted
    .filter(({ mapping: p }) => subscribed(p, other(side)) && !subscribed(p, side))
    .map(({ mapping: p }) => ({
      side, name: nameOn(p, side), label: pairLabel(p), why: `${sideLabel(other(side))} subscribes to ${nameOn(p, other(side))}`,
    }));
}

/** The pairs to sync (in priority order: see readOrder) and those unchanged since the state was written. */
function pairsToSync(
  input: FolderPlanningInput,
  wanted: readonly WantedPair[],
  rescanB: boolean,
  /** Two-way: the remembered pairs each side lost. */
  lost: Record<Side, readonly KnownPair[]> | undefined,
): Pick<AccountFolderPlan, 'pairs' | 'unchanged'> {
  const { options } = input;
  const key = (p: FolderPairName): string => `${p.nameA}\u0000${p.nameB}`;
  const known = new Map(input.known.map((k) => [key(k), k]));
  const pending = new Set(input.pendingAppends.map(key));
  const statusA = statusesOf(input.a);
  const statusB = statusesOf(input.b);
  const withholdAll = options.mode === 'copy' ? new Map<string, AccountVerdict>() : accountCount(input.known, { a: statusA, b: statusB }, options, lost);
  const out: Pick<AccountFolderPlan, 'pairs' | 'unchanged'> = { pairs: [], unchanged: [] };
  for (const { mapping: p, missing, recreated } of readOrder(wanted, known, { a: statusA, b: statusB }, options.priority ?? [])) {
    const label = pairLabel(p);
    // A pair created again is forgotten first (AccountFolderPlan.forget): new to this run.
    const state = recreated === undefined ? known.get(key(p)) : undefined;
    const [nowA, nowB] = [statusA.get(p.nameA), statusB.get(p.nameB)];
    const why = recreated ?? whySync(options, state, nowA, nowB, rescanB, pending.has(key(p)));
    if (why === undefined) {
      out.unchanged.push({ label, nameA: p.nameA, nameB: p.nameB, messages: nowA?.messages ?? 0 });
      continue;
    }
    const withholding = withholdAll.get(key(p));
    const beyond = (nowA?.messages ?? 0) - (nowB?.messages ?? 0);
    out.pairs.push({
      mapping: p, missing, why, estimate: options.mode === 'two-way' ? Math.abs(beyond) : Math.max(0, beyond),
      job: {
        nameA: p.nameA, nameB: p.nameB, label, missingOn: options.dryRun ? missing : [], rescanB,
        ...(withholding !== undefined && { withholdAll: withholding.reason, accountLoss: withholding.loss }),
        ...(p.specialUse !== undefined && { specialUse: p.specialUse }),
        ...((nowA?.size ?? nowB?.size ?? nowA?.mailboxId ?? nowB?.mailboxId) !== undefined && { listed: { ...(nowA && { a: nowA }), ...(nowB && { b: nowB }) } }),
      },
    });
  }
  return out;
}

/** Why a pair is read and planned in this run; undefined when it is unchanged and may be skipped. */
function whySync(
  options: FolderPlanningInput['options'],
  state: KnownPair | undefined,
  nowA: FolderStatus | undefined,
  nowB: FolderStatus | undefined,
  rescanB: boolean,
  pendingAppends: boolean,
): string | undefined {
  if (state === undefined) return 'new pair';
  if (options.full) return '--full';
  if (rescanB) return `first ${options.mode} run on this state: reading every flag on B once`;
  if (pendingAppends) return 'appends with unknown result from an earlier run; checking B for them';
  // Messages A lost in a rollback wait on B for --force: planned (and reported) every mirror run; two-way copies them back.
  if (options.mode !== 'copy' && state.hasHeld) return 'keeps messages A lost when it went back in time';
  if (state.hasPending === true) return 'copies pending from an earlier run';
  if (state.recheckDeferred === true) return 'messages deferred under another message filter; checking them again';
  if (!statusUnchanged(state.statusA, nowA)) return 'A changed';
  if (!statusUnchanged(state.statusB, nowB)) return 'B changed';
  if (mailboxIdUnrecorded(state.statusA, nowA)) return "reading A once to record its MAILBOXID";
  if (mailboxIdUnrecorded(state.statusB, nowB)) return "reading B once to record its MAILBOXID";
  return undefined;
}

function statusesOf(side: FolderSide): Map<string, FolderStatus> {
  const out = new Map<string, FolderStatus>();
  for (const f of side.folders) if (f.status) out.set(f.name, f.status);
  return out;
}

/** A pair's deletions withheld by the account-wide count: why, and the count (for the account's plan to redo without moves). */
interface AccountVerdict {
  reason: string;
  loss: AccountLoss;
}

/**
 * Mirror's account-wide count (accountWithholding), from the state's statuses
 * of A and A's LIST-STATUS (two-way: of each side, as each side's lost
 * messages are deleted on the other): the pairs whose deletions all wait, with
 * why. A folder listed without a status is not counted; one A no longer lists
 * neither in mirror (its copy on B is not deleted for it), while in two-way the
 * folders a side lost count with none of their messages present (a big folder
 * gone makes the side look broken: its other expunges wait too).
 */
function accountCount(
  known: readonly KnownPair[],
  now: { a: Map<string, FolderStatus>; b: Map<string, FolderStatus> },
  options: Pick<SyncOptions, 'mode' | 'force'>,
  lost: Record<Side, readonly KnownPair[]> | undefined,
): Map<string, AccountVerdict> {
  const out = new Map<string, AccountVerdict>();
  for (const side of options.mode === 'two-way' ? SIDES : (['a'] as const)) {
    const gone = new Set(lost?.[side] ?? []);
    const counts = known.flatMap((k): AccountFolderCount[] => {
      const remembered = side === 'a' ? k.statusA : k.statusB;
      const present = gone.has(k) ? 0 : now[side].get(side === 'a' ? k.nameA : k.nameB)?.messages;
      if (remembered === undefined || present === undefined) return [];
      return [{ nameA: k.nameA, nameB: k.nameB, remembered: remembered.messages, present, ...(gone.has(k) && { lost: true }) }];
    });
    const verdict = accountWithholding(counts, options.force, side);
    if (verdict === undefined) continue;
    const { remembered, lacking } = accountTotals(counts);
    for (const c of counts) {
      const key = `${c.nameA}\u0000${c.nameB}`;
      if (c.present >= c.remembered || out.has(key)) continue;
      out.set(key, { reason: verdict.reason, loss: { side, remembered, lacking, dropped: c.remembered - c.present } });
    }
  }
  return out;
}

/**
 * Mirror --delete-folders: B folders no A folder maps to, nor stands for by
 * name (A may list a folder it cannot open: its mail is still there). Never
 * INBOX, a special-use folder, or a parent of a kept folder. None when they are
 * more than half of B's folders (and at least 2), or hold more than half of
 * B's messages (and at least 10), unless --force.
 */
function foldersToDelete(
  input: FolderPlanningInput,
  pairs: readonly FolderPairMapping[],
): Pick<AccountFolderPlan, 'deletes' | 'foldersWithheld' | 'keptOnB'> {
  const { a, b, options } = input;
  const onA = namesOnBOfAFolders(a, b.namespace);
  const targets = [...new Set([...pairs.map((p) => p.nameB), ...onA])];
  const delim = b.namespace.delimiter;
  const keptOnB: FolderAction[] = [];
  const candidates = b.folders.filter((f) => {
    if (isInbox(f.name) || targets.some((t) => isWithin(t, f.name, delim))) return false;
    if (f.specialUse !== undefined) {
      keptOnB.push({ side: 'b', name: f.name, why: `it is the server's ${f.specialUse} folder` });
      return false;
    }
    const asOnA = translateFolderNameBack(f.name, b.namespace, a.namespace);
    return selectFolders([asOnA], options.filter).length === 1;
  });
  const messagesIn = (folders: readonly FolderInfo[]): number => folders.reduce((sum, f) => sum + (f.status?.messages ?? 0), 0);
  const withheld =
    checkDeletionLimit({
      what: 'folders', deleting: candidates.length, heldOnB: b.folders.length, force: options.force,
      cause: `A has no folder for ${namesInBrief(candidates.map((f) => f.name))}`,
    }) ??
    checkFolderDeletionMessages({
      folders: candidates.map((f) => f.name), deleting: messagesIn(candidates), heldOnB: messagesIn(b.folders),
      foldersOnB: b.folders.length, force: options.force,
    });
  if (withheld) return { deletes: [], foldersWithheld: [withheld], keptOnB };
  const deletes = candidates
    .map((f): FolderAction => ({ side: 'b', name: f.name, why: 'not on A' }))
    .sort((x, y) => y.name.length - x.name.length); // children before parents
  return { deletes, foldersWithheld: [], keptOnB };
}

/**
 * The wanted pairs in priority order (folderOrder.ts). Before anything is read
 * the run knows only LIST-STATUS: a pair's recency is the UIDs its sides gave
 * out since the state was written (UIDNEXT growth; a side the state has no
 * status for counts its messages), so the folders with the most new mail come first.
 */
function readOrder(
  wanted: readonly WantedPair[],
  known: ReadonlyMap<string, KnownPair>,
  now: { a: Map<string, FolderStatus>; b: Map<string, FolderStatus> },
  priority: readonly string[],
): WantedPair[] {
  const growth = ({ mapping: p }: WantedPair): number => {
    const state = known.get(`${p.nameA}\u0000${p.nameB}`);
    return SIDES.reduce((sum, side) => {
      const current = now[side].get(nameOn(p, side));
      const before = side === 'a' ? state?.statusA : state?.statusB;
      if (current === undefined) return sum;
      if (before === undefined || before.uidValidity !== current.uidValidity) return sum + current.messages;
      return sum + Math.max(0, current.uidNext - before.uidNext);
    }, 0);
  };
  return priorityOrder(wanted, (w) => ({ name: w.mapping.nameA, specialUse: w.mapping.specialUse, recency: growth(w) }), priority);
}
