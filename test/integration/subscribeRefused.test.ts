// A SUBSCRIBE that B refuses costs no mail: the folder is synced, the refusal
// is a warning, and the next run subscribes. (B is a real Dovecot behind a
// proxy that turns its OK to SUBSCRIBE into a NO.)

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { passThrough, startFilterProxy, type FilterProxy, type ResponseFilter } from '../support/filterProxy.js';
import { bodyDigestsOf, listFolders, openClient, seedFolder } from '../support/imap.js';
import { plainSpecVia, syncOnce, tempDir } from '../support/sync.js';

const refuseSubscribe: ResponseFilter = (response) => {
  const line = /^(\S+) OK Subscribe\b/i.exec(response.toString('latin1'));
  return line ? Buffer.from(`${line[1]} NO [CANNOT] subscriptions are read-only here (test)\r\n`, 'latin1') : response;
};

function message(folder: string, n: number): string {
  return [`From: <s${n}@example.org>`, `Subject: ${folder} ${n}`, `Message-ID: <sub.${folder}.${n}@example.org>`,
    'Date: Fri, 6 Mar 2026 10:00:00 +0000', '', `${folder} body ${n}`, ''].join('\r\n');
}

const digests = bodyDigestsOf;

describe('a SUBSCRIBE that B refuses', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let proxy: FilterProxy;

  beforeAll(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    proxy = await startFilterProxy({ targetHost: b.host, targetPort: b.imapPort, filter: passThrough });
  });
  afterAll(async () => {
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('is a warning, not the end of the run: every folder is synced, and the next run subscribes', async () => {
    await seedFolder(a, 'INBOX', [1, 2].map((n) => ({ raw: message('INBOX', n) })));
    await seedFolder(a, 'Work', [1, 2, 3].map((n) => ({ raw: message('Work', n) })));
    const client = await openClient(a);
    try {
      await client.mailboxSubscribe('Work');
    } finally {
      await client.logout();
    }
    const statePath = join(tempDir(), 'subscribe.state');
    const viaProxy = { b: plainSpecVia(b, proxy.port) };

    proxy.setFilter(refuseSubscribe);
    const first = await syncOnce(a, b, statePath, {}, {}, viaProxy);
    proxy.setFilter(passThrough);
    expect(first.failures).toEqual([]);
    expect(first.warnings).toEqual([expect.stringMatching(/Work: could not subscribe to it on B .*subscriptions are read-only/)]);
    expect(await digests(b, 'Work')).toEqual(await digests(a, 'Work'));
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
    // The proxy only changed Dovecot's answer; undo what Dovecot did, so B is as a refusing server leaves it.
    const onB = await openClient(b);
    try {
      await onB.mailboxUnsubscribe('Work');
    } finally {
      await onB.logout();
    }
    expect((await listFolders(b)).find((f) => f.name === 'Work')?.subscribed).toBe(false);

    const second = await syncOnce(a, b, statePath, {}, {}, viaProxy);
    expect(second.failures).toEqual([]);
    expect(second.warnings).toEqual([]);
    expect((await listFolders(b)).find((f) => f.name === 'Work')?.subscribed).toBe(true);
  });
});
