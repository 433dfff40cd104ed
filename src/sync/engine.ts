// One run, start to end: open the state, connect, list both sides, plan the
// folders (planFolders.ts: pure), create and subscribe on B, sync the pairs
// whose status changed (on several connections at once), delete folders
// (mirror --delete-folders), and commit the state.

import { ConnectionLostError, StoreError, UsageError } from '../errors.js';
import { IDENTITY_RULE_VERSION } from '../identityVersion.js';
import { filterKey } from '../store/messageFilter.js';
import { SyncState } from '../state/SyncState.js';
import { createStore } from '../store/createStore.js';
import type { TokenBucket } from '../store/tokenBucket.js';
import type { Store, StoreStats } from '../store/types.js';
import { BODY_BYTES_IN_FLIGHT } from './batches.js';
import { ByteBudget } from './byteBudget.js';
import { ExtraConnections, type StorePair } from './extraConnections.js';
import { deleteFolders } from './folderDeletion.js';
import { answerSurvivorQuestions } from './folderProof.js';
import { renameFolders } from './folderRenaming.js';
import { answerRenameQuestions } from './renameProof.js';
import { prepareFolders, type FolderSetup } from './folderSetup.js';
import { runFolderJobs } from './folderJobs.js';
import { noWork } from './executor.js';
import {
  copyTurn, deletePass, describeTransfers, finishCopyPass, prepareCopyPass, recordPass, type PairActing, type PairExecuteContext, type PairResult,
} from './pairExecute.js';
import { copyQueue, type CopyTurn } from './copyQueue.js';
import { readSizes } from './sizeQuestions.js';
import { markTransfersUnsettled, transferGroup, transferGroups, type TransferGroup } from './transferExecute.js';
import type { FoundReused, TransferFeatures, TransferInput } from './planTransfers.js';
import { unchangedSources } from './unchangedSources.js';
import { readFolderPair } from './pairRead.js';
import { planAccount, planPair, type AccountPlan, type PairPlan } from './planAccount.js';
import { recordOwnWritesOnB } from './ownWrites.js';
import { cutConnectionsOnAbort, interruptedBy, isInterruption } from './interruption.js';
import { PeriodicCommit } from './periodicCommit.js';
import { sideLabel, SIDES } from './side.js';
import { priorityOrder, tierRule } from './folderOrder.js';
import { TimeBudget } from './timeBudget.js';
import { planFolders, type AccountFolderPlan, type FolderPlanningInput, type KnownPair } from './planFolders.js';
import type { UnchangedPairName } from './folderPlanTypes.js';
import type { FolderPairJob, MessageFailure, SideWork, SyncJob, SyncMode, SyncObserver, SyncSummary } from './types.js';

/** Commit the state (and empty the journal) about this often during a long run. */
const COMMIT_INTERVAL_MS = 60_000;

/** What every phase of one run shares. */
interface RunContext {
  job: SyncJob;
  state: SyncState;
  summary: SyncSummary;
  /** The caller's observer, with failures and warnings also collected into the summary. */
  observer: SyncObserver;
  /** Every store opened (for signals, stats and closing). */
  stores: Store[];
  open: (label: 'A' | 'B') => Store;
  signal: AbortSignal | undefined;
  /** --max-time: asked before each batch of the act phase. */
  budget: TimeBudget;
}

