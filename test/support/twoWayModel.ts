// The model a two-way property test holds the engine to. Before each run it
// reads both memory servers and the state file (the merge base: what the
// state proves was synced) and says, for every message of every folder,
// what the run must leave of it; after the run it checks.
//
// A message is a body digest in a folder. The histories keep a digest at most
// once per folder and side (an append or copy of bytes the side already holds
// there is skipped), so on each side a digest names one message and one UID,
// and "nothing twice" is a count of at most one.
//
// The fate of a message the run starts with (issue 8, §1):
// - on both sides: `keep` (on both after a finished run), flags merged against
//   the base when one record pairs exactly these two UIDs (deltas, an add
//   beats a remove), else the union (no base);
// - on one side `s` only, `o` lacking it: `gone` (expunged from s, the
//   deletion propagates) when a record proves the copy on s was synced to o,
//   and o's UIDs are still the state's (same UIDVALIDITY) and o did not go
//   back in time in that folder (counters under the recorded ones, a known
//   UID at or past UIDNEXT, or holding another global id); `keep` (copied to
//   o) otherwise: new on s, never on o, o's UIDs voided, or o went back in time
//   (what it lost comes back); `either` where the state cannot prove either
//   (o's UIDVALIDITY changed with no status recorded to say so, or s itself
//   went back in time: a deletion of o's may wait a run);
// - on neither side: not in the map: nothing comes from nowhere.
// Resurrection, precisely: a message whose fate is `gone` is on some side
// after a finished run. Loss: one whose fate is `keep` is on no side after any
// run (killed ones too), or not on both after a finished one.

import { expect } from 'vitest';
import { SyncState } from '../../src/state/SyncState.js';
import type { MessageRecord, SideStatus } from '../../src/state/types.js';
import type { MemoryServer } from '../../src/store/memory/MemoryServer.js';
import { envelopeOf } from '../../src/store/memory/readMemoryFolder.js';
import { globalId } from '../../src/sync/identity.js';
import { digest } from './storeConformance.js';

export type Side = 'a' | 'b';
const SIDES: readonly Side[] = ['a', 'b'];
const otherSide = (side: Side): Side => (side === 'a' ? 'b' : 'a');

/** One message of a folder on one side. */
export interface ModelMessage {
  uid: number;
  gid: string;
  flags: string[];
}

/** A folder of one side by body digest (a second copy of a digest is reported as `twice`). */
export interface FolderContent {
  byDigest: Map<string, ModelMessage>;
  twice: string[];
}

export type Servers = Record<Side, MemoryServer>;

/** Contents by folder object and counters: every change of a memory folder moves a counter or (restore) the object. */
const contents = new WeakMap<object, { counters: string; content: FolderContent }>();

export function folderContent(server: MemoryServer, folder: string): FolderContent {
  if (!server.hasFolder(folder)) return { byDigest: new Map(), twice: [] };
  const f = server.folder(folder);
  const counters = `${f.uidValidity} ${f.uidNext} ${f.highestModseq} ${f.messages.size}`;
  const cached = contents.get(f);
  if (cached?.counters === counters) return cached.content;
  const content: FolderContent = { byDigest: new Map(), twice: [] };
  for (const m of server.messages(folder)) {
    const d = digest(m.body).slice(0, 12);
    if (content.byDigest.has(d)) content.twice.push(d);
    const e = envelopeOf(m);
    content.byDigest.set(d, { uid: m.uid, gid: globalId(e.identityHeaders, e.size), flags: [...m.flags].sort() });
  }
  contents.set(f, { counters, content });
  return content;
}

/** The state as the model reads it: per folder (same name on both sides), statuses and records. */
export interface StateFolder {
  status: Record<Side, SideStatus | undefined>;
  records: readonly MessageRecord[];
  /** Copies an earlier (killed) run may have made into this pair, their result unknown. */
  unresolvedIntents: number;
  /** The state was last committed by a two-way run (else its records may hold mail never synced both ways). */
  twoWay: boolean;
}

export type StateView = Map<string, StateFolder>;

