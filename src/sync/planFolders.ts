// The account's folder rules, decided before any message is looked at: which
// A folders get no B folder (failures), which B folders to create (parents
// first) and subscribe to, which pairs to sync and which are unchanged, which
// pairs' deletions the account-wide count withholds, and (mirror
// --delete-folders) which B folders to delete (children first) or withhold.
// Pure: the engine lists both sides and reads the state, and hands them over;
// folderSetup.ts and folderDeletion.ts carry the actions out.

import type { SideStatus, StateMode } from '../state/types.js';
import type { FolderStatus } from '../store/types.js';
import { inboxFirst, isInbox } from '../store/names.js';
import { selectFolders } from './folderFilter.js';
import { mapFolders, namesOnBOfAFolders, pairLabel, type FolderPairMapping, type FolderPairName, type FolderSide } from './folderMap.js';
import { translateFolderNameBack } from './folderName.js';
import { statusUnchanged } from './folderStatus.js';
import { accountWithholding, checkDeletionLimit } from './mirrorGuard.js';
import { SIDES } from './side.js';
import type { FolderPairJob, MessageFailure, SyncOptions, Withholding } from './types.js';

/** What the state knows of one folder pair (cheap: no section's records are parsed). */
export interface KnownPair extends FolderPairName {
  statusA?: SideStatus;
  statusB?: SideStatus;
  /** Some record is held (see MessageRecord.held). */
  hasHeld: boolean;
  /** Some record's copy is pending: wanted by an earlier run, never confirmed (see MessageRecord.status). */
  hasPending?: boolean;
}

export interface FolderPlanningInput {
  options: Pick<SyncOptions, 'mode' | 'dryRun' | 'deleteFolders' | 'force' | 'full' | 'filter'>;
  a: FolderSide;
  b: FolderSide;
  /** Every pair the state knows. */
  known: readonly KnownPair[];
  state: { isNew: boolean; lastMode: StateMode | undefined };
  /** Pairs with appends whose result an earlier run never learnt (the journal's unresolved intents). */
  pendingAppends: readonly FolderPairName[];
}

/** One folder-level action on B, with why. */
export interface FolderAction {
  name: string;
  why: string;
}

/** A pair this run syncs, with why it is not skipped. */
export interface PairToSync {
  mapping: FolderPairMapping;
  job: FolderPairJob;
  why: string;
  /** Messages A has beyond B in the pair (LIST-STATUS counts): a first estimate of what to copy. */
  estimate: number;
}

export interface AccountFolderPlan {
  /** A folders that get no B folder of their own (failures of the run). */
  unmapped: MessageFailure[];
  /** B folders to create, parents before children. */
  creates: FolderAction[];
  /** B folders to subscribe to (A subscribes to their pair), with the pair's label. */
  subscribes: (FolderAction & { label: string })[];
  /** Pairs to read, plan and sync, INBOX first. */
  pairs: PairToSync[];
  /** Pairs left alone because neither side's status changed, with A's message count. */
  unchanged: { label: string; messages: number }[];
  /** Mirror --delete-folders: B folders to delete after the pairs are synced, children first. */
  deletes: FolderAction[];
  /** Mirror --delete-folders: the guard withheld every folder deletion. */
  deletesWithheld?: Withholding;
  /** Mirror --delete-folders: B folders A lacks that are kept all the same, with why (for -v). */
  keptOnB: FolderAction[];
  /** The first mirror or two-way run on a state written by copy runs: every flag on B is read once. */
  rescanB: boolean;
}

export function planFolders(input: FolderPlanningInput): AccountFolderPlan {
  const { options, a, b } = input;
  const mapping = mapFolders(a, b, input.known);
  const selected = new Set(selectFolders(a.folders.map((f) => f.name), options.filter));
  const unmapped = mapping.unmapped
    .filter((u) => selected.has(u.nameA))
    .map((u): MessageFailure => ({ folder: u.nameA, uid: 0, side: 'A', reason: u.reason }));
  const wanted = mapping.pairs.filter((p) => selected.has(p.nameA));
  // Copy mode lets B keep flag changes of its own that the state's base (A's flags) does not show;
  // mirror undoes them, two-way carries them to A: both must read them once.
  const rescanB = options.mode !== 'copy' && !input.state.isNew && input.state.lastMode !== 'mirror' && input.state.lastMode !== 'two-way';
  const { pairs, unchanged } = pairsToSync(input, wanted, rescanB);
  const deletion = options.deleteFolders ? foldersToDelete(input, mapping.pairs) : { deletes: [], keptOnB: [] };
  return {
    unmapped,
    creates: foldersToCreate(mapping.toCreate, wanted, b.namespace.delimiter),
    subscribes: wanted
      .filter((p) => p.subscribedOnA && !p.subscribedOnB)
      .map((p) => ({ name: p.nameB, label: pairLabel(p), why: `A subscribes to ${p.nameA}` })),
    pairs, unchanged, rescanB,
    ...deletion,
  };
}

/** Is `name` the folder `folder` or below it, with B's separator? */
export function isWithin(name: string, folder: string, delimiter: string | null): boolean {
  return name === folder || (delimiter !== null && delimiter !== '' && name.startsWith(folder + delimiter));
}

/** The folders of toCreate some wanted pair needs (itself, or a parent of it). */
function foldersToCreate(toCreate: readonly string[], wanted: readonly FolderPairMapping[], delimiter: string | null): FolderAction[] {
  const needed = wanted.filter((p) => !p.existsOnB);
  return toCreate.flatMap((name) => {
    const pair = needed.find((p) => isWithin(p.nameB, name, delimiter));
    if (pair === undefined) return [];
    return [{ name, why: pair.nameB === name ? `B lacks the pair of A's ${pair.nameA}` : `parent of ${pair.nameB}` }];
  });
}

