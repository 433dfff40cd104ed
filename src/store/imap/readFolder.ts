// Opening a folder and reading what changed since the caller's base, in the
// fewest commands the server allows:
//   QRESYNC  : SELECT (QRESYNC ...)                        + UID FETCH of new envelopes
//   CONDSTORE: SELECT + UID FETCH (CHANGEDSINCE) + UID SEARCH ALL + UID FETCH of new envelopes
//   neither  : SELECT + UID FETCH 1:* (UID FLAGS)                 + UID FETCH of new envelopes
//   no base / new UIDVALIDITY: SELECT + one UID FETCH 1:* with every envelope.
// A FETCH 1:* answered with fewer rows than EXISTS costs one UID SEARCH ALL more:
// the messages it left out are still there (`unread`, `unidentified`), not vanished.
// An empty folder is never fetched from.

import { identityCheckUids } from '../readRules.js';
import type { FolderRead, FolderStatus, MessageEnvelope, PermanentFlags, ReadFolderOptions } from '../types.js';
import type { ImapCapabilities } from './capabilities.js';
import { ENVELOPE_ITEMS, type FetchRow, envelopesOf, toMessageState, uidFetch } from './fetchMessages.js';
import { reportedFlags } from '../names.js';
import { searchAllUids } from './searchUids.js';
import type { ImapSession } from './session.js';
import { selectFolder, type SelectResult } from './selectFolder.js';
import { splitUidSets } from './uidSet.js';

function folderStatus(selected: SelectResult, capabilities: ImapCapabilities): FolderStatus {
  const status: FolderStatus = { uidValidity: selected.uidValidity, uidNext: selected.uidNext, messages: selected.exists };
  if (capabilities.condstore && selected.highestModseq !== undefined) status.highestModseq = selected.highestModseq;
  return status;
}

function permanentFlags(selected: SelectResult): PermanentFlags {
  // No PERMANENTFLAGS at all means every flag can be stored permanently (RFC 3501 7.1).
  if (selected.permanentFlags === undefined) return { flags: reportedFlags(selected.flags), allowsNewKeywords: true };
  return {
    flags: reportedFlags(selected.permanentFlags.filter((flag) => flag !== '\\*')),
    allowsNewKeywords: selected.permanentFlags.includes('\\*'),
  };
}

/** A read of nothing yet: the folder's status and flags, no message. */
function nothingReadYet(selected: SelectResult, capabilities: ImapCapabilities, uidValidityChanged: boolean): FolderRead {
  return {
    status: folderStatus(selected, capabilities),
    uidValidityChanged,
    permanentFlags: permanentFlags(selected),
    readOnly: selected.readOnly,
    kind: 'full',
    messages: [],
    vanished: [],
    envelopes: [],
    unidentified: [],
    unread: [],
  };
}

/** Envelopes, and why the rows that gave none did not (an item missing or garbled), by UID. */
type EnvelopeRows = ReturnType<typeof envelopesOf>;

/**
 * Sets `unidentified`: the `wanted` UIDs without an envelope, and the new ones
 * whose row gave none (with why, in `incompleteRows`). A known UID whose row
 * gave none is not among them: it just goes without an identity check.
 */
function markUnidentified(read: FolderRead, wanted: readonly number[], identified: Set<number>, incomplete: EnvelopeRows['incomplete'], known: Set<number>): void {
  const unknownIncomplete = [...incomplete.keys()].filter((uid) => !known.has(uid));
  read.unidentified = [...new Set([...wanted, ...unknownIncomplete])].filter((uid) => !identified.has(uid)).sort((a, b) => a - b);
  for (const uid of unknownIncomplete) (read.incompleteRows ??= new Map()).set(uid, incomplete.get(uid)!);
}

/** Envelopes of these UIDs: one UID FETCH (split only for a set too long for one command line). */
async function fetchEnvelopeRows(session: ImapSession, folder: string, uids: Iterable<number>): Promise<EnvelopeRows> {
  const rows: FetchRow[] = [];
  for (const set of splitUidSets(uids)) rows.push(...(await uidFetch(session, folder, set, ENVELOPE_ITEMS)).values());
  return envelopesOf(rows);
}

/** Envelopes of these UIDs, ascending; a UID whose row gave none (or no row) is left out. */
export async function fetchEnvelopes(session: ImapSession, folder: string, uids: Iterable<number>): Promise<MessageEnvelope[]> {
  return (await fetchEnvelopeRows(session, folder, uids)).envelopes.sort((a, b) => a.uid - b.uid);
}

async function fetchAll(session: ImapSession, folder: string, selected: SelectResult, items: typeof ENVELOPE_ITEMS): Promise<FetchRow[]> {
  if (selected.exists === 0) return [];
  return [...(await uidFetch(session, folder, '1:*', items, { uidNext: selected.uidNext })).values()];
}

