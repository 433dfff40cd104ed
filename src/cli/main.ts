// Entry point: parse, run, and turn every outcome into one exit code. Nothing
// escapes: a ReplimapError is one line `replimap: <message>` and its own exit
// code; a commander usage error exits 2; anything else is an internal error
// (exit 1). Stack traces only with -v.

import { CommanderError } from 'commander';
import { ExitCode, ReplimapError } from '../errors.js';
import { processContext, type CliContext } from './context.js';
import { runListCommand } from './listCommand.js';
import { runStatusCommand } from './statusCommand.js';
import { toJsonText } from './output/summary.js';
import { buildProgram } from './program.js';
import { runSyncCommand, type RunFlags } from './syncCommand.js';

/** `argv` as in process.argv: [node, script, ...arguments]. Returns the exit code. */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const flags: RunFlags = { verbose: false, json: false };
  let exitCode: number = ExitCode.Ok;
  if (ctx.stdout === process.stdout) ignoreEpipe(process.stdout);
  try {
    const program = buildProgram(ctx, {
      sync: async (a, b, options) => {
        exitCode = await runSyncCommand(a, b, options, ctx, flags);
      },
      list: async (a, options) => {
        exitCode = await runListCommand(a, options, ctx, flags);
      },
      status: async (a, b, options) => {
        exitCode = await runStatusCommand(a, b, options, ctx, flags);
      },
    });
    await program.parseAsync(argv, { from: 'node' });
    return exitCode;
  } catch (err) {
    return reportError(err, ctx, flags);
  }
}

function reportError(err: unknown, ctx: CliContext, flags: RunFlags): number {
  if (err instanceof CommanderError) {
    // --help and --version "fail" with exit code 0; commander already printed its one line otherwise.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.Ok;
    return ExitCode.Usage;
  }
  let code: number;
  let message: string;
  if (err instanceof ReplimapError) {
    code = err.exitCode;
    message = err.message;
  } else {
    code = 1;
    message = `internal error: ${err instanceof Error ? err.message : String(err)}`;
  }
  ctx.stderr.write(`replimap: ${message}\n`);
  if (flags.verbose) ctx.stderr.write(describeStack(err));
  else if (!(err instanceof ReplimapError)) ctx.stderr.write('replimap: run again with -v for details\n');
  if (flags.json) ctx.stdout.write(`${toJsonText({ ok: false, exitCode: code, error: message })}\n`);
  return code;
}

/** The stack, and the stacks of its causes (e.g. the socket error behind a ConnectError). */
function describeStack(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    const text = current instanceof Error ? (current.stack ?? current.message) : String(current);
    parts.push(depth === 0 ? text : `caused by: ${text}`);
    current = current instanceof Error ? current.cause : undefined;
  }
  return `${parts.join('\n')}\n`;
}

/**
 * `replimap list A | head` closes stdout early: not worth a crash with a stack
 * trace. The listener stays for the life of the process (the error can come
 * after main() returned).
 */
let epipeGuarded = false;
function ignoreEpipe(stream: NodeJS.WriteStream): void {
  if (epipeGuarded) return;
  epipeGuarded = true;
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') return;
    process.stderr.write(`replimap: cannot write to stdout: ${err.message}\n`);
    process.exitCode = ExitCode.PartialFailure;
  });
}
