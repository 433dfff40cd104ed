// Server-side moves and copies in the account's plan (pure). A message one
// side must receive in folder Y that the same side already holds, under the
// same global id and size, in another folder X read in this run is moved
// there (X's plan deletes it) or copied there (X keeps it) by that side's
// server, instead of its body being sent again. A move stays a move: its
// deletion from X leaves X's plan (the move does it). Without MOVE a copy
// replaces the append and X's deletion waits for it as before; without COPY,
// with no source, or a size that differs (another version under the same id)
// the append stays. Sizes the reads did not give are asked for (needSizes),
// and the account is planned again with the answers.
//
// Sources are the messages of the pairs read in this run (their deletions and
// their records), then, for copies these leave without any source, the
// records of pairs skipped as unchanged (`unchanged`: the engine loads from
// the state just those global ids' records, when the first plan asks for them
// in needSources). Such a source is only ever copied, never moved (an
// unchanged folder deletes nothing); its record says what the UID held at the
// last sync, the folder's unchanged status that it still does, and its size
// question (which checks the UID's global id) gives its size and flags now.

import type { MessageRecord } from '../state/types.js';
import type { FolderStatus, StoreFeatures } from '../store/types.js';
import type { CopyEnvelopes } from './copyEnvelopes.js';
import type { FolderPairJob, PlannedWork, SyncMode } from './types.js';
import type { CopyAction, ExpungeAction, FolderPlan, TransferAction, TransferFolder } from './planTypes.js';
import { mayWrite, sideLabel, uidOn, type Side } from './side.js';

/** What of a pair's plan transfers read and rewrite (PairPlan has it). */
export interface TransferPair {
  reading: {
    job: FolderPairJob;
    envelopes: { a: CopyEnvelopes; b: CopyEnvelopes };
    reads: { a: { status: FolderStatus }; b: { status: FolderStatus } };
  };
  plan: FolderPlan;
  work: PlannedWork;
}

/** The optional operations each side's store has (planner input). */
export type TransferFeatures = Record<Side, Pick<StoreFeatures, 'copy' | 'move'>>;

/** Sizes the account's planner asks for: messages of one side of a pair whose size the reads did not give. */
export interface SizeQuestion {
  label: string;
  side: Side;
  /** The folder's name on `side`, and its UIDVALIDITY as read (or recorded, for an unchanged pair). */
  name: string;
  uidValidity: bigint;
  uids: number[];
  /**
   * The global id the state records at each of `uids` (same order): a UID
   * read holding another message (a restore plus new mail reused it) gets no
   * answer, so that message is never copied in the source's place.
   */
  gids: string[];
}

/**
 * What a size question read of a source: its size, and its flags on the server
 * now (a kept message's record holds the merge base, which in copy mode lacks
 * B's own flags: a copy must not carry them along unseen).
 */
export interface SourceRead {
  size: number;
  flags: readonly string[];
}

/** Answers to SizeQuestions, by sizeKey; a message missing could not be read, or holds another message (its append stays). */
export type KnownSizes = ReadonlyMap<string, SourceRead>;

/** A known UID a size question found holding another message than the state records there (see reusedFound.ts). */
export interface FoundReused {
  label: string;
  side: Side;
  uid: number;
}

export function sizeKey(label: string, side: Side, uid: number): string {
  return `${label}\u0000${side}\u0000${uid}`;
}

/** A pair skipped as unchanged, with its records of the global ids asked for (needSources). */
export interface UnchangedPair {
  label: string;
  nameA: string;
  nameB: string;
  /** Each side's UIDVALIDITY and UIDNEXT as recorded (and listed: the pair is unchanged). */
  status: Record<Side, { uidValidity: bigint; uidNext: number }>;
  records: readonly MessageRecord[];
}

export interface TransferInput {
  mode: SyncMode;
  features: TransferFeatures;
  /** Absent on the first plan; given, nothing more is asked. */
  sizes?: KnownSizes;
  /** Unchanged pairs' records asked for by needSources; given (even empty), nothing more is asked. */
  unchanged?: readonly UnchangedPair[];
  /** With `sizes`: the known UIDs the questions found holding another message. */
  reused?: readonly FoundReused[];
}

export interface TransferPlan<P extends TransferPair> {
  pairs: P[];
  transfers: TransferAction[];
  /** Without `sizes`: what to read before the final plan (absent when nothing). */
  needSizes?: SizeQuestion[];
  /**
   * Without `unchanged`: by side, the global ids of copies that no read pair
   * can be a source of (absent when none): the unchanged pairs' records of
   * them are wanted, and the account planned again with them.
   */
  needSources?: Record<Side, string[]>;
}

/** A message on `side` that may be moved or copied elsewhere on that side. */
interface Source {
  side: Side;
  /** Its folder on `side`. */
  folder: TransferFolder;
  /** The index of its pair in the plans; undefined for an unchanged pair (a copy's source only). */
  pair?: number;
  uid: number;
  record: MessageRecord;
  /** Its flags on the server now (before any of this run's flag changes). */
  flags: readonly string[];
  size: number | undefined;
  /** The pair's plan deletes it (a move), or keeps it (a copy). */
  expunge?: ExpungeAction;
}

