// A big write to a TLS socket over a thin link must not look like silence to
// the socket's inactivity timeout (--timeout): paced, it leaves in slices, each
// written once the one before it has been, so every slice done is activity.
// Checked on a recording stream: what is written, in which pieces and order,
// and when each write is issued (never before the previous one completed).

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { paceWrites, SLICE_BYTES } from '../../src/store/imap/pacedWrites.js';

/** A stream that records each underlying write and completes it only when told to. */
function recordingStream() {
  const writes: Buffer[] = [];
  const pending: (() => void)[] = [];
  let inFlight = 0;
  let overlapped = false;
  const stream = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _encoding, done) {
      if (inFlight > 0) overlapped = true;
      inFlight++;
      writes.push(Buffer.from(chunk));
      pending.push(() => {
        inFlight--;
        done();
      });
    },
  });
  /** Completes the oldest write, then lets callbacks run. */
  const completeOne = async (): Promise<boolean> => {
    const next = pending.shift();
    if (!next) return false;
    next();
    await new Promise((r) => setImmediate(r));
    return true;
  };
  return { stream, writes, completeOne, overlapped: () => overlapped };
}

describe('paced writes', () => {
  it('a big write leaves in slices, one at a time, and a later write queues behind it, in order', async () => {
    const rec = recordingStream();
    paceWrites(rec.stream);
    const payload = Buffer.alloc(3 * SLICE_BYTES + 100, 'x');
    const tail = Buffer.from('tail\r\n');
    const done: string[] = [];
    rec.stream.write(payload, () => done.push('payload'));
    rec.stream.write(tail, () => done.push('tail'));
    await new Promise((r) => setImmediate(r));
    // Only the first slice is out until it completes.
    expect(rec.writes).toHaveLength(1);
    while (await rec.completeOne());
    expect(rec.overlapped()).toBe(false);
    expect(rec.writes.map((w) => w.length)).toEqual([SLICE_BYTES, SLICE_BYTES, SLICE_BYTES, 100, tail.length]);
    expect(Buffer.concat(rec.writes).equals(Buffer.concat([payload, tail]))).toBe(true);
    expect(done).toEqual(['payload', 'tail']);
  });

  it('a small write with nothing queued goes straight through', async () => {
    const rec = recordingStream();
    paceWrites(rec.stream);
    rec.stream.write(Buffer.from('a1 NOOP\r\n'));
    await new Promise((r) => setImmediate(r));
    expect(rec.writes.map((w) => w.toString())).toEqual(['a1 NOOP\r\n']);
  });
});
