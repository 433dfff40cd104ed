// Mirror mode deletes on B what A no longer has. If A looks broken (an empty
// mailbox after a server mishap, a wrong account, a folder recreated), or B
// holds history A never had (copy runs before, a lost state), that would wipe
// B too. Two rules, unless the user says --force:
// - before touching anything, refuse the run when A shows far fewer messages
//   or folders than the state remembers (checkMirrorGuard);
// - whatever led there, one run never deletes more than half of what B holds:
//   of a folder's messages (at least 10) or of B's folders (at least 2). The
//   numbers come from the plan itself, so no path (new UIDVALIDITY, mode
//   switch, lost state) goes around them (checkDeletionLimit, planGuarded).
// And what A lost when it went back in time (held records) is never deleted
// without --force, in any run, however little it is (planGuarded).

import { planFolder } from './planFolder.js';
import type { FolderPlan, FolderPlanInput } from './planTypes.js';
import type { Withholding } from './types.js';

export type GuardResult = { ok: true } | { ok: false; reason: string };

/** Withhold only with at least this many messages to delete (small folders change a lot). */
export const GUARD_MIN_MESSAGES = 10;
/** Withhold only with at least this many folders to delete (or remembered, for the pre-check). */
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
 * remembered. `rememberedA` is the message count A's status had when the
 * folder was last synced: a count, not UIDs, so a new UIDVALIDITY does not
 * hide it, and no folder's records need loading.
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
 * One run's deletions on B: withheld when they are at least the minimum
 * (10 messages, 2 folders) and more than half of what B holds now (the
 * folder's messages, or B's folders), unless forced. Returns what is
 * withheld and why, or undefined when the deletions may go ahead.
 */
export function checkDeletionLimit(input: {
  what: 'messages' | 'folders';
  /** The folder (messages only), as the user knows it. */
  folder?: string;
  deleting: number;
  heldOnB: number;
  force: boolean;
  /** Why A lacks them, when known (e.g. a new UIDVALIDITY). */
  cause?: string;
}): Withholding | undefined {
  const { what, folder, deleting, heldOnB } = input;
  const minimum = what === 'messages' ? GUARD_MIN_MESSAGES : GUARD_MIN_FOLDERS;
  if (input.force || deleting < minimum || !mostlyGone(heldOnB, deleting)) return undefined;
  const where = what === 'messages' ? `"${folder ?? '?'}": mirror would delete` : 'mirror would delete';
  const held = what === 'messages' ? 'B holds there' : 'B has';
  const reason =
    `${where} ${deleting} of the ${plural(heldOnB, what.slice(0, -1))} ${held} (more than half in one run)` +
    `${input.cause ? `; ${input.cause}` : ''}: withheld, rerun with --force to delete them`;
  return { what, ...(folder !== undefined && what === 'messages' && { folder }), count: deleting, heldOnB, reason };
}

/**
 * Plan a folder with expunges allowed (mirror), check the plan's expunges
 * against the limit, and plan again without them when they are withheld
 * (the planner then counts them in expungesWithheld). Pure, like the planner.
 * Messages A lost when it went back in time (held records) are never expunged
 * without --force, whatever the limit: `held` says how many and why.
 */
export function planGuarded(
  input: Omit<FolderPlanInput, 'allowExpunge' | 'expungeHeld'>,
  guard: {
    folder: string;
    force: boolean;
    cause?: string;
    /** Why every deletion of this folder waits, however few (e.g. A went back in time); --force overrides. */
    withholdAll?: string;
  },
): { plan: FolderPlan; withheld?: Withholding; held?: Withholding } {
  const plan = planFolder({ ...input, allowExpunge: input.mode === 'mirror', expungeHeld: guard.force });
  const held = heldWithholding(plan, guard.folder, input.b.size);
  if (plan.expunges.length === 0) return { plan, ...(held && { held }) };
  const deleting = plan.expunges.length;
  const withheld =
    guard.withholdAll !== undefined && !guard.force
      ? {
          what: 'messages' as const, folder: guard.folder, count: deleting, heldOnB: input.b.size,
          reason:
            `"${guard.folder}": mirror would delete ${plural(deleting, 'message')} A lacks; ${guard.withholdAll}: ` +
            'withheld, rerun with --force to delete them',
        }
      : checkDeletionLimit({
          what: 'messages', folder: guard.folder, deleting, heldOnB: input.b.size,
          force: guard.force, ...(guard.cause !== undefined && { cause: guard.cause }),
        });
  if (!withheld) return { plan, ...(held && { held }) };
  return { plan: planFolder({ ...input, allowExpunge: false }), withheld, ...(held && { held }) };
}

/** The plan's held records (A lost them in a rollback), as one withholding with its reason. */
function heldWithholding(plan: FolderPlan, folder: string, heldOnB: number): Withholding | undefined {
  const count = plan.expungesHeld ?? 0;
  if (count === 0) return undefined;
  return {
    what: 'messages', folder, count, heldOnB,
    reason:
      `"${folder}": mirror would delete ${plural(count, 'message')} A lacks; A went back in time ` +
      '(restored from an older backup?) and lost them: kept on B until A has them again, ' +
      'rerun with --force to delete them',
  };
}
