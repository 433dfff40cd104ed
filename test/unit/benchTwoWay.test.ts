// The two-way bench scenario's own logic (issue 8 §4): how the corpus is split
// between the servers, the changes made on both sides and the model of what a
// correct two-way run yields; the mbsync two-way channel; CPU time per run.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateCorpus, planCorpus } from '../../bench/benchCorpus.js';
import { compareMailboxes, describeFidelity, digestOf, isFaithful, type MailboxDigest } from '../../bench/readback.js';
import { mbsyncConfig } from '../../bench/runners/mbsync.js';
import { measureProcess } from '../../bench/runners/measure.js';
import type { ToolContext } from '../../bench/runners/types.js';
import { applyToModel, planTwoWayChanges } from '../../bench/twoWayChanges.js';
import { buildTwoWayTemplate, placementOf } from '../../bench/twoWayCorpus.js';

const root = await mkdtemp(join(tmpdir(), 'bench-twoway-test-'));
afterAll(() => rm(root, { recursive: true, force: true }));

// Seed 3: INBOX holds duplicates whose originals fall on the other side by alternation.
const plan = planCorpus(12, 600, 3);

function corpusDigest(): MailboxDigest {
  const out: MailboxDigest = new Map();
  for (const m of generateCorpus(plan)) out.set(m.folder, [...(out.get(m.folder) ?? []), digestOf(m.raw, m.flags, m.internalDate)]);
  return out;
}

describe('two-way corpus split', () => {
  it('puts every third top-level folder on both sides, the others on one, children with their parent', () => {
    expect(plan.folders.slice(0, 3).map((f) => placementOf(f, plan))).toEqual(['both', 'a', 'b']);
    expect(['both', 'a', 'b']).toContain(placementOf('INBOX', plan));
    for (const child of plan.folders.filter((f) => f.includes('/'))) {
      expect(placementOf(child, plan), child).toBe(placementOf(child.split('/')[0]!, plan));
    }
  });

  it('splits the whole corpus between A and B, each folder where its placement says, duplicates with their original', async () => {
    const template = await buildTwoWayTemplate(plan, root, 'split');
    expect(template.messages.a + template.messages.b).toBe(600);
    expect(template.messages.a).toBeGreaterThan(0);
    expect(template.messages.b).toBeGreaterThan(0);
    const report = compareMailboxes(corpusDigest(), template.expected);
    expect(isFaithful(report), describeFidelity(report)).toBe(true);
    const onA = new Set(await readdir(template.dirs.a));
    const onB = new Set(await readdir(template.dirs.b));
    for (const folder of plan.folders.filter((f) => f !== 'INBOX' && !f.includes('/'))) {
      const placement = placementOf(folder, plan);
      expect(onA.has(folder), `${folder} on A`).toBe(placement !== 'b');
      expect(onB.has(folder), `${folder} on B`).toBe(placement !== 'a');
    }
    // INBOX is on both sides with different mail: no body (duplicates included) is on both.
    const bodies = async (dir: string): Promise<Set<string>> =>
      new Set(await Promise.all((await readdir(join(dir, 'cur'))).map(async (f) => digestOf(await readFile(join(dir, 'cur', f)), [], new Date(0)).sha256)));
    const inboxA = await bodies(template.dirs.a);
    const inboxB = await bodies(template.dirs.b);
    expect(inboxA.size).toBeGreaterThan(0);
    expect(inboxB.size).toBeGreaterThan(0);
    expect([...inboxA].filter((h) => inboxB.has(h))).toEqual([]);
  });
});

describe('two-way changes and their model', () => {
  const expected = corpusDigest();
  const changes = planTwoWayChanges(expected, plan);

  it('changes disjoint messages on the two sides, each named by a body found once in its folder', () => {
    const touched = (side: 'a' | 'b'): string[] => [...changes[side].flags, ...changes[side].expunges].map((c) => `${c.folder}|${c.sha256}`);
    const onA = new Set(touched('a'));
    expect(touched('b').filter((k) => onA.has(k))).toEqual([]);
    for (const c of [...changes.a.flags, ...changes.b.expunges]) {
      expect(expected.get(c.folder)!.filter((m) => m.sha256 === c.sha256)).toHaveLength(1);
    }
    for (const side of ['a', 'b'] as const) {
      expect(changes[side].flags.length).toBeGreaterThan(0);
      expect(changes[side].expunges.length).toBeGreaterThan(0);
      expect(changes[side].added.length).toBeGreaterThan(0);
    }
  });

  it('is the same for every tool run (deterministic)', () => {
    const again = planTwoWayChanges(corpusDigest(), plan);
    expect(again.a.flags).toEqual(changes.a.flags);
    expect(again.b.expunges).toEqual(changes.b.expunges);
    expect(again.b.added.map((m) => m.raw.toString('latin1'))).toEqual(changes.b.added.map((m) => m.raw.toString('latin1')));
  });

  it('models flags changed, messages expunged and added on both sides, leaving the starting model alone', () => {
    const before = JSON.stringify([...expected]);
    const after = applyToModel(expected, changes);
    expect(JSON.stringify([...expected])).toBe(before);
    const find = (folder: string, sha: string) => after.get(folder)!.find((m) => m.sha256 === sha);
    for (const c of [...changes.a.flags, ...changes.b.flags]) {
      const m = find(c.folder, c.sha256)!;
      for (const f of c.add) expect([...m.systemFlags, ...m.keywords]).toContain(f);
      for (const f of c.remove) expect([...m.systemFlags, ...m.keywords]).not.toContain(f);
    }
    for (const e of [...changes.a.expunges, ...changes.b.expunges]) expect(find(e.folder, e.sha256)).toBeUndefined();
    const added = [...changes.a.added, ...changes.b.added];
    for (const m of added) expect(find(m.folder, digestOf(m.raw, [], m.internalDate).sha256)).toBeDefined();
    const count = (d: MailboxDigest): number => [...d.values()].reduce((n, l) => n + l.length, 0);
    expect(count(after)).toBe(count(expected) - changes.a.expunges.length - changes.b.expunges.length + added.length);
  });
});

describe('bench runners in two-way scenarios', () => {
  const target = { host: '127.0.0.1', port: 993, user: 'u', password: 'p', caFile: '/ca.pem', url: 'imaps://u@127.0.0.1:993' };
  const ctx = (twoWay: boolean): ToolContext => ({ workDir: root, outDir: root, a: target, b: target, timeoutMs: 1000, mirror: false, twoWay });

  it('mbsync syncs both ways, creates and expunges on both sides; one-way stays a pull', () => {
    const two = mbsyncConfig(ctx(true), '/state');
    expect(two).toMatch(/^Sync All$/m);
    expect(two).toMatch(/^Create Both$/m);
    expect(two).toMatch(/^Expunge Both$/m);
    expect(two).not.toMatch(/Pull|Near$/m);
    expect(mbsyncConfig(ctx(false), '/state')).toMatch(/^Sync Pull$/m);
  });

  it('measures the CPU time and peak RSS of a tool process', async () => {
    const m = await measureProcess(process.execPath, ['-e', 'let x = 0; for (let i = 0; i < 1e6; i++) x += i;'], {
      cwd: root,
      outDir: root,
      label: 'cpu',
      timeoutMs: 60_000,
    });
    expect(m.exitCode).toBe(0);
    expect(Number.isFinite(m.cpuMs)).toBe(true);
    expect(m.cpuMs).toBeGreaterThanOrEqual(0);
    expect(m.peakRssKiB).toBeGreaterThan(1000);
  });
});
