// Mirror mode deletes on B what A no longer has. If A looks broken (an empty
// mailbox after a server mishap, a wrong account, a folder recreated), or B
// holds history A never had (copy runs before, a lost state), that would wipe
// B too. So, unless the user says --force, one run never deletes more than
// half of what B holds: of a folder's messages (at least 10), of B's folders
// (at least 2), or of B's messages in the folders --delete-folders would delete
// (at least 10: one big folder is no small loss). The numbers come from the plan itself, so no path (new
// UIDVALIDITY, mode switch, lost state) goes around them (checkDeletionLimit,
// planGuarded). The guard works folder by folder: a folder that looks broken
// on A keeps its copies on B (exit 5) while the other folders sync; nothing
// account-wide stops the run (a folder deleted on A deletes nothing on B
// without --delete-folders).
// Many small folders emptied at once stay under each folder's minimum, so the
// account is counted too, before the folders sync: when A lacks more than half
// of the messages the state remembers (at least 10), every folder that lost
// messages on A keeps them on B, the others sync (accountWithholding).
// And what A lost when it went back in time (held records) is never deleted
// without --force, in any run, however little it is (planGuarded).
// Two-way deletes on both sides, each what the other expunged: the same limit
// applies to each side's deletions against what that side holds (a side that
// suddenly lost more than half of a folder makes the run refuse, exit 5), and
// a side's lost folders wait when it lost more than half of its remembered
// folders or messages (checkFolderLoss); a
// side that went back in time gets back what it lost instead (planFolder).

import { planFolder } from './planFolder.js';
import { replacesStandIn } from './planStandIns.js';
import type { FolderPlan, FolderPlanInput } from './planTypes.js';
import { other, sideLabel, SIDES, type Side } from './side.js';
import type { AccountLoss, SyncMode, Withholding } from './types.js';

/** Withhold only with at least this many messages to delete (small folders change a lot). */
export const GUARD_MIN_MESSAGES = 10;
/** Withhold only with at least this many folders to delete. */
export const GUARD_MIN_FOLDERS = 2;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Up to five names, then how many more. */
export function namesInBrief(names: readonly string[]): string {
  const sorted = [...names].sort();
  const shown = sorted.slice(0, 5).join(', ');
  return sorted.length > 5 ? `${shown} and ${sorted.length - 5} more` : shown;
}

/** More than half gone. */
function mostlyGone(remembered: number, gone: number): boolean {
  return gone * 2 > remembered;
}

/**
 * One run's deletions on B: withheld when they are at least the minimum
 * (10 messages, 2 folders) and more than half of what B holds now (the
 * folder's messages, or B's folders), unless forced. Returns what is
 * withheld and why, or undefined when the deletions may go ahead.
 */
