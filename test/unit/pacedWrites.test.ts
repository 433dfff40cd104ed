// A big write to a TLS socket over a thin link must not look like silence to
// the socket's inactivity timeout (--timeout): paced, it shows progress slice
// by slice. Real TLS on loopback; the server reads at about 1 MB/s.

import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { paceWrites } from '../../src/store/imap/pacedWrites.js';
import { testCertificate } from '../support/dovecot.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!();
});

/** A TLS server reading at about `bytesPerSecond`; resolves the digest of all it received once `expected` bytes arrived. */
async function slowReader(bytesPerSecond: number, expected: number): Promise<{ port: number; received: Promise<string> }> {
  const { certPem, keyPem } = await testCertificate();
  let deliver!: (digest: string) => void;
  const received = new Promise<string>((resolve) => (deliver = resolve));
  const server = createServer({ cert: certPem, key: keyPem }, (socket) => {
    const hash = createHash('sha256');
    let count = 0;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      count += chunk.length;
      if (count >= expected) deliver(hash.digest('hex'));
      socket.pause();
      setTimeout(() => socket.resume(), Math.ceil((chunk.length * 1000) / bytesPerSecond));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return { port: (server.address() as AddressInfo).port, received };
}

function tlsClient(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(socket));
    socket.once('error', reject);
    cleanups.push(() => socket.destroy());
  });
}

describe('paced writes', () => {
  it('an 8 MB write over a 1 MB/s link shows activity all along: no inactivity timeout of 2 s fires', async () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 'x');
    const tail = Buffer.from('tail\r\n');
    const { port, received } = await slowReader(1024 * 1024, payload.length + tail.length);
    const socket = await tlsClient(port);
    paceWrites(socket);
    let timeouts = 0;
    socket.setTimeout(2_000, () => timeouts++);
    const written = new Promise<void>((resolve, reject) => {
      socket.write(payload);
      // a later small write queues behind the big one, in order
      socket.write(tail, (error) => (error ? reject(error) : resolve()));
    });
    await written;
    expect(timeouts).toBe(0);
    expect(await received).toBe(createHash('sha256').update(payload).update(tail).digest('hex'));
  });
});
