// A plain-TCP proxy in front of a real IMAP server that can drop or rewrite
// whole server responses: a server that "answers OK without the data", made
// from a real one. It parses the server's stream into responses (a line, plus
// any `{n}` literal and the rest of the line after it), so a FETCH row with a
// message body in it is one unit. Client bytes pass through untouched, though
// they can be held (holdUp) while the test acts elsewhere, e.g. a second client
// expunging on the server between a run's read and act phases.
//
// TLS would hide the bytes, so clients must connect in plaintext: the proxy
// removes STARTTLS from every capability list, and the client must allow a
// plaintext login (replimap: imap:// with --insecure, see plainSpecVia).

import { createConnection, createServer, type Socket } from 'node:net';

/** Return the response to forward (possibly rewritten), or null to drop it. */
export type ResponseFilter = (response: Buffer) => Buffer | null;

export interface FilterProxy {
  port: number;
  /** Use another filter from now on (for connections already open too). */
  setFilter(filter: ResponseFilter): void;
  /** Responses the filter dropped so far, over all connections. */
  dropped(): number;
  /** Stops listening and destroys every open connection. Safe to call twice. */
  close(): Promise<void>;
}

/** Splits a server's byte stream into whole responses, literals included. */
export class ResponseSplitter {
  private buffer = Buffer.alloc(0);
  /** Where to look for the next CRLF (past any literal already known to be complete). */
  private scanFrom = 0;

  push(chunk: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      const eol = this.buffer.indexOf('\r\n', this.scanFrom);
      if (eol < 0) return out;
      const literal = /\{(\d+)\+?\}$/.exec(this.buffer.subarray(Math.max(0, eol - 24), eol).toString('latin1'));
      if (literal) {
        const end = eol + 2 + Number(literal[1]);
        if (this.buffer.length < end) return out; // the literal is not all here yet
        this.scanFrom = end;
        continue;
      }
      out.push(this.buffer.subarray(0, eol + 2));
      this.buffer = this.buffer.subarray(eol + 2);
      this.scanFrom = 0;
    }
  }
}

/** The response without STARTTLS in its capability list (so the client stays in plaintext). */
export function withoutStartTls(response: Buffer): Buffer {
  const text = response.toString('latin1');
  if (!/CAPABILITY/i.test(text) || text.includes('{')) return response;
  return Buffer.from(text.replace(/ STARTTLS(?=[ \]\r])/gi, ''), 'latin1');
}

/** `* n FETCH (...)` rows: the UID and the text before the first literal; undefined for anything else. */
export function fetchRowOf(response: Buffer): { uid: number; head: string } | undefined {
  const firstLine = response.subarray(0, response.indexOf('\r\n')).toString('latin1');
  if (!/^\* \d+ FETCH \(/i.test(firstLine)) return undefined;
  const uid = /[( ]UID (\d+)/i.exec(firstLine);
  return uid ? { uid: Number(uid[1]), head: firstLine } : undefined;
}

/** Forwards every response as it is. */
export const passThrough: ResponseFilter = (response) => response;

/** Drops the FETCH row carrying the full body (BODY[]) of one UID. */
export function dropBodyOf(uid: number): ResponseFilter {
  return (response) => {
    const row = fetchRowOf(response);
    return row?.uid === uid && /BODY\[\] /i.test(row.head) ? null : response;
  };
}

/** Drops the FETCH row carrying the envelope (RFC822.SIZE, INTERNALDATE, header fields) of one UID. */
export function dropEnvelopeOf(uid: number): ResponseFilter {
  return (response) => {
    const row = fetchRowOf(response);
    return row?.uid === uid && /RFC822\.SIZE /i.test(row.head) ? null : response;
  };
}

/** Drops every FETCH row of one UID, whatever it carries (flags only, an envelope, a body). */
export function dropRowsOf(uid: number): ResponseFilter {
  return (response) => (fetchRowOf(response)?.uid === uid ? null : response);
}

/**
 * Called with each chunk the client sends; a promise holds that chunk (and all
 * after it on that connection) until it settles. Undefined: forward at once.
 */
export type CommandHold = (chunk: Buffer) => Promise<unknown> | undefined;

/**
 * Holds the first chunk that matches `pattern` (e.g. a command) until `act` is
 * done, once over all connections. `acted()`: act's outcome (its error
 * rethrown), or undefined while no chunk matched.
 */
export function holdFirst(pattern: RegExp, act: () => Promise<unknown>): { hold: CommandHold; acted: () => Promise<unknown> | undefined } {
  let started: Promise<unknown> | undefined;
  const hold = (chunk: Buffer): Promise<unknown> | undefined => {
    if (started !== undefined || !pattern.test(chunk.toString('latin1'))) return undefined;
    started = act();
    return started;
  };
  return { hold, acted: () => started };
}

export function startFilterProxy(options: { targetHost: string; targetPort: number; filter: ResponseFilter; holdUp?: CommandHold }): Promise<FilterProxy> {
  const sockets = new Set<Socket>();
  let dropped = 0;
  let filter = options.filter;
  const server = createServer((client) => {
    const upstream = createConnection({ host: options.targetHost, port: options.targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const splitter = new ResponseSplitter();
    if (options.holdUp === undefined) client.pipe(upstream);
    else {
      // In order: a held chunk keeps every later one back too.
      let queue: Promise<unknown> = Promise.resolve();
      const hold = options.holdUp;
      client.on('data', (chunk: Buffer) => {
        queue = queue.then(async () => {
          await hold(chunk)?.catch(() => undefined);
          if (!upstream.destroyed) upstream.write(chunk);
        });
      });
    }
    upstream.on('data', (chunk: Buffer) => {
      for (const response of splitter.push(chunk)) {
        const kept = filter(withoutStartTls(response));
        if (kept === null) dropped++;
        else client.write(kept);
      }
    });
    upstream.on('end', () => client.end());
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', closeBoth);
    upstream.on('error', closeBoth);
    client.on('close', closeBoth);
    upstream.on('close', closeBoth);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      let closed: Promise<void> | undefined;
      resolve({
        port,
        setFilter: (next) => {
          filter = next;
        },
        dropped: () => dropped,
        close: () => {
          closed ??= new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          });
          return closed;
        },
      });
    });
  });
}
