// Issue 6, point 2: messages that share a global id but differ in body (two
// versions of a list post; Message-ID-less twins of equal size). After a lost
// state, the pairing must keep on B exactly the versions A has.

import { createHash } from 'node:crypto';
import { readdirSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { connect as tlsConnect, createServer as createTlsServer, type Server } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, testCertificate, type DovecotServer } from '../support/dovecot.js';
import { expungeUids, readFolder, seedFolder, type StoredMessage } from '../support/imap.js';
import { syncOnce, tempDir, type EngineRun } from '../support/sync.js';

/** One list post: every identity header is the same for all versions, only the body differs. */
function version(body: string, withMessageId = true): string {
  return [
    'From: List <list@example.org>',
    'Subject: [list] weekly news',
    'Date: Tue, 3 Mar 2026 09:00:00 +0100',
    ...(withMessageId ? ['Message-ID: <weekly.news@example.org>'] : []),
    '',
    body,
    '',
  ].join('\r\n');
}

const digest = (body: Buffer): string => createHash('sha256').update(body).digest('hex');
const digests = (ms: { body: Buffer }[]): string[] => ms.map((m) => digest(m.body)).sort();

/** The state file and everything next to it that belongs to it (journal, lock). */
function loseState(statePath: string): void {
  for (const name of readdirSync(dirname(statePath))) {
    if (name.startsWith(basename(statePath))) rmSync(join(dirname(statePath), name));
  }
}

const COMPARING = /comparing the bodies/;

/**
 * A TLS proxy in front of a real server that answers NO to every full-body
 * FETCH (BODY.PEEK[]) and passes everything else through unchanged.
 */
