// Where the state file of a store pair lives when --state is not given.

import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** The longest readable part of the file name (names are limited to 255 bytes). */
const MAX_READABLE = 160;

/**
 * `$XDG_STATE_HOME/replimap/<name>.state`, or `~/.local/state/replimap/<name>.state`.
 * `<name>` reads as the pair (`alice@host1_993--bob@host2_143`) and ends with a
 * short hash of both display URLs, so pairs that look alike once made
 * filesystem-safe (or truncated) never share a file. Order matters: A→B and
 * B→A are different pairs.
 */
export function defaultStatePath(
  displayA: string,
  displayB: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return join(stateDir(env), `${statePairName(displayA, displayB)}.state`);
}

export function stateDir(env: Readonly<Record<string, string | undefined>>): string {
  // The XDG spec says relative values are invalid and must be ignored.
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'replimap');
  const home = env.HOME && isAbsolute(env.HOME) ? env.HOME : homedir();
  return join(home, '.local', 'state', 'replimap');
}

export function statePairName(displayA: string, displayB: string): string {
  const readable = `${readableStoreName(displayA)}--${readableStoreName(displayB)}`.slice(0, MAX_READABLE);
  const hash = createHash('sha256').update(`${displayA}\n${displayB}`).digest('hex').slice(0, 10);
  return `${readable}-${hash}`;
}

/** `imaps://alice%40example.com@host:993` → `alice@example.com@host_993`. */
function readableStoreName(displayUrl: string): string {
  let text = displayUrl.replace(/^[a-z]+:\/\//i, '');
  try {
    text = decodeURIComponent(text);
  } catch {
    // Keep the encoded form: still readable, and the hash keeps it unique.
  }
  return text
    .replace(/[[\]]/g, '')
    .replace(/:/g, '_')
    .replace(/[^A-Za-z0-9@._+-]/g, '_');
}
