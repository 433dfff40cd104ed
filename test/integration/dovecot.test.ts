// The test harness itself: throwaway Dovecot servers must look like the real
// servers the sync tests pretend they are (TLS, separators, namespaces,
// special-use folders, trimmed capability lists) and must go away cleanly.

import { existsSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';

function client(server: DovecotServer, extra: Partial<ImapFlowOptions>): ImapFlow {
  const c = new ImapFlow({
    host: server.host,
    port: server.imapsPort,
    secure: true,
    tls: { ca: server.caPem },
    auth: { user: 'alice', pass: 'secret' },
    logger: false,
    disableAutoIdle: true,
    ...extra,
  });
  c.on('error', () => {
    // surfaced through the awaited calls
  });
  return c;
}

/** Sends commands over implicit TLS and returns the whole transcript, greeting first. */
function transcript(server: DovecotServer, commands: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: server.host, port: server.imapsPort, ca: server.caPem });
    let text = '';
    let sent = 0;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
      const waitingFor = sent === 0 ? '\r\n' : `\r\nt${sent} `;
      if (!text.includes(waitingFor) || !text.endsWith('\r\n')) return;
      if (sent < commands.length) {
        sent++;
        socket.write(`t${sent} ${commands[sent - 1]}\r\n`);
      } else {
        socket.end();
        resolve(text);
      }
    });
    socket.on('error', reject);
  });
}

