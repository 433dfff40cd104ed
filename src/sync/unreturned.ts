// What a side did not return when asked (its own module so that the executor
// and the stand-ins' executor, which it calls, share it without a cycle).

/**
 * A message a side did not return (expunged since it was read, or a server that
 * failed to answer): an append's body or envelope, the envelope of a message
 * new on either side, which then cannot be identified, the envelope of a
 * stand-in's original, or the flags of a known message (its record was left as it was).
 */
export interface Unreturned {
  uid: number;
  missing: 'body' | 'envelope' | 'flags';
  /** What the server sent instead, when it sent something unusable. */
  why?: string | undefined;
}
