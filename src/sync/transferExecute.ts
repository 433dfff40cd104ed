// The transfer pass (after every pair's record pass, before any pair's
// appends): the account plan's server-side moves and copies, per side and
// source folder. Each group opens its source folder (refused if its
// UIDVALIDITY changed since it was read), journals an intent per message in
// its target pair (a kill leaves the next run reading that folder, which pairs
// what arrived by global id), moves or copies per target folder (every
// command while the source is open), then per command sets the flag deltas
// on the new UIDs (from COPYUID, in the target folder) and records: the target pair
// paired with the new UID, a moved message's source record deleted. Until a
// transfer is confirmed both its folders keep their statuses unrecorded, so a
// failure (listed, exit 1) or a kill leaves both messages known and both
// folders read again next run. A kill between a copy and the deletion it
// replaces leaves at worst a duplicate: the deletion waits for the copy.
// A source folder may be one not read in this run (skipped as unchanged: it
// is only copied from): it is opened read-only (a COPY changes nothing in it,
// so its recorded statuses stay true), and what fails is listed under the
// target pair, the only one of the two this run acts on.

import { StoreError } from '../errors.js';
import type { CopyResult, MessageEnvelope, Store } from '../store/types.js';
import { applyFlagChanges, intentOf, markOf, type FolderActing } from './executor.js';
import type { FlagChange, TransferAction } from './planTypes.js';
import { identityOf } from './identity.js';
import { sideLabel, uidsBySide, type Side } from './side.js';

/** One side's transfers out of one source folder (a job of the pass, on one connection pair). */
export interface TransferGroup {
  label: string;
  side: Side;
  transfers: TransferAction[];
}

/** The plan's transfers, by side and source folder, in plan order. */
export function transferGroups(transfers: readonly TransferAction[]): TransferGroup[] {
  const groups = new Map<string, TransferGroup>();
  for (const t of transfers) {
    const key = `${t.side}\u0000${t.source.label}`;
    let group = groups.get(key);
    if (group === undefined) groups.set(key, (group = { label: t.source.label, side: t.side, transfers: [] }));
    group.transfers.push(t);
  }
  return [...groups.values()];
}

/** The pairs' executions by label (from their record pass), for what a transfer changes in them. */
export type ActingByLabel = ReadonlyMap<string, FolderActing>;

/**
 * Before any I/O: every transfer leaves its target folder (and a move its
 * source) unsettled, so nothing a transfer left undone, whatever stopped it,
 * lets their statuses be recorded. Undone one by one as confirmed.
 */
export function markTransfersUnsettled(transfers: readonly TransferAction[], acting: ActingByLabel): void {
  for (const t of transfers) for (const label of foldersOf(t)) acting.get(label)!.run.transfersUnsettled++;
}

function foldersOf(t: TransferAction): string[] {
  return t.kind === 'move' ? [t.target.label, t.source.label] : [t.target.label];
}

/** One group's transfers; returns the global ids confirmed, once per transfer. */
export async function transferGroup(group: TransferGroup, acting: ActingByLabel, stores: { a: Store; b: Store }): Promise<string[]> {
  const store = stores[group.side];
  const source = group.transfers[0]!.source;
  const name = group.side === 'a' ? source.nameA : source.nameB;
  const { state } = acting.get(group.transfers[0]!.target.label)!.run.ctx;
  // A folder not read in this run is only copied from (planTransfers): EXAMINE, so nothing in it can change.
  const readOnly = !acting.has(source.label);
  try {
    await store.openFolder(name, { readOnly, uidValidity: source.uidValidity });
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    for (const t of group.transfers) failed(acting, t, `${name} could not be opened: ${err.message}`);
    return [];
  }
  for (const t of group.transfers) state.apply(intentOf(t.target, t.copy));
  await state.flush();
  // Every command first, while the source folder is open: a flag delta opens its target folder.
  const commands: Command[] = [];
  for (const targets of byTarget(group.transfers)) {
    const result = await runCommand(store, group.side, targets, acting);
    if (result !== undefined) commands.push({ transfers: targets, result });
  }
  const confirmed: string[] = [];
  for (const command of commands) confirmed.push(...(await settle(store, group.side, command, acting)));
  return confirmed;
}

/** One UID MOVE or UID COPY that the server answered OK, with its answer. */
interface Command {
  transfers: TransferAction[];
  result: CopyResult;
}

function byTarget(transfers: readonly TransferAction[]): TransferAction[][] {
  const out = new Map<string, TransferAction[]>();
  for (const t of transfers) {
    const key = `${t.kind}\u0000${t.target.label}`;
    const list = out.get(key);
    if (list === undefined) out.set(key, [t]);
    else list.push(t);
  }
  return [...out.values()];
}

