// Bodies travel in batches bounded by count and bytes: few round trips,
// bounded memory. One rule for every body fetch (appends, digests).

import { boundedBatches } from '../store/batches.js';

/** At most this many messages per batch. */
export const BATCH_MAX_MESSAGES = 200;
/** At most this many bytes per batch (a bigger message goes alone). */
export const BATCH_MAX_BYTES = 8 * 1024 * 1024;
/**
 * At most this many body bytes in flight in a run, across all its connections
 * (see ByteBudget): two batches, so one connection can fetch its next batch
 * while storing this one, or two can copy at once.
 */
export const BODY_BYTES_IN_FLIGHT = 2 * BATCH_MAX_BYTES;

/** Consecutive batches of `items`, in order, within the body batch limits; `sizeOf` gives an item's bytes (0 when unknown). */
export function inBatches<T>(items: readonly T[], sizeOf: (item: T) => number): T[][] {
  return boundedBatches(items, sizeOf, { maxItems: BATCH_MAX_MESSAGES, maxBytes: BATCH_MAX_BYTES });
}
