// Issue 6, point 11: a server that allows fewer connections than --connections.
// The run falls back to the connections the server accepts, says so once, and
// copies everything; only a refused first connection is fatal (exit 3), with a
// message that says what happened (not "wrong password").

import { join } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMessages } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, openClient, seedFolder } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';

const FOLDERS = ['INBOX', 'Archive', 'Lists', 'Projects', 'Receipts', 'Travel'];
const PER_FOLDER = 40;

/** Dovecot counts logged-in connections per user and IP; the harness allows 100, this block overrides it. */
const limitTo = (n: number): string => `protocol imap {\n  mail_max_userip_connections = ${n}\n}\n`;

const digests = bodyDigestsOf;

async function seedSource(a: DovecotServer): Promise<void> {
  for (const [i, folder] of FOLDERS.entries()) {
    const messages = generateMessages(PER_FOLDER, { seed: 800 + i, folder });
    await seedFolder(a, folder, messages.map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
  }
}

async function expectSameMail(a: DovecotServer, b: DovecotServer): Promise<void> {
  for (const folder of FOLDERS) {
    const inA = await digests(a, folder);
    expect(inA, folder).toHaveLength(PER_FOLDER);
    expect(await digests(b, folder), folder).toEqual(inA);
  }
}

const warningsAbout = (stderr: string): string[] => stderr.split('\n').filter((l) => /accepted only/.test(l));

describe('a server allowing fewer connections than --connections', () => {
  const servers: DovecotServer[] = [];
  const start = async (extraConfig?: string): Promise<DovecotServer> => {
    const server = await startDovecot(extraConfig ? { extraConfig } : {});
    servers.push(server);
    return server;
  };
  let plainA: DovecotServer;
  beforeAll(async () => {
    plainA = await start();
    await seedSource(plainA);
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('B allows 2: the run uses 2, says so once, and copies every message', async () => {
    const b = await start(limitTo(2));
    const args = ['sync', plainA.url(), b.url(), '--tls-ca', plainA.caFile, '--state', join(tempDir(), 'b.state'), '--connections', '4'];
    const run = await runCli(args, passwordEnv(plainA, b));
    expect(run.code, run.stderr).toBe(0);
    expect(warningsAbout(run.stderr), run.stderr).toHaveLength(1);
    expect(run.stderr).toMatch(/B accepted only 2 connections/);
    await expectSameMail(plainA, b);
  });

  it('A allows 2: the same', async () => {
    const a = await start(limitTo(2));
    await seedSource(a);
    const b = await start();
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', join(tempDir(), 'a.state'), '--connections', '4', '--json'];
    const run = await runCli(args, passwordEnv(a, b));
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { warnings: string[]; copied: number };
    expect(summary.warnings.filter((w) => /accepted only/.test(w)), run.stdout).toEqual([expect.stringMatching(/^A accepted only 2 connections/)]);
    expect(summary.copied).toBe(FOLDERS.length * PER_FOLDER);
    await expectSameMail(a, b);
  });

  it('the first connection refused → exit 3, "too many connections", not "wrong password"', async () => {
    const b = await start(limitTo(1));
    let holder: ImapFlow | undefined;
    try {
      holder = await openClient(b);
      const args = ['sync', plainA.url(), b.url(), '--tls-ca', plainA.caFile, '--state', join(tempDir(), 'first.state')];
      const run = await runCli(args, passwordEnv(plainA, b));
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toMatch(/^replimap: B: too many connections for user alice: the server allows 1\b/m);
      expect(run.stderr).not.toMatch(/password/i);
    } finally {
      await holder?.logout();
    }
  });
});
