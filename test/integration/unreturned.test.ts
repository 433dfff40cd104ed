// A server that answers a FETCH with OK but leaves one message's data out (a
// real Dovecot behind a proxy that drops that FETCH row). The message is
// still on A, so it is a failure listed by folder and UID with exit 1, its
// record is kept, and the next run copies it: never a silent exit 0.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropBodyOf, dropEnvelopeOf, passThrough, startFilterProxy, type FilterProxy } from '../support/filterProxy.js';
import { expungeUids, readFolder, seedFolder } from '../support/imap.js';
import { passwordEnv, plainSpecVia, runCli, syncOnce, tempDir } from '../support/sync.js';

function message(folder: string, n: number): string {
  return [
    `From: <u${n}@example.org>`,
    `Subject: ${folder} unreturned ${n}`,
    `Message-ID: <unreturned.${folder}.${n}@example.org>`,
    'Date: Thu, 5 Mar 2026 09:00:00 +0000',
    '',
    `body ${n} `.repeat(50 + n),
    '',
  ].join('\r\n');
}

async function digests(server: DovecotServer, folder: string): Promise<string[]> {
  const messages = await readFolder(server, folder);
  return messages.map((m) => createHash('sha256').update(m.body).digest('hex')).sort();
}

describe('a server that answers a FETCH with OK and leaves a message out', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let proxy: FilterProxy;

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    proxy = await startFilterProxy({ targetHost: a.host, targetPort: a.imapPort, filter: passThrough });
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('no body: listed by folder and UID, exit 1, the others copied; the next run copies it and exits 0', async () => {
    const uids = await seedFolder(a, 'Bodies', [1, 2, 3, 4, 5].map((n) => ({ raw: message('Bodies', n) })));
    const statePath = join(tempDir(), 'bodies.state');
    const args = ['sync', `imap://alice@127.0.0.1:${proxy.port}`, b.url(), '--insecure', '--state', statePath, '--include', 'Bodies'];
    proxy.setFilter(dropBodyOf(uids[2]!));

    const first = await runCli([...args, '--json'], passwordEnv(a, b));
    proxy.setFilter(passThrough);
    expect(proxy.dropped()).toBeGreaterThan(0);
    expect(first.code, first.stderr).toBe(1);
    const summary = JSON.parse(first.stdout);
    expect(summary.copied).toBe(4);
    expect(summary.failed).toEqual([expect.objectContaining({ folder: 'Bodies', uid: uids[2], side: 'A' })]);
    expect(summary.failed[0].reason).toMatch(/no body/);
    const onA = await digests(a, 'Bodies');
    const left = (await readFolder(a, 'Bodies')).find((m) => m.uid === uids[2])!;
    const leftDigest = createHash('sha256').update(left.body).digest('hex');
    expect(await digests(b, 'Bodies')).toEqual(onA.filter((d) => d !== leftDigest));

    const second = await runCli(args, passwordEnv(a, b));
    expect(second.code, second.stderr + second.stdout).toBe(0);
    expect(await digests(b, 'Bodies')).toEqual(onA);
  });

  it('no envelope for a known message B lost: listed, exit 1, record kept; the next run copies it', async () => {
    const uids = await seedFolder(a, 'Envelopes', [1, 2, 3, 4, 5].map((n) => ({ raw: message('Envelopes', n) })));
    const statePath = join(tempDir(), 'envelopes.state');
    const specs = { a: plainSpecVia(a, proxy.port) };
    const options = { filter: { include: ['Envelopes'], exclude: [] } };
    const first = await syncOnce(a, b, statePath, options, {}, specs);
    expect(first.failures).toEqual([]);
    const onA = await digests(a, 'Envelopes');
    expect(await digests(b, 'Envelopes')).toEqual(onA);

    // B loses the third message: A's side is a known record that must be appended again.
    const third = (await readFolder(b, 'Envelopes')).find((m) => m.body.toString() === message('Envelopes', 3))!;
    await expungeUids(b, 'Envelopes', [third.uid]);
    proxy.setFilter(dropEnvelopeOf(uids[2]!));
    const second = await syncOnce(a, b, statePath, options, {}, specs);
    proxy.setFilter(passThrough);
    expect(second.failures).toEqual([expect.objectContaining({ folder: 'Envelopes', uid: uids[2], side: 'A' })]);
    expect(second.failures[0]!.reason).toMatch(/no envelope/);
    expect(second.summary.failed).toHaveLength(1);
    expect(await digests(b, 'Envelopes')).toHaveLength(4);

    const fourth = await syncOnce(a, b, statePath, options, {}, specs);
    expect(fourth.failures).toEqual([]);
    expect(fourth.summary.copied).toBe(1);
    expect(await digests(b, 'Envelopes')).toEqual(onA);
  });
  it('no envelope for a message new on A: listed, exit 1; the next run copies it', async () => {
    const uids = await seedFolder(a, 'NewMail', [1, 2, 3].map((n) => ({ raw: message('NewMail', n) })));
    const statePath = join(tempDir(), 'newmail.state');
    const specs = { a: plainSpecVia(a, proxy.port) };
    const options = { filter: { include: ['NewMail'], exclude: [] } };
    expect((await syncOnce(a, b, statePath, options, {}, specs)).failures).toEqual([]);

    const added = await seedFolder(a, 'NewMail', [4, 5].map((n) => ({ raw: message('NewMail', n) })));
    proxy.setFilter(dropEnvelopeOf(added[0]!));
    const second = await syncOnce(a, b, statePath, options, {}, specs);
    proxy.setFilter(passThrough);
    expect(second.failures).toEqual([expect.objectContaining({ folder: 'NewMail', uid: added[0], side: 'A' })]);
    expect(second.failures[0]!.reason).toMatch(/no envelope/);
    expect(second.summary.copied).toBe(1);

    const third = await syncOnce(a, b, statePath, options, {}, specs);
    expect(third.failures).toEqual([]);
    expect(third.summary.copied).toBe(1);
    expect(await digests(b, 'NewMail')).toEqual(await digests(a, 'NewMail'));
    expect(uids).toHaveLength(3);
  });

  it('no row at all for one message in a first run: listed, exit 1; the next run copies it', async () => {
    const uids = await seedFolder(a, 'FirstRun', [1, 2, 3, 4].map((n) => ({ raw: message('FirstRun', n) })));
    const statePath = join(tempDir(), 'firstrun.state');
    const specs = { a: plainSpecVia(a, proxy.port) };
    const options = { filter: { include: ['FirstRun'], exclude: [] } };
    proxy.setFilter(dropEnvelopeOf(uids[1]!));
    const first = await syncOnce(a, b, statePath, options, {}, specs);
    proxy.setFilter(passThrough);
    expect(first.failures).toEqual([expect.objectContaining({ folder: 'FirstRun', uid: uids[1], side: 'A' })]);
    expect(first.summary.copied).toBe(3);

    const second = await syncOnce(a, b, statePath, options, {}, specs);
    expect(second.failures).toEqual([]);
    expect(second.summary.copied).toBe(1);
    expect(await digests(b, 'FirstRun')).toEqual(await digests(a, 'FirstRun'));
  });
});
