// Folder selection by the user's --include / --exclude globs, matched against
// A's folder names as `replimap list` shows them.

import picomatch from 'picomatch';
import type { FolderFilter } from './types.js';

/**
 * The names that pass the filter, in their original order. Globs follow
 * picomatch with dot:true: `*` does not cross '/', `**` does, and a leading
 * '.' is an ordinary character. No include glob means every folder; an
 * exclude match always wins. INBOX is matched like any other name (case
 * included).
 */
export function selectFolders(names: readonly string[], filter: FolderFilter): string[] {
  const options = { dot: true };
  const included = filter.include.length === 0 ? () => true : picomatch(filter.include, options);
  const excluded = filter.exclude.length === 0 ? () => false : picomatch(filter.exclude, options);
  return names.filter((name) => included(name) && !excluded(name));
}
