/**
 * bench:seed000 (issue #11 item 3): seed 000's comparison in one command, printed as a markdown table
 * (docs/seed000.md has the protocol and a recorded run).
 *
 * Data: bench/seed000/simulate.ts (its own RK4 of a one-compartment oral model with Michaelis–Menten elimination,
 * log-normal ka, V, Vmax per subject, proportional error), `train` subjects to fit and `held` held-out subjects.
 * Rows, each trained by nlmc's runtime (train(): Adam on the objective, the same encoder, seed, epochs and batches),
 * after a reference row (o): the true model at the true population values, untrained (what the design allows);
 *   (a) the true mechanistic model (bench/seed000/mm-true.nlm), full-rank Gaussian q and flow q;
 *   (b) the elimination's C-dependence replaced by an mlp (mm-mlp.nlm), full-rank Gaussian q;
 *   (c) the deterministic autoencoder (posterior family `autoencoder`) with (b)'s decoder;
 *   (d) (b) with the flow q.
 * Metrics (RMSEs of log DV − log IPRED):
 *   forecast, mode — held-out subjects: from each one's observations at t ≤ SPLIT_TIME (8 h), the fitted model's
 *     posterior mode of η (Laplace's Newton search at the trained population values, started from the encoder's
 *     EBE) predicts the observations after 8 h (not for the autoencoder: it has no prior to take a mode with);
 *   forecast, encoder — the same, with the encoder's EBE (q's mean; the autoencoder's μ) from t ≤ 8 h itself: the
 *     encoder never saw a truncated subject in training, so this measures amortization off the design;
 *   held-out recon — held-out subjects, all observations, the encoder's EBE (amortization to new subjects);
 *   train recon — training subjects, all observations, the EBE;
 *   ELBO — per training subject at the trained state, 64 fixed draws per subject (bench/seed000/final-elbo.ts; the
 *     autoencoder has none: its reconstruction log-likelihood log p(Y | η = μ) is shown in brackets);
 *   −2LL — the marginal likelihood at the trained population values by AGQ (5 nodes per effect; the change to 7
 *     nodes is its error estimate); not defined for the autoencoder (ω is not estimated);
 *   cover ka / cover V — the fraction of training subjects whose simulated true ka_i (V_i) lies in q's 90 %
 *     interval (nominal 0.90; the autoencoder's interval is a point, so 0).
 *
 * Usage: npm run bench:seed000 [-- train held epochs samples seed lr rows]   (defaults 40 20 1000 8 1 0.02 oabcd; o: the reference row)
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
import { finalElbo } from './seed000/final-elbo.js';
import { intervals90 } from './seed000/intervals.js';
import { dataCsv, SPLIT_TIME, simulateSubjects, TRUTH, type SimulatedSubject } from './seed000/simulate.js';

const [trainCount = 40, heldCount = 20, epochs = 1000, samples = 8, seed = 1, learningRate = 0.02] = process.argv.slice(2, 8).map(Number);
/** Which rows to run, by letter (e.g. "ab"); all by default. */
const only = process.argv[8] ?? 'oabcd';

interface Row {
  readonly label: string;
  readonly model: 'mm-true' | 'mm-mlp';
  readonly posterior: PosteriorFamily;
  /** Epochs as a multiple of the command's (default 1). */
  readonly epochFactor?: number;
}

