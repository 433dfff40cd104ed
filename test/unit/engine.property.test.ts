// Property tests of the real engine (runSync) on two in-memory accounts, in
// copy and mirror modes. A random history changes A and B between syncs: new
// mail (exact duplicates, Message-ID-less twins), flag and keyword changes,
// expunges, moves between folders (which B may do on its server), a folder's new UIDVALIDITY, new folders, a side restored from an
// older snapshot (new mail then reuses its UIDs), and syncs, some killed
// before or after one of their store operations or writes (see
// test/support/memoryKill.ts), always followed by normal runs. One connection
// per store, so a history always runs the same way. After every run, and
// after two "settle" runs at the end, by body digest per folder of A:
// - A never changes; no run (killed or not) leaves a digest on B more often
//   than max(A's count, B's count before the run): nothing twice;
// - a finished run has no failure and B holds every message of A: never "ok"
//   with mail missing (a refusal of the mirror guard changes nothing on B);
// - copy: B's count is exactly max(A, B before), and a message only A's
//   changes touched has A's flags on B;
// - mirror: a folder the guard withheld nothing in holds on B exactly A's
//   (digest, flags) multiset: nothing resurrected; what the guard withheld
//   is exactly B's surplus;
// - the second settle run does nothing;
// - after it, the state tells the truth: every record's UIDs hold its
//   message (by global id), no UID is in two records, every message has one.
// A history also runs against a B without \* in PERMANENTFLAGS (keywords
// it cannot store are left out of every comparison, and never asked of it
// twice, nor warned about again once settled), may lose its state file, and
// copy histories end with mirror runs.
// Three cases the properties found are excluded from the generator, each
// where it is made (look for "Excluded:"), with the history that fails.
// A failure prints fast-check's seed and the shrunk history, one step per
// item as stepText writes it; FIXED below takes histories in that notation.
// REPLIMAP_PROPERTY_RUNS=n runs n histories per mode (a soak run);
// REPLIMAP_PROPERTY_SEED=s replays the histories of a failure's seed.

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  flagList, flagText, folderIndex, killStepArb, mailText, parseSide, printable, rawMail, type KillStep, type Mail,
} from '../support/propertySteps.js';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryServer, type MemoryOperation, type MemorySnapshot } from '../../src/store/memory/MemoryServer.js';
import type { SyncMode } from '../../src/sync/types.js';
import { killedRun, WRITE_OPERATIONS, type KillMoment } from '../support/memoryKill.js';
import { digest } from '../support/storeConformance.js';
import { forgetMemorySpecs, memorySpec } from '../support/memorySpecs.js';
import { syncSpecs, tempDir, type EngineRun } from '../support/sync.js';
import type { MemoryStoreSpec } from '../../src/store/spec.js';
import { checkStateTruth } from '../support/stateTruth.js';

const FOLDERS = ['INBOX', 'F1', 'F2'];
const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '$Label1', 'kw'];
const RUNS = Number(process.env.REPLIMAP_PROPERTY_RUNS ?? 0);
const SEED = process.env.REPLIMAP_PROPERTY_SEED;

type Side = 'a' | 'b';

type Step =
  | { t: 'append'; side: Side; folder: number; mail: Mail; flags: string[] }
  | { t: 'flags'; side: Side; folder: number; pick: number; add: string[]; remove: string[] }
  | { t: 'expunge'; side: Side; folder: number; pick: number }
  /** A message moved to another folder of the same side (copied with its flags and date, then expunged, as a client's MOVE). */
  | { t: 'move'; side: Side; folder: number; pick: number; to: number }
  | { t: 'uidvalidity'; side: Side; folder: number }
  | { t: 'create'; folder: number }
  /** A backup of the side as it is now (one of the whole account is taken at the start). */
  | { t: 'snapshot'; side: Side }
  /** The side restored from its last backup but `back` (0: the last). */
  | { t: 'restore'; side: Side; back: number }
  | { t: 'sync' }
  /** The state file and its journal deleted (a lost state: everything is matched again by global id). */
  | { t: 'lose' }
  | KillStep;

