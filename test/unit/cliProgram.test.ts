import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ImapStoreSpec } from '../../src/store/spec.js';
import { cliHarness } from '../support/cliHarness.js';

const A = 'imaps://alice@a.example';
const B = 'imaps://bob@b.example';
const withPasswords = { HOME: '/home/test', REPLIMAP_PASSWORD_A: 'pa', REPLIMAP_PASSWORD_B: 'pb' };

/** Runs and checks the common shape of a usage error: exit 2, one line, no stack. */
async function usage(args: string[], env: Record<string, string> = withPasswords): Promise<string> {
  const h = cliHarness({ env });
  const code = await h.run(...args);
  expect(code).toBe(2);
  expect(h.stdout.text).toBe('');
  expect(h.stderr.text.split('\n').filter(Boolean)).toHaveLength(1);
  expect(h.stderr.text).toMatch(/^replimap: /);
  expect(h.stderr.text).not.toMatch(/\n\s+at /);
  expect(h.jobs).toHaveLength(0);
  return h.stderr.text.trim();
}

describe('replimap --version / --help', () => {
  it('prints the package version', async () => {
    const h = cliHarness();
    expect(await h.run('--version')).toBe(0);
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(h.stdout.text.trim()).toBe(pkg.version);
  });

  it('prints help with both commands on stdout', async () => {
    const h = cliHarness();
    expect(await h.run('--help')).toBe(0);
    expect(h.stdout.text).toMatch(/Usage: replimap/);
    expect(h.stdout.text).toMatch(/sync \[options\] <A> <B>/);
    expect(h.stdout.text).toMatch(/list \[options\] <A>/);
    expect(h.stderr.text).toBe('');
  });

  it('documents every sync option in sync --help', async () => {
    const h = cliHarness();
    expect(await h.run('sync', '--help')).toBe(0);
    for (const opt of [
      '--mode', '--state', '--dry-run', '--include', '--exclude', '--json', '--quiet', '--verbose', '--stats',
      '--password-a-file', '--password-b-file', '--password-a-command', '--password-b-command', '--tls-ca',
      '--insecure', '--delete-folders', '--force', '--full', '--connections', '--timeout', '--allow-size-mismatch',
      '--max-size', '--min-size', '--since', '--before',
      '--priority', '--max-time',
    ]) {
      expect(h.stdout.text).toContain(opt);
    }
  });

  it('shows help on stderr and exits 2 without a command', async () => {
    const h = cliHarness();
    expect(await h.run()).toBe(2);
    expect(h.stderr.text).toMatch(/Usage: replimap/);
  });
});

