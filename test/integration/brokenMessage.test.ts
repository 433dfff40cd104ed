// One message that A serves broken (a body cut short of its RFC822.SIZE, a
// body FETCH answered NO because of it, a garbled INTERNALDATE) fails alone:
// it is listed by folder and UID (exit 1), the rest of the folder is copied,
// and the next run tries it again. Real Dovecot behind a proxy that breaks
// that one message's answer. (From the hostile review of issue 6.)

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { fetchRowOf, passThrough, startFilterProxy, type FilterProxy, type ResponseFilter } from '../support/filterProxy.js';
import { bodyDigestsOf as digests, readFolder, seedFolder } from '../support/imap.js';
import { plainSpecVia, syncOnce, tempDir } from '../support/sync.js';
import { taggedMessage, taggedMessages } from '../support/taggedMessages.js';

const digest = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

/** A's answer with the body of `uid` cut to half its length (the literal's count says so: a well-formed, short answer). */
function cutBodyOf(uid: number): ResponseFilter {
  return (response) => {
    const row = fetchRowOf(response);
    const literal = row && /BODY\[\] \{(\d+)\}$/i.exec(row.head);
    if (row?.uid !== uid || !literal) return response;
    const body = response.subarray(row.head.length + 2, row.head.length + 2 + Number(literal[1]));
    const cut = body.subarray(0, Math.floor(body.length / 2));
    const head = row.head.replace(/\{\d+\}$/, `{${cut.length}}`);
    return Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), cut, Buffer.from(')\r\n')]);
  };
}