/** One step, compactly: "A+INBOX:m1(+\Seen)", "B-F1#2", "snapB0", "restoreA0", "sync", "kill-after#7". */
function stepText(s: Step): string {
  const side = 'side' in s ? s.side.toUpperCase() : '';
  switch (s.t) {
    case 'append': return `${side}+${FOLDERS[s.folder]}:${mailText(s.mail)}${s.flags.length ? `(${flagText(s.flags)})` : ''}`;
    case 'flags': return `${side}~${FOLDERS[s.folder]}#${s.pick}(${flagText(s.add, s.remove)})`;
    case 'expunge': return `${side}-${FOLDERS[s.folder]}#${s.pick}`;
    case 'move': return `${side}>${FOLDERS[s.folder]}#${s.pick}>${FOLDERS[s.to]}`;
    case 'uidvalidity': return `${side}!uidvalidity ${FOLDERS[s.folder]}`;
    case 'create': return `A create ${FOLDERS[s.folder]}`;
    case 'snapshot': return `snap${side}`;
    case 'restore': return `restore${side}~${s.back}`;
    case 'sync': return 'sync';
    case 'lose': return 'lose';
    case 'kill': return `kill-${s.when}${s.writes ? '-write' : ''}#${s.op}`;
  }
}

/** The step `stepText` printed (for fixed histories, written as counterexamples print). */
function parseStep(text: string): Step {
  const side = parseSide;
  const folder = (name: string): number => folderIndex(FOLDERS, name);
  let m: RegExpMatchArray | null;
  if ((m = /^([AB])\+(\w+):(?:m(\d+)|t(\d+)\.(\d+))(?:\((.*)\))?$/.exec(text))) {
    const mail: Mail = m[3] !== undefined ? { n: Number(m[3]) } : { twin: Number(m[4]), v: Number(m[5]) };
    return { t: 'append', side: side(m[1]!), folder: folder(m[2]!), mail, flags: flagList(m[6], '+') };
  }
  if ((m = /^([AB])~(\w+)#(\d+)\((.*)\)$/.exec(text))) {
    return { t: 'flags', side: side(m[1]!), folder: folder(m[2]!), pick: Number(m[3]), add: flagList(m[4], '+'), remove: flagList(m[4], '-') };
  }
  if ((m = /^([AB])-(\w+)#(\d+)$/.exec(text))) return { t: 'expunge', side: side(m[1]!), folder: folder(m[2]!), pick: Number(m[3]) };
  if ((m = /^([AB])>(\w+)#(\d+)>(\w+)$/.exec(text))) return { t: 'move', side: side(m[1]!), folder: folder(m[2]!), pick: Number(m[3]), to: folder(m[4]!) };
  if ((m = /^([AB])!uidvalidity (\w+)$/.exec(text))) return { t: 'uidvalidity', side: side(m[1]!), folder: folder(m[2]!) };
  if ((m = /^A create (\w+)$/.exec(text))) return { t: 'create', folder: folder(m[1]!) };
  if ((m = /^snap([AB])$/.exec(text))) return { t: 'snapshot', side: side(m[1]!) };
  if ((m = /^restore([AB])~(\d+)$/.exec(text))) return { t: 'restore', side: side(m[1]!), back: Number(m[2]) };
  if (text === 'sync') return { t: 'sync' };
  if (text === 'lose') return { t: 'lose' };
  if ((m = /^kill-(before|after)(-write)?#(\d+)$/.exec(text))) return { t: 'kill', when: m[1] as KillMoment, writes: m[2] !== undefined, op: Number(m[3]) };
  throw new Error(`cannot read step "${text}"`);
}

const sideArb = fc.constantFrom<Side>('a', 'b');
const folderArb = fc.nat({ max: FOLDERS.length - 1 });
const flagsArb = fc.subarray(FLAGS, { maxLength: 2 });
const mailArb: fc.Arbitrary<Mail> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ n: fc.nat({ max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ twin: fc.nat({ max: 1 }), v: fc.nat({ max: 1 }) }) },
);
const stepArb: fc.Arbitrary<Step> = fc
  .oneof(
    { weight: 8, arbitrary: fc.record({ t: fc.constant('append' as const), side: sideArb, folder: folderArb, mail: mailArb, flags: flagsArb }) },
    { weight: 4, arbitrary: fc.record({ t: fc.constant('flags' as const), side: sideArb, folder: folderArb, pick: fc.nat({ max: 9 }), add: flagsArb, remove: flagsArb }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('expunge' as const), side: sideArb, folder: folderArb, pick: fc.nat({ max: 9 }) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('move' as const), side: sideArb, folder: folderArb, pick: fc.nat({ max: 9 }), to: folderArb }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('uidvalidity' as const), side: sideArb, folder: folderArb }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('create' as const), folder: fc.integer({ min: 1, max: FOLDERS.length - 1 }) }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('snapshot' as const), side: sideArb }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('restore' as const), side: sideArb, back: fc.nat({ max: 2 }) }) },
    { weight: 3, arbitrary: fc.constant({ t: 'sync' as const }) },
    { weight: 1, arbitrary: fc.constant({ t: 'lose' as const }) },
    { weight: 3, arbitrary: killStepArb },
  )
  .map((step) => printable(step, stepText));
