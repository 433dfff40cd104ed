// Store URLs: `imaps://user@host[:port]` or `imap://user@host[:port]`.
// The parsed form keeps the password apart so no message can ever show it.

import { domainToASCII } from 'node:url';
import { UsageError } from '../errors.js';

export type StoreLabel = 'A' | 'B';

export interface ParsedStoreUrl {
  scheme: 'imaps' | 'imap';
  /** Host name or IP address; IPv6 addresses without brackets ("::1"). */
  host: string;
  port: number;
  /** Percent-decoded user name ("alice@example.com"). */
  user: string;
  /** Percent-decoded password, when the URL carried one (discouraged). */
  passwordInUrl?: string;
  /**
   * Canonical URL without any password: scheme, re-encoded user, lower-case
   * host and always the port, so `imaps://alice@h` and `imaps://alice@H:993`
   * name the same store (and the same default state file).
   */
  displayUrl: string;
}

const DEFAULT_PORTS = { imaps: 993, imap: 143 } as const;

export function parseStoreUrl(url: string, label: StoreLabel): ParsedStoreUrl {
  const bad = (why?: string): UsageError =>
    new UsageError(
      `${label}: bad store URL "${redactUrl(url)}"${why ? ` (${why})` : ''}: expected imaps://user@host[:port] or imap://user@host[:port]`,
    );

  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    throw bad();
  }
  const scheme = u.protocol.slice(0, -1);
  if (scheme !== 'imaps' && scheme !== 'imap') throw bad(`unknown scheme "${scheme}"`);
  if (u.username === '') throw bad('no user');
  if (u.hostname === '') throw bad('no host');
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') {
    throw bad('unexpected path, query or fragment');
  }

  const user = decode(u.username);
  if (user === undefined || user === '') throw bad('bad user name encoding');
  let passwordInUrl: string | undefined;
  if (u.password !== '') {
    passwordInUrl = decode(u.password);
    if (passwordInUrl === undefined) throw bad('bad password encoding');
  }

  let host: string;
  if (u.hostname.startsWith('[')) {
    host = u.hostname.slice(1, -1).toLowerCase();
  } else {
    const decoded = decode(u.hostname);
    host = decoded === undefined ? '' : domainToASCII(decoded);
    if (host === '' || /[^a-z0-9.\-_]/.test(host)) throw bad('bad host');
  }

  let port: number = DEFAULT_PORTS[scheme];
  if (u.port !== '') {
    port = Number(u.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('bad port');
  }

  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const displayUrl = `${scheme}://${encodeURIComponent(user)}@${hostInUrl}:${port}`;
  const parsed: ParsedStoreUrl = { scheme, host, port, user, displayUrl };
  if (passwordInUrl !== undefined) parsed.passwordInUrl = passwordInUrl;
  return parsed;
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * The URL as typed, with anything that may be a password replaced by "***".
 * Works on strings that do not parse: it over-redacts rather than leak.
 */
export function redactUrl(raw: string): string {
  const schemeEnd = raw.indexOf('://');
  const start = schemeEnd >= 0 ? schemeEnd + 3 : 0;
  // Passwords may contain '@' (unencoded, by mistake); host names cannot.
  const lastAt = raw.lastIndexOf('@');
  if (lastAt >= start) {
    const colon = raw.indexOf(':', start);
    if (colon >= 0 && colon < lastAt) return `${raw.slice(0, colon)}:***${raw.slice(lastAt)}`;
    return raw;
  }
  // No '@': "imaps://alice:secret" may be a user and password without a host.
  // Only a numeric port (and a path) may stay visible after the colon.
  const bracketEnd = raw[start] === '[' ? raw.indexOf(']', start) : -1;
  const colon = raw.indexOf(':', bracketEnd >= 0 ? bracketEnd : start);
  if (colon >= 0 && !/^\d*(\/.*)?$/.test(raw.slice(colon + 1))) return `${raw.slice(0, colon)}:***`;
  return raw;
}
