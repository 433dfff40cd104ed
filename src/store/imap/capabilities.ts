// What the logged-in server can do, as the engine needs to know it.

import type { NamespaceInfo } from '../types.js';
import type { ImapSession } from './session.js';

/** The capabilities that change what the driver sends beyond one command (others are checked where used: session.has). */
export interface ImapCapabilities {
  /** Mod-sequences: flag changes can be read incrementally (RFC 7162). */
  condstore: boolean;
  /** SELECT can return changes and vanished UIDs since a mod-sequence (RFC 7162). */
  qresync: boolean;
  /** UID MOVE (RFC 6851): features.move. */
  move: boolean;
  /** UIDPLUS (RFC 4315): COPYUID names where copies landed (features.copyUid). */
  uidplus: boolean;
  /** OBJECTID (RFC 8474): a folder's MAILBOXID survives its RENAME (features.mailboxIds). */
  objectId: boolean;
}

/** Read after login: imapflow refreshes CAPABILITY after LOGIN and ENABLEs CONDSTORE and QRESYNC when offered. */
export function readCapabilities(session: ImapSession): ImapCapabilities {
  const enabled = session.client.enabled;
  return {
    // CONDSTORE's CHANGEDSINCE works without ENABLE; QRESYNC's SELECT parameter needs it.
    condstore: enabled.has('CONDSTORE') || session.has('CONDSTORE') || session.has('QRESYNC'),
    qresync: enabled.has('QRESYNC'),
    move: session.has('MOVE'),
    uidplus: session.has('UIDPLUS'),
    objectId: session.has('OBJECTID'),
  };
}

/** The personal namespace imapflow read with NAMESPACE at login (prefix "" and "." when the server has none). */
export function readNamespace(session: ImapSession): NamespaceInfo {
  const ns = session.client.namespace;
  return { prefix: ns?.prefix ?? '', delimiter: ns?.delimiter ?? null };
}
