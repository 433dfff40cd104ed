// APPEND in as few round trips as the server allows: one MULTIAPPEND
// (RFC 3502) command for a batch, its literals non-synchronising where the
// server has LITERAL+ (see literalPlus.ts), the new UIDs read from APPENDUID.
// MULTIAPPEND is all-or-nothing: when the server refuses a batch, the batch
// is sent again one message at a time, so only the bad message(s) fail.

import { ConnectionLostError } from '../../errors.js';
import { ImapCommandError } from './commandError.js';
import type { AppendMessage, AppendOutcome, AppendResult } from '../types.js';
import { formatImapDateTime } from './imapDate.js';
import type { CommandAttribute, ImapResponse } from './imapflowInternals.js';
import type { ImapSession } from './session.js';
import { expandUidSet } from './uidSet.js';
import { boundedBatches } from '../batches.js';
import { withoutRecent } from '../names.js';

/** A batch's literals are compiled into one buffer: keep that buffer a sensible size (a bigger message goes alone). */
const MULTIAPPEND_MAX_BYTES = 16 * 1024 * 1024;

interface Appended {
  uidValidity?: bigint;
  uids?: number[];
}

/** The parts of a response's code, e.g. ["APPENDUID", "38505", "3955"] for "OK [APPENDUID 38505 3955] ..."; [] without one. */
export function responseCodeParts(response: ImapResponse): string[] {
  const node = response.attributes?.[0];
  if (!node || Array.isArray(node) || !node.section) return [];
  return node.section.map((part) => (part && !Array.isArray(part) ? String(part.value ?? '') : ''));
}

/** [APPENDUID uidvalidity uid-set] of a tagged OK; the set lists the new UIDs in message order. */
export function parseAppendUid(response: ImapResponse): Appended {
  const [code, validity, set] = responseCodeParts(response);
  if (code?.toUpperCase() !== 'APPENDUID' || !validity || !/^\d+$/.test(validity) || !set) return {};
  try {
    return { uidValidity: BigInt(validity), uids: expandUidSet(set) };
  } catch {
    return { uidValidity: BigInt(validity) };
  }
}

function messageAttributes(message: AppendMessage, binary: boolean): CommandAttribute[] {
  const flags = withoutRecent(message.flags);
  return [
    flags.map((value) => ({ type: 'ATOM' as const, value })),
    { type: 'STRING', value: formatImapDateTime(message.internalDate) },
    // A body with NUL bytes must go as a literal8 where the server takes them (RFC 3516).
    { type: 'LITERAL', value: message.body, ...(binary && message.body.includes(0) ? { isLiteral8: true } : {}) },
  ];
}

export async function appendMessages(session: ImapSession, folder: string, messages: AppendMessage[]): Promise<AppendResult> {
  const outcomes: (AppendOutcome | undefined)[] = messages.map(() => undefined);
  let uidValidity: bigint | undefined;
  const binary = session.has('BINARY');
  const what = `APPEND to "${folder}"`;

  const appendLimit = session.client.capabilities.get('APPENDLIMIT');
  const toSend: number[] = [];
  messages.forEach((message, index) => {
    if (typeof appendLimit === 'number' && appendLimit > 0 && message.body.length > appendLimit) {
      outcomes[index] = {
        ok: false,
        error: new ImapCommandError(
          'APPEND',
          `${session.label}: ${what} refused: message of ${message.body.length} bytes exceeds the server's APPENDLIMIT of ${appendLimit}`,
          { responseCode: 'TOOBIG', store: session.label },
        ),
      };
    } else {
      toSend.push(index);
    }
  });

  const send = async (indexes: number[]): Promise<void> => {
    const attributes: CommandAttribute[] = [session.mailbox(folder)];
    for (const index of indexes) attributes.push(...messageAttributes(messages[index]!, binary));
    const response = await session.run('APPEND', attributes, what);
    const appended = parseAppendUid(response);
    uidValidity ??= appended.uidValidity;
    const uids = appended.uids?.length === indexes.length ? appended.uids : undefined;
    indexes.forEach((index, i) => {
      outcomes[index] = uids ? { ok: true, uid: uids[i]! } : { ok: true };
    });
  };

  const sendAlone = async (index: number): Promise<void> => {
    try {
      await send([index]);
    } catch (error) {
      if (error instanceof ConnectionLostError || !(error instanceof Error)) throw error;
      outcomes[index] = { ok: false, error };
    }
  };

  const multi = session.has('MULTIAPPEND');
  const batches = multi ? boundedBatches(toSend, (index) => messages[index]!.body.length, { maxBytes: MULTIAPPEND_MAX_BYTES }) : toSend.map((index) => [index]);
  for (const batch of batches) {
    if (batch.length === 1) {
      await sendAlone(batch[0]!);
      continue;
    }
    try {
      await send(batch);
    } catch (error) {
      if (!(error instanceof ImapCommandError)) throw error;
      // Nothing of the batch was stored: find out which message the server minds.
      for (const index of batch) await sendAlone(index);
    }
  }
  const result: AppendResult = { outcomes: outcomes.map((outcome) => outcome ?? { ok: false, error: new Error('not appended') }) };
  if (uidValidity !== undefined) result.uidValidity = uidValidity;
  return result;
}
