// --compress auto|on|off: whether a connection asks for COMPRESS=DEFLATE
// (RFC 4978). imapflow would ask on its own at login; connect.ts turns that
// off and this module decides instead, once logged in, from where the server is.
//
// Why `auto` is off for a server on this machine or the local network, and on
// otherwise (bench/RESULTS.md, "Compression and --bwlimit"): deflate put about
// half the bytes on the wire but more than doubled replimap's CPU time in an
// initial copy. Where bandwidth is plentiful (whatever the RTT) that CPU is pure
// loss; through a thin link it paid (29% faster at 512 kB/s), and metered links
// charge per byte.

import { isIP } from 'node:net';
import type { ImapSession } from './session.js';

export type CompressMode = 'auto' | 'on' | 'off';

/** What one connection ended up with. */
export type CompressOutcome = 'deflate' | 'off' | 'unavailable';

/** Whether `mode` asks for COMPRESS on a connection to `remoteAddress` (the socket's peer). */
export function wantsCompression(mode: CompressMode, remoteAddress: string | undefined): boolean {
  if (mode !== 'auto') return mode === 'on';
  return remoteAddress === undefined || !isLocalAddress(remoteAddress);
}

/** Loopback, private (RFC 1918, RFC 4193) or link-local: a network where bytes are cheap. */
export function isLocalAddress(address: string): boolean {
  const v4 = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  if (isIP(v4) === 4) {
    const [a, b] = v4.split('.').map(Number) as [number, number];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254);
  }
  if (isIP(address) !== 6) return false;
  const lower = address.toLowerCase();
  return lower === '::1' || /^f[cd][0-9a-f]{2}:/.test(lower) || /^fe[89ab][0-9a-f]:/.test(lower);
}

/** Sends COMPRESS DEFLATE when `mode` wants it and the server offers it; says what came of it. */
export async function negotiateCompression(session: ImapSession, mode: CompressMode): Promise<CompressOutcome> {
  const client = session.client;
  if (!wantsCompression(mode, client.socket ? client.socket.remoteAddress : undefined)) return 'off';
  if (!session.has('COMPRESS=DEFLATE')) return 'unavailable';
  // imapflow's own negotiation: COMPRESS, then the inflate/deflate streams around the socket.
  await client.compress();
  return client._inflate ? 'deflate' : 'unavailable';
}
