// Issue 6, point 12: a link that stays open but carries no data. The run must
// not hang on it (--timeout), and a signal must stop the run within seconds
// whatever the network does, with the state saved and nothing lost or copied
// twice on the next run. B is reached through a proxy that stalls on command.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateMessages } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, seedFolder } from '../support/imap.js';
import { startStallProxy, type StallProxy } from '../support/stallProxy.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';

const FOLDERS = ['INBOX', 'Archive', 'Lists'];
const PER_FOLDER = 150;

const digests = bodyDigestsOf;

describe('a stalled link', () => {
  let a: DovecotServer;
  const targets: DovecotServer[] = [];
  const proxies: StallProxy[] = [];

  beforeAll(async () => {
    a = await startDovecot();
    for (const [i, folder] of FOLDERS.entries()) {
      const messages = generateMessages(PER_FOLDER, { seed: 600 + i, folder });
      await seedFolder(a, folder, messages.map((m) => ({ raw: m.raw, flags: m.flags, internalDate: m.internalDate })));
    }
  });
  afterAll(async () => {
    await Promise.all([...proxies.map((p) => p.close()), a?.stop(), ...targets.map((t) => t.stop())]);
  });

  /** A fresh B behind a proxy that stalls once about 1 MB of mail went up to it (default), or never by itself. */
  async function stalledB(stallAfterBytesUp: number | undefined = 1_000_000): Promise<{ b: DovecotServer; proxy: StallProxy; url: string }> {
    const b = await startDovecot();
    targets.push(b);
    const proxy = await startStallProxy({ targetPort: b.imapsPort, ...(stallAfterBytesUp !== undefined && { stallAfterBytesUp }) });
    proxies.push(proxy);
    return { b, proxy, url: `imaps://alice@127.0.0.1:${proxy.port}` };
  }

  // A silence fails its folder like any lost connection; the new connection the
  // worker then opens meets the same silence at the greeting, which ends the run.
  it('--timeout 3: the folder fails naming B and the timeout, and the run ends with exit 3', async () => {
    const { b, url } = await stalledB();
    const args = ['sync', a.url(), url, '--tls-ca', a.caFile, '--state', join(tempDir(), 'timeout.state'), '--timeout', '3'];
    const run = await runCli(args, passwordEnv(a, b));
    expect(run.code, run.stderr).toBe(3);
    expect(run.stderr).toMatch(/ replimap: failed: \w+: B: no answer from 127\.0\.0\.1:\d+ for 3 s during .*--timeout/);
    expect(run.stderr).toMatch(/^replimap: B: timed out connecting to 127\.0\.0\.1:\d+$/m);
  });

  it('SIGTERM during a stall (default timeout) → exit 143, and a rerun completes with no duplicate and no loss', async () => {
    const { b, proxy, url } = await stalledB();
    const statePath = join(tempDir(), 'sigterm.state');
    const args = ['sync', a.url(), url, '--tls-ca', a.caFile, '--state', statePath];
    const env = passwordEnv(a, b);
    const stopped = await runCli(args, env, { killWhen: proxy.stalled, signal: 'SIGTERM' });
    expect(stopped.code, stopped.stderr).toBe(143);
    expect(stopped.stderr).toMatch(/stopped by SIGTERM; state saved/);

    proxy.resume();
    const rerun = await runCli([...args, '--json'], env);
    expect(rerun.code, rerun.stderr).toBe(0);
    for (const folder of FOLDERS) {
      expect(await digests(b, folder), folder).toEqual(await digests(a, folder));
    }
  });

  it('SIGINT while connecting to a server that never greets → exit 130', async () => {
    const { b, proxy, url } = await stalledB(undefined);
    proxy.stall();
    const args = ['sync', a.url(), url, '--tls-ca', a.caFile, '--state', join(tempDir(), 'greeting.state')];
    const stopped = await runCli(args, passwordEnv(a, b), { killWhen: proxy.accepted, signal: 'SIGINT' });
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/stopped by SIGINT; state saved/);
  });
});
