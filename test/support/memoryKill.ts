// A sync "killed" between two store operations of in-memory stores, in-process:
// at the chosen operation the state file and its journal are copied as they
// are on disk at that instant (what a SIGKILL would leave), every connection
// is cut, and once the run has unwound the files are put back as copied, so
// nothing the dying run did afterwards counts.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { MemoryOperation, MemoryServer } from '../../src/store/memory/MemoryServer.js';

/** 'before': the operation is not done; 'after': the server did it, the client never heard back. */
export type KillMoment = 'before' | 'after';

export type KilledRun<T> = { killed: string } | { finished: T };

/** The operations that change a store. */
export const WRITE_OPERATIONS: ReadonlySet<MemoryOperation> = new Set<MemoryOperation>([
  'createFolder', 'deleteFolder', 'subscribeFolder', 'append', 'appendMessage', 'addFlags', 'removeFlags',
  'expungeMessages', 'copyMessages', 'moveMessages', 'renameFolder',
]);

/**
 * Runs `run` (a sync between `servers`) and kills it at its k-th store
 * operation (1-based) among those `counted`: the operation killed ("B append"),
 * or the run's result when it had fewer such operations (it then finished).
 */
export async function killedRun<T>(
  servers: { a: MemoryServer; b: MemoryServer },
  statePath: string,
  when: KillMoment,
  k: number,
  run: () => Promise<T>,
  counted: (op: MemoryOperation) => boolean = () => true,
): Promise<KilledRun<T>> {
  let count = 0;
  let killed = '';
  let onDisk: Map<string, Buffer> | undefined;
  const hook = (op: MemoryOperation, args: { label: string }): void => {
    if (!counted(op) || ++count !== k) return;
    killed = `${args.label} ${op}`;
    onDisk = stateFiles(statePath);
    servers.a.dropConnections();
    servers.b.dropConnections();
    throw new Error(`killed ${when} ${killed}`);
  };
  for (const server of [servers.a, servers.b]) {
    // Before one message of an append, a throw is that message's refusal, not a kill: count the append.
    if (when === 'before') server.beforeOperation = (op, args) => op !== 'appendMessage' && hook(op, args);
    else server.afterOperation = hook;
  }
  let result: { value: T } | undefined;
  let error: unknown;
  try {
    result = { value: await run() };
  } catch (err) {
    error = err;
  } finally {
    for (const server of [servers.a, servers.b]) {
      server.beforeOperation = undefined;
      server.afterOperation = undefined;
    }
  }
  if (!onDisk) {
    if (result === undefined) throw error;
    return { finished: result.value };
  }
  for (const suffix of ['', '.journal', '.lock']) rmSync(statePath + suffix, { force: true });
  for (const [path, bytes] of onDisk) writeFileSync(path, bytes);
  return { killed };
}

/** The state file and its journal as they are on disk now. */
function stateFiles(statePath: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const path of [statePath, `${statePath}.journal`]) if (existsSync(path)) files.set(path, readFileSync(path));
  return files;
}
