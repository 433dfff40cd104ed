// readFolder over a MemoryFolder, with the answers the IMAP driver gives on a
// CONDSTORE server (or a plain one, when the MemoryServer has no
// mod-sequences): the same kinds, vanished UIDs and envelopes (identity checks
// included, see readRules.ts), so the conformance suite can hold both
// drivers to one contract.

import { identityCheckUids } from '../readRules.js';
import type { FolderRead, FolderStatus, MessageEnvelope, ReadFolderOptions } from '../types.js';
import { identityHeaderLines } from './headerFields.js';
import type { MemoryFolder, MemoryMessage, MemoryServer } from './MemoryServer.js';

export function envelopeOf(message: MemoryMessage): MessageEnvelope {
  return {
    uid: message.uid,
    flags: [...message.flags],
    size: message.body.length,
    internalDate: new Date(message.internalDate),
    identityHeaders: identityHeaderLines(message.body),
  };
}

export function statusOf(folder: MemoryFolder, condstore: boolean): FolderStatus {
  const status: FolderStatus = { uidValidity: folder.uidValidity, uidNext: folder.uidNext, messages: folder.messages.size };
  if (condstore) status.highestModseq = folder.highestModseq;
  return status;
}

/** The status a listing gives (LIST-STATUS): SELECT's, with the folder's size where the server has STATUS=SIZE. */
export function listedStatusOf(folder: MemoryFolder, server: MemoryServer): FolderStatus {
  const status = statusOf(folder, server.condstore);
  if (server.statusSize) status.size = folderBytes(folder);
  if (server.mailboxIds) status.mailboxId = folder.mailboxId;
  return status;
}

/** The sum of the folder's message sizes (CRLF form, as everywhere). */
export function folderBytes(folder: MemoryFolder): number {
  let size = 0;
  for (const m of folder.messages.values()) size += m.body.length;
  return size;
}

/**
 * What the read lists (`changed`: the rows of its flag listing, less those the
 * server leaves out), which envelopes it fetches, which UIDs had to get one
 * (`wanted`), and the known UIDs a full listing left out (`unread`).
 */
function selectChanges(server: MemoryServer, folder: MemoryFolder, options: ReadFolderOptions, vanished: number[], omitted: (uid: number) => boolean) {
  const { base, verify } = options;
  const present = [...folder.messages.values()];
  const listed = present.filter((m) => !omitted(m.uid));
  const all = present.map((m) => m.uid);
  if (base === null || base.uidValidity !== folder.uidValidity) {
    return { kind: 'full' as const, changed: listed, fetched: all, wanted: all, unread: [] };
  }
  const known = new Set(base.knownUids);
  const unknown = all.filter((uid) => !known.has(uid));
  if (server.condstore && base.highestModseq !== undefined) {
    const since = base.highestModseq;
    const changed = listed.filter((m) => m.modseq > since);
    const changedKnown = changed.map((m) => m.uid).filter((uid) => known.has(uid));
    const fetched = options.flagsOnly === true ? [] : verify ? all : identityCheckUids(unknown, changedKnown, base.knownUids, vanished);
    return { kind: 'delta' as const, changed, fetched, wanted: unknown, unread: [] };
  }
  // A full scan lists every message as changed: its known ones are not worth an envelope each,
  // but the known ones it left out are asked for once more (an envelope carries their flags).
  const unread = all.filter((uid) => known.has(uid) && omitted(uid));
  const fetched = verify ? all : identityCheckUids(unknown, unread, base.knownUids, vanished);
  return { kind: 'full' as const, changed: listed, fetched, wanted: unknown, unread };
}

/** `omitted`: UIDs the server leaves out of every FETCH (a fault a test injected). */
export function readMemoryFolder(server: MemoryServer, folder: MemoryFolder, options: ReadFolderOptions, omitted: (uid: number) => boolean): FolderRead {
  const { base } = options;
  const vanished = base ? base.knownUids.filter((uid) => !folder.messages.has(uid)) : [];
  const { kind, changed, fetched, wanted, unread } = selectChanges(server, folder, options, vanished, omitted);
  const envelopes = fetched.filter((uid) => !omitted(uid)).map((uid) => envelopeOf(folder.messages.get(uid)!));
  const identified = new Set(envelopes.map((e) => e.uid));
  const known = new Set(base?.uidValidity === folder.uidValidity ? base.knownUids : []);
  const messages = new Map(changed.map((m) => [m.uid, { uid: m.uid, flags: [...m.flags] }]));
  for (const { uid, flags } of envelopes) if (!known.has(uid)) messages.set(uid, { uid, flags: [...flags] });
  return {
    status: statusOf(folder, server.condstore),
    uidValidityChanged: base !== null && base.uidValidity !== folder.uidValidity,
    // As Dovecot answers EXAMINE: "[PERMANENTFLAGS ()] Read-only mailbox."
    permanentFlags: options.readOnly
      ? { flags: [], allowsNewKeywords: false }
      : { flags: server.permanentFlags(folder.name), allowsNewKeywords: server.allowsNewKeywords },
    readOnly: options.readOnly,
    kind,
    messages: [...messages.values()].sort((x, y) => x.uid - y.uid),
    vanished,
    envelopes,
    unidentified: wanted.filter((uid) => !identified.has(uid)),
    unread: unread.filter((uid) => !identified.has(uid)),
  };
}