const historyArb = fc.array(stepArb, { minLength: 1, maxLength: 12 });

afterEach(forgetMemorySpecs);

/** What the test knows besides the servers: snapshots, and which copy-mode flags it cannot predict. */
class World {
  readonly a: MemoryServer;
  readonly b: MemoryServer;
  readonly specs: { a: MemoryStoreSpec; b: MemoryStoreSpec };
  readonly statePath = join(tempDir('replimap-property-'), 'state');
  readonly snapshots: Record<Side, MemorySnapshot[]> = { a: [], b: [] };
  /** Copy mode: "folder digest" whose flags on B depend on more than A's changes (B's own, a re-pairing). */
  readonly flagsUnknown = new Set<string>();
  /** Copy mode: every flag on B unpredictable from here on (a side restored). */
  allFlagsUnknown = false;

  constructor(
    public mode: SyncMode,
    /** Fixed histories may restore B in mirror mode; random ones may not (see "Excluded: B restored"). */
    readonly restoresBInMirror = false,
    /** B has no \* in PERMANENTFLAGS: it stores no keyword it does not hold already (here: none). */
    readonly bStoresKeywords = true,
    /** Both servers list MAILBOXIDs (RFC 8474): the state records them. */
    mailboxIds = false,
  ) {
    this.a = new MemoryServer({ mailboxIds });
    this.b = new MemoryServer({ firstUidValidity: 5000n, allowsNewKeywords: bStoresKeywords, mailboxIds });
    this.specs = { a: memorySpec(this.a, 'a'), b: memorySpec(this.b, 'b') };
    this.takeSnapshot('a');
    this.takeSnapshot('b');
  }

  takeSnapshot(side: Side): void {
    this.snapshots[side].push(this.server(side).snapshot());
  }

  server(side: Side): MemoryServer {
    return side === 'a' ? this.a : this.b;
  }

  sync(): Promise<EngineRun> {
    return syncSpecs(this.specs.a, this.specs.b, this.statePath, { mode: this.mode, connections: 1 });
  }
}

/** The message `pick` designates in the folder (modulo its size), or undefined for an empty or missing folder. */
function picked(server: MemoryServer, folder: string, pick: number): { uid: number; body: Buffer } | undefined {
  if (!server.hasFolder(folder)) return undefined;
  const messages = server.messages(folder);
  return messages.length === 0 ? undefined : messages[pick % messages.length];
}

/** Per folder: its counters as LIST-STATUS shows them, and its messages (UID and body digest). */
function countersAndContents(server: MemoryServer): Map<string, { counters: string; contents: string }> {
  const out = new Map<string, { counters: string; contents: string }>();
  for (const name of server.folderNames()) {
    const f = server.folder(name);
    const messages = server.messages(name);
    out.set(name, {
      counters: `${f.uidValidity} ${f.uidNext} ${messages.length} ${f.highestModseq}`,
      contents: messages.map((m) => `${m.uid}:${digest(m.body)}`).join(' '),
    });
  }
  return out;
}