/** `now`: the clock --max-time is measured with (tests give their own). */
export async function runSync(job: SyncJob, observer: SyncObserver, signal?: AbortSignal, now: () => number = Date.now): Promise<SyncSummary> {
  const started = Date.now();
  const { options } = job;
  const budget = new TimeBudget(options.maxTimeMs === undefined ? undefined : now() + options.maxTimeMs, now);
  if (options.deleteFolders && options.mode !== 'mirror') throw new UsageError('--delete-folders needs --mode mirror');

  const state = await SyncState.open(
    job.statePath,
    { storeA: job.a.displayUrl, storeB: job.b.displayUrl },
    { readOnly: options.dryRun },
  );
  // Global ids of another identity rule cannot be compared with ones computed now: every pair is verified (as --full).
  if (state.identityVersion !== IDENTITY_RULE_VERSION) job = { ...job, options: { ...options, full: true } };
  const summary = emptySummary(options);
  const stores: Store[] = [];
  const open = (label: 'A' | 'B'): Store => {
    const store = createStore(label, label === 'A' ? job.a : job.b);
    stores.push(store);
    return store;
  };
  const ctx: RunContext = { job, state, summary, observer: collecting(observer, summary), stores, open, signal, budget };
  // A signal stops the run within seconds even if a server has gone silent.
  const disarmCut = cutConnectionsOnAbort(signal, stores);
  try {
    await syncAccount(ctx);
    if (signal?.aborted) throw interruptedBy(signal);
  } catch (err) {
    // Connections cut by a signal before the folders' work (connecting, listing): nothing to commit.
    if (signal && isInterruption(err, signal)) throw interruptedBy(signal);
    throw err;
  } finally {
    // On an error, keep what the journal holds: the next run replays it.
    await Promise.all(stores.map((s) => s.close()));
    disarmCut();
    await state.close();
    const bandwidth = bandwidthOf(job);
    summary.stats = {
      a: sumStats(stores.filter((s) => s.label === 'A')),
      b: sumStats(stores.filter((s) => s.label === 'B')),
      ...(bandwidth && { bandwidth: bandwidth.report() }),
    };
  }
  summary.elapsedMs = Date.now() - started;
  return summary;
}

/**
 * The run's phases: connect, list both sides, plan the folders (pure), create
 * and subscribe on B, sync the pairs, delete folders, commit.
 */
async function syncAccount(ctx: RunContext): Promise<void> {
  const { state, summary, observer, signal, job } = ctx;
  const { options } = job;
  // Also the later ones: a damaged section is found when its folder is reached.
  state.onWarning((text) => observer.warning(text));
  observer.phase('connecting');
  const main = { a: ctx.open('A'), b: ctx.open('B') };
  await Promise.all([main.a.connect(), main.b.connect()]);
  // Said once per store: every later connection would find the same.
  for (const warning of [...(main.a.connectWarnings ?? []), ...(main.b.connectWarnings ?? [])]) observer.warning(warning);

  const plan = await listAndPlanFolders(ctx, main);
  for (const failure of plan.unmapped) observer.failure(failure);
  const setup = await prepareFolders(main, state, plan, options.dryRun, observer);
  summary.foldersCreated = setup.created;
  summary.folders = setup.ready.length + plan.unchanged.length;
  for (const u of plan.unchanged) {
    summary.foldersSkipped++;
    summary.skipped += u.messages;
    observer.verbose(`${u.label}: unchanged`);
  }
  for (const p of setup.ready) observer.verbose(`${p.job.label}: ${p.why}`);
  observer.started({ folders: setup.ready.length, messages: setup.ready.reduce((sum, p) => sum + p.estimate, 0), bytes: 0 });

  // Only copy mode leaves reads for the next run. Mirror and two-way delete only once the whole account is seen: a run that
  // left a pair unread could delete nothing, and the pairs read first (their deletions held, so not settled) would be read
  // first again, leaving the same pair unread forever. A rescan (rescanB) must read every pair once, in any mode.
  const readAll = plan.rescanB || options.mode !== 'copy';
  await syncPairs(ctx, main, setup.ready.map((p) => p.job), setup.blocked, { unchanged: plan.unchanged, readAll });

  // Folder deletions (mirror --delete-folders, two-way), last; out of time, they are the next run's (planned again).
  if (!signal?.aborted) {
    for (const k of plan.keptOnB) observer.verbose(`keeping ${k.name} on B: ${k.why}`);
    const deletes = plan.deletes.length === 0 || options.dryRun || ctx.budget.mayStart() ? plan.deletes : [];
    for (const d of plan.deletes.length > deletes.length ? plan.deletes : []) ctx.budget.leave(d.name, { folderDeletions: 1 });
    summary.foldersDeleted = await deleteFolders(main, state, deletes, options.dryRun, observer);
    for (const withheld of plan.foldersWithheld) {
      summary.withheld.push(withheld);
      observer.warning(withheld.reason);
    }
  }

  // The mode is recorded only by a complete run: an incomplete one must be redone as it was.
  // Withheld deletions leave a run incomplete too: after copy runs, the folders
  // that still hold copy mode's history must not be skipped as unchanged.
  if (ctx.budget.leftSomething) summary.left = { ...ctx.budget.left };
  const complete = summary.failed.length === 0 && summary.withheld.length === 0 && summary.left === undefined;
  if (!options.dryRun && complete && !signal?.aborted) {
    state.setMode(options.mode);
    // Every pair was verified under the current rule only when no filter left some out.
    const everyFolder = options.filter.include.length === 0 && options.filter.exclude.length === 0;
    if (options.full && everyFolder) state.setIdentityVersion(IDENTITY_RULE_VERSION);
    // Every folder holding deferred records was read under this filter (or left as its own filter held it).
    if (everyFolder) state.setMessageFilter(recordedFilterKey(options));
  }
  // A run that changed nothing leaves the file as it is (no rewrite, no fsync).
  if (!options.dryRun && (state.hasChanges || state.isNew)) await state.commit();
}

