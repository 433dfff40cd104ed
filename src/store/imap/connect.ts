// How an ImapStoreSpec becomes an imapflow client (options, TLS), and how a
// failed connection attempt becomes one clear line for the user.

import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { ConnectError } from '../../errors.js';
import { DEFAULT_TIMEOUT_MS, type ImapStoreSpec } from '../spec.js';
import type { CommandFailure, ImapClient } from './imapflowInternals.js';

/** --timeout: the longest silence from the server before its connection counts as dead. */
export function timeoutOf(spec: ImapStoreSpec): number {
  return spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
}

function clientOptions(spec: ImapStoreSpec): ImapFlowOptions {
  const timeout = timeoutOf(spec);
  return {
    host: spec.host,
    port: spec.port,
    secure: spec.security === 'tls',
    // true: refuse to log in without STARTTLS; undefined: use it when offered.
    doSTARTTLS: spec.security === 'starttls' ? true : undefined,
    // SNI: imapflow sends the host name as servername, and none for an IP address.
    tls: {
      rejectUnauthorized: !spec.insecure,
      // --tls-ca adds to the trusted CAs; it does not replace Node's defaults.
      ...(spec.tlsCa ? { secureContext: trustingContext(spec.tlsCa) } : {}),
    },
    auth: { user: spec.user, pass: spec.password },
    clientInfo: { name: 'replimap' },
    logger: false,
    disableAutoIdle: true,
    qresync: true,
    // COMPRESS is asked for after login by compression.ts, as --compress decides.
    disableCompression: true,
    // Connecting, the TLS handshake, the greeting: each may take this long.
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    // imapflow fails a command that gets no data for this long (ETIMEOUT) and
    // drops the connection; an idle one too, hence the keep-alive's NOOPs.
    socketTimeout: timeout,
    // A hostile server must not make us buffer a gigabyte (imapflow's default):
    // outside body fetches (which set their own bound from RFC822.SIZE, see
    // fetchBodies.ts) no literal is more than a few header lines or a name.
    maxLiteralSize: MAX_OTHER_LITERAL_BYTES,
    maxLineLength: MAX_LINE_BYTES,
  };
}

/** The largest literal accepted outside a body fetch (identity headers, folder names). */
const MAX_OTHER_LITERAL_BYTES = 16 * 1024 * 1024;
/** The longest response line without a literal (a SEARCH of ten million UIDs fits). */
const MAX_LINE_BYTES = 256 * 1024 * 1024;

const contexts = new Map<string, SecureContext>();

/**
 * One TLS context per extra CA, shared by every connection: building it parses
 * all of Node's root certificates, which costs more than a handshake on loopback.
 */
function trustingContext(ca: string): SecureContext {
  let context = contexts.get(ca);
  if (!context) {
    context = createSecureContext({ ca: [...rootCertificates, ca] });
    contexts.set(ca, context);
  }
  return context;
}

export function createImapFlow(spec: ImapStoreSpec): ImapFlow {
  return new ImapFlow(clientOptions(spec));
}

/**
 * Remembers the server's answer when it refuses STARTTLS: imapflow swallows
 * that NO/BAD and reports "does not support STARTTLS", as if it were never offered.
 * Returns a reader of the refusal text (undefined: STARTTLS was not refused).
 */
export function watchStartTlsRefusal(client: ImapClient): () => string | undefined {
  let refusal: string | undefined;
  const exec = client.exec;
  client.exec = async function watchedExec(this: ImapClient, command, attributes, options) {
    try {
      return await exec.call(this, command, attributes, options);
    } catch (error) {
      const failure = (error ?? {}) as CommandFailure;
      if (command.toUpperCase() === 'STARTTLS' && (failure.responseStatus === 'NO' || failure.responseStatus === 'BAD')) {
        refusal = `${failure.responseStatus} ${firstLine(failure.responseText)}`.trim();
      }
      throw error;
    }
  };
  return () => refusal;
}

interface FailureShape {
  code?: string;
  message?: string;
  errors?: unknown[];
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  serverResponseCode?: string;
  responseText?: string;
  response?: unknown;
  reason?: string;
}

// Node's codes for a certificate that does not chain to a trusted CA.
const UNTRUSTED_CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
const INVALID_CERT_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'INVALID_PURPOSE']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ETIMEOUT']);

/** The first useful error of a chain (Node reports a multi-address connect as an AggregateError). */
function rootFailure(error: unknown): FailureShape {
  const err = (error ?? {}) as FailureShape;
  if (!err.code && Array.isArray(err.errors) && err.errors.length > 0) {
    const first = err.errors[0] as FailureShape;
    return { ...first, message: first.message };
  }
  return err;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').split(/\r?\n/)[0]!.trim();
}

