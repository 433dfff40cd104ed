// The parts of imapflow this driver relies on that its typings leave out
// (they are marked @internal there). They are the protocol engine underneath
// every public method: exec() sends one tagged command and resolves with its
// tagged response; send() compiles and writes it. Keeping their shapes here,
// in one file, means an imapflow upgrade that changes them fails to compile or
// fails the integration tests in one obvious place.

import type { Writable } from 'node:stream';
import type { ImapFlow, ImapResponse } from 'imapflow';

export type { ImapAttribute, ImapAttributeList, ImapResponse } from 'imapflow';

/** What exec() resolves with: the tagged OK, and the release the reader waits for. */
export interface ExecResult {
  response: ImapResponse;
  /** Must be called once the tagged response has been read, or the connection stalls. */
  next: () => void;
}

type UntaggedHandler = (untagged: ImapResponse) => void | Promise<void>;

export interface ExecOptions {
  /** Handlers for untagged responses while this command runs, by response name (FETCH, LIST, ...). */
  untagged?: Record<string, UntaggedHandler>;
}

/** A command argument as imapflow's compiler takes it. */
export type CommandAttribute =
  | { type: 'ATOM' | 'STRING' | 'SEQUENCE' | 'LITERAL'; value: string | Buffer; isLiteral8?: boolean; sensitive?: boolean; section?: CommandAttribute[]; partial?: number[] }
  | CommandAttribute[];

/** The request object send() receives from imapflow's queue. */
export interface SendRequest {
  tag: string;
  command: string;
  attributes?: unknown;
  options?: { onSend?: () => void };
}

/** The error exec() rejects with when the server answers NO or BAD. */
export interface CommandFailure extends Error {
  responseStatus?: 'NO' | 'BAD' | 'BYE';
  responseText?: string;
  response?: ImapResponse | string;
  code?: string;
}

export type ImapClient = ImapFlow & {
  exec(command: string, attributes?: CommandAttribute[] | false, options?: ExecOptions): Promise<ExecResult>;
  send(data: SendRequest): Promise<void>;
  write(chunk: Buffer | string): void;
  handleResponse(data: { payload?: Buffer }): Promise<boolean>;
  createNoConnectionError(byeReason: string | false | undefined, meta?: Record<string, unknown>): Error;
  /** Where write() writes (the socket, or the deflate stream under COMPRESS); false before connect. */
  writeSocket: false | Writable;
  /** Literal parts still to be sent after '+' continuations (see send()). */
  commandParts: Buffer[];
  currentRequest: false | { tag: string; sent?: boolean };
  /** The response parser (the socket, or the inflater under COMPRESS, is piped into it); a literal announced larger than maxLiteralSize fails it (and the connection) before it is read. */
  streamer: Writable & { maxLiteralSize: number };
  /** The connection's socket (TLS or plain), false before connect. */
  socket: false | (Writable & { remoteAddress?: string });
  /** The inflater between the socket and the parser once COMPRESS is on. */
  _inflate: Writable | null | undefined;
  /** Sends COMPRESS DEFLATE and, on OK, puts the deflate/inflate streams around the socket (a NO leaves all as it was). */
  compress(): Promise<void>;
  rawSensitiveCommand: boolean;
};

/** The one cast from the public class to the shape above. */
export function asImapClient(client: ImapFlow): ImapClient {
  return client as ImapClient;
}
