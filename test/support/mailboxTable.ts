// Table-driven sync cases in the style of isync's run-tests.pl: each case is
// an initial far side (A), near side (B) and state, and the A, B and state
// expected after one run, written in a small string language:
//
//   box    "1:FS 2 5@7:T"   message 1 (conformanceMessage(1)) with \Flagged
//                           \Seen at the next UID, message 2, message 5 at
//                           UID 7 (UIDs count up from 1 unless given)
//   state  "1/1=1:F 0/3=3?  records: uidA/uidB=message:flags, `?` a pending
//           2/0=2!"          copy (MessageRecord.status), `!` held (rollback)
//
// Flags are maildir's letters, as isync writes them: D \Draft, F \Flagged,
// R \Answered, S \Seen, T \Deleted. A message is known by its body: a box is
// read back by body digest, so a loss, a duplicate or a wrong body shows.
// The case runs on two memory servers through the real engine (runSync).

import { join } from 'node:path';
import { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord, SideStatus, StateMode } from '../../src/state/types.js';
import { identityHeaderLines } from '../../src/store/memory/headerFields.js';
import { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import type { MemoryStoreSpec } from '../../src/store/spec.js';
import type { OptionalOperation } from '../../src/store/types.js';
import { globalId } from '../../src/sync/identity.js';
import type { SyncOptions } from '../../src/sync/types.js';
import { expect } from 'vitest';
import { memorySpec } from './memorySpecs.js';
import { conformanceMessage, digest } from './storeConformance.js';
import { syncSpecs, tempDir, type EngineRun } from './sync.js';

const FOLDER = 'INBOX';
const LETTERS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };
const LETTER_OF = new Map(Object.entries(LETTERS).map(([letter, flag]) => [flag, letter]));
/** Messages a case may name: 1..MAX_MESSAGE. */
const MAX_MESSAGE = 40;

function flagsOf(letters: string): string[] {
  return [...letters].map((l) => {
    const flag = LETTERS[l];
    if (flag === undefined) throw new Error(`mailboxTable: unknown flag letter ${l}`);
    return flag;
  });
}

function lettersOf(flags: readonly string[]): string {
  return flags.map((f) => LETTER_OF.get(f) ?? `[${f}]`).sort().join('');
}

const body = (n: number): Buffer => conformanceMessage(n);
const numberByDigest = new Map(Array.from({ length: MAX_MESSAGE }, (_, i) => [digest(body(i + 1)), i + 1]));
const numberByGid = new Map(Array.from({ length: MAX_MESSAGE }, (_, i) => [gidOf(i + 1), i + 1]));

/** The global id the engine computes for message n (its identity header lines, its size). */
export function gidOf(n: number): string {
  const raw = body(n);
  return globalId(identityHeaderLines(raw), raw.length);
}

interface BoxEntry {
  n: number;
  uid: number;
  flags: string;
}

function parseBox(text: string): BoxEntry[] {
  let uid = 0;
  return text.split(/\s+/).filter(Boolean).map((token) => {
    const m = /^(\d+)(?:@(\d+))?(?::([A-Z]*))?$/.exec(token);
    if (!m) throw new Error(`mailboxTable: bad box token ${token}`);
    uid = m[2] !== undefined ? Number(m[2]) : uid + 1;
    return { n: Number(m[1]), uid, flags: lettersOf(flagsOf(m[3] ?? '')) };
  });
}

/** A box as the table writes it after a run: every UID explicit, in UID order. */
function showBox(entries: readonly BoxEntry[]): string {
  return [...entries].sort((x, y) => x.uid - y.uid).map((e) => `${e.n}@${e.uid}${e.flags ? `:${e.flags}` : ''}`).join(' ');
}

/** Normalises a box written by hand (implicit UIDs made explicit). */
export function box(text: string): string {
  return showBox(parseBox(text));
}

/** Fills a server's INBOX as the box says (fillers take the UIDs it skips, then are expunged). */
function fill(server: MemoryServer, text: string): void {
  for (const e of parseBox(text)) {
    const next = server.folder(FOLDER).uidNext;
    if (e.uid < next) throw new Error(`mailboxTable: UID ${e.uid} is below UIDNEXT ${next}`);
    const fillers = server.append(FOLDER, Array.from({ length: e.uid - next }, () => ({ raw: 'Subject: filler\r\n\r\nx\r\n' })));
    server.expunge(FOLDER, fillers);
    server.append(FOLDER, [{ raw: body(e.n), flags: flagsOf(e.flags) }]);
  }
}

/** What a server's INBOX holds, as a box ('?' for a body no case wrote). */
export function readBox(server: MemoryServer): string {
  return showBox(server.messages(FOLDER).map((m) => ({ n: numberByDigest.get(digest(m.body)) ?? 0, uid: m.uid, flags: lettersOf(m.flags) })))
    .replace(/(^| )0@/g, '$1?@');
}

function parseState(text: string): MessageRecord[] {
  return text.split(/\s+/).filter(Boolean).map((token) => {
    const m = /^(\d+)\/(\d+)=(\d+)(?::([A-Z]*))?([?!]*)$/.exec(token);
    if (!m) throw new Error(`mailboxTable: bad state token ${token}`);
    const record: MessageRecord = { uidA: Number(m[1]), uidB: Number(m[2]), gid: gidOf(Number(m[3])), flags: flagsOf(m[4] ?? '') };
    if (m[5]!.includes('?')) record.status = 'pending';
    if (m[5]!.includes('!')) record.held = 'rollback';
    return record;
  });
}

