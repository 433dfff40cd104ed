// SELECT / EXAMINE, with the QRESYNC parameter when we have a base to resync
// from. Sent with exec() so that the response codes, the FLAGS and EXISTS, and
// the FETCH/VANISHED responses QRESYNC answers with are all captured by this
// command's own handlers, with nothing left to imapflow's mailbox state.

import { getStringList } from 'imapflow/lib/tools.js';
import { ImapCommandError } from './commandError.js';
import { FetchCollector, type FetchRow } from './fetchMessages.js';
import type { CommandAttribute, ImapResponse } from './imapflowInternals.js';
import type { ImapSession } from './session.js';
import { expandUidSet } from './uidSet.js';

export interface QresyncBase {
  uidValidity: bigint;
  highestModseq: bigint;
}

export interface SelectResult {
  uidValidity: bigint;
  /** 0 when the server sent no UIDNEXT (it must; nothing is skipped on a 0). */
  uidNext: number;
  highestModseq?: bigint;
  /** [NOMODSEQ]: this folder keeps no mod-sequences. */
  noModseq: boolean;
  exists: number;
  flags: string[];
  /** PERMANENTFLAGS as sent; undefined when the server sent none. */
  permanentFlags?: string[];
  readOnly: boolean;
  /** Present when QRESYNC was asked for and honoured: what changed since the base. */
  qresync?: { changed: Map<number, FetchRow>; vanished: number[] };
}

function codeValue(section: unknown[]): { key: string; value: unknown } | undefined {
  const first = section[0] as { value?: unknown } | null | undefined;
  if (!first || typeof first.value !== 'string') return undefined;
  const second = section[1] as { value?: unknown } | unknown[] | null | undefined;
  return { key: first.value.toUpperCase(), value: Array.isArray(second) ? second : second?.value };
}

/** What the untagged answers to a SELECT said, as they came. */
interface SelectAnswers {
  codes: Map<string, unknown>;
  flags: string[];
  exists: number | undefined;
  changes: FetchCollector;
  vanished: number[];
}

/** Collects the answers to a SELECT; `onOk` also takes the tagged OK's code. */
function answerCollector(): { answers: SelectAnswers; onOk: (response: ImapResponse) => void; untagged: Record<string, (untagged: ImapResponse) => void> } {
  const answers: SelectAnswers = { codes: new Map(), flags: [], exists: undefined, changes: new FetchCollector(), vanished: [] };
  const onOk = (untagged: ImapResponse): void => {
    const node = untagged.attributes?.[0];
    if (!node || Array.isArray(node) || !node.section) return;
    const code = codeValue(node.section);
    if (!code) return;
    if (code.key === 'CLOSED') {
      // RFC 7162 3.2.11: everything before [CLOSED] was about the previously selected
      // folder (pending EXISTS, FETCH, VANISHED); none of it belongs to this one.
      Object.assign(answers, { codes: new Map(), flags: [], exists: undefined, changes: new FetchCollector(), vanished: [] });
      return;
    }
    answers.codes.set(code.key, code.value ?? true);
  };
  const untagged = {
    OK: onOk,
    FLAGS: (response: ImapResponse) => {
      answers.flags = getStringList(response.attributes?.[0]);
    },
    EXISTS: (response: ImapResponse) => {
      const count = Number(response.command);
      if (Number.isSafeInteger(count)) answers.exists = count;
    },
    FETCH: (response: ImapResponse) => answers.changes.onFetch(response),
    VANISHED: (response: ImapResponse) => {
      // * VANISHED (EARLIER) 1:3,5
      const attributes = response.attributes ?? [];
      const set = attributes[attributes.length - 1];
      if (set && !Array.isArray(set) && typeof set.value === 'string') answers.vanished.push(...expandUidSet(set.value));
    },
  };
  return { answers, onOk, untagged };
}

function selectAttributes(session: ImapSession, name: string, base: QresyncBase | undefined): CommandAttribute[] {
  const attributes: CommandAttribute[] = [session.mailbox(name)];
  if (base) {
    attributes.push([
      { type: 'ATOM', value: 'QRESYNC' },
      [
        { type: 'ATOM', value: base.uidValidity.toString() },
        { type: 'ATOM', value: base.highestModseq.toString() },
      ],
    ]);
  }
  return attributes;
}

export async function selectFolder(session: ImapSession, name: string, readOnly: boolean, base?: QresyncBase): Promise<SelectResult> {
  const { answers, onOk, untagged } = answerCollector();
  const command = readOnly ? 'EXAMINE' : 'SELECT';
  const tagged = await session.run(command, selectAttributes(session, name, base), `${command} "${name}"`, { untagged });
  onOk(tagged);
  const { codes } = answers;
  const uidValidity = codes.get('UIDVALIDITY');
  if (typeof uidValidity !== 'string' || !/^\d+$/.test(uidValidity)) {
    throw new ImapCommandError(command, `${session.label}: ${command} "${name}" returned no UIDVALIDITY`, { store: session.label });
  }
  const result: SelectResult = {
    uidValidity: BigInt(uidValidity),
    uidNext: Number(codes.get('UIDNEXT') ?? 0) || 0,
    noModseq: codes.has('NOMODSEQ'),
    exists: answers.exists ?? 0,
    flags: answers.flags,
    readOnly: codes.has('READ-ONLY') || (readOnly && !codes.has('READ-WRITE')),
  };
  const highestModseq = codes.get('HIGHESTMODSEQ');
  if (typeof highestModseq === 'string' && /^\d+$/.test(highestModseq) && !result.noModseq) result.highestModseq = BigInt(highestModseq);
  const permanentFlags = codes.get('PERMANENTFLAGS');
  if (Array.isArray(permanentFlags)) result.permanentFlags = getStringList(permanentFlags);
  // The server ignores the QRESYNC parameter when UIDVALIDITY changed (RFC 7162 3.2.5.1).
  if (base && result.uidValidity === base.uidValidity && result.highestModseq !== undefined) {
    result.qresync = { changed: answers.changes.rows, vanished: answers.vanished };
  }
  return result;
}