/**
 * List both sides (with LIST-STATUS) and plan the account's folders. Renames
 * come first: once done (a dry run only describes them), both sides are
 * listed again and the account planned from what is there, without the
 * renames a store refused.
 */
async function listAndPlanFolders(ctx: RunContext, main: StorePair): Promise<AccountFolderPlan> {
  const { state, job, observer } = ctx;
  let input = await folderPlanningInput(ctx, main);
  let plan = planFolders(input);
  if (plan.renameQuestions.length > 0) {
    input = { ...input, renameAnswers: await answerRenameQuestions(main, state, plan.renameQuestions) };
    plan = planFolders(input);
  }
  const renaming = await renameFolders(main, state, plan.renames, job.options.dryRun, observer);
  ctx.summary.foldersRenamed = renaming.renamed;
  if (plan.renames.length > 0 && !job.options.dryRun) {
    // Not planned again: the renames done are in the listings and the state now, those refused are left out.
    input = { ...(await folderPlanningInput(ctx, main)), canRename: { a: false, b: false }, refusedRenames: renaming.refused };
    plan = planFolders(input);
  }
  if (plan.questions.length === 0) return plan;
  // Two-way: whether a folder one side deleted goes from the other depends on what that copy holds.
  return planFolders({ ...input, survivors: await answerSurvivorQuestions(main, state, plan.questions) });
}

/**
 * The filter the state records (SyncState.messageFilter) and each run compares
 * with its own: the message filter's key, " placeholders" added with
 * --placeholders, since that changes what a deferred message gets. Turning it
 * on reads again the folders holding deferred messages (they get their
 * stand-ins); turning it off reads them once too (nothing is made; the
 * stand-ins there stay as they are).
 */
function recordedFilterKey(options: Pick<SyncJob['options'], 'messageFilter' | 'placeholders'>): string {
  const key = filterKey(options.messageFilter);
  return options.placeholders === true && key !== '' ? `${key} placeholders` : key;
}

/** Both sides' listings (LIST-STATUS) and what the state knows: the folder planner's input. */
async function folderPlanningInput(ctx: RunContext, main: StorePair): Promise<FolderPlanningInput> {
  const { state, job } = ctx;
  ctx.observer.phase('listing folders');
  const [foldersA, foldersB] = await Promise.all([
    main.a.listFolders({ status: true }),
    main.b.listFolders({ status: true }),
  ]);
  const filterChanged = state.messageFilter !== recordedFilterKey(job.options);
  const known = state.folderKeys().map(({ nameA, nameB }): KnownPair => {
    const folder = state.folder(nameA, nameB);
    return {
      nameA, nameB, hasHeld: folder?.hasHeldRecords() === true,
      hasPending: folder?.hasPendingRecords() === true,
      // Deferred records wait for a looser filter: read again only when the filter is not the one that held them back.
      ...(filterChanged && folder?.hasUnsyncedRecords() === true && { recheckDeferred: true }),
      ...(folder?.statusA && { statusA: folder.statusA }),
      ...(folder?.statusB && { statusB: folder.statusB }),
    };
  });
  return {
    options: job.options,
    a: { folders: foldersA, namespace: main.a.namespace },
    b: { folders: foldersB, namespace: main.b.namespace },
    known,
    state: { isNew: state.isNew, lastMode: state.lastMode },
    pendingAppends: state.unresolvedIntents(),
    canRename: { a: main.a.features.rename, b: main.b.features.rename },
  };
}

/**
 * Runs one phase's jobs on the run's connection pairs (see runFolderJobs); a
 * pair failing alone is reported (and told to `queue.failed`); jobs of one
 * `queue.key` are never worked on at once.
 */
