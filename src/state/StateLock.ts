// The lock that keeps two runs (two cron jobs, a cron job and a user) from
// using one state file at once: `<state>.lock`, holding "<pid> <host>".
//
// Taking it: the content is written to a private temp file first and then
// hard-linked to the lock name, so the lock never exists half-written (link
// fails with EEXIST when the lock is there; where links are unsupported we fall
// back to O_EXCL).
//
// Taking over a stale lock (its PID is gone on this host) must not let two
// racing runs both win, nor let one remove the fresh lock another has just
// made. So only one run may remove a given stale lock: the one that creates
// the claim file `<lock>.takeover-<inode>-<k>` (exclusively, k = 1, 2, …; a
// claim whose owner died is skipped, never removed by others). Nobody else
// removes that lock, and nobody can create one while it exists, so after
// checking that the lock still is that inode with that content, the claimant
// can remove it and compete, like everyone else, to create a new one.
import { randomBytes } from 'node:crypto';
import { link, open, readFile, readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { StateError } from '../errors.js';

const GARBAGE_STALE_AFTER_MS = 60_000;
/** A process that started this long after the lock was written cannot be its owner (PID reused). */
const PID_REUSE_SLACK_S = 5;
/** How long to wait for a lock that is being written or taken over by another run. */
const BUSY_WAIT_MS = 2000;

type LockInfo =
  | { kind: 'gone' }
  | { kind: 'live'; pid: number; host: string }
  | { kind: 'stale'; ino: number; content: string; reason: string }
  | { kind: 'unreadable' };

export class StateLock {
  private released = false;
  private constructor(
    readonly lockPath: string,
    private readonly content: string,
  ) {}

  /** Takes the lock for `statePath`; `warning` is set when a stale lock was taken over. */
  static async acquire(statePath: string): Promise<{ lock: StateLock; warning?: string }> {
    const lockPath = `${statePath}.lock`;
    const content = ownerLine();
    let warning: string | undefined;
    const started = Date.now();
    for (let attempt = 0; attempt < 100; attempt++) {
      if (await createExclusive(lockPath, content)) {
        await removeDeadLeftovers(lockPath);
        const lock = new StateLock(lockPath, content);
        return warning === undefined ? { lock } : { lock, warning };
      }
      const info = await inspect(lockPath);
      if (info.kind === 'gone') continue;
      if (info.kind === 'live') {
        const where = info.host === hostname() ? '' : ` on host ${info.host}`;
        throw new StateError(`another replimap run (pid ${info.pid}${where}) is already using ${statePath}; if none is running, remove ${lockPath}`);
      }
      if (info.kind === 'stale') {
        const outcome = await takeOver(lockPath, info.ino, info.content);
        if (outcome === 'removed') warning = `took over the stale lock ${lockPath} (${info.reason})`;
        if (outcome !== 'busy') continue;
      }
      // Unreadable (only a crash while it was written, e.g. a power loss, can
      // leave it so), or another run is taking it over: give that a moment.
      if (Date.now() - started > BUSY_WAIT_MS) {
        if (info.kind === 'unreadable') {
          throw new StateError(`lock file ${lockPath} is unreadable and less than a minute old; if no replimap run is active, remove it`);
        }
        break;
      }
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
    }
    throw new StateError(`could not take the lock ${lockPath}: other runs keep changing it`);
  }

  /** Removes the lock if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    let current: string;
    try {
      current = await readFile(this.lockPath, 'utf8');
    } catch {
      return;
    }
    if (current === this.content) await unlink(this.lockPath).catch(() => undefined);
  }
}

function ownerLine(): string {
  return `${process.pid} ${hostname()}\n`;
}

/** Creates `target` holding `content`, complete from its first instant; false if it exists. */
async function createExclusive(target: string, content: string): Promise<boolean> {
  const tmp = `${target}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, target);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    // No hard links here (some network or FUSE file systems): O_EXCL instead.
    try {
      const fh = await open(target, 'wx', 0o600);
      try {
        await fh.writeFile(content);
      } finally {
        await fh.close();
      }
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function parseOwner(text: string): { pid: number; host: string } | null {
  const m = /^([0-9]{1,10}) (\S+)\n?$/.exec(text) ?? /^([0-9]{1,10})\n?$/.exec(text);
  if (m === null || Number(m[1]) <= 0) return null;
  return { pid: Number(m[1]), host: m[2] ?? hostname() };
}

async function inspect(lockPath: string): Promise<LockInfo> {
  let text: string;
  let st;
  try {
    st = await stat(lockPath);
    text = await readFile(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw new StateError(`cannot read lock file ${lockPath}: ${(e as Error).message}`, { cause: e });
  }
  const owner = parseOwner(text);
  if (owner === null) {
    if (Date.now() - st.mtimeMs > GARBAGE_STALE_AFTER_MS) return { kind: 'stale', ino: st.ino, content: text, reason: 'it held no PID' };
    return { kind: 'unreadable' };
  }
  const { pid, host } = owner;
  // A PID on another host cannot be checked from here: treat it as running.
  if (host !== hostname()) return { kind: 'live', pid, host };
  if (!isRunning(pid)) return { kind: 'stale', ino: st.ino, content: text, reason: `pid ${pid} is no longer running` };
  const started = await processStartSeconds(pid);
  if (started !== undefined && started > st.mtimeMs / 1000 + PID_REUSE_SLACK_S) {
    return { kind: 'stale', ino: st.ino, content: text, reason: `pid ${pid} now belongs to a process started after the lock was written` };
  }
  return { kind: 'live', pid, host };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** Whether the owner named in a lock or claim file (this host only) may still be running. */
function ownerMayLive(text: string): boolean {
  const owner = parseOwner(text);
  if (owner === null) return false; // claims are written whole: garbage means a crash
  return owner.host !== hostname() || isRunning(owner.pid);
}

/** When `pid` started (Unix seconds), from /proc on Linux; undefined elsewhere. */
async function processStartSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime, in clock ticks since boot) counts from after the
    // parenthesised command name, which may itself hold spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
    if (!Number.isFinite(ticks) || btime === null) return undefined;
    return Number(btime[1]) + ticks / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * Removes the stale lock (inode `ino`, text `content`) if this run wins the
 * claim on it. 'busy': a live run holds the claim; 'lost': the lock is no
 * longer that file (someone else removed or replaced it).
 */
async function takeOver(lockPath: string, ino: number, content: string): Promise<'removed' | 'lost' | 'busy'> {
  const claims: string[] = [];
  try {
    for (let k = 1; ; k++) {
      if (k > 50) throw new StateError(`cannot take over the stale lock ${lockPath}: too many abandoned ${lockPath}.takeover-* files; remove them`);
      const claim = `${lockPath}.takeover-${ino}-${k}`;
      if (await createExclusive(claim, ownerLine())) {
        claims.push(claim);
        break;
      }
      let holder: string;
      try {
        holder = await readFile(claim, 'utf8');
      } catch {
        return 'lost'; // cleaned up by the run that won: the lock is fresh now
      }
      if (ownerMayLive(holder)) return 'busy';
      claims.push(claim); // abandoned by a run that died: skip it, clean it up if we win
    }
    // Ours alone to remove, if it still is the file judged stale.
    let st;
    let text: string;
    try {
      st = await stat(lockPath);
      text = await readFile(lockPath, 'utf8');
    } catch {
      return 'lost';
    }
    if (st.ino !== ino || text !== content) return 'lost';
    await unlink(lockPath);
    return 'removed';
  } finally {
    for (const c of claims) await unlink(c).catch(() => undefined);
  }
}

/** Temp and claim files left next to the lock by runs that were killed. */
async function removeDeadLeftovers(lockPath: string): Promise<void> {
  const dir = dirname(lockPath);
  const prefix = `${basename(lockPath)}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const rest = name.slice(prefix.length);
    const path = join(dir, name);
    const temp = /^(?:takeover-\d+-\d+\.)?(\d+)-[0-9a-f]{8}$/.exec(rest);
    if (temp) {
      if (!isRunning(Number(temp[1]))) await unlink(path).catch(() => undefined);
    } else if (/^takeover-\d+-\d+$/.test(rest)) {
      const text = await readFile(path, 'utf8').catch(() => null);
      if (text !== null && !ownerMayLive(text)) await unlink(path).catch(() => undefined);
    }
  }
}
