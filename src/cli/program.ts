// The command line: `replimap sync`, `replimap list`, --help, --version.
// Parsing only; the commands' work is in syncCommand.ts and listCommand.ts.

import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseRate } from '../config/rate.js';
import { parseDay, parseSize } from '../config/filterArgs.js';
import type { MessageFilter } from '../store/messageFilter.js';
import { parseDuration } from '../config/duration.js';
import { DEFAULT_TIMEOUT_MS } from '../store/spec.js';
import type { CliContext } from './context.js';

export interface SyncCommandOptions {
  mode: 'copy' | 'mirror' | 'two-way';
  state?: string;
  dryRun: boolean;
  include: string[];
  exclude: string[];
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  stats: boolean;
  passwordAFile?: string;
  passwordBFile?: string;
  passwordACommand?: string;
  passwordBCommand?: string;
  tlsCa?: string;
  insecure: boolean;
  deleteFolders: boolean;
  force: boolean;
  full: boolean;
  connections: number;
  /** --timeout in seconds. */
  timeout: number;
  /** Copy a body shorter than its RFC822.SIZE (with a warning) instead of failing that message. */
  allowSizeMismatch: boolean;
  /** --compress: COMPRESS=DEFLATE away from the local network (auto), always or never. */
  compress: 'auto' | 'on' | 'off';
  /** --bwlimit in bytes per second, all connections and both directions together. */
  bwlimit?: number;
  /** --max-size, --min-size, --since, --before (days resolved when parsed); empty: none. */
  messageFilter: MessageFilter;
  /** --placeholders: a stand-in on the other side for each message held back by size. */
  placeholders: boolean;
  /** --priority globs, in the order given. */
  priority: string[];
  /** --max-time in ms. */
  maxTimeMs?: number;
}

export interface StatusCommandOptions {
  state?: string;
  json: boolean;
  verbose: boolean;
}

export interface ListCommandOptions {
  json: boolean;
  verbose: boolean;
  /** --timeout in seconds. */
  timeout: number;
  passwordFile?: string;
  passwordCommand?: string;
  tlsCa?: string;
  insecure: boolean;
}

export interface CommandHandlers {
  sync(a: string, b: string, options: SyncCommandOptions): Promise<void>;
  list(a: string, options: ListCommandOptions): Promise<void>;
  status(a: string, b: string, options: StatusCommandOptions): Promise<void>;
}

const DEFAULT_CONNECTIONS = 4;
const MAX_CONNECTIONS = 16;
const DEFAULT_TIMEOUT_SECONDS = DEFAULT_TIMEOUT_MS / 1000;
/** A day: beyond that a silent server is not coming back (and Node's timers top out at 24.8 days). */
const MAX_TIMEOUT_SECONDS = 86_400;

