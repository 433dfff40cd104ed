// UID sets as IMAP writes them ("1:50,52,60:70"). Commands carry sets, not one
// UID each, so a batch of a thousand messages is one short line.

/** Ascending, de-duplicated, compressed into ranges: [3,1,2,7] -> "1:3,7". Empty input gives "". */
export function compressUids(uids: Iterable<number>): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i]!;
    parts.push(start === end ? String(start) : `${start}:${end}`);
    i++;
  }
  return parts.join(',');
}

/**
 * Every UID of a set, in the order the set lists them (APPENDUID lists the
 * UIDs of a MULTIAPPEND in message order). A range is walked in the direction
 * it is written. Throws on "*" or anything that is not a UID set.
 */
export function expandUidSet(set: string): number[] {
  const out: number[] = [];
  if (set.trim() === '') return out;
  for (const part of set.split(',')) {
    const match = /^(\d+)(?::(\d+))?$/.exec(part.trim());
    if (!match) throw new Error(`not a UID set: ${JSON.stringify(set)}`);
    const first = Number(match[1]);
    const last = match[2] === undefined ? first : Number(match[2]);
    if (first < 1 || last < 1 || !Number.isSafeInteger(first) || !Number.isSafeInteger(last)) {
      throw new Error(`not a UID set: ${JSON.stringify(set)}`);
    }
    const step = first <= last ? 1 : -1;
    for (let uid = first; ; uid += step) {
      out.push(uid);
      if (uid === last) break;
    }
  }
  return out;
}

/**
 * Compressed sets of at most `maxChars` characters each, covering `uids`.
 * Servers cap the command line (Dovecot: 64 KB), so a scattered set of a
 * million UIDs goes out as a few commands instead of one oversized one.
 */
export function splitUidSets(uids: Iterable<number>, maxChars = 16_000): string[] {
  const whole = compressUids(uids);
  if (whole.length <= maxChars) return whole === '' ? [] : [whole];
  const sets: string[] = [];
  let current = '';
  for (const part of whole.split(',')) {
    if (current !== '' && current.length + 1 + part.length > maxChars) {
      sets.push(current);
      current = '';
    }
    current = current === '' ? part : `${current},${part}`;
  }
  if (current !== '') sets.push(current);
  return sets;
}

/** A membership test for a UID set; "*" counts as larger than every UID. */
export function uidSetMatcher(set: string): (uid: number) => boolean {
  const ranges: [number, number][] = [];
  for (const part of set.split(',')) {
    const [a, b = a] = part.trim().split(':').map((n) => (n === '*' ? Infinity : Number(n)));
    if (a === undefined || b === undefined || Number.isNaN(a) || Number.isNaN(b)) throw new Error(`not a UID set: ${JSON.stringify(set)}`);
    ranges.push([Math.min(a, b), Math.max(a, b)]);
  }
  ranges.sort((x, y) => x[0] - y[0]);
  // merged, so the binary search below never meets overlapping ranges
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push(range);
  }
  return (uid) => {
    let lo = 0;
    let hi = merged.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const [first, last] = merged[mid]!;
      if (uid < first) hi = mid - 1;
      else if (uid > last) lo = mid + 1;
      else return true;
    }
    return false;
  };
}