export async function readFolder(
  session: ImapSession,
  capabilities: ImapCapabilities,
  name: string,
  options: ReadFolderOptions,
): Promise<FolderRead> {
  const { base, verify, readOnly } = options;
  const qresyncBase =
    capabilities.qresync && base?.highestModseq !== undefined ? { uidValidity: base.uidValidity, highestModseq: base.highestModseq } : undefined;
  const selected = await selectFolder(session, name, readOnly, qresyncBase);
  const known = new Set(base?.knownUids ?? []);
  const uidValidityChanged = base !== null && base.uidValidity !== selected.uidValidity;
  const read = nothingReadYet(selected, capabilities, uidValidityChanged);
  /** `wanted`: the UIDs that had to get an envelope; those without one, and new ones whose row gave none, are unidentified. */
  const finish = (changed: FetchRow[], { envelopes, incomplete }: EnvelopeRows, wanted: readonly number[] = []): FolderRead => {
    const messages = new Map(changed.map((row) => [row.uid, toMessageState(session, name, row)]));
    // An envelope is a newer look at the message than a changed-flags row.
    for (const { uid, flags } of envelopes) if (!known.has(uid) || messages.has(uid)) messages.set(uid, { uid, flags });
    read.messages = [...messages.values()].sort((a, b) => a.uid - b.uid);
    read.envelopes = envelopes.sort((a, b) => a.uid - b.uid);
    const identified = new Set(envelopes.map((e) => e.uid));
    markUnidentified(read, wanted, identified, incomplete, known);
    read.unread = read.unread.filter((uid) => !identified.has(uid));
    return read;
  };

  if (options.flagsOnly === true && uidValidityChanged) return read;
  // No base, or a new UIDVALIDITY (every UID the base knew is void): read everything, envelopes included, at once.
  if (base === null || uidValidityChanged) {
    const { rows, left, present } = await listAll(session, name, selected, ENVELOPE_ITEMS);
    // As the contract has it for 'full': known minus present. After a UIDVALIDITY change the
    // two are numbered differently, so this never names a present message; uidValidityChanged
    // is what tells the caller that every known UID is void.
    read.vanished = base ? base.knownUids.filter((uid) => !present.has(uid)) : [];
    return finish(rows, envelopesOf(rows), left);
  }

  let changed: FetchRow[];
  /** Present UIDs the base does not know; undefined: "the unknown ones among `changed`". */
  let unknownPresent: number[] | undefined;
  if (selected.qresync) {
    read.kind = 'delta';
    const vanished = new Set(selected.qresync.vanished.filter((uid) => known.has(uid)));
    changed = [...selected.qresync.changed.values()].filter((row) => !vanished.has(row.uid));
    read.vanished = [...vanished].sort((a, b) => a - b);
  } else if (capabilities.condstore && base.highestModseq !== undefined && selected.highestModseq !== undefined) {
    read.kind = 'delta';
    changed =
      selected.exists === 0 ? [] : [...(await uidFetch(session, name, '1:*', ['FLAGS'], { changedSince: base.highestModseq, uidNext: selected.uidNext })).values()];
    // UID SEARCH ALL rather than "UID SEARCH UID <known set>": as short a command, and it
    // also names present messages the base never recorded.
    const present = selected.exists === 0 ? new Set<number>() : await searchAllUids(session, name);
    read.vanished = base.knownUids.filter((uid) => !present.has(uid));
    unknownPresent = [...present].filter((uid) => !known.has(uid));
  } else {
    // Full scan (with the envelopes right away when all of them are wanted).
    const { rows, left, present } = await listAll(session, name, selected, verify ? ENVELOPE_ITEMS : ['FLAGS']);
    read.vanished = base.knownUids.filter((uid) => !present.has(uid));
    // A known message the server left out is still there: its flags are unknown, it did not vanish.
    read.unread = left.filter((uid) => known.has(uid));
    unknownPresent = [...present].filter((uid) => !known.has(uid));
    if (verify) return finish(rows, envelopesOf(rows), left.filter((uid) => !known.has(uid)));
    changed = rows;
  }

  const unknown = unknownPresent ?? changed.map((row) => row.uid).filter((uid) => !known.has(uid));
  if (options.flagsOnly === true) return finish(changed, { envelopes: [], incomplete: new Map() }, unknown);
  if (verify) {
    // Every present message, which in a delta is more than the changed rows.
    const rows = await fetchAll(session, name, selected, ENVELOPE_ITEMS);
    return finish(changed, envelopesOf(rows), unknown);
  }
  // A full scan lists every message as "changed": its known ones are not worth an envelope each.
  // Known ones it left out are asked for once more: an envelope carries their flags.
  const changedKnown = read.kind === 'delta' ? changed.map((row) => row.uid).filter((uid) => known.has(uid)) : read.unread;
  const wanted = identityCheckUids(unknown, changedKnown, base.knownUids, read.vanished);
  return finish(changed, wanted.length > 0 ? await fetchEnvelopeRows(session, name, wanted) : { envelopes: [], incomplete: new Map() }, unknown);
}

/**
 * Every message's row (`1:*`); `left`: the UIDs the server left out although it
 * holds them (ascending); `present`: both. Only a listing with fewer rows than
 * SELECT's EXISTS can have left any out: only then does it cost one UID SEARCH
 * ALL (a message expunged meanwhile is in neither).
 */
async function listAll(
  session: ImapSession,
  folder: string,
  selected: SelectResult,
  items: typeof ENVELOPE_ITEMS,
): Promise<{ rows: FetchRow[]; left: number[]; present: Set<number> }> {
  const rows = await fetchAll(session, folder, selected, items);
  const present = new Set(rows.map((row) => row.uid));
  // Rows of messages appended since the SELECT do not count towards its EXISTS.
  let listedBefore = 0;
  for (const uid of present) if (uid < selected.uidNext) listedBefore++;
  if (listedBefore >= selected.exists) return { rows, left: [], present };
  const left = [...(await searchAllUids(session, folder))].filter((uid) => !present.has(uid)).sort((x, y) => x - y);
  for (const uid of left) present.add(uid);
  return { rows, left, present };
}
