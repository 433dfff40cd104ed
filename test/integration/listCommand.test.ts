// `replimap list A` against a real server: folders, special use, counts, sizes.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { seedFolder } from '../support/imap.js';
import { runCli } from '../support/sync.js';

describe('replimap list', () => {
  let server: DovecotServer;
  const raw = (n: number): string => `Subject: list ${n}\r\nMessage-ID: <list.${n}@example.org>\r\n\r\nbody ${n}\r\n`;

  beforeAll(async () => {
    server = await startDovecot({ specialUse: { 'Sent Items': '\\Sent' } });
    await seedFolder(server, 'INBOX', [1, 2, 3].map((n) => ({ raw: raw(n) })));
    await seedFolder(server, 'Archiv/Entwürfe', [4].map((n) => ({ raw: raw(n) })));
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('prints folders with special use, message counts and sizes', async () => {
    const run = await runCli(['list', server.url(), '--tls-ca', server.caFile], { REPLIMAP_PASSWORD_A: server.passwordOf() });
    expect(run.code, run.stderr).toBe(0);
    const line = (name: string): string => run.stdout.split('\n').find((l) => l.startsWith(name + ' ')) ?? '';
    expect(line('INBOX')).toMatch(/\s3\s/);
    expect(line('Sent Items')).toMatch(/\\Sent/);
    expect(line('Archiv/Entwürfe')).toMatch(/\s1\s/);
  });

  it('--json gives the same as data', async () => {
    const run = await runCli(['list', server.url(), '--tls-ca', server.caFile, '--json'], { REPLIMAP_PASSWORD_A: server.passwordOf() });
    expect(run.code, run.stderr).toBe(0);
    const parsed = JSON.parse(run.stdout);
    const folders: { name: string; messages: number; bytes: number; specialUse?: string }[] = parsed.folders ?? parsed;
    const inbox = folders.find((f) => f.name === 'INBOX')!;
    expect(inbox.messages).toBe(3);
    expect(inbox.bytes).toBe([1, 2, 3].reduce((n, i) => n + Buffer.byteLength(raw(i)), 0));
    expect(folders.find((f) => f.name === 'Sent Items')?.specialUse).toBe('\\Sent');
  });
});