/** The pairs to sync (INBOX first) and those unchanged since the state was written. */
function pairsToSync(
  input: FolderPlanningInput,
  wanted: readonly FolderPairMapping[],
  rescanB: boolean,
): Pick<AccountFolderPlan, 'pairs' | 'unchanged'> {
  const { options } = input;
  const key = (p: FolderPairName): string => `${p.nameA}\u0000${p.nameB}`;
  const known = new Map(input.known.map((k) => [key(k), k]));
  const pending = new Set(input.pendingAppends.map(key));
  const statusA = statusesOf(input.a);
  const statusB = statusesOf(input.b);
  const withholdAll = options.mode === 'copy' ? new Map<string, string>() : accountCount(input.known, { a: statusA, b: statusB }, options);
  const out: Pick<AccountFolderPlan, 'pairs' | 'unchanged'> = { pairs: [], unchanged: [] };
  for (const p of sortPairs(wanted)) {
    const label = pairLabel(p);
    const state = known.get(key(p));
    const [nowA, nowB] = [statusA.get(p.nameA), statusB.get(p.nameB)];
    const why = whySync(options, state, nowA, nowB, rescanB, pending.has(key(p)));
    if (why === undefined) {
      out.unchanged.push({ label, messages: nowA?.messages ?? 0 });
      continue;
    }
    const withholding = withholdAll.get(key(p));
    out.pairs.push({
      mapping: p, why, estimate: Math.max(0, (nowA?.messages ?? 0) - (nowB?.messages ?? 0)),
      job: {
        nameA: p.nameA, nameB: p.nameB, label, missingOnB: !p.existsOnB && options.dryRun, rescanB,
        ...(withholding !== undefined && { withholdAll: withholding }),
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
  if (!statusUnchanged(state.statusA, nowA)) return 'A changed';
  if (!statusUnchanged(state.statusB, nowB)) return 'B changed';
  return undefined;
}

function statusesOf(side: FolderSide): Map<string, FolderStatus> {
  const out = new Map<string, FolderStatus>();
  for (const f of side.folders) if (f.status) out.set(f.name, f.status);
  return out;
}

/**
 * Mirror's account-wide count (accountWithholding), from the state's statuses
 * of A and A's LIST-STATUS (two-way: of each side, as each side's lost
 * messages are deleted on the other): the pairs whose deletions all wait, with
 * why. A folder a side no longer lists, or lists without a status, is not counted.
 */
function accountCount(
  known: readonly KnownPair[],
  now: { a: Map<string, FolderStatus>; b: Map<string, FolderStatus> },
  options: Pick<SyncOptions, 'mode' | 'force'>,
): Map<string, string> {
  const out = new Map<string, string>();
  for (const side of options.mode === 'two-way' ? SIDES : (['a'] as const)) {
    const counts = known.flatMap((k) => {
      const remembered = side === 'a' ? k.statusA : k.statusB;
      const present = now[side].get(side === 'a' ? k.nameA : k.nameB)?.messages;
      return remembered === undefined || present === undefined ? [] : [{ nameA: k.nameA, nameB: k.nameB, remembered: remembered.messages, present }];
    });
    const verdict = accountWithholding(counts, options.force, side);
    for (const p of verdict?.dropped ?? []) {
      const key = `${p.nameA}\u0000${p.nameB}`;
      if (!out.has(key)) out.set(key, verdict!.reason);
    }
  }
  return out;
}

/**
 * Mirror --delete-folders: B folders no A folder maps to, nor stands for by
 * name (A may list a folder it cannot open: its mail is still there). Never
 * INBOX, a special-use folder, or a parent of a kept folder. None when they are
 * more than half of B's folders (and at least 2), unless --force.
 */
function foldersToDelete(
  input: FolderPlanningInput,
  pairs: readonly FolderPairMapping[],
): Pick<AccountFolderPlan, 'deletes' | 'deletesWithheld' | 'keptOnB'> {
  const { a, b, options } = input;
  const onA = namesOnBOfAFolders(a, b.namespace);
  const targets = [...new Set([...pairs.map((p) => p.nameB), ...onA])];
  const delim = b.namespace.delimiter;
  const keptOnB: FolderAction[] = [];
  const candidates = b.folders.filter((f) => {
    if (isInbox(f.name) || targets.some((t) => isWithin(t, f.name, delim))) return false;
    if (f.specialUse !== undefined) {
      keptOnB.push({ name: f.name, why: `it is the server's ${f.specialUse} folder` });
      return false;
    }
    const asOnA = translateFolderNameBack(f.name, b.namespace, a.namespace);
    return selectFolders([asOnA], options.filter).length === 1;
  });
  const withheld = checkDeletionLimit({
    what: 'folders', deleting: candidates.length, heldOnB: b.folders.length, force: options.force,
    cause: `A has no folder for ${namesInBrief(candidates.map((f) => f.name))}`,
  });
  if (withheld) return { deletes: [], deletesWithheld: withheld, keptOnB };
  const deletes = candidates
    .map((f) => ({ name: f.name, why: 'not on A' }))
    .sort((x, y) => y.name.length - x.name.length); // children before parents
  return { deletes, keptOnB };
}

/** Up to five names, then how many more. */
function namesInBrief(names: string[]): string {
  const sorted = [...names].sort();
  const shown = sorted.slice(0, 5).join(', ');
  return sorted.length > 5 ? `${shown} and ${sorted.length - 5} more` : shown;
}

function sortPairs<T extends { nameA: string }>(pairs: readonly T[]): T[] {
  return [...pairs].sort((x, y) => inboxFirst(x.nameA, y.nameA));
}
