// Issue: errors and exit codes of the real command: one clear line on stderr
// naming the problem and the store, no stack trace, nothing lost.

import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMessages } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readFolder, seedFolder } from '../support/imap.js';
import { CLI, passwordEnv, runCli, tempDir } from '../support/sync.js';

/** One line, no stack trace, no password. */
function expectOneLine(stderr: string, password?: string): void {
  const lines = stderr.trim().split('\n').filter((l) => !/warning/i.test(l));
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  if (password) expect(stderr).not.toContain(password);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('errors and exit codes', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let dir: string;

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    await seedFolder(a, 'INBOX', generateMessages(600, { seed: 3 }).map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
    dir = tempDir();
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const base = (state: string): string[] => ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', join(dir, state)];

  it('wrong password → 3, names the store, never shows the password', async () => {
    const run = await runCli(base('pw.state'), { REPLIMAP_PASSWORD_A: a.passwordOf(), REPLIMAP_PASSWORD_B: 'hunter2-wrong' });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^replimap: B: .*(login|auth)/im);
    expectOneLine(run.stderr, 'hunter2-wrong');
  });

  it('bad URL → 2', async () => {
    const run = await runCli(['sync', 'imapz://nobody', b.url(), '--state', join(dir, 'url.state')], passwordEnv(a, b));
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/A: .*URL/i);
    expectOneLine(run.stderr);
  });

  it('closed port → 3', async () => {
    const port = await closedPort();
    const run = await runCli(['sync', `imaps://alice@127.0.0.1:${port}`, b.url(), '--tls-ca', a.caFile, '--state', join(dir, 'port.state')], passwordEnv(a, b));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/A: .*(refused|connect)/i);
    expectOneLine(run.stderr);
  });

  it('untrusted TLS certificate without --tls-ca → 3', async () => {
    const run = await runCli(['sync', a.url(), b.url(), '--state', join(dir, 'tls.state')], passwordEnv(a, b));
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/certificate/i);
    expect(run.stderr).toMatch(/--tls-ca/);
    expectOneLine(run.stderr);
  });

  it('with --insecure an unverified certificate is accepted, with a warning', async () => {
    const run = await runCli(['sync', a.url(), b.url(), '--insecure', '--state', join(dir, 'insecure.state'), '--dry-run'], passwordEnv(a, b));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/insecure/i);
  });

  it('a concurrent run on the same state → 4 "already running"', async () => {
    const statePath = join(dir, 'busy.state');
    const first = spawn(process.execPath, [CLI, ...base('busy.state'), '-q'], {
      env: { ...process.env, ...passwordEnv(a, b) },
      stdio: 'ignore',
    });
    try {
      const lock = `${statePath}.lock`;
      for (let i = 0; i < 200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
      expect(existsSync(lock)).toBe(true);
      const second = await runCli(base('busy.state'), passwordEnv(a, b));
      expect(second.code).toBe(4);
      expect(second.stderr).toMatch(/already/i);
      expectOneLine(second.stderr);
    } finally {
      first.kill('SIGKILL');
      await new Promise((r) => first.once('close', r));
    }
    // The killed first run left a stale lock: the next run takes it over.
    const after = await runCli(base('busy.state'), passwordEnv(a, b));
    expect(after.code, after.stderr).toBe(0);
    expect(await readFolder(b, 'INBOX')).toHaveLength(600);
  });

  it('corrupt state file → 4, and the file is left alone', async () => {
    const statePath = join(dir, 'corrupt.state');
    writeFileSync(statePath, 'this is not a replimap state file\n', { mode: 0o600 });
    const run = await runCli(base('corrupt.state'), passwordEnv(a, b));
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/state/i);
    expectOneLine(run.stderr);
  });

  it('unknown option → 2, two-way with --delete-folders → 2', async () => {
    const unknown = await runCli([...base('x.state'), '--frobnicate'], passwordEnv(a, b));
    expect(unknown.code).toBe(2);
    expectOneLine(unknown.stderr);
    const twoWay = await runCli([...base('x.state'), '--mode', 'two-way', '--delete-folders'], passwordEnv(a, b));
    expect(twoWay.code).toBe(2);
    expect(twoWay.stderr).toMatch(/--delete-folders needs --mode mirror/);
  });
});
