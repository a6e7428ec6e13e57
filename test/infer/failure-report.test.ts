/**
 * A diverged fit says why (issue #17 item 4; reproducers in test/fixtures/repro/num and test/fixtures/stiff): which
 * subjects' trajectories fail, the solver's status, between which observation times, the predictions computed up to
 * there kept, and a flag that was measured to help. The oracle is the closed form of the blow-up model,
 * X(t) = 1 / (1 − k t), which is finite for t < 1/k and infinite at t = 1/k.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { divergenceReport, traceFailures } from '../../runtime/infer/failure-report.js';
import { fitContext } from '../../runtime/infer/fit-context.js';

const fixture = (path: string): string => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');

async function contextOf(model: string, data: string, method: 'explicit' | 'rosenbrock' = 'explicit') {
  const compiled = compile(fixture(model));
  const read = readDataset(fixture(data), data, requirementsFromIr(compiled.ir!));
  return fitContext(compiled, read.dataset!, undefined, method);
}

const settings = { rtol: 1e-9, atol: 1e-11, maxSteps: 20_000, method: 'explicit' as const };

describe('tracing failed trajectories', () => {
  it('finds the last observation reached and keeps the predictions up to it (closed form 1 / (1 − k t))', async () => {
    const ctx = await contextOf('repro/num/blowup.nlm', 'repro/num/blowup.csv');
    // Subject 1 is observed at 0, 0.2, 0.5, 0.8, 2, 5, 10; k = 1 blows up at t = 1, k = 0.4 at 2.5, k = 0.05 at 20.
    const times = [0, 0.2, 0.5, 0.8, 2, 5, 10];
    const ks = [1, 0.4, 0.05];
    const rows = { subject: new Int32Array(ks.length), p: Float64Array.from(ks) };
    const engine = createCpuEngine(ctx.model, ctx.data, settings);
    const traced = await traceFailures(ctx.model, ctx.data, settings, rows, await engine.simulate(rows));
    const M = ctx.data.maxObs;
    expect(traced.failures.map((f) => [f.row, f.status, f.reached, f.after, f.before])).toEqual([
      [0, TrajectoryStatus.StepTooSmall, 4, 0.8, 2],
      [1, TrajectoryStatus.StepTooSmall, 5, 2, 5],
    ]);
    ks.forEach((k, r) => {
      times.forEach((t, j) => {
        const got = traced.predictions[r * M + j]!;
        if (t < 1 / k) expect(Math.abs(got - 1 / (1 - k * t))).toBeLessThan(1e-6 / (1 - k * t) ** 2);
        else expect(got).toBeNaN();
      });
    });
  }, 60_000);
});

describe('the divergence report', () => {
  it('a model that blows up: the subjects, where, the cause, and that the stiff solver fails too', async () => {
    const ctx = await contextOf('repro/num/blowup.nlm', 'repro/num/blowup.csv');
    // Every subject at k = 1: each blows up at t = 1, between its observations at 0.8 and 2 (all of blowup.csv
    // observe at the same times).
    const S = ctx.data.nSubjects;
    const rows = { subject: Int32Array.from({ length: S }, (_, i) => i), p: new Float64Array(S).fill(1) };
    const report = await divergenceReport(ctx.model, ctx.data, rows, settings, { ids: ctx.dataset.ids, method: 'explicit', backend: 'cpu', epoch: 1, learningRate: 0.05 });
    expect(report.lines).toEqual([
      'the trajectories of 20 subjects fail at the estimates written (f64 CPU back end):',
      '  IDs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 10 more (20 subjects, between TIME 0.8 and 2): the step size fell below its minimum',
      '  try: the trajectories fail with --method rosenbrock (the stiff solver) too: the solution may become infinite in finite time at these parameters (a singularity), or they are far from where the model is defined; check the model and its initial values',
    ]);
    expect(report.summary).toBe('20 subjects fail at the estimates written (ID 1 (between TIME 0.8 and 2): the step size fell below its minimum; …)');
  }, 60_000);

  it('a stiff model under the explicit method: the step budget, and --method rosenbrock because it was measured to succeed', async () => {
    const ctx = await contextOf('stiff/stiff.nlm', 'stiff/stiff.csv');
    const rows = { subject: Int32Array.from([0, 1]), p: Float64Array.from([10000, 0.1, 10000, 0.1]) };
    const report = await divergenceReport(ctx.model, ctx.data, rows, settings, { ids: ctx.dataset.ids, method: 'explicit', backend: 'cpu', epoch: 4, learningRate: 0.05 });
    expect(report.lines[1]).toMatch(/^ {2}IDs 1, 2 \(2 subjects(, between TIME [\d.]+ and [\d.]+)?\): the solver needed more than 20000 steps$/);
    expect(report.lines.slice(2)).toEqual([
      '  try: --method rosenbrock: with the stiff solver 2 of these 2 trajectories succeed',
      '  try: training reached these parameters after 3 epochs from initial values that worked: a smaller learning rate keeps its steps shorter (--lr 0.025)',
    ]);
  }, 120_000);
});

describe('nlmc fit on a model that blows up', () => {
  it('exit 3, the subjects and the cause on stderr and in fit.json, and the predictions before the blow-up kept', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nlmc-blowup-')), 'run');
    let stderr = '';
    const args: FitArgs = {
      model: new URL('../fixtures/repro/num/blowup.nlm', import.meta.url).pathname, data: new URL('../fixtures/repro/num/blowup.csv', import.meta.url).pathname,
      out, backend: 'cpu', seed: 1, epochs: 3, samples: 4, learningRate: 0.05, validation: 0, patience: 100, resume: false, progress: 'quiet', map: {}, color: false, uncertainty: false,
    };
    const code = await runFit(args, { stdout: () => {}, stderr: (s) => void (stderr += s), isTty: false }, () => false);
    expect(code).toBe(3);
    expect(stderr).toMatch(/nlmc fit: the trajectories of 20 subjects fail at the estimates written \(f64 CPU back end\):\n/);
    expect(stderr).toMatch(/nlmc fit: {3}IDs 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 10 more \(20 subjects, between TIME 0\.8 and 2\): the step size fell below its minimum\n/);
    expect(stderr).toMatch(/try: the trajectories fail with --method rosenbrock \(the stiff solver\) too/);
    const fit = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8')) as { complete: boolean; message: string };
    expect(fit.complete).toBe(false);
    expect(fit.message).toMatch(/the ELBO became NaN at epoch 1 .*; 20 subjects fail at the estimates written \(ID 1 \(between TIME 0\.8 and 2\): the step size fell below its minimum; …\)$/);
    // PRED is at η = 0 (k = 1): 1 / (1 − t) before t = 1, empty after.
    const lines = readFileSync(join(out, 'predictions.csv'), 'utf8').trim().split('\n');
    const header = lines[0]!.split(',');
    const col = (name: string): number => header.indexOf(name);
    for (const line of lines.slice(1)) {
      const cells = line.split(',');
      const t = Number(cells[col('TIME')]);
      const pred = cells[col('PRED')]!;
      if (t < 1) expect(Math.abs(Number(pred) - 1 / (1 - t))).toBeLessThan(1e-5);
      else expect(pred).toBe('');
    }
  }, 120_000);
});
