// The bench's mail corpus: deterministic (seeded), streamed (100,000 messages
// never sit in memory at once), with the traits that make a copy hard to get
// right: exact duplicates, messages without Message-ID, keywords, \Deleted
// messages, bare-LF-free CRLF bytes, INTERNALDATE distinct from the Date header,
// and a size mix that is mostly small text with a tail of large attachments.

import type { SeedMessage } from './maildirSeeder.js';
import { prng } from '../test/support/corpus.js';

/** Size mix, by share of messages (see describeCorpus). */
const KINDS = [
  { share: 0.78, kind: 'text', min: 300, max: 12_000 },
  { share: 0.17, kind: 'html', min: 4_000, max: 60_000 },
  { share: 0.05, kind: 'attachment', min: 20_000, max: 500_000 },
] as const;
const DUPLICATE_SHARE = 0.01;
export const NO_MESSAGE_ID_SHARE = 0.02;

export interface CorpusPlan {
  seed: number;
  folders: string[];
  /** Messages per folder, same order as folders. */
  counts: number[];
}

/** Folder names: INBOX, a few usual ones, then nested groups whose parents are real folders too. */
export function folderNames(count: number): string[] {
  const base = ['INBOX', 'Sent', 'Archive', 'Lists', 'Projects', 'Receipts', 'Travel', 'Family', 'Newsletters', 'Work'];
  const names = base.slice(0, Math.min(count, base.length));
  for (let i = 0; names.length < count; i++) {
    const parent = ['Archive', 'Lists', 'Projects', 'Work'][i % 4]!;
    names.push(`${parent}/${parent.toLowerCase()}-${String(Math.floor(i / 4) + 1).padStart(3, '0')}`);
  }
  // Children need their parent as a real folder: with fewer than 5 folders there are no children.
  return names;
}

/** `messages` spread over `folders` folders: equal shares, the remainder in INBOX. */
export function planCorpus(folders: number, messages: number, seed = 20240601): CorpusPlan {
  if (folders < 1 || messages < 0) throw new RangeError('planCorpus: need at least one folder');
  const names = folderNames(folders);
  const each = Math.floor(messages / folders);
  const counts = names.map((_, i) => each + (i === 0 ? messages - each * folders : 0));
  return { seed, folders: names, counts };
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they you were her ' +
  'all she there would their we him been has when who will more no if out so said what up its about into than them can only ' +
  'other new some could time these two may then do first any my now such like our over man me even most made after also did ' +
  'many before must through back years where much your way well down should because each just those people how too little ' +
  'state good very make world still own see men work long get here between both life being under never day same another know ' +
  'meeting invoice report project deadline release budget schedule review update attached please thanks regards'
).split(' ');

const NAMES = ['Alice Martin', 'Bob Chen', 'Carla Diaz', 'David Okafor', 'Eva Novak', 'Frank Müller', 'Grace Ito', 'Hugo Silva'];

function pick<T>(rand: () => number, list: readonly T[]): T {
  return list[Math.floor(rand() * list.length)]!;
}

/** Log-uniform integer in [min, max]: many small values, a long tail of big ones. */
function logUniform(rand: () => number, min: number, max: number): number {
  return Math.round(Math.exp(Math.log(min) + rand() * (Math.log(max) - Math.log(min))));
}

function textLines(rand: () => number, bytes: number): string {
  const lines: string[] = [];
  let size = 0;
  while (size < bytes) {
    let line = '';
    const target = 40 + Math.floor(rand() * 36);
    while (line.length < target) line += (line ? ' ' : '') + pick(rand, WORDS);
    if (rand() < 0.1) line = '';
    lines.push(line);
    size += line.length + 2;
  }
  return lines.join('\r\n');
}

/** Incompressible bytes for attachments: one pool, sliced at random offsets (fast, and still unique per message by its headers). */
const POOL = ((): Buffer => {
  const rand = prng(0x5eed);
  const pool = Buffer.allocUnsafe(1 << 20);
  for (let i = 0; i < pool.length; i += 4) pool.writeUInt32LE((rand() * 4294967296) >>> 0, i);
  return pool;
})();

