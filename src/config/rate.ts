// --bwlimit RATE: bytes per second, with an optional decimal suffix, the
// units the summary prints (`200k` = 200 kB/s, `2M` = 2 MB/s, a bare number is bytes).

const UNITS: Record<string, number> = { '': 1, k: 1000, m: 1000 ** 2, g: 1000 ** 3 };

/**
 * The slowest limit accepted. One network read is up to 64 KB and every
 * connection (two per --connections pair) may be waiting for its slice at
 * once: below this, a connection could sit silent long enough for the
 * server, or --timeout, to take it for dead.
 */
export const MIN_RATE = 16_000;

/** Bytes per second from RATE, or why it is not one. */
export function parseRate(text: string): { rate: number } | { error: string } {
  const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)(?:b(?:\/s)?)?$/i.exec(text.trim());
  if (!match) return { error: `expected bytes per second like 200k or 2M, not ${JSON.stringify(text)}` };
  const rate = Math.round(Number(match[1]) * UNITS[match[2]!.toLowerCase()]!);
  if (rate < MIN_RATE) return { error: `must be at least 16k (16 kB/s), not ${JSON.stringify(text)}` };
  return { rate };
}
