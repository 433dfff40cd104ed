// The read phase of one folder pair: read both sides (incrementally where the
// state allows, in full where a side went back in time), void the UIDs of a
// side with a new UIDVALIDITY, build the snapshots, and read what the planner
// asks to know before it can decide (sizes, then body digests, of messages
// sharing a global id; envelopes of known messages to copy again). The result
// is everything the pure planner needs (planAccount.ts), envelopes and never
// bodies; what the executor needs of the reads is kept, the rest dropped.

import type { MessageRecord, SideStatus } from '../state/types.js';
import type { FolderState, SyncState } from '../state/SyncState.js';
import type { FolderRead, FolderStatus, MessageEnvelope, ReadBase, Store } from '../store/types.js';
import { fetchDigests, withSizes } from './bodyDigests.js';
import { CompactEnvelopes, type CopyEnvelopes } from './copyEnvelopes.js';
import type { ReadOutcome } from './executor.js';
import { readHeldBack } from './heldBack.js';
import { identityOf } from './identity.js';
import { withIdentities } from './identityQuestions.js';
import { planGuarded } from './mirrorGuard.js';
import type { FolderPlan, FolderPlanInput, HeldWithoutUid, ReassignHow, SideSnapshot } from './planTypes.js';
import { anotherMailbox, withListedMailboxId, withListedSize } from './folderStatus.js';
import { rollbackEvidence } from './rollback.js';
import { mayWrite, SIDES } from './side.js';
import { buildSnapshot, heldDroppedByVoiding, voidSide } from './snapshot.js';
import type { FolderPairJob, SyncObserver, SyncOptions } from './types.js';

export interface PairReadContext {
  state: SyncState;
  options: SyncOptions;
  observer: SyncObserver;
  /**
   * The state's global ids were computed by another identity rule (the reads
   * then verify every message): records take the ids computed now.
   */
  rekey?: boolean;
}


/** The guard's view of a folder (planGuarded's second argument). */
export type GuardInput = Parameters<typeof planGuarded>[1];

export interface PairReading {
  job: FolderPairJob;
  /** The records the plan is made from (after voiding a new UIDVALIDITY, or taking the ids of a new identity rule). */
  records: readonly MessageRecord[];
  /**
   * The records as the state holds them: the read phase writes nothing of
   * them; the act phase records the plan's result against these, in one step
   * with the held marks a voided side's records hand on (so no stop between
   * the phases leaves a voided section without them).
   */
  recordsInState: readonly MessageRecord[];
  /** The planner's input, complete (sizes and digests it asked for included). */
  input: Omit<FolderPlanInput, 'allowExpunge' | 'expungeHeld'>;
  guard: GuardInput;
  reads: { a: ReadOutcome; b: ReadOutcome };
  /** Envelopes of the messages the plan copies, by source side (INTERNALDATE, size); a copy without one is settled as unreturned. */
  envelopes: { a: CopyEnvelopes; b: CopyEnvelopes };
  /** Sides found restored from an older backup. */
  rollbacks: ('a' | 'b')[];
  /** Why some digests the planner asked for could not be read, per side. */
  digestErrors: string[];
}