describe('usage errors exit 2 with one line', () => {
  it('unknown option, with a suggestion on the same line', async () => {
    expect(await usage(['sync', '--forc', A, B])).toBe("replimap: unknown option '--forc' (Did you mean --force?)");
  });
  it('unknown command', async () => {
    expect(await usage(['frobnicate'])).toBe("replimap: unknown command 'frobnicate'");
  });
  it('missing argument', async () => {
    expect(await usage(['sync', A])).toBe("replimap: missing required argument 'B'");
  });
  it('too many arguments', async () => {
    expect(await usage(['sync', A, B, 'C'])).toMatch(/too many arguments/);
  });
  it('bad mode', async () => {
    expect(await usage(['sync', '--mode', 'merge', A, B])).toMatch(/argument 'merge' is invalid/);
  });
  it('two-way mode is accepted, with --force; sync --help explains it', async () => {
    // Past the option checks: the next thing it needs is a password.
    expect(await usage(['sync', '--mode', 'two-way', '--force', A, B], { HOME: '/home/test' })).toMatch(/^replimap: A: no password/);
    const h = cliHarness();
    expect(await h.run('sync', '--help')).toBe(0);
    expect(h.stdout.text.replace(/\s+/g, ' ')).toContain('two-way: each side gets what the other has, flag changes and deletions of both merged');
  });
  it('two-way mode deletes no folders (yet): --delete-folders is mirror only', async () => {
    expect(await usage(['sync', '--mode', 'two-way', '--delete-folders', A, B])).toBe('replimap: --delete-folders needs --mode mirror');
  });
  it('--placeholders without a size bound: stand-ins are made only for messages held back by size', async () => {
    const needs = 'replimap: --placeholders needs --max-size or --min-size (stand-ins are made for messages held back by size)';
    expect(await usage(['sync', '--placeholders', A, B])).toBe(needs);
    expect(await usage(['sync', '--placeholders', '--since', '90d', A, B])).toBe(needs);
  });
  it('--delete-folders and --force without mirror', async () => {
    expect(await usage(['sync', '--delete-folders', A, B])).toBe('replimap: --delete-folders needs --mode mirror');
    expect(await usage(['sync', '--force', A, B])).toBe('replimap: --force needs --mode mirror or two-way');
  });
  it('bad store URL names the store', async () => {
    expect(await usage(['sync', A, 'http://bob@b.example'])).toMatch(/^replimap: B: bad store URL "http:\/\/bob@b\.example"/);
  });
  it('a URL password never shows in the error', async () => {
    expect(await usage(['sync', 'imaps://alice:hunter2@a.example/INBOX', B])).not.toContain('hunter2');
  });
  it('missing password', async () => {
    expect(await usage(['sync', A, B], { HOME: '/home/test', REPLIMAP_PASSWORD_A: 'pa' })).toBe(
      'replimap: B: no password: set REPLIMAP_PASSWORD_B, or use --password-b-file / --password-b-command',
    );
  });
  it('-q with -v', async () => {
    expect(await usage(['sync', '-q', '-v', A, B])).toMatch(/cannot be used with/);
  });
  it('--connections out of range', async () => {
    expect(await usage(['sync', '--connections', '0', A, B])).toMatch(/--connections/);
  });
  it('--timeout not a whole number of seconds from 1', async () => {
    for (const bad of ['0', '-5', '2.5', 'soon', '86401']) {
      expect(await usage(['sync', '--timeout', bad, A, B]), bad).toMatch(/--timeout/);
    }
    expect(await usage(['list', '--timeout', '0', A])).toMatch(/--timeout/);
  });
  it('--max-time not a duration, --priority empty', async () => {
    for (const bad of ['10', 'soon', '-5m', '1.5h']) {
      expect(await usage(['sync', '--max-time', bad, A, B]), bad).toMatch(/--max-time.*duration/);
    }
    expect(await usage(['sync', '--priority', ' ', A, B])).toMatch(/--priority/);
  });
  it('A and B the same store', async () => {
    expect(await usage(['sync', 'imaps://alice@h', 'imaps://alice@H:993/'])).toBe(
      'replimap: A and B are the same store (imaps://alice@h:993)',
    );
  });
  it('an unreadable password file or failing password command', async () => {
    expect(await usage(['sync', '--password-a-file', '/nonexistent/pw', A, B])).toMatch(/A: cannot read --password-a-file/);
    expect(await usage(['sync', '--password-b-command', 'echo leaked; exit 7', A, B])).toBe(
      'replimap: B: --password-b-command failed with exit status 7',
    );
  });
  it('a bad size or day, or filter bounds that let nothing through', async () => {
    expect(await usage(['sync', '--max-size', '10MB', A, B])).toMatch(/--max-size.*expected a size/);
    expect(await usage(['sync', '--since', '2026-02-30', A, B])).toMatch(/--since.*expected a day/);
    expect(await usage(['sync', '--min-size', '2M', '--max-size', '1M', A, B])).toMatch(/--min-size .* is above --max-size/);
    expect(await usage(['sync', '--since', '10d', '--before', '20d', A, B])).toMatch(/--since .* is not before --before/);
  });

  it('list without a password cites list\'s own options', async () => {
    expect(await usage(['list', A], { HOME: '/home/test' })).toBe(
      'replimap: A: no password: set REPLIMAP_PASSWORD_A, or use --password-file / --password-command',
    );
  });
});