function base64Lines(rand: () => number, bytes: number): string {
  const length = Math.ceil((bytes * 3) / 4);
  const parts: Buffer[] = [];
  for (let left = length; left > 0; ) {
    const start = Math.floor(rand() * (POOL.length / 2));
    const take = Math.min(left, POOL.length - start);
    parts.push(POOL.subarray(start, start + take));
    left -= take;
  }
  const b64 = Buffer.concat(parts).toString('base64');
  const out: string[] = [];
  for (let i = 0; i < b64.length; i += 76) out.push(b64.slice(i, i + 76));
  return out.join('\r\n');
}

function rfc2822Date(d: Date): string {
  // A fixed +0100 zone: the Date header need not match INTERNALDATE's zone.
  const shifted = new Date(d.getTime() + 3600_000);
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][shifted.getUTCDay()];
  const mon = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][shifted.getUTCMonth()];
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${day}, ${shifted.getUTCDate()} ${mon} ${shifted.getUTCFullYear()} ${p(shifted.getUTCHours())}:${p(shifted.getUTCMinutes())}:${p(shifted.getUTCSeconds())} +0100`;
}

function flagsFor(rand: () => number): string[] {
  const flags: string[] = [];
  if (rand() < 0.7) flags.push('\\Seen');
  if (rand() < 0.1) flags.push('\\Answered');
  if (rand() < 0.05) flags.push('\\Flagged');
  if (rand() < 0.01) flags.push('\\Draft');
  if (rand() < 0.005) flags.push('\\Deleted');
  if (rand() < 0.03) flags.push('$Forwarded');
  if (rand() < 0.02) flags.push(pick(rand, ['$label1', 'todo', 'project-x']));
  return flags;
}

/** One message; `key` makes it unique and reproducible. */
export function makeMessage(folder: string, key: string, rand: () => number, withMessageId: boolean, attachmentBytes?: number): SeedMessage {
  const roll = rand();
  let acc = 0;
  let spec: (typeof KINDS)[number] = KINDS[0];
  for (const k of KINDS) {
    acc += k.share;
    if (roll < acc) {
      spec = k;
      break;
    }
  }
  if (attachmentBytes !== undefined) spec = KINDS[2];
  const size = attachmentBytes ?? logUniform(rand, spec.min, spec.max);
  const from = pick(rand, NAMES);
  const to = pick(rand, NAMES);
  const sent = new Date(Date.UTC(2015, 0, 1) + Math.floor(rand() * 9 * 365 * 86400) * 1000);
  // INTERNALDATE: delivery a little after sending, whole seconds (IMAP's resolution).
  const internalDate = new Date(sent.getTime() + (1 + Math.floor(rand() * 600)) * 1000);
  const subject = `${pick(rand, ['Re: ', '', '', 'Fwd: '])}${textLines(rand, 30).split('\r\n')[0]!.slice(0, 60)} [${key}]`;
  const headers = [
    `Return-Path: <${from.split(' ')[0]!.toLowerCase()}@example.org>`,
    `Received: from mx${Math.floor(rand() * 9)}.example.net (mx.example.net [192.0.2.${Math.floor(rand() * 250)}])\r\n\tby mail.example.org with ESMTPS id ${key}; ${rfc2822Date(internalDate)}`,
    `From: ${from} <${from.split(' ')[0]!.toLowerCase()}@example.org>`,
    `To: ${to} <${to.split(' ')[0]!.toLowerCase()}@example.com>`,
    `Subject: ${subject}`,
    `Date: ${rfc2822Date(sent)}`,
  ];
  if (withMessageId) headers.push(`Message-ID: <${key}.${Math.floor(rand() * 1e9)}@bench.example.org>`);
  headers.push('MIME-Version: 1.0');
  let body: string;
  if (spec.kind === 'text') {
    headers.push('Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit');
    body = textLines(rand, size);
  } else if (spec.kind === 'html') {
    const boundary = `b-${key}`;
    headers.push(`Content-Type: multipart/alternative; boundary="${boundary}"`);
    const text = textLines(rand, Math.floor(size / 3));
    const html = `<html><body><p>${textLines(rand, Math.floor((size * 2) / 3)).replace(/\r\n\r\n/g, '</p>\r\n<p>')}</p></body></html>`;
    body = `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}\r\n--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${html}\r\n--${boundary}--`;
  } else {
    const boundary = `m-${key}`;
    headers.push(`Content-Type: multipart/mixed; boundary="${boundary}"`);
    body =
      `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${textLines(rand, 600)}\r\n` +
      `--${boundary}\r\nContent-Type: application/octet-stream; name="file-${key}.bin"\r\nContent-Transfer-Encoding: base64\r\n` +
      `Content-Disposition: attachment; filename="file-${key}.bin"\r\n\r\n${base64Lines(rand, size)}\r\n--${boundary}--`;
  }
  const raw = Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}\r\n`, 'utf8');
  return { folder, raw, flags: flagsFor(rand), internalDate };
}

