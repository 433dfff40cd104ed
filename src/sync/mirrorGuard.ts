// Mirror mode deletes on B what A no longer has. If A looks broken (an empty
// mailbox after a server mishap, a wrong account, folders gone), that would
// wipe B too: refuse, unless the user says --force.

export type GuardResult = { ok: true } | { ok: false; reason: string };

/** Refuse only with at least this many remembered messages (small folders change a lot). */
export const GUARD_MIN_MESSAGES = 10;
/** Refuse only with at least this many remembered folders. */
export const GUARD_MIN_FOLDERS = 2;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** More than half gone. */
function mostlyGone(remembered: number, gone: number): boolean {
  return gone * 2 > remembered;
}

/**
 * The whole run: refuse when A shows far fewer messages or folders than the
 * state remembers. Messages: more than 50% of the remembered ones gone, when
 * at least 10 were remembered (a folder's new messages do not hide another
 * folder's losses). Folders: more than 50% gone, when at least 2 were
 * remembered.
 */
export function checkMirrorGuard(input: {
  folders: { name: string; rememberedA: number; presentA: number }[];
  rememberedFolders: number;
  presentFolders: number;
  force: boolean;
}): GuardResult {
  if (input.force) return { ok: true };
  const remembered = input.folders.reduce((sum, f) => sum + f.rememberedA, 0);
  const gone = input.folders.reduce((sum, f) => sum + Math.max(0, f.rememberedA - f.presentA), 0);
  const foldersGone = Math.max(0, input.rememberedFolders - input.presentFolders);
  if (input.rememberedFolders >= GUARD_MIN_FOLDERS && mostlyGone(input.rememberedFolders, foldersGone)) {
    return {
      ok: false,
      reason:
        `A shows ${input.presentFolders} of the ${plural(input.rememberedFolders, 'folder')} the state remembers ` +
        `(${foldersGone} gone), so mirror mode refuses to delete anything on B; use --force to mirror anyway.`,
    };
  }
  if (remembered >= GUARD_MIN_MESSAGES && mostlyGone(remembered, gone)) {
    return {
      ok: false,
      reason:
        `A lacks ${gone} of the ${plural(remembered, 'message')} the state remembers (more than half), ` +
        `so mirror mode refuses to delete anything on B; use --force to mirror anyway.`,
    };
  }
  return { ok: true };
}

/**
 * One folder: may mirror mode expunge in it? Not when more than 50% of the
 * folder's remembered A messages are gone and at least 10 messages would be
 * deleted on B, unless forced. `wouldDelete` defaults to the number gone; the
 * engine may pass the exact count once a plan is known (plan, check, and
 * re-plan with allowExpunge false when refused).
 */
export function checkFolderExpungeGuard(input: {
  name?: string;
  rememberedA: number;
  presentA: number;
  wouldDelete?: number;
  force: boolean;
}): GuardResult {
  if (input.force) return { ok: true };
  const gone = Math.max(0, input.rememberedA - input.presentA);
  const wouldDelete = input.wouldDelete ?? gone;
  if (wouldDelete >= GUARD_MIN_MESSAGES && mostlyGone(input.rememberedA, gone)) {
    const where = input.name === undefined ? 'a folder' : `folder "${input.name}"`;
    return {
      ok: false,
      reason:
        `A lacks ${gone} of the ${plural(input.rememberedA, 'message')} the state remembers in ${where} (more than half), ` +
        `so mirror mode does not delete its ${plural(wouldDelete, 'message')} on B; use --force to delete them anyway.`,
    };
  }
  return { ok: true };
}