export async function readStateView(statePath: string, identity: { storeA: string; storeB: string }): Promise<StateView> {
  const state = await SyncState.open(statePath, identity, { readOnly: true });
  try {
    const view: StateView = new Map();
    const intents = state.unresolvedIntents();
    for (const { nameA, nameB } of state.folderKeys()) {
      const folder = state.folder(nameA, nameB);
      if (!folder || nameA !== nameB) continue;
      const records = folder.records(); // before the statuses: a damaged section drops them
      const unresolvedIntents = intents.filter((i) => i.nameA === nameA).length;
      view.set(nameA, { status: { a: folder.statusA, b: folder.statusB }, records, unresolvedIntents, twoWay: state.lastMode === 'two-way' });
    }
    return view;
  } finally {
    await state.close();
  }
}

/** What a run must leave of one message (see the file comment). */
export interface Expectation {
  fate: 'keep' | 'gone' | 'either';
  /** Its flags on both sides when it stays; undefined when the model does not predict them. */
  flags?: string[];
  why: string;
}

/** What a run must leave of a folder: keep, on both sides after a finished run; gone, on neither; or either. */
interface FolderFate {
  fate: 'keep' | 'gone' | 'either';
  why: string;
}

/** A folder's fate, and each of its messages' by body digest. */
export interface FolderExpectation extends FolderFate {
  messages: Map<string, Expectation>;
}

export type Expectations = Map<string, FolderExpectation>;

/**
 * How far a side's UIDs in a folder's records can be trusted: `trusted`;
 * `voided` (a new UIDVALIDITY the state's status shows); `unknown` (a new
 * UIDVALIDITY with no status recorded: the engine cannot tell); `wentBack`
 * (restored from an older copy: counters down); `reused` (the same, seen only
 * in the UIDs: a known UID at or past UIDNEXT or holding another global id);
 * `absent` (no such folder on that side).
 */
type Trust = 'trusted' | 'voided' | 'unknown' | 'wentBack' | 'reused' | 'absent';
const wentBack = (trust: Trust): boolean => trust === 'wentBack' || trust === 'reused';

function trustOf(
  server: MemoryServer,
  side: Side,
  folder: string,
  entry: StateFolder | undefined,
  uidValidityAtLastRun: bigint | undefined,
  content: FolderContent,
): Trust {
  if (!server.hasFolder(folder)) return 'absent';
  const now = server.folder(folder);
  const status = entry?.status[side];
  if (status && status.uidValidity !== now.uidValidity) return 'voided';
  if (!status && uidValidityAtLastRun !== undefined && uidValidityAtLastRun !== now.uidValidity) return 'unknown';
  if (status && (now.uidNext < status.uidNext || (status.highestModseq !== undefined && now.highestModseq < status.highestModseq))) return 'wentBack';
  const gidAt = new Map([...content.byDigest.values()].map((m) => [m.uid, m.gid]));
  for (const r of entry?.records ?? []) {
    const uid = side === 'a' ? r.uidA : r.uidB;
    if (uid === 0) continue;
    if (uid >= now.uidNext) return 'reused';
    const gid = gidAt.get(uid);
    if (gid !== undefined && gid !== r.gid) return 'reused';
  }
  return 'trusted';
}

/** The flags two copies with this base end with: deltas against it, an add beats a remove (issue 8). */
export function mergedFlags(base: readonly string[] | undefined, a: readonly string[], b: readonly string[]): string[] {
  if (base === undefined) return [...new Set([...a, ...b])].sort();
  const added = new Set([...a, ...b].filter((f) => !base.includes(f)));
  const removed = base.filter((f) => !added.has(f) && (!a.includes(f) || !b.includes(f)));
  return [...new Set([...base, ...added])].filter((f) => !removed.includes(f)).sort();
}

const uidOf = (r: MessageRecord, side: Side): number => (side === 'a' ? r.uidA : r.uidB);

/** A message on both sides: kept, its flags merged against the record that pairs exactly these UIDs. */
function bothSides(m: Record<Side, ModelMessage>, trust: Record<Side, Trust>, records: readonly MessageRecord[]): Expectation {
  if (trust.a === 'unknown' || trust.b === 'unknown') return { fate: 'keep', why: 'on both sides (base unknown)' };
  const usable = trust.a !== 'voided' && trust.b !== 'voided';
  const record = usable ? records.find((r) => r.uidA === m.a.uid && r.uidB === m.b.uid && r.gid === m.a.gid) : undefined;
  return {
    fate: 'keep',
    flags: mergedFlags(record?.flags === undefined ? undefined : [...record.flags].sort(), m.a.flags, m.b.flags),
    why: record ? 'on both sides, paired' : 'on both sides, no base',
  };
}