export function planTransfers<P extends TransferPair>(pairs: readonly P[], input: TransferInput): TransferPlan<P> {
  const wanted = wantedGids(pairs, input);
  if (wanted.a.size + wanted.b.size === 0) return { pairs: [...pairs], transfers: [] };
  const sources = { a: sourcesOn(pairs, 'a', wanted.a, input.unchanged), b: sourcesOn(pairs, 'b', wanted.b, input.unchanged) };
  const unsourced = { a: new Set<string>(), b: new Set<string>() };
  // By source, the target pairs it serves: a deletion serves one (it moves), a kept message one copy per folder.
  const used = new Map<Source, Set<number>>();
  const questions = new Map<string, SizeQuestion>();
  const transfers: TransferAction[] = [];
  const replaced = new Set<CopyAction>();
  const movedOut = new Set<ExpungeAction>();
  pairs.forEach((p, index) => {
    for (const copy of p.plan.appends) {
      // Message-ID-less twins share id and size: only a Message-ID tells the source is this message.
      // A copy replacing a stand-in (--placeholders) names the stand-in's records: an append.
      if (!wanted[copy.to].has(copy.gid) || copy.byMessageId !== true || copy.standIn !== undefined) continue;
      const size = p.reading.envelopes[copy.from].get(copy.uid)?.size;
      if (size === undefined) continue; // no envelope: the append path settles it
      const candidates = sources[copy.to].get(copy.gid) ?? [];
      // No other read folder holds it: an unchanged one may (asked for once, copies only).
      if (!candidates.some((s) => s.pair !== index) && input.features[copy.to].copy) unsourced[copy.to].add(copy.gid);
      const picked = pickSource(input, candidates, index, size, used, questions);
      if (picked === undefined) continue;
      used.set(picked.candidate, (used.get(picked.candidate) ?? new Set()).add(index));
      const source = picked.candidate.flags === picked.flags ? picked.candidate : { ...picked.candidate, flags: picked.flags };
      const transfer = transferOf(pairs, index, copy, source, size, input.features[copy.to]);
      transfers.push(transfer);
      replaced.add(copy);
      if (transfer.kind === 'move') movedOut.add(source.expunge!);
    }
  });
  const needSizes = questions.size > 0 ? [...questions.values()] : undefined;
  const needSources = input.unchanged === undefined && unsourced.a.size + unsourced.b.size > 0 ? { a: [...unsourced.a], b: [...unsourced.b] } : undefined;
  return { pairs: pairs.map((p) => withoutTransferred(p, replaced, movedOut)), transfers, ...(needSizes && { needSizes }), ...(needSources && { needSources }) };
}

/** Global ids copied to a side whose store can copy or move, by that side (where the mode lets the run write it). */
function wantedGids(pairs: readonly TransferPair[], input: TransferInput): Record<Side, Set<string>> {
  const out = { a: new Set<string>(), b: new Set<string>() };
  for (const p of pairs) {
    for (const copy of p.plan.appends) {
      const can = input.features[copy.to];
      if ((can.copy || can.move) && mayWrite(input.mode, copy.to)) out[copy.to].add(copy.gid);
    }
  }
  return out;
}

/**
 * Every message on `side` of a wanted global id: the plans' deletions first
 * (moves), then their records (copies), then the unchanged pairs' records.
 */
function sourcesOn(pairs: readonly TransferPair[], side: Side, gids: ReadonlySet<string>, unchanged: readonly UnchangedPair[] = []): Map<string, Source[]> {
  const out = new Map<string, Source[]>();
  const add = (gid: string, source: Source): void => {
    const list = out.get(gid);
    if (list === undefined) out.set(gid, [source]);
    else list.push(source);
  };
  if (gids.size === 0) return out;
  pairs.forEach((p, pair) => {
    const folder = folderOf(p, side);
    for (const e of p.plan.expunges) {
      // A stand-in (--placeholders) is not the message its record's gid names.
      if (e.side === side && e.record.standIn !== side && gids.has(e.record.gid)) add(e.record.gid, { side, folder, pair, uid: e.uid, record: e.record, flags: e.flags, size: e.size, expunge: e });
    }
  });
  pairs.forEach((p, pair) => {
    const folder = folderOf(p, side);
    const changes = new Map(p.plan.flagChanges.filter((c) => c.side === side).map((c) => [c.uid, c]));
    for (const r of p.plan.records) {
      const uid = uidOn(r, side);
      if (uid === 0 || r.standIn === side || !gids.has(r.gid)) continue;
      // The record's flags are those once its pair's flag changes are done; the transfers come before them.
      const change = changes.get(uid);
      const flags = change === undefined ? r.flags : [...r.flags.filter((f) => !change.add.includes(f)), ...change.remove];
      add(r.gid, { side, folder, pair, uid, record: r, flags, size: undefined });
    }
  });
  for (const p of unchanged) {
    const folder = { label: p.label, nameA: p.nameA, nameB: p.nameB, ...p.status[side] };
    for (const r of p.records) {
      const uid = uidOn(r, side);
      // Flags and size come with the size question's answer (which also checks the UID still holds it).
      if (uid !== 0 && r.standIn !== side && gids.has(r.gid)) add(r.gid, { side, folder, uid, record: r, flags: r.flags, size: undefined });
    }
  }
  return out;
}