/** Applies a change to one side (a step other than sync and kill); a step on a folder the side lacks does nothing. */
function applyChange(world: World, step: Exclude<Step, { t: 'sync' | 'kill' | 'lose' }>): void {
  if (step.t === 'create') {
    if (!world.a.hasFolder(FOLDERS[step.folder]!)) world.a.createFolder(FOLDERS[step.folder]!);
    return;
  }
  const server = world.server(step.side);
  if (step.t === 'snapshot') {
    world.takeSnapshot(step.side);
    return;
  }
  if (step.t === 'restore') {
    // Excluded: B restored in mirror mode, in random histories. Mirror records B's status from
    // before its writes (UIDNEXT raised past its own appends): B restored to just that point after
    // a run that only expunged or changed flags looks unchanged and is skipped, so mirror's deletions
    // come back until --full. The fixed histories below restore B after runs that appended.
    if (step.side === 'b' && world.mode === 'mirror' && !world.restoresBInMirror) return;
    const snapshots = world.snapshots[step.side];
    const before = server.snapshot();
    const seen = countersAndContents(server);
    server.restore(snapshots[Math.max(0, snapshots.length - 1 - step.back)]!);
    // Excluded: a restore no counter shows. A folder whose UIDVALIDITY, UIDNEXT, MESSAGES and
    // HIGHESTMODSEQ come back exactly as they were, with other messages, looks unchanged and is
    // skipped (only --full sees it; README: "Needed after restoring a server only if ..."):
    // "B+INBOX:t0.0,snapB,A+INBOX:m0,restoreB~1,restoreB~0" (seed 401434674, the same before issue 7).
    const now = countersAndContents(server);
    if ([...now].some(([name, { counters, contents }]) => seen.get(name)?.counters === counters && seen.get(name)?.contents !== contents)) {
      server.restore(before);
      return;
    }
    world.allFlagsUnknown = true;
    return;
  }
  const folder = FOLDERS[step.folder]!;
  if (!server.hasFolder(folder)) return;
  const unknown = (body: Buffer): void => void world.flagsUnknown.add(`${folder} ${digest(body)}`);
  switch (step.t) {
    case 'append': {
      const raw = rawMail(step.mail);
      server.append(folder, [{ raw, flags: step.flags }]);
      if (step.side === 'b') unknown(raw);
      return;
    }
    case 'flags': {
      const message = picked(server, folder, step.pick);
      if (message) server.setFlags(folder, [message.uid], step.add, step.remove);
      if (message && step.side === 'b') unknown(message.body);
      return;
    }
    case 'expunge': {
      const message = picked(server, folder, step.pick);
      if (message) server.expunge(folder, [message.uid]);
      // A's message gone: a later twin of its bytes on A may pair with B's copy.
      if (message && step.side === 'a') unknown(message.body);
      return;
    }
    case 'move': {
      const to = FOLDERS[step.to]!;
      const message = picked(server, folder, step.pick);
      if (!message || to === folder || !server.hasFolder(to)) return;
      const { flags, internalDate } = server.messages(folder).find((m) => m.uid === message.uid)!;
      server.append(to, [{ raw: message.body, flags, internalDate }]);
      server.expunge(folder, [message.uid]);
      // As an expunge there and an append here: B's own change, or A's message gone from a folder where
      // B's copy may hold flags of its own (a server-side copy of it carries them along).
      if (step.side === 'b' || world.flagsUnknown.has(`${folder} ${digest(message.body)}`)) world.flagsUnknown.add(`${to} ${digest(message.body)}`);
      unknown(message.body);
      return;
    }
    case 'uidvalidity':
      server.resetUidValidity(folder);
      for (const m of server.messages(folder)) unknown(m.body);
      return;
  }
}

/** Per folder: digest → count, and the sorted "digest flags" lines. */
interface FolderView {
  counts: Map<string, number>;
  lines: string[];
}

type AccountView = Map<string, FolderView>;

/** The account by folder; without keywords when B cannot store them (so A and B compare). */
function view(server: MemoryServer, world: World): AccountView {
  const account: AccountView = new Map();
  const comparable = (flag: string): boolean => world.bStoresKeywords || flag.startsWith('\\');
  for (const folder of server.folderNames()) {
    const counts = new Map<string, number>();
    const lines: string[] = [];
    for (const m of server.messages(folder)) {
      const d = digest(m.body).slice(0, 12);
      counts.set(d, (counts.get(d) ?? 0) + 1);
      lines.push(`${d} ${m.flags.filter(comparable).join(',')}`);
    }
    account.set(folder, { counts, lines: lines.sort() });
  }
  return account;
}