export function checkDeletionLimit(input: {
  what: 'messages' | 'folders';
  /** The side deleted from (absent: B, as in mirror). */
  side?: Side;
  /** The mode, as the reason names it (absent: mirror). */
  mode?: SyncMode;
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
  const mode = input.mode ?? 'mirror';
  const on = sideLabel(input.side ?? 'b');
  const where = what === 'messages' ? `"${folder ?? '?'}": ${mode} would delete` : `${mode} would delete`;
  const held = what === 'messages' ? `${on} holds there` : `${on} has`;
  const reason =
    `${where} ${deleting} of the ${plural(heldOnB, what.slice(0, -1))} ${held} (more than half in one run)` +
    `${input.cause ? `; ${input.cause}` : ''}: withheld, rerun with --force to delete them`;
  return {
    what, ...(folder !== undefined && what === 'messages' && { folder }), ...(input.side === 'a' && { side: 'A' as const }),
    count: deleting, heldOnB, reason,
  };
}

/**
 * Mirror --delete-folders: the folders to delete hold at least 10 messages and
 * more than half of those B holds (its LIST-STATUS), unless forced: one big
 * folder A lost is as suspect as many small ones (checkDeletionLimit counts
 * folders only). Returns the withholding of all of them, or undefined.
 */
export function checkFolderDeletionMessages(input: {
  folders: readonly string[];
  /** Messages in the folders to delete, and in all of B's. */
  deleting: number;
  heldOnB: number;
  /** B's folders. */
  foldersOnB: number;
  force: boolean;
}): Withholding | undefined {
  const { folders, deleting, heldOnB } = input;
  if (input.force || deleting < GUARD_MIN_MESSAGES || !mostlyGone(heldOnB, deleting)) return undefined;
  return {
    what: 'folders', count: folders.length, heldOnB: input.foldersOnB,
    reason:
      `mirror would delete ${plural(folders.length, 'folder')} holding ${deleting} of the ${plural(heldOnB, 'message')} B has ` +
      `(more than half in one run); A has no folder for ${namesInBrief(folders)}: withheld, rerun with --force to delete them`,
  };
}

/**
 * Two-way: a side that lost more than half of the folders the state remembers
 * (at least 2) in one run looks broken (a wrong account, a server that lost its
 * mail store), unless forced; so does a side that lost folders while it lacks
 * more than half of the messages the state remembers on it (at least 10; the
 * messages of the folders it lost count, as do those its other folders lack:
 * one big folder gone is no small loss). Its lost folders are then neither
 * deleted on the other side nor created again on it: every pair concerned is
 * left alone (exit 5). Returns the withholding, or undefined when the losses
 * may be acted on.
 */
export function checkFolderLoss(input: {
  side: 'A' | 'B';
  lost: readonly string[];
  remembered: number;
  force: boolean;
  /** The side's messages the state remembers, and how many of them it lacks (`inLostFolders`: of those, in the lost folders). */
  messages?: { remembered: number; lacking: number; inLostFolders: number };
}): Withholding | undefined {
  const { side, lost, remembered, messages: m } = input;
  const other = side === 'A' ? 'B' : 'A';
  const byFolders = lost.length >= GUARD_MIN_FOLDERS && mostlyGone(remembered, lost.length);
  const byMessages = m !== undefined && lost.length > 0 && m.remembered >= GUARD_MIN_MESSAGES && mostlyGone(m.remembered, m.lacking);
  if (input.force || !(byFolders || byMessages)) return undefined;
  const loss = byFolders
    ? `${side} lost ${lost.length} of the ${plural(remembered, 'folder')} the state remembers`
    : `${side} lacks ${m!.lacking} of the ${plural(m!.remembered, 'message')} the state remembers, ` +
      `${m!.inLostFolders} of them in ${lost.length === 1 ? 'the folder' : `the ${lost.length} folders`} it lost`;
  return {
    // The deletions withheld are the other side's (Withholding.side: absent for B).
    what: 'folders', ...(other === 'A' && { side: other }), count: lost.length, heldOnB: remembered,
    reason:
      `${loss} (more than half in one run; ` +
      `a broken server or another account?): ${namesInBrief(lost)} neither deleted on ${other} nor created again on ${side}: ` +
      'withheld, rerun with --force to delete or recreate them',
  };
}

/** A remembered folder pair, with A's message count then (state) and now (LIST-STATUS). */
export interface AccountFolderCount {
  nameA: string;
  nameB: string;
  remembered: number;
  present: number;
  /** Two-way: the side no longer lists the folder (present is 0): its deletion on the other side waits or was decided. */
  lost?: boolean;
}

/**
 * The account-wide count again, with `movedBack` of the messages it counted
 * as lacking found in other folders of the account (moved there in this run):
 * true when the side still lacks more than half of what the state remembers.
 */
export function accountStillLacking(loss: AccountLoss, movedBack: number): boolean {
  return loss.remembered >= GUARD_MIN_MESSAGES && mostlyGone(loss.remembered, loss.lacking - movedBack);
}

/** The messages the state remembers across the folders, and how many of them are lacking now. */
export function accountTotals(folders: readonly AccountFolderCount[]): { remembered: number; lacking: number } {
  const remembered = folders.reduce((sum, f) => sum + f.remembered, 0);
  // Per folder: new mail in one folder must not hide what another lost.
  const lacking = folders.reduce((sum, f) => sum + Math.max(0, f.remembered - f.present), 0);
  return { remembered, lacking };
}

/**
 * Mirror's account-wide count (two-way: each side's): A lacks more than half of the messages the
 * state remembers in the folders A still lists (two-way: and in those the side lost; at least 10 remembered),
 * unless forced. Then every folder whose count dropped has all its deletions
 * withheld (planGuarded's withholdAll, with `reason`); the others sync.
 * Returns undefined when nothing is withheld this way.
 */
export function accountWithholding(
  folders: readonly AccountFolderCount[],
  force: boolean,
  /** The side counted (two-way counts both, each on its own). */
  side: Side = 'a',
): { reason: string; dropped: { nameA: string; nameB: string }[] } | undefined {
  const { remembered, lacking } = accountTotals(folders);
  if (force || remembered < GUARD_MIN_MESSAGES || !mostlyGone(remembered, lacking)) return undefined;
  const lost = folders.filter((f) => f.lost === true);
  const inLost = lost.reduce((sum, f) => sum + f.remembered, 0);
  const where = lost.length === 0 ? '' : `, ${inLost} of them in ${lost.length === 1 ? 'a folder' : `${lost.length} folders`} it no longer lists`;
  return {
    reason:
      `${sideLabel(side)} lacks ${lacking} of the ${plural(remembered, 'message')} the state remembers across the account${where} ` +
      `(more than half; a broken ${side === 'a' ? 'source' : 'server'}?)`,
    dropped: folders.filter((f) => f.present < f.remembered).map(({ nameA, nameB }) => ({ nameA, nameB })),
  };
}

/** The guard of one folder (planGuarded's second argument). */
export interface FolderGuard {
  folder: string;
  force: boolean;
  cause?: string;
  /** Why every deletion of this folder waits, however few (e.g. A went back in time); --force overrides. */
  withholdAll?: string;
  /** withholdAll is the account-wide count's (which the account's plan counts again without moves). */
  accountLoss?: AccountLoss;
}

/**
 * A withheld folder's plan with its deletions, and what the guard decided
 * from: the account's plan decides again once it knows which of these
 * deletions are moves to another folder of the same side (guardMoves.ts).
 */
export interface GuardRecheck {
  plan: FolderPlan;
  mode: SyncMode;
  /** What each side holds in the folder now. */
  heldOn: Record<Side, number>;
  guard: FolderGuard;
}

/**
 * Plan a folder with expunges allowed (mirror, two-way), check the plan's expunges
 * against the limit, and plan again without them when they are withheld
 * (the planner then counts them in expungesWithheld; `recheck` keeps the plan
 * with them). Pure, like the planner.
 * Messages A lost when it went back in time (held records) are never expunged
 * without --force, whatever the limit: `held` says how many and why.
 */
export function planGuarded(
  input: Omit<FolderPlanInput, 'allowExpunge' | 'expungeHeld'>,
  guard: FolderGuard,
): { plan: FolderPlan; withheld?: Withholding; held?: Withholding; recheck?: GuardRecheck } {
  const plan = planFolder({ ...input, allowExpunge: input.mode !== 'copy', expungeHeld: guard.force });
  const held = heldWithholding(plan, guard.folder, input.b.size);
  if (plan.expunges.length === 0) return { plan, ...(held && { held }) };
  const recheck: GuardRecheck = { plan, mode: input.mode, heldOn: { a: input.a.size, b: input.b.size }, guard };
  const withheld = withholdingOf(recheck, { a: 0, b: 0 }, false);
  if (!withheld) return { plan, ...(held && { held }) };
  return { plan: planFolder({ ...input, allowExpunge: false }), withheld, ...(held && { held }), recheck };
}

/**
 * The guard's decision on a plan's deletions, not counting those of each side
 * that are moves (`moved`: to another folder of the same side in this run),
 * and without the account-wide count's withholdAll when `accountCleared` (it
 * too was counted again without moves). Undefined: they may go ahead.
 */
export function withholdingOf(recheck: GuardRecheck, moved: Record<Side, number>, accountCleared: boolean): Withholding | undefined {
  const { guard } = recheck;
  const kept = accountCleared && guard.accountLoss !== undefined ? { ...guard, withholdAll: undefined } : guard;
  return SIDES.map((side) => sideWithholding(recheck, kept, side, moved[side])).find((w) => w !== undefined);
}

/**
 * The withholding of one side's deletions in a plan, if any: the limit against
 * what that side holds, or the folder's withholdAll. One side's withholding
 * withholds the folder's deletions on both sides (the run refuses, exit 5).
 */
function sideWithholding(recheck: GuardRecheck, guard: FolderGuard, side: Side, moved: number): Withholding | undefined {
  const { mode } = recheck;
  // A stand-in's expunge once its real message is in place loses nothing: not counted.
  const deleting = recheck.plan.expunges.filter((e) => e.side === side && !replacesStandIn(e)).length - moved;
  if (deleting <= 0) return undefined;
  const heldOnSide = recheck.heldOn[side];
  // The limit's reason says more (of how many the side holds); withholdAll adds its cause, or withholds alone.
  const cause = [guard.cause, guard.withholdAll].filter((c) => c !== undefined).join('; ');
  const limit = checkDeletionLimit({
    what: 'messages', side, mode, folder: guard.folder, deleting, heldOnB: heldOnSide,
    force: guard.force, ...(cause !== '' && { cause }),
  });
  if (limit !== undefined || guard.withholdAll === undefined || guard.force) return limit;
  return {
    what: 'messages', folder: guard.folder, ...(side === 'a' && { side: 'A' as const }), count: deleting, heldOnB: heldOnSide,
    reason:
      `"${guard.folder}": ${mode} would delete ${plural(deleting, 'message')} ${sideLabel(other(side))} lacks; ${guard.withholdAll}: ` +
      'withheld, rerun with --force to delete them',
  };
}

/** The plan's held records (A lost them in a rollback, or their records were lost), as one withholding with its reason. */
function heldWithholding(plan: FolderPlan, folder: string, heldOnB: number): Withholding | undefined {
  const count = plan.expungesHeld ?? 0;
  if (count === 0) return undefined;
  const unknown = plan.expungesHeldUnknown ?? 0;
  const why = [
    count > unknown &&
      `A went back in time (restored from an older backup?) and lost ${unknown > 0 ? plural(count - unknown, 'message') : 'them'}`,
    unknown > 0 &&
      `${count > unknown ? `${plural(unknown, 'message')}: ` : ''}its state section was damaged and discarded, ` +
        'and A may have lost them',
  ].filter(Boolean).join('; ');
  return {
    what: 'messages', folder, count, heldOnB,
    reason:
      `"${folder}": mirror would delete ${plural(count, 'message')} A lacks; ${why}: B may hold their only copies, ` +
      'kept until A has them again (copy them back to A), or until --force deletes them from B too',
  };
}
