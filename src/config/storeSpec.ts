// Turns a parsed URL, a password and the connection options into the ImapStoreSpec
// the driver takes.

import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { ImapStoreSpec } from '../store/spec.js';
import { describeFsError } from './credentials.js';
import type { ParsedStoreUrl } from './storeUrl.js';

/** How to talk to the store: TLS checks and the silence allowed. */
export interface ConnectionOptions {
  /** PEM file of extra CA certificates to trust (--tls-ca). */
  tlsCaFile?: string;
  /** --insecure: accept unverified certificates; imap:// may fall back to plaintext. */
  insecure: boolean;
  /** --timeout, in milliseconds (the driver's default when absent). */
  timeoutMs?: number;
}

export async function buildStoreSpec(parsed: ParsedStoreUrl, password: string, tls: ConnectionOptions): Promise<ImapStoreSpec> {
  const spec: ImapStoreSpec = {
    kind: 'imap',
    host: parsed.host,
    port: parsed.port,
    security: parsed.scheme === 'imaps' ? 'tls' : tls.insecure ? 'starttls-optional' : 'starttls',
    user: parsed.user,
    password,
    insecure: tls.insecure,
    displayUrl: parsed.displayUrl,
  };
  if (tls.timeoutMs !== undefined) spec.timeoutMs = tls.timeoutMs;
  if (tls.tlsCaFile !== undefined) spec.tlsCa = await readCaFile(tls.tlsCaFile);
  return spec;
}

async function readCaFile(path: string): Promise<string> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --tls-ca ${path}: ${describeFsError(err)}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UsageError(`--tls-ca ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}
