// Which folder of A goes to which folder of B: translate the hierarchy
// (namespace prefix and separator), keep INBOX as INBOX, and let special-use
// folders (\Sent, \Trash, …) find their counterpart even when the names differ.
// Pure: the engine lists both sides and hands the lists over.

import type { FolderInfo, NamespaceInfo, SpecialUse } from '../store/types.js';

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
  warnings: string[];
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

/** INBOX is case-insensitive (RFC 3501); every other name is compared exactly. */
function isInbox(name: string): boolean {
  return name.toUpperCase() === 'INBOX';
}

function nameKey(name: string): string {
  return isInbox(name) ? 'INBOX' : name;
}

interface Translation {
  name: string;
  /** A segment contained the target separator, replaced by '_'. */
  replacedSeparator: boolean;
}

function translate(
  name: string,
  fromPrefix: string,
  fromSep: string | null,
  toPrefix: string,
  toSep: string | null,
): Translation {
  if (isInbox(name)) return { name: 'INBOX', replacedSeparator: false };
  const rest = fromPrefix !== '' && name.startsWith(fromPrefix) && name.length > fromPrefix.length
    ? name.slice(fromPrefix.length)
    : name;
  const segments = fromSep === null || fromSep === '' ? [rest] : rest.split(fromSep);
  let replacedSeparator = false;
  const translated = segments.map((segment) => {
    if (toSep === null || toSep === '' || !segment.includes(toSep)) return segment;
    replacedSeparator = true;
    return segment.split(toSep).join('_');
  });
  // A flat B cannot express hierarchy: A's separator just stays part of the name.
  const joiner = toSep ?? fromSep ?? '';
  return { name: toPrefix + translated.join(joiner), replacedSeparator };
}

/**
 * A folder name of one side as the other side spells it: INBOX stays INBOX;
 * otherwise strip the source's personal namespace prefix (when the name has
 * it), split at the source separator, join with the target separator, and add
 * the target prefix. A segment containing the target separator gets '_' in its
 * place, so it does not create an unintended level of hierarchy.
 * E.g. "INBOX.Archive.2019" (prefix "INBOX.", '.') → "Archive/2019" (prefix "", '/').
 */
export function translateFolderName(
  name: string,
  fromNs: string,
  fromSep: string | null,
  toNs: string,
  toSep: string | null,
): string {
  return translate(name, fromNs, fromSep, toNs, toSep).name;
}

/** Parents of a B name below B's prefix, outermost first ("INBOX.a.b.c" → "INBOX.a", "INBOX.a.b"). */
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
 * map onto one B folder: the later one is skipped with a warning.
 * Non-selectable A folders are not pairs; the hierarchy they stand for comes
 * from the parents listed in toCreate.
 */
export function mapFolders(a: FolderSide, b: FolderSide): FolderMapping {
  const warnings: string[] = [];
  const bSep = b.namespace.delimiter;
  const bByKey = new Map<string, FolderInfo>();
  for (const folder of b.folders) if (!bByKey.has(nameKey(folder.name))) bByKey.set(nameKey(folder.name), folder);
  const bBySpecialUse = new Map<SpecialUse, FolderInfo>();
  for (const folder of b.folders) {
    if (folder.specialUse && folder.selectable && !bBySpecialUse.has(folder.specialUse)) {
      bBySpecialUse.set(folder.specialUse, folder);
    }
  }

  // Candidates: selectable A folders, INBOX first, each name once.
  const seenA = new Set<string>();
  const candidates: FolderInfo[] = [];
  for (const folder of [...a.folders.filter((f) => isInbox(f.name)), ...a.folders.filter((f) => !isInbox(f.name))]) {
    if (!folder.selectable || seenA.has(nameKey(folder.name))) continue;
    seenA.add(nameKey(folder.name));
    candidates.push(folder);
  }

  const nameTargets = candidates.map((folder) => {
    const t = translate(folder.name, a.namespace.prefix, folder.delimiter ?? a.namespace.delimiter, b.namespace.prefix, bSep);
    if (t.replacedSeparator) {
      warnings.push(`A folder "${folder.name}" has B's separator '${bSep}' in a name part; it becomes "${t.name}" on B`);
    }
    return t.name;
  });
  const nameTargetCount = new Map<string, number>();
  for (const target of nameTargets) nameTargetCount.set(nameKey(target), (nameTargetCount.get(nameKey(target)) ?? 0) + 1);

  const claimedUses = new Set<SpecialUse>();
  const targets = candidates.map((folder, i) => {
    const own = nameTargets[i]!;
    const use = folder.specialUse;
    if (use === undefined || !MATCHED_SPECIAL_USES.has(use) || isInbox(folder.name) || claimedUses.has(use)) return own;
    const bFolder = bBySpecialUse.get(use);
    if (bFolder === undefined) return own;
    claimedUses.add(use);
    if (nameKey(bFolder.name) === nameKey(own)) return own;
    // Another A folder is literally called what B's special-use folder is called: names win.
    if ((nameTargetCount.get(nameKey(bFolder.name)) ?? 0) > 0) return own;
    return bFolder.name;
  });

  const pairs: FolderPairMapping[] = [];
  const takenBy = new Map<string, string>();
  candidates.forEach((folder, i) => {
    const nameB = targets[i]!;
    const earlier = takenBy.get(nameKey(nameB));
    if (earlier !== undefined) {
      warnings.push(`A folders "${earlier}" and "${folder.name}" would both go to B folder "${nameB}"; skipping "${folder.name}"`);
      return;
    }
    takenBy.set(nameKey(nameB), folder.name);
    const bFolder = bByKey.get(nameKey(nameB));
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

  const toCreate: string[] = [];
  const creating = new Set<string>();
  const add = (name: string): void => {
    if (creating.has(name)) return;
    creating.add(name);
    toCreate.push(name);
  };
  for (const pair of pairs) {
    if (pair.existsOnB) continue;
    for (const parent of ancestors(pair.nameB, b.namespace.prefix, bSep)) {
      // A listed parent (even \Noselect) is a hierarchy node already.
      if (!bByKey.has(nameKey(parent))) add(parent);
    }
    add(pair.nameB);
  }
  return { pairs, toCreate, warnings };
}
