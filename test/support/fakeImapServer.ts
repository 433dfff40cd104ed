// A tiny scripted IMAP server (plaintext, one folder, read-only) for the cases a
// real server will not produce on cue: a body far larger than its RFC822.SIZE,
// unsolicited FETCH rows, a refused STARTTLS. It speaks just enough IMAP4rev1
// for replimap to read INBOX from it as store A; hooks let a test misbehave.

import { createServer, type Server, type Socket } from 'node:net';

export interface FakeMessage {
  uid: number;
  raw: Buffer;
  flags: string[];
  /** RFC822.SIZE to announce; the real size unless a test lies. */
  announcedSize?: number;
}

export interface FetchContext {
  uid: number;
  /** Sequence number of the message. */
  seq: number;
  /** The data items as the client asked them, upper-cased. */
  items: string;
  socket: Socket;
}

export interface FakeImapOptions {
  messages: FakeMessage[];
  /** Advertised STARTTLS, answered with this NO text. */
  refuseStartTls?: string;
  /**
   * Called for each message of a UID FETCH before its row is written; return true
   * when the hook wrote (or is writing) the row itself. Returning a promise makes
   * the server wait for it before the next row.
   */
  onFetchRow?: (ctx: FetchContext) => boolean | Promise<boolean>;
}

export interface FakeImapServer {
  port: number;
  /** Every command line received, in order (literals left out). */
  commands: string[];
  connections: number;
  stop(): Promise<void>;
}

const CAPABILITIES = 'IMAP4rev1 LITERAL+';
const INTERNALDATE = '"01-Jan-2024 10:00:00 +0000"';

function uidsOf(set: string, all: number[]): number[] {
  const max = all.length > 0 ? Math.max(...all) : 0;
  const wanted = new Set<number>();
  for (const part of set.split(',')) {
    const [lo, hi] = part.split(':').map((v) => (v === '*' ? max : Number(v)));
    const [from, to] = hi === undefined ? [lo!, lo!] : [Math.min(lo!, hi), Math.max(lo!, hi)];
    for (const uid of all) if (uid >= from && uid <= to) wanted.add(uid);
  }
  return all.filter((uid) => wanted.has(uid));
}

function headerFields(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end + 2);
  const keep = head
    .split(/\r\n(?![ \t])/)
    .filter((line) => /^(message-id|date|from|subject|x-replimap-placeholder):/i.test(line))
    .map((line) => `${line}\r\n`)
    .join('');
  return Buffer.from(`${keep}\r\n`, 'latin1');
}

