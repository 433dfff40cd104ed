// How to reach a store, as the configuration layer resolves it from a URL,
// options and credentials. Drivers take one of these; nothing else does I/O on it.

import type { TokenBucket } from './tokenBucket.js';

/**
 * How long a server may stay silent before its connection counts as dead
 * (--timeout): while connecting, before its greeting, and while a command
 * waits for its answer. A healthy server answers within seconds or reports
 * progress (Dovecot's "* OK Searched 40% ..." during a long SEARCH), so 60 s
 * is far from a false alarm, yet a stalled link costs a minute, not hours.
 */
export const DEFAULT_TIMEOUT_MS = 60_000;

export interface ImapStoreSpec {
  kind: 'imap';
  host: string;
  port: number;
  /**
   * 'tls': implicit TLS (imaps://). 'starttls': STARTTLS required (imap://).
   * 'starttls-optional': imap:// with --insecure: STARTTLS when offered, else plaintext.
   */
  security: 'tls' | 'starttls' | 'starttls-optional';
  user: string;
  password: string;
  /** Extra trusted CA certificates (PEM text), from --tls-ca. */
  tlsCa?: string;
  /** --insecure: accept unverified certificates (and plaintext, see security). */
  insecure: boolean;
  /** The URL without any password, for messages and the state file. */
  displayUrl: string;
  /** --timeout in milliseconds; DEFAULT_TIMEOUT_MS when absent. */
  timeoutMs?: number;
  /**
   * --allow-size-mismatch: a body shorter than its RFC822.SIZE is copied as
   * sent (with a warning) instead of refused, for servers whose sizes are approximate.
   */
  allowSizeMismatch?: boolean;
  /** --compress: ask for COMPRESS=DEFLATE always, never, or away from the local network ('auto', the default). */
  compress?: 'auto' | 'on' | 'off';
  /** --bwlimit: the run's one token bucket, shared by every connection to A and B (both directions). */
  bandwidth?: TokenBucket;
}

/**
 * An in-memory account (src/store/memory), for tests that run the engine
 * without servers: `name` is what registerMemoryServer registered it under.
 * The CLI never produces one; store URLs stay imap:// and imaps://.
 */
export interface MemoryStoreSpec {
  kind: 'memory';
  name: string;
  /** Stands in for the URL in messages and the state file, e.g. "memory://a". */
  displayUrl: string;
}

export type StoreSpec = ImapStoreSpec | MemoryStoreSpec;
