// What every tool runner gets and returns, so bench.ts can treat mbsync,
// interimap, offlineimap and replimap alike.

export type ToolName = 'replimap' | 'mbsync' | 'interimap' | 'offlineimap';
export const ALL_TOOLS: readonly ToolName[] = ['replimap', 'mbsync', 'interimap', 'offlineimap'];

/**
 * 'noop': the first resync after the initial copy; 'noop2': the one after it
 * (the steady state of a cron job: a tool that records its own writes as seen
 * is already there at 'noop', replimap re-reads what it wrote once).
 * 'filtered': an initial copy with `--max-size 1M` (replimap only); 'rest':
 * the run after it without the filter, which copies what it deferred.
 */
export type StepName = 'initial' | 'noop' | 'noop2' | 'changes' | 'move' | 'rename' | 'filtered' | 'rest';

/** One IMAP account as a tool sees it (through the latency proxy). */
export interface ImapTarget {
  host: string;
  /** Implicit-TLS port (the proxy's). */
  port: number;
  user: string;
  password: string;
  /** PEM file that verifies the server certificate. */
  caFile: string;
  /** imaps://user@host:port */
  url: string;
}

export interface ToolContext {
  /** Private scratch dir of this tool run (configs, state, databases). */
  workDir: string;
  /** Where raw stdout/stderr of every step go. */
  outDir: string;
  /** Source (copied from). */
  a: ImapTarget;
  /** Destination (copied to). */
  b: ImapTarget;
  timeoutMs: number;
  /** The scenario wants deletions on A carried to B (replimap --mode mirror, mbsync Expunge Near). */
  mirror: boolean;
  /** Both sides change and each gets the other's changes (replimap --mode two-way, mbsync Sync All). */
  twoWay: boolean;
}

export interface ProcessMeasurement {
  exitCode: number | null;
  signal: string | null;
  wallMs: number;
  /** Peak resident set size of the tool process, from /usr/bin/time (KiB). */
  peakRssKiB: number | undefined;
  /** User + system CPU time of the tool process and its children, from /usr/bin/time (ms). */
  cpuMs: number | undefined;
  timedOut: boolean;
  stdoutFile: string;
  stderrFile: string;
  commandLine: string;
}

export interface StepOutcome extends ProcessMeasurement {
  ok: boolean;
  /** Why ok is false, or anything else worth printing. */
  note?: string;
  /** replimap's own summary, when it printed one (--json --stats). */
  reportedStats?: { commandsA?: number; commandsB?: number; bytesA?: number; bytesB?: number; raw: unknown };
}

export interface ToolRunner {
  readonly name: ToolName;
  /** Empty when usable, else why not (binary missing, not built …). */
  unavailableReason(): Promise<string | undefined>;
  /** Writes configs into ctx.workDir; called once per tool run before the first step. */
  prepare(ctx: ToolContext): Promise<void>;
  run(step: StepName): Promise<StepOutcome>;
  /** One paragraph: how the tool was configured, for RESULTS.md. */
  describe(): string;
  /** The config files written by prepare (path -> content), with passwords masked, for the raw output. */
  configFiles(): Record<string, string>;
}
