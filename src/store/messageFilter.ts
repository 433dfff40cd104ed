// Which messages a run copies now and which it holds back (issue 9 §2): by
// size (RFC822.SIZE, the CRLF form's bytes) and by INTERNALDATE's day, the way
// IMAP SEARCH compares them (LARGER/SMALLER are strict; SINCE/BEFORE compare
// the date alone, disregarding time and zone). Both drivers answer it (IMAP
// with one UID SEARCH, the memory store with heldBackBy), so the sync layer
// never filters on envelopes.

/** Bounds a message must keep to be copied now. Absent: no bound. */
export interface MessageFilter {
  /** Bytes: larger messages are held back. */
  maxSize?: number;
  /** Bytes: smaller messages are held back. */
  minSize?: number;
  /** A day (YYYY-MM-DD): messages received before it are held back. */
  since?: string;
  /** A day (YYYY-MM-DD): messages received on it or later are held back. */
  before?: string;
}

/** Does the filter hold anything back at all? */
export function isActiveFilter(filter: MessageFilter | undefined): filter is MessageFilter {
  return filter !== undefined && (filter.maxSize !== undefined || filter.minSize !== undefined || filter.since !== undefined || filter.before !== undefined);
}

/** The message with this size and INTERNALDATE is held back (IMAP SEARCH's rules; days in UTC). */
export function heldBackBy(filter: MessageFilter, size: number, internalDate: Date): boolean {
  if (filter.maxSize !== undefined && size > filter.maxSize) return true;
  if (filter.minSize !== undefined && size < filter.minSize) return true;
  const day = internalDate.toISOString().slice(0, 10);
  if (filter.since !== undefined && day < filter.since) return true;
  return filter.before !== undefined && day >= filter.before;
}

/**
 * One line that names the filter (empty: none), e.g. "max-size=1048576
 * since=2026-09-01": the state records it, and a folder whose deferred
 * messages were held back by another filter is read again.
 */
export function filterKey(filter: MessageFilter | undefined): string {
  if (!isActiveFilter(filter)) return '';
  const parts: string[] = [];
  if (filter.maxSize !== undefined) parts.push(`max-size=${filter.maxSize}`);
  if (filter.minSize !== undefined) parts.push(`min-size=${filter.minSize}`);
  if (filter.since !== undefined) parts.push(`since=${filter.since}`);
  if (filter.before !== undefined) parts.push(`before=${filter.before}`);
  return parts.join(' ');
}
