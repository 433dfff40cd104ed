import type { CliContext } from '../context.js';
import { PlainReporter } from './plainReporter.js';
import { QuietReporter, type Reporter, type ReporterContext } from './reporter.js';

export interface OutputChoice {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  dryRun: boolean;
}

/**
 * --json and -q win; then a terminal on stderr gets bars, unless TERM=dumb or
 * it reports no width (a pty nobody sized: spinners would misdraw); anything
 * else gets plain lines. The terminal reporter (ora, cli-progress) is loaded
 * only when used: a cron run would spend a tenth of a second importing it.
 */
export async function chooseReporter(cli: Pick<CliContext, 'stdout' | 'stderr' | 'env' | 'now'>, choice: OutputChoice): Promise<Reporter> {
  const ctx: ReporterContext = {
    stdout: cli.stdout,
    stderr: cli.stderr,
    verbose: choice.verbose,
    dryRun: choice.dryRun,
    now: cli.now,
  };
  if (choice.json || choice.quiet) return new QuietReporter(ctx);
  if (cli.stderr.isTTY && cli.env.TERM !== 'dumb' && (cli.stderr.columns ?? 0) > 0) {
    const { TtyReporter } = await import('./ttyReporter.js');
    return new TtyReporter(ctx);
  }
  return new PlainReporter(ctx);
}
