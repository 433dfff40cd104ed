// Bodies travel in batches bounded by count and bytes: few round trips,
// bounded memory. One rule for every body fetch (appends, digests).

/** At most this many messages per batch. */
export const BATCH_MAX_MESSAGES = 200;
/** At most this many bytes per batch (a bigger message goes alone). */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;

/** Consecutive batches of `items`, in order; `sizeOf` gives an item's bytes (0 when unknown). */
export function inBatches<T>(items: readonly T[], sizeOf: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= BATCH_MAX_MESSAGES || bytes + size > BATCH_MAX_BYTES)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
