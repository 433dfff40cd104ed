// Non-synchronising literals for every size when the server has LITERAL+,
// sent without copying the literal data.
//
// imapflow 2.10's send() compiles with `literalMinus` only, so any literal over
// 4 KB is sent as a synchronising literal: one "+" round trip per message of a
// MULTIAPPEND, which is exactly the latency MULTIAPPEND exists to avoid. And
// its compiler joins a command into one buffer, a copy of every message of the
// batch. So this one client instance gets a send() that, for a command whose
// literals are top-level arguments (APPEND), compiles only the short runs
// between the literals and writes each literal's data as it is, in slices,
// waiting for the socket to drain between them: a big message then costs no
// copy, and TLS never holds more than a slice of it encrypted. Other commands
// go through imapflow's compiler as before. Everything else it does is
// imapflow's, minus debug logging (we run with `logger: false`).

import compiler from 'imapflow/lib/handler/imap-compiler.js';
import { hasCapability } from 'imapflow/lib/tools.js';
import type { CommandAttribute, ImapClient, SendRequest } from './imapflowInternals.js';

type CompileInput = Parameters<typeof compiler>[0];

/** Literal data goes to the socket in slices of this size, each after the previous one drained. */
const WRITE_SLICE_BYTES = 1024 * 1024;

type Attribute = CommandAttribute | null | undefined;
type Literal = Extract<CommandAttribute, { type: string }> & { type: 'LITERAL' };

function isLiteral(node: Attribute): node is Literal {
  return !!node && !Array.isArray(node) && typeof node.type === 'string' && node.type.toUpperCase() === 'LITERAL';
}

function hasNestedLiteral(node: Attribute): boolean {
  if (!node) return false;
  if (Array.isArray(node)) return node.some((child) => isLiteral(child) || hasNestedLiteral(child));
  return (node.section ?? []).some((child) => isLiteral(child) || hasNestedLiteral(child));
}

function compileRun(request: Partial<SendRequest>, attributes: Attribute[]): Buffer {
  return compiler({ ...request, attributes } as CompileInput, { asArray: false }) as unknown as Buffer;
}

/**
 * The wire frames of a command whose literals are all top-level, each literal
 * `{n+}` with its data as its own frame (never copied); undefined when a
 * literal is nested (left to imapflow's compiler).
 */
export function literalPlusFrames(request: SendRequest): Buffer[] | undefined {
  const attributes = (Array.isArray(request.attributes) ? request.attributes : [request.attributes]) as Attribute[];
  if (!attributes.some(isLiteral) || attributes.some(hasNestedLiteral)) return undefined;
  const frames: Buffer[] = [];
  let run: Attribute[] = [];
  let head: Partial<SendRequest> | undefined = { tag: request.tag, command: request.command };
  const text = (run: Attribute[]): string => {
    const compiled = compileRun(head ?? {}, run).toString('binary');
    // Tokens are separated by one space, after a literal's data too (as imapflow's compiler writes them).
    return head ? compiled : run.length > 0 ? ` ${compiled}` : '';
  };
  for (const node of attributes) {
    if (!isLiteral(node)) {
      run.push(node);
      continue;
    }
    const data = Buffer.isBuffer(node.value) ? node.value : Buffer.from(node.value ?? '');
    frames.push(Buffer.from(`${text(run)} ${node.isLiteral8 ? '~' : ''}{${data.length}+}\r\n`, 'binary'));
    for (let at = 0; at < data.length; at += WRITE_SLICE_BYTES) frames.push(data.subarray(at, at + WRITE_SLICE_BYTES));
    head = undefined;
    run = [];
  }
  frames.push(Buffer.from(text(run), 'binary'));
  return frames;
}

function drained(client: ImapClient): Promise<void> {
  const socket = client.writeSocket;
  if (!socket || !socket.writableNeedDrain || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      socket.off('error', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
    socket.on('error', done);
  });
}

export function installLiteralPlus(client: ImapClient): void {
  /** The frames of the command being written: the next command waits for them (a server may answer early). */
  let writing: Promise<void> = Promise.resolve();

  client.send = async function send(this: ImapClient, data: SendRequest): Promise<void> {
    await writing;
    if (this.state === this.states.LOGOUT) {
      throw this.createNoConnectionError(false, { rejectedFrom: 'sendAfterLogout', command: data.command });
    }
    // Only read by imapflow's raw traffic log, which we never enable: treat every frame as secret.
    this.rawSensitiveCommand = true;
    const literalPlus = this.capabilities.has('LITERAL+');
    const frames = literalPlus ? literalPlusFrames(data) : undefined;
    this.commandParts =
      frames ??
      compiler(data as CompileInput, {
        asArray: true,
        literalPlus,
        literalMinus: literalPlus || hasCapability(this, 'LITERAL-'),
      });
    // write() ends the command with CRLF once commandParts is empty; with '+' continuations
    // imapflow writes the parts after the first as the server asks for them.
    this.write(this.commandParts.shift() ?? Buffer.alloc(0));
    if (this.currentRequest && this.currentRequest.tag === data.tag) this.currentRequest.sent = true;
    if (frames) {
      const rest = (async () => {
        while (this.commandParts.length > 0) {
          await drained(this);
          this.write(this.commandParts.shift()!);
        }
      })();
      // A failed write fails this command (the connection is gone); the next one finds out for itself.
      writing = rest.catch(() => undefined);
      await rest;
    }
    const onSend = data.options?.onSend;
    if (typeof onSend === 'function') {
      try {
        onSend();
      } catch {
        // as in imapflow: the command is on the wire, a failing callback must not fail it
      }
    }
  };
}
