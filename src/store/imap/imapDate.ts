// IMAP date-time ("17-Jul-1996 02:44:25 -0700", RFC 3501 date-time), as
// INTERNALDATE arrives in FETCH and goes out in APPEND. Parsed by hand: Date's
// own parser accepting this format is a V8 accident, not a promise.

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** UTC, with the day padded by a space as the grammar's date-day-fixed allows: " 1-Jan-2020 09:00:00 +0000". */
export function formatImapDateTime(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new Error('invalid internal date');
  const pad = (n: number): string => String(n).padStart(2, '0');
  const day = String(date.getUTCDate()).padStart(2, ' ');
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())}`;
  return `${day}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${time} +0000`;
}

/** A day (YYYY-MM-DD) as a SEARCH date ("1-Sep-2026"). */
export function searchDate(day: string): string {
  const [year, month, date] = day.split('-').map(Number);
  return `${date}-${MONTHS[month! - 1]}-${year}`;
}

/** Parses an IMAP date-time; undefined when the text is not one. */
export function parseImapDateTime(text: string): Date | undefined {
  const match = /^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\s*$/.exec(text);
  if (!match) return undefined;
  const month = MONTHS.findIndex((m) => m.toLowerCase() === match[2]!.toLowerCase());
  if (month < 0) return undefined;
  const [day, year, hours, minutes, seconds, zoneHours, zoneMinutes] = [1, 3, 4, 5, 6, 8, 9].map((i) => Number(match[i]));
  const utc = Date.UTC(year!, month, day!, hours!, minutes!, seconds!);
  const offset = (match[7] === '-' ? -1 : 1) * (zoneHours! * 60 + zoneMinutes!) * 60_000;
  return new Date(utc - offset);
}