const EMPTY: FolderView = { counts: new Map(), lines: [] };
const count = (v: FolderView | undefined, d: string): number => v?.counts.get(d) ?? 0;

function digestsOf(...views: (FolderView | undefined)[]): Set<string> {
  return new Set(views.flatMap((v) => [...(v?.counts.keys() ?? [])]));
}

/** Checks for any run, killed or not: A unchanged, nothing on B twice, B's folders A lacks untouched. */
function checkAnyRun(aBefore: AccountView, bBefore: AccountView, world: World, where: string): { a: AccountView; b: AccountView } {
  const a = view(world.a, world);
  const b = view(world.b, world);
  expect(JSON.stringify([...a]), `${where}: A changed`).toBe(JSON.stringify([...aBefore]));
  for (const [folder, onB] of b) {
    const onA = a.get(folder);
    const before = bBefore.get(folder) ?? EMPTY;
    if (!onA) {
      expect(onB.lines, `${where}: B's ${folder}, which A lacks, changed`).toEqual(before.lines);
      continue;
    }
    for (const d of digestsOf(onB)) {
      expect(count(onB, d), `${where}: ${folder} ${d} on B more often than on A or on B before`).toBeLessThanOrEqual(Math.max(count(onA, d), count(before, d)));
    }
  }
  return { a, b };
}

/** Checks for a run that finished (see the file comment). */
function checkFinishedRun(run: EngineRun, bBefore: AccountView, a: AccountView, b: AccountView, world: World, where: string): void {
  expect(run.failures, `${where}: failures`).toEqual([]);
  const withheld = new Map<string, number>();
  for (const w of run.summary.withheld) if (w.what === 'messages') withheld.set(w.folder!, (withheld.get(w.folder!) ?? 0) + w.count);
  for (const [folder, onA] of a) {
    const onB = b.get(folder) ?? EMPTY;
    const before = bBefore.get(folder) ?? EMPTY;
    for (const d of digestsOf(onA)) expect(count(onB, d), `${where}: ${folder} ${d} missing on B`).toBeGreaterThanOrEqual(count(onA, d));
    if (world.mode === 'copy') {
      for (const d of digestsOf(onA, onB)) {
        expect(count(onB, d), `${where}: ${folder} ${d} on B`).toBe(Math.max(count(onA, d), count(before, d)));
      }
      checkCopyFlags(world, folder, onA, onB, where);
    } else if (!withheld.has(folder)) {
      expect(onB.lines, `${where}: mirror ${folder}`).toEqual(onA.lines);
    } else {
      let surplus = 0;
      for (const d of digestsOf(onB)) surplus += count(onB, d) - count(onA, d);
      expect(surplus, `${where}: ${folder}: withheld deletions vs B's surplus`).toBe(withheld.get(folder));
    }
  }
}

/** Copy: a message whose digest is once on each side, and whose flags only A changed, has A's flags on B. */
function checkCopyFlags(world: World, folder: string, onA: FolderView, onB: FolderView, where: string): void {
  if (world.allFlagsUnknown) return;
  for (const line of onA.lines) {
    const d = line.split(' ')[0]!;
    if (count(onA, d) !== 1 || count(onB, d) !== 1) continue;
    if ([...world.flagsUnknown].some((k) => k.startsWith(`${folder} ${d}`))) continue;
    expect(onB.lines.find((l) => l.startsWith(d)), `${where}: copy flags ${folder} ${d}`).toBe(line);
  }
}

/** One sync step (killed at an operation, or not); returns the finished run, or undefined when killed or refused. */
async function syncStep(world: World, step: Extract<Step, { t: 'sync' | 'kill' }>, where: string): Promise<EngineRun | undefined> {
  const aBefore = view(world.a, world);
  const bBefore = view(world.b, world);
  let run: EngineRun | undefined;
  // No run is refused as a whole: the mirror guard withholds deletions folder by folder.
  if (step.t === 'sync') run = await world.sync();
  else {
    const counted = step.writes ? (op: MemoryOperation) => WRITE_OPERATIONS.has(op) : undefined;
    const outcome = await killedRun(world, world.statePath, step.when, step.op + 1, () => world.sync(), counted);
    if ('finished' in outcome) run = outcome.finished;
  }
  const { a, b } = checkAnyRun(aBefore, bBefore, world, where);
  if (run) checkFinishedRun(run, bBefore, a, b, world, where);
  return run;
}

