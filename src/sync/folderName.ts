// A folder name of one store as the other store spells it: namespace prefix,
// hierarchy separator, and a reversible escape for a name part that contains
// the other store's separator. Pure.
//
// The escape (the one of Dovecot's listescape plugin): in a name part, the
// target's separator becomes '\' and its two lowercase hex digits ('.' → "\2e",
// '/' → "\2f"), and a '\' already followed by two hex digits becomes "\5c", so
// the rule can always be undone. It applies only between stores with different
// separators: names that need no escape keep the spelling they always had.

import { isInbox } from '../store/names.js';
import type { NamespaceInfo } from '../store/types.js';

/** How one store spells folder names: its personal namespace prefix and separator (null: flat). */
export type NameSpelling = NamespaceInfo;

const ESCAPED_BACKSLASH = /\\(?=[0-9A-Fa-f]{2})/g;
const ESCAPE = /\\([0-9A-Fa-f]{2})/g;

function hexOf(char: string): string {
  return '\\' + char.charCodeAt(0).toString(16).padStart(2, '0');
}

/** One name part with `separator` (a single ASCII character other than '\') escaped. */
export function escapeNamePart(part: string, separator: string): string {
  return part.replace(ESCAPED_BACKSLASH, '\\5c').split(separator).join(hexOf(separator));
}

/** The inverse of escapeNamePart: every '\' + two hex digits becomes that character. */
export function unescapeNamePart(part: string): string {
  return part.replace(ESCAPE, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** The escape is used between stores whose separators differ, when the target has one. */
function escapes(from: string | null, to: string | null): to is string {
  return to !== null && to !== '' && to !== from;
}

function withoutPrefix(name: string, prefix: string): string {
  return prefix !== '' && name.startsWith(prefix) && name.length > prefix.length ? name.slice(prefix.length) : name;
}

function split(name: string, sep: string | null): string[] {
  return sep === null || sep === '' ? [name] : name.split(sep);
}

/** Why a name cannot be spelled on the target at all, or undefined when it can. */
export function untranslatableReason(name: string, from: NameSpelling, to: NameSpelling): string | undefined {
  // "\5c" itself holds a '\': with '\' as the target's separator the escape cannot work.
  if (isInbox(name) || to.delimiter !== '\\' || !escapes(from.delimiter, to.delimiter)) return undefined;
  if (!split(withoutPrefix(name, from.prefix), from.delimiter).some((part) => part.includes('\\'))) return undefined;
  return `a part of the name holds '\\', the separator of the other store`;
}

/** Prefix and separator of `from` swapped for `to`'s, each name part spelled by `part` when escapes apply. */
function respell(name: string, from: NameSpelling, to: NameSpelling, part: (p: string, sep: string) => string): string {
  if (isInbox(name)) return 'INBOX';
  const parts = split(withoutPrefix(name, from.prefix), from.delimiter);
  const spelled = escapes(from.delimiter, to.delimiter) ? parts.map((p) => part(p, to.delimiter!)) : parts;
  return to.prefix + spelled.join(to.delimiter ?? from.delimiter ?? '');
}

/**
 * A folder name of `from` as `to` spells it: INBOX stays INBOX; otherwise strip
 * from's prefix (when the name has it), split at from's separator, escape to's
 * separator in each part (see above), join with to's separator, add to's prefix.
 * A flat target cannot express hierarchy: from's separator stays in the name.
 * E.g. "INBOX.Archive.2019" ("INBOX.", '.') → "Archive/2019" ("", '/');
 * "v1.2/notes" ("", '/') → "v1\2e2.notes" ("", '.').
 */
export function translateFolderName(name: string, from: NameSpelling, to: NameSpelling): string {
  return respell(name, from, to, escapeNamePart);
}

/**
 * How versions before the escape spelled a name on the target: a part holding
 * the target's separator had '_' in its place (not reversible, and it collided
 * with a real "dot_name"). Only to recognise B folders such a version made.
 */
export function legacyFolderName(name: string, from: NameSpelling, to: NameSpelling): string {
  return respell(name, from, to, (p, sep) => p.split(sep).join('_'));
}

/**
 * The inverse of translateFolderName: a name as `to` spells it, back in
 * `from`'s spelling (for every name translateFolderName gives, exactly).
 */
export function translateFolderNameBack(name: string, to: NameSpelling, from: NameSpelling): string {
  if (isInbox(name)) return 'INBOX';
  const parts = split(withoutPrefix(name, to.prefix), to.delimiter);
  const spelled = escapes(from.delimiter, to.delimiter) ? parts.map(unescapeNamePart) : parts;
  return from.prefix + spelled.join(from.delimiter ?? to.delimiter ?? '');
}

/**
 * The name on `from` whose translation to `to` is exactly `name`, for a folder
 * only `to` has that is to be created on `from` (two-way), or why there is
 * none: a name part holding `from`'s separator, or a spelling the translation
 * never gives (which the next run would map onto another folder).
 */
export function untranslatedName(name: string, to: NameSpelling, from: NameSpelling): { name: string } | { reason: string } {
  if (isInbox(name)) return { name: 'INBOX' };
  const back = translateFolderNameBack(name, to, from);
  if (untranslatableReason(back, from, to) === undefined && translateFolderName(back, from, to) === name) return { name: back };
  const sep = from.delimiter;
  const parts = split(withoutPrefix(name, to.prefix), to.delimiter);
  if (sep !== null && sep !== '' && sep !== to.delimiter && parts.some((p) => p.includes(sep))) {
    return { reason: `a part of the name holds '${sep}', the separator of the other store` };
  }
  return { reason: 'no name on the other store maps back onto it' };
}