/** A message only `s` holds (see the file comment). */
function oneSide(s: Side, m: ModelMessage, trust: Record<Side, Trust>, records: readonly MessageRecord[]): Expectation {
  const o = otherSide(s);
  const keep = (why: string): Expectation => ({ fate: 'keep', flags: m.flags, why });
  if (trust[o] === 'absent') return keep(`${o.toUpperCase()} lacks the folder`);
  if (trust[o] === 'voided' || trust[s] === 'voided') return keep('a new UIDVALIDITY: nothing deleted');
  if (wentBack(trust[o])) return keep(`${o.toUpperCase()} went back in time: it comes back`);
  const proof = records.some((r) => uidOf(r, s) === m.uid && r.gid === m.gid && uidOf(r, o) !== 0);
  if (!proof) return keep(`new on ${s.toUpperCase()} (the state does not prove it was on ${o.toUpperCase()})`);
  if (trust[o] === 'unknown' || trust[s] === 'unknown') return { fate: 'either', flags: m.flags, why: 'UIDVALIDITY changed, no status' };
  if (wentBack(trust[s])) return { fate: 'either', flags: m.flags, why: `${o.toUpperCase()} deleted it, ${s.toUpperCase()} went back` };
  return { fate: 'gone', why: `${o.toUpperCase()} deleted it` };
}

/**
 * A folder only `s` has, that `o` deleted (the state knows the pair): `s`'s
 * copy goes when it holds nothing new since the last run: its four counters
 * as recorded, or its UIDNEXT as recorded and every message in it one the
 * state knows on both sides; nothing unconfirmed or held either way. With
 * only the messages known (UIDNEXT moved: something came and went), either.
 * Otherwise it comes back on `o`, all of it; also when the state was last
 * committed by another mode (a killed first run after a lost state). Unless `o` went back in time in
 * this run (any folder's counters down, which LIST-STATUS shows before any
 * folder is read): what it lost comes back; seen only in a folder's UIDs,
 * either. A pair the state does not know is new.
 */
function folderOnOneSide(s: Side, server: MemoryServer, folder: string, entry: StateFolder | undefined, o: Trust[]): FolderFate {
  const O = otherSide(s).toUpperCase();
  if (!entry) return { fate: 'keep', why: `new on ${s.toUpperCase()}` };
  if (o.includes('wentBack')) return { fate: 'keep', why: `${O} went back in time` };
  if (o.includes('reused')) return { fate: 'either', why: `${O} went back in time (seen in UIDs)` };
  const status = entry.status[s];
  const now = server.folder(folder);
  const settled = entry.twoWay && entry.unresolvedIntents === 0 && entry.records.every((r) => r.held === undefined && (r.status ?? 'synced') === 'synced');
  const sameUidNext = status !== undefined && status.uidValidity === now.uidValidity && status.uidNext === now.uidNext;
  const unchanged = sameUidNext && status.messages === now.messages.size && status.highestModseq === now.highestModseq;
  const known = [...folderContent(server, folder).byDigest.values()]
    .every((m) => entry.records.some((r) => uidOf(r, s) === m.uid && r.gid === m.gid && uidOf(r, otherSide(s)) !== 0));
  if (settled && (unchanged || (known && sameUidNext))) return { fate: 'gone', why: `${O} deleted it, nothing new here` };
  if (settled && known) return { fate: 'either', why: `${O} deleted it, nothing new here, UIDNEXT moved` };
  return { fate: 'keep', why: `${O} deleted it, but it changed` };
}

