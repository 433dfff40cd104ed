// One folder pair, start to end: read both sides (incrementally where the
// state allows), build snapshots, plan, then execute (or describe, in a dry run).

import type { MessageRecord, SideStatus } from '../state/types.js';
import type { FolderState, SyncState } from '../state/SyncState.js';
import type { FolderRead, FolderStatus, MessageEnvelope, ReadBase, Store } from '../store/types.js';
import { fetchDigests, withSizes } from './bodyDigests.js';
import { executeFolderPlan, leftOutOf } from './executor.js';
import { expectedStatusOfB, type ExpectedStatus } from './ownWrites.js';
import { globalId, identityWithoutSize } from './identity.js';
import { planGuarded } from './mirrorGuard.js';
import type { AppendAction, FolderPlan, FolderPlanInput, HeldWithoutUid, SideSnapshot } from './planTypes.js';
import { rollbackEvidence } from './rollback.js';
import { buildSnapshot, heldDroppedByVoiding, voidSide } from './snapshot.js';
import type { FolderPairJob, FolderResult, PlannedWork, SyncObserver, SyncOptions, Withholding } from './types.js';

export interface FolderSyncContext {
  state: SyncState;
  options: SyncOptions;
  observer: SyncObserver;
  signal?: AbortSignal;
  /** Keywords already warned about (one warning per keyword per run). */
  warnedKeywords: Set<string>;
  onBatchDone?: () => Promise<void>;
}

export interface FolderSyncResult extends FolderResult {
  /** A messages already on B (left alone). */
  alreadyThere: number;
  /** Mirror: deletions not done because the folder's guard refused them. */
  expungesWithheld: number;
  /** Mirror: the guard's withholding in this folder, with its reason. */
  withheld?: Withholding;
  /** Mirror: deletions withheld because A lost those messages in a rollback (held records; --force). */
  held?: Withholding;
  /** Copy mode: what B's status must be if only this run wrote to it (see expectedStatusOfB). */
  expectedB?: ExpectedStatus;
  /** Sides found restored from an older backup (read again in full, nothing deleted because of it). */
  rollbacks: ('a' | 'b')[];
}


