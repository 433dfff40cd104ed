// Generated mail for tests, benchmarks and the demo. Deterministic: the same
// call gives the same bytes on every machine, so a failure can be replayed.
//
// Every raw message uses CRLF line ends and contains no bare CR and no NUL:
// Dovecot rewrites those on APPEND, and the tests compare bytes exactly.
// Internal dates lie in the past and are whole seconds: IMAP carries seconds
// only, and Dovecot replaces an internal date in the future with "now".

export interface CorpusMessage {
  /** Folder name with the server's separator, without any namespace prefix. */
  folder: string;
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

// ---------------------------------------------------------------------------
// Building blocks.

/** mulberry32: small, fast, good enough for test data, identical everywhere. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;

const pick = <T>(rand: Random, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const between = (rand: Random, min: number, max: number): number => min + Math.floor(rand() * (max - min + 1));

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her ' +
  'meeting report budget quarter review draft proposal invoice schedule deadline release server backup migration project ' +
  'update notes agenda travel hotel flight contract signature offer customer support ticket question answer thanks regards ' +
  'please attached see below tomorrow today next week monday friday morning afternoon call phone office team plan'
).split(' ');

const NAMES = [
  ['Alice Archer', 'alice@example.org'],
  ['Bob Baker', 'bob@example.com'],
  ['Carol Chen', 'carol.chen@example.net'],
  ['Dave Dunn', 'dave@dunn.example'],
  ['Eve Evans', 'eve@example.org'],
  ['Frank Fischer', 'frank@example.de'],
] as const;

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 5322 date as a sender in the given UTC offset (minutes) would write it. */
export function rfc5322Date(date: Date, offsetMinutes = 0): string {
  const local = new Date(date.getTime() + offsetMinutes * 60_000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return (
    `${DAYS[local.getUTCDay()]}, ${local.getUTCDate()} ${MONTHS[local.getUTCMonth()]} ${local.getUTCFullYear()} ` +
    `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** Joins header and body lines with CRLF; rejects bare CR/LF inside a line so no test data is silently unexact. */
function buildMessage(headers: [string, string][], bodyLines: string[]): Buffer {
  const lines = [...headers.map(([name, value]) => `${name}: ${value}`), '', ...bodyLines];
  for (const line of lines) {
    if (/[\r\n\0]/.test(line)) throw new Error(`corpus line contains CR, LF or NUL: ${JSON.stringify(line.slice(0, 60))}`);
  }
  return Buffer.from(lines.join('\r\n') + '\r\n', 'utf8');
}

// Body text is drawn from a fixed pool of lines: building every line word by
// word made generating a few thousand messages take seconds.
let linePool: string[] | undefined;
function textLinePool(): string[] {
  if (!linePool) {
    const rand = prng(0x5eed);
    linePool = [];
    for (let i = 0; i < 4096; i++) {
      let line = '';
      const target = between(rand, 30, 76);
      while (line.length < target) line += (line ? ' ' : '') + pick(rand, WORDS);
      linePool.push(rand() < 0.08 ? '' : line);
    }
  }
  return linePool;
}

function textLines(rand: Random, bytes: number): string[] {
  const pool = textLinePool();
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    const line = pool[Math.floor(rand() * pool.length)]!;
    lines.push(line);
    size += line.length + 2;
  }
  return lines;
}

/** Base64 lines (76 chars) of `bytes` pseudo-random bytes. */
function base64Lines(rand: Random, bytes: number): string[] {
  const data = Buffer.alloc(bytes);
  for (let i = 0; i + 4 <= bytes; i += 4) data.writeUInt32LE(Math.floor(rand() * 4294967296), i);
  const b64 = data.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines;
}

/** RFC 2047 encoded-word (UTF-8, base64) for non-ASCII header text. */
function encodedWord(text: string): string {
  return `=?UTF-8?B?${Buffer.from(text, 'utf8').toString('base64')}?=`;
}

interface Spec {
  from?: readonly [string, string];
  to?: readonly [string, string];
  subject?: string;
  /** Undefined: the internal date, sent from UTC. null: no Date header. */
  date?: string | null;
  messageId?: string | null;
  extraHeaders?: [string, string][];
  bodyBytes?: number;
  attachment?: { name: string; type: string; bytes: number };
}

function makeMessage(rand: Random, spec: Spec, internalDate: Date, idHint: string): Buffer {
  const headers: [string, string][] = [];
  if (spec.from) headers.push(['From', `${spec.from[0]} <${spec.from[1]}>`]);
  const to = spec.to ?? NAMES[0];
  headers.push(['To', `${to[0]} <${to[1]}>`]);
  if (spec.subject !== undefined) headers.push(['Subject', spec.subject]);
  if (spec.date !== null) headers.push(['Date', spec.date ?? rfc5322Date(new Date(internalDate.getTime() - 90_000))]);
  if (spec.messageId !== null) headers.push(['Message-ID', spec.messageId ?? `<${idHint}@corpus.replimap.example>`]);
  headers.push(...(spec.extraHeaders ?? []));
  headers.push(['MIME-Version', '1.0']);
  const text = textLines(rand, spec.bodyBytes ?? between(rand, 1500, 8000));
  if (!spec.attachment) {
    headers.push(['Content-Type', 'text/plain; charset=utf-8'], ['Content-Transfer-Encoding', '8bit']);
    return buildMessage(headers, text);
  }
  const boundary = `=_replimap_${idHint.replace(/[^A-Za-z0-9]/g, '')}`;
  headers.push(['Content-Type', `multipart/mixed; boundary="${boundary}"`]);
  const att = spec.attachment;
  return buildMessage(headers, [
    'This is a multi-part message in MIME format.',
    '',
    `--${boundary}`,
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    ...text,
    '',
    `--${boundary}`,
    `Content-Type: ${att.type}; name="${att.name}"`,
    'Content-Transfer-Encoding: base64',
    `Content-Disposition: attachment; filename="${att.name}"`,
    '',
    ...base64Lines(rand, att.bytes),
    `--${boundary}--`,
  ]);
}

// ---------------------------------------------------------------------------
// The standard corpus: every odd case the sync must carry across exactly.

/**
 * About 60 messages plus one of 5 MB, across nested and non-ASCII folders, with
 * flags, keywords, odd dates, duplicates and messages missing the headers an
 * identity would use. Folder names use `separator`; no namespace prefix.
 */
export function standardCorpus(separator: '/' | '.'): CorpusMessage[] {
  const rand = prng(20240229);
  const out: CorpusMessage[] = [];
  const join = (...parts: string[]): string => parts.join(separator);
  let n = 0;
  const add = (folder: string, spec: Spec, flags: string[], internalDate: Date): CorpusMessage => {
    n++;
    const message = { folder, raw: makeMessage(rand, spec, internalDate, `std-${n}`), flags, internalDate };
    out.push(message);
    return message;
  };
  const day = (iso: string): Date => new Date(iso);

  // INBOX: everyday mail with every system flag and a few keywords.
  const flagSets: string[][] = [
    [],
    ['\\Seen'],
    ['\\Seen', '\\Flagged'],
    ['\\Seen', '\\Answered'],
    ['\\Seen', '$Forwarded'],
    ['\\Seen', '$Label1'],
    ['\\Seen', 'NonJunk'],
    ['\\Seen', 'project-x'],
    ['\\Flagged', '\\Answered', '$Forwarded', '$Label1', 'NonJunk', 'project-x'],
    ['\\Seen', '\\Draft'],
  ];
  for (let i = 0; i < 25; i++) {
    add(
      'INBOX',
      {
        from: NAMES[i % NAMES.length]!,
        subject: `${pick(rand, ['Re: ', 'Fwd: ', '', ''])}${pick(rand, WORDS)} ${pick(rand, WORDS)} #${i + 1}`,
        bodyBytes: between(rand, 2000, 30000),
      },
      flagSets[i % flagSets.length]!,
      new Date(Date.UTC(2023, 0, 1) + i * 86_400_000 + between(rand, 0, 86_399) * 1000),
    );
  }
  // Byte-identical twins: both must arrive, never merged into one.
  const twin = add('INBOX', { from: NAMES[1], subject: 'Identical twin', messageId: '<twin@corpus.replimap.example>' }, ['\\Seen'], day('2023-03-01T10:00:00Z'));
  out.push({ ...twin, raw: Buffer.from(twin.raw), flags: [...twin.flags] });
  // No Message-ID: identity has to fall back on Date/From/Subject.
  add('INBOX', { from: NAMES[2], subject: 'No Message-ID here', messageId: null }, [], day('2023-03-02T08:30:00Z'));
  add('INBOX', { from: NAMES[2], subject: 'No Message-ID either', messageId: null }, ['\\Seen'], day('2023-03-02T08:31:00Z'));
  // Nothing to identify it by: no Message-ID, Date, From or Subject.
  add('INBOX', { date: null, messageId: null, extraHeaders: [['X-Note', 'headers stripped by a broken gateway']] }, [], day('2023-03-03T00:00:00Z'));
  // 8-bit UTF-8 in the headers themselves (RFC 6532 style), not encoded-words.
  add(
    'INBOX',
    { from: ['Jürgen Größer', 'juergen@example.de'], subject: 'Grüße aus Köln – 東京でも 🎉', extraHeaders: [['X-Städte', 'Zürich, Kraków, Reykjavík']] },
    ['\\Seen', '$Label1'],
    day('2023-04-01T12:00:00Z'),
  );
  // Encoded-word subject, plus a multipart message with an attachment.
  add('INBOX', { from: NAMES[3], subject: encodedWord('Résumé für Ångström') }, ['\\Answered'], day('2023-04-02T09:15:00Z'));
  add(
    'INBOX',
    { from: NAMES[4], subject: 'Quarterly report (PDF attached)', attachment: { name: 'report-q1.pdf', type: 'application/pdf', bytes: 48_000 } },
    ['\\Seen', '\\Flagged'],
    day('2023-04-03T16:45:00Z'),
  );