/** What the next run must leave of every folder and message (see the file comment). */
export function expectations(servers: Servers, state: StateView, uidValidityAtLastRun: Record<Side, Map<string, bigint>>): Expectations {
  const folders = [...new Set([...servers.a.folderNames(), ...servers.b.folderNames()])];
  const facts = folders.map((folder) => {
    const entry = state.get(folder);
    const content = { a: folderContent(servers.a, folder), b: folderContent(servers.b, folder) };
    const trust = {
      a: trustOf(servers.a, 'a', folder, entry, uidValidityAtLastRun.a.get(folder), content.a),
      b: trustOf(servers.b, 'b', folder, entry, uidValidityAtLastRun.b.get(folder), content.b),
    };
    return { folder, entry, content, trust };
  });
  const trusts = (side: Side): Trust[] => facts.map((f) => f.trust[side]);
  const out: Expectations = new Map();
  for (const { folder, entry, content, trust } of facts) {
    const records = entry?.records ?? [];
    const messages = new Map<string, Expectation>();
    for (const d of new Set([...content.a.byDigest.keys(), ...content.b.byDigest.keys()])) {
      const a = content.a.byDigest.get(d);
      const b = content.b.byDigest.get(d);
      messages.set(d, a && b ? bothSides({ a, b }, trust, records) : a ? oneSide('a', a, trust, records) : oneSide('b', b!, trust, records));
    }
    const only = trust.a === 'absent' ? 'b' : trust.b === 'absent' ? 'a' : undefined;
    const fate: FolderFate = only === undefined ? { fate: 'keep', why: 'on both sides' } : folderOnOneSide(only, servers[only], folder, entry, trusts(otherSide(only)));
    if (fate.fate !== 'keep') for (const [d, e] of messages) messages.set(d, { ...e, fate: fate.fate, why: `${e.why}; ${fate.why}` });
    out.set(folder, { ...fate, messages });
  }
  return out;
}

/** Checks for any run, killed or not: nothing twice, nothing from nowhere, nothing kept lost from both sides. */
export function checkAnyRun(servers: Servers, expected: Expectations, where: string): void {
  const folders = new Set([...servers.a.folderNames(), ...servers.b.folderNames(), ...expected.keys()]);
  for (const folder of folders) {
    const content = { a: folderContent(servers.a, folder), b: folderContent(servers.b, folder) };
    const wanted = expected.get(folder)?.messages ?? new Map<string, Expectation>();
    for (const side of SIDES) {
      expect(content[side].twice, `${where}: ${folder} on ${side.toUpperCase()} twice`).toEqual([]);
      for (const d of content[side].byDigest.keys()) expect(wanted.has(d), `${where}: ${folder} ${d} on ${side.toUpperCase()} from nowhere`).toBe(true);
    }
    for (const [d, e] of wanted) {
      if (e.fate !== 'keep') continue;
      const somewhere = content.a.byDigest.has(d) || content.b.byDigest.has(d);
      expect(somewhere, `${where}: ${folder} ${d} lost (${e.why})`).toBe(true);
    }
  }
}

/** What a finished run reported it left undone on purpose (the guards): message deletions by folder, folder losses. */
export interface Withheld {
  messages: ReadonlySet<string>;
  folders: boolean;
}

/**
 * Checks for a finished run: both sides hold the same folders, as the model
 * says, and in each folder the same (digest, flags); every `keep` on both
 * sides with the predicted flags, no `gone` anywhere. What the guards
 * withheld is left out (a folder whose deletion was withheld stays on one side).
 */
export function checkFinishedRun(servers: Servers, expected: Expectations, withheld: Withheld, where: string): void {
  const oneSided = [...expected].filter(([f]) => servers.a.hasFolder(f) !== servers.b.hasFolder(f)).map(([f]) => f);
  if (!withheld.folders) expect(oneSided, `${where}: folders on one side only`).toEqual([]);
  for (const [folder, { fate, why, messages }] of expected) {
    if (withheld.messages.has(folder) || oneSided.includes(folder)) continue;
    if (fate !== 'either') expect(servers.a.hasFolder(folder), `${where}: folder ${folder} (${why})`).toBe(fate === 'keep');
    const content = { a: folderContent(servers.a, folder), b: folderContent(servers.b, folder) };
    const lines = (c: FolderContent): string[] => [...c.byDigest].map(([d, m]) => `${d} ${m.flags.join(',')}`).sort();
    expect(lines(content.b), `${where}: ${folder} differs between A and B`).toEqual(lines(content.a));
    for (const [d, e] of messages) {
      const on = content.a.byDigest.get(d);
      if (e.fate === 'gone') expect(on, `${where}: ${folder} ${d} resurrected (${e.why})`).toBeUndefined();
      if (e.fate === 'keep') expect(on, `${where}: ${folder} ${d} lost (${e.why})`).toBeDefined();
      if (on && e.flags) expect(on.flags, `${where}: ${folder} ${d} flags (${e.why})`).toEqual(e.flags);
    }
  }
}
