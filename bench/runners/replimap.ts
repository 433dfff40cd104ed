// replimap itself: `node bin/replimap.js sync A B … --json --stats -q`, with the
// passwords in REPLIMAP_PASSWORD_A/B. Tolerant on purpose: while the CLI is being
// written, a missing build or a failing run is reported and the bench goes on.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureProcess, tailOf } from './measure.js';
import type { StepName, StepOutcome, ToolContext, ToolRunner } from './types.js';

const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const LAUNCHER = join(REPO, 'bin', 'replimap.js');
const ENTRY = join(REPO, 'dist', 'cli', 'main.js');

interface ReplimapStats {
  commandsA?: number;
  commandsB?: number;
  bytesA?: number;
  bytesB?: number;
  raw: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isObject = (v: Json | undefined): v is { [key: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: Json | undefined): number | undefined => (typeof v === 'number' ? v : undefined);

/** Finds `{ stats: { a: {commands…}, b: {…} } }` anywhere in the printed JSON. */
function findStats(value: Json): { [key: string]: Json } | undefined {
  if (!isObject(value)) return undefined;
  const stats = value['stats'];
  if (isObject(stats) && isObject(stats['a']) && isObject(stats['b'])) return stats;
  for (const child of Object.values(value)) {
    const found = findStats(child);
    if (found) return found;
  }
  return undefined;
}

/** Parses the --json output: one document, or JSON lines of which the last object with stats wins. */
export function parseReplimapJson(stdout: string): ReplimapStats | undefined {
  const docs: Json[] = [];
  try {
    docs.push(JSON.parse(stdout) as Json);
  } catch {
    for (const line of stdout.split('\n')) {
      const t = line.trim();
      if (!t.startsWith('{')) continue;
      try {
        docs.push(JSON.parse(t) as Json);
      } catch {
        // progress or other text
      }
    }
  }
  for (const doc of docs.reverse()) {
    const stats = findStats(doc);
    if (!stats) continue;
    const a = stats['a'] as { [key: string]: Json };
    const b = stats['b'] as { [key: string]: Json };
    const bytes = (s: { [key: string]: Json }): number | undefined => {
      const i = num(s['bytesIn']);
      const o = num(s['bytesOut']);
      return i === undefined && o === undefined ? num(s['bytes']) : (i ?? 0) + (o ?? 0);
    };
    const out: ReplimapStats = { raw: doc };
    const ca = num(a['commands']);
    const cb = num(b['commands']);
    const ba = bytes(a);
    const bb = bytes(b);
    if (ca !== undefined) out.commandsA = ca;
    if (cb !== undefined) out.commandsB = cb;
    if (ba !== undefined) out.bytesA = ba;
    if (bb !== undefined) out.bytesB = bb;
    return out;
  }
  return undefined;
}

export class ReplimapRunner implements ToolRunner {
  readonly name = 'replimap' as const;
  private ctx: ToolContext | undefined;
  private statePath = '';

  constructor(private readonly extraArgs: string[] = []) {}

  async unavailableReason(): Promise<string | undefined> {
    if (!existsSync(ENTRY)) return `not built (${ENTRY} missing; run npm run build)`;
    return undefined;
  }

  async prepare(ctx: ToolContext): Promise<void> {
    this.ctx = ctx;
    this.statePath = join(ctx.workDir, 'replimap.state');
  }

  args(step?: StepName): string[] {
    const ctx = this.ctx;
    if (!ctx) throw new Error('replimap: prepare() first');
    const mode = ctx.twoWay ? ['--mode', 'two-way'] : ctx.mirror ? ['--mode', 'mirror'] : [];
    // Issue 9 §2: the filtered initial copy holds back what is over 1 MiB; the next step has no filter.
    const filter = step === 'filtered' ? ['--max-size', '1M'] : [];
    return [LAUNCHER, 'sync', ctx.a.url, ctx.b.url, '--tls-ca', ctx.a.caFile, '--state', this.statePath, '--json', '--stats', '-q', ...mode, ...filter, ...this.extraArgs];
  }

  async run(step: StepName): Promise<StepOutcome> {
    const ctx = this.ctx;
    if (!ctx) throw new Error('replimap: prepare() first');
    const m = await measureProcess(process.execPath, this.args(step), {
      cwd: REPO,
      env: { ...process.env, REPLIMAP_PASSWORD_A: ctx.a.password, REPLIMAP_PASSWORD_B: ctx.b.password },
      outDir: ctx.outDir,
      label: `replimap-${step}`,
      timeoutMs: ctx.timeoutMs,
    });
    const stats = parseReplimapJson(await readFile(m.stdoutFile, 'utf8').catch(() => ''));
    const ok = m.exitCode === 0;
    const outcome: StepOutcome = { ...m, ok };
    if (stats) outcome.reportedStats = stats;
    if (!ok) outcome.note = m.timedOut ? 'timed out' : `exit ${m.exitCode}: ${await tailOf(m.stderrFile)}`;
    else if (!stats) outcome.note = 'no stats in --json output';
    return outcome;
  }

  describe(): string {
    return 'replimap: `node bin/replimap.js sync <A> <B> --tls-ca <ca> --state <file> --json --stats -q' +
      (this.extraArgs.length > 0 ? ` ${this.extraArgs.join(' ')}` : '') +
      '` with REPLIMAP_PASSWORD_A/B, both stores over IMAPS through the proxies (default mode: copy; `--mode mirror` in the moves scenario, `--mode two-way` in the two-way scenario; `--max-size 1M` in the filter scenario\'s first step).';
  }

  configFiles(): Record<string, string> {
    return {};
  }
}
