// Non-synchronising literals for every size when the server has LITERAL+.
//
// imapflow 2.10's send() compiles with `literalMinus` only, so any literal over
// 4 KB is sent as a synchronising literal: one "+" round trip per message of a
// MULTIAPPEND, which is exactly the latency MULTIAPPEND exists to avoid. The
// compiler itself already knows `literalPlus`; send() just never asks for it.
// So this one client instance gets a copy of send() that does. Everything else
// it does is imapflow's, minus debug logging (we run with `logger: false`).

import compiler from 'imapflow/lib/handler/imap-compiler.js';
import { hasCapability } from 'imapflow/lib/tools.js';
import type { ImapClient, SendRequest } from './imapflowInternals.js';

type CompileInput = Parameters<typeof compiler>[0];

export function installLiteralPlus(client: ImapClient): void {
  client.send = async function send(this: ImapClient, data: SendRequest): Promise<void> {
    if (this.state === this.states.LOGOUT) {
      throw this.createNoConnectionError(false, { rejectedFrom: 'sendAfterLogout', command: data.command });
    }
    // Only read by imapflow's raw traffic log, which we never enable: treat every frame as secret.
    this.rawSensitiveCommand = true;
    const literalPlus = this.capabilities.has('LITERAL+');
    this.commandParts = compiler(data as CompileInput, {
      asArray: true,
      literalPlus,
      literalMinus: literalPlus || hasCapability(this, 'LITERAL-'),
    });
    this.write(this.commandParts.shift() ?? Buffer.alloc(0));
    if (this.currentRequest && this.currentRequest.tag === data.tag) this.currentRequest.sent = true;
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
