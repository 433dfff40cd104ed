// One run, start to end: open the state, connect, discover folders on both
// sides, map them, skip the pairs whose status did not change, sync the others
// (on several connections at once), and commit the state.

import { ConnectionLostError, StoreError, UsageError } from '../errors.js';
import { SyncState } from '../state/SyncState.js';
import { createStore } from '../store/createStore.js';
import type { FolderInfo, Store, StoreStats } from '../store/types.js';
import { ExtraConnections, type StorePair } from './extraConnections.js';
import { selectFolders } from './folderFilter.js';
import { mapFolders, namesOnBOfAFolders, pairLabel, type FolderMapping } from './folderMap.js';
import { translateFolderNameBack } from './folderName.js';
import { prepareFoldersOnB } from './folderSetup.js';
import { statusUnchanged } from './folderStatus.js';
import { runFolderJobs } from './folderJobs.js';
import { syncFolderPair, type FolderSyncContext, type FolderSyncResult } from './folderSync.js';
import { recordOwnWritesOnB } from './ownWrites.js';
import { accountWithholding, checkDeletionLimit } from './mirrorGuard.js';
import { cutConnectionsOnAbort, interruptedBy, isInterruption } from './interruption.js';
import { PeriodicCommit } from './periodicCommit.js';
import type { FolderPairJob, MessageFailure, SyncJob, SyncObserver, SyncSummary, Withholding } from './types.js';
import { isInbox } from '../store/names.js';

/** Commit the state (and empty the journal) about this often during a long run. */
const COMMIT_INTERVAL_MS = 60_000;