export async function readFolderPair(ctx: PairReadContext, job: FolderPairJob, stores: { a: Store; b: Store }): Promise<PairReading> {
  const { state, options } = ctx;
  const { nameA, nameB, label } = job;
  if (!state.folder(nameA, nameB)) state.apply({ op: 'folder', nameA, nameB });
  const folder = state.folder(nameA, nameB)!;
  // Before the statuses are used: a damaged section is discarded here, statuses too, so both sides are read in full.
  const recordsBefore = folder.records();

  const { reads, rollbacks } = await readBothSides(ctx, job, stores, folder, recordsBefore);
  const voided = voidNewUidValidities(ctx, job, folder, reads, recordsBefore);
  const read = { a: snapshotOf(voided.records, 'a', reads.a), b: snapshotOf(voided.records, 'b', reads.b) };
  const records = ctx.rekey ? rekeyed(voided.records, read) : voided.records;
  const { heldBack, standInFor, snapshots } = await readHeldBack(options, job, stores, records, read);
  const input: PairReading['input'] = {
    mode: options.mode, records, a: snapshots.a, b: snapshots.b,
    ...((heldBack.a !== undefined || heldBack.b !== undefined) && { heldBack }),
    ...(standInFor !== undefined && { standInFor }),
    accepts: { a: reads.a.permanentFlags, b: reads.b.permanentFlags }, wentBack: rollbacks,
    reassignWith: { ...reassignHow('a', stores.a), ...reassignHow('b', stores.b) },
    unidentified: { a: reads.a.unidentified, b: reads.b.unidentified },
    ...(voided.heldWithoutUid.length > 0 && { heldWithoutUid: voided.heldWithoutUid }),
    // Its records were lost with a damaged section, or B's held records lost their UIDs while the ids
    // change rule (their ids cannot be recomputed): what is only on B may be what A lost, kept (held).
    ...(options.mode === 'mirror' && (folder.discarded || (ctx.rekey && voided.heldWithoutUid.some((h) => h.side === 'b'))) && {
      holdUnpaired: ['b'] as const,
    }),
  };
  const aWentBack = rollbacks.includes('a') && options.mode === 'mirror';
  const guard: GuardInput = {
    folder: label, force: options.force,
    // The causes a folder's history tells are of B holding what A lacks (mirror).
    ...(options.mode === 'mirror' && { cause: withholdingCause(job, records, voided.sides.includes('a')) }),
    // What A lost in a rollback is not A deleting it: none of it is deleted in this run (mirror; two-way
    // copies back what a side lost, and deletes only what the other side expunged, see planFolder).
    ...(aWentBack && { withholdAll: 'A went back in time (restored from an older backup?) and may have lost them' }),
    ...(!aWentBack && job.withholdAll !== undefined && { withholdAll: job.withholdAll, ...(job.accountLoss && { accountLoss: job.accountLoss }) }),
  };
  const envelopes = { a: envelopesOf(reads.a), b: envelopesOf(reads.b) };
  const answered = await answerPlannerQuestions(ctx, label, stores, input, guard, envelopes);
  return {
    job, records, recordsInState: recordsBefore, input: answered.input, guard, reads: { a: outcomeOf(reads.a), b: outcomeOf(reads.b) },
    envelopes: answered.envelopes, rollbacks, digestErrors: answered.digestErrors,
  };
}

/** How a side's store can give a message a new UID in its folder: MOVE where it has it, else COPY (then EXPUNGE). */
function reassignHow(side: 'a' | 'b', store: Store): Partial<Record<'a' | 'b', ReassignHow>> {
  if (store.features.move) return { [side]: 'move' };
  return store.features.copy ? { [side]: 'copy' } : {};
}

function envelopesOf(read: FolderRead): Map<number, MessageEnvelope> {
  const out = new Map<number, MessageEnvelope>();
  for (const e of read.envelopes) out.set(e.uid, e);
  return out;
}

function outcomeOf(read: FolderRead): ReadOutcome {
  return {
    status: read.status, unidentified: read.unidentified, unread: read.unread,
    ...(read.incompleteRows && { incompleteRows: read.incompleteRows }),
  };
}

/**
 * A side whose UIDVALIDITY changed: its UIDs in the records are void (recorded by
 * the act phase), and the held records that lose their only UID are handed on, so
 * the planner keeps their marks (see FolderPlanInput.heldWithoutUid).
 */
function voidNewUidValidities(
  ctx: PairReadContext,
  job: FolderPairJob,
  folder: FolderState,
  reads: { a: FolderRead; b: FolderRead },
  recordsBefore: readonly MessageRecord[],
): { records: readonly MessageRecord[]; sides: ('a' | 'b')[]; heldWithoutUid: HeldWithoutUid[] } {
  const { label } = job;
  let records = recordsBefore;
  const sides: ('a' | 'b')[] = [];
  const heldWithoutUid: HeldWithoutUid[] = [];
  for (const side of ['a', 'b'] as const) {
    const stored = side === 'a' ? folder.statusA : folder.statusB;
    const now = reads[side].status;
    if (!stored || job.missingOn.includes(side)) continue;
    if (anotherMailbox(stored, now)) {
      ctx.observer.warning(
        `${label}: ${side.toUpperCase()}'s folder has another MAILBOXID (${stored.mailboxId} → ${now.mailboxId}): ` +
          `deleted and created again; re-matching its messages by global id`,
      );
    } else if (stored.uidValidity !== now.uidValidity) {
      ctx.observer.warning(
        `${label}: UIDVALIDITY of ${side.toUpperCase()} changed (${stored.uidValidity} → ${now.uidValidity}); ` +
          `re-matching its messages by global id`,
      );
    } else continue;
    sides.push(side);
    heldWithoutUid.push(...heldDroppedByVoiding(records, side));
    // Recorded by the act phase with the plan's records: the stored status keeps the old
    // UIDVALIDITY until then, so a run stopped before voids that side again.
    records = voidSide(records, side);
  }
  return { records, sides, heldWithoutUid };
}

