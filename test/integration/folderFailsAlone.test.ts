// One bad folder never stops the rest of the account: a folder A gives no
// status for, one A cannot open (NO), one whose SELECT makes A drop the
// connection. Each is listed as failed (on A's side) and the other folders sync;
// a server that drops every connection still ends the run (exit 3).

import { chmodSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { bodyDigestsOf, seedFolder } from '../support/imap.js';
import { ResponseSplitter, startFilterProxy, withoutStartTls } from '../support/filterProxy.js';
import { plainSpecVia, syncOnce, tempDir } from '../support/sync.js';
import { taggedMessages } from '../support/taggedMessages.js';

const digests = bodyDigestsOf;

/**
 * A plaintext proxy in front of `target` that cuts both ends of a connection
 * when the client sends a command matching `cutOn` (an imap process crashing
 * on a damaged mailbox); everything else passes.
 */
async function cuttingProxy(target: DovecotServer, cutOn: RegExp): Promise<{ port: number; cuts: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let cuts = 0;
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: target.host, port: target.imapPort });
    sockets.add(client).add(upstream);
    const splitter = new ResponseSplitter();
    upstream.on('data', (chunk: Buffer) => {
      for (const response of splitter.push(chunk)) client.write(withoutStartTls(response));
    });
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('data', (chunk: Buffer) => {
      if (cutOn.test(chunk.toString('latin1'))) {
        cuts++;
        close();
      } else upstream.write(chunk);
    });
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cuts: () => cuts,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('one folder fails alone', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    statePath = join(tempDir(), 'alone.state');
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  it('a folder whose STATUS A does not answer is read by its SELECT: every folder is synced', async () => {
    await seedFolder(a, 'INBOX', taggedMessages('inbox', 3));
    await seedFolder(a, 'Broken', taggedMessages('broken', 2));
    // A lists "Broken" but gives no status for it (deleted between LIST and STATUS, a busy index).
    const proxy = await startFilterProxy({
      targetHost: a.host, targetPort: a.imapPort,
      filter: (response) => (/^\* STATUS "?Broken"? /i.test(response.toString('latin1')) ? null : response),
    });
    try {
      const run = await syncOnce(a, b, statePath, {}, {}, { a: plainSpecVia(a, proxy.port) }).catch((err: Error) => err);
      expect(run instanceof Error ? run.message : 'no error').toBe('no error');
      expect(proxy.dropped(), 'the STATUS of "Broken" was withheld').toBeGreaterThan(0);
      expect(run instanceof Error ? [] : run.failures).toEqual([]);
      expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
      expect(await digests(b, 'Broken')).toEqual(await digests(a, 'Broken'));
    } finally {
      await proxy.close();
    }
  });

  it('a folder A lists but cannot open (STATUS and SELECT answered NO) fails alone, on A\'s side', async () => {
    await seedFolder(a, 'INBOX', taggedMessages('inbox', 3));
    await seedFolder(a, 'Broken', taggedMessages('broken', 2));
    await seedFolder(a, 'Zeta', taggedMessages('zeta', 2));
    // The mail processes run as an unprivileged user: they can list Broken but not open it.
    const brokenDir = join(a.maildirOf(), 'Broken');
    chmodSync(brokenDir, 0o000);
    try {
      const run = await syncOnce(a, b, statePath).catch((err: Error) => err);
      expect(run instanceof Error ? run.message : 'no error').toBe('no error');
      if (run instanceof Error) return;
      expect(run.failures.map((f) => [f.folder, f.uid, f.side])).toEqual([['Broken', 0, 'A']]);
    } finally {
      chmodSync(brokenDir, 0o700);
    }
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
    expect(await digests(b, 'Zeta')).toEqual(await digests(a, 'Zeta'));
  });

  it('a folder whose SELECT makes A drop the connection fails alone: the folders after it are synced', async () => {
    await seedFolder(a, 'INBOX', taggedMessages('inbox', 2));
    await seedFolder(a, 'Broken', taggedMessages('broken', 2));
    await seedFolder(a, 'Zeta', taggedMessages('zeta', 2));
    const proxy = await cuttingProxy(a, / (SELECT|EXAMINE) "?Broken"?/i);
    try {
      const run = await syncOnce(a, b, statePath, { connections: 1 }, {}, { a: plainSpecVia(a, proxy.port) }).catch((err: Error) => err);
      expect(run instanceof Error ? run.message : 'no error').toBe('no error');
      if (run instanceof Error) return;
      expect(proxy.cuts()).toBe(1);
      expect(run.failures.map((f) => [f.folder, f.uid, f.side])).toEqual([['Broken', 0, 'A']]);
      expect(run.failures[0]!.reason).toMatch(/^A: connection to .* lost/);
      expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
      expect(await digests(b, 'Zeta')).toEqual(await digests(a, 'Zeta'));
    } finally {
      await proxy.close();
    }
  });

  it('a server that drops the connection at every folder: the run gives up after 3 losses in a row (exit 3)', async () => {
    for (const name of ['F1', 'F2', 'F3', 'F4', 'F5']) await seedFolder(a, name, taggedMessages(name, 1));
    const proxy = await cuttingProxy(a, / (SELECT|EXAMINE) /i);
    try {
      const run = await syncOnce(a, b, statePath, { connections: 1 }, {}, { a: plainSpecVia(a, proxy.port) }).catch((err: Error) => err);
      expect(run).toBeInstanceOf(Error);
      expect((run as Error & { exitCode?: number }).exitCode).toBe(3);
      expect(proxy.cuts()).toBe(3);
    } finally {
      await proxy.close();
    }
  });
});
