// How to reach a store, as the configuration layer resolves it from a URL,
// options and credentials. Drivers take one of these; nothing else does I/O on it.

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
}

export type StoreSpec = ImapStoreSpec;
