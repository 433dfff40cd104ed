// The IMAP driver's StoreError: a command the server answered NO or BAD.
// Only src/store/imap names it; every other layer sees a StoreError.

import { StoreError } from '../../errors.js';

/** IMAP commands whose failure concerns the messages they name, not their folder. */
const MESSAGE_COMMANDS = new Set(['APPEND', 'UID FETCH', 'UID STORE', 'UID EXPUNGE', 'UID SEARCH', 'UID COPY', 'UID MOVE']);

/**
 * A server answered NO or BAD to a command (or imapflow returned false for it).
 * Message-level failures are collected and reported; the run goes on.
 */
export class ImapCommandError extends StoreError {
  readonly command: string;
  readonly serverText: string | undefined;
  readonly responseCode: string | undefined;
  constructor(
    command: string,
    message: string,
    details: { serverText?: string; responseCode?: string; store?: string; cause?: unknown } = {},
  ) {
    super(MESSAGE_COMMANDS.has(command) ? 'message' : 'folder', message, { cause: details.cause, store: details.store });
    this.command = command;
    this.serverText = details.serverText;
    this.responseCode = details.responseCode;
  }
}
