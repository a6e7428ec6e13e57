/**
 * bench:seed000 (issue #11 item 3): seed 000's comparison in one command, printed as a markdown table
 * (docs/seed000.md has the protocol and a recorded run).
 *
 * Data: bench/seed000/simulate.ts (its own RK4 of a one-compartment oral model with Michaelis–Menten elimination,
 * log-normal ka, V, Vmax per subject, proportional error), `train` subjects to fit and `held` held-out subjects.
 * Rows, each trained by nlmc's runtime (train(): Adam on the objective, the same encoder, seed and epochs):
 *   (a) the true mechanistic model (bench/seed000/mm-true.nlm), full-rank Gaussian q and flow q;
 *   (b) the elimination's C-dependence replaced by an mlp (mm-mlp.nlm), full-rank Gaussian q;
 *   (c) the deterministic autoencoder (posterior family `autoencoder`) with (b)'s decoder;
 *   (d) (b) with the flow q.
 * Metrics (RMSEs of log DV − log IPRED):
 *   forecast, mode — held-out subjects: from each one's observations at t ≤ SPLIT_TIME (4 h), the fitted model's
 *     posterior mode of η (Laplace's Newton search at the trained population values, started from the encoder's
 *     EBE) predicts the observations after 4 h (not for the autoencoder: it has no prior to take a mode with);
 *   forecast, encoder — the same, with the encoder's EBE (q's mean; the autoencoder's μ) from t ≤ 4 h itself: the
 *     encoder never saw a truncated subject in training, so this measures amortization off the design;
 *   held-out recon — held-out subjects, all observations, the encoder's EBE (amortization to new subjects);
 *   train recon — training subjects, all observations, the EBE;
 *   ELBO — per training subject, the mean of the last 20 epochs' training ELBO (the autoencoder has none: its
 *     reconstruction log-likelihood log p(Y | η = μ) is shown in brackets);
 *   −2LL — the marginal likelihood at the trained population values by AGQ (5 nodes per effect; the change to 7
 *     nodes is its error estimate); not defined for the autoencoder (ω is not estimated);
 *   cover ka / cover V — the fraction of training subjects whose simulated true ka_i (V_i) lies in q's 90 %
 *     interval (nominal 0.90; the autoencoder's interval is a point, so 0).
 *
 * Usage: npm run bench:seed000 [-- train held epochs samples seed]   (defaults 40 20 600 8 1)
 */
import { readFileSync } from 'node:fs';
import { compile } from '../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../runtime/data/index.js';
import { createCpuEngine } from '../runtime/engine/cpu/cpu-engine.js';
import type { EncoderConfig } from '../runtime/infer/encoder.js';
import { fitContext, type FitContext } from '../runtime/infer/fit-context.js';
import { initialVector } from '../runtime/infer/population.js';
import type { PosteriorFamily } from '../runtime/infer/posterior-family.js';
import { posteriors, predictionsAt, type ObservationPrediction } from '../runtime/infer/posterior.js';
import { defaultTrainOptions, train } from '../runtime/infer/train.js';
import { agqLikelihood } from '../runtime/uq/agq.js';
import { laplacePoints } from '../runtime/uq/laplace.js';
import { uqProblem } from '../runtime/uq/uncertainty.js';
import { intervals90 } from './seed000/intervals.js';
import { dataCsv, SPLIT_TIME, simulateSubjects, type SimulatedSubject } from './seed000/simulate.js';

const [trainCount = 40, heldCount = 20, epochs = 600, samples = 8, seed = 1] = process.argv.slice(2).map(Number);

interface Row {
  readonly label: string;
  readonly model: 'mm-true' | 'mm-mlp';
  readonly posterior: PosteriorFamily;
}

const ROWS: readonly Row[] = [
  { label: '(a) true model, full-rank Gaussian', model: 'mm-true', posterior: 'fullrank' },
  { label: '(a) true model, flow', model: 'mm-true', posterior: 'flow' },
  { label: '(b) mlp elimination, full-rank Gaussian', model: 'mm-mlp', posterior: 'fullrank' },
  { label: '(c) mlp decoder, deterministic autoencoder', model: 'mm-mlp', posterior: 'autoencoder' },
  { label: '(d) mlp elimination, flow', model: 'mm-mlp', posterior: 'flow' },
];

const subjects = simulateSubjects(trainCount + heldCount, 1000 + seed);
const trainSubjects = subjects.slice(0, trainCount);
const heldSubjects = subjects.slice(trainCount);

async function contextOf(modelName: Row['model'], csv: string, scaling?: FitContext['scaling']): Promise<FitContext> {
  const compiled = compile(readFileSync(new URL(`./seed000/${modelName}.nlm`, import.meta.url), 'utf8'));
  const read = readDataset(csv, `${modelName}.csv`, requirementsFromIr(compiled.ir!));
  if (!read.dataset) throw new Error(`the simulated data do not read: ${read.issues.map((i) => i.message).join('; ')}`);
  return fitContext(compiled, read.dataset, scaling);
}

const logRmse = (predictions: readonly ObservationPrediction[]): number => {
  const r = predictions.map((p) => Math.log(p.dv) - Math.log(p.ipred));
  return Math.sqrt(r.reduce((s, x) => s + x * x, 0) / r.length);
};

