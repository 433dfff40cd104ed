// What an envelope carries and which envelopes a read fetches: the same for
// every driver, so that one message gets one global id whichever store it is
// read from, and every driver checks the same known UIDs (see FolderRead).

/** The header fields the global id is made of, as BODY.PEEK[HEADER.FIELDS (...)] names them. */
export const IDENTITY_HEADER_NAMES = ['MESSAGE-ID', 'DATE', 'FROM', 'SUBJECT'];

/** Header block as the server sent it, minus the blank line that ends it; '' when none of the fields exist. */
export function identityHeaders(headers: Buffer | undefined): string {
  if (!headers) return '';
  const value = headers.toString('utf8').replace(/(?:\r?\n)+$/, '');
  return value === '' ? '' : `${value}\r\n`;
}

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