function literal(data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{${data.length}}\r\n`), data]);
}

function fetchRow(message: FakeMessage, seq: number, items: string): Buffer {
  const parts: Buffer[] = [Buffer.from(`* ${seq} FETCH (UID ${message.uid}`)];
  if (items.includes('FLAGS')) parts.push(Buffer.from(` FLAGS (${message.flags.join(' ')})`));
  if (items.includes('RFC822.SIZE')) parts.push(Buffer.from(` RFC822.SIZE ${message.announcedSize ?? message.raw.length}`));
  if (items.includes('INTERNALDATE')) parts.push(Buffer.from(` INTERNALDATE ${INTERNALDATE}`));
  if (items.includes('HEADER.FIELDS')) {
    parts.push(Buffer.from(' BODY[HEADER.FIELDS (MESSAGE-ID DATE FROM SUBJECT X-REPLIMAP-PLACEHOLDER)] '), literal(headerFields(message.raw)));
  }
  if (/BODY(\.PEEK)?\[\]/.test(items)) parts.push(Buffer.from(' BODY[] '), literal(message.raw));
  parts.push(Buffer.from(')\r\n'));
  return Buffer.concat(parts);
}

async function handle(socket: Socket, options: FakeImapOptions, commands: string[]): Promise<void> {
  const messages = [...options.messages].sort((x, y) => x.uid - y.uid);
  const uids = messages.map((m) => m.uid);
  const caps = options.refuseStartTls ? `${CAPABILITIES} STARTTLS` : CAPABILITIES;
  const send = (text: string): void => {
    if (!socket.destroyed) socket.write(text);
  };
  send(`* OK [CAPABILITY ${caps}] fake ready\r\n`);

  let buffered = '';
  let busy = Promise.resolve();
  const respond = async (line: string): Promise<void> => {
    commands.push(line);
    const match = /^(\S+) (UID \S+|\S+) ?(.*)$/.exec(line);
    if (!match) return;
    const [, tag, verb, rest] = match as unknown as [string, string, string, string];
    switch (verb.toUpperCase()) {
      case 'CAPABILITY':
        return send(`* CAPABILITY ${caps}\r\n${tag} OK done\r\n`);
      case 'STARTTLS':
        return send(`${tag} NO ${options.refuseStartTls ?? 'no'}\r\n`);
      case 'LOGIN':
        return send(`${tag} OK [CAPABILITY ${CAPABILITIES}] logged in\r\n`);
      case 'ID':
        return send(`* ID NIL\r\n${tag} OK done\r\n`);
      case 'NAMESPACE':
        return send(`* NAMESPACE (("" "/")) NIL NIL\r\n${tag} OK done\r\n`);
      case 'LIST':
        return send(`* LIST () "/" INBOX\r\n${tag} OK done\r\n`);
      case 'LSUB':
        return send(`* LSUB () "/" INBOX\r\n${tag} OK done\r\n`);
      case 'STATUS':
        return send(`* STATUS INBOX (MESSAGES ${messages.length} UIDNEXT ${Math.max(0, ...uids) + 1} UIDVALIDITY 1)\r\n${tag} OK done\r\n`);
      case 'SELECT':
      case 'EXAMINE':
        return send(
          `* ${messages.length} EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Flagged)\r\n* OK [PERMANENTFLAGS ()] none\r\n` +
            `* OK [UIDVALIDITY 1] ok\r\n* OK [UIDNEXT ${Math.max(0, ...uids) + 1}] ok\r\n${tag} OK [READ-ONLY] done\r\n`,
        );
      case 'UID FETCH': {
        const [set, ...itemWords] = rest.split(' ');
        const items = itemWords.join(' ').toUpperCase();
        for (const uid of uidsOf(set!, uids)) {
          const seq = uids.indexOf(uid) + 1;
          const message = messages[seq - 1]!;
          const handled = options.onFetchRow ? await options.onFetchRow({ uid, seq, items, socket }) : false;
          if (socket.destroyed) return;
          if (!handled) socket.write(fetchRow(message, seq, items));
        }
        return send(`${tag} OK done\r\n`);
      }
      case 'LOGOUT':
        send(`* BYE bye\r\n${tag} OK done\r\n`);
        socket.end();
        return;
      default:
        return send(`${tag} OK done\r\n`);
    }
  };
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    let end: number;
    while ((end = buffered.indexOf('\r\n')) >= 0) {
      const line = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      busy = busy.then(() => respond(line)).catch(() => undefined);
    }
  });
}

export async function startFakeImap(options: FakeImapOptions): Promise<FakeImapServer> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const fake = { port: 0, commands, connections: 0 } as FakeImapServer;
  const server: Server = createServer((socket) => {
    fake.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    void handle(socket, options, commands);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.port = (server.address() as { port: number }).port;
  fake.stop = async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return fake;
}

/**
 * Writes `* seq FETCH (UID uid BODY[] {announced}` and then up to `announced`
 * bytes in 1 MiB pieces, as fast as the client reads them; resolves with how
 * many literal bytes were written before the client hung up (or all of them).
 */
export async function writeHugeLiteral(socket: Socket, seq: number, uid: number, announced: number, item = 'BODY[]'): Promise<number> {
  socket.write(`* ${seq} FETCH (UID ${uid} ${item} {${announced}}\r\n`);
  const piece = Buffer.alloc(1024 * 1024, 'x');
  let written = 0;
  while (written < announced && !socket.destroyed) {
    const size = Math.min(piece.length, announced - written);
    const flushed = socket.write(size === piece.length ? piece : piece.subarray(0, size));
    written += size;
    if (!flushed) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
    }
  }
  if (!socket.destroyed) socket.write(')\r\n');
  return written;
}
