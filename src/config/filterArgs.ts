// The message filter's command-line values (--max-size, --min-size, --since,
// --before): sizes with a binary unit, days absolute or relative to today.
// Pure; the CLI turns a thrown Error into a usage error.

import type { MessageFilter } from '../store/messageFilter.js';

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "10M", "500k", "2G", "1234" (bytes): k, M, G are 1024, 1024², 1024³, either case. */
export function parseSize(text: string): number {
  const m = /^(\d+)([kmg]?)$/i.exec(text.trim());
  const bytes = m === null ? NaN : Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(bytes)) throw new Error(`expected a size such as 10M, 500k or 2048 (bytes), not ${JSON.stringify(text)}`);
  return bytes;
}

/**
 * "2026-09-01", or "90d" / "12w": that many days or weeks before `now`'s day
 * (UTC). A day, as IMAP SEARCH compares INTERNALDATE (time and zone disregarded).
 */
export function parseDay(text: string, now: Date): string {
  const trimmed = text.trim();
  const relative = /^(\d{1,5})([dw])$/i.exec(trimmed);
  if (relative !== null) {
    const days = Number(relative[1]) * (relative[2]!.toLowerCase() === 'w' ? 7 : 1);
    return new Date(now.getTime() - days * 86_400_000).toISOString().slice(0, 10);
  }
  const absolute = /^(\d{4})-(\d{2})-(\d{2})$/.exec(trimmed);
  if (absolute !== null) {
    const date = new Date(`${trimmed}T00:00:00Z`);
    // Date rolls 2026-02-30 over into March: only a day that exists reads back the same.
    if (!Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === trimmed) return trimmed;
  }
  throw new Error(`expected a day (YYYY-MM-DD) or a number of days or weeks ago (90d, 12w), not ${JSON.stringify(text)}`);
}

/** Bounds that let nothing through are a mistake, not a filter. */
export function checkFilter(filter: MessageFilter): void {
  if (filter.maxSize !== undefined && filter.minSize !== undefined && filter.minSize > filter.maxSize) {
    throw new Error(`--min-size (${filter.minSize} bytes) is above --max-size (${filter.maxSize} bytes): nothing would be copied`);
  }
  if (filter.since !== undefined && filter.before !== undefined && filter.since >= filter.before) {
    throw new Error(`--since ${filter.since} is not before --before ${filter.before}: nothing would be copied`);
  }
}