export async function runSync(job: SyncJob, observer: SyncObserver, signal?: AbortSignal): Promise<SyncSummary> {
  const started = Date.now();
  const { options } = job;
  if (options.mode === 'two-way') throw new UsageError('two-way mode is not available yet');
  if (options.deleteFolders && options.mode !== 'mirror') throw new UsageError('--delete-folders needs --mode mirror');

  const state = await SyncState.open(
    job.statePath,
    { storeA: job.a.displayUrl, storeB: job.b.displayUrl },
    { readOnly: options.dryRun },
  );

  const summary: SyncSummary = {
    mode: options.mode, dryRun: options.dryRun, folders: 0, foldersSkipped: 0, foldersCreated: 0,
    copied: 0, bytes: 0, flagsUpdated: 0, expunged: 0, foldersDeleted: 0, skipped: 0,
    deletionsWithheld: 0, withheld: [], rollbacks: [], failed: [], warnings: [], elapsedMs: 0,
    stats: { a: zeroStats(), b: zeroStats() },
  };
  const warn = (text: string): void => {
    summary.warnings.push(text);
    observer.warning(text);
  };
  // Spelled out rather than spread: the observer may be a class instance.
  const reporting: SyncObserver = {
    phase: (t) => observer.phase(t),
    started: (e) => observer.started(e),
    folderPlanned: (f, w) => observer.folderPlanned(f, w),
    progress: (f, m, b) => observer.progress(f, m, b),
    folderFinished: (r) => observer.folderFinished(r),
    wouldDo: (t) => observer.wouldDo(t),
    verbose: (t) => observer.verbose(t),
    warning: warn,
    failure: (f) => {
      summary.failed.push(f);
      observer.failure(f);
    },
  };

  const stores: Store[] = [];
  const open = (label: 'A' | 'B'): Store => {
    const store = createStore(label, label === 'A' ? job.a : job.b);
    stores.push(store);
    return store;
  };
  // A signal stops the run within seconds even if a server has gone silent.
  const disarmCut = cutConnectionsOnAbort(signal, stores);
  try {
    // Also the later ones: a damaged section is found when its folder is reached.
    state.onWarning(warn);
    observer.phase('connecting');
    const main = { a: open('A'), b: open('B') };
    await Promise.all([main.a.connect(), main.b.connect()]);

    observer.phase('listing folders');
    const [foldersA, foldersB] = await Promise.all([
      main.a.listFolders({ status: true }),
      main.b.listFolders({ status: true }),
    ]);
    const mapping = mapFolders(
      { folders: foldersA, namespace: main.a.namespace },
      { folders: foldersB, namespace: main.b.namespace },
      state.folderKeys(),
    );
    const selected = new Set(selectFolders(foldersA.map((f) => f.name), options.filter));
    // An A folder without a B folder of its own is a failure, never only a warning.
    for (const u of mapping.unmapped) {
      if (selected.has(u.nameA)) reporting.failure({ folder: u.nameA, uid: 0, side: 'A', reason: u.reason });
    }
    const listedA = new Map(foldersA.map((f) => [f.name, f]));
    const listedB = new Map(foldersB.map((f) => [f.name, f]));

    // Folders B lacks (parents first), then subscriptions; a folder B refuses fails alone.
    const wanted = mapping.pairs.filter((p) => selected.has(p.nameA));
    const setup = await prepareFoldersOnB(main.b, mapping.toCreate, wanted, options.dryRun, reporting);
    summary.foldersCreated = setup.created;
    const pairs = setup.ready;

    // A first mirror run after copy runs must see B's own flags, which the
    // state's merge base (A's flags) does not record: read all of B's flags once.
    const rescanB = options.mode === 'mirror' && !state.isNew && state.lastMode !== 'mirror';
    if (rescanB) observer.verbose('first mirror run on this state: reading every flag on B once');

    // Which pairs need work; INBOX first.
    const intents = new Set(state.unresolvedIntents().map((i) => `${i.nameA}\u0000${i.nameB}`));
    const withholdAll = options.mode === 'mirror' ? countAccountOnA(state, listedA, options.force) : new Map<string, string>();
    const jobs: FolderPairJob[] = [];
    let estimateMessages = 0;
    for (const p of sortPairs(pairs)) {
      summary.folders++;
      const label = pairLabel(p);
      const known = state.folder(p.nameA, p.nameB);
      const statusA = listedA.get(p.nameA)?.status;
      const statusB = listedB.get(p.nameB)?.status;
      const pendingAppends = intents.has(`${p.nameA}\u0000${p.nameB}`);
      if (pendingAppends) observer.verbose(`${label}: appends with unknown result from an earlier run; checking B for them`);
      // Messages A lost in a rollback wait on B for --force: planned (and reported) every mirror run.
      const held = options.mode === 'mirror' && known?.hasHeldRecords() === true;
      if (held) observer.verbose(`${label}: keeps messages A lost when it went back in time; planning it again`);
      if (
        !options.full && !rescanB && !pendingAppends && !held && known &&
        statusUnchanged(known.statusA, statusA) && statusUnchanged(known.statusB, statusB)
      ) {
        summary.foldersSkipped++;
        summary.skipped += statusA?.messages ?? 0;
        observer.verbose(`${label}: unchanged`);
        continue;
      }
      estimateMessages += Math.max(0, (statusA?.messages ?? 0) - (statusB?.messages ?? 0));
      const withholding = withholdAll.get(`${p.nameA}\u0000${p.nameB}`);
      jobs.push({
        nameA: p.nameA, nameB: p.nameB, label, missingOnB: !p.existsOnB && options.dryRun, rescanB,
        ...(withholding !== undefined && { withholdAll: withholding }),
      });
    }
    observer.started({ folders: jobs.length, messages: estimateMessages, bytes: 0 });

    const periodic = new PeriodicCommit(state, options.commitIntervalMs ?? COMMIT_INTERVAL_MS, !options.dryRun);
    const ctx: FolderSyncContext = {
      state, options, observer: reporting, signal, warnedKeywords: new Set(),
      onBatchDone: () => periodic.safePoint(),
    };

    const extra = new ExtraConnections(open, options.connections, warn, signal);
    const results = await runFolderJobs({
      jobs, connections: options.connections, main, extra, periodic, open, signal,
      work: (stores, folderJob) => syncOneFolder(ctx, folderJob, stores),
      lost: (folderJob, err) => reporting.failure(folderFailure(folderJob, err)),
    });
    for (const r of results) {
      summary.copied += r.copied;
      summary.bytes += r.bytes;
      summary.flagsUpdated += r.flagsUpdated;
      summary.expunged += r.expunged;
      summary.skipped += r.alreadyThere;
      summary.deletionsWithheld += r.expungesWithheld;
      for (const w of [r.withheld, r.held]) if (w) summary.withheld.push(w);
      for (const side of r.rollbacks) summary.rollbacks.push({ folder: r.folder, side: side === 'a' ? 'A' : 'B' });
    }

    const expected = results.flatMap((r) => (r.expectedB ? [r.expectedB] : []));
    if (expected.length > 0 && !signal?.aborted) await recordOwnWritesOnB(main.b, state, expected, observer);

    if (options.deleteFolders && !signal?.aborted) {
      const deletion = await deleteFoldersMissingOnA(main, mapping, foldersA, foldersB, state, options, observer);
      summary.foldersDeleted = deletion.deleted;
      if (deletion.withheld) {
        summary.withheld.push(deletion.withheld);
        warn(deletion.withheld.reason);
      }
    }

    // The mode is recorded only by a complete run: an incomplete one must be redone as it was.
    // Withheld deletions leave a run incomplete too: after copy runs, the folders
    // that still hold copy mode's history must not be skipped as unchanged.
    const complete = summary.failed.length === 0 && summary.withheld.length === 0;
    if (!options.dryRun && complete && !signal?.aborted) state.setMode(options.mode);
    // A run that changed nothing leaves the file as it is (no rewrite, no fsync).
    if (!options.dryRun && (state.hasChanges || state.isNew)) await state.commit();
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
    summary.stats = {
      a: sumStats(stores.filter((s) => s.label === 'A')),
      b: sumStats(stores.filter((s) => s.label === 'B')),
    };
  }
  summary.elapsedMs = Date.now() - started;
  return summary;
}

