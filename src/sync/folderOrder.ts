// The order folder pairs are read and acted on (issue 9 §1): the user's
// --priority globs first, in the order given, then INBOX, then the special-use
// \Sent and \Drafts folders, then the rest, most recently changed first. What
// "recently changed" means is the caller's `recency` (higher first): the read
// phase knows only LIST-STATUS (new UIDs since the state), the act phase knows
// the newest INTERNALDATE it is about to copy. Pure.

import picomatch from 'picomatch';
import { inboxFirst, isInbox } from '../store/names.js';
import type { SpecialUse } from '../store/types.js';

/** What the order looks at of one folder pair. */
export interface OrderedFolder {
  /** A's name as `replimap list` shows it (what --priority, like --include, matches). */
  name: string;
  /** A's special-use attribute, if any. */
  specialUse?: SpecialUse | undefined;
  /** How recently the pair changed, higher first; ties keep INBOX-first name order. */
  recency: number;
}

/** After the --priority globs: INBOX, then \Sent, then \Drafts, then the rest. */
const FIXED_TIERS = 4;

/** `items` in priority order (a new array); `describe` says what the order looks at of each. */
export function priorityOrder<T>(items: readonly T[], describe: (item: T) => OrderedFolder, priority: readonly string[]): T[] {
  const tier = tierRule(priority);
  const keyed = items.map((item) => {
    const folder = describe(item);
    return { item, folder, tier: tier(folder) };
  });
  keyed.sort((x, y) => x.tier - y.tier || compareRecency(x.folder.recency, y.folder.recency) || inboxFirst(x.folder.name, y.folder.name));
  return keyed.map((k) => k.item);
}

/** A folder's tier under `priority` (lower first): what the account's copy queue orders by before dates (copyQueue.ts). */
export function tierRule(priority: readonly string[]): (folder: Pick<OrderedFolder, 'name' | 'specialUse'>) => number {
  const matchers = priority.map((glob) => picomatch(glob, { dot: true }));
  return (folder) => tierOf(folder, matchers);
}

/** The folder's tier: the first --priority glob it matches, else INBOX, \Sent, \Drafts or the rest. */
function tierOf(folder: Pick<OrderedFolder, 'name' | 'specialUse'>, matchers: readonly ((name: string) => boolean)[]): number {
  const glob = matchers.findIndex((matches) => matches(folder.name));
  if (glob >= 0) return glob;
  const base = matchers.length;
  if (isInbox(folder.name)) return base;
  if (folder.specialUse === '\\Sent') return base + 1;
  if (folder.specialUse === '\\Drafts') return base + 2;
  return base + FIXED_TIERS - 1;
}

/** Higher recency first; NaN (unknown) last. */
function compareRecency(x: number, y: number): number {
  const a = Number.isNaN(x) ? -Infinity : x;
  const b = Number.isNaN(y) ? -Infinity : y;
  return a === b ? 0 : b > a ? 1 : -1;
}
