// Line ends at a store's edge. Bodies cross the Store interface in their CRLF
// form (as IMAP sends them), and every size is that form's length: the global
// id of a message without Message-ID includes its size, so one message must
// have one size whichever store it is read from. A store that keeps LF line
// ends (Dovecot's Maildir; a Maildir driver) converts with these, as Dovecot
// does: it saves the LF form (each CRLF becomes LF) and serves the CRLF form
// of that (each LF not already after a CR becomes CRLF).

/** How a store keeps line ends: 'crlf' as given, 'lf' converted at its edge (see crlfAsStored). */
export type LineEnds = 'crlf' | 'lf';

const CR = 0x0d;
const LF = 0x0a;

/** Each CRLF as LF; a CR not followed by LF is kept. */
export function toLf(body: Buffer): Buffer {
  if (body.indexOf('\r\n') < 0) return body;
  const out = Buffer.allocUnsafe(body.length);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte !== CR || body[i + 1] !== LF) out[n++] = byte;
  }
  return out.subarray(0, n);
}

/** Each LF not already after a CR as CRLF. */
export function toCrlf(body: Buffer): Buffer {
  let bare = 0;
  for (let i = body.indexOf(LF); i >= 0; i = body.indexOf(LF, i + 1)) if (body[i - 1] !== CR) bare++;
  if (bare === 0) return body;
  const out = Buffer.allocUnsafe(body.length + bare);
  let n = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (byte === LF && body[i - 1] !== CR) out[n++] = CR;
    out[n++] = byte;
  }
  return out;
}

/**
 * What a store that keeps LF line ends serves for a body appended as `body`:
 * a CRLF body unchanged (a bare CR inside a line too), bare LFs as CRLF, and
 * CRs piled before a line end one fewer ("\r\r\n" is "\r\n"), as Dovecot does.
 */
export function crlfAsStored(body: Buffer): Buffer {
  return toCrlf(toLf(body));
}
