// Consecutive batches bounded by count and bytes, for every layer that sends
// or fetches many messages at once (the sync layer's body batches, the IMAP
// driver's MULTIAPPEND commands): one rule, each caller its own limits.

export interface BatchLimits {
  /** At most this many items per batch; unbounded when absent. */
  maxItems?: number;
  /** At most this many bytes per batch, unless one item alone is bigger (it then goes alone). */
  maxBytes: number;
}

/** Consecutive batches of `items`, in order; `sizeOf` gives an item's bytes (0 when unknown). */
export function boundedBatches<T>(items: Iterable<T>, sizeOf: (item: T) => number, limits: BatchLimits): T[][] {
  const maxItems = limits.maxItems ?? Infinity;
  const batches: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = sizeOf(item);
    if (current.length > 0 && (current.length >= maxItems || bytes + size > limits.maxBytes)) {
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