function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('startDovecot', () => {
  let slash: DovecotServer;
  let dotted: DovecotServer;

  beforeAll(async () => {
    [slash, dotted] = await Promise.all([
      startDovecot({
        specialUse: { Sent: '\\Sent', Trash: '\\Trash' },
        users: [
          { name: 'alice', password: 'secret' },
          { name: 'bob', password: 'hunter2' },
        ],
      }),
      startDovecot({ separator: '.', inboxPrefix: true, specialUse: { 'Sent Items': '\\Sent', Junk: '\\Junk' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([slash?.stop(), dotted?.stop()]);
  });

  it('runs side by side on distinct ports and dirs', () => {
    const ports = new Set([slash.imapPort, slash.imapsPort, dotted.imapPort, dotted.imapsPort]);
    expect(ports.size).toBe(4);
    expect(slash.dir).not.toBe(dotted.dir);
    expect(slash.url()).toBe(`imaps://alice@127.0.0.1:${slash.imapsPort}`);
    expect(slash.url('bob', 'imap')).toBe(`imap://bob@127.0.0.1:${slash.imapPort}`);
  });

  it("logs in over imaps, verifying the certificate with the server's CA", async () => {
    const c = client(slash, {});
    await c.connect();
    try {
      expect(c.secureConnection).toBe(true);
      expect(c.authenticated).toBeTruthy();
    } finally {
      await c.logout();
    }
  });

  it('rejects the certificate without the CA', async () => {
    const c = client(slash, { tls: {} });
    await expect(c.connect()).rejects.toThrow();
    c.close();
  });

  it('logs in over imap with STARTTLS, and with plaintext LOGIN when TLS is declined', async () => {
    const tls = client(slash, { port: slash.imapPort, secure: false, doSTARTTLS: true });
    await tls.connect();
    expect(tls.secureConnection).toBe(true);
    await tls.logout();

    const plain = client(slash, { port: slash.imapPort, secure: false, doSTARTTLS: false, tls: {} });
    await plain.connect();
    expect(plain.secureConnection).toBe(false);
    expect(plain.authenticated).toBeTruthy();
    await plain.logout();
  });

  it('refuses a wrong password and serves every configured user', async () => {
    const wrong = client(slash, { auth: { user: 'alice', pass: 'nope' } });
    await expect(wrong.connect()).rejects.toThrow();
    wrong.close();
    const bob = client(slash, { auth: { user: 'bob', pass: slash.passwordOf('bob') } });
    await bob.connect();
    await bob.logout();
  });

  it("'/' server: no namespace prefix, '/' separator, special-use folders, nested folders", async () => {
    const c = client(slash, {});
    await c.connect();
    try {
      expect(slash.separator).toBe('/');
      expect(c.namespace?.prefix ?? '').toBe('');
      expect(c.namespace?.delimiter).toBe('/');
      expect(c.capabilities.has('SPECIAL-USE')).toBe(true);
      await c.mailboxCreate('Archive/2019/Q1');
      const list = await c.list();
      const byPath = new Map(list.map((m) => [m.path, m]));
      expect(byPath.get('Sent')?.specialUse).toBe('\\Sent');
      expect(byPath.get('Trash')?.specialUse).toBe('\\Trash');
      expect(byPath.get('Sent')?.subscribed).toBe(true);
      expect(byPath.get('Archive/2019/Q1')?.delimiter).toBe('/');
      expect(existsSync(`${slash.maildirOf()}/Archive/2019/Q1`)).toBe(true);
    } finally {
      await c.logout();
    }
  });

  it("'.' server with INBOX. prefix: everything lives under INBOX", async () => {
    const c = client(dotted, {});
    await c.connect();
    try {
      expect(dotted.separator).toBe('.');
      expect(dotted.namespacePrefix).toBe('INBOX.');
      expect(c.namespace?.prefix).toBe('INBOX.');
      expect(c.namespace?.delimiter).toBe('.');
      await c.mailboxCreate('INBOX.Archive.2019');
      const list = await c.list();
      const byPath = new Map(list.map((m) => [m.path, m]));
      expect(byPath.get('INBOX.Sent Items')?.specialUse).toBe('\\Sent');
      expect(byPath.get('INBOX.Junk')?.specialUse).toBe('\\Junk');
      expect(byPath.get('INBOX.Archive.2019')?.delimiter).toBe('.');
      expect([...byPath.keys()].every((p) => p === 'INBOX' || p.startsWith('INBOX.'))).toBe(true);
    } finally {
      await c.logout();
    }
  });

  it('drives the instance with doveadm', async () => {
    const out = await slash.doveadm(['mailbox', 'status', '-u', 'alice', 'messages', 'INBOX']);
    expect(out.trim()).toBe('INBOX messages=0');
    await expect(slash.doveadm(['mailbox', 'status', '-u', 'alice', 'messages', 'NoSuchBox'])).rejects.toThrow(/NoSuchBox|exist/);
  });

  it('advertises the extensions the sync relies on by default', async () => {
    const text = await transcript(slash, ['LOGIN alice secret', 'CAPABILITY', 'LOGOUT']);
    const caps = text.split('\r\n').find((l) => l.startsWith('* CAPABILITY')) ?? '';
    for (const cap of ['QRESYNC', 'CONDSTORE', 'LIST-STATUS', 'MULTIAPPEND', 'LITERAL+', 'UIDPLUS', 'MOVE', 'SPECIAL-USE']) {
      expect(caps.split(' ')).toContain(cap);
    }
    expect(caps).not.toContain('COMPRESS');
  });
});

describe('startDovecot options', () => {
  it('capabilities replaces the advertised list, in the greeting and after login', async () => {
    const server = await startDovecot({ capabilities: 'IMAP4rev1 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UIDPLUS MULTIAPPEND MOVE' });
    try {
      const text = await transcript(server, ['LOGIN alice secret', 'CAPABILITY', 'LOGOUT']);
      const lines = text.split('\r\n');
      const greeting = lines[0] ?? '';
      const afterLogin = lines.find((l) => l.startsWith('* CAPABILITY')) ?? '';
      expect(greeting).toMatch(/^\* OK \[CAPABILITY IMAP4rev1 /);
      expect(afterLogin).toMatch(/^\* CAPABILITY IMAP4rev1 /);
      for (const line of [greeting, afterLogin]) {
        for (const gone of ['QRESYNC', 'CONDSTORE', 'LIST-STATUS', 'SPECIAL-USE', 'ESEARCH']) {
          expect(line.split(/[ \]]/)).not.toContain(gone);
        }
        expect(line.split(/[ \]]/)).toContain('UIDPLUS');
      }

      // imapflow sees the trimmed list too
      const c = client(server, {});
      await c.connect();
      expect(c.capabilities.has('QRESYNC')).toBe(false);
      expect(c.capabilities.has('CONDSTORE')).toBe(false);
      expect(c.capabilities.has('UIDPLUS')).toBe(true);
      await c.logout();
    } finally {
      await server.stop();
    }
  });

  it("a leading '+' adds to the list, and compress advertises COMPRESS=DEFLATE", async () => {
    const server = await startDovecot({ capabilities: '+XREPLIMAPTEST', compress: true });
    try {
      const text = await transcript(server, ['LOGIN alice secret', 'CAPABILITY', 'LOGOUT']);
      const caps = (text.split('\r\n').find((l) => l.startsWith('* CAPABILITY')) ?? '').split(' ');
      expect(caps).toContain('XREPLIMAPTEST');
      expect(caps).toContain('QRESYNC');
      expect(caps).toContain('COMPRESS=DEFLATE');
    } finally {
      await server.stop();
    }
  });

  it('stop() frees the ports and removes the dir; calling it twice is harmless', async () => {
    const server = await startDovecot();
    expect(await refused(server.imapPort)).toBe(false);
    await server.stop();
    expect(await refused(server.imapPort)).toBe(true);
    expect(await refused(server.imapsPort)).toBe(true);
    expect(existsSync(server.dir)).toBe(false);
    await server.stop();
  });

  it('reports a broken config with the log tail', async () => {
    await expect(startDovecot({ extraConfig: 'this_is_not_a_setting = 1' })).rejects.toThrow(/this_is_not_a_setting/);
  });
});