function targetNameOf(side: Side, t: TransferAction): string {
  return side === 'a' ? t.target.nameA : t.target.nameB;
}

/** One command (UID MOVE or UID COPY) from the open source folder into one target folder; undefined (all listed as failed) if refused. */
async function runCommand(store: Store, side: Side, transfers: TransferAction[], acting: ActingByLabel): Promise<CopyResult | undefined> {
  const { kind } = transfers[0]!;
  const targetName = targetNameOf(side, transfers[0]!);
  try {
    const uids = transfers.map((t) => t.source.uid);
    return kind === 'move' ? await store.moveMessages!(uids, targetName) : await store.copyMessages!(uids, targetName);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    for (const t of transfers) failed(acting, t, `${kind === 'move' ? 'UID MOVE' : 'UID COPY'} to ${targetName}: ${err.message}`);
    return undefined;
  }
}

/**
 * A command's flag deltas on the new UIDs, then its records; returns the
 * global ids confirmed. A transfer is confirmed only where its message is
 * known to be in the target: named by COPYUID, or, on a store that does not
 * name new UIDs (no UIDPLUS), found there by global id. IMAP answers OK for
 * UIDs gone since the read, so a source UID the answer leaves out (with
 * UIDPLUS an answer without COPYUID copied nothing) is a failure, listed.
 */
async function settle(store: Store, side: Side, { transfers, result }: Command, acting: ActingByLabel): Promise<string[]> {
  const { target } = transfers[0]!;
  const targetName = targetNameOf(side, transfers[0]!);
  const named = result.uidValidity !== undefined;
  // New UIDs of another UIDVALIDITY than read name nothing the state knows: kept one-sided, paired next run by global id.
  const newUids = !named ? (store.features.copyUid ? new Map<number, number>() : await foundInTarget(store, targetName, transfers))
    : result.uidValidity === target.uidValidity ? result.uids : new Map<number, number>();
  const arrived = transfers.filter((t) => (named ? result.uids : newUids).has(t.source.uid));
  for (const t of transfers) if (!arrived.includes(t)) failed(acting, t, `${whyNotArrived(t, targetName, named, store.features.copyUid)} (gone from the source since it was read?)`);
  const blind = arrived.filter((t) => !newUids.has(t.source.uid) && hasDelta(t)).length;
  if (blind > 0) {
    const run = acting.get(target.label)!.run;
    run.ctx.observer.warning(`${target.label}: flags of ${blind} message(s) ${transfers[0]!.kind === 'move' ? 'moved' : 'copied'} into ${sideLabel(side)} ${targetName} not set (its UIDVALIDITY changed: new UIDs unknown); the next run sets them`);
  }
  const flagFailures = await deltasOnNewUids(store, side, targetName, arrived, newUids);
  for (const t of arrived) recordTransfer(acting, t, newUids.get(t.source.uid), flagFailures);
  await acting.get(target.label)!.run.ctx.state.flush();
  return arrived.map((t) => t.copy.gid);
}

function whyNotArrived(t: TransferAction, targetName: string, named: boolean, promised: boolean): string {
  if (named) return `the server's COPYUID for ${targetName} does not name UID ${t.source.uid}`;
  if (promised) return `the server's answer for ${targetName} has no COPYUID: nothing was copied`;
  return `UID ${t.source.uid} not found in ${targetName} by global id afterwards (the server gives no COPYUID)`;
}

/** How far above the target's UIDNEXT when read its copies are looked for, beyond their number: others' mail arriving meanwhile. */
const ARRIVALS_WINDOW = 10_000;

/**
 * Without COPYUID: the transfers' messages in the target (opened with its
 * UIDVALIDITY check), by global id among the UIDs from its UIDNEXT when read,
 * one UID each, lowest first: the new UID by source UID. A message not found
 * (or a target that cannot be read) is not confirmed.
 */
async function foundInTarget(store: Store, targetName: string, transfers: readonly TransferAction[]): Promise<Map<number, number>> {
  const { target } = transfers[0]!;
  const candidates = Array.from({ length: transfers.length + ARRIVALS_WINDOW }, (_, i) => target.uidNext + i);
  let envelopes: MessageEnvelope[];
  try {
    await store.openFolder(targetName, { readOnly: false, uidValidity: target.uidValidity });
    envelopes = await store.fetchEnvelopes(candidates);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return new Map();
  }
  const byGid = new Map<string, number[]>();
  for (const e of [...envelopes].sort((x, y) => x.uid - y.uid)) {
    const { gid } = identityOf(e);
    const uids = byGid.get(gid);
    if (uids === undefined) byGid.set(gid, [e.uid]);
    else uids.push(e.uid);
  }
  const out = new Map<number, number>();
  for (const t of transfers) {
    const uid = byGid.get(t.copy.gid)?.shift();
    if (uid !== undefined) out.set(t.source.uid, uid);
  }
  return out;
}