  // Nested folders with odd dates.
  const archive = 'Archive';
  const y2019 = join(archive, '2019');
  const q1 = join(archive, '2019', 'Q1');
  add(archive, { from: NAMES[0], subject: 'Epoch', date: 'Thu, 1 Jan 1970 00:00:00 +0000' }, ['\\Seen'], day('1970-01-01T00:00:01Z'));
  add(archive, { from: NAMES[1], subject: 'Last second of the millennium', date: 'Fri, 31 Dec 1999 23:59:59 -1200' }, ['\\Seen'], day('2000-01-01T11:59:59Z'));
  add(archive, { from: NAMES[2], subject: 'After the 32-bit rollover', date: 'Tue, 19 Jan 2038 03:14:08 +0000' }, ['\\Seen', '\\Flagged'], day('2022-02-22T22:22:22Z'));
  add(archive, { from: NAMES[3], subject: 'Far future', date: 'Sun, 7 Feb 2106 06:28:16 +0000' }, [], day('2021-01-01T00:00:00Z'));
  add(archive, { from: NAMES[4], subject: 'Y2K eve, elsewhere', date: 'Fri, 31 Dec 1999 23:59:59 +1400' }, ['\\Seen'], day('1999-12-31T09:59:59Z'));
  // The big one: 5 MB, mostly a base64 attachment.
  add(
    archive,
    { from: NAMES[5], subject: 'Holiday photos (large)', attachment: { name: 'photos.zip', type: 'application/zip', bytes: Math.floor((5 * 1024 * 1024 * 3) / 4) } },
    ['\\Seen'],
    day('2019-08-15T18:00:00Z'),
  );
  for (let i = 0; i < 5; i++) {
    add(y2019, { from: NAMES[i % NAMES.length]!, subject: `2019 notes ${i + 1}` }, i % 2 ? ['\\Seen'] : ['\\Seen', 'project-x'], new Date(Date.UTC(2019, i * 2, 10, 9, 0, i)));
  }
  for (let i = 0; i < 4; i++) {
    add(q1, { from: NAMES[(i + 2) % NAMES.length]!, subject: `Q1 figures ${i + 1}` }, ['\\Seen'], new Date(Date.UTC(2019, i % 3, 20 + i, 14, 30, 0)));
  }