export async function syncFolderPair(
  ctx: FolderSyncContext,
  job: FolderPairJob,
  stores: { a: Store; b: Store },
): Promise<FolderSyncResult> {
  const { state, options, observer } = ctx;
  const { nameA, nameB, label } = job;
  if (!state.folder(nameA, nameB)) state.apply({ op: 'folder', nameA, nameB });
  const folder = state.folder(nameA, nameB)!;
  // Before the statuses are used: a damaged section is discarded here, statuses too, so both sides are read in full.
  let records: readonly MessageRecord[] = folder.records();

  const { reads, rollbacks } = await readBothSides(ctx, job, stores, folder, records);
  const voided = voidNewUidValidities(ctx, job, folder, reads, records);
  records = voided.records;
  const newUidValidityA = voided.sides.includes('a');

  const envelopesA = new Map<number, MessageEnvelope>();
  for (const e of reads.a.envelopes) envelopesA.set(e.uid, e);
  const snapshotA = snapshotOf(records, 'a', reads.a);
  const snapshotB = snapshotOf(records, 'b', reads.b);

  const { plan, withheld, held } = await planComparingBodies(
    ctx,
    label,
    stores,
    {
      mode: options.mode, records, a: snapshotA, b: snapshotB, bAccepts: reads.b.permanentFlags, rolledBack: rollbacks,
      unidentified: { a: reads.a.unidentified, b: reads.b.unidentified },
      ...(voided.heldWithoutUid.length > 0 && { heldWithoutUid: voided.heldWithoutUid }),
      // Its records were lost with a damaged section: what is only on B may be what A lost, kept (held).
      ...(folder.discarded && options.mode === 'mirror' && { holdUnpairedB: true as const }),
    },
    {
      folder: label, force: options.force, cause: withholdingCause(job, records, newUidValidityA),
      // What A lost in a rollback is not A deleting it: none of it is deleted in this run.
      ...(rollbacks.includes('a') && { withholdAll: 'A went back in time (restored from an older backup?) and may have lost them' }),
      ...(!rollbacks.includes('a') && job.withholdAll !== undefined && { withholdAll: job.withholdAll }),
    },
  );
  reportPlanWarnings(ctx, label, plan);
  for (const w of [withheld, held]) if (w) ctx.observer.warning(w.reason);

  // Appends of messages the state already knew carry no envelope yet: one FETCH for all of them.
  // What A does not return stays out of envelopesA; the plan is not touched (the executor settles it).
  const missing = plan.appends.filter((a) => !envelopesA.has(a.uidA)).map((a) => a.uidA);
  for (const e of missing.length > 0 ? await stores.a.fetchEnvelopes(missing) : []) envelopesA.set(e.uid, e);
  const sizeOf = (a: AppendAction): number => envelopesA.get(a.uidA)?.size ?? a.size;

  const work: PlannedWork = {
    appends: plan.appends.length,
    appendBytes: plan.appends.reduce((sum, a) => sum + sizeOf(a), 0),
    flagUpdates: plan.flagChanges.length,
    expunges: plan.expunges.length,
  };
  observer.folderPlanned(label, work);
  const alreadyThere = snapshotA.size - plan.appends.length;

  if (options.dryRun) {
    describePlan(observer, label, job, plan, work, sizeOf);
    describeUnreturned(observer, label, [
      ...plan.appends.filter((a) => !envelopesA.has(a.uidA)).map((a) => ({ side: 'A', uid: a.uidA, missing: 'envelope' })),
      ...unreturnedIn(reads.a, 'A'),
      ...unreturnedIn(reads.b, 'B'),
    ]);
    return {
      folder: label, skipped: false, copied: work.appends, bytes: work.appendBytes,
      flagsUpdated: work.flagUpdates, expunged: work.expunges, failed: 0,
      alreadyThere, expungesWithheld: plan.expungesWithheld, ...(withheld && { withheld }), ...(held && { held }), rollbacks,
    };
  }

  const result = await executeFolderPlan(
    { storeA: stores.a, storeB: stores.b, state, observer, signal: ctx.signal, onBatchDone: ctx.onBatchDone },
    { nameA, nameB, label, plan, recordsBefore: records, snapshotA, envelopesA, readA: reads.a, readB: reads.b },
  );
  const expectedB = expectedStatusOfB(options, job, reads.b, result);
  return {
    folder: result.folder, skipped: result.skipped, copied: result.copied, bytes: result.bytes,
    flagsUpdated: result.flagsUpdated, expunged: result.expunged, failed: result.failed,
    alreadyThere, expungesWithheld: plan.expungesWithheld, ...(withheld && { withheld }), ...(held && { held }), rollbacks,
    ...(expectedB && { expectedB }),
  };
}

/**
 * A side whose UIDVALIDITY changed: its UIDs in the records are void (recorded
 * at once), and the held records that lose their only UID are handed on, so
 * the planner keeps their marks (see FolderPlanInput.heldWithoutUid).
 */
function voidNewUidValidities(
  ctx: FolderSyncContext,
  job: FolderPairJob,
  folder: FolderState,
  reads: { a: FolderRead; b: FolderRead },
  recordsBefore: readonly MessageRecord[],
): { records: readonly MessageRecord[]; sides: ('a' | 'b')[]; heldWithoutUid: HeldWithoutUid[] } {
  const { nameA, nameB, label } = job;
  let records = recordsBefore;
  const sides: ('a' | 'b')[] = [];
  const heldWithoutUid: HeldWithoutUid[] = [];
  for (const side of ['a', 'b'] as const) {
    const stored = side === 'a' ? folder.statusA : folder.statusB;
    if (!stored || (side === 'b' && job.missingOnB) || stored.uidValidity === reads[side].status.uidValidity) continue;
    ctx.observer.warning(
      `${label}: UIDVALIDITY of ${side.toUpperCase()} changed (${stored.uidValidity} → ${reads[side].status.uidValidity}); ` +
        `re-matching its messages by global id`,
    );
    sides.push(side);
    heldWithoutUid.push(...heldDroppedByVoiding(records, side));
    // A fact worth recording at once: the old UIDs of that side are void.
    records = voidSide(records, side);
    ctx.state.apply({ op: 'reset', nameA, nameB, records: [...records] });
  }
  return { records, sides, heldWithoutUid };
}

