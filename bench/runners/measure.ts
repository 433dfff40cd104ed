// Runs one tool process under /usr/bin/time, so every tool's peak RSS is
// measured the same way (the kernel's ru_maxrss of the child), and its CPU time
// (user + system, children included), with its output
// kept in files and a hard timeout.

import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ProcessMeasurement } from './types.js';

const TIME_BIN = '/usr/bin/time';

export interface MeasureOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  outDir: string;
  /** File name stem for stdout/stderr/time files, e.g. "mbsync-initial". */
  label: string;
  timeoutMs: number;
}

/** Process groups of tools running right now, so an interrupted bench can stop them. */
const running = new Set<number>();

/** Kills every tool process group still running (for SIGINT/SIGTERM handlers). */
export function killRunningTools(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLineOf(cmd: string, args: string[]): string {
  return [cmd, ...args].map(shellQuote).join(' ');
}

export async function measureProcess(cmd: string, args: string[], options: MeasureOptions): Promise<ProcessMeasurement> {
  if (!existsSync(TIME_BIN)) throw new Error(`${TIME_BIN} is missing: apt-get install -y time`);
  const stdoutFile = join(options.outDir, `${options.label}.stdout`);
  const stderrFile = join(options.outDir, `${options.label}.stderr`);
  const timeFile = join(options.outDir, `${options.label}.time`);
  const out = openSync(stdoutFile, 'w');
  const err = openSync(stderrFile, 'w');
  const started = performance.now();
  let timedOut = false;
  try {
    // Own process group, so a timeout can stop the tool and anything it spawned.
    const child = spawn(TIME_BIN, ['-f', '%M %U %S', '-o', timeFile, cmd, ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', out, err],
      detached: true,
    });
    const pgid = child.pid;
    if (pgid !== undefined) running.add(pgid);
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, options.timeoutMs);
    const [exitCode, signal] = await new Promise<[number | null, string | null]>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, sig) => resolve([code, sig]));
    }).finally(() => {
      clearTimeout(timer);
      if (pgid !== undefined) running.delete(pgid);
    });
    const wallMs = performance.now() - started;
    const { peakRssKiB, cpuMs } = await readTimeFile(timeFile);
    return {
      exitCode: timedOut ? null : exitCode,
      signal,
      wallMs,
      peakRssKiB,
      cpuMs,
      timedOut,
      stdoutFile,
      stderrFile,
      commandLine: commandLineOf(cmd, args),
    };
  } finally {
    closeSync(out);
    closeSync(err);
  }
}

/** GNU time's "%M %U %S" line (after a "Command exited with non-zero status N" line, if any). */
async function readTimeFile(file: string): Promise<{ peakRssKiB: number | undefined; cpuMs: number | undefined }> {
  try {
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    const [rss, user, sys] = (lines[lines.length - 1] ?? '').trim().split(/\s+/).map(Number);
    return {
      peakRssKiB: Number.isFinite(rss) ? rss : undefined,
      cpuMs: Number.isFinite(user) && Number.isFinite(sys) ? Math.round((user! + sys!) * 1000) : undefined,
    };
  } catch {
    return { peakRssKiB: undefined, cpuMs: undefined };
  }
}

/** Last lines of a file, for error notes. */
export async function tailOf(file: string, lines = 5): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '';
  }
}