  // Non-ASCII folder names; '&' must survive modified UTF-7.
  for (let i = 0; i < 3; i++) {
    add('Entwürfe', { from: NAMES[0], subject: `Entwurf ${i + 1}: Änderungen`, messageId: null }, ['\\Draft', ...(i === 0 ? ['\\Seen'] : [])], new Date(Date.UTC(2024, 0, 5 + i, 8)));
  }
  for (let i = 0; i < 3; i++) {
    add('日本語', { from: ['山田 太郎', 'taro@example.jp'], subject: encodedWord(`会議の議事録 ${i + 1}`) }, i ? ['\\Seen'] : [], new Date(Date.UTC(2024, 1, 1 + i, 3)));
  }
  for (let i = 0; i < 3; i++) {
    add('Größe & Maß', { from: NAMES[5], subject: `Maße und Gewichte ${i + 1}` }, ['\\Seen', '$Label1'], new Date(Date.UTC(2024, 2, 1 + i, 11)));
  }
  // A deeper non-ASCII path, and a folder name with a space.
  add(join('Größe & Maß', 'Unterordner'), { from: NAMES[4], subject: 'Tief verschachtelt' }, [], day('2024-03-10T10:00:00Z'));
  add('Work Stuff', { from: NAMES[3], subject: 'Space in the folder name' }, ['\\Seen', 'NonJunk'], day('2024-03-11T10:00:00Z'));
  add('Work Stuff', { from: NAMES[3], subject: 'Empty body', bodyBytes: 0 }, ['\\Seen'], day('2024-03-12T10:00:00Z'));

