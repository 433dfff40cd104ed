// A TCP proxy on 127.0.0.1 that adds a fixed one-way delay to every chunk in each
// direction and counts the bytes, so benchmarks can run every tool against a
// "distant" server and compare traffic. It speaks plain TCP: TLS passes through.
//
// Order matters more than precision: each direction has one FIFO queue of
// (due time, chunk) drained by a single timer, so chunks can never overtake each
// other (a setTimeout per chunk could fire out of order under load).

import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface LatencyProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Added to every chunk in each direction: 10 gives a 20 ms round trip. */
  delayMs: number;
  /** Host to listen on; default 127.0.0.1. */
  listenHost?: string;
}

export interface LatencyProxy {
  port: number;
  /** Bytes client → server, over all connections so far. */
  bytesUp(): number;
  /** Bytes server → client, over all connections so far. */
  bytesDown(): number;
  /** Number of client connections accepted so far. */
  connections(): number;
  /** Stops listening and destroys every open connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Pause the sender once this much is queued but not yet written (bounds memory at high delay). */
const QUEUE_HIGH_WATER = 8 * 1024 * 1024;

/**
 * One direction of one connection: chunks read from `from` are written to `to`
 * `delayMs` later, in arrival order; `from`'s end is forwarded after the last chunk.
 */
class DelayedPipe {
  private readonly queue: { due: number; chunk: Buffer }[] = [];
  private queuedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private pausedForQueue = false;
  private pausedForDrain = false;

  constructor(
    private readonly from: Socket,
    private readonly to: Socket,
    private readonly delayMs: number,
    private readonly count: (n: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.push(chunk));
    from.on('end', () => {
      this.ended = true;
      this.drain();
    });
    to.on('drain', () => {
      if (this.pausedForDrain) {
        this.pausedForDrain = false;
        this.maybeResume();
      }
    });
  }

  private push(chunk: Buffer): void {
    this.count(chunk.length);
    this.queue.push({ due: performance.now() + this.delayMs, chunk });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > QUEUE_HIGH_WATER && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.from.pause();
    }
    this.drain();
  }

  private drain(): void {
    if (this.timer !== undefined) return; // the pending timer will call us
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.due <= now) {
      const { chunk } = this.queue.shift()!;
      this.queuedBytes -= chunk.length;
      if (this.to.destroyed) return;
      if (!this.to.write(chunk) && !this.pausedForDrain) {
        this.pausedForDrain = true;
        this.from.pause();
      }
    }
    if (this.queue.length > 0) {
      const wait = Math.max(0, this.queue[0]!.due - now);
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.drain();
      }, Math.ceil(wait));
      return;
    }
    if (this.pausedForQueue) {
      this.pausedForQueue = false;
      this.maybeResume();
    }
    if (this.ended && !this.to.destroyed) this.to.end();
  }

  private maybeResume(): void {
    if (!this.pausedForQueue && !this.pausedForDrain && !this.from.destroyed) this.from.resume();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

export function startLatencyProxy(options: LatencyProxyOptions): Promise<LatencyProxy> {
  const { targetHost, targetPort, delayMs } = options;
  if (!Number.isFinite(delayMs) || delayMs < 0) throw new RangeError(`delayMs must be >= 0, got ${delayMs}`);
  let up = 0;
  let down = 0;
  let accepted = 0;
  const sockets = new Set<Socket>();

  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    accepted++;
    track(client);
    client.pause(); // hold data until the upstream connection exists
    const upstream = createConnection({ host: targetHost, port: targetPort, allowHalfOpen: true, noDelay: true });
    track(upstream);
    const pipes = [
      new DelayedPipe(client, upstream, delayMs, (n) => (up += n)),
      new DelayedPipe(upstream, client, delayMs, (n) => (down += n)),
    ];
    const teardown = (): void => {
      for (const pipe of pipes) pipe.stop();
      client.destroy();
      upstream.destroy();
    };
    // A reset on either side ends the pair; a clean close waits for the half-close dance.
    client.on('error', teardown);
    upstream.on('error', teardown);
    let closed = 0;
    const onClose = (): void => {
      if (++closed === 2) teardown();
    };
    client.on('close', onClose);
    upstream.on('close', onClose);
    upstream.once('connect', () => client.resume());
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.listenHost ?? '127.0.0.1', () => {
      server.off('error', reject);
      const address = server.address();
      if (address === null || typeof address !== 'object') {
        server.close();
        reject(new Error('latency proxy: no address after listen'));
        return;
      }
      let closing: Promise<void> | undefined;
      resolve({
        port: address.port,
        bytesUp: () => up,
        bytesDown: () => down,
        connections: () => accepted,
        close() {
          closing ??= new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          });
          return closing;
        },
      });
    });
  });
}