type PhaseRunner = <J extends { label: string }, R>(
  jobs: J[],
  work: (stores: StorePair, j: J) => Promise<R>,
  done?: (stores: StorePair) => Promise<void>,
  queue?: { key: (j: J) => string; failed: (j: J) => void; skips?: (j: J) => boolean },
) => Promise<R[]>;

/**
 * The pairs' phases, each on up to --connections pairs of connections: read
 * every pair, plan the account (pure), then act in a fixed order: record what
 * is true now (every pair, no I/O), the server-side moves and copies, every
 * pair's appends and flag changes, then every pair's deletions (a message that
 * moved between folders reaches its new folder before it leaves the old one).
 * Then add up the results and record B's own writes (copy mode).
 */
async function syncPairs(
  ctx: RunContext,
  main: StorePair,
  jobs: FolderPairJob[],
  blocked: FolderSetup['blocked'],
  { unchanged, readAll }: { unchanged: readonly UnchangedPairName[]; readAll: boolean },
): Promise<void> {
  const { state, observer, signal, job } = ctx;
  const { options } = job;
  const periodic = new PeriodicCommit(state, options.commitIntervalMs ?? COMMIT_INTERVAL_MS, !options.dryRun);
  const extra = new ExtraConnections(ctx.open, options.connections, (t) => observer.warning(t), signal);
  const run: PhaseRunner = (phaseJobs, work, done, queue) =>
    runFolderJobs({
      jobs: phaseJobs, connections: options.connections, main, extra, periodic, open: ctx.open, signal,
      work: (stores, j) => failingAlone(observer, j.label, () => work(stores, j), () => queue?.failed(j)),
      lost: (j, err) => {
        queue?.failed(j);
        observer.failure(folderFailure(j.label, err));
      },
      ...(done && { done }),
      ...(queue && { key: queue.key }),
      ...(queue?.skips && { skips: queue.skips }),
    });

  const features: TransferFeatures = { a: main.a.features, b: main.b.features };
  const plan = await readAndPlan(ctx, run, { jobs, blocked, unchanged, readAll }, features);
  if (plan === undefined) return;
  // One budget of body bytes for every connection: memory stays bounded however many copy at once.
  const bodyBudget = new ByteBudget(BODY_BYTES_IN_FLIGHT);
  const actCtx: PairExecuteContext = {
    state, options, observer, signal, onBatchDone: () => periodic.safePoint(), bodyBudget, waitingOutside: (wait) => periodic.outside(wait), budget: ctx.budget,
  };
  const recorded: PairActing[] = [];
  for (const pair of actOrder(plan.pairs, options.priority ?? [])) recorded.push(await recordPass(actCtx, pair, plan.transfers));
  const transferred = await transferPass(ctx, run, plan, recorded);
  const finish = async (stores: StorePair, acting: PairActing, unconfirmed: ReadonlySet<string>): Promise<PairResult> => {
    const result = await deletePass(actCtx, acting, stores, unconfirmed);
    observer.folderFinished(result);
    return result;
  };
  const firstPass = await copyPhase(actCtx, run, recorded, finish);
  const unconfirmed = unconfirmedCopies(plan, [...transferred, ...firstPass.flatMap((p) => p.acting.acting?.confirmedGids ?? [])]);
  const waiting = firstPass.flatMap((p) => (p.result === undefined ? [p.acting] : []));
  const results = [
    ...firstPass.flatMap((p) => (p.result === undefined ? [] : [p.result])),
    ...(await run(waiting, (stores, acting) => finish(stores, acting, unconfirmed))),
  ];
  addUp(ctx.summary, results);
  const expected = results.flatMap((r) => (r.expectedB ? [r.expectedB] : []));
  if (expected.length > 0 && !signal?.aborted) await recordOwnWritesOnB(main.b, state, expected, observer);
}

/** A pair after its copies: finished already (nothing to delete), or waiting for the account's deletion pass. */
interface CopiedPair {
  acting: PairActing;
  result?: PairResult;
}

/**
 * Every pair's copies through the account's one queue (copyQueue.ts: by
 * priority tier, then newest first across folders), on the run's connections;
 * a pair's turns one at a time, in order. After its last turn a pair changes
 * its flags and settles what was not returned; one with nothing to delete
 * finishes there. A pair that failed alone takes no further turn (no result:
 * its statuses are not recorded).
 */
