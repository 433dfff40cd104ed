// Human-readable numbers for log lines, bars and summaries.

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];

/** Decimal units, as mail clients and `du --si` show them: 4100000 → "4.1 MB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${bytes} B`;
  const text = value >= 100 ? value.toFixed(0) : value.toFixed(1);
  // 999.96 kB rounds to "1000 kB": say "1.0 MB" instead.
  if (text === '1000' && unit < UNITS.length - 1) return `1.0 ${UNITS[unit + 1]}`;
  return `${text} ${UNITS[unit]}`;
}

/** 12345 → "12.3 s"; 245000 → "4 min 05 s"; 3725000 → "1 h 02 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const h = Math.floor(totalSeconds / 3600);
  const m = Math.floor((totalSeconds % 3600) / 60);
  const s = totalSeconds % 60;
  if (h > 0) return `${h} h ${String(m).padStart(2, '0')} min`;
  return `${m} min ${String(s).padStart(2, '0')} s`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** "1 message", "2 messages". */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** ISO 8601 in UTC to the second, the way log files want it: 2026-11-23T19:20:01Z. */
export function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