/**
 * The first source in another pair not used yet (a kept message: not for this
 * target, as one copy command names a source UID once) whose size is the copy's, a deletion
 * (move) before a kept message (copy) where the store can do it. A size not
 * known is asked for (first plan) or the source passed over (final plan);
 * with the answer come the source's flags on the server now.
 */
function pickSource(
  input: TransferInput,
  candidates: readonly Source[],
  target: number,
  size: number,
  used: ReadonlyMap<Source, ReadonlySet<number>>,
  questions: Map<string, SizeQuestion>,
): { candidate: Source; flags: readonly string[] } | undefined {
  for (const s of candidates) {
    if (s.pair === target || (s.expunge === undefined ? used.get(s)?.has(target) : used.has(s))) continue;
    const { side } = s;
    const can = input.features[side];
    if (s.expunge === undefined ? !can.copy : !can.move && !can.copy) continue;
    const read = s.size === undefined ? input.sizes?.get(sizeKey(s.folder.label, side, s.uid)) : undefined;
    const known = s.size ?? read?.size;
    if (known === undefined) {
      if (input.sizes === undefined) ask(questions, s, side);
      continue;
    }
    // A kept message's flags as the size question read them (its record's are the merge base).
    if (known === size) return { candidate: s, flags: read?.flags ?? s.flags };
  }
  return undefined;
}

function ask(questions: Map<string, SizeQuestion>, { folder, uid, record }: Source, side: Side): void {
  const key = `${folder.label}\u0000${side}`;
  const q = questions.get(key);
  const name = side === 'a' ? folder.nameA : folder.nameB;
  if (q === undefined) questions.set(key, { label: folder.label, side, name, uidValidity: folder.uidValidity, uids: [uid], gids: [record.gid] });
  else if (!q.uids.includes(uid)) {
    q.uids.push(uid);
    q.gids.push(record.gid);
  }
}

function transferOf(
  pairs: readonly TransferPair[],
  target: number,
  copy: CopyAction,
  source: Source,
  size: number,
  can: Pick<StoreFeatures, 'copy' | 'move'>,
): TransferAction {
  const side = copy.to;
  const kind = source.expunge !== undefined && can.move ? 'move' : 'copy';
  const from = source.folder;
  const wanted = new Set(copy.flags);
  const has = new Set(source.flags);
  const flagDelta = { add: copy.flags.filter((f) => !has.has(f)), remove: source.flags.filter((f) => !wanted.has(f)) };
  const how = kind === 'move'
    ? `moved on ${sideLabel(side)} from ${from.label} (UID ${source.uid}), which loses it`
    : `copied on ${sideLabel(side)} from ${from.label} (UID ${source.uid})${source.expunge ? ', deleted there once the copy is confirmed (no MOVE)' : ', which keeps it'}${source.pair === undefined ? ' (unchanged since the last run: not read)' : ''}`;
  return {
    side, kind, source: { ...from, uid: source.uid, record: source.record }, target: folderOf(pairs[target]!, side),
    copy, flagDelta, size, why: `${copy.why}; ${how}: its body is not sent again`,
  };
}

function folderOf(pair: TransferPair, side: Side): TransferFolder {
  const { job, reads } = pair.reading;
  return { label: job.label, nameA: job.nameA, nameB: job.nameB, uidValidity: reads[side].status.uidValidity, uidNext: reads[side].status.uidNext };
}

/** A pair's plan without the copies transfers replace and the deletions moves do, its work to match. */
function withoutTransferred<P extends TransferPair>(pair: P, replaced: ReadonlySet<CopyAction>, movedOut: ReadonlySet<ExpungeAction>): P {
  const appends = pair.plan.appends.filter((a) => !replaced.has(a));
  const expunges = pair.plan.expunges.filter((e) => !movedOut.has(e));
  if (appends.length === pair.plan.appends.length && expunges.length === pair.plan.expunges.length) return pair;
  const gone = pair.plan.appends.filter((a) => replaced.has(a));
  const goneBytes = gone.reduce((sum, a) => sum + (pair.reading.envelopes[a.from].get(a.uid)?.size ?? a.size), 0);
  return {
    ...pair,
    plan: { ...pair.plan, appends, expunges },
    work: { ...pair.work, appends: appends.length, appendBytes: pair.work.appendBytes - goneBytes, expunges: expunges.length },
  };
}