/** Like Dovecot with one damaged message file: the rows of the others come, the command ends in NO. */
function bodyFetchNoFor(uid: number): ResponseFilter {
  let failNext = false;
  return (response) => {
    const row = fetchRowOf(response);
    if (row?.uid === uid && /BODY\[\] \{/i.test(row.head)) {
      failNext = true;
      return null;
    }
    const tagged = /^(\S+) OK /.exec(response.toString('latin1'));
    if (failNext && tagged && tagged[1] !== '*') {
      failNext = false;
      return Buffer.from(`${tagged[1]} NO [SERVERBUG] Internal error occurred. Refer to server log for more information.\r\n`);
    }
    return response;
  };
}

describe('one message A serves broken', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let proxy: FilterProxy;
  let statePath: string;

  beforeEach(async () => {
    [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    proxy = await startFilterProxy({ targetHost: a.host, targetPort: a.imapPort, filter: passThrough });
    statePath = join(tempDir(), 'broken.state');
  });
  afterEach(async () => {
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  const viaProxy = (extra = {}) => ({ a: { ...plainSpecVia(a, proxy.port), ...extra } });

  /**
   * A holds `count` messages; with the message at `index` broken by `breakIt`, the run lists
   * that one alone (with `reason`) and B holds the others byte for byte, no cut copy; once
   * A behaves, the next run copies it.
   */
  async function failsAloneThenCopied(count: number, index: number, breakIt: (uid: number) => ResponseFilter, reason: RegExp): Promise<void> {
    await seedFolder(a, 'INBOX', taggedMessages('m', count));
    const broken = (await readFolder(a, 'INBOX'))[index]!;
    proxy.setFilter(breakIt(broken.uid));
    const run = await syncOnce(a, b, statePath, {}, {}, viaProxy());
    expect(run.failures).toEqual([expect.objectContaining({ folder: 'INBOX', uid: broken.uid, side: 'A', reason: expect.stringMatching(reason) })]);
    expect(run.summary.copied).toBe(count - 1);
    expect(await digests(b, 'INBOX')).toEqual((await digests(a, 'INBOX')).filter((d) => d !== digest(broken.body)));

    proxy.setFilter(passThrough);
    const next = await syncOnce(a, b, statePath, {}, {}, viaProxy());
    expect(next.failures).toEqual([]);
    expect(await digests(b, 'INBOX')).toEqual(await digests(a, 'INBOX'));
  }

  it('a body A sends shorter than its RFC822.SIZE is a listed failure, not a cut copy on B; the next run copies it', async () => {
    await failsAloneThenCopied(3, 1, cutBodyOf, /shorter than its RFC822\.SIZE/);
  });

  it('--allow-size-mismatch: a body shorter than announced is copied as sent, with a warning naming folder and UID', async () => {
    await seedFolder(a, 'INBOX', taggedMessages('m', 3));
    const onA = await readFolder(a, 'INBOX');
    const target = onA[1]!.uid;
    proxy.setFilter(cutBodyOf(target));
    const run = await syncOnce(a, b, statePath, {}, {}, viaProxy({ allowSizeMismatch: true }));
    expect(run.failures).toEqual([]);
    expect(run.summary.copied).toBe(3);
    expect(run.warnings).toEqual([expect.stringMatching(new RegExp(`INBOX.*UID ${target}\\b.*RFC822\\.SIZE`))]);
    // What A sent, as it sent it: the two others whole, the cut one cut.
    const sent = onA.map((m) => (m.uid === target ? m.body.subarray(0, Math.floor(m.body.length / 2)) : m.body));
    expect(await digests(b, 'INBOX')).toEqual(sent.map(digest).sort());
  });

  it('a body FETCH that A answers NO because of one broken message: that one fails with the server\'s text, the others are copied', async () => {
    await failsAloneThenCopied(5, 2, bodyFetchNoFor, /NO \[SERVERBUG\] Internal error/);
  });

  it('one message whose INTERNALDATE A garbles fails alone: the rest of the folder is copied; the next run copies it', async () => {
    const garbleDateOf = (uid: number): ResponseFilter => (response) => {
      if (fetchRowOf(response)?.uid !== uid) return response;
      return Buffer.from(response.toString('latin1').replace(/INTERNALDATE "[^"]*"/i, 'INTERNALDATE "yesterday"'), 'latin1');
    };
    await failsAloneThenCopied(5, 1, garbleDateOf, /no usable INTERNALDATE/);
  });
});

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('a Maildir file shorter than its recorded size on A (real Dovecot, no proxy)', () => {
  let servers: DovecotServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  // From the second hostile review: Dovecot closes the connection in the UID FETCH of that file's body.
  it('one truncated message file on A fails alone: every other message of the folder reaches B', async () => {
    const [a, b] = await Promise.all([startDovecot(), startDovecot()]);
    servers.push(a, b);
    const statePath = join(tempDir(), 'truncated.state');
    await seedFolder(a, 'INBOX', range(1, 30).map((n) => ({ raw: taggedMessage(n, 'a') + 'x'.repeat(2000) })));
    // Dovecot knows each size (index, ,S= in the file name); the file of one message loses its tail on disk.
    const dirs = [join(a.maildirOf(), 'cur'), join(a.maildirOf(), 'new')];
    const files = dirs.flatMap((d) => { try { return readdirSync(d).map((f) => join(d, f)); } catch { return []; } });
    const victim = files.find((f) => readFileSync(f, 'utf8').includes('Message-ID: <a.5@example.org>'))!;
    expect(victim).toBeDefined();
    const text = readFileSync(victim);
    await a.restart(async () => {
      writeFileSync(victim, text.subarray(0, text.length - 1500));
    });
    const expected = range(1, 30).filter((k) => k !== 5);
    for (const n of [1, 2]) {
      const run = await syncOnce(a, b, statePath, { mode: 'copy' });
      const onB = await readFolder(b, 'INBOX');
      const ids = onB.map((m) => /Message-ID: <a\.(\d+)@/.exec(m.body.toString())?.[1]).map(Number).sort((x, y) => x - y);
      expect(ids, `run ${n}`).toEqual(expected);
      expect(onB.map((m) => digest(m.body)).sort(), `run ${n}`).toEqual(expected.map((k) => digest(Buffer.from(taggedMessage(k, 'a') + 'x'.repeat(2000)))).sort());
      expect(run.summary.failed.map((f) => [f.folder, f.uid, f.side]), `run ${n}`).toEqual([['INBOX', 5, 'A']]);
      expect(run.summary.failed[0]!.reason, `run ${n}`).toMatch(/closed the connection/);
    }
  });
});
