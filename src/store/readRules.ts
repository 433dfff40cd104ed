// What every driver reads the same way: the identity headers of an envelope
// (one message gets one global id whichever store it is read from), which
// envelopes a read fetches (every driver checks the same known UIDs, see
// FolderRead), how far a body may exceed the size it was asked with, how
// much of a header fetchHeaders reads, and
// how a body FETCH that costs the connection is refused.

/**
 * The header fields an envelope reads, as BODY.PEEK[HEADER.FIELDS (...)] names
 * them: those the global id is made of, and the field that marks replimap's
 * stand-ins (--placeholders; identityOf standInOf), which costs nothing on a
 * message without it (a server returns only the fields present).
 */
export const IDENTITY_HEADER_NAMES = ['MESSAGE-ID', 'DATE', 'FROM', 'SUBJECT', 'X-REPLIMAP-PLACEHOLDER'];

/** Header block as the server sent it, minus the blank line that ends it; '' when none of the fields exist. */
export function identityHeaders(headers: Buffer | undefined): string {
  if (!headers) return '';
  const value = headers.toString('utf8').replace(/(?:\r?\n)+$/, '');
  return value === '' ? '' : `${value}\r\n`;
}

/**
 * The longest header fetchHeaders returns (64 KiB): a stand-in copies the
 * original's header, and a header past this (a spam run of Received lines) is
 * not worth reading whole; the driver reads one byte more, to tell.
 */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * The UIDs whose envelopes a read without `verify` fetches: the unknown ones,
 * plus, so the caller can tell a server restored from a backup (which gives
 * the UIDs it lost to new messages), the known ones reported changed and the
 * highest known UID still there. Those ride in the same FETCH: nothing extra
 * when nothing is fetched anyway (the highest known UID is then left out).
 */
export function identityCheckUids(unknown: number[], changedKnown: number[], knownUids: number[], vanished: number[]): number[] {
  if (unknown.length === 0 && changedKnown.length === 0) return [];
  const gone = new Set(vanished);
  let newest: number | undefined;
  for (let i = knownUids.length - 1; i >= 0 && newest === undefined; i--) if (!gone.has(knownUids[i]!)) newest = knownUids[i];
  return [...new Set([...unknown, ...changedKnown, ...(newest === undefined ? [] : [newest])])].sort((x, y) => x - y);
}

/** What a small message's body may exceed its announced size by (servers' sizes can be a little off). */
const BODY_SIZE_SLACK = 64 * 1024;

/** The most bytes accepted for a body announced as `size` bytes: twice that, and at least 64 KiB more. */
export function maxBodyBytes(size: number): number {
  return Math.max(2 * size, size + BODY_SIZE_SLACK);
}

/**
 * Connections one fetchBodies call may lose and replace: a body FETCH that
 * loses the connection is read again one message at a time, and a message
 * whose own FETCH still loses it is refused alone (Dovecot closes the
 * connection on a message file shorter than its recorded size). A server that
 * drops more than this in one call is down, not one message: the loss is thrown.
 */
export const MAX_LOST_CONNECTIONS_PER_FETCH = 5;

/** The refusal of a message whose body FETCH, asked alone, lost the connection. */
export function lostConnectionRefusal(lost: Error): string {
  return `the server closed the connection when asked for this message's body (${lost.message}); not copied, tried again next run`;
}