const ROWS: readonly Row[] = [
  { label: '(a) true model, full-rank Gaussian', model: 'mm-true', posterior: 'fullrank' },
  { label: '(a) true model, flow', model: 'mm-true', posterior: 'flow' },
  { label: '(b) mlp elimination, full-rank Gaussian', model: 'mm-mlp', posterior: 'fullrank' },
  { label: '(c) mlp decoder, deterministic autoencoder', model: 'mm-mlp', posterior: 'autoencoder' },
  // One trajectory per subject and step instead of `samples`: the same number of solves as (b) takes samples × the epochs.
  { label: '(c) the same, samples × the epochs', model: 'mm-mlp', posterior: 'autoencoder', epochFactor: samples },
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

/** The true model at the simulation's population values, on the model's unconstrained scales (its entries by name). */
function truthVector(ctx: FitContext): Float64Array {
  const natural: Record<string, number> = { ka: TRUTH.ka, V: TRUTH.V, Vmax: TRUTH.Vmax, Km: TRUTH.Km, omega_ka: TRUTH.omega.ka, omega_V: TRUTH.omega.V, omega_Vmax: TRUTH.omega.Vmax, b: TRUTH.b };
  return Float64Array.from(ctx.layout.entries, (e) => Math.log(natural[e.name]!));
}

/**
 * The reference row: no training — the true model at the true population values. Its forecast (the posterior mode
 * from t ≤ SPLIT_TIME) is what the design allows at best; its −2LL the data's under the truth.
 */
async function oracleRow() {
  const started = performance.now();
  const ctx = await contextOf('mm-true', dataCsv(trainSubjects));
  const population = truthVector(ctx);
  const whole = await contextOf('mm-true', dataCsv(heldSubjects), ctx.scaling);
  const firstHalf = await contextOf('mm-true', dataCsv(heldSubjects, (t) => t <= SPLIT_TIME), ctx.scaling);
  const zeros = (n: number) => Array.from({ length: n }, () => new Float64Array(ctx.model.dims.neta));
  const later = await laterPredictions(whole, population, (await modesOf(firstHalf, population, zeros(heldCount))).map(pointAt));
  const forecastMode = logRmse(later);
  const forecastTypical = logRmse(later.map((p) => ({ ...p, ipred: p.pred })));
  const problem = uqProblem(ctx);
  const modes = await laplacePoints(problem, population, zeros(trainCount));
  const agq = await agqLikelihood(problem, population, modes.mode, 5);
  (problem.engine as { dispose?: () => void }).dispose?.();
  const recon = logRmse((await predictionsAt(ctx, population, modes.mode.map(pointAt))).predictions);
  return { forecastMode, forecastTypical, recon, minus2LL: `${(-2 * agq.logLik).toFixed(1)} (±${Math.abs(2 * agq.convergence).toFixed(1)})`, seconds: (performance.now() - started) / 1000 };
}

const pointAt = (mu: Float64Array) => ({ mu, sd: new Float64Array(mu.length) });

/** Each subject's posterior mode of η under the model at `population` (Laplace's Newton search from `start`). */
async function modesOf(ctx: FitContext, population: Float64Array, start: readonly Float64Array[]): Promise<readonly Float64Array[]> {
  const problem = uqProblem(ctx);
  const points = await laplacePoints(problem, population, start);
  (problem.engine as { dispose?: () => void }).dispose?.();
  return points.mode;
}

/** The predictions after SPLIT_TIME of the subjects of `whole` at the given EBEs. */
async function laterPredictions(whole: FitContext, population: Float64Array, q: Parameters<typeof predictionsAt>[2]): Promise<ObservationPrediction[]> {
  return (await predictionsAt(whole, population, q)).predictions.filter((p) => p.time > SPLIT_TIME);
}

async function runRow(row: Row) {
  const started = performance.now();
  const ctx = await contextOf(row.model, dataCsv(trainSubjects));
  const engine = createCpuEngine(ctx.model, ctx.data, { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000, method: ctx.model.method });
  const config: EncoderConfig = { kind: 'conv', stepFeatures: ctx.inputs.stepFeatures, staticFeatures: ctx.inputs.staticFeatures, randomEffects: ctx.model.dims.neta, hidden: 16, seed };
  // Batches of 10 subjects: 4 Adam steps per epoch at the cost of one (600 epochs, true model: −2LL 224.6 → 208.1);
  // the stopping rules and the learning-rate schedule are nlmc fit's (patience 100: the rate halves after 50 epochs
  // without improvement — with it off, 800 epochs ended at a worse −2LL than 600).
  const options = { ...defaultTrainOptions, posterior: row.posterior, maxEpochs: epochs * (row.epochFactor ?? 1), samples, learningRate, seed, batchSize: 10 };
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
  const forecastEncoder = await laterPredictions(whole, population, fromEncoder.subjects);
  const forecastMode = row.posterior === 'autoencoder' ? NaN : logRmse(await laterPredictions(whole, population, (await modesOf(firstHalf, population, fromEncoder.subjects.map((s) => s.mu))).map(pointAt)));

  const objective = await finalElbo(ctx, engine, result.encoder, population, 64);
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
console.log(`seed 000 comparison: ${trainCount} training + ${heldCount} held-out subjects, ${epochs} epochs, ${samples} draws, learning rate ${learningRate}, seed ${seed}\n`);
console.log('| row | forecast, mode | forecast, encoder | held-out recon | train recon | ELBO / subject | −2LL (AGQ) | cover ka | cover V | epochs | train s | total s |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
const fixed = (x: number): string => (Number.isNaN(x) ? '—' : x.toFixed(3));
let typical: number | undefined;
if (only.includes('o')) {
  const o = await oracleRow();
  typical = o.forecastTypical;
  console.log(`| (o) reference: true model at the true population values, no training | ${fixed(o.forecastMode)} | — | — | ${fixed(o.recon)} | — | ${o.minus2LL} | — | — | — | — | ${o.seconds.toFixed(0)} |`);
}
for (const row of ROWS.filter((r) => only.includes(r.label[1]!))) {
  const m = await runRow(row);
  console.log(`| ${row.label} | ${fixed(m.forecastMode)} | ${fixed(m.forecastEncoder)} | ${fixed(m.heldRecon)} | ${fixed(m.recon)} | ${m.elbo} | ${m.minus2LL} | ${m.coverKa.toFixed(2)} | ${m.coverV.toFixed(2)} | ${m.epochs} (${m.stop}) | ${m.trainSeconds.toFixed(0)} | ${m.seconds.toFixed(0)} |`);
}
if (typical !== undefined) console.log(`\nthe typical subject's curve (η = 0) at the true population values forecasts the held-out subjects' observations after ${SPLIT_TIME} h with RMSE ${fixed(typical)}`);
console.log(`\nnoise floor: the simulated proportional error b = 0.1 gives a log-scale RMSE of about 0.10; total ${((performance.now() - t0) / 1000).toFixed(0)} s`);
