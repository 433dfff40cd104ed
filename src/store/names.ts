// Names every layer must compare the same way: INBOX, which is
// case-insensitive (RFC 3501) while every other folder name is exact, and
// \Recent, which is session state: never stored, sent or compared.

export function isInbox(name: string): boolean {
  return name.toUpperCase() === 'INBOX';
}

/** "INBOX" for any spelling of it; every other name as it is. */
export function canonicalInbox(name: string): string {
  return isInbox(name) ? 'INBOX' : name;
}

export function isRecent(flag: string): boolean {
  return flag.toLowerCase() === '\\recent';
}

export function withoutRecent(flags: readonly string[]): string[] {
  return flags.filter((flag) => !isRecent(flag));
}
