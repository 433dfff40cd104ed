// Issue 6, points 13-15: a source server that misbehaves. A is a small scripted
// fake server (real servers do not misbehave on cue), B a real Dovecot.
//   13. a body far larger than the RFC822.SIZE announced is refused before it
//       is buffered: that message fails (exit 1), the others arrive;
//   14. unsolicited FETCH rows (other UIDs, no UID, no asked items) are ignored;
//   15. a STARTTLS answered NO says "refused STARTTLS", not "does not offer".

import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bigMessage, generateMessages } from '../support/corpus.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startFakeImap, writeHugeLiteral, type FakeMessage } from '../support/fakeImapServer.js';
import { readFolder, seedFolder } from '../support/imap.js';
import { runCli, tempDir } from '../support/sync.js';

const digest = (body: Buffer): string => createHash('sha256').update(body).digest('hex');

function corpus(count: number, seed: number): FakeMessage[] {
  return generateMessages(count, { seed }).map((m, i) => ({
    uid: i + 1,
    raw: Buffer.isBuffer(m.raw) ? m.raw : Buffer.from(m.raw),
    flags: [],
  }));
}

interface JsonRun {
  code: number | null;
  stderr: string;
  failed: { folder: string; uid: number; side: string; reason: string }[];
}

describe('a hostile source server', () => {
  let b: DovecotServer;
  let dir: string;

  beforeAll(async () => {
    // One B user per case: each copies A's INBOX into an INBOX of its own.
    b = await startDovecot({ users: ['huge', 'header', 'unsolicited', 'big', 'bigsrc'].map((name) => ({ name, password: 'secret' })) });
    dir = tempDir();
  });
  afterAll(async () => {
    await b?.stop();
  });

  async function syncFrom(port: number, user: string): Promise<JsonRun> {
    const run = await runCli(
      [
        'sync', `imap://alice@127.0.0.1:${port}`, b.url(user), '--insecure', '--tls-ca', b.caFile,
        '--state', join(dir, `${user}.state`), '--json',
      ],
      { REPLIMAP_PASSWORD_A: 'secret', REPLIMAP_PASSWORD_B: b.passwordOf(user) },
    );
    let failed: JsonRun['failed'] = [];
    try {
      failed = (JSON.parse(run.stdout) as { failed: JsonRun['failed'] }).failed;
    } catch {
      // no JSON: the run died before its summary; code and stderr tell why
    }
    return { code: run.code, stderr: run.stderr, failed };
  }

  it('13: a body far beyond its RFC822.SIZE is refused unbuffered; that message fails, the others arrive', async () => {
    const messages = corpus(5, 13);
    // UID 1 is big and genuine, so the batch's limit lets UID 2's lie (300 KB for 100 bytes)
    // through the parser: that one is refused when it arrives. UID 3's 300 MB is refused
    // when announced, and costs the connection.
    messages[0]!.raw = Buffer.concat([messages[0]!.raw, Buffer.from(`${'x'.repeat(998)}\r\n`.repeat(1024))]);
    messages[1]!.raw = Buffer.concat([messages[1]!.raw, Buffer.from(`${'y'.repeat(998)}\r\n`.repeat(300))]);
    messages[1]!.announcedSize = 100;
    const HUGE = 300 * 1024 * 1024;
    messages[2]!.announcedSize = 100;
    let hugeWritten = -1;
    const fake = await startFakeImap({
      messages,
      onFetchRow: async ({ uid, seq, items, socket }) => {
        if (uid !== 3 || !/BODY(\.PEEK)?\[\]/.test(items)) return false;
        hugeWritten = await writeHugeLiteral(socket, seq, uid, HUGE);
        return true;
      },
    });
    try {
      const run = await syncFrom(fake.port, 'huge');
      expect(run.code, run.stderr).toBe(1);
      expect(run.failed.map((f) => [f.folder, f.uid, f.side])).toEqual([['INBOX', 2, 'A'], ['INBOX', 3, 'A']]);
      expect(run.failed[0]!.reason).toMatch(/returned a body of \d+ bytes .*RFC822\.SIZE is 100; refused/);
      expect(run.failed[1]!.reason).toMatch(/announced a body of 314572800 bytes .*RFC822\.SIZE is 100; refused unread/);
      // Refused when announced, not after reading it: most of the 300 MB was never sent.
      expect(hugeWritten, 'the huge literal was announced').not.toBe(-1);
      expect(hugeWritten).toBeLessThan(HUGE);
      const onB = (await readFolder(b, 'INBOX', 'huge')).map((m) => digest(m.body)).sort();
      const expected = messages.filter((m) => m.uid !== 2 && m.uid !== 3).map((m) => digest(m.raw)).sort();
      expect(onB).toEqual(expected);
    } finally {
      await fake.stop();
    }
  }, 120_000);

  it('13: a header literal far beyond any header (an envelope FETCH) is refused unread; that folder fails, nothing hangs', async () => {
    const messages = corpus(3, 131);
    const HUGE = 300 * 1024 * 1024;
    let hugeWritten = -1;
    const fake = await startFakeImap({
      messages,
      onFetchRow: async ({ uid, seq, items, socket }) => {
        if (uid !== 2 || !/HEADER\.FIELDS/.test(items)) return false;
        const head = `FLAGS () RFC822.SIZE 100 INTERNALDATE "01-Jan-2024 10:00:00 +0000" BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT)]`;
        hugeWritten = await writeHugeLiteral(socket, seq, uid, HUGE, head);
        return true;
      },
    });
    try {
      const run = await syncFrom(fake.port, 'header');
      // The literal was refused when announced: most of the 300 MB was never sent, let alone kept.
      expect(hugeWritten, 'the huge literal was announced').not.toBe(-1);
      expect(hugeWritten).toBeLessThan(HUGE);
      expect(run.code, run.stderr).toBe(1);
      expect(run.failed.map((f) => [f.folder, f.uid, f.side])).toEqual([['INBOX', 0, 'A']]);
    } finally {
      await fake.stop();
    }
  }, 120_000);

  it('14: unsolicited FETCH rows (another UID, no UID, no asked items) are ignored; the folder syncs', async () => {
    const messages = corpus(5, 14);
    let unsolicited = 0;
    const fake = await startFakeImap({
      messages,
      onFetchRow: ({ uid, items, socket }) => {
        if (uid !== 2) return false;
        unsolicited++;
        // As a server does when another session changes flags meanwhile: a new
        // message's flags, a flag change without UID, and one of an asked UID without the asked items.
        socket.write('* 7 FETCH (UID 7 FLAGS (\\Seen))\r\n* 2 FETCH (FLAGS (\\Seen))\r\n');
        if (/BODY(\.PEEK)?\[\]/.test(items)) socket.write('* 4 FETCH (UID 4 FLAGS (\\Flagged))\r\n');
        return false;
      },
    });
    try {
      const run = await syncFrom(fake.port, 'unsolicited');
      expect(unsolicited, 'the unsolicited rows were sent').toBeGreaterThan(0);
      expect(run.failed).toEqual([]);
      expect(run.code, run.stderr).toBe(0);
      const onB = (await readFolder(b, 'INBOX', 'unsolicited')).map((m) => digest(m.body)).sort();
      expect(onB).toEqual(messages.map((m) => digest(m.raw)).sort());
    } finally {
      await fake.stop();
    }
  }, 60_000);

  it('15: a STARTTLS answered NO is reported as refused, with the server\'s text', async () => {
    const fake = await startFakeImap({ messages: [], refuseStartTls: 'TLS is down for maintenance' });
    try {
      const run = await runCli(
        ['sync', `imap://alice@127.0.0.1:${fake.port}`, b.url('big'), '--tls-ca', b.caFile, '--state', join(dir, 'starttls.state')],
        { REPLIMAP_PASSWORD_A: 'secret', REPLIMAP_PASSWORD_B: b.passwordOf('big') },
      );
      expect(run.code, run.stderr).toBe(3);
      expect(run.stderr).toContain(`A: 127.0.0.1:${fake.port} refused STARTTLS: TLS is down for maintenance`);
      expect(run.stderr).not.toMatch(/does not offer/);
      expect(fake.commands.some((c) => /LOGIN/i.test(c))).toBe(false);
    } finally {
      await fake.stop();
    }
  }, 60_000);

  it('13: a genuine 43 MB message is copied intact (one copy in memory on each side; see bench/bigMessage.ts)', async () => {
    // Between two accounts of the real Dovecot: the path of a big literal both ways, byte for byte.
    const big = bigMessage(43_000_000);
    await seedFolder(b, 'INBOX', [{ raw: big }], 'bigsrc');
    const run = await runCli(
      ['sync', b.url('bigsrc'), b.url('big'), '--tls-ca', b.caFile, '--state', join(dir, 'big.state'), '-q'],
      { REPLIMAP_PASSWORD_A: b.passwordOf('bigsrc'), REPLIMAP_PASSWORD_B: b.passwordOf('big') },
    );
    expect(run.code, run.stderr).toBe(0);
    const copies = await readFolder(b, 'INBOX', 'big');
    expect(copies.map((m) => digest(m.body))).toEqual([digest(big)]);
  }, 120_000);
});

