// SELECT / EXAMINE, with the QRESYNC parameter when we have a base to resync
// from. Sent with exec() so that the response codes, the FLAGS and EXISTS, and
// the FETCH/VANISHED responses QRESYNC answers with are all captured by this
// command's own handlers, with nothing left to imapflow's mailbox state.

import { getStringList } from 'imapflow/lib/tools.js';
import { ImapCommandError } from '../../errors.js';
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

export async function selectFolder(session: ImapSession, name: string, readOnly: boolean, base?: QresyncBase): Promise<SelectResult> {
  const codes = new Map<string, unknown>();
  let flags: string[] = [];
  let exists: number | undefined;
  const changes = new FetchCollector();
  const vanished: number[] = [];

  const onOk = (untagged: ImapResponse): void => {
    const node = untagged.attributes?.[0];
    if (!node || Array.isArray(node) || !node.section) return;
    const code = codeValue(node.section);
    if (!code) return;
    if (code.key === 'CLOSED') {
      // RFC 7162 3.2.11: everything before [CLOSED] was about the previously selected
      // folder (pending EXISTS, FETCH, VANISHED); none of it belongs to this one.
      codes.clear();
      flags = [];
      exists = undefined;
      changes.rows.clear();
      vanished.length = 0;
      return;
    }
    codes.set(code.key, code.value ?? true);
  };
  const onVanished = (untagged: ImapResponse): void => {
    // * VANISHED (EARLIER) 1:3,5
    const attributes = untagged.attributes ?? [];
    const set = attributes[attributes.length - 1];
    if (set && !Array.isArray(set) && typeof set.value === 'string') vanished.push(...expandUidSet(set.value));
  };

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
  const command = readOnly ? 'EXAMINE' : 'SELECT';
  const tagged = await session.run(command, attributes, `${command} "${name}"`, {
    untagged: {
      OK: onOk,
      FLAGS: (untagged) => {
        flags = getStringList(untagged.attributes?.[0]);
      },
      EXISTS: (untagged) => {
        const count = Number(untagged.command);
        if (Number.isSafeInteger(count)) exists = count;
      },
      FETCH: changes.onFetch,
      VANISHED: onVanished,
    },
  });
  onOk(tagged);

  const uidValidity = codes.get('UIDVALIDITY');
  if (typeof uidValidity !== 'string' || !/^\d+$/.test(uidValidity)) {
    throw new ImapCommandError(command, `${session.label}: ${command} "${name}" returned no UIDVALIDITY`, { store: session.label });
  }
  const result: SelectResult = {
    uidValidity: BigInt(uidValidity),
    uidNext: Number(codes.get('UIDNEXT') ?? 0) || 0,
    noModseq: codes.has('NOMODSEQ'),
    exists: exists ?? 0,
    flags,
    readOnly: codes.has('READ-ONLY') || (readOnly && !codes.has('READ-WRITE')),
  };
  const highestModseq = codes.get('HIGHESTMODSEQ');
  if (typeof highestModseq === 'string' && /^\d+$/.test(highestModseq) && !result.noModseq) result.highestModseq = BigInt(highestModseq);
  const permanentFlags = codes.get('PERMANENTFLAGS');
  if (Array.isArray(permanentFlags)) result.permanentFlags = getStringList(permanentFlags);
  // The server ignores the QRESYNC parameter when UIDVALIDITY changed (RFC 7162 3.2.5.1).
  if (base && result.uidValidity === base.uidValidity && result.highestModseq !== undefined) {
    result.qresync = { changed: changes.rows, vanished };
  }
  return result;
}
