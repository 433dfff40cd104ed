// Small distinct messages for sync tests: "<tag> <n>", each with its own
// Message-ID, so a test can tell which ones ended up where.

export function taggedMessage(n: number, tag: string): string {
  return [
    `From: <m${n}@example.org>`,
    `Subject: ${tag} ${n}`,
    `Date: Tue, 3 Mar 2026 09:00:${String(n % 60).padStart(2, '0')} +0100`,
    `Message-ID: <${tag}.${n}@example.org>`,
    '',
    `${tag} body ${n}`,
    '',
  ].join('\r\n');
}

/** `count` tagged messages numbered from `from`, ready for seedFolder. */
export function taggedMessages(tag: string, count: number, from = 0): { raw: string }[] {
  return Array.from({ length: count }, (_, i) => ({ raw: taggedMessage(from + i, tag) }));
}
