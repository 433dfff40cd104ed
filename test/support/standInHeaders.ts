// An original with the header fields a stand-in must carry as they are (To
// folded over two lines, Cc, an X- field) and MIME fields it must replace,
// and the check of a stand-in against it; shared by the memory and Dovecot
// --placeholders tests.

import { expect } from 'vitest';

/** Fields put in front of an original's own: three to keep as they are, three MIME ones to replace. */
const EXTRA_FIELDS =
  'To: Ann <ann@example.org>,\r\n\tBob <bob@example.org>\r\nCc: carol@example.org\r\nX-Mailing-Tag: kept as it is\r\n' +
  'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n';

/** The names of EXTRA_FIELDS a stand-in keeps. */
const KEPT = ['To', 'Cc', 'X-Mailing-Tag'];

/** The message with EXTRA_FIELDS added at the top of its header. */
export function withOriginalHeaders(raw: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(EXTRA_FIELDS, 'latin1'), Buffer.from(raw)]);
}

/** Every occurrence of a field in a message's header, each with its folded lines (CRLF kept). */
function fieldValues(message: Buffer, name: string): string[] {
  const head = message.toString('latin1').split('\r\n\r\n')[0]!;
  return [...head.matchAll(new RegExp(`^${name}:(.*(?:\\r\\n[ \\t].*)*)`, 'gimu'))].map((m) => m[1]!);
}

/** The stand-in carries the original's kept fields exactly (folding included), and one MIME set of its own. */
export function expectOriginalHeadersOn(standIn: Buffer, original: Buffer): void {
  for (const name of KEPT) {
    expect(fieldValues(original, name)).toHaveLength(1);
    expect(fieldValues(standIn, name), name).toEqual(fieldValues(original, name));
  }
  expect(fieldValues(standIn, 'To')[0]).toContain('\r\n\tBob');
  expect(fieldValues(standIn, 'Content-Type')).toEqual([' text/plain; charset=utf-8']);
  expect(fieldValues(standIn, 'Content-Transfer-Encoding')).toEqual([' 8bit']);
  expect(fieldValues(standIn, 'MIME-Version')).toEqual([' 1.0']);
  expect(fieldValues(standIn, 'Message-ID')).toHaveLength(1);
  expect(fieldValues(standIn, 'Message-ID')[0]).toMatch(/^ <placeholder\..+@replimap>$/u);
}