async function copyPhase(
  actCtx: PairExecuteContext,
  run: PhaseRunner,
  recorded: readonly PairActing[],
  finish: (stores: StorePair, acting: PairActing, unconfirmed: ReadonlySet<string>) => Promise<PairResult>,
): Promise<CopiedPair[]> {
  const tier = tierRule(actCtx.options.priority ?? []);
  const queued = [];
  for (const p of recorded) {
    const { job } = p.pair.reading;
    queued.push({ tier: tier({ name: job.nameA, specialUse: job.specialUse }), envelopes: p.pair.reading.envelopes, copies: await prepareCopyPass(actCtx, p) });
  }
  const turns = copyQueue(queued).map((turn) => ({ ...turn, label: recorded[turn.pair]!.label }));
  const failed = new Set<number>();
  const work = async (stores: StorePair, turn: CopyTurn): Promise<CopiedPair | undefined> => {
    await copyTurn(actCtx, recorded[turn.pair]!, stores, turn.batches);
    if (!turn.last) return undefined;
    const acting = await finishCopyPass(actCtx, recorded[turn.pair]!, stores);
    const waits = acting.acting !== undefined && acting.pair.plan.expunges.length > 0;
    return waits ? { acting } : { acting, result: await finish(stores, acting, new Set()) };
  };
  // Only a pair's last turn gives a result.
  const copied = await run(turns, work, undefined, { key: (t) => String(t.pair), failed: (t) => failed.add(t.pair), skips: (t) => failed.has(t.pair) });
  return copied.flatMap((c) => (c ? [c] : []));
}

/**
 * The account's server-side moves and copies, by side and source folder, on
 * the run's connections (a dry run describes them). Returns the global ids
 * confirmed, once per transfer.
 */
async function transferPass(ctx: RunContext, run: PhaseRunner, plan: AccountPlan, recorded: readonly PairActing[]): Promise<string[]> {
  if (plan.transfers.length === 0) return [];
  if (ctx.job.options.dryRun) {
    describeTransfers(ctx.observer, plan.transfers);
    return [];
  }
  const acting = new Map(recorded.flatMap((p) => (p.acting ? [[p.label, p.acting] as const] : [])));
  markTransfersUnsettled(plan.transfers, acting);
  // With several connections, each leaves the folder it moved into last: another may append to it next (see Store.closeFolder).
  const leave = ctx.job.options.connections > 1 ? (stores: StorePair) => stores.b.closeFolder() : undefined;
  const work = async (stores: StorePair, group: TransferGroup): Promise<string[]> => {
    if (ctx.budget.mayStart()) return transferGroup(group, acting, stores);
    // Out of time: the targets stay unsettled (statuses not recorded), so the next run plans these again.
    ctx.budget.leave(group.label, { messages: group.transfers.length });
    return [];
  };
  return (await run(transferGroups(plan.transfers), work, leave)).flat();
}

/**
 * The pairs in the order the act phase works on them (folderOrder.ts): a
 * pair's recency is the newest INTERNALDATE it copies. The record and
 * deletion passes follow it; the copy queue (copyQueue.ts) breaks its ties by it.
 */
function actOrder(pairs: readonly PairPlan[], priority: readonly string[]): PairPlan[] {
  const newest = ({ plan, reading }: PairPlan): number =>
    plan.appends.reduce((max, a) => {
      const at = reading.envelopes[a.from].get(a.uid)?.internalDate.getTime() ?? NaN;
      return at > max ? at : max; // an invalid date (NaN) never wins
    }, -Infinity);
  return priorityOrder(pairs, (p) => ({ name: p.reading.job.nameA, specialUse: p.reading.job.specialUse, recency: newest(p) }), priority);
}

/** The pairs the read phase is given: those to read, the folders not created, the pairs skipped as unchanged. */
interface ReadPhase {
  jobs: FolderPairJob[];
  blocked: FolderSetup['blocked'];
  unchanged: readonly UnchangedPairName[];
  /** Read every pair even once the budget is spent. */
  readAll: boolean;
}

