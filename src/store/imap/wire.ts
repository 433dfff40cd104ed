// The bytes on the wire of one connection: counted at the socket, below the
// DEFLATE stream when COMPRESS is on (imapflow's own counters sit above it and
// count the uncompressed bytes), and, with --bwlimit, paced by the run's shared
// token bucket. Reads are paced by holding back what the socket hands to the
// next stage (parser or inflater): the socket then pauses and TCP slows the
// sender. Writes wait in order in a queue in front of the socket.
// TLS framing is below the socket as imapflow sees it and is not counted.

import type { Writable } from 'node:stream';
import { THROTTLE_SLICE_BYTES, type TokenBucket } from '../tokenBucket.js';
import type { ImapClient } from './imapflowInternals.js';

export interface WireCounts {
  /** Bytes read from the socket. */
  in: number;
  /** Bytes written to the socket. */
  out: number;
}

type WriteCallback = (error?: Error | null) => void;
type WriteFn = (chunk: Buffer, encoding: BufferEncoding, callback: WriteCallback) => void;

/**
 * Meters a logged-in client's socket, after COMPRESS was or was not turned on:
 * until then nothing was compressed, so imapflow's counts are the wire's.
 */
export function meterClientWire(client: ImapClient, bucket: TokenBucket | undefined): WireCounts | undefined {
  if (!client.socket) return undefined;
  const sofar = client.stats();
  return meterWire(client.socket, client._inflate ?? client.streamer, { in: sofar.received, out: sofar.sent }, bucket);
}

/**
 * Counts (and with `bucket` paces) what passes between `socket` and `reader`,
 * the stage the socket is piped into. `before`: what the connection moved
 * before this was installed (login, COMPRESS), put through the bucket at once.
 */
export function meterWire(socket: Writable, reader: Writable, before: WireCounts, bucket: TokenBucket | undefined): WireCounts {
  const counts: WireCounts = { ...before };
  bucket?.reserve(before.in + before.out);
  meterReads(reader, counts, bucket);
  meterWrites(socket, counts, bucket);
  return counts;
}

function meterReads(reader: Writable, counts: WireCounts, bucket: TokenBucket | undefined): void {
  const internals = reader as unknown as { _write: WriteFn };
  const write = internals._write.bind(reader);
  internals._write = (chunk, encoding, callback) => {
    counts.in += chunk.length;
    if (!bucket) return write(chunk, encoding, callback);
    // Slice by slice, each once the bucket allows it; the callback (and so the socket) waits for the last.
    const feed = (at: number): void => {
      if (at >= chunk.length) return callback();
      const slice = chunk.subarray(at, at + THROTTLE_SLICE_BYTES);
      after(bucket.reserve(slice.length), () => {
        if (reader.destroyed) return;
        write(slice, encoding, (error) => (error ? callback(error) : feed(at + slice.length)));
      });
    };
    feed(0);
  };
}

function meterWrites(socket: Writable, counts: WireCounts, bucket: TokenBucket | undefined): void {
  const write = socket.write.bind(socket) as (chunk: Buffer, callback?: WriteCallback) => boolean;
  const queue: { slice: Buffer; done?: WriteCallback }[] = [];
  let waiting = false;

  const pump = (): void => {
    while (queue.length > 0) {
      const wait = bucket!.reserve(queue[0]!.slice.length);
      if (wait > 0) {
        waiting = true;
        after(wait, () => {
          waiting = false;
          const next = queue.shift()!;
          if (socket.destroyed) return dropAll(next);
          write(next.slice, next.done);
          pump();
        });
        return;
      }
      const next = queue.shift()!;
      write(next.slice, next.done);
    }
  };
  const dropAll = (first: { done?: WriteCallback }): void => {
    const gone = new Error('socket closed while a write waited for --bwlimit');
    for (const dropped of [first, ...queue.splice(0)]) dropped.done?.(gone);
  };

  socket.write = function meteredWrite(chunk: unknown, ...rest: unknown[]): boolean {
    const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
    const done = rest.find((r): r is WriteCallback => typeof r === 'function');
    const buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array);
    counts.out += buffer.length;
    if (!bucket) return write(buffer, done);
    for (let at = 0; at < buffer.length || at === 0; at += THROTTLE_SLICE_BYTES) {
      queue.push({ slice: buffer.subarray(at, at + THROTTLE_SLICE_BYTES) });
    }
    queue[queue.length - 1]!.done = done;
    if (!waiting) pump();
    // Queued bytes are held here rather than in the socket's buffer: the same memory, in order.
    return true;
  } as Writable['write'];
}

/** Runs `action` now, or after `ms` without keeping the process alive for it (a signal must end a throttled run). */
function after(ms: number, action: () => void): void {
  if (ms <= 0) return action();
  setTimeout(action, ms).unref();
}