function showState(records: readonly MessageRecord[]): string {
  return [...records]
    .sort((x, y) => x.uidA - y.uidA || x.uidB - y.uidB)
    .map((r) => {
      const flags = lettersOf(r.flags);
      const marks = `${r.status === 'pending' ? '?' : ''}${r.held !== undefined ? '!' : ''}`;
      return `${r.uidA}/${r.uidB}=${numberByGid.get(r.gid) ?? '?'}${flags ? `:${flags}` : ''}${marks}`;
    })
    .join(' ');
}

/** Normalises a state written by hand. */
export function records(text: string): string {
  return showState(parseState(text));
}

export interface TableCase {
  name: string;
  a: string;
  b: string;
  state: string;
  /**
   * The statuses the state records, as overrides of each side's status now
   * (e.g. a higher uidNext: that side went back in time; another uidValidity:
   * its folder was rebuilt). A side without one is read in full.
   */
  status?: { a?: Partial<SideStatus>; b?: Partial<SideStatus> };
  /**
   * A side's UIDNEXT, when above its highest UID: it expunged its newest
   * messages (a known UID at or above UIDNEXT would mean it went back in time).
   */
  uidNext?: { a?: number; b?: number };
  /** The mode the state was last committed in (default two-way). */
  lastMode?: StateMode;
  options?: Partial<SyncOptions>;
  /** Optional store operations a side's server lacks (all present by default). */
  lacks?: { a?: OptionalOperation[]; b?: OptionalOperation[] };
  expect: { a: string; b: string; state: string };
}

export interface TableWorld {
  a: MemoryServer;
  b: MemoryServer;
  specs: { a: MemoryStoreSpec; b: MemoryStoreSpec };
  statePath: string;
}

/** The case's initial A, B and state (A's UIDVALIDITY 1000, B's 5000). */
export async function setUp(c: TableCase): Promise<TableWorld> {
  const lacking = (ops: OptionalOperation[] = []): Partial<Record<OptionalOperation, boolean>> => Object.fromEntries(ops.map((op) => [op, false]));
  const a = new MemoryServer({ features: lacking(c.lacks?.a) });
  const b = new MemoryServer({ firstUidValidity: 5000n, features: lacking(c.lacks?.b) });
  fill(a, c.a);
  fill(b, c.b);
  for (const [server, uidNext] of [[a, c.uidNext?.a], [b, c.uidNext?.b]] as const) {
    if (uidNext !== undefined) server.folder(FOLDER).uidNext = Math.max(server.folder(FOLDER).uidNext, uidNext);
  }
  const specs = { a: memorySpec(a, 'a'), b: memorySpec(b, 'b') };
  const statePath = join(tempDir('replimap-table-'), 'state');
  const state = await SyncState.open(statePath, { storeA: specs.a.displayUrl, storeB: specs.b.displayUrl });
  state.apply({ op: 'folder', nameA: FOLDER, nameB: FOLDER });
  for (const record of parseState(c.state)) state.apply({ op: 'put', nameA: FOLDER, nameB: FOLDER, record });
  for (const side of ['a', 'b'] as const) {
    const override = c.status?.[side];
    if (override === undefined) continue;
    const f = (side === 'a' ? a : b).folder(FOLDER);
    const now: SideStatus = { uidValidity: f.uidValidity, uidNext: f.uidNext, highestModseq: f.highestModseq, messages: f.messages.size };
    state.apply({ op: 'status', nameA: FOLDER, nameB: FOLDER, side, status: { ...now, ...override } });
  }
  state.setMode(c.lastMode ?? 'two-way');
  await state.commit();
  await state.close();
  return { a, b, specs, statePath };
}

/** One two-way run (the case's options on top). */
export function runOnce(world: TableWorld, options: Partial<SyncOptions> = {}): Promise<EngineRun> {
  return syncSpecs(world.specs.a, world.specs.b, world.statePath, { mode: 'two-way', connections: 1, ...options });
}

/** A, B and the state's records as the table writes them. */
export async function observe(world: TableWorld): Promise<{ a: string; b: string; state: string }> {
  const state = await SyncState.open(world.statePath, { storeA: world.specs.a.displayUrl, storeB: world.specs.b.displayUrl }, { readOnly: true });
  try {
    return { a: readBox(world.a), b: readBox(world.b), state: showState(state.folder(FOLDER, FOLDER)?.records() ?? []) };
  } finally {
    await state.close();
  }
}

/** A table row with what its run must also say or report. */
export interface CheckedCase extends TableCase {
  check?: (run: EngineRun) => void;
}

/** One row: after one run A, B and the state are as expected; a second run changes nothing (nor renumbers anything). */
export async function expectRowHolds(row: CheckedCase): Promise<void> {
  const world = await setUp(row);
  const run = await runOnce(world, row.options);
  expect(run.failures).toEqual([]);
  expect(await observe(world)).toEqual({ a: box(row.expect.a), b: box(row.expect.b), state: records(row.expect.state) });
  row.check?.(run);
  const settled = await observe(world);
  const again = await runOnce(world, row.options);
  expect(await observe(world)).toEqual(settled);
  expect([again.failures, again.summary.copied, again.summary.flagsUpdated, again.summary.expunged, again.summary.reassigned]).toEqual([[], 0, 0, 0, []]);
}
