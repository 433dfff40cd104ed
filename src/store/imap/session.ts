// One logged-in connection as the rest of the driver sees it: run a tagged
// command and get its tagged OK, or a typed error (ImapCommandError for NO/BAD,
// ConnectionLostError once the connection is gone). Every command module goes
// through run(), so no imapflow `false` or raw Error escapes the driver.

import { getStatusCode, getTextValues, hasCapability, encodePath, decodePath } from 'imapflow/lib/tools.js';
import { ConnectionLostError } from '../../errors.js';
import { ImapCommandError } from './commandError.js';
import type { CommandAttribute, CommandFailure, ExecOptions, ImapClient, ImapResponse } from './imapflowInternals.js';
import { canonicalInbox } from '../names.js';

const CONNECTION_GONE = new Set(['NoConnection', 'EConnectionClosed', 'StateLogout', 'ECONNRESET', 'EPIPE', 'ETIMEOUT', 'ETIMEDOUT']);

export class ImapSession {
  private closing = false;
  private lostReason: string | undefined;
  /** The error the connection was lost to, as imapflow reported it. */
  private lostCause: unknown;
  /** Set when the server went silent for the whole timeout: the command it left unanswered ('' if none was running). */
  private silentDuring: string | undefined;
  /** The command last sent, for naming the one a timeout cut. */
  private lastCommand: string | undefined;

  constructor(
    readonly label: string,
    readonly client: ImapClient,
    /** "host:port", for messages. */
    readonly where: string,
    /** --timeout in milliseconds, for messages. */
    readonly timeoutMs?: number,
  ) {}

  /** Called for imapflow's 'error' event: remembers why the connection is going away. */
  noteError(error: unknown): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = describeLoss(error);
    this.lostCause = error;
    if ((error as CommandFailure | undefined)?.code === 'ETIMEOUT') {
      this.silentDuring = this.client.currentRequest ? (this.lastCommand ?? 'a command') : '';
    }
  }

  /** We cut the connection ourselves (a signal): whatever fails from now on says so. */
  markAborted(): void {
    if (this.lostReason === undefined) this.lostReason = 'cut short by a signal';
  }

  /** The announced size of the literal the connection was dropped for (imapflow's LiteralTooLarge), if that is how it was lost. */
  get refusedLiteralSize(): number | undefined {
    const cause = (this.lostCause ?? {}) as { code?: unknown; literalSize?: unknown };
    return cause.code === 'LiteralTooLarge' && typeof cause.literalSize === 'number' ? cause.literalSize : undefined;
  }

  /** Called for imapflow's 'close' event. */
  noteClose(): void {
    if (this.lostReason === undefined && !this.closing) this.lostReason = 'closed by the server';
  }

  /** We are logging out: a close from now on is ours, not a loss. */
  markClosing(): void {
    this.closing = true;
  }

  get usable(): boolean {
    return !this.closing && this.lostReason === undefined && this.client.usable;
  }

  has(capability: string): boolean {
    return hasCapability(this.client, capability);
  }

  /** A mailbox name as a command argument: modified UTF-7 unless UTF8=ACCEPT is enabled, always quoted. */
  mailbox(name: string): CommandAttribute {
    return { type: 'STRING', value: encodePath(this.client, name) };
  }

  /** A mailbox name from a response (LIST, STATUS), decoded to UTF-8. */
  decodeMailbox(raw: unknown): string {
    const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
    const name = decodePath(this.client, text);
    return canonicalInbox(name);
  }

  /**
   * Sends one tagged command and resolves with its tagged OK response.
   * `what` names it for messages, e.g. `APPEND to "Archive"`.
   */
  async run(command: string, attributes: CommandAttribute[] | false, what: string, options: ExecOptions = {}): Promise<ImapResponse> {
    if (this.lostReason !== undefined || this.closing) throw this.lostError(what);
    this.lastCommand = what;
    let result;
    try {
      result = await this.client.exec(command, attributes, options);
    } catch (error) {
      throw this.failure(command, what, error);
    }
    result.next();
    return result.response;
  }

  private lostError(what: string, cause?: unknown): ConnectionLostError {
    if (this.silentDuring !== undefined) {
      const seconds = this.timeoutMs !== undefined ? `${Math.round(this.timeoutMs / 1000)} s` : 'too long';
      const when = this.silentDuring ? `during ${this.silentDuring}` : 'while idle';
      const unsent = this.silentDuring === what ? '' : `; ${what} not sent`;
      return new ConnectionLostError(this.label, `no answer from ${this.where} for ${seconds} ${when}${unsent} (--timeout)`, { cause });
    }
    const reason = this.lostReason ?? (this.closing ? 'closed' : 'closed by the server');
    return new ConnectionLostError(this.label, `connection to ${this.where} lost during ${what}: ${reason}`, { cause });
  }

  private failure(command: string, what: string, error: unknown): Error {
    const err = (error ?? {}) as CommandFailure;
    const status = err.responseStatus;
    if ((status === 'NO' || status === 'BAD') && err.code !== 'ETHROTTLE') {
      const parsed = typeof err.response === 'object' ? err.response : undefined;
      const responseCode = parsed ? getStatusCode(parsed) || undefined : undefined;
      const serverText = err.responseText ?? (parsed ? getTextValues(parsed.attributes).join(' ').trim() : undefined);
      const code = responseCode ? `[${responseCode}] ` : '';
      return new ImapCommandError(command, `${this.label}: ${what} failed: ${status} ${code}${serverText ?? ''}`.trimEnd(), {
        serverText,
        responseCode,
        store: this.label,
        cause: error,
      });
    }
    if (status === 'BYE' || this.lostReason !== undefined || !this.client.usable || CONNECTION_GONE.has(err.code ?? '')) {
      this.noteError(error);
      return this.lostError(what, error);
    }
    const message = err.message ?? String(error);
    return new ImapCommandError(command, `${this.label}: ${what} failed: ${message}`, { store: this.label, cause: error });
  }
}

function describeLoss(error: unknown): string {
  const err = (error ?? {}) as CommandFailure & { reason?: string };
  if (err.code === 'ETIMEOUT') return 'no answer from the server (socket timeout)';
  if (err.reason) return err.reason;
  if (err.code === 'ECONNRESET') return 'connection reset by the server';
  return err.message || err.code || 'connection closed';
}
