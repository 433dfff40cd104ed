// Load benchmark for the state file: 1,000,000 records over 100 folder pairs.
// Run with `npx tsx bench/state-load.ts [records] [folders]`. Each measured
// phase runs in a fresh child process so its peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyncState } from '../src/state/SyncState.js';
import type { MessageRecord } from '../src/state/types.js';

const identity = { storeA: 'imaps://alice@a.example/', storeB: 'imaps://alice@b.example/' };
const FLAG_SETS: string[][] = [
  ['\\Seen'], ['\\Seen'], ['\\Seen'], ['\\Seen'], ['\\Seen'], ['\\Seen'],
  [], ['\\Flagged', '\\Seen'], ['\\Answered', '\\Seen'], ['$Forwarded', '\\Seen'], ['$label1', '\\Seen'], ['\\Deleted', '\\Seen'],
];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A deterministic 16-character base64url id (96 bits, like a truncated hash). */
function gidOf(n: number): string {
  let x = (n * 2654435761) >>> 0;
  let y = (n * 40503 + 12345) >>> 0;
  let out = '';
  for (let i = 0; i < 16; i++) {
    const v = i < 8 ? x : y;
    out += B64[(v >>> ((i % 8) * 4)) & 63];
    if (i % 4 === 3) x = (x * 1103515245 + 12345) >>> 0;
  }
  return out;
}

function ms(t0: bigint): string {
  return `${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`;
}

function rssMb(): string {
  return `${(process.memoryUsage().rss / 1048576).toFixed(0)} MB`;
}

function peakMb(): string {
  return `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`;
}

async function generate(path: string, total: number, folders: number): Promise<void> {
  const t0 = process.hrtime.bigint();
  const s = await SyncState.open(path, identity);
  const per = Math.floor(total / folders);
  let n = 0;
  for (let f = 0; f < folders; f++) {
    const nameA = f === 0 ? 'INBOX' : `Archive/${2000 + f} Ünïcode "folder"`;
    const nameB = nameA;
    s.apply({ op: 'folder', nameA, nameB });
    const status = { uidValidity: 1700000000n + BigInt(f), uidNext: per * 2 + 1, highestModseq: 2n ** 62n + BigInt(f), messages: per };
    s.apply({ op: 'status', nameA, nameB, side: 'a', status });
    s.apply({ op: 'status', nameA, nameB, side: 'b', status });
    const records: MessageRecord[] = [];
    for (let i = 0; i < per; i++, n++) {
      records.push({ uidA: i * 2 + 1, uidB: i + 1, gid: gidOf(n), flags: FLAG_SETS[n % FLAG_SETS.length]! });
    }
    s.apply({ op: 'reset', nameA, nameB, records });
  }
  await s.commit();
  await s.close();
  console.log(`generate (apply ${n} records as resets + first commit): ${ms(t0)}, file ${(statSync(path).size / 1048576).toFixed(1)} MB, peak RSS ${peakMb()}`);
}

async function loadPhase(path: string): Promise<void> {
  const rss0 = rssMb();
  let t0 = process.hrtime.bigint();
  const s = await SyncState.open(path, identity);
  console.log(`open (lazy): ${ms(t0)}, RSS ${rss0} -> ${rssMb()}`);

  t0 = process.hrtime.bigint();
  let records = 0;
  for (const k of s.folderKeys()) records += s.folder(k.nameA, k.nameB)!.records().length;
  console.log(`parse all ${records} records: ${ms(t0)}, RSS ${rssMb()}`);

  t0 = process.hrtime.bigint();
  let uids = 0;
  for (const k of s.folderKeys()) uids += s.folder(k.nameA, k.nameB)!.knownUids('a').length + s.folder(k.nameA, k.nameB)!.knownUids('b').length;
  console.log(`knownUids a+b for every folder (${uids} uids): ${ms(t0)}`);

  t0 = process.hrtime.bigint();
  await s.commit();
  console.log(`commit, no folder changed (verbatim sections): ${ms(t0)}`);

  t0 = process.hrtime.bigint();
  for (const k of s.folderKeys()) {
    s.apply({ op: 'put', nameA: k.nameA, nameB: k.nameB, record: { uidA: 4_000_000_000, uidB: 0, gid: 'newmessage', flags: [] } });
  }
  console.log(`one put in every folder (indexes built): ${ms(t0)}, RSS ${rssMb()}`);
  t0 = process.hrtime.bigint();
  await s.commit();
  console.log(`commit, every folder changed (all re-serialized): ${ms(t0)}`);
  await s.close();
  console.log(`peak RSS of this process: ${peakMb()}`);
}