  return out;
}

// ---------------------------------------------------------------------------
// Generated volume for sync, crash and benchmark tests.

/**
 * `count` messages with realistic sizes (most 2-30 KB, ~7 % 30-100 KB, ~1.5 %
 * 100 KB-1 MB, ~8 % with an attachment; about 32 KB on average), flags and dates spread over ten years.
 * Deterministic from the seed; Message-IDs are unique per (seed, index).
 */
export function generateMessages(count: number, options: { seed?: number; folder?: string } = {}): CorpusMessage[] {
  const out: CorpusMessage[] = [];
  for (const message of generateMessageStream(count, options)) out.push(message);
  return out;
}

/** The same messages as generateMessages, one at a time (for seedFolderBulk with huge counts). */
export function* generateMessageStream(count: number, options: { seed?: number; folder?: string } = {}): Generator<CorpusMessage> {
  const seed = options.seed ?? 1;
  const folder = options.folder ?? 'INBOX';
  const rand = prng(seed * 7919 + 17);
  const start = Date.UTC(2014, 0, 1);
  const span = Date.UTC(2024, 0, 1) - start;
  for (let i = 0; i < count; i++) {
    const r = rand();
    const bodyBytes = r < 0.915 ? between(rand, 1500, 28000) : r < 0.985 ? between(rand, 30000, 100000) : between(rand, 100000, 1000000);
    const attachment = rand() < 0.08 ? { name: `file-${i}.bin`, type: 'application/octet-stream', bytes: between(rand, 8000, 100000) } : undefined;
    const internalDate = new Date(start + Math.floor((rand() * span) / 1000) * 1000);
    const f = rand();
    const flags = f < 0.6 ? ['\\Seen'] : f < 0.7 ? ['\\Seen', '\\Flagged'] : f < 0.8 ? ['\\Seen', '\\Answered'] : f < 0.83 ? ['\\Seen', '$Forwarded'] : f < 0.85 ? ['$Label1'] : [];
    const from = pick(rand, NAMES);
    const subject = `${pick(rand, WORDS)} ${pick(rand, WORDS)} ${pick(rand, WORDS)} (${seed}/${i})`;
    const raw = makeMessage(
      rand,
      { from, subject, bodyBytes: attachment ? Math.min(bodyBytes, 4000) : bodyBytes, messageId: `<gen-${seed}-${i}@corpus.replimap.example>`, ...(attachment ? { attachment } : {}) },
      internalDate,
      `gen-${seed}-${i}`,
    );
    yield { folder, raw, flags, internalDate };
  }
}

/**
 * One message of about `bytes` bytes: a short text part and a base64 attachment
 * of pseudo-random data (76-character lines), deterministic from the seed.
 * For the big-message test and bench (a 43 MB mail, as in issue 6).
 */
export function bigMessage(bytes: number, seed = 43): Buffer {
  const head =
    `From: Big Sender <big@example.org>\r\nTo: alice@example.org\r\nSubject: a big attachment (${bytes} bytes)\r\n` +
    `Date: Mon, 01 Jan 2024 10:00:00 +0000\r\nMessage-ID: <big-${seed}-${bytes}@corpus.replimap.example>\r\nMIME-Version: 1.0\r\n` +
    `Content-Type: multipart/mixed; boundary="b-${seed}"\r\n\r\n--b-${seed}\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n` +
    `--b-${seed}\r\nContent-Type: application/octet-stream; name="big.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n`;
  const tail = `--b-${seed}--\r\n`;
  const rand = prng(seed);
  const lines = Math.max(1, Math.floor((bytes - head.length - tail.length) / 78));
  const raw = Buffer.alloc(head.length + lines * 78 + tail.length);
  let pos = raw.write(head, 0, 'latin1');
  const chunk = Buffer.alloc(57);
  for (let i = 0; i < lines; i++) {
    for (let j = 0; j < 57; j += 4) chunk.writeUInt32LE((rand() * 4294967296) >>> 0, Math.min(j, 53));
    pos += raw.write(`${chunk.toString('base64')}\r\n`, pos, 'latin1');
  }
  raw.write(tail, pos, 'latin1');
  return raw;
}

