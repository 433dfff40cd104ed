// A message the destination refuses (NO: too large) is reported by folder and
// UID, the run goes on and exits 1, and the message is tried again next run.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { readFolder, seedFolder } from '../support/imap.js';
import { passwordEnv, runCli, tempDir } from '../support/sync.js';

function message(n: number, bodyBytes: number): string {
  return [
    `From: <r${n}@example.org>`,
    `Subject: rejected test ${n}`,
    `Message-ID: <rejected.${n}@example.org>`,
    'Date: Wed, 4 Mar 2026 08:00:00 +0000',
    '',
    'x'.repeat(bodyBytes),
    '',
  ].join('\r\n');
}

describe('a message B refuses', () => {
  let a: DovecotServer;
  let b: DovecotServer;
  let bigUid: number;

  beforeAll(async () => {
    [a, b] = await Promise.all([
      startDovecot(),
      // B refuses any message over 10 KB (NO [LIMIT]).
      startDovecot({
        extraConfig: 'mail_plugins = $mail_plugins quota\nplugin {\n  quota = count:User quota\n  quota_vsizes = yes\n  quota_max_mail_size = 10k\n}\n',
      }),
    ]);
    const uids = await seedFolder(a, 'Work', [message(1, 100), message(2, 100), message(3, 30_000), message(4, 100), message(5, 100)].map((raw) => ({ raw })));
    bigUid = uids[2]!;
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it('is listed by folder and UID, the others are copied, exit 1; the next run tries it again without duplicating', async () => {
    const statePath = join(tempDir(), 'rejected.state');
    const args = ['sync', a.url(), b.url(), '--tls-ca', a.caFile, '--state', statePath];
    const first = await runCli([...args, '--json'], passwordEnv(a, b));
    expect(first.code, first.stderr).toBe(1);
    const summary = JSON.parse(first.stdout);
    expect(summary.copied).toBe(4);
    expect(summary.failed).toHaveLength(1);
    expect(summary.failed[0]).toMatchObject({ folder: 'Work', uid: bigUid, side: 'A' });
    expect(summary.failed[0].reason).toMatch(/APPEND|limit|size|quota/i);
    expect(first.stderr).toMatch(/Work/);
    expect(await readFolder(b, 'Work')).toHaveLength(4);

    const second = await runCli(args, passwordEnv(a, b));
    expect(second.code).toBe(1);
    expect(second.stdout).toMatch(new RegExp(`Work.*UID ${bigUid}|UID ${bigUid}.*Work`));
    const inB = await readFolder(b, 'Work');
    expect(inB).toHaveLength(4);
    expect(new Set(inB.map((m) => m.body.toString())).size).toBe(4);
  });
});
