// The text of a failed write to the state's files, with what to do about it
// when the cause is a full disk or quota: the user must hear that, not guess.

const NO_SPACE = new Set(['ENOSPC', 'EDQUOT']);

/** `<what>: <system message>`, plus a hint when the disk or quota is full. */
export function writeFailureText(what: string, e: unknown): string {
  const text = `${what}: ${(e as Error).message}`;
  if (!NO_SPACE.has((e as NodeJS.ErrnoException).code ?? '')) return text;
  return `${text}; free some space and run again (nothing is lost: what this run copied is found on B by global id, not copied twice)`;
}
