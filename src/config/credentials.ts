// Where a store's password comes from. Sources, first match wins:
//   1. --password-X-file F      (first line of F; trailing newline stripped)
//   2. --password-X-command C   (stdout of C run by the shell)
//   3. environment REPLIMAP_PASSWORD_X
//   4. the password in the store URL (works, with a warning)
// Giving both a file and a command for one store is a usage error (they are
// both explicit and one would be silently ignored); a lower source that is
// present but overridden is ignored silently, except a URL password, whose
// mere presence earns a warning (it shows up in `ps` and shell history).

import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { UsageError } from '../errors.js';
import type { StoreLabel } from './storeUrl.js';

export interface PasswordSources {
  env: Readonly<Record<string, string | undefined>>;
  passwordFile?: string;
  passwordCommand?: string;
  urlPassword?: string;
  /** Option names to cite in messages (default `--password-a-file`, `--password-a-command`). */
  optionNames?: { file: string; command: string };
}

export interface ResolvedPassword {
  password: string;
  warnings: string[];
}

function passwordEnvName(label: StoreLabel): string {
  return `REPLIMAP_PASSWORD_${label}`;
}

export async function resolvePassword(label: StoreLabel, sources: PasswordSources): Promise<ResolvedPassword> {
  const lower = label.toLowerCase();
  const names = sources.optionNames ?? { file: `--password-${lower}-file`, command: `--password-${lower}-command` };
  const envName = passwordEnvName(label);
  const warnings: string[] = [];
  if (sources.urlPassword !== undefined) {
    warnings.push(`${label}: password given in the URL; prefer ${envName} or ${names.file}`);
  }
  if (sources.passwordFile !== undefined && sources.passwordCommand !== undefined) {
    throw new UsageError(`${label}: give either ${names.file} or ${names.command}, not both`);
  }

  if (sources.passwordFile !== undefined) {
    const { password, warning } = await readPasswordFile(label, sources.passwordFile, names.file);
    if (warning) warnings.push(warning);
    return { password, warnings };
  }
  if (sources.passwordCommand !== undefined) {
    return { password: await runPasswordCommand(label, sources.passwordCommand, names.command), warnings };
  }
  const fromEnv = sources.env[envName];
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, warnings };
  if (sources.urlPassword !== undefined && sources.urlPassword !== '') {
    return { password: sources.urlPassword, warnings };
  }
  throw new UsageError(`${label}: no password: set ${envName}, or use ${names.file} / ${names.command}`);
}

/** Removes one trailing line end ("\n" or "\r\n"), as `echo secret > file` adds one. */
function stripTrailingNewline(s: string): string {
  if (s.endsWith('\r\n')) return s.slice(0, -2);
  if (s.endsWith('\n')) return s.slice(0, -1);
  return s;
}

async function readPasswordFile(
  label: StoreLabel,
  path: string,
  option: string,
): Promise<{ password: string; warning?: string }> {
  let text: string;
  let mode: number;
  try {
    mode = (await stat(path)).mode;
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`${label}: cannot read ${option} ${path}: ${describeFsError(err)}`, { cause: err });
  }
  const password = stripTrailingNewline(text);
  if (password === '') throw new UsageError(`${label}: ${option} ${path} is empty`);
  const result: { password: string; warning?: string } = { password };
  if ((mode & 0o077) !== 0) {
    result.warning = `${label}: password file ${path} is readable by group or others (chmod 600 ${path})`;
  }
  return result;
}

/** Runs the command with the shell; its stderr goes to ours (prompts, errors), stdout is the password. */
function runPasswordCommand(label: StoreLabel, command: string, option: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, { shell: true, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', (err) => {
      reject(new UsageError(`${label}: cannot run ${option}: ${describeFsError(err)}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      // Never quote the output in a message: it may be the password.
      if (code !== 0) {
        const how = signal ? `was killed by ${signal}` : `failed with exit status ${code}`;
        reject(new UsageError(`${label}: ${option} ${how}`));
        return;
      }
      const password = stripTrailingNewline(Buffer.concat(chunks).toString('utf8'));
      if (password === '') reject(new UsageError(`${label}: ${option} printed nothing`));
      else resolve(password);
    });
  });
}

export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}
