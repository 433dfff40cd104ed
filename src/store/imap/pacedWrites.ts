// Big writes leave in slices, each once the previous one has been written.
//
// imapflow's socket timeout (--timeout) fires when the socket shows no
// activity, and a TLS socket shows none while one big write drains: a
// MULTIAPPEND batch of 8 MB, written at once, over a 1 Mbit/s uplink looked
// dead after 60 s although its bytes were flowing all along. Each slice that
// completes is activity, so only a link that really stops moving bytes times out.

import type { Writable } from 'node:stream';

export const SLICE_BYTES = 128 * 1024;

type WriteCallback = (error?: Error | null) => void;

/** Replaces `stream.write` with one that slices big buffers and keeps every write in order. */
export function paceWrites(stream: Writable): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const queue: { slice: Buffer; done?: WriteCallback }[] = [];
  let busy = false;

  const pump = (): void => {
    const next = queue.shift();
    if (!next) {
      busy = false;
      return;
    }
    write(next.slice, (error?: Error | null) => {
      next.done?.(error);
      if (!error) return pump();
      // The stream is broken: what is still queued will never be written.
      for (const dropped of queue.splice(0)) dropped.done?.(error);
      busy = false;
    });
  };

  stream.write = function pacedWrite(chunk: unknown, ...rest: unknown[]): boolean {
    const big = Buffer.isBuffer(chunk) && chunk.length > SLICE_BYTES;
    // Small writes with nothing queued go straight through, as before.
    if (!busy && !big) return write(chunk, ...rest);
    const encoding = typeof rest[0] === 'string' ? (rest[0] as BufferEncoding) : 'utf8';
    const done = rest.find((r): r is WriteCallback => typeof r === 'function');
    const buffer = Buffer.isBuffer(chunk) ? chunk : typeof chunk === 'string' ? Buffer.from(chunk, encoding) : Buffer.from(chunk as Uint8Array);
    const slices: { slice: Buffer; done?: WriteCallback }[] = [];
    for (let at = 0; at < buffer.length || slices.length === 0; at += SLICE_BYTES) {
      slices.push({ slice: buffer.subarray(at, at + SLICE_BYTES) });
    }
    slices[slices.length - 1]!.done = done;
    queue.push(...slices);
    if (!busy) {
      busy = true;
      pump();
    }
    return true;
  } as Writable['write'];
}
