// A TCP proxy on 127.0.0.1 in front of a real server that can stall: on
// command (or once enough bytes went up) it stops forwarding in both
// directions without closing anything, like a link that died silently. It
// speaks plain TCP, so TLS (imaps) passes through untouched.

import { createConnection, createServer, type Socket } from 'node:net';

export interface StallProxy {
  port: number;
  /** Stop forwarding on every connection, current and future; nothing is closed. */
  stall(): void;
  /** Forward again (what waited in the kernel buffers goes through). */
  resume(): void;
  /** Resolves once the proxy has stalled (by stall() or by stallAfterBytesUp). */
  stalled: Promise<void>;
  /** Resolves once a client has connected. */
  accepted: Promise<void>;
  /** Destroys every connection and stops listening. */
  close(): Promise<void>;
}

export interface StallProxyOptions {
  targetPort: number;
  /** Stall by itself (once) when this many bytes went client → server, over all connections. */
  stallAfterBytesUp?: number;
}

export function startStallProxy(options: StallProxyOptions): Promise<StallProxy> {
  const sockets = new Set<Socket>();
  let stalledNow = false;
  let up = 0;
  let autoStalled = false;
  let markStalled!: () => void;
  const stalled = new Promise<void>((resolve) => (markStalled = resolve));
  let markAccepted!: () => void;
  const accepted = new Promise<void>((resolve) => (markAccepted = resolve));

  const stall = (): void => {
    stalledNow = true;
    for (const s of sockets) s.pause();
    markStalled();
  };
  const forward = (from: Socket, to: Socket, counts: boolean): void => {
    from.on('data', (chunk: Buffer) => {
      if (!to.destroyed) to.write(chunk);
      if (!counts) return;
      up += chunk.length;
      if (!autoStalled && options.stallAfterBytesUp !== undefined && up >= options.stallAfterBytesUp) {
        autoStalled = true;
        stall();
      }
    });
  };

  const server = createServer({ noDelay: true }, (client) => {
    markAccepted();
    const upstream = createConnection({ host: '127.0.0.1', port: options.targetPort, noDelay: true });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      if (stalledNow) s.pause();
    }
    forward(client, upstream, true);
    forward(upstream, client, false);
    const teardown = (): void => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) {
      s.on('error', teardown);
      s.on('close', teardown);
    }
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      resolve({
        port,
        stall,
        resume() {
          stalledNow = false;
          for (const s of sockets) s.resume();
        },
        stalled,
        accepted,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
