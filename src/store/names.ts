// Names every layer must compare the same way: INBOX, which is
// case-insensitive (RFC 3501) while every other folder name is exact, and
// listed first; \Recent, which is session state: never stored, sent or
// compared.

export function isInbox(name: string): boolean {
  return name.toUpperCase() === 'INBOX';
}

/** "INBOX" for any spelling of it; every other name as it is. */
export function canonicalInbox(name: string): string {
  return isInbox(name) ? 'INBOX' : name;
}

/** Sort order of folder names: INBOX first, then by code unit (so children follow their parent). */
export function inboxFirst(x: string, y: string): number {
  return Number(isInbox(y)) - Number(isInbox(x)) || (x < y ? -1 : x > y ? 1 : 0);
}

/** The system flags of RFC 3501/9051 that are message state (\Recent is not), in canonical spelling and order. */
export const SYSTEM_FLAGS = ['\\Answered', '\\Deleted', '\\Draft', '\\Flagged', '\\Seen'] as const;

export function isRecent(flag: string): boolean {
  return flag.toLowerCase() === '\\recent';
}

export function withoutRecent(flags: readonly string[]): string[] {
  return flags.filter((flag) => !isRecent(flag));
}

/** A message's flags as a store reports them: each once, without \Recent, in code-unit order. */
export function reportedFlags(flags: Iterable<string>): string[] {
  return [...new Set(withoutRecent([...flags]))].sort();
}