/**
 * Streams the corpus of a plan, folder after folder. About 1% of messages are
 * exact byte copies of an earlier message of the same folder (same INTERNALDATE,
 * their own flags), about 2% have no Message-ID.
 */
export function* generateCorpus(plan: CorpusPlan): Generator<SeedMessage> {
  for (let f = 0; f < plan.folders.length; f++) {
    const folder = plan.folders[f]!;
    const rand = prng(plan.seed * 1009 + f);
    const recent: SeedMessage[] = [];
    for (let i = 0; i < plan.counts[f]!; i++) {
      if (recent.length > 0 && rand() < DUPLICATE_SHARE) {
        const original = pick(rand, recent);
        yield { folder, raw: original.raw, flags: flagsFor(rand), internalDate: original.internalDate };
        continue;
      }
      const message = makeMessage(folder, `f${f}m${i}`, rand, rand() >= NO_MESSAGE_ID_SHARE);
      // Keep a small window of candidates for duplicates (memory stays flat).
      if (recent.length < 20) recent.push(message);
      else if (rand() < 0.05) recent[Math.floor(rand() * recent.length)] = message;
      yield message;
    }
  }
}

/**
 * `count` messages with an attachment of 1.1 to 3 MiB (the corpus's biggest is
 * 500 kB), spread over the folders: what `--max-size 1M` holds back (issue 9 §2).
 */
export function* generateBigMessages(plan: CorpusPlan, count: number, seed = plan.seed + 11): Generator<SeedMessage> {
  const rand = prng(seed * 1019);
  for (let i = 0; i < count; i++) {
    const folder = plan.folders[i % plan.folders.length]!;
    yield makeMessage(folder, `big${i}`, rand, true, Math.round(1.1 * 2 ** 20 + rand() * 1.9 * 2 ** 20));
  }
}

/** New messages for the "changes" step: `count` per folder, distinct from the corpus. */
export function* generateAdditions(plan: CorpusPlan, perFolder: number[], seed = plan.seed + 7): Generator<SeedMessage> {
  for (let f = 0; f < plan.folders.length; f++) {
    const rand = prng(seed * 1013 + f);
    for (let i = 0; i < perFolder[f]!; i++) {
      yield makeMessage(plan.folders[f]!, `f${f}n${i}`, rand, rand() >= NO_MESSAGE_ID_SHARE);
    }
  }
}

export function describeCorpus(): string {
  const kinds = KINDS.map((k) => `${Math.round(k.share * 100)}% ${k.kind} (${k.min.toLocaleString('en')}–${k.max.toLocaleString('en')} B, log-uniform)`).join(', ');
  return (
    `Seeded generator (bench/benchCorpus.ts): ${kinds}; ~${DUPLICATE_SHARE * 100}% exact duplicates of an earlier message in the same folder, ` +
    `~${NO_MESSAGE_ID_SHARE * 100}% without Message-ID; flags: 70% \\Seen, 10% \\Answered, 5% \\Flagged, 1% \\Draft, 0.5% \\Deleted, ` +
    '3% $Forwarded, 2% a custom keyword; INTERNALDATE a few minutes after the Date header, spread over 2015–2023. CRLF line ends throughout.'
  );
}
