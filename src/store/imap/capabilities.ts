// What the logged-in server can do, as the engine needs to know it.

import type { NamespaceInfo, StoreCapabilities } from '../types.js';
import type { ImapSession } from './session.js';

/** Read after login: imapflow refreshes CAPABILITY after LOGIN and ENABLEs CONDSTORE, QRESYNC and UTF8=ACCEPT when offered. */
export function readCapabilities(session: ImapSession): StoreCapabilities {
  const enabled = session.client.enabled;
  return {
    listStatus: session.has('LIST-STATUS'),
    // CONDSTORE's CHANGEDSINCE works without ENABLE; QRESYNC's SELECT parameter needs it.
    condstore: enabled.has('CONDSTORE') || session.has('CONDSTORE') || session.has('QRESYNC'),
    qresync: enabled.has('QRESYNC'),
    uidplus: session.has('UIDPLUS'),
    multiappend: session.has('MULTIAPPEND'),
    literalPlus: session.has('LITERAL+'),
    move: session.has('MOVE'),
    specialUse: session.has('SPECIAL-USE'),
    objectId: session.has('OBJECTID'),
    utf8Accept: enabled.has('UTF8=ACCEPT'),
  };
}

/** The personal namespace imapflow read with NAMESPACE at login (prefix "" and "." when the server has none). */
export function readNamespace(session: ImapSession): NamespaceInfo {
  const ns = session.client.namespace;
  return { prefix: ns?.prefix ?? '', delimiter: ns?.delimiter ?? null };
}