describe('the job handed to the engine', () => {
  it('carries the parsed stores, options and default state path', async () => {
    const h = cliHarness({ env: { ...withPasswords, XDG_STATE_HOME: '/xdg' } });
    const code = await h.run(
      'sync', '--mode', 'mirror', '--include', 'INBOX', '--include', 'Archive/*', '--exclude', 'Junk',
      '--delete-folders', '--force', '--full', '--connections', '2', '-q', 'imap://alice%40x@a.example:1143', B,
    );
    expect(code).toBe(0);
    expect(h.jobs).toHaveLength(1);
    const job = h.jobs[0]!;
    expect(job.a).toMatchObject({ host: 'a.example', port: 1143, user: 'alice@x', password: 'pa', security: 'starttls' });
    expect(job.b).toMatchObject({ host: 'b.example', port: 993, user: 'bob', password: 'pb', security: 'tls' });
    expect(job.options).toEqual({
      mode: 'mirror',
      dryRun: false,
      filter: { include: ['INBOX', 'Archive/*'], exclude: ['Junk'] },
      deleteFolders: true,
      force: true,
      full: true,
      connections: 2,
    });
    expect(job.statePath).toMatch(/^\/xdg\/replimap\/alice@x@a\.example_1143--bob@b\.example_993-[0-9a-f]+\.state$/);
  });

  it('carries --priority in the order given and --max-time in ms; neither when not given', async () => {
    const h = cliHarness({ env: withPasswords });
    expect(await h.run('sync', '--priority', 'Work/*', '--priority', 'Lists', '--max-time', '1h30m', '-q', A, B)).toBe(0);
    expect(h.jobs[0]!.options).toMatchObject({ priority: ['Work/*', 'Lists'], maxTimeMs: 5_400_000 });
    expect(await h.run('sync', '-q', A, B)).toBe(0);
    expect(h.jobs[1]!.options).not.toHaveProperty('priority');
    expect(h.jobs[1]!.options).not.toHaveProperty('maxTimeMs');
  });

  it('uses --state when given, and copy mode by default', async () => {
    const h = cliHarness({ env: withPasswords });
    expect(await h.run('sync', '--state', '/tmp/x.state', '-q', A, B)).toBe(0);
    expect(h.jobs[0]!.statePath).toBe('/tmp/x.state');
    expect(h.jobs[0]!.options.mode).toBe('copy');
    expect(h.jobs[0]!.options.connections).toBe(4);
  });

  it('--timeout reaches both stores in milliseconds; 60 s by default', async () => {
    const h = cliHarness({ env: withPasswords });
    expect(await h.run('sync', '-q', A, B)).toBe(0);
    expect(await h.run('sync', '-q', '--timeout', '7', A, B)).toBe(0);
    expect(h.jobs.map((j) => [(j.a as ImapStoreSpec).timeoutMs, (j.b as ImapStoreSpec).timeoutMs])).toEqual([[60_000, 60_000], [7_000, 7_000]]);
  });

  it('the message filter reaches the engine, days resolved from today; none by default', async () => {
    const h = cliHarness({ env: withPasswords, now: () => new Date('2026-11-30T23:30:00Z') });
    expect(await h.run('sync', '-q', A, B)).toBe(0);
    expect(await h.run('sync', '-q', '--max-size', '10M', '--min-size', '500k', '--since', '90d', '--before', '2026-11-01', A, B)).toBe(0);
    expect(h.jobs.map((j) => j.options.messageFilter)).toEqual([
      undefined,
      { maxSize: 10_485_760, minSize: 512_000, since: '2026-09-01', before: '2026-11-01' },
    ]);
  });

  it('--placeholders reaches the engine with its size bound; off by default', async () => {
    const h = cliHarness({ env: withPasswords });
    expect(await h.run('sync', '-q', '--max-size', '1M', A, B)).toBe(0);
    expect(await h.run('sync', '-q', '--max-size', '1M', '--placeholders', A, B)).toBe(0);
    expect(h.jobs.map((j) => [j.options.placeholders ?? false, j.options.messageFilter])).toEqual([
      [false, { maxSize: 1_048_576 }],
      [true, { maxSize: 1_048_576 }],
    ]);
  });

  it('--allow-size-mismatch reaches both stores; off by default', async () => {
    const h = cliHarness({ env: withPasswords });
    expect(await h.run('sync', '-q', A, B)).toBe(0);
    expect(await h.run('sync', '-q', '--allow-size-mismatch', A, B)).toBe(0);
    expect(h.jobs.map((j) => [(j.a as ImapStoreSpec).allowSizeMismatch ?? false, (j.b as ImapStoreSpec).allowSizeMismatch ?? false])).toEqual([[false, false], [true, true]]);
  });

  it('--compress reaches both stores (auto by default); --bwlimit gives both one shared bucket at that rate', async () => {
    const h = cliHarness({ env: withPasswords });
    expect(await h.run('sync', '-q', A, B)).toBe(0);
    expect(await h.run('sync', '-q', '--compress', 'off', '--bwlimit', '200k', A, B)).toBe(0);
    const specs = h.jobs.map((j) => [j.a as ImapStoreSpec, j.b as ImapStoreSpec] as const);
    expect(specs.map(([a, b]) => [a.compress, b.compress])).toEqual([['auto', 'auto'], ['off', 'off']]);
    expect(specs[0]![0].bandwidth).toBeUndefined();
    const [a, b] = specs[1]!;
    expect(a.bandwidth?.rate).toBe(200_000);
    expect(b.bandwidth).toBe(a.bandwidth);
  });

  it('refuses a --compress or --bwlimit it does not understand (exit 2)', async () => {
    const h = cliHarness({ env: withPasswords });
    expect(await h.run('sync', '--compress', 'yes', A, B)).toBe(2);
    expect(await h.run('sync', '--bwlimit', '8k', A, B)).toBe(2);
    expect(h.stderr.text).toMatch(/--bwlimit.*at least 16k/);
    expect(h.jobs).toEqual([]);
  });
});
