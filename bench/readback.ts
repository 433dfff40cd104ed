// Reads a whole mailbox back over IMAP as digests (body hash, flags, INTERNALDATE)
// and compares two such readings, so the fidelity of every tool is judged by the
// same yardstick: what a client sees on the destination, not what lies on disk.

import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';

export interface ImapEndpoint {
  host: string;
  port: number;
  /** Implicit TLS when true. */
  secure: boolean;
  caPem?: string;
  user: string;
  password: string;
}

export interface MessageDigest {
  uid: number;
  sha256: string;
  /** Hash without the bookkeeping headers sync tools insert (X-TUID, X-OfflineIMAP). */
  sha256NoToolHeaders: string;
  /** … and with runs of blanks in the header section collapsed to one space (tools that re-serialise headers). */
  sha256Normalized: string;
  /** Which of those bookkeeping headers the message carries. */
  toolHeaders: string[];
  size: number;
  /** System flags (\Seen …), sorted; \Recent is left out (it is per-session). */
  systemFlags: string[];
  /** Keywords ($Forwarded, custom), sorted. */
  keywords: string[];
  /** INTERNALDATE in ms since the epoch. */
  internalDate: number;
  hasMessageId: boolean;
}

/** Folder name (with '/' as separator, INBOX spelled "INBOX") -> messages in UID order. */
export type MailboxDigest = Map<string, MessageDigest[]>;

/** True when the header section of `raw` has a Message-ID field. */
export function hasMessageIdHeader(raw: Buffer): boolean {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  const header = raw.subarray(0, end < 0 ? raw.length : end).toString('latin1');
  return /(^|\n)message-id[ \t]*:/i.test(header);
}

/** Header fields some tools add to every message they copy, to find it again. */
const TOOL_HEADER = /^(X-TUID|X-OfflineIMAP)[ \t]*:[^\r\n]*(\r?\n[ \t][^\r\n]*)*\r?\n/gim;

const sha = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex');

/** The two normalised hashes of a message, and the tool headers it carries. */
function normalizedHashes(raw: Buffer, exact: string): { noTool: string; normalized: string; found: string[] } {
  let end = raw.indexOf('\r\n\r\n');
  if (end < 0) end = raw.indexOf('\n\n');
  if (end < 0) return { noTool: exact, normalized: exact, found: [] };
  const header = raw.subarray(0, end + 2).toString('latin1');
  const body = raw.subarray(end + 2);
  const found = new Set<string>();
  const stripped = header.replace(TOOL_HEADER, (_m, name: string) => {
    found.add(name.toUpperCase());
    return '';
  });
  const noTool = found.size === 0 ? exact : sha(Buffer.concat([Buffer.from(stripped, 'latin1'), body]));
  const collapsed = stripped.replace(/[ \t]+/g, ' ');
  const normalized = collapsed === header ? exact : collapsed === stripped ? noTool : sha(Buffer.concat([Buffer.from(collapsed, 'latin1'), body]));
  return { noTool, normalized, found: [...found].sort() };
}

export function digestOf(raw: Buffer, flags: Iterable<string>, internalDate: Date, uid = 0): MessageDigest {
  const systemFlags: string[] = [];
  const keywords: string[] = [];
  for (const flag of flags) {
    if (flag === '\\Recent') continue;
    (flag.startsWith('\\') ? systemFlags : keywords).push(flag);
  }
  const sha256 = sha(raw);
  const { noTool, normalized, found } = normalizedHashes(raw, sha256);
  return {
    uid,
    sha256,
    sha256NoToolHeaders: noTool,
    sha256Normalized: normalized,
    toolHeaders: found,
    size: raw.length,
    systemFlags: systemFlags.sort(),
    keywords: keywords.sort(),
    internalDate: internalDate.getTime(),
    hasMessageId: hasMessageIdHeader(raw),
  };
}