async function refusingBodies(server: DovecotServer): Promise<{ server: DovecotServer; close: () => Promise<void> }> {
  const { certPem, keyPem } = await testCertificate();
  const proxy: Server = createTlsServer({ cert: certPem, key: keyPem }, (client) => {
    const upstream = tlsConnect({ host: server.host, port: server.imapsPort, ca: server.caPem, servername: 'localhost' });
    upstream.pipe(client);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
        const line = pending.subarray(0, end + 2);
        pending = pending.subarray(end + 2);
        const refused = /^(\S+) UID FETCH .*BODY\.PEEK\[\]/i.exec(line.toString('latin1'));
        if (refused) client.write(`${refused[1]} NO [UNAVAILABLE] refused by the test proxy\r\n`);
        else upstream.write(line);
      }
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, server.host, resolve));
  const port = (proxy.address() as AddressInfo).port;
  return {
    server: { ...server, imapsPort: port },
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

describe('versions of one message (same global id, different bodies)', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let statePath: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    statePath = join(tempDir(), 'versions.state');
  });
  afterEach(async () => {
    await Promise.all([a.stop(), b.stop()]);
  });

  /** Mirror A's two versions, lose the state, expunge A's first version; returns that version. */
  async function mirroredThenFirstExpunged(first: string, second: string): Promise<StoredMessage> {
    await seedFolder(a, 'INBOX', [{ raw: first }, { raw: second }]);
    const initial = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(initial.failures).toEqual([]);
    expect(digests(await readFolder(b, 'INBOX'))).toEqual(digests(await readFolder(a, 'INBOX')));
    loseState(statePath);
    const [v1] = await readFolder(a, 'INBOX');
    await expungeUids(a, 'INBOX', [v1!.uid]);
    return v1!;
  }

  async function mirrorAfterLostState(first: string, second: string): Promise<EngineRun> {
    await mirroredThenFirstExpunged(first, second);
    return syncOnce(a, b, statePath, { mode: 'mirror' });
  }

  it('mirror after a lost state keeps the list post version A kept (sizes differ)', async () => {
    const run = await mirrorAfterLostState(version('Version one.'), version('Version two, corrected and longer.'));
    expect(run.failures).toEqual([]);
    const [onA, onB] = await Promise.all([readFolder(a, 'INBOX'), readFolder(b, 'INBOX')]);
    expect(onA).toHaveLength(1);
    expect(digests(onB)).toEqual(digests(onA));
    // The next run changes nothing and compares nothing.
    const again = await syncOnce(a, b, statePath, { mode: 'mirror', full: true });
    expect(again.summary.expunged + again.summary.copied).toBe(0);
    expect(again.verbose.filter((l) => COMPARING.test(l))).toEqual([]);
    expect(digests(await readFolder(b, 'INBOX'))).toEqual(digests(onA));
  });

  it('mirror after a lost state keeps the right one of two Message-ID-less twins of equal size', async () => {
    const run = await mirrorAfterLostState(version('Twin AAAA.', false), version('Twin BBBB.', false));
    expect(run.failures).toEqual([]);
    const [onA, onB] = await Promise.all([readFolder(a, 'INBOX'), readFolder(b, 'INBOX')]);
    expect(onA).toHaveLength(1);
    expect(digests(onB)).toEqual(digests(onA));
    expect(run.verbose.some((l) => COMPARING.test(l))).toBe(true);
    const again = await syncOnce(a, b, statePath, { mode: 'mirror', full: true });
    expect(again.summary.expunged + again.summary.copied).toBe(0);
    expect(again.verbose.filter((l) => COMPARING.test(l))).toEqual([]);
    expect(digests(await readFolder(b, 'INBOX'))).toEqual(digests(onA));
  });

  it('after a UIDVALIDITY change of B, twins known to A only by the state are told apart by body', async () => {
    await seedFolder(a, 'INBOX', [{ raw: version('Twin AAAA.', false) }, { raw: version('Twin BBBB.', false) }]);
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    const [v1] = await readFolder(a, 'INBOX');
    await expungeUids(a, 'INBOX', [v1!.uid]);
    await b.doveadm(['mailbox', 'update', '-u', 'alice', '--uid-validity', '4242', 'INBOX']);
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.failures).toEqual([]);
    const [onA, onB] = await Promise.all([readFolder(a, 'INBOX'), readFolder(b, 'INBOX')]);
    expect(onA).toHaveLength(1);
    expect(digests(onB)).toEqual(digests(onA));
  });

  it('bodies B will not give: both twins kept, A’s copied, nothing deleted; the next run settles it', async () => {
    await mirroredThenFirstExpunged(version('Twin AAAA.', false), version('Twin BBBB.', false));
    const proxy = await refusingBodies(b);
    let run: EngineRun;
    try {
      run = await syncOnce(a, proxy.server, statePath, { mode: 'mirror' });
    } finally {
      await proxy.close();
    }
    expect(run.failures).toEqual([]);
    expect(run.summary.expunged).toBe(0);
    expect(run.warnings.some((w) => /could not compare the bodies of 2 messages/.test(w))).toBe(true);
    const [onA, onB] = await Promise.all([readFolder(a, 'INBOX'), readFolder(b, 'INBOX')]);
    // B holds A's version, and still both of its own.
    expect(onB).toHaveLength(3);
    for (const d of digests(onA)) expect(digests(onB)).toContain(d);

    const next = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(next.failures).toEqual([]);
    expect(digests(await readFolder(b, 'INBOX'))).toEqual(digests(onA));
  });

  it('copy: B holding only the other twin gets A’s twin copied', async () => {
    const x = version('Twin XXXX.', false);
    const y = version('Twin YYYY.', false);
    await seedFolder(a, 'INBOX', [{ raw: x }, { raw: y }]);
    await seedFolder(b, 'INBOX', [{ raw: y }]);
    const run = await syncOnce(a, b, statePath, { mode: 'copy' });
    expect(run.failures).toEqual([]);
    expect(run.summary.copied).toBe(1);
    const [onA, onB] = await Promise.all([readFolder(a, 'INBOX'), readFolder(b, 'INBOX')]);
    expect(digests(onB)).toEqual(digests(onA));
  });

  it('dry run compares bodies too, and lists the right deletion', async () => {
    const v1 = await mirroredThenFirstExpunged(version('Twin AAAA.', false), version('Twin BBBB.', false));
    const onB = await readFolder(b, 'INBOX');
    const stale = onB.find((m) => digest(m.body) === digest(v1.body))!;
    const run = await syncOnce(a, b, statePath, { mode: 'mirror', dryRun: true });
    const deletions = run.wouldDo.filter((l) => l.includes('delete'));
    expect(deletions).toHaveLength(1);
    expect(deletions[0]).toContain(`B UID ${stale.uid} `);
    expect(await readFolder(b, 'INBOX')).toHaveLength(2);
  });

  it('a run with no ambiguity fetches no body to compare', async () => {
    // Big bodies: a single body read for a digest would show in the bytes received.
    const big = (id: string, n: number): { raw: string } => ({
      raw: version(`${id}\r\n${'x'.repeat(n)}`).replace('weekly.news', id),
    });
    await seedFolder(a, 'INBOX', [big('one', 300_000), big('two', 310_000), big('three', 320_000)]);
    await syncOnce(a, b, statePath, { mode: 'mirror' });
    loseState(statePath);
    const [one] = await readFolder(a, 'INBOX');
    await expungeUids(a, 'INBOX', [one!.uid]);
    // Two versions of a new post, on A only: nothing to choose between, both are copied.
    await seedFolder(a, 'INBOX', [{ raw: version('New post.') }, { raw: version('New post, corrected.') }]);
    const run = await syncOnce(a, b, statePath, { mode: 'mirror' });
    expect(run.failures).toEqual([]);
    expect(run.summary.expunged).toBe(1);
    expect(run.summary.copied).toBe(2);
    expect(run.verbose.filter((l) => COMPARING.test(l))).toEqual([]);
    expect(run.summary.stats.a.bytesIn).toBeLessThan(300_000);
    expect(run.summary.stats.b.bytesIn).toBeLessThan(300_000);
    expect(digests(await readFolder(b, 'INBOX'))).toEqual(digests(await readFolder(a, 'INBOX')));
  });

  for (const mode of ['copy', 'mirror'] as const) {
    it(`${mode}, state kept: a new version replacing a synced one on A (v1 expunged, v2 appended) reaches B`, async () => {
      await seedFolder(a, 'INBOX', [{ raw: version('version 1') }]);
      expect((await syncOnce(a, b, statePath, { mode })).failures).toEqual([]);
      expect(digests(await readFolder(b, 'INBOX'))).toEqual(digests(await readFolder(a, 'INBOX')));
      // A tool rewrites the message on A (strips an attachment): v1 expunged, v2 appended, same headers.
      const [v1] = await readFolder(a, 'INBOX');
      await expungeUids(a, 'INBOX', [v1!.uid]);
      await seedFolder(a, 'INBOX', [{ raw: version('version 2, a longer and different body') }]);
      const v2 = digests(await readFolder(a, 'INBOX'));

      const run = await syncOnce(a, b, statePath, { mode });
      expect(run.failures).toEqual([]);
      const onB = digests(await readFolder(b, 'INBOX'));
      // Copy keeps v1 and adds v2; mirror holds exactly v2.
      if (mode === 'mirror') expect(onB).toEqual(v2);
      else expect(onB).toEqual([...v2, digest(v1!.body)].sort());
      // The next run has nothing to do and compares no body.
      const next = await syncOnce(a, b, statePath, { mode });
      expect(next.summary).toMatchObject({ copied: 0, expunged: 0 });
      expect(next.verbose.filter((l) => COMPARING.test(l))).toEqual([]);
    });
  }
});
