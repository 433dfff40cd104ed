// A server that answers a FETCH with OK but leaves one message's data out (a
// real Dovecot behind a proxy that drops that FETCH row). The message is
// still on A, so it is a failure listed by folder and UID with exit 1, its
// record is kept, and the next run copies it: never a silent exit 0.

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropBodyOf, dropEnvelopeOf, passThrough, startFilterProxy, type FilterProxy, type ResponseFilter } from '../support/filterProxy.js';
import { bodyDigestsOf, expungeUids, readFolder, seedFolder } from '../support/imap.js';
import { passwordEnv, plainSpecVia, runCli, syncOnce, tempDir, type EngineRun } from '../support/sync.js';

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

const digests = bodyDigestsOf;

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

  /** One engine run on one folder, A reached through the proxy dropping what `filter` drops. */
  async function syncThrough(folder: string, statePath: string, filter: ResponseFilter = passThrough, dryRun = false): Promise<EngineRun> {
    proxy.setFilter(filter);
    try {
      const options = { filter: { include: [folder], exclude: [] }, dryRun };
      return await syncOnce(a, b, statePath, options, {}, { a: plainSpecVia(a, proxy.port) });
    } finally {
      proxy.setFilter(passThrough);
    }
  }

  const seed = (folder: string, numbers: number[]): Promise<number[]> =>
    seedFolder(a, folder, numbers.map((n) => ({ raw: message(folder, n) })));

  it('no body: listed by folder and UID, exit 1, the others copied; the next run copies it and exits 0', async () => {
    const uids = await seed('Bodies', [1, 2, 3, 4, 5]);
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
    const uids = await seed('Envelopes', [1, 2, 3, 4, 5]);
    const statePath = join(tempDir(), 'envelopes.state');
    expect((await syncThrough('Envelopes', statePath)).failures).toEqual([]);
    const onA = await digests(a, 'Envelopes');
    expect(await digests(b, 'Envelopes')).toEqual(onA);

    // B loses the third message: A's side is a known record that must be appended again.
    const third = (await readFolder(b, 'Envelopes')).find((m) => m.body.toString() === message('Envelopes', 3))!;
    await expungeUids(b, 'Envelopes', [third.uid]);
    const second = await syncThrough('Envelopes', statePath, dropEnvelopeOf(uids[2]!));
    expect(second.failures).toEqual([expect.objectContaining({ folder: 'Envelopes', uid: uids[2], side: 'A' })]);
    expect(second.failures[0]!.reason).toMatch(/no envelope/);
    expect(second.summary.failed).toHaveLength(1);
    expect(await digests(b, 'Envelopes')).toHaveLength(4);

    // Only a kept record brings it back: A's folder did not change, so nothing else would.
    const fourth = await syncThrough('Envelopes', statePath);
    expect(fourth.failures).toEqual([]);
    expect(fourth.summary.copied).toBe(1);
    expect(await digests(b, 'Envelopes')).toEqual(onA);
  });

  it('no envelope for a message new on A: listed, exit 1; the next run copies it', async () => {
    await seed('NewMail', [1, 2, 3]);
    const statePath = join(tempDir(), 'newmail.state');
    expect((await syncThrough('NewMail', statePath)).failures).toEqual([]);

    const added = await seed('NewMail', [4, 5]);
    const dry = await syncThrough('NewMail', statePath, dropEnvelopeOf(added[0]!), true);
    expect(dry.warnings).toEqual([expect.stringMatching(new RegExp(`NewMail: A returned no envelope for UID ${added[0]}`))]);
    const second = await syncThrough('NewMail', statePath, dropEnvelopeOf(added[0]!));
    expect(second.failures).toEqual([expect.objectContaining({ folder: 'NewMail', uid: added[0], side: 'A' })]);
    expect(second.failures[0]!.reason).toMatch(/no envelope/);
    expect(second.summary.copied).toBe(1);

    const third = await syncThrough('NewMail', statePath);
    expect(third.failures).toEqual([]);
    expect(third.summary.copied).toBe(1);
    expect(await digests(b, 'NewMail')).toEqual(await digests(a, 'NewMail'));
  });

  it('no row at all for one message in a first run: listed, exit 1; the next run copies it', async () => {
    const uids = await seed('FirstRun', [1, 2, 3, 4]);
    const statePath = join(tempDir(), 'firstrun.state');
    const first = await syncThrough('FirstRun', statePath, dropEnvelopeOf(uids[1]!));
    expect(first.failures).toEqual([expect.objectContaining({ folder: 'FirstRun', uid: uids[1], side: 'A' })]);
    expect(first.summary.copied).toBe(3);

    const second = await syncThrough('FirstRun', statePath);
    expect(second.failures).toEqual([]);
    expect(second.summary.copied).toBe(1);
    expect(await digests(b, 'FirstRun')).toEqual(await digests(a, 'FirstRun'));
  });

  // The answer "it is gone" cannot be told from a server that also fails to answer the
  // check: the message keeps its A-only record and the folder is read again next run,
  // whose read decides (a real expunge is then seen as vanished; a message still there is copied).
  it('no body, and an empty answer to the check whether it still exists: kept for the next run, which copies it', async () => {
    const uids = await seed('Unsure', [1, 2, 3, 4, 5]);
    const statePath = join(tempDir(), 'unsure.state');
    const noBody = dropBodyOf(uids[2]!);
    // The same server that leaves the body out answers "UID SEARCH UID n" with OK and no SEARCH row.
    const first = await syncThrough('Unsure', statePath, (response) => (/^\* E?SEARCH/i.test(response.toString('latin1')) ? null : noBody(response)));
    expect(first.summary.copied).toBe(4);
    expect(first.failures).toEqual([]);
    expect(first.verbose).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`Unsure: A UID ${uids[2]} .*gone`))]));

    const next = await syncThrough('Unsure', statePath);
    expect(next.failures).toEqual([]);
    expect(next.summary.copied).toBe(1);
    expect(await digests(b, 'Unsure')).toEqual(await digests(a, 'Unsure'));
  });

  it('no body, an empty answer to the check, and A really expunged it: the next run lets it go, no failure, nothing copied', async () => {
    const uids = await seed('Gone', [1, 2, 3]);
    const statePath = join(tempDir(), 'gone.state');
    const noBody = dropBodyOf(uids[1]!);
    const first = await syncThrough('Gone', statePath, (response) => (/^\* E?SEARCH/i.test(response.toString('latin1')) ? null : noBody(response)));
    expect(first.failures).toEqual([]);
    expect(first.summary.copied).toBe(2);

    await expungeUids(a, 'Gone', [uids[1]!]);
    const next = await syncThrough('Gone', statePath);
    expect(next.failures).toEqual([]);
    expect(next.summary.copied).toBe(0);
    expect(await digests(b, 'Gone')).toEqual(await digests(a, 'Gone'));
    const settled = await syncThrough('Gone', statePath);
    expect([settled.failures, settled.summary.copied]).toEqual([[], 0]);
  });
});