/** Reads every selectable folder of the account (read-only EXAMINE, BODY.PEEK). */
export async function readMailbox(endpoint: ImapEndpoint): Promise<MailboxDigest> {
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    auth: { user: endpoint.user, pass: endpoint.password },
    tls: endpoint.caPem ? { ca: endpoint.caPem, servername: 'localhost' } : {},
    logger: false,
    disableAutoIdle: true,
    disableCompression: true,
  });
  let failure: unknown;
  client.on('error', (error: unknown) => (failure ??= error));
  await client.connect();
  const result: MailboxDigest = new Map();
  try {
    const folders = await client.list({ listOnly: true });
    for (const folder of folders.sort((a, b) => a.path.localeCompare(b.path))) {
      if (folder.flags.has('\\Noselect') || folder.flags.has('\\NonExistent')) continue;
      const name = folder.delimiter && folder.delimiter !== '/' ? folder.path.split(folder.delimiter).join('/') : folder.path;
      const messages: MessageDigest[] = [];
      const box = await client.mailboxOpen(folder.path, { readOnly: true });
      if (box.exists > 0) {
        // Collect first, then nothing else runs inside the fetch loop (imapflow would deadlock).
        for await (const msg of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
          if (!msg.source || !msg.internalDate) throw new Error(`readback: ${name} UID ${msg.uid} came without body or INTERNALDATE`);
          const date = msg.internalDate instanceof Date ? msg.internalDate : new Date(msg.internalDate);
          messages.push(digestOf(msg.source, msg.flags ?? [], date, msg.uid));
        }
      }
      messages.sort((a, b) => a.uid - b.uid);
      result.set(name, messages);
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
  if (failure) throw failure;
  return result;
}

export interface FolderFidelity {
  folder: string;
  source: number;
  destination: number;
  /** Source messages with no counterpart in the destination folder (even ignoring tool headers). */
  missing: number;
  /** Destination messages with no source counterpart. */
  extra: number;
  /** Copies whose bytes differ from the source only by an added tool header or by header whitespace. */
  altered: number;
  systemFlagMismatches: number;
  keywordMismatches: number;
  dateMismatches: number;
}

export interface FidelityReport {
  foldersSource: number;
  foldersDestination: number;
  missingFolders: string[];
  extraFolders: string[];
  messagesSource: number;
  messagesDestination: number;
  missing: number;
  extra: number;
  altered: number;
  /** Header fields found added on altered copies (X-TUID, X-OFFLINEIMAP). */
  addedHeaders: string[];
  /** Altered copies whose header whitespace was rewritten (e.g. "Subject:  x" became "Subject: x"). */
  headersRewritten: number;
  systemFlagMismatches: number;
  keywordMismatches: number;
  dateMismatches: number;
  /** Copies beyond the first of an identical body within a folder, in the source … */
  duplicatesSource: number;
  /** … and how many of them the destination also holds. */
  duplicatesKept: number;
  messagesWithoutMessageIdSource: number;
  messagesWithoutMessageIdKept: number;
  perFolder: FolderFidelity[];
  /** A few concrete differences, for the report. */
  examples: string[];
}

const sameList = (a: string[], b: string[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

function groupBy(messages: MessageDigest[], key: (m: MessageDigest) => string): Map<string, MessageDigest[]> {
  const groups = new Map<string, MessageDigest[]>();
  for (const m of messages) {
    const k = key(m);
    const list = groups.get(k);
    if (list) list.push(m);
    else groups.set(k, [m]);
  }
  // Pair equal bodies deterministically: sorted by flags and date on both sides.
  const order = (m: MessageDigest): string => `${m.systemFlags.join(' ')}|${m.keywords.join(' ')}|${m.internalDate}|${m.uid}`;
  for (const list of groups.values()) list.sort((a, b) => order(a).localeCompare(order(b)));
  return groups;
}

/**
 * Pairs source and destination messages of one folder: first byte-identical
 * bodies (as a multiset, so duplicates must all be there), then bodies equal
 * once tool bookkeeping headers are ignored. Returns pairs and the leftovers.
 */
function pairMessages(src: MessageDigest[], dst: MessageDigest[]): {
  exact: [MessageDigest, MessageDigest][];
  altered: [MessageDigest, MessageDigest][];
  missing: MessageDigest[];
  extra: MessageDigest[];
} {
  const exact: [MessageDigest, MessageDigest][] = [];
  const altered: [MessageDigest, MessageDigest][] = [];
  const restSrc: MessageDigest[] = [];
  const restDst: MessageDigest[] = [];
  const dstByHash = groupBy(dst, (m) => m.sha256);
  for (const [hash, list] of groupBy(src, (m) => m.sha256)) {
    const candidates = dstByHash.get(hash) ?? [];
    list.forEach((s, i) => (i < candidates.length ? exact.push([s, candidates[i]!]) : restSrc.push(s)));
    restDst.push(...candidates.slice(list.length));
    dstByHash.delete(hash);
  }
  for (const list of dstByHash.values()) restDst.push(...list);
  const missing: MessageDigest[] = [];
  const dstByNormalized = groupBy(restDst, (m) => m.sha256Normalized);
  for (const [hash, list] of groupBy(restSrc, (m) => m.sha256Normalized)) {
    const candidates = dstByNormalized.get(hash) ?? [];
    list.forEach((s, i) => (i < candidates.length ? altered.push([s, candidates[i]!]) : missing.push(s)));
    if (candidates.length > list.length) dstByNormalized.set(hash, candidates.slice(list.length));
    else dstByNormalized.delete(hash);
  }
  const extra = [...dstByNormalized.values()].flat();
  return { exact, altered, missing, extra };
}

/**
 * Compares destination with source folder by folder: counts, bodies (byte-exact,
 * or equal but for an added tool header), flags, keywords, INTERNALDATE,
 * duplicates and messages without Message-ID.
 */
export function compareMailboxes(source: MailboxDigest, destination: MailboxDigest, maxExamples = 8): FidelityReport {
  const report: FidelityReport = {
    foldersSource: source.size,
    foldersDestination: destination.size,
    missingFolders: [],
    extraFolders: [...destination.keys()].filter((f) => !source.has(f)),
    messagesSource: 0,
    messagesDestination: 0,
    missing: 0,
    extra: 0,
    altered: 0,
    addedHeaders: [],
    headersRewritten: 0,
    systemFlagMismatches: 0,
    keywordMismatches: 0,
    dateMismatches: 0,
    duplicatesSource: 0,
    duplicatesKept: 0,
    messagesWithoutMessageIdSource: 0,
    messagesWithoutMessageIdKept: 0,
    perFolder: [],
    examples: [],
  };
  const example = (text: string): void => {
    if (report.examples.length < maxExamples) report.examples.push(text);
  };
  const addedHeaders = new Set<string>();
  for (const messages of destination.values()) report.messagesDestination += messages.length;
  for (const folder of report.extraFolders) example(`destination has an extra folder ${folder}`);

  for (const [folder, srcMessages] of source) {
    const dstMessages = destination.get(folder);
    if (dstMessages === undefined) {
      report.missingFolders.push(folder);
      example(`folder ${folder} missing on the destination`);
    }
    const { exact, altered, missing, extra } = pairMessages(srcMessages, dstMessages ?? []);
    const f: FolderFidelity = {
      folder,
      source: srcMessages.length,
      destination: dstMessages?.length ?? 0,
      missing: missing.length,
      extra: extra.length,
      altered: altered.length,
      systemFlagMismatches: 0,
      keywordMismatches: 0,
      dateMismatches: 0,
    };
    report.messagesSource += srcMessages.length;
    for (const s of missing) example(`${folder}: source UID ${s.uid} (${s.size} bytes) has no copy`);
    for (const d of extra) example(`${folder}: destination UID ${d.uid} (${d.size} bytes) matches no source message`);
    let rewritten = 0;
    for (const [s, d] of altered) {
      for (const h of d.toolHeaders) if (!s.toolHeaders.includes(h)) addedHeaders.add(h);
      if (s.sha256NoToolHeaders !== d.sha256NoToolHeaders) rewritten++;
    }
    report.headersRewritten += rewritten;
    if (altered.length > rewritten) example(`${folder}: ${altered.length - rewritten} copies differ from the source by an added ${[...addedHeaders].join('/')} header`);
    if (rewritten > 0) example(`${folder}: ${rewritten} copies have their header whitespace rewritten`);

    const pairs = [...exact, ...altered];
    // Duplicates: how many extra copies of a body the source has, and how many made it.
    const kept = new Map<string, number>();
    for (const [s] of pairs) kept.set(s.sha256, (kept.get(s.sha256) ?? 0) + 1);
    for (const [hash, list] of groupBy(srcMessages, (m) => m.sha256)) {
      report.duplicatesSource += list.length - 1;
      report.duplicatesKept += Math.max(0, (kept.get(hash) ?? 0) - 1);
    }
    for (const s of srcMessages) if (!s.hasMessageId) report.messagesWithoutMessageIdSource++;
    for (const [s, d] of pairs) {
      if (!s.hasMessageId) report.messagesWithoutMessageIdKept++;
      if (!sameList(s.systemFlags, d.systemFlags)) {
        f.systemFlagMismatches++;
        example(`${folder}: UID ${s.uid} flags (${s.systemFlags.join(' ')}) became (${d.systemFlags.join(' ')})`);
      }
      if (!sameList(s.keywords, d.keywords)) {
        f.keywordMismatches++;
        example(`${folder}: UID ${s.uid} keywords (${s.keywords.join(' ')}) became (${d.keywords.join(' ')})`);
      }
      if (s.internalDate !== d.internalDate) {
        f.dateMismatches++;
        example(`${folder}: UID ${s.uid} INTERNALDATE ${new Date(s.internalDate).toISOString()} became ${new Date(d.internalDate).toISOString()}`);
      }
    }
    report.missing += f.missing;
    report.extra += f.extra;
    report.altered += f.altered;
    report.systemFlagMismatches += f.systemFlagMismatches;
    report.keywordMismatches += f.keywordMismatches;
    report.dateMismatches += f.dateMismatches;
    report.perFolder.push(f);
  }
  report.addedHeaders = [...addedHeaders].sort();
  return report;
}

/** True when the destination is a byte-exact copy in every respect measured. */
export function isFaithful(r: FidelityReport): boolean {
  return (
    r.missingFolders.length === 0 &&
    r.extraFolders.length === 0 &&
    r.missing === 0 &&
    r.extra === 0 &&
    r.altered === 0 &&
    r.systemFlagMismatches === 0 &&
    r.keywordMismatches === 0 &&
    r.dateMismatches === 0 &&
    r.duplicatesKept === r.duplicatesSource &&
    r.messagesWithoutMessageIdKept === r.messagesWithoutMessageIdSource
  );
}

/** One line: "faithful (…)" or the list of problems found. */
export function describeFidelity(r: FidelityReport): string {
  if (isFaithful(r)) {
    return `faithful (${r.messagesDestination}/${r.messagesSource} messages, ${r.duplicatesSource} duplicates, ${r.messagesWithoutMessageIdSource} without Message-ID)`;
  }
  const parts: string[] = [];
  if (r.missingFolders.length > 0) parts.push(`${r.missingFolders.length} folders missing`);
  if (r.extraFolders.length > 0) parts.push(`${r.extraFolders.length} extra folders`);
  if (r.messagesDestination !== r.messagesSource) parts.push(`${r.messagesDestination}/${r.messagesSource} messages`);
  if (r.missing > 0) parts.push(`${r.missing} messages missing`);
  if (r.extra > 0) parts.push(`${r.extra} extra messages`);
  if (r.altered > 0) {
    const why = [
      ...(r.addedHeaders.length > 0 ? [`${r.addedHeaders.join(', ')} header added`] : []),
      ...(r.headersRewritten > 0 ? [`${r.headersRewritten} with header whitespace rewritten`] : []),
    ];
    parts.push(`${r.altered} bodies altered (${why.join('; ')})`);
  }
  if (r.systemFlagMismatches > 0) parts.push(`${r.systemFlagMismatches} flag mismatches`);
  if (r.keywordMismatches > 0) parts.push(`${r.keywordMismatches} keyword mismatches`);
  if (r.dateMismatches > 0) parts.push(`INTERNALDATE not preserved on ${r.dateMismatches}`);
  if (r.duplicatesKept !== r.duplicatesSource) parts.push(`duplicates kept ${r.duplicatesKept}/${r.duplicatesSource}`);
  if (r.messagesWithoutMessageIdKept !== r.messagesWithoutMessageIdSource) {
    parts.push(`no-Message-ID kept ${r.messagesWithoutMessageIdKept}/${r.messagesWithoutMessageIdSource}`);
  }
  return parts.join('; ');
}