/**
 * The records with the global ids computed now (identity rule changed): a
 * record takes its A message's id, or its B message's when it has no A side
 * (the planner then sees whether B holds another message), and that message's
 * size where the id hashes it or the record is deferred (MessageRecord.size).
 * Recorded by the act phase, like a voided side.
 */
function rekeyed(
  records: readonly MessageRecord[],
  snapshots: { a: SideSnapshot; b: SideSnapshot },
): readonly MessageRecord[] {
  let changed = false;
  const out = records.map((r) => {
    // A stand-in's side (--placeholders) holds another id than the record's.
    const onA = r.uidA !== 0 && r.standIn !== 'a' ? snapshots.a.get(r.uidA) : undefined;
    const onB = r.uidB !== 0 && r.standIn !== 'b' ? snapshots.b.get(r.uidB) : undefined;
    // A's id where the record has it (the record's id is A's: knownIdentity.ts); the planner then sees whether B differs.
    const now = onA?.gid !== undefined ? onA : onB;
    if (now?.gid === undefined || now.gid === r.gid) return r;
    changed = true;
    const { size: _old, ...rest } = r;
    const size = now.sizedGid === true || r.status === 'deferred' || r.standIn !== undefined ? (now.size ?? r.size) : undefined;
    return { ...rest, gid: now.gid, ...(size !== undefined && { size }) };
  });
  return changed ? out : records;
}

/**
 * Read both sides (at once: they are separate connections), incrementally
 * where the state allows. A side that went back in time (restored from a
 * backup) is read again in full, every identity checked, and reported.
 */
async function readBothSides(
  ctx: PairReadContext,
  job: FolderPairJob,
  stores: { a: Store; b: Store },
  folder: FolderState,
  records: readonly MessageRecord[],
): Promise<{ reads: { a: FolderRead; b: FolderRead }; rollbacks: ('a' | 'b')[] }> {
  const { options, observer } = ctx;
  const { nameA, nameB, label } = job;
  const readSide = async (side: 'a' | 'b', verify: boolean): Promise<FolderRead> => {
    const stored = side === 'a' ? folder.statusA : folder.statusB;
    const store = side === 'a' ? stores.a : stores.b;
    // Another folder under the pair's name (its MAILBOXID is not the recorded one): nothing of it is known.
    const replaced = anotherMailbox(stored, job.listed?.[side]);
    // Verifying means reading as if nothing were known: every message gets an envelope.
    let base: ReadBase | null = stored && !verify && !replaced ? { ...baseOf(stored), knownUids: folder.knownUids(side) } : null;
    // Without a mod-sequence to start from, the driver lists every message's flags.
    if (base && side === 'b' && job.rescanB) base = { ...base, highestModseq: undefined };
    if (job.missingOn.includes(side)) return emptyRead();
    const read = await store.readFolder(job.readAs?.[side] ?? (side === 'a' ? nameA : nameB), {
      readOnly: !mayWrite(options.mode, side) || options.dryRun,
      base,
      verify,
    });
    const status = withListedMailboxId(withListedSize(read.status, job.listed?.[side]), job.listed?.[side]);
    return { ...read, status, uidValidityChanged: read.uidValidityChanged || anotherMailbox(stored, status) };
  };

  const rollbacks: ('a' | 'b')[] = [];
  const readChecked = async (side: 'a' | 'b'): Promise<FolderRead> => {
    const stored = side === 'a' ? folder.statusA : folder.statusB;
    const read = await readSide(side, options.full);
    if (job.missingOn.includes(side)) return read;
    // Ids of another rule say nothing of a UID's message: only the counters can tell then.
    const evidence = rollbackEvidence(stored, read, ctx.rekey ? [] : records, side);
    if (evidence === undefined) return read;
    // A restored server: its lost messages are not deletions. Every identity is checked,
    // the other side's copies of what it lost are unpaired, not deleted in this run.
    rollbacks.push(side);
    observer.warning(
      `${label}: ${side.toUpperCase()} went back in time (${evidence}): restored from an older backup? ` +
        `Checking every message's identity; ${lossRemedy(options.mode, side)}`,
    );
    // --full, or a read without a recorded status (no base), has read every identity already.
    return options.full || stored === undefined ? read : readSide(side, true);
  };
  // The two sides are separate connections: read them at the same time.
  const [readA, readB] = await Promise.all([readChecked('a'), readChecked('b')]);
  rollbacks.sort();
  return { reads: { a: readA, b: readB }, rollbacks };
}

