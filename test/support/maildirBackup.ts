// A server's whole Maildir (indexes and dovecot-uidlist included) copied away
// and put back with the server stopped: a restore from an older backup, so the
// server really goes back in time (UIDNEXT, HIGHESTMODSEQ).

import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DovecotServer } from './dovecot.js';
import { tempDir } from './sync.js';

/** A backup of the user's whole Maildir, taken with the server stopped. */
export async function backupMaildir(server: DovecotServer): Promise<string> {
  const copy = join(tempDir('replimap-backup-'), 'Maildir');
  await server.restart(async () => {
    execFileSync('cp', ['-a', server.maildirOf(), copy]);
  });
  return copy;
}

/** Puts the backup back, the server stopped meanwhile. */
export async function restoreMaildir(server: DovecotServer, copy: string): Promise<void> {
  await server.restart(async () => {
    rmSync(server.maildirOf(), { recursive: true, force: true });
    execFileSync('cp', ['-a', copy, server.maildirOf()]);
  });
}
