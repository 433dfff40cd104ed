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
// their records): a pair skipped as unchanged is not loaded, so what it
// holds is no source (a later improvement could load its records).

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

export interface TransferInput {
  mode: SyncMode;
  features: TransferFeatures;
  /** Absent on the first plan; given, nothing more is asked. */
  sizes?: KnownSizes;
  /** With `sizes`: the known UIDs the questions found holding another message. */
  reused?: readonly FoundReused[];
}

export interface TransferPlan<P extends TransferPair> {
  pairs: P[];
  transfers: TransferAction[];
  /** Without `sizes`: what to read before the final plan (absent when nothing). */
  needSizes?: SizeQuestion[];
}

/** A message on `side` that may be moved or copied elsewhere on that side. */
interface Source {
  side: Side;
  pair: number;
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
  const sources = { a: sourcesOn(pairs, 'a', wanted.a), b: sourcesOn(pairs, 'b', wanted.b) };
  const used = new Set<Source>();
  const questions = new Map<string, SizeQuestion>();
  const transfers: TransferAction[] = [];
  const replaced = new Set<CopyAction>();
  const movedOut = new Set<ExpungeAction>();
  pairs.forEach((p, index) => {
    for (const copy of p.plan.appends) {
      // Message-ID-less twins share id and size: only a Message-ID tells the source is this message.
      if (!wanted[copy.to].has(copy.gid) || copy.byMessageId !== true) continue;
      const size = p.reading.envelopes[copy.from].get(copy.uid)?.size;
      if (size === undefined) continue; // no envelope: the append path settles it
      const picked = pickSource(pairs, input, sources[copy.to].get(copy.gid) ?? [], index, size, used, questions);
      if (picked === undefined) continue;
      used.add(picked.candidate);
      const source = picked.candidate.flags === picked.flags ? picked.candidate : { ...picked.candidate, flags: picked.flags };
      const transfer = transferOf(pairs, index, copy, source, size, input.features[copy.to]);
      transfers.push(transfer);
      replaced.add(copy);
      if (transfer.kind === 'move') movedOut.add(source.expunge!);
    }
  });
  const needSizes = questions.size > 0 ? [...questions.values()] : undefined;
  return { pairs: pairs.map((p) => withoutTransferred(p, replaced, movedOut)), transfers, ...(needSizes && { needSizes }) };
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

/** Every message on `side` of a wanted global id: the plans' deletions first (moves), then their records (copies). */
function sourcesOn(pairs: readonly TransferPair[], side: Side, gids: ReadonlySet<string>): Map<string, Source[]> {
  const out = new Map<string, Source[]>();
  const add = (gid: string, source: Source): void => {
    const list = out.get(gid);
    if (list === undefined) out.set(gid, [source]);
    else list.push(source);
  };
  if (gids.size === 0) return out;
  pairs.forEach((p, pair) => {
    for (const e of p.plan.expunges) {
      if (e.side === side && gids.has(e.record.gid)) add(e.record.gid, { side, pair, uid: e.uid, record: e.record, flags: e.flags, size: e.size, expunge: e });
    }
  });
  pairs.forEach((p, pair) => {
    const changes = new Map(p.plan.flagChanges.filter((c) => c.side === side).map((c) => [c.uid, c]));
    for (const r of p.plan.records) {
      const uid = uidOn(r, side);
      if (uid === 0 || !gids.has(r.gid)) continue;
      // The record's flags are those once its pair's flag changes are done; the transfers come before them.
      const change = changes.get(uid);
      const flags = change === undefined ? r.flags : [...r.flags.filter((f) => !change.add.includes(f)), ...change.remove];
      add(r.gid, { side, pair, uid, record: r, flags, size: undefined });
    }
  });
  return out;
}

/**
 * The first unused source in another pair whose size is the copy's, a deletion
 * (move) before a kept message (copy) where the store can do it. A size not
 * known is asked for (first plan) or the source passed over (final plan);
 * with the answer come the source's flags on the server now.
 */
function pickSource(
  pairs: readonly TransferPair[],
  input: TransferInput,
  candidates: readonly Source[],
  target: number,
  size: number,
  used: ReadonlySet<Source>,
  questions: Map<string, SizeQuestion>,
): { candidate: Source; flags: readonly string[] } | undefined {
  for (const s of candidates) {
    if (s.pair === target || used.has(s)) continue;
    const { side } = s;
    const can = input.features[side];
    if (s.expunge === undefined ? !can.copy : !can.move && !can.copy) continue;
    const read = s.size === undefined ? input.sizes?.get(sizeKey(pairs[s.pair]!.reading.job.label, side, s.uid)) : undefined;
    const known = s.size ?? read?.size;
    if (known === undefined) {
      if (input.sizes === undefined) ask(questions, pairs[s.pair]!.reading.job.label, side, s.uid, s.record.gid);
      continue;
    }
    // A kept message's flags as the size question read them (its record's are the merge base).
    if (known === size) return { candidate: s, flags: read?.flags ?? s.flags };
  }
  return undefined;
}

function ask(questions: Map<string, SizeQuestion>, label: string, side: Side, uid: number, gid: string): void {
  const key = `${label}\u0000${side}`;
  const q = questions.get(key);
  if (q === undefined) questions.set(key, { label, side, uids: [uid], gids: [gid] });
  else if (!q.uids.includes(uid)) {
    q.uids.push(uid);
    q.gids.push(gid);
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
  const from = folderOf(pairs[source.pair]!, side);
  const wanted = new Set(copy.flags);
  const has = new Set(source.flags);
  const flagDelta = { add: copy.flags.filter((f) => !has.has(f)), remove: source.flags.filter((f) => !wanted.has(f)) };
  const how = kind === 'move'
    ? `moved on ${sideLabel(side)} from ${from.label} (UID ${source.uid}), which loses it`
    : `copied on ${sideLabel(side)} from ${from.label} (UID ${source.uid})${source.expunge ? ', deleted there once the copy is confirmed (no MOVE)' : ', which keeps it'}`;
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

