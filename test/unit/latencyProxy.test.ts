import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { startLatencyProxy, type LatencyProxy } from '../../bench/latencyProxy.js';
import { testCertificate } from '../support/dovecot.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** An echo server that answers every byte it reads, and half-closes when the client does. */
async function startEcho(): Promise<number> {
  const server = createServer({ allowHalfOpen: true }, (socket) => socket.pipe(socket));
  const port = await listen(server);
  cleanups.push(() => new Promise((r) => server.close(() => r())));
  return port;
}

async function proxyTo(port: number, delayMs: number): Promise<LatencyProxy> {
  const proxy = await startLatencyProxy({ targetHost: '127.0.0.1', targetPort: port, delayMs });
  cleanups.push(() => proxy.close());
  return proxy;
}

/** Writes `chunks` one by one (yielding between them, so they travel as separate TCP chunks) and collects the answer until end. */
function exchange(socket: Socket, chunks: Buffer[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const received: Buffer[] = [];
    socket.on('data', (d: Buffer) => received.push(d));
    socket.on('end', () => resolve(Buffer.concat(received)));
    socket.on('error', reject);
    void (async () => {
      for (const chunk of chunks) {
        if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r));
        await new Promise((r) => setImmediate(r));
      }
      socket.end();
    })();
  });
}

function numberedChunks(count: number): Buffer[] {
  // Each chunk names its index, so a reordering shows up as a content mismatch.
  return Array.from({ length: count }, (_, i) => Buffer.concat([Buffer.from(`<${i}>`), randomBytes(1 + (i * 7919) % 3000)]));
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('startLatencyProxy', () => {
  it.each([0, 3])('forwards bytes intact and in order both ways (delay %i ms), counting them', async (delayMs) => {
    const proxy = await proxyTo(await startEcho(), delayMs);
    const chunks = numberedChunks(400);
    const sent = Buffer.concat(chunks);
    const socket = createConnection({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
    const echoed = await exchange(socket, chunks);
    expect(echoed.length).toBe(sent.length);
    expect(sha(echoed)).toBe(sha(sent));
    expect(proxy.bytesUp()).toBe(sent.length);
    expect(proxy.bytesDown()).toBe(sent.length);
    expect(proxy.connections()).toBe(1);
  });

  it('carries a 20 MB transfer each way without loss', async () => {
    const proxy = await proxyTo(await startEcho(), 1);
    const chunks = Array.from({ length: 40 }, () => randomBytes(512 * 1024));
    const sent = Buffer.concat(chunks);
    const socket = createConnection({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
    const echoed = await exchange(socket, chunks);
    expect(sha(echoed)).toBe(sha(sent));
    expect(proxy.bytesUp()).toBe(sent.length);
  });

  it('keeps separate connections apart and sums their counts', async () => {
    const proxy = await proxyTo(await startEcho(), 2);
    const runs = [0, 1, 2, 3].map(async (n) => {
      const chunks = numberedChunks(50 + n);
      const socket = createConnection({ host: '127.0.0.1', port: proxy.port, allowHalfOpen: true });
      const echoed = await exchange(socket, chunks);
      expect(sha(echoed)).toBe(sha(Buffer.concat(chunks)));
      return Buffer.concat(chunks).length;
    });
    const total = (await Promise.all(runs)).reduce((a, b) => a + b, 0);
    expect(proxy.bytesUp()).toBe(total);
    expect(proxy.bytesDown()).toBe(total);
    expect(proxy.connections()).toBe(4);
  });

  it('passes TLS through untouched', async () => {
    const { certPem, keyPem } = await testCertificate();
    const server = createTlsServer({ cert: certPem, key: keyPem }, (socket) => {
      socket.on('data', (d: Buffer) => socket.write(Buffer.from(d.toString('latin1').toUpperCase(), 'latin1')));
      socket.on('end', () => socket.end());
    });
    const port = await listen(server);
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const proxy = await proxyTo(port, 2);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: proxy.port, ca: certPem, servername: 'localhost' }, () => {
        socket.end('hello through the proxy');
      });
      let text = '';
      socket.setEncoding('latin1');
      socket.on('data', (d: string) => (text += d));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toBe('HELLO THROUGH THE PROXY');
    // The handshake went through the proxy, so it counted more than the payload.
    expect(proxy.bytesUp()).toBeGreaterThan('hello through the proxy'.length);
  });

  it('refuses a negative delay', () => {
    expect(() => startLatencyProxy({ targetHost: '127.0.0.1', targetPort: 1, delayMs: -1 })).toThrow(RangeError);
  });

  it('close() drops open connections and is safe to call twice', async () => {
    const proxy = await startLatencyProxy({ targetHost: '127.0.0.1', targetPort: await startEcho(), delayMs: 0 });
    const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
    await new Promise((r) => socket.once('connect', r));
    const closed = new Promise((r) => socket.once('close', r));
    socket.on('error', () => undefined);
    await proxy.close();
    await proxy.close();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