interface HistoryOptions {
  restoresBInMirror?: boolean;
  bStoresKeywords?: boolean;
  mailboxIds?: boolean;
  /** The settle runs at the end run in this mode (a copy history followed by mirror runs). */
  settleMode?: SyncMode;
}

async function checkHistory(mode: SyncMode, history: Step[], options: HistoryOptions = {}): Promise<void> {
  const world = new World(mode, options.restoresBInMirror ?? false, options.bStoresKeywords ?? true, options.mailboxIds ?? false);
  for (const [i, step] of history.entries()) {
    if (step.t === 'sync' || step.t === 'kill') await syncStep(world, step, `step ${i} (${stepText(step)})`);
    else if (step.t === 'lose') loseState(world);
    else applyChange(world, step);
    // Excluded: new mail on a restored side before a run saw the restore. When it brings UIDNEXT,
    // MESSAGES and HIGHESTMODSEQ back to what the state recorded, the folder looks unchanged and is
    // skipped: "A+INBOX:m0,sync,restoreA~0,A+INBOX:m1" never copies m1 while the runs say ok
    // (reported). Until decided, a run follows every restore at once.
    // STATUS SIZE (SideStatus.size) now catches it when the folder's size differs too (tests in
    // twoWayReview.test.ts); it stays excluded because these histories' mails all have one size
    // (m0..m9), so new mail always brings the size back as well: the documented limit (--full).
    if (step.t === 'restore') await syncStep(world, { t: 'sync' }, `step ${i} (the run after ${stepText(step)})`);
  }
  if (options.settleMode !== undefined && options.settleMode !== world.mode) {
    world.mode = options.settleMode;
    // B's flags are no longer "only A's changes" once mirror takes over; mirror's own check applies.
    world.allFlagsUnknown = true;
  }
  await syncStep(world, { t: 'sync' }, 'settle 1');
  const last = await syncStep(world, { t: 'sync' }, 'settle 2');
  if (last) {
    const { copied, flagsUpdated, expunged } = last.summary;
    expect({ copied, flagsUpdated, expunged }, 'settle 2 did something').toEqual({ copied: 0, flagsUpdated: 0, expunged: 0 });
    // A keyword B cannot store is warned about when it is wanted anew, not on every run.
    expect(last.warnings.filter((w) => w.includes('cannot store the keyword')), 'settle 2 warned again').toEqual([]);
    await checkStateTruth(world, world.statePath, { storeA: world.specs.a.displayUrl, storeB: world.specs.b.displayUrl });
  }
}

/** A lost state: the state file and its journal are gone. */
function loseState(world: World): void {
  for (const suffix of ['', '.journal']) rmSync(world.statePath + suffix, { force: true });
}