/**
 * Read both sides (at once: they are separate connections), incrementally
 * where the state allows. A side that went back in time (restored from a
 * backup) is read again in full, every identity checked, and reported.
 */
async function readBothSides(
  ctx: FolderSyncContext,
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
    // Verifying means reading as if nothing were known: every message gets an envelope.
    let base: ReadBase | null = stored && !verify ? { ...baseOf(stored), knownUids: folder.knownUids(side) } : null;
    // Without a mod-sequence to start from, the driver lists every message's flags.
    if (base && side === 'b' && job.rescanB) base = { ...base, highestModseq: undefined };
    if (side === 'b' && job.missingOnB) return emptyRead();
    return store.readFolder(side === 'a' ? nameA : nameB, {
      readOnly: side === 'a' || options.dryRun,
      base,
      verify,
    });
  };

  const rollbacks: ('a' | 'b')[] = [];
  const readChecked = async (side: 'a' | 'b'): Promise<FolderRead> => {
    const stored = side === 'a' ? folder.statusA : folder.statusB;
    const read = await readSide(side, options.full);
    if (side === 'b' && job.missingOnB) return read;
    const evidence = rollbackEvidence(stored, read, records, side);
    if (evidence === undefined) return read;
    // A restored server: its lost messages are not deletions. Every identity is checked,
    // the other side's copies of what it lost are unpaired, not deleted in this run.
    rollbacks.push(side);
    observer.warning(
      `${label}: ${side.toUpperCase()} went back in time (${evidence}): restored from an older backup? ` +
        `Checking every message's identity; ${side === 'b' ? 'copying again what B lost' : 'nothing on B is deleted because of it'}`,
    );
    // --full, or a read without a recorded status (no base), has read every identity already.
    return options.full || stored === undefined ? read : readSide(side, true);
  };
  // The two sides are separate connections: read them at the same time.
  const [readA, readB] = await Promise.all([readChecked('a'), readChecked('b')]);
  rollbacks.sort();
  return { reads: { a: readA, b: readB }, rollbacks };
}

/** Why B holds messages A lacks, as far as this folder's history tells (for the guard's message). */
function withholdingCause(job: FolderPairJob, records: readonly MessageRecord[], newUidValidityA: boolean): string {
  if (newUidValidityA) return "A's folder has a new UIDVALIDITY (recreated or restored?) and lacks them";
  if (job.rescanB) return 'first mirror run after copy mode, which kept on B what A deleted';
  if (records.length === 0) return 'first run on this folder, and A lacks them';
  return 'A no longer has them (deleted there, or a broken source?)';
}

/**
 * Plan; when messages that share a global id must be told apart, read the
 * sizes the snapshots lack and plan again; when sizes cannot tell, read their
 * bodies (read-only, so in a dry run too), and plan again with their digests.
 * The usual folder plans once and reads no size or body.
 */
async function planComparingBodies(
  ctx: FolderSyncContext,
  label: string,
  stores: { a: Store; b: Store },
  input: Omit<FolderPlanInput, 'allowExpunge'>,
  guard: Parameters<typeof planGuarded>[1],
): Promise<ReturnType<typeof planGuarded>> {
  let first = planGuarded(input, guard);
  if (first.plan.needDigests === undefined) return first;
  // Sizes first: a candidate of a size the other side lacks is another version, no body needed.
  const [sizedA, sizedB] = await Promise.all([
    withSizes(stores.a, input.a, first.plan.needDigests.a),
    withSizes(stores.b, input.b, first.plan.needDigests.b),
  ]);
  if (sizedA !== input.a || sizedB !== input.b) {
    input = { ...input, a: sizedA, b: sizedB };
    first = planGuarded(input, guard);
    if (first.plan.needDigests === undefined) return first;
  }
  const want = first.plan.needDigests;
  ctx.observer.verbose(
    `${label}: comparing the bodies of ${want.a.length} A and ${want.b.length} B messages that share a global id`,
  );
  const sizeIn = (snapshot: SideSnapshot) => (uid: number) => snapshot.get(uid)?.size;
  const [onA, onB] = await Promise.all([
    fetchDigests(stores.a, want.a, sizeIn(input.a)),
    fetchDigests(stores.b, want.b, sizeIn(input.b)),
  ]);
  const planned = planGuarded({ ...input, digests: { a: onA.digests, b: onB.digests } }, guard);
  const { plan } = planned;
  if (plan.uncompared !== undefined) {
    const why = [onA.error && `A: ${onA.error}`, onB.error && `B: ${onB.error}`].filter(Boolean).join('; ');
    ctx.observer.warning(
      `${label}: could not compare the bodies of ${plan.uncompared} messages that share a global id` +
        `${why ? ` (${why})` : ''}; keeping B's and copying A's rather than deleting; the folder is read again next run`,
    );
  }
  return planned;
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
      gid: globalId(e.identityHeaders, e.size),
      ...(!identityWithoutSize(e.identityHeaders) && { sizedGid: true as const }),
    })),
  });
}

