// One line about a finished folder, shared by the plain and terminal reporters.

import type { FolderResult } from '../../sync/types.js';
import { formatBytes, plural } from './format.js';

/** "INBOX: copied 120 messages (4.1 MB), 3 flags updated"; undefined when nothing happened. */
export function folderResultLine(r: FolderResult): string | undefined {
  const parts: string[] = [];
  if (r.copied > 0) parts.push(`copied ${plural(r.copied, 'message')} (${formatBytes(r.bytes)})`);
  if (r.transferred > 0) parts.push(`moved/copied ${plural(r.transferred, 'message')} on the server`);
  if (r.flagsUpdated > 0) parts.push(`updated flags of ${plural(r.flagsUpdated, 'message')}`);
  if (r.expunged > 0) parts.push(`expunged ${plural(r.expunged, 'message')}`);
  if ((r.reassigned ?? []).length > 0) parts.push(`gave ${plural(r.reassigned!.length, 'message')} at a reused UID a new UID`);
  if (r.failed > 0) parts.push(`${r.failed} failed`);
  return parts.length > 0 ? `${r.folder}: ${parts.join(', ')}` : undefined;
}