/**
 * Mirror's account-wide count (accountWithholding), from the state's statuses
 * of A and A's LIST-STATUS: the pairs whose deletions all wait, with why.
 * A folder A no longer lists, or lists without a status, is not counted.
 */
function countAccountOnA(state: SyncState, listedA: Map<string, FolderInfo>, force: boolean): Map<string, string> {
  const counts = state.folderKeys().flatMap(({ nameA, nameB }) => {
    const remembered = state.folder(nameA, nameB)?.statusA?.messages;
    const present = listedA.get(nameA)?.status?.messages;
    return remembered === undefined || present === undefined ? [] : [{ nameA, nameB, remembered, present }];
  });
  const verdict = accountWithholding(counts, force);
  return new Map((verdict?.dropped ?? []).map((p) => [`${p.nameA}\u0000${p.nameB}`, verdict!.reason]));
}

/**
 * Mirror --delete-folders: B folders no A folder maps to, nor stands for by
 * name (A may list a folder it cannot open: its mail is still there). Never
 * INBOX or a special-use folder. None when they are more than half of B's folders
 * (and at least 2), unless --force: the guard withholds them.
 */
async function deleteFoldersMissingOnA(
  main: { a: Store; b: Store },
  mapping: FolderMapping,
  foldersA: FolderInfo[],
  foldersB: FolderInfo[],
  state: SyncState,
  options: SyncJob['options'],
  observer: SyncObserver,
): Promise<{ deleted: number; withheld?: Withholding }> {
  const onA = namesOnBOfAFolders({ folders: foldersA, namespace: main.a.namespace }, main.b.namespace);
  const targets = new Set([...mapping.pairs.map((p) => p.nameB), ...onA]);
  const delim = main.b.namespace.delimiter;
  const isAncestorOfTarget = (name: string): boolean =>
    delim !== null && [...targets].some((t) => t.startsWith(name + delim));
  const candidates = foldersB.filter((f) => {
    if (targets.has(f.name) || isInbox(f.name) || isAncestorOfTarget(f.name)) return false;
    if (f.specialUse) {
      observer.verbose(`keeping ${f.name} on B: it is the server's ${f.specialUse} folder`);
      return false;
    }
    const asOnA = translateFolderNameBack(f.name, main.b.namespace, main.a.namespace);
    return selectFolders([asOnA], options.filter).length === 1;
  });
  const withheld = checkDeletionLimit({
    what: 'folders', deleting: candidates.length, heldOnB: foldersB.length, force: options.force,
    cause: `A has no folder for ${namesInBrief(candidates.map((f) => f.name))}`,
  });
  if (withheld) return { deleted: 0, withheld };
  // Children before parents.
  candidates.sort((x, y) => y.name.length - x.name.length);
  for (const f of candidates) {
    if (options.dryRun) {
      observer.wouldDo(`delete folder ${f.name} on B (not on A)`);
      continue;
    }
    observer.verbose(`deleting folder ${f.name} on B (not on A)`);
    await main.b.deleteFolder(f.name);
    for (const k of state.folderKeys()) {
      if (k.nameB === f.name) state.apply({ op: 'drop-folder', nameA: k.nameA, nameB: k.nameB });
    }
  }
  return { deleted: candidates.length };
}

/**
 * One folder pair for runFolderJobs. A command the server refused for this
 * folder (e.g. SELECT answered NO) fails it alone: reported, the others go on.
 */
async function syncOneFolder(ctx: FolderSyncContext, job: FolderPairJob, stores: StorePair): Promise<FolderSyncResult | undefined> {
  try {
    const result = await syncFolderPair(ctx, job, stores);
    ctx.observer.folderFinished(result);
    return result;
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    ctx.observer.failure(folderFailure(job, err));
    return undefined;
  }
}

/** A whole folder failed (UID 0), on the side whose store failed: driver errors carry its label. */
function folderFailure(job: FolderPairJob, err: StoreError | ConnectionLostError): MessageFailure {
  return { folder: job.label, uid: 0, side: err.store === 'A' ? 'A' : 'B', reason: err.message };
}

/** Up to five names, then how many more. */
function namesInBrief(names: string[]): string {
  const sorted = [...names].sort();
  const shown = sorted.slice(0, 5).join(', ');
  return sorted.length > 5 ? `${shown} and ${sorted.length - 5} more` : shown;
}

function sortPairs<T extends { nameA: string }>(pairs: T[]): T[] {
  const inbox = (p: T): boolean => isInbox(p.nameA);
  return [...pairs].sort((x, y) => Number(inbox(y)) - Number(inbox(x)) || (x.nameA < y.nameA ? -1 : x.nameA > y.nameA ? 1 : 0));
}

function zeroStats(): StoreStats {
  return { commands: 0, bytesIn: 0, bytesOut: 0 };
}

function sumStats(stores: Store[]): StoreStats {
  const total = zeroStats();
  for (const s of stores) {
    const st = s.stats();
    total.commands += st.commands;
    total.bytesIn += st.bytesIn;
    total.bytesOut += st.bytesOut;
  }
  return total;
}