function reportPlanWarnings(ctx: FolderSyncContext, label: string, plan: FolderPlan): void {
  for (const side of ['a', 'b'] as const) {
    const uids = plan.reusedUids.filter((r) => r.side === side).map((r) => r.uid);
    if (uids.length === 0) continue;
    const which = uids.length === 1 ? `UID ${uids[0]} now holds` : `${uids.length} UIDs (${uids[0]}…${uids[uids.length - 1]}) now hold`;
    ctx.observer.warning(
      `${label}: ${side.toUpperCase()} ${which} a different message than recorded (UIDs reused); ` +
        `treating ${uids.length === 1 ? 'it as a new message' : 'them as new messages'}`,
    );
  }
  if (plan.expungesInDoubt !== undefined) {
    ctx.observer.warning(
      `${label}: not deleting ${plan.expungesInDoubt} B message${plan.expungesInDoubt === 1 ? '' : 's'} A lacks: ` +
        'A holds messages it did not list or identify (listed as failed), which may be these',
    );
  }
  for (const keyword of plan.droppedKeywords) {
    if (ctx.warnedKeywords.has(keyword)) continue;
    ctx.warnedKeywords.add(keyword);
    ctx.observer.warning(`B cannot store the keyword ${keyword} (not in PERMANENTFLAGS); copies will lack it`);
  }
}

function describePlan(
  observer: SyncObserver, label: string, job: FolderPairJob, plan: FolderPlan, work: PlannedWork, sizeOf: (a: AppendAction) => number,
): void {
  if (work.appends > 0) {
    observer.wouldDo(`${label}: copy ${work.appends} messages (${work.appendBytes} bytes) to B ${job.nameB}`);
    for (const a of plan.appends) observer.verbose(`${label}: would copy A UID ${a.uidA} (${sizeOf(a)} bytes)`);
  }
  if (work.flagUpdates > 0) {
    observer.wouldDo(`${label}: update flags of ${work.flagUpdates} messages on B`);
    for (const c of plan.flagChanges) {
      const change = [...c.add.map((f) => `+${f}`), ...c.remove.map((f) => `-${f}`)].join(' ');
      observer.verbose(`${label}: would set B UID ${c.uidB} ${change}`);
    }
  }
  for (const e of plan.expunges) {
    observer.wouldDo(`${label}: delete B UID ${e.uidB} (global id ${e.record.gid}) from B ${job.nameB}`);
  }
}

interface UnreturnedMessage {
  side: string;
  uid: number;
  missing: string;
}

function unreturnedIn(read: FolderRead, side: string): UnreturnedMessage[] {
  return leftOutOf(read).map(({ uid, missing }) => ({ side, uid, missing }));
}

/** Dry run: messages a real run would check and, if still there, list as failed (the server did not return them). */
function describeUnreturned(observer: SyncObserver, label: string, messages: UnreturnedMessage[]): void {
  for (const { side, uid, missing } of messages) {
    observer.warning(`${label}: ${side} returned no ${missing} for UID ${uid}; a real run lists it as failed if it still exists`);
  }
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