function hasDelta(t: TransferAction): boolean {
  return t.flagDelta.add.length > 0 || t.flagDelta.remove.length > 0;
}

/**
 * The flag deltas, on the new UIDs in the target folder (opened with its
 * UIDVALIDITY check): by new UID, why a delta failed.
 */
async function deltasOnNewUids(
  store: Store,
  side: Side,
  targetName: string,
  transfers: readonly TransferAction[],
  newUids: ReadonlyMap<number, number>,
): Promise<Map<number, string>> {
  const changes: FlagChange[] = [];
  for (const t of transfers) {
    const uid = newUids.get(t.source.uid);
    if (uid !== undefined && hasDelta(t)) changes.push({ side, uid, ...t.flagDelta, why: t.why });
  }
  if (changes.length === 0) return new Map();
  try {
    await store.openFolder(targetName, { readOnly: false, uidValidity: transfers[0]!.target.uidValidity });
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return new Map(changes.map((c) => [c.uid, `flags of the copy in ${targetName}: ${err.message}`]));
  }
  return applyFlagChanges(store, changes);
}

/**
 * A confirmed transfer in the state: the target pair's message paired with its
 * new UID (one-sided without one: the next run pairs it by global id), a moved
 * message's source record gone. A flag delta that failed is listed, and one
 * without a new UID warned about (settle); both are recorded as not done: the
 * pair's merge base is then the flags the copy has. Without a new UID the
 * target folder is left unsettled so that the next run reads both its sides.
 */
function recordTransfer(acting: ActingByLabel, t: TransferAction, newUid: number | undefined, flagFailures: ReadonlyMap<number, string>): void {
  const target = acting.get(t.target.label)!.run;
  const { state } = target.ctx;
  const { copy } = t;
  let flags: readonly string[] = copy.sourceFlags;
  const flagFailure = newUid === undefined ? undefined : flagFailures.get(newUid);
  if (flagFailure !== undefined) target.fail({ uid: newUid!, side: sideLabel(t.side), reason: flagFailure });
  // A delta not set (failed, or no new UID to set it on): the merge base is the flags the copy has, so the next run sets them.
  if (flagFailure !== undefined || (newUid === undefined && hasDelta(t))) flags = [...copy.flags.filter((f) => !t.flagDelta.add.includes(f)), ...t.flagDelta.remove].sort();
  state.apply({ op: 'put', nameA: t.target.nameA, nameB: t.target.nameB, record: { ...uidsBySide(copy.from, copy.uid, newUid ?? 0), gid: copy.gid, flags: [...flags], ...markOf(copy) } });
  if (t.kind === 'move') state.apply({ op: 'del', nameA: t.source.nameA, nameB: t.source.nameB, uidA: t.source.record.uidA, uidB: t.source.record.uidB });
  target.result.transferred++;
  if (newUid !== undefined && t.side === 'b') target.result.maxAppendedUid = Math.max(target.result.maxAppendedUid, newUid);
  if (newUid !== undefined && t.side === 'a') target.result.maxAppendedUidA = Math.max(target.result.maxAppendedUidA, newUid);
  // Without a new UID (no COPYUID: the copy may not be there, its flags are not set) the target stays unsettled:
  // its statuses unrecorded, both its sides are read next run, which pairs or copies it and sets its flags.
  for (const label of foldersOf(t)) if (newUid !== undefined || label !== t.target.label) acting.get(label)!.run.transfersUnsettled--;
}

/**
 * A transfer that failed: listed under its source folder and UID (where the
 * message still is), or, from a folder not read in this run, under its target
 * folder, naming the source; both folders stay unsettled.
 */
function failed(acting: ActingByLabel, t: TransferAction, reason: string): void {
  const verb = t.kind === 'move' ? 'moved' : 'copied';
  const source = acting.get(t.source.label);
  if (source !== undefined) source.run.fail({ uid: t.source.uid, side: sideLabel(t.side), reason: `not ${verb} on the server: ${reason}` });
  else acting.get(t.target.label)!.run.fail({ uid: t.copy.uid, side: sideLabel(t.copy.from), reason: `not ${verb} on the server from ${t.source.label} (UID ${t.source.uid}): ${reason}` });
}
