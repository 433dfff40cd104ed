// Which folder of A goes to which folder of B: translate the hierarchy
// (namespace prefix and separator, see folderName.ts), keep INBOX as INBOX, and
// let special-use folders (\Sent, \Trash, …) find their counterpart even when
// the names differ. An A folder that cannot get a B folder of its own is listed
// as unmapped, never silently dropped.
// Pure: the engine lists both sides and hands the lists over.

import type { FolderInfo, NamespaceInfo, SpecialUse } from '../store/types.js';
import { canonicalInbox, isInbox } from '../store/names.js';
import { legacyFolderName, translateFolderName, untranslatableReason } from './folderName.js';

export interface FolderPairMapping {
  nameA: string;
  nameB: string;
  /** B has this folder, and it can be selected. */
  existsOnB: boolean;
  /** A's special-use attribute, if any. */
  specialUse?: SpecialUse;
  subscribedOnA: boolean;
  /** False when B lacks the folder. */
  subscribedOnB: boolean;
  /** Always true: non-selectable A folders never become pairs (kept for callers that show it). */
  selectableOnA: boolean;
}

export interface FolderMapping {
  /** INBOX first, then in A's listing order. */
  pairs: FolderPairMapping[];
  /** B folders to create (missing pair folders and their missing parents), parents before children. */
  toCreate: string[];
  /** A folders that get no B folder of their own: each is a failure of the run. */
  unmapped: UnmappedFolder[];
}

export interface FolderPairName {
  nameA: string;
  nameB: string;
}

interface UnmappedFolder {
  nameA: string;
  reason: string;
}

export interface FolderSide {
  folders: FolderInfo[];
  namespace: NamespaceInfo;
}

/** Special uses that name one real folder per account, worth matching across names. */
const MATCHED_SPECIAL_USES: ReadonlySet<SpecialUse> = new Set<SpecialUse>([
  '\\Sent',
  '\\Drafts',
  '\\Trash',
  '\\Junk',
  '\\Archive',
]);

/** The pair's folder name on one side. */
export function nameOn(pair: FolderPairName, side: 'a' | 'b'): string {
  return side === 'a' ? pair.nameA : pair.nameB;
}

/** How a pair is named in messages: A's name, B's in parentheses when it differs. */
export function pairLabel(pair: { nameA: string; nameB: string }): string {
  return pair.nameA === pair.nameB ? pair.nameA : `${pair.nameA} (${pair.nameB})`;
}

/** Is `name` the folder `folder` or below it, with the store's separator? */
export function isWithin(name: string, folder: string, delimiter: string | null): boolean {
  return name === folder || (delimiter !== null && delimiter !== '' && name.startsWith(folder + delimiter));
}

/** Parents of a name below its store's prefix, outermost first ("INBOX.a.b.c" → "INBOX.a", "INBOX.a.b"). */
function ancestors(name: string, prefix: string, sep: string | null): string[] {
  if (sep === null || sep === '' || isInbox(name)) return [];
  const hasPrefix = prefix !== '' && name.startsWith(prefix);
  const rest = hasPrefix ? name.slice(prefix.length) : name;
  const segments = rest.split(sep);
  const out: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    out.push((hasPrefix ? prefix : '') + segments.slice(0, i).join(sep));
  }
  return out;
}

/**
 * Map A's selectable folders onto B's names. See translateFolderName for the
 * names; INBOX ↔ INBOX. An A folder with \Sent, \Drafts, \Trash, \Junk or
 * \Archive maps onto B's folder with the same special use even when the names
 * differ ("Sent Items" → "Sent"), unless that B folder is the plain name-target
 * of another A folder (then both keep their name translation) or an earlier A
 * folder with the same special use already claimed it. Two A folders never
 * map onto one B folder: the later one is unmapped (a failure the engine
 * reports), as is one whose name B cannot spell.
 * Non-selectable A folders are not pairs; the hierarchy they stand for comes
 * from the parents listed in toCreate. `remembered`: the pairs the state knows
 * (see keepRememberedLegacyNames).
 */
export function mapFolders(a: FolderSide, b: FolderSide, remembered: readonly FolderPairName[] = []): FolderMapping {
  const unmapped: UnmappedFolder[] = [];
  const bByKey = new Map<string, FolderInfo>();
  for (const folder of b.folders) if (!bByKey.has(canonicalInbox(folder.name))) bByKey.set(canonicalInbox(folder.name), folder);

  const candidates: Candidate[] = [];
  for (const folder of selectableOnce(a.folders)) {
    const spelling = { prefix: a.namespace.prefix, delimiter: folder.delimiter ?? a.namespace.delimiter };
    const reason = untranslatableReason(folder.name, spelling, b.namespace);
    if (reason !== undefined) {
      unmapped.push({ nameA: folder.name, reason: `no B folder of its own: ${reason}` });
    } else {
      const nameB = translateFolderName(folder.name, spelling, b.namespace);
      candidates.push({ folder, nameB, legacy: legacyFolderName(folder.name, spelling, b.namespace) });
    }
  }
  keepRememberedLegacyNames(candidates, remembered, bByKey);
  const targets = withSpecialUseTargets(candidates, b.folders);

  const pairs: FolderPairMapping[] = [];
  const takenBy = new Map<string, string>();
  candidates.forEach(({ folder }, i) => {
    const nameB = targets[i]!;
    const earlier = takenBy.get(canonicalInbox(nameB));
    if (earlier !== undefined) {
      const reason = `no B folder of its own: its B name "${nameB}" is already the B folder of A folder "${earlier}"`;
      unmapped.push({ nameA: folder.name, reason });
      return;
    }
    takenBy.set(canonicalInbox(nameB), folder.name);
    const bFolder = bByKey.get(canonicalInbox(nameB));
    const pair: FolderPairMapping = {
      nameA: folder.name,
      nameB: bFolder !== undefined && isInbox(nameB) ? bFolder.name : nameB,
      existsOnB: bFolder !== undefined && bFolder.selectable,
      subscribedOnA: folder.subscribed,
      subscribedOnB: bFolder?.subscribed ?? false,
      selectableOnA: true,
    };
    if (folder.specialUse !== undefined) pair.specialUse = folder.specialUse;
    pairs.push(pair);
  });
  return { pairs, toCreate: foldersToCreate(pairs, bByKey, b.namespace), unmapped };
}