/**
 * The read phase, each pair planned as soon as it is read (pure: its planner
 * input dropped at once; none read once --max-time is spent, but the first),
 * then the account's plan (undefined after a signal):
 * when it asks for unchanged pairs' records (copies no read pair can be a
 * source of), they are taken from the state and the account planned again;
 * when it asks for sizes (of messages a server-side move or copy could use),
 * they are read and the account planned again; only that final plan is acted on.
 */
async function readAndPlan(
  ctx: RunContext,
  run: PhaseRunner,
  { jobs, blocked, unchanged, readAll }: ReadPhase,
  features: TransferFeatures,
): Promise<AccountPlan | undefined> {
  const { state, observer, signal, job } = ctx;
  const readCtx = { state, options: job.options, observer, rekey: state.identityVersion !== IDENTITY_RULE_VERSION };
  observer.phase('reading folders');
  // With several connections, each leaves the B folder it read last: another may append to it next (see Store.closeFolder).
  const leave = job.options.connections > 1 ? (stores: StorePair) => stores.b.closeFolder() : undefined;
  // full: every identity read, as --full does (a restore found by a size question).
  const readPair = async (stores: StorePair, pairJob: FolderPairJob, full = false): Promise<PairPlan> => {
    const pair = planPair(await readFolderPair(full ? { ...readCtx, options: { ...job.options, full: true } } : readCtx, pairJob, stores));
    reportPairPlan(observer, pair);
    return pair;
  };
  let notRead = 0;
  const read = await run(jobs, async (stores, pairJob) => {
    if (!readAll && !ctx.budget.mayRead()) {
      // Out of time: not read, so nothing of it is recorded; the next run reads it.
      notRead++;
      ctx.budget.leave(pairJob.label, {});
      observer.verbose(`${pairJob.label}: not read, left for the next run (--max-time)`);
      return undefined;
    }
    return readPair(stores, pairJob);
  }, leave);
  // runFolderJobs leaves out the pairs not read (failed alone, or left).
  let pairs = read.flatMap((p) => (p ? [p] : []));
  if (signal?.aborted) return undefined;
  const blind = blindSpots(blocked, { failed: jobs.length - pairs.length - notRead, left: notRead }, pairs, job.options.mode);
  let transfer: TransferInput = { mode: job.options.mode, features };
  let plan = planAccount(pairs, blind, transfer);
  if (plan.needSources !== undefined) {
    transfer = { ...transfer, unchanged: unchangedSources(state, unchanged, plan.needSources) };
    plan = planAccount(pairs, blind, transfer);
  }
  const found: FoundReused[] = [];
  const warned = new Set<string>();
  const readLabels = new Set(pairs.map((p) => p.reading.job.label));
  for (let round = 0; plan.needSizes !== undefined; round++) {
    const { sizes, reused } = await readSizes(plan.needSizes, observer, (questions, work) => run(questions, work, leave));
    if (signal?.aborted) return undefined;
    // A known UID holding another message is a restore its counters hid: its pair is read again in full, which sees
    // it go back in time (rollback.ts), and planned again; a second finding is left alone (reusedFound.ts).
    const again = new Set(reused.filter((r) => readLabels.has(r.label)).map((r) => r.label));
    warnUnreadReused(observer, reused.filter((r) => !readLabels.has(r.label)), warned);
    if (round > 0 || again.size === 0) {
      plan = planAccount(pairs, blind, { ...transfer, sizes, reused: [...found, ...reused] });
      break;
    }
    const reread = await run(jobs.filter((j) => again.has(j.label)), (stores, pairJob) => readPair(stores, pairJob, true), leave);
    if (signal?.aborted) return undefined;
    const byLabel = new Map(reread.map((p) => [p.reading.job.label, p]));
    pairs = pairs.map((p) => byLabel.get(p.reading.job.label) ?? p);
    // A pair whose full read failed keeps its first plan: its findings stay, so nothing touches those UIDs.
    found.push(...reused.filter((r) => again.has(r.label) && !byLabel.has(r.label)));
    plan = planAccount(pairs, blind, transfer);
  }
  // A pair whose copies server-side transfers replaced has less to send than it said when it was read.
  plan.pairs.forEach((p, i) => p.work !== pairs[i]!.work && observer.folderPlanned(p.reading.job.label, p.work));
  reportAccountPlan(observer, plan);
  return plan;
}