function packageVersion(): string {
  // ../../package.json from both src/cli (tsx, tests) and dist/cli (built).
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** What commander hands an action: only options that were given (or have a default). */
type RawOptions = Record<string, unknown>;

/** The string-valued options among `keys` that were given. */
function strings<K extends string>(raw: RawOptions, keys: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) if (typeof raw[k] === 'string') out[k] = raw[k];
  return out;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function parseConnections(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONNECTIONS) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${MAX_CONNECTIONS}`);
  }
  return n;
}

function parseTimeout(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > MAX_TIMEOUT_SECONDS) {
    throw new InvalidArgumentError(`expected a whole number of seconds from 1 to ${MAX_TIMEOUT_SECONDS}`);
  }
  return n;
}

function parseBwlimit(value: string): number {
  const parsed = parseRate(value);
  if ('error' in parsed) throw new InvalidArgumentError(parsed.error);
  return parsed.rate;
}

/** A commander parser from a pure one that throws an Error. */
function asArgument<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (e) {
      throw new InvalidArgumentError(e instanceof Error ? e.message : String(e));
    }
  };
}

function parseMaxTime(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('expected a duration such as 90s, 10m, 1h or 1h30m');
  return ms;
}

const TIMEOUT_HELP = 'give up on a server silent this many seconds (connecting, or answering a command)';

export function buildProgram(ctx: Pick<CliContext, 'stdout' | 'stderr' | 'now'>, handlers: CommandHandlers): Command {
  const program = rootCommand(ctx);
  addSyncCommand(program, handlers, ctx.now);
  addListCommand(program, handlers);
  addStatusCommand(program, handlers);
  return program;
}

/** `replimap` itself: name, version, help, errors as one line on stderr. */
function rootCommand(ctx: Pick<CliContext, 'stdout' | 'stderr'>): Command {
  // Settings made before .command() are inherited by the subcommands.
  return new Command()
    .name('replimap')
    .description('Replicate mail between two IMAP stores: copy or mirror, incremental, crash-safe.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
      // commander's "error: unknown option '--x'\n(Did you mean --y?)" as one line.
      outputError: (s, write) => write(`replimap: ${s.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`),
    })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      `
Examples:
  replimap sync imaps://alice@old.example.org imaps://alice@new.example.org
  replimap sync --mode mirror --dry-run imaps://me@a.example imaps://me@b.example
  replimap sync --mode two-way imaps://me@office.example imaps://me@hosted.example
  replimap list imaps://alice@mail.example.org
  replimap sync --max-size 1M imaps://me@ship.example imaps://me@shore.example
  replimap status imaps://me@ship.example imaps://me@shore.example

Passwords: REPLIMAP_PASSWORD_A / REPLIMAP_PASSWORD_B, or --password-a-file,
--password-a-command (and -b-). Exit status: 0 done, 1 some messages failed,
2 usage, 3 connect/login, 4 state file, 5 deletion guard (mirror, two-way),
130/143 interrupted.
See replimap(1).`,
    );
}

/** `now`: the day relative --since/--before count back from. */
function addSyncCommand(program: Command, handlers: CommandHandlers, now: () => Date): void {
  program
    .command('sync')
    .description('copy or mirror the mail of store A into store B, or sync both ways (incremental: a state file remembers what was done)')
    .argument('<A>', 'source store URL: imaps://user@host[:port] or imap://user@host[:port]')
    .argument('<B>', 'destination store URL')
    .addOption(
      new Option(
        '--mode <mode>',
        'copy: add what B lacks; mirror: also delete on B what was deleted on A; ' +
          'two-way: each side gets what the other has, flag changes and deletions of both merged',
      )
        .choices(['copy', 'mirror', 'two-way'])
        .default('copy'),
    )
    .option('--state <file>', 'state file (default: $XDG_STATE_HOME/replimap/<A>--<B>-<hash>.state)')
    .option('-n, --dry-run', 'show what would be done; change nothing (state file included)')
    .option('--include <glob>', 'only folders matching this glob (repeatable)', collect)
    .option('--exclude <glob>', 'skip folders matching this glob (repeatable)', collect)
    .option('--json', 'print a JSON summary on stdout instead of human output')
    .addOption(new Option('-q, --quiet', 'print only errors (and the summary when something failed)').conflicts('verbose'))
    .option('-v, --verbose', 'print details, and stack traces on errors')
    .option('--stats', 'add IMAP commands and bytes in/out per store (on the wire and uncompressed) to the summary')
    .option('--password-a-file <file>', "read A's password from this file")
    .option('--password-b-file <file>', "read B's password from this file")
    .option('--password-a-command <cmd>', "run this shell command; its output is A's password")
    .option('--password-b-command <cmd>', "run this shell command; its output is B's password")
    .option('--tls-ca <file>', 'also trust the CA certificates in this PEM file')
    .option('--insecure', 'do not verify TLS certificates; imap:// may then run without TLS')
    .option('--delete-folders', 'mirror: delete folders on B that A does not have (a folder A renamed is renamed on B, not deleted)')
    .option(
      '--force',
      "mirror, two-way: delete even beyond the guard's limits (half of a folder or of B's folders; mirror: what A lost in a restore)",
    )
    .option('--full', 're-read every folder and verify every message instead of skipping unchanged folders')
    .option(
      '--connections <n>',
      `folders synced at once, each on its own connection to A and to B (1-${MAX_CONNECTIONS}; fewer if a server refuses more)`,
      parseConnections,
      DEFAULT_CONNECTIONS,
    )
    .option('--timeout <seconds>', TIMEOUT_HELP, parseTimeout, DEFAULT_TIMEOUT_SECONDS)
    .option('--priority <glob>', 'sync folders matching this glob first (repeatable, in the order given; then INBOX, Sent, Drafts, the rest)', collect)
    .option(
      '--max-time <duration>',
      'stop starting new work after this long (90s, 10m, 1h); the state is saved, exit 0, and the summary says what is left for the next run',
      parseMaxTime,
    )
    .option(
      '--allow-size-mismatch',
      'copy a message whose body is shorter than the size the server announced (with a warning) ' +
        'instead of failing it; for servers with approximate sizes (Exchange)',
    )
    .addOption(
      new Option('--compress <when>', 'COMPRESS=DEFLATE: auto (only for servers outside loopback and private networks), on, off')
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option('--bwlimit <rate>', 'cap the bytes per second on the wire, all connections and both directions together (200k = 200 kB/s, 2M; at least 16k)', parseBwlimit)
    .option('--max-size <size>', 'hold back (defer) messages larger than this (10M, 500k, bytes); a later run without it copies them', asArgument(parseSize))
    .option('--min-size <size>', 'hold back (defer) messages smaller than this', asArgument(parseSize))
    .option('--since <day>', 'hold back messages received before this day (YYYY-MM-DD, or 90d / 12w ago)', asArgument((t) => parseDay(t, now())))
    .option('--before <day>', 'hold back messages received on or after this day (YYYY-MM-DD, or 90d / 12w ago)', asArgument((t) => parseDay(t, now())))
    .option(
      '--placeholders',
      'with --max-size/--min-size: a message held back by size gets a small stand-in on the other side (its headers, its size); ' +
        'flag the stand-in (\\Flagged) and the next run replaces it with the real message',
    )
    .action(async (a: string, b: string, raw: RawOptions) => {
      await handlers.sync(a, b, syncOptions(raw));
    });
}

/** What commander parsed, as the sync command takes it (flags not given are false). */
function syncOptions(raw: RawOptions): SyncCommandOptions {
  return {
    mode: raw.mode as SyncCommandOptions['mode'],
    ...strings(raw, ['state', 'passwordAFile', 'passwordBFile', 'passwordACommand', 'passwordBCommand', 'tlsCa']),
    dryRun: raw.dryRun === true,
    include: (raw.include as string[] | undefined) ?? [],
    exclude: (raw.exclude as string[] | undefined) ?? [],
    json: raw.json === true,
    quiet: raw.quiet === true,
    verbose: raw.verbose === true,
    stats: raw.stats === true,
    insecure: raw.insecure === true,
    deleteFolders: raw.deleteFolders === true,
    force: raw.force === true,
    full: raw.full === true,
    connections: raw.connections as number,
    timeout: raw.timeout as number,
    allowSizeMismatch: raw.allowSizeMismatch === true,
    compress: raw.compress as SyncCommandOptions['compress'],
    ...(typeof raw.bwlimit === 'number' && { bwlimit: raw.bwlimit }),
    messageFilter: {
      ...(typeof raw.maxSize === 'number' && { maxSize: raw.maxSize }),
      ...(typeof raw.minSize === 'number' && { minSize: raw.minSize }),
      ...(typeof raw.since === 'string' && { since: raw.since }),
      ...(typeof raw.before === 'string' && { before: raw.before }),
    },
    placeholders: raw.placeholders === true,
    priority: (raw.priority as string[] | undefined) ?? [],
    ...(typeof raw.maxTime === 'number' && { maxTimeMs: raw.maxTime }),
  };
}

function addStatusCommand(program: Command, handlers: CommandHandlers): void {
  program
    .command('status')
    .description('show from the state file, without connecting, the messages held back (deferred) per folder and their size')
    .argument('<A>', 'store URL of A, as given to sync')
    .argument('<B>', 'store URL of B, as given to sync')
    .option('--state <file>', 'state file (default: as sync chooses it)')
    .option('--json', 'print JSON instead of a table')
    .option('-v, --verbose', 'stack traces on errors')
    .action(async (a: string, b: string, raw: RawOptions) => {
      await handlers.status(a, b, { ...strings(raw, ['state']), json: raw.json === true, verbose: raw.verbose === true });
    });
}

function addListCommand(program: Command, handlers: CommandHandlers): void {
  program
    .command('list')
    .description('list the folders of a store: special use, subscription, messages, size')
    .argument('<A>', 'store URL: imaps://user@host[:port] or imap://user@host[:port]')
    .option('--json', 'print JSON instead of a table')
    .option('-v, --verbose', 'stack traces on errors')
    .option('--password-file <file>', 'read the password from this file')
    .option('--password-command <cmd>', 'run this shell command; its output is the password')
    .option('--tls-ca <file>', 'also trust the CA certificates in this PEM file')
    .option('--insecure', 'do not verify TLS certificates; imap:// may then run without TLS')
    .option('--timeout <seconds>', TIMEOUT_HELP, parseTimeout, DEFAULT_TIMEOUT_SECONDS)
    .action(async (a: string, raw: RawOptions) => {
      await handlers.list(a, {
        ...strings(raw, ['passwordFile', 'passwordCommand', 'tlsCa']),
        json: raw.json === true,
        verbose: raw.verbose === true,
        timeout: raw.timeout as number,
        insecure: raw.insecure === true,
      });
    });
}