/**
 * One line saying why `spec` could not be reached or logged in to; never the password.
 * `startTlsRefusal`: the server's answer when it refused STARTTLS (see watchStartTlsRefusal).
 */
export function describeConnectFailure(spec: ImapStoreSpec, error: unknown, startTlsRefusal?: string): string {
  const err = rootFailure(error);
  const where = `${spec.host}:${spec.port}`;
  const code = err.code ?? '';
  const message = firstLine(err.message);
  const serverText = firstLine(err.responseText);

  if (tooManyConnections(err.serverResponseCode, serverText)) {
    // Dovecot: NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=N)
    const allowed = /connections=(\d+)/i.exec(serverText)?.[1];
    return `too many connections for user ${spec.user}: ${allowed ? `the server allows ${allowed}` : `server said "${serverText}"`}`;
  }
  if (err.authenticationFailed) {
    const responseCode = (err.serverResponseCode ?? '').toUpperCase();
    const base = `login failed for user ${spec.user} (wrong password?)`;
    if (responseCode === '' || responseCode === 'AUTHENTICATIONFAILED' || serverText === '') return base;
    return `${base}: server said "${serverText}"`;
  }
  if (/login is disabled/i.test(message)) {
    return `${where} refuses to log in over this connection (LOGINDISABLED); use imaps:// or STARTTLS`;
  }
  if (err.tlsFailed && startTlsRefusal !== undefined) {
    return `${where} refused STARTTLS: ${startTlsRefusal.replace(/^(NO|BAD)\s*/i, '') || startTlsRefusal}`;
  }
  if (err.tlsFailed && /does not support STARTTLS|not possible after a PREAUTH/i.test(message)) {
    return `${where} does not offer STARTTLS; use imaps://, or --insecure to allow a plaintext login`;
  }
  if (UNTRUSTED_CERT_CODES.has(code)) {
    return `TLS certificate of ${spec.host} is not trusted (${message}); use --tls-ca FILE or --insecure`;
  }
  if (INVALID_CERT_CODES.has(code)) {
    return `TLS certificate of ${spec.host} is not valid (${message}); use --insecure to accept it anyway`;
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return `TLS certificate does not match ${spec.host} (${message}); use --tls-ca FILE or --insecure`;
  }
  if (code === 'ECONNREFUSED') return `cannot connect to ${where}: connection refused`;
  if (code === 'ENOTFOUND' || code === 'EAI_NONAME' || code === 'EAI_NODATA') return `host not found: ${spec.host}`;
  if (code === 'EAI_AGAIN') return `host not found: ${spec.host} (DNS lookup failed, try again later)`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot connect to ${where}: ${code === 'EHOSTUNREACH' ? 'host' : 'network'} unreachable`;
  if (code === 'GREETING_TIMEOUT') {
    const hint = spec.security === 'tls' ? '' : ' (is this an implicit-TLS port? then use imaps://)';
    return `timed out waiting for the IMAP greeting from ${where}${hint}`;
  }
  if (TIMEOUT_CODES.has(code)) return `timed out connecting to ${where}`;
  if (err.tlsFailed || code.startsWith('ERR_SSL') || code === 'EPROTO' || /SSL routines|wrong version number/i.test(message)) {
    const hint = /wrong version number|packet length too long/i.test(message)
      ? spec.security === 'tls'
        ? ' (is this a plain IMAP port? then use imap://)'
        : ''
      : '';
    // OpenSSL's message is a whole error stack; its `reason` is the readable part.
    return `TLS handshake with ${where} failed: ${firstLine(err.reason) || message}${hint}`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'NoConnection' || code === 'EConnectionClosed' || code.startsWith('ClosedAfterConnect')) {
    const reason = firstLine(err.reason);
    return `connection to ${where} closed by the server${reason ? `: ${reason}` : ''}`;
  }
  if (serverText) return `cannot connect to ${where}: ${serverText}`;
  return `cannot connect to ${where}: ${message || code || 'unknown error'}`;
}

/** The server refuses another connection for this user (RFC 5530's [LIMIT], or its usual wording). */
function tooManyConnections(responseCode: string | undefined, serverText: string): boolean {
  return (responseCode ?? '').toUpperCase() === 'LIMIT' || /maximum number of connections|too many connections/i.test(serverText);
}

/** The ConnectError (exit code 3) for a failed attempt, with the password scrubbed from its text. */
export function connectError(label: string, spec: ImapStoreSpec, error: unknown, startTlsRefusal?: string): ConnectError {
  let text = describeConnectFailure(spec, error, startTlsRefusal);
  if (spec.password) text = text.split(spec.password).join('***');
  return new ConnectError(label, text, { cause: error });
}