/** Histories worth keeping as plain tests: mode, then the steps as a counterexample prints them. */
const FIXED: [SyncMode, string][] = [
  ['copy', 'A+INBOX:m1(+\\Seen),A+INBOX:m1,sync,B~INBOX#0(+kw-\\Seen),A~INBOX#0(+\\Flagged),sync'],
  ['mirror', 'A+INBOX:m1,A create F1,A+F1:t0.1,kill-after#9,A-INBOX#0,sync'],
  ['copy', 'A+INBOX:m0,sync,restoreB~0'],
  // Moves between folders, done on B's server (a kill right at the move, and after it).
  ['mirror', 'A+INBOX:m1,A+INBOX:m2,A create F1,sync,A>INBOX#0>F1,A~F1#0(+\\Flagged),sync'],
  ['copy', 'A+INBOX:m1,A create F1,sync,A>INBOX#0>F1,sync,B>INBOX#0>F1,sync'],
  ['mirror', 'A+INBOX:m1,A+INBOX:m2,A create F1,sync,A>INBOX#0>F1,kill-before-write#0,sync'],
  ['mirror', 'A+INBOX:m1,A+INBOX:m2,A create F1,sync,A>INBOX#1>F1,kill-after-write#0,sync'],
  ['copy', 'A+INBOX:m0,A+INBOX:m1,sync,restoreA~0,A+INBOX:m2'],
  ['mirror', 'A+INBOX:m0,A+INBOX:m1,sync,restoreA~0,A+INBOX:m2'],
  // Two Message-ID-less versions of equal size, one on each side: their global ids are equal.
  ['copy', 'A+INBOX:t0.0,B+INBOX:t0.1,sync'],
  ['mirror', 'A+INBOX:t0.0,B+INBOX:t0.1,sync'],
  ['copy', 'A+INBOX:t0.0,sync,A-INBOX#0,A+INBOX:t0.1,sync'],
  ['copy', 'B+INBOX:t0.0,kill-before-write#0,A+INBOX:t0.1,A+INBOX:t1.0'],
  ['copy', 'B+INBOX:t0.0,sync,A+INBOX:t0.1,sync'],
  // B restored to the status mirror read before its writes (its appends lost): UIDNEXT shows it.
  ['mirror', 'A+INBOX:m0,sync,restoreB~0,sync'],
  ['mirror', 'A+INBOX:m0,A+INBOX:m1,sync,A+INBOX:m2,sync,restoreB~1,sync'],
  // B's own keyword on the INBOX copy a server-side copy into F2 starts from: the copy gets A's flags, not kw (seed 926857141).
  ['copy', 'A create F2,sync,A+INBOX:m4,kill-before-write#1,A+F2:m4,B~INBOX#0(+kw),A create F1'],
  // A lost state, then runs killed before their writes: the pair matched again must not keep B's old keyword (seed 778142553).
  ['copy', 'A+INBOX:m0(+$Label1),sync,lose,A~INBOX#0(-$Label1),kill-before-write#0,kill-before#0'],
  // B moved a known message to another folder: its copy back into INBOX (re-sized from its envelope) must count as confirmed.
  ['mirror', 'A create F1,A+INBOX:m0,sync,B>INBOX#0>F1,A+F1:m1'],
];

describe('the engine on fixed histories (memory stores)', () => {
  for (const [mode, history] of FIXED) {
    it(`${mode}: ${history}`, async () => {
      await checkHistory(mode, history.split(',').map(parseStep), { restoresBInMirror: true });
    });
  }
});

describe('the engine on fixed histories, copy then mirror (memory stores)', () => {
  // A copy run killed before its state was ever committed: its journal holds INBOX's status, and B's own m1 (seed 701130887).
  for (const history of [
    'A create F1,A+F1:m0,B+INBOX:m1,kill-before-write#1',
    // B's own keyword on a message a server-side copy takes into F2: the copy must not carry it (seed 361039001).
    'A create F2,A+INBOX:m0,A+F2:m0,kill-before-write#2,B~INBOX#0(+kw),kill-before-write#1,snapA',
  ]) {
    it(`copy, then mirror: ${history}`, async () => {
      await checkHistory('copy', history.split(',').map(parseStep), { bStoresKeywords: history.includes('kw'), settleMode: 'mirror' });
    });
  }
});

describe('the engine on random histories (memory stores)', () => {
  // 1,000 histories per mode take about 15-40 s each on a busy 2-core machine.
  const numRuns = RUNS || 1000;
  const seed = SEED !== undefined ? { seed: Number(SEED) } : {};
  for (const mode of ['copy', 'mirror'] as const) {
    it(`${mode}: nothing lost, nothing twice, converges, then does nothing`, async () => {
      await fc.assert(
        fc.asyncProperty(historyArb, fc.boolean(), fc.boolean(), (history, bStoresKeywords, mailboxIds) => checkHistory(mode, history, { bStoresKeywords, mailboxIds })),
        { numRuns, ...seed },
      );
    }, Math.max(120_000, numRuns * 200));
  }

  // Copy keeps on B what A deleted and B's own flags; the first mirror run reads B in full and makes it A's.
  it('copy, then mirror: B becomes A (what the guard withholds aside)', async () => {
    await fc.assert(
      fc.asyncProperty(historyArb, fc.boolean(), fc.boolean(), (history, bStoresKeywords, mailboxIds) => checkHistory('copy', history, { bStoresKeywords, mailboxIds, settleMode: 'mirror' })),
      { numRuns: Math.ceil(numRuns / 4), ...seed },
    );
  }, Math.max(120_000, numRuns * 100));
});
