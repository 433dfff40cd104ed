// The lock that keeps two runs (two cron jobs, a cron job and a user) from
// using one state file at once: `<state>.lock`, holding "<pid> <host>".
//
// Taking it: the content is written to a private temp file first and then
// hard-linked to the lock name, so the lock never exists half-written (link
// fails with EEXIST when the lock is there; where links are unsupported we fall
// back to O_EXCL). A lock whose PID is gone on this host is stale: it is
// renamed aside and, only if what was renamed is the very file (inode) that
// was judged stale, removed. If a racing run had already replaced it with its
// own fresh lock, that lock is linked back. (A third run creating a lock in
// the instant between those two steps is the one case not covered.)
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { StateError } from '../errors.js';

const GARBAGE_STALE_AFTER_MS = 60_000;
/** A process that started this long after the lock was written cannot be its owner (PID reused). */
const PID_REUSE_SLACK_S = 5;

type LockInfo =
  | { kind: 'gone' }
  | { kind: 'live'; pid: number; host: string }
  | { kind: 'stale'; ino: number; reason: string }
  | { kind: 'unreadable'; ino: number };

export class StateLock {
  private released = false;
  private constructor(
    readonly lockPath: string,
    private readonly content: string,
  ) {}

  /** Takes the lock for `statePath`; `warning` is set when a stale lock was taken over. */
  static async acquire(statePath: string): Promise<{ lock: StateLock; warning?: string }> {
    const lockPath = `${statePath}.lock`;
    const content = `${process.pid} ${hostname()}\n`;
    let warning: string | undefined;
    let unreadableSince: number | undefined;
    for (let attempt = 0; attempt < 20; attempt++) {
      if (await createExclusive(lockPath, content)) {
        const lock = new StateLock(lockPath, content);
        return warning === undefined ? { lock } : { lock, warning };
      }
      const info = await inspect(lockPath);
      switch (info.kind) {
        case 'gone':
          continue;
        case 'live': {
          const where = info.host === hostname() ? '' : ` on host ${info.host}`;
          throw new StateError(`another replimap run (pid ${info.pid}${where}) is already using ${statePath}; if none is running, remove ${lockPath}`);
        }
        case 'unreadable':
          // Only a crash while writing the lock (power loss) leaves it empty or
          // garbled; give a run that is starting right now a moment, then fail.
          unreadableSince ??= Date.now();
          if (Date.now() - unreadableSince > 1000) {
            throw new StateError(`lock file ${lockPath} is unreadable and less than a minute old; if no replimap run is active, remove it`);
          }
          await new Promise((r) => setTimeout(r, 100));
          continue;
        case 'stale':
          if (await removeIfSame(lockPath, info.ino)) {
            warning = `took over the stale lock ${lockPath} (${info.reason})`;
          }
          continue;
      }
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

async function createExclusive(lockPath: string, content: string): Promise<boolean> {
  const tmp = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, lockPath);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    // No hard links here (some network or FUSE file systems): O_EXCL instead.
    try {
      const fh = await open(lockPath, 'wx', 0o600);
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
  const m = /^([0-9]{1,10}) (\S+)\n?$/.exec(text) ?? /^([0-9]{1,10})\n?$/.exec(text);
  if (m === null || Number(m[1]) <= 0) {
    if (Date.now() - st.mtimeMs > GARBAGE_STALE_AFTER_MS) return { kind: 'stale', ino: st.ino, reason: 'it held no PID' };
    return { kind: 'unreadable', ino: st.ino };
  }
  const pid = Number(m[1]);
  const host = m[2] ?? hostname();
  // A PID on another host cannot be checked from here: treat it as running.
  if (host !== hostname()) return { kind: 'live', pid, host };
  if (!isRunning(pid)) return { kind: 'stale', ino: st.ino, reason: `pid ${pid} is no longer running` };
  const started = await processStartSeconds(pid);
  if (started !== undefined && started > st.mtimeMs / 1000 + PID_REUSE_SLACK_S) {
    return { kind: 'stale', ino: st.ino, reason: `pid ${pid} now belongs to a process started after the lock was written` };
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

/** Removes the lock only if it is still the file (inode) judged stale. */
async function removeIfSame(lockPath: string, ino: number): Promise<boolean> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false; // another run got there first
    throw new StateError(`cannot remove the stale lock ${lockPath}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const st = await stat(aside);
    if (st.ino === ino) return true;
    // We moved a fresh lock some other run had just taken: put it back.
    await link(aside, lockPath).catch(() => undefined);
    return false;
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}