async function lazyOnly(path: string): Promise<void> {
  let t0 = process.hrtime.bigint();
  const s = await SyncState.open(path, identity);
  const k = s.folderKeys()[7]!;
  s.apply({ op: 'put', nameA: k.nameA, nameB: k.nameB, record: { uidA: 4_000_000_000, uidB: 0, gid: 'newmessage', flags: ['\\Seen'] } });
  console.log(`open + one put in one folder: ${ms(t0)}`);
  t0 = process.hrtime.bigint();
  await s.commit();
  await s.close();
  console.log(`commit (1 folder re-serialized, 99 verbatim): ${ms(t0)}, peak RSS ${peakMb()}`);
}

async function manyPuts(path: string): Promise<void> {
  const s = await SyncState.open(path, identity);
  s.apply({ op: 'folder', nameA: 'Big', nameB: 'Big' });
  const t0 = process.hrtime.bigint();
  for (let i = 1; i <= 100_000; i++) s.apply({ op: 'put', nameA: 'Big', nameB: 'Big', record: { uidA: i, uidB: 0, gid: gidOf(i), flags: ['\\Seen'] } });
  for (let i = 1; i <= 100_000; i++) s.apply({ op: 'put', nameA: 'Big', nameB: 'Big', record: { uidA: i, uidB: i, gid: gidOf(i), flags: ['\\Seen'] } });
  await s.flush();
  console.log(`200,000 puts into one folder + flush: ${ms(t0)}`);
  await s.close();
}

/** A run that journaled `total` puts and died before committing; then the next open replays them. */
async function replay(path: string, total: number, folders: number): Promise<void> {
  let t0 = process.hrtime.bigint();
  const s = await SyncState.open(path, identity);
  const per = Math.floor(total / folders);
  for (let f = 0; f < folders; f++) {
    const name = `Folder ${f}`;
    s.apply({ op: 'folder', nameA: name, nameB: name });
    for (let i = 1; i <= per; i++) {
      s.apply({ op: 'put', nameA: name, nameB: name, record: { uidA: i, uidB: i, gid: gidOf(f * per + i), flags: FLAG_SETS[i % FLAG_SETS.length]! } });
    }
    await s.flush();
  }
  await s.close(); // no commit: the journal is all there is
  console.log(`journal ${total} puts (flush per folder): ${ms(t0)}, journal ${(statSync(path + '.journal').size / 1048576).toFixed(1)} MB`);
  t0 = process.hrtime.bigint();
  const r = await SyncState.open(path, identity);
  console.log(`open + replay ${total} journaled puts: ${ms(t0)}, RSS ${rssMb()}`);
  t0 = process.hrtime.bigint();
  await r.commit();
  await r.close();
  console.log(`commit after replay: ${ms(t0)}, peak RSS ${peakMb()}`);
}

const [, , phase, arg1, arg2] = process.argv;
const self = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
function child(...args: string[]): void {
  // cwd: `--import tsx` is resolved from there.
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, ...args], { stdio: 'inherit', cwd: repoRoot });
  if (r.status !== 0) throw new Error(`bench phase ${args[0]} failed`);
}

if (phase === 'generate') await generate(arg1!, Number(arg2?.split(',')[0]), Number(arg2?.split(',')[1]));
else if (phase === 'load') await loadPhase(arg1!);
else if (phase === 'lazy') await lazyOnly(arg1!);
else if (phase === 'puts') await manyPuts(arg1!);
else if (phase === 'replay') await replay(arg1!, Number(arg2?.split(',')[0]), Number(arg2?.split(',')[1]));
else {
  const total = Number(phase ?? 1_000_000);
  const folders = Number(arg1 ?? 100);
  const dir = mkdtempSync(join(tmpdir(), 'replimap-state-bench-'));
  const path = join(dir, 'state');
  console.log(`state benchmark: ${total} records over ${folders} folders (node ${process.version})`);
  try {
    child('generate', path, `${total},${folders}`);
    child('lazy', path);
    child('load', path);
    child('puts', join(dir, 'puts-state'));
    child('replay', join(dir, 'replay-state'), `${total},${folders}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