/** What the run does about what a side that went back in time lost (for its warning). */
function lossRemedy(mode: SyncOptions['mode'], side: 'a' | 'b'): string {
  if (mode === 'two-way') return `copying again what ${side.toUpperCase()} lost, deleting nothing because of it`;
  return side === 'b' ? 'copying again what B lost' : 'nothing on B is deleted because of it';
}

/** Why B holds messages A lacks, as far as this folder's history tells (for the guard's message). */
function withholdingCause(job: FolderPairJob, records: readonly MessageRecord[], newUidValidityA: boolean): string {
  if (newUidValidityA) return "A's folder has a new UIDVALIDITY (recreated or restored?) and lacks them";
  if (job.rescanB) return 'first mirror run after copy mode, which kept on B what A deleted';
  if (records.length === 0) return 'first run on this folder, and A lacks them';
  return 'A no longer has them (deleted there, or a broken source?)';
}

/**
 * What the planner needs read before it can decide. Messages sharing a global
 * id that the snapshots cannot tell apart: their sizes first (a size the other
 * side lacks is another version), then their body digests (read-only, so in a
 * dry run too). Then the envelopes of known messages the plan copies again
 * (their INTERNALDATE and size). The usual folder asks nothing: one pure plan.
 */
async function answerPlannerQuestions(
  ctx: PairReadContext,
  label: string,
  stores: { a: Store; b: Store },
  first: PairReading['input'],
  guard: GuardInput,
  envelopes: { a: Map<number, MessageEnvelope>; b: Map<number, MessageEnvelope> },
): Promise<{ input: PairReading['input']; digestErrors: string[]; envelopes: PairReading['envelopes'] }> {
  let { input, plan } = await identitiesAnswered(stores, first, planGuarded(first, guard).plan, guard);
  const digestErrors: string[] = [];
  if (plan.needDigests !== undefined) {
    const [sizedA, sizedB] = await Promise.all([
      withSizes(stores.a, input.a, plan.needDigests.a),
      withSizes(stores.b, input.b, plan.needDigests.b),
    ]);
    if (sizedA !== input.a || sizedB !== input.b) {
      const sized = { ...input, a: sizedA, b: sizedB };
      // A deletion the sizes decided may ask for an identity too.
      ({ input, plan } = await identitiesAnswered(stores, sized, planGuarded(sized, guard).plan, guard));
    }
  }
  if (plan.needDigests !== undefined) {
    const want = plan.needDigests;
    ctx.observer.verbose(`${label}: comparing the bodies of ${want.a.length} A and ${want.b.length} B messages that share a global id`);
    const sizeIn = (snapshot: SideSnapshot) => (uid: number) => snapshot.get(uid)?.size;
    const [onA, onB] = await Promise.all([
      fetchDigests(stores.a, want.a, sizeIn(input.a)),
      fetchDigests(stores.b, want.b, sizeIn(input.b)),
    ]);
    if (onA.error) digestErrors.push(`A: ${onA.error}`);
    if (onB.error) digestErrors.push(`B: ${onB.error}`);
    input = { ...input, digests: { a: onA.digests, b: onB.digests } };
    // A deletion the digests decided may ask for an identity too.
    ({ input, plan } = await identitiesAnswered(stores, input, planGuarded(input, guard).plan, guard));
  }
  ({ input, plan } = await standInFlagsAnswered(stores, input, plan, guard));
  // Copies of messages the state already knew carry no envelope yet: one FETCH per source side for all of them.
  // What a side does not return stays out of its envelopes; the executor settles it.
  const kept: Record<'a' | 'b', MessageEnvelope[]> = { a: [], b: [] };
  for (const side of SIDES) {
    const missing = plan.appends.filter((a) => a.from === side && !envelopes[side].has(a.uid)).map((a) => a.uid);
    for (const e of missing.length > 0 ? await stores[side].fetchEnvelopes(missing) : []) envelopes[side].set(e.uid, e);
  }
  // Only the copies' envelopes are kept, compact (size and date): the account's plan holds every folder's.
  for (const { from, uid } of plan.appends) {
    const envelope = envelopes[from].get(uid);
    if (envelope !== undefined) kept[from].push(envelope);
  }
  return { input, digestErrors, envelopes: { a: new CompactEnvelopes(kept.a), b: new CompactEnvelopes(kept.b) } };
}

