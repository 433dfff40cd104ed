// Fast seeding for benchmarks: writes a Maildir tree (LAYOUT=fs) straight to
// disk instead of APPENDing 100,000 messages over IMAP, then lets Dovecot index it.
//
// What Dovecot reads back from such a tree (checked by bench/seedCheck.ts):
// - bytes: the file as written (we write CRLF line ends, so IMAP sees the same bytes);
// - RFC822.SIZE: the `,W=` field of the file name, which must count CRLF line ends;
// - flags: the letters after ":2," (D F R S T), keywords as letters a-z indexing
//   the folder's dovecot-keywords file;
// - INTERNALDATE: the file's mtime;
// - UIDs: the order of dovecot-uidlist, which we write ourselves so every copy of
//   a template gets the same UIDs and UIDVALIDITY.

import { randomBytes } from 'node:crypto';
import { chown, copyFile, link, lstat, mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SeedMessage {
  /** Folder name with '/' as separator; 'INBOX' for the inbox. */
  folder: string;
  raw: Buffer;
  /** IMAP flags: system flags (\Seen …) and keywords. */
  flags: string[];
  internalDate: Date;
}

export interface SeedOptions {
  /** Owner of everything written (the user Dovecot's mail processes run as). */
  uid?: number;
  gid?: number;
  /** UIDVALIDITY of every folder; default 1700000000. */
  uidValidity?: number;
}

const SYSTEM_FLAG_LETTERS: Record<string, string> = {
  '\\Draft': 'D',
  '\\Flagged': 'F',
  '\\Answered': 'R',
  '\\Seen': 'S',
  '\\Deleted': 'T',
};

/** Size as IMAP counts it: every bare LF becomes CRLF. */
export function virtualSize(raw: Buffer): number {
  let bareLf = 0;
  for (let i = raw.indexOf(10); i >= 0; i = raw.indexOf(10, i + 1)) {
    if (i === 0 || raw[i - 1] !== 13) bareLf++;
  }
  return raw.length + bareLf;
}

function folderDir(root: string, folder: string): string {
  if (folder === 'INBOX') return root;
  if (folder.split('/').some((part) => part === '' || part === '.' || part === '..' || /[^\x20-\x7e]/.test(part))) {
    throw new Error(`maildir seeder: unsupported folder name ${JSON.stringify(folder)} (printable ASCII segments only)`);
  }
  return join(root, ...folder.split('/'));
}

interface FolderPlan {
  dir: string;
  keywords: Map<string, number>;
  files: string[];
}

/**
 * Writes `messages` into the Maildir `root` (which may already exist but must
 * not contain these folders yet). Returns the number of messages per folder.
 */
export async function writeMaildir(root: string, messages: Iterable<SeedMessage>, options: SeedOptions = {}): Promise<Map<string, number>> {
  const folders = new Map<string, FolderPlan>();
  const uidValidity = options.uidValidity ?? 1_700_000_000;
  const owned: string[] = [];
  let serial = 0;

  const planFor = async (folder: string): Promise<FolderPlan> => {
    let plan = folders.get(folder);
    if (plan) return plan;
    const dir = folderDir(root, folder);
    // Create every level so owners can be fixed on each (Dovecot must write into them).
    const parts = folder === 'INBOX' ? [] : folder.split('/');
    for (let i = 0; i <= parts.length; i++) {
      const level = join(root, ...parts.slice(0, i));
      await mkdir(level, { recursive: true });
      owned.push(level);
    }
    for (const sub of ['cur', 'new', 'tmp']) {
      await mkdir(join(dir, sub), { recursive: true });
      owned.push(join(dir, sub));
    }
    plan = { dir, keywords: new Map(), files: [] };
    folders.set(folder, plan);
    return plan;
  };

  for (const message of messages) {
    const plan = await planFor(message.folder);
    const letters: string[] = [];
    for (const flag of message.flags) {
      if (flag === '\\Recent') continue;
      const system = SYSTEM_FLAG_LETTERS[flag];
      if (system) {
        letters.push(system);
        continue;
      }
      if (flag.startsWith('\\')) throw new Error(`maildir seeder: unknown system flag ${flag}`);
      let index = plan.keywords.get(flag);
      if (index === undefined) {
        index = plan.keywords.size;
        if (index >= 26) throw new Error(`maildir seeder: more than 26 keywords in ${message.folder}`);
        plan.keywords.set(flag, index);
      }
      letters.push(String.fromCharCode(97 + index));
    }
    serial++;
    const seconds = Math.floor(message.internalDate.getTime() / 1000);
    const base = `${seconds}.M${serial}P${process.pid}.bench,S=${message.raw.length},W=${virtualSize(message.raw)}`;
    const name = `${base}:2,${[...new Set(letters)].sort().join('')}`;
    const file = join(plan.dir, 'cur', name);
    await writeFile(file, message.raw);
    await utimes(file, message.internalDate, message.internalDate);
    owned.push(file);
    plan.files.push(base);
  }

  const counts = new Map<string, number>();
  for (const [folder, plan] of folders) {
    const guid = randomBytes(16).toString('hex');
    const lines = [`3 V${uidValidity} N${plan.files.length + 1} G${guid}`];
    plan.files.forEach((base, i) => lines.push(`${i + 1} :${base}`));
    await writeFile(join(plan.dir, 'dovecot-uidlist'), lines.join('\n') + '\n');
    owned.push(join(plan.dir, 'dovecot-uidlist'));
    if (plan.keywords.size > 0) {
      const kw = [...plan.keywords].map(([keyword, index]) => `${index} ${keyword}`).join('\n') + '\n';
      await writeFile(join(plan.dir, 'dovecot-keywords'), kw);
      owned.push(join(plan.dir, 'dovecot-keywords'));
    }
    counts.set(folder, plan.files.length);
  }
  if (options.uid !== undefined && options.gid !== undefined) {
    for (const path of new Set(owned)) await chown(path, options.uid, options.gid);
  }
  return counts;
}

/**
 * Clones a Maildir tree: message files (under cur/ and new/) are hard links,
 * which is safe because Dovecot never rewrites a message file in place (a flag
 * change renames the link in the clone only); everything else (uidlist, keyword
 * file, indexes) is copied, since Dovecot appends to those in place.
 */
export async function cloneMaildir(from: string, to: string, owner?: { uid: number; gid: number }): Promise<void> {
  await mkdir(to, { recursive: true });
  if (owner) await chown(to, owner.uid, owner.gid);
  const entries = await readdir(from, { withFileTypes: true });
  const parent = from.split('/').pop();
  for (const entry of entries) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory()) {
      await cloneMaildir(src, dst, owner);
    } else if (entry.isFile()) {
      if (parent === 'cur' || parent === 'new') {
        await link(src, dst);
      } else {
        await copyFile(src, dst);
        const st = await lstat(src);
        await utimes(dst, st.atime, st.mtime);
        if (owner) await chown(dst, owner.uid, owner.gid);
      }
    }
  }
}
