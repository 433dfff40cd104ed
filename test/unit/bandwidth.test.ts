// --bwlimit and --compress without a server: RATE parsing, the token bucket's
// accounting on a fake clock, the wire meter around a socket and its reader
// (fake timers: what is written and counted at each step, never how long it took),
// and auto's rule for when to compress.

import { PassThrough, Writable } from 'node:stream';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MIN_RATE, parseRate } from '../../src/config/rate.js';
import { isLocalAddress, wantsCompression } from '../../src/store/imap/compression.js';
import { meterWire } from '../../src/store/imap/wire.js';
import { THROTTLE_SLICE_BYTES, TokenBucket } from '../../src/store/tokenBucket.js';

describe('parseRate (--bwlimit RATE)', () => {
  it('reads bytes per second with decimal suffixes, the units of the summary', () => {
    expect(parseRate('200k')).toEqual({ rate: 200_000 });
    expect(parseRate('2M')).toEqual({ rate: 2_000_000 });
    expect(parseRate('1.5m')).toEqual({ rate: 1_500_000 });
    expect(parseRate('500000')).toEqual({ rate: 500_000 });
    expect(parseRate(' 64kB/s ')).toEqual({ rate: 64_000 });
    expect(parseRate('1G')).toEqual({ rate: 1e9 });
  });

  it('refuses what is not a rate, and rates too slow to keep connections alive', () => {
    for (const bad of ['', 'fast', '-200k', '200 x', 'k', '2T', '1e6', '64KiB']) expect(parseRate(bad), bad).toHaveProperty('error');
    expect(parseRate('15k')).toEqual({ error: 'must be at least 16k (16 kB/s), not "15k"' });
    expect(parseRate(String(MIN_RATE))).toEqual({ rate: MIN_RATE });
  });
});

/** A clock the test moves by hand. */
function fakeClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

describe('TokenBucket', () => {
  it('lets a burst through at once, then makes each reservation wait for its bytes at the rate', () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(1000, clock.now, 500);
    expect(bucket.reserve(500)).toBe(0);
    // Empty: 250 bytes at 1000 B/s are 250 ms away; the next 250 after those.
    expect(bucket.reserve(250)).toBe(250);
    expect(bucket.reserve(250)).toBe(500);
    clock.advance(500);
    expect(bucket.reserve(100)).toBe(100);
    clock.advance(2_000);
    // Refilled to the burst, no further.
    expect(bucket.reserve(500)).toBe(0);
    expect(bucket.reserve(1)).toBe(1);
    expect(bucket.report()).toEqual({ rate: 1000, burst: 500, bytes: 1601, waitedMs: 851, peakExcess: 500 });
  });

  it('defaults its burst to an eighth of a second, at least one slice', () => {
    expect(new TokenBucket(16 * 1024).burst).toBe(THROTTLE_SLICE_BYTES);
    expect(new TokenBucket(8 * 1024 * 1024).burst).toBe(1024 * 1024);
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });

  it('never releases more than burst + rate × elapsed, whatever the reservations (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 100_000 }),
        fc.array(fc.record({ after: fc.integer({ min: 0, max: 3_000 }), bytes: fc.integer({ min: 0, max: 50_000 }) }), { maxLength: 60 }),
        (rate, steps) => {
          const clock = fakeClock();
          const bucket = new TokenBucket(rate, clock.now);
          const start = clock.now();
          let released = 0;
          let lastRelease = -Infinity;
          for (const step of steps) {
            clock.advance(step.after);
            const at = clock.now() + bucket.reserve(step.bytes);
            // Served in the order reserved: release times never go back.
            expect(at).toBeGreaterThanOrEqual(lastRelease);
            lastRelease = at;
            released += step.bytes;
            expect(released).toBeLessThanOrEqual(bucket.burst + (rate * (at - start)) / 1000 + 1);
          }
          const report = bucket.report();
          expect(report.bytes).toBe(released);
          expect(report.peakExcess).toBeLessThanOrEqual(report.burst);
        },
      ),
    );
  });
});

/** A socket stand-in that records every write it is given, in order. */
function recordingSocket(): { socket: Writable; written: Buffer[] } {
  const written: Buffer[] = [];
  const socket = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(Buffer.from(chunk));
      done();
    },
  });
  return { socket, written };
}