/**
 * Two-way: the input with the identities its plan asked for (needIdentity) read
 * into the snapshots, and the plan made again; as they are when it asks for none
 * (copy and mirror never do).
 */
function identitiesAnswered(stores: { a: Store; b: Store }, input: PairReading['input'], plan: FolderPlan, guard: GuardInput): Promise<Answered> {
  return envelopesAnswered(stores, input, plan, guard, 'needIdentity');
}

/**
 * --placeholders: the input with the flags of the stand-ins' originals the
 * plan copies read (needFlags: their \Flagged is in no record), and the plan
 * made again; as they are when it asks for none. Asked once: one the server
 * does not return is copied with the flags its record knows.
 */
function standInFlagsAnswered(stores: { a: Store; b: Store }, input: PairReading['input'], plan: FolderPlan, guard: GuardInput): Promise<Answered> {
  return envelopesAnswered(stores, input, plan, guard, 'needFlags');
}

type Answered = { input: PairReading['input']; plan: FolderPlan };

/** The envelopes a plan asked for (identities, or flags too) read into the snapshots, and the plan made again. */
async function envelopesAnswered(
  stores: { a: Store; b: Store },
  input: PairReading['input'],
  plan: FolderPlan,
  guard: GuardInput,
  asked: 'needIdentity' | 'needFlags',
): Promise<Answered> {
  const want = plan[asked];
  if (want === undefined) return { input, plan };
  const withFlags = asked === 'needFlags';
  const [a, b] = await Promise.all([withIdentities(stores.a, input.a, want.a, withFlags), withIdentities(stores.b, input.b, want.b, withFlags)]);
  const next = { ...input, a, b };
  return { input: next, plan: planGuarded(next, guard).plan };
}

function snapshotOf(records: readonly MessageRecord[], side: 'a' | 'b', read: FolderRead): SideSnapshot {
  return buildSnapshot(records, side, {
    kind: read.kind,
    messages: read.messages,
    vanished: read.vanished,
    // Known UIDs among these are there, unread (a --full read, which has no base, reports them as unidentified).
    unread: [...read.unread, ...read.unidentified],
    envelopes: read.envelopes.map((e) => ({
      uid: e.uid,
      flags: e.flags,
      size: e.size,
      ...identityOf(e),
    })),
  });
}

function baseOf(stored: SideStatus): Omit<ReadBase, 'knownUids'> {
  return { uidValidity: stored.uidValidity, uidNext: stored.uidNext, highestModseq: stored.highestModseq };
}

function emptyRead(): FolderRead {
  const status: FolderStatus = { uidValidity: 0n, uidNext: 1, messages: 0 };
  return {
    status, uidValidityChanged: false, permanentFlags: { flags: [], allowsNewKeywords: true },
    readOnly: true, kind: 'full', messages: [], vanished: [], envelopes: [], unidentified: [], unread: [],
  };
}