/**
 * Reused UIDs a size question found in pairs the run skipped as unchanged
 * (copy sources from the state): no read of this run can show that restore,
 * so the user is told, once per UID; the copy is appended instead.
 */
function warnUnreadReused(observer: SyncObserver, reused: readonly FoundReused[], warned: Set<string>): void {
  for (const r of reused) {
    const key = `${r.label}\0${r.side}\0${r.uid}`;
    if (warned.has(key)) continue;
    warned.add(key);
    observer.warning(
      `${r.label}: ${sideLabel(r.side)} UID ${r.uid} holds another message than recorded although the folder looks unchanged ` +
        '(restored from a backup?); it is not copied from, and a run with --full reads the folder again',
    );
  }
}

/**
 * What of the sides deletions follow (A; two-way: both) this run could not
 * see, in words (undefined: all of it): pairs whose folder (on either side) could not be
 * created or that could not be read (or were left unread by --max-time), messages without identity. A message may
 * have moved there: nothing is deleted in such a run (see planAccount).
 */
function blindSpots(
  blocked: FolderSetup['blocked'],
  unread: { failed: number; left: number },
  pairs: readonly PairPlan[],
  mode: SyncMode,
): string | undefined {
  const followed = mode === 'two-way' ? SIDES : (['a'] as const);
  const unidentified = followed.map((side) => ({ side, n: pairs.reduce((n, p) => n + p.reading.reads[side].unidentified.length, 0) }));
  const parts = [
    ...SIDES.map((side) => blocked[side] > 0 && `${blocked[side]} folder${blocked[side] === 1 ? '' : 's'} could not be created on ${sideLabel(side)}`),
    unread.failed > 0 && `${unread.failed} folder${unread.failed === 1 ? '' : 's'} could not be read`,
    unread.left > 0 && `${unread.left} folder${unread.left === 1 ? ' was' : 's were'} not read (--max-time)`,
    ...unidentified.map(({ side, n }) => n > 0 && `${sideLabel(side)} gave no identity for ${n} message${n === 1 ? '' : 's'}`),
  ].filter((p): p is string => typeof p === 'string');
  return parts.length > 0 ? parts.join(', ') : undefined;
}

/**
 * Global ids the account's plan copies more often than the first pass
 * confirmed (a copy failed, was refused or not returned, or its pair failed
 * alone before or while copying): a deletion waiting for one of them stays.
 */
function unconfirmedCopies(plan: AccountPlan, confirmed: readonly string[]): Set<string> {
  const missing = new Map<string, number>();
  const planned = [...plan.pairs.flatMap((pair) => pair.plan.appends.map((a) => a.gid)), ...plan.transfers.map((t) => t.copy.gid)];
  for (const gid of planned) missing.set(gid, (missing.get(gid) ?? 0) + 1);
  for (const gid of confirmed) missing.set(gid, (missing.get(gid) ?? 0) - 1);
  return new Set([...missing].flatMap(([gid, n]) => (n > 0 ? [gid] : [])));
}

/** A pair's exact work, and what its plan calls for saying. */
function reportPairPlan(observer: SyncObserver, pair: PairPlan): void {
  observer.folderPlanned(pair.reading.job.label, pair.work);
  for (const text of pair.warnings) observer.warning(text);
}

/** What the account's plan calls for saying: deletions kept in doubt, keywords a side cannot store (once), moves. */
function reportAccountPlan(observer: SyncObserver, plan: AccountPlan): void {
  for (const text of plan.warnings) observer.warning(text);
  for (const side of SIDES) {
    for (const keyword of plan.droppedKeywords[side]) {
      observer.warning(`${sideLabel(side)} cannot store the keyword ${keyword} (not in PERMANENTFLAGS); copies will lack it`);
    }
  }
  const byServer = new Set(plan.transfers.filter((t) => t.kind === 'move').map((t) => `${t.copy.gid}\u0000${t.source.label}\u0000${t.target.label}`));
  for (const m of plan.moved) {
    if (!byServer.has(`${m.gid}\u0000${m.from}\u0000${m.to}`)) observer.verbose(`global id ${m.gid} left ${m.from} for ${m.to}: copied there, deleted here once the copy is confirmed`);
  }
  for (const t of plan.transfers) observer.verbose(`${t.target.label}: ${t.kind} ${sideLabel(t.side)} UID ${t.source.uid} from ${t.source.label}: ${t.why}`);
}