describe('meterWire', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('without a limit counts what passes each way and changes nothing else', async () => {
    const { socket, written } = recordingSocket();
    const reader = new PassThrough();
    const counts = meterWire(socket, reader, { in: 10, out: 20 }, undefined);
    socket.write(Buffer.from('a1 NOOP\r\n'));
    socket.write('a2 LOGOUT\r\n');
    reader.write(Buffer.from('* OK ready\r\n'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(written).toString()).toBe('a1 NOOP\r\na2 LOGOUT\r\n');
    expect(String(reader.read())).toBe('* OK ready\r\n');
    expect(counts).toEqual({ in: 10 + 12, out: 20 + 20 });
  });

  it('with a bucket, writes leave in order, slice by slice, as the bucket allows; the caller hears back after the last', async () => {
    vi.useFakeTimers();
    const { socket, written } = recordingSocket();
    const bucket = new TokenBucket(THROTTLE_SLICE_BYTES, Date.now, THROTTLE_SLICE_BYTES);
    // What the connection moved before (login) is charged first: the bucket starts empty.
    const counts = meterWire(socket, new PassThrough(), { in: 0, out: THROTTLE_SLICE_BYTES }, bucket);
    const big = Buffer.alloc(3 * THROTTLE_SLICE_BYTES, 7);
    let done = false;
    socket.write(big, () => {
      done = true;
    });
    socket.write(Buffer.from('tail'));
    expect(counts.out).toBe(THROTTLE_SLICE_BYTES + big.length + 4);
    const sent = (): number => written.reduce((n, w) => n + w.length, 0);
    expect(sent()).toBe(0);
    for (let second = 1; second <= 3; second++) {
      await vi.advanceTimersByTimeAsync(1000);
      expect(sent(), `after ${second} s`).toBe(second * THROTTLE_SLICE_BYTES);
    }
    expect(done).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(Buffer.concat(written)).toEqual(Buffer.concat([big, Buffer.from('tail')]));
    expect(bucket.report().bytes).toBe(THROTTLE_SLICE_BYTES + big.length + 4);
  });

  it('with a bucket, a read reaches the reader slice by slice, and the socket waits for the whole of it', async () => {
    vi.useFakeTimers();
    const { socket } = recordingSocket();
    const reader = new PassThrough({ highWaterMark: 1024 * 1024 });
    const bucket = new TokenBucket(THROTTLE_SLICE_BYTES, Date.now, THROTTLE_SLICE_BYTES);
    const counts = meterWire(socket, reader, { in: 0, out: 0 }, bucket);
    const chunk = Buffer.alloc(2 * THROTTLE_SLICE_BYTES + 5, 1);
    let accepted = false;
    reader.write(chunk, () => {
      accepted = true;
    });
    expect(counts.in).toBe(chunk.length);
    expect(reader.readableLength).toBe(THROTTLE_SLICE_BYTES);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reader.readableLength).toBe(2 * THROTTLE_SLICE_BYTES);
    expect(accepted).toBe(false);
    await vi.advanceTimersByTimeAsync(1000);
    expect(reader.readableLength).toBe(chunk.length);
    expect(accepted).toBe(true);
    expect(reader.read()).toEqual(chunk);
  });

  it('drops writes still waiting when the socket is destroyed, failing their callbacks', async () => {
    vi.useFakeTimers();
    const { socket, written } = recordingSocket();
    socket.on('error', () => undefined);
    const bucket = new TokenBucket(THROTTLE_SLICE_BYTES, Date.now, THROTTLE_SLICE_BYTES);
    meterWire(socket, new PassThrough(), { in: 0, out: THROTTLE_SLICE_BYTES }, bucket);
    let failure: Error | null | undefined;
    socket.write(Buffer.from('a1 NOOP\r\n'), (error?: Error | null) => {
      failure = error;
    });
    socket.destroy();
    await vi.advanceTimersByTimeAsync(2000);
    expect(written).toEqual([]);
    expect(failure).toBeInstanceOf(Error);
  });
});

describe('--compress auto', () => {
  it('is off for loopback, private and link-local addresses, on for the rest', () => {
    for (const local of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.10', '169.254.0.5', '::1', '::ffff:192.168.0.2', 'fd12:3456::1', 'fe80::1']) {
      expect(isLocalAddress(local), local).toBe(true);
      expect(wantsCompression('auto', local), local).toBe(false);
    }
    for (const remote of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:db8::1', '::ffff:8.8.8.8']) {
      expect(isLocalAddress(remote), remote).toBe(false);
      expect(wantsCompression('auto', remote), remote).toBe(true);
    }
    expect(wantsCompression('auto', undefined)).toBe(true);
  });

  it('on and off do as they say wherever the server is', () => {
    expect(wantsCompression('on', '127.0.0.1')).toBe(true);
    expect(wantsCompression('off', '8.8.8.8')).toBe(false);
  });
});
