// One tool through the two-way scenario (issue 8 §4) at one RTT: both servers
// seeded with their part of the corpus, an initial two-way run, changes made on
// BOTH sides, an incremental run, then a no-op run. After every run both sides
// are read back and checked against the model (what a correct two-way sync
// yields) and against each other (did they converge).

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stepFigures, type StepRecord } from './results.js';
import { compareMailboxes, describeFidelity, isFaithful, readMailbox, type FidelityReport, type MailboxDigest } from './readback.js';
import type { StepName, ToolRunner } from './runners/types.js';
import { applySideChanges, applyToModel, planTwoWayChanges, type TwoWayChangeSummary } from './twoWayChanges.js';
import { SIDES, type Side, type TwoWayTemplate } from './twoWayCorpus.js';
import { endpointOf, log, measureStep, withToolRun, type ToolRunSetup } from './toolRun.js';

export const TWO_WAY_STEPS: readonly StepName[] = ['initial', 'changes', 'noop'];

export interface TwoWayRun {
  runner: ToolRunner;
  rttMs: number;
  template: TwoWayTemplate;
  outDir: string;
  timeoutMs: number;
  base: Omit<StepRecord, 'step' | 'ok'>;
}

/** Both sides read back, judged against the model and against each other. */
interface TwoWayCheck {
  reading: Record<Side, MailboxDigest>;
  reports: { a: FidelityReport; b: FidelityReport; aVersusB: FidelityReport };
}

async function checkBothSides(setup: ToolRunSetup, expected: MailboxDigest): Promise<TwoWayCheck> {
  const reading = { a: await readMailbox(endpointOf(setup.a)), b: await readMailbox(endpointOf(setup.b)) };
  return {
    reading,
    reports: { a: compareMailboxes(expected, reading.a), b: compareMailboxes(expected, reading.b), aVersusB: compareMailboxes(reading.a, reading.b) },
  };
}

/** One line per check for the tables: each side against the model, then A against B. */
function describeCheck(check: TwoWayCheck): Pick<StepRecord, 'fidelity' | 'faithful'> {
  const { a, b, aVersusB } = check.reports;
  const side = (r: FidelityReport): string => (isFaithful(r) ? 'as expected' : describeFidelity(r));
  return {
    fidelity: `A: ${side(a)}; B: ${side(b)}; A vs B: ${isFaithful(aVersusB) ? 'same' : describeFidelity(aVersusB)}`,
    faithful: isFaithful(a) && isFaithful(b) && isFaithful(aVersusB),
  };
}

/** Makes both sides' changes, each against what that side holds now; returns the new model. */
async function changeBothSides(setup: ToolRunSetup, template: TwoWayTemplate, reading: Record<Side, MailboxDigest>): Promise<{ expected: MailboxDigest; summary: TwoWayChangeSummary }> {
  const changes = planTwoWayChanges(template.expected, template.plan);
  const summary: TwoWayChangeSummary = { flagChanges: { a: 0, b: 0 }, expunges: { a: 0, b: 0 }, added: { a: 0, b: 0 }, notApplied: { a: 0, b: 0 } };
  for (const side of SIDES) {
    summary.notApplied[side] = await applySideChanges(side === 'a' ? setup.a : setup.b, reading[side], changes[side]);
    summary.flagChanges[side] = changes[side].flags.length;
    summary.expunges[side] = changes[side].expunges.length;
    summary.added[side] = changes[side].added.length;
  }
  return { expected: applyToModel(template.expected, changes), summary };
}

/** Runs the three steps; returns their records (a failed initial run skips the rest). */
export async function runTwoWayTool(run: TwoWayRun): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  const runDir = run.outDir;
  await mkdir(runDir, { recursive: true });
  const workDir = await mkdtemp(join(tmpdir(), `replimap-bench-${run.runner.name}-`));
  const context = { workDir, outDir: runDir, timeoutMs: run.timeoutMs, mirror: false, twoWay: true };
  try {
    await withToolRun({ templates: run.template.dirs, rttMs: run.rttMs, runner: run.runner, context }, async (setup) => {
      let expected = run.template.expected;
      let reading: Record<Side, MailboxDigest> | undefined;
      for (const step of TWO_WAY_STEPS) {
        let changes: TwoWayChangeSummary | undefined;
        if (step === 'changes' && reading) {
          ({ expected, summary: changes } = await changeBothSides(setup, run.template, reading));
          log(`    both sides changed: ${JSON.stringify(changes)}`);
        }
        const record = await measureStep(run.runner, step, setup, run.base);
        if (changes) record.twoWayChanges = changes;
        const check = await checkBothSides(setup, expected);
        reading = check.reading;
        Object.assign(record, describeCheck(check));
        await writeFile(join(runDir, `fidelity-${step}.json`), JSON.stringify(check.reports, null, 2));
        records.push(record);
        log(`  ${run.runner.name} ${step}: ${record.ok ? 'ok' : `FAILED (${record.note ?? ''})`} ${stepFigures(record)}, check: ${record.fidelity}`);
        if (!record.ok && step === 'initial') {
          for (const later of TWO_WAY_STEPS.slice(1)) records.push({ ...run.base, step: later, ok: false, note: 'skipped: initial sync failed' });
          break;
        }
      }
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${run.runner.name}: bench error: ${message}`);
    records.push({ ...run.base, step: 'initial', ok: false, note: `bench error: ${message}` });
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  return records;
}