/** The fraction of subjects whose true value of parameter `name` lies in its interval. */
function coverage(ctx: FitContext, bounds: { lo: number; hi: number }[][], column: number, truth: readonly SimulatedSubject[], name: 'ka' | 'V'): number {
  return bounds.filter((b, i) => b[column]!.lo <= truth[i]![name] && truth[i]![name] <= b[column]!.hi).length / ctx.data.nSubjects;
}

async function runRow(row: Row) {
  const started = performance.now();
  const ctx = await contextOf(row.model, dataCsv(trainSubjects));
  const engine = createCpuEngine(ctx.model, ctx.data, { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000, method: ctx.model.method });
  const config: EncoderConfig = { kind: 'conv', stepFeatures: ctx.inputs.stepFeatures, staticFeatures: ctx.inputs.staticFeatures, randomEffects: ctx.model.dims.neta, hidden: 16, seed };
  const options = { ...defaultTrainOptions, posterior: row.posterior, maxEpochs: epochs, samples, learningRate: 0.02, patience: epochs, seed };
  const result = await train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, config, initialVector(ctx.layout), options);
  const trainSeconds = (performance.now() - started) / 1000;
  const population = Float64Array.from(result.state.population);
  const fitted = await posteriors(ctx, result.encoder, population);

  // Held-out subjects: the encoder on all their observations (amortized reconstruction of new subjects), and the
  // forecast — from the observations at t ≤ SPLIT_TIME, the encoder's EBE and the fitted model's posterior mode
  // (Laplace, from that EBE), each predicting the later observations.
  const whole = await contextOf(row.model, dataCsv(heldSubjects), ctx.scaling);
  const heldRecon = (await posteriors(whole, result.encoder, population)).predictions;
  const firstHalf = await contextOf(row.model, dataCsv(heldSubjects, (t) => t <= SPLIT_TIME), ctx.scaling);
  const fromEncoder = await posteriors(firstHalf, result.encoder, population);
  const later = (q: Parameters<typeof predictionsAt>[2]) => predictionsAt(whole, population, q).then((r) => r.predictions.filter((p) => p.time > SPLIT_TIME));
  const forecastEncoder = await later(fromEncoder.subjects);
  let forecastMode = NaN;
  if (row.posterior !== 'autoencoder') {
    const problem = uqProblem(firstHalf);
    const modes = await laplacePoints(problem, population, fromEncoder.subjects.map((s) => s.mu));
    (problem.engine as { dispose?: () => void }).dispose?.();
    forecastMode = logRmse(await later(modes.mode.map((mu) => ({ mu, sd: new Float64Array(mu.length) }))));
  }

  const last = result.state.trace.slice(-20);
  const objective = last.reduce((s, r) => s + r.elbo, 0) / last.length;
  const names = ctx.ir.parameters.map((p) => p.name);
  const bounds = intervals90(ctx, result.encoder, population, [names.indexOf('ka'), names.indexOf('V')]);
  let minus2LL: string = '—';
  if (row.posterior !== 'autoencoder') {
    const problem = uqProblem(ctx);
    const agq = await agqLikelihood(problem, population, fitted.subjects.map((s) => s.mu), 5);
    (problem.engine as { dispose?: () => void }).dispose?.();
    minus2LL = `${(-2 * agq.logLik).toFixed(1)} (±${Math.abs(2 * agq.convergence).toFixed(1)})`;
  }
  return {
    heldRecon: logRmse(heldRecon), forecastEncoder: logRmse(forecastEncoder), forecastMode, recon: logRmse(fitted.predictions),
    elbo: row.posterior === 'autoencoder' ? `— [${objective.toFixed(2)}]` : objective.toFixed(2), minus2LL,
    coverKa: coverage(ctx, bounds, 0, trainSubjects, 'ka'), coverV: coverage(ctx, bounds, 1, trainSubjects, 'V'),
    epochs: result.state.epoch, stop: result.stop, trainSeconds, seconds: (performance.now() - started) / 1000,
  };
}

const t0 = performance.now();
console.log(`seed 000 comparison: ${trainCount} training + ${heldCount} held-out subjects, ${epochs} epochs, ${samples} draws, seed ${seed}\n`);
console.log('| row | forecast, mode | forecast, encoder | held-out recon | train recon | ELBO / subject | −2LL (AGQ) | cover ka | cover V | epochs | train s | total s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const fixed = (x: number): string => (Number.isNaN(x) ? '—' : x.toFixed(3));
for (const row of ROWS) {
  const m = await runRow(row);
  console.log(`| ${row.label} | ${fixed(m.forecastMode)} | ${fixed(m.forecastEncoder)} | ${fixed(m.heldRecon)} | ${fixed(m.recon)} | ${m.elbo} | ${m.minus2LL} | ${m.coverKa.toFixed(2)} | ${m.coverV.toFixed(2)} | ${m.epochs} (${m.stop}) | ${m.trainSeconds.toFixed(0)} | ${m.seconds.toFixed(0)} |`);
}
console.log(`\nnoise floor: the simulated proportional error b = 0.1 gives a log-scale RMSE of about 0.10; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