// ---------------------------------------------------------------------------
// The demo's mailbox: readable, small.

/**
 * About 30 messages a person would recognise, in a few folders (with `separator`,
 * default '/'), including a sent folder named "Sent Items".
 */
export function sampleMail(separator: '/' | '.' = '/'): CorpusMessage[] {
  const rand = prng(42);
  const me = ['Alice Archer', 'alice@example.org'] as const;
  const out: CorpusMessage[] = [];
  let n = 0;
  const add = (folder: string, from: readonly [string, string], to: readonly [string, string], subject: string, flags: string[], iso: string): void => {
    n++;
    const internalDate = new Date(iso);
    out.push({ folder, raw: makeMessage(rand, { from, to, subject, bodyBytes: between(rand, 600, 4000) }, internalDate, `sample-${n}`), flags, internalDate });
  };
  const [bob, carol, dave, eve, frank] = [NAMES[1], NAMES[2], NAMES[3], NAMES[4], NAMES[5]];
  const inbox: [readonly [string, string], string, string[]][] = [
    [bob, 'Lunch on Friday?', ['\\Seen']],
    [carol, 'Minutes of Monday’s planning meeting', ['\\Seen']],
    [dave, 'Your invoice #2024-117', ['\\Seen', '\\Flagged']],
    [eve, 'Re: Server migration checklist', ['\\Seen', '\\Answered']],
    [frank, 'Grüße aus Berlin', ['\\Seen']],
    [bob, 'Photos from the hike', []],
    [carol, 'Budget draft v3 — comments welcome', ['\\Seen', '$Label1']],
    [dave, 'Reminder: dentist appointment', ['\\Seen']],
    [eve, 'Fwd: conference schedule', ['\\Seen', '$Forwarded']],
    [frank, 'New release 2.4 is out', []],
    [bob, 'Quick question about the backup job', []],
    [carol, 'Team offsite: hotel options', ['\\Flagged']],
  ];
  inbox.forEach(([from, subject, flags], i) => add('INBOX', from, me, subject, flags, `2024-05-${String(1 + i * 2).padStart(2, '0')}T09:${String(10 + i).padStart(2, '0')}:00Z`));
  const sent: [readonly [string, string], string][] = [
    [bob, 'Re: Lunch on Friday?'],
    [eve, 'Server migration checklist'],
    [dave, 'Re: Your invoice #2024-117'],
    [carol, 'Re: Budget draft v3 — comments welcome'],
    [frank, 'Re: Grüße aus Berlin'],
    [bob, 'Re: Quick question about the backup job'],
  ];
  sent.forEach(([to, subject], i) => add('Sent Items', me, to, subject, ['\\Seen'], `2024-05-${String(2 + i * 3).padStart(2, '0')}T17:${String(20 + i).padStart(2, '0')}:00Z`));
  const apollo = ['Projects', 'Apollo'].join(separator);
  const gemini = ['Projects', 'Gemini'].join(separator);
  ['Apollo kickoff', 'Apollo: requirements v1', 'Apollo: vendor shortlist', 'Apollo: risks and mitigations', 'Apollo: go/no-go'].forEach((s, i) =>
    add(apollo, i % 2 ? carol : dave, me, s, i === 4 ? ['\\Seen', '\\Flagged'] : ['\\Seen'], `2024-03-${String(4 + i * 5).padStart(2, '0')}T10:00:00Z`),
  );
  ['Gemini design review', 'Gemini: test plan', 'Gemini: launch notes', 'Gemini retrospective'].forEach((s, i) =>
    add(gemini, i % 2 ? eve : frank, me, s, ['\\Seen', 'project-x'], `2024-04-${String(2 + i * 6).padStart(2, '0')}T14:30:00Z`),
  );
  const archive = ['Archive', '2023'].join(separator);
  ['Tax documents 2023', 'Flight booking confirmation', 'Year in review'].forEach((s, i) =>
    add(archive, i % 2 ? bob : carol, me, s, ['\\Seen'], `2023-${String(3 + i * 4).padStart(2, '0')}-15T08:00:00Z`),
  );
  return out;
}