interface Candidate {
  folder: FolderInfo;
  nameB: string;
  /** Its B name before the escape existed (see legacyFolderName). */
  legacy: string;
}

/**
 * A pair an earlier version made with the '_' rule keeps its B folder (no second
 * copy of the folder on B after an upgrade) while the state remembers the pair,
 * B still has the folder, and no A folder is really called so.
 */
function keepRememberedLegacyNames(
  candidates: Candidate[],
  remembered: readonly FolderPairName[],
  bByKey: Map<string, FolderInfo>,
): void {
  const pairs = new Set(remembered.map((k) => `${k.nameA}\u0000${k.nameB}`));
  const ownNames = new Set(candidates.map((c) => canonicalInbox(c.nameB)));
  for (const c of candidates) {
    if (c.legacy === c.nameB || ownNames.has(canonicalInbox(c.legacy))) continue;
    const onB = bByKey.get(canonicalInbox(c.legacy));
    if (onB?.selectable && pairs.has(`${c.folder.name}\u0000${c.legacy}`)) c.nameB = c.legacy;
  }
}

/**
 * Every B name an A folder stands for: its translation and the spelling older
 * versions gave it, for every folder A lists, selectable or not, mapped or not.
 * A B folder with one of these names is not "missing on A" (--delete-folders).
 */
export function namesOnBOfAFolders(a: FolderSide, b: NamespaceInfo): Set<string> {
  const names = new Set<string>();
  for (const folder of a.folders) {
    const spelling = { prefix: a.namespace.prefix, delimiter: folder.delimiter ?? a.namespace.delimiter };
    names.add(translateFolderName(folder.name, spelling, b));
    names.add(legacyFolderName(folder.name, spelling, b));
  }
  return names;
}

/** Selectable A folders, INBOX first, each name once. */
function selectableOnce(folders: FolderInfo[]): FolderInfo[] {
  const seen = new Set<string>();
  const out: FolderInfo[] = [];
  for (const folder of [...folders.filter((f) => isInbox(f.name)), ...folders.filter((f) => !isInbox(f.name))]) {
    if (!folder.selectable || seen.has(canonicalInbox(folder.name))) continue;
    seen.add(canonicalInbox(folder.name));
    out.push(folder);
  }
  return out;
}

/** Each candidate's B name once special-use folders found their counterpart (see mapFolders). */
function withSpecialUseTargets(candidates: Candidate[], foldersB: FolderInfo[]): string[] {
  const bBySpecialUse = new Map<SpecialUse, FolderInfo>();
  for (const folder of foldersB) {
    if (folder.specialUse && folder.selectable && !bBySpecialUse.has(folder.specialUse)) {
      bBySpecialUse.set(folder.specialUse, folder);
    }
  }
  const nameTargets = new Set(candidates.map((c) => canonicalInbox(c.nameB)));
  const claimedUses = new Set<SpecialUse>();
  return candidates.map(({ folder, nameB: own }) => {
    const use = folder.specialUse;
    if (use === undefined || !MATCHED_SPECIAL_USES.has(use) || isInbox(folder.name) || claimedUses.has(use)) return own;
    const bFolder = bBySpecialUse.get(use);
    if (bFolder === undefined) return own;
    claimedUses.add(use);
    if (canonicalInbox(bFolder.name) === canonicalInbox(own)) return own;
    // Another A folder is literally called what B's special-use folder is called: names win.
    if (nameTargets.has(canonicalInbox(bFolder.name))) return own;
    return bFolder.name;
  });
}

/** B folders the pairs need that B lacks: missing parents, then the folder itself. */
function foldersToCreate(pairs: FolderPairMapping[], bByKey: Map<string, FolderInfo>, b: NamespaceInfo): string[] {
  const listed = new Set(bByKey.keys());
  return [...new Set(pairs.flatMap((pair) => (pair.existsOnB ? [] : withMissingParents(pair.nameB, listed, b))))];
}

/**
 * A folder to create on a store, after its parents the store does not list
 * (`listed`: canonicalInbox names; a listed parent, even \Noselect, is a
 * hierarchy node already), outermost first.
 */
export function withMissingParents(name: string, listed: ReadonlySet<string>, namespace: NamespaceInfo): string[] {
  const parents = ancestors(name, namespace.prefix, namespace.delimiter).filter((p) => !listed.has(canonicalInbox(p)));
  return [...parents, name];
}