function addUp(summary: SyncSummary, results: readonly PairResult[]): void {
  for (const r of results) {
    summary.copied += r.copied;
    summary.bytes += r.bytes;
    summary.transferred += r.transferred;
    summary.flagsUpdated += r.flagsUpdated;
    summary.expunged += r.expunged;
    for (const side of SIDES) addWork(summary.bySide![side], r.bySide?.[side]);
    summary.skipped += r.alreadyThere;
    summary.deferred += r.deferred ?? 0;
    summary.deferredBytes += r.deferredBytes ?? 0;
    summary.deletionsWithheld += r.expungesWithheld;
    for (const w of [r.withheld, r.held]) if (w) summary.withheld.push(w);
    for (const side of r.rollbacks) summary.rollbacks.push({ folder: r.folder, side: side === 'a' ? 'A' : 'B' });
    for (const given of r.reassigned ?? []) summary.reassigned!.push({ folder: r.folder, ...given });
  }
}

function addWork(total: SideWork, work: SideWork | undefined): void {
  if (work === undefined) return;
  total.copied += work.copied;
  total.bytes += work.bytes;
  total.flagsUpdated += work.flagsUpdated;
  total.expunged += work.expunged;
}

function emptySummary(options: SyncJob['options']): SyncSummary {
  return {
    mode: options.mode, dryRun: options.dryRun, folders: 0, foldersSkipped: 0, foldersCreated: 0,
    copied: 0, bytes: 0, transferred: 0, flagsUpdated: 0, expunged: 0, foldersDeleted: 0, foldersRenamed: 0, skipped: 0, deferred: 0, deferredBytes: 0, bySide: { a: noWork(), b: noWork() },
    deletionsWithheld: 0, withheld: [], rollbacks: [], reassigned: [], failed: [], warnings: [], elapsedMs: 0,
    stats: { a: zeroStats(), b: zeroStats() },
  };
}

/** The observer, with warnings and failures also kept in the summary. Spelled out: it may be a class instance. */
function collecting(observer: SyncObserver, summary: SyncSummary): SyncObserver {
  return {
    phase: (t) => observer.phase(t),
    started: (e) => observer.started(e),
    folderPlanned: (f, w) => observer.folderPlanned(f, w),
    progress: (f, m, b) => observer.progress(f, m, b),
    folderFinished: (r) => observer.folderFinished(r),
    wouldDo: (t) => observer.wouldDo(t),
    verbose: (t) => observer.verbose(t),
    warning: (text) => {
      summary.warnings.push(text);
      observer.warning(text);
    },
    failure: (f) => {
      summary.failed.push(f);
      observer.failure(f);
    },
  };
}

/**
 * One folder pair's work in a phase. A command the server refused for this
 * folder (e.g. SELECT answered NO) fails it alone: reported, the others go on.
 */
async function failingAlone<R>(observer: SyncObserver, label: string, work: () => Promise<R>, failed?: () => void): Promise<R | undefined> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    failed?.();
    observer.failure(folderFailure(label, err));
    return undefined;
  }
}

/** A whole folder failed (UID 0), on the side whose store failed: driver errors carry its label. */
function folderFailure(label: string, err: StoreError | ConnectionLostError): MessageFailure {
  return { folder: label, uid: 0, side: err.store === 'A' ? 'A' : 'B', reason: err.message };
}

/** --bwlimit's bucket: one for the run, the same object in both specs. */
function bandwidthOf(job: SyncJob): TokenBucket | undefined {
  return (job.a.kind === 'imap' ? job.a.bandwidth : undefined) ?? (job.b.kind === 'imap' ? job.b.bandwidth : undefined);
}

function zeroStats(): StoreStats {
  return { commands: 0, bytesIn: 0, bytesOut: 0, wireIn: 0, wireOut: 0, compressed: 0, connections: 0 };
}

function sumStats(stores: Store[]): StoreStats {
  const total = zeroStats();
  for (const s of stores) {
    const st = s.stats();
    total.commands += st.commands;
    total.bytesIn += st.bytesIn;
    total.bytesOut += st.bytesOut;
    total.wireIn += st.wireIn;
    total.wireOut += st.wireOut;
    total.compressed += st.compressed;
    total.connections += st.connections;
  }
  return total;
}
