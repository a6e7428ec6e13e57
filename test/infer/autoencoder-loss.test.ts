/**
 * The deterministic autoencoder (posterior family `autoencoder`, runtime/infer/autoencoder-loss.ts):
 *
 * 1. its objective's gradients (φ, log σ_error, μ) against central finite differences, ω's gradient zero and the
 *    objective independent of ω (it has no prior term);
 * 2. a small fit of y = 3·e^{−k_i t} + noise: the trained autoencoder's reconstruction error against an oracle that
 *    does not use nlmc — per-subject least squares of the same curve by this test's own golden-section search over
 *    log k_i. With one residual sd for all subjects the autoencoder's optimum is that oracle's total squared error
 *    (the encoder can at best output each subject's own least-squares η), so its SSE must be ≥ the oracle's (up to
 *    the solver's tolerance) and close to it; σ̂ is the RMS of its own residuals (σ's maximum-likelihood value);
 *    ω stays at its initial value.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { evaluateAutoencoderLoss } from '../../runtime/infer/autoencoder-loss.js';
import type { EncoderConfig } from '../../runtime/infer/encoder.js';
import { fitContext } from '../../runtime/infer/fit-context.js';
import { initialVector, unpack } from '../../runtime/infer/population.js';
import { posteriors } from '../../runtime/infer/posterior.js';
import { defaultTrainOptions, train } from '../../runtime/infer/train.js';
import { mulberry32, standardNormal } from '../support/seeded-random.js';

const source = `model mono
parameters {
  k = 0.5 lognormal(omega = 0.4)
}
states { X(0) = 3 }
ode { d/dt X = -k * X }
observe { y ~ normal(X, sd = sigma) }
error { sigma = 0.3 }
`;
const times = [0.25, 0.5, 1, 2, 4, 6];
const truth = { k: 0.4, omega: 0.5, sigma: 0.08 };
const curve = (k: number, t: number): number => 3 * Math.exp(-k * t);

function simulated(subjects: number): { csv: string; ys: number[][] } {
  const u = mulberry32(777);
  const ys: number[][] = [];
  const lines = ['ID,TIME,DV'];
  for (let i = 1; i <= subjects; i++) {
    const k = truth.k * Math.exp(truth.omega * standardNormal(u));
    const y = times.map((t) => curve(k, t) + truth.sigma * standardNormal(u));
    ys.push(y);
    times.forEach((t, j) => lines.push(`${i},${t},${y[j]!.toPrecision(8)}`));
  }
  return { csv: `${lines.join('\n')}\n`, ys };
}

/** The oracle: min over k of Σ (y − 3e^{−kt})² by golden-section search on log k (unimodal here). */
function leastSquaresSse(y: readonly number[]): number {
  const sse = (logK: number): number => times.reduce((s, t, j) => s + (y[j]! - curve(Math.exp(logK), t)) ** 2, 0);
  let [a, b] = [-6, 3];
  const g = (Math.sqrt(5) - 1) / 2;
  for (let n = 0; n < 200; n++) {
    const c = b - g * (b - a);
    const d = a + g * (b - a);
    if (sse(c) < sse(d)) b = d;
    else a = c;
  }
  return sse((a + b) / 2);
}

async function setup(subjects: number) {
  const data = simulated(subjects);
  const compiled = compile(source);
  const dataset = readDataset(data.csv, 'data.csv', requirementsFromIr(compiled.ir!)).dataset!;
  const ctx = await fitContext(compiled, dataset);
  const engine = createCpuEngine(ctx.model, ctx.data, { rtol: 1e-10, atol: 1e-12, maxSteps: 100_000 });
  return { ...data, ctx, engine };
}

describe('autoencoder objective', () => {
  it('gradients in φ, log σ and μ match central differences; ω does not enter', async () => {
    const { ctx, engine } = await setup(3);
    const population = Float64Array.from([Math.log(0.45), Math.log(0.4), Math.log(0.15)]);
    expect(ctx.layout.entries.map((e) => e.kind)).toEqual(['phi', 'logOmega', 'logError']);
    const batch = { subjects: [0, 1, 2], covariates: ctx.covariates, mu: Float64Array.from([0.3, -0.2, 0.5]) };
    const loss = (v: Float64Array, mu = batch.mu) => evaluateAutoencoderLoss(ctx.model, engine, ctx.layout, v, { ...batch, mu });
    const base = await loss(population);
    expect(Number.isFinite(base.elbo)).toBe(true);
    expect(base.kl).toBe(0);
    const h = 1e-5;
    const fd = async (f: (x: number) => Promise<number>) => ((await f(h)) - (await f(-h))) / (2 * h);
    for (let n = 0; n < population.length; n++) {
      const shifted = (x: number) => loss(Float64Array.from(population, (v, m) => (m === n ? v + x : v))).then((r) => r.elbo);
      const numeric = await fd(shifted);
      expect(Math.abs(base.dPopulation[n]! - numeric), ctx.layout.entries[n]!.name).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
    }
    // log ω: zero gradient and, by differences, a flat objective.
    expect(base.dPopulation[1]).toBe(0);
    expect((await loss(Float64Array.from([population[0]!, 3, population[2]!]))).elbo).toBe(base.elbo);
    for (let n = 0; n < batch.mu.length; n++) {
      const numeric = await fd((x) => loss(population, Float64Array.from(batch.mu, (v, m) => (m === n ? v + x : v))).then((r) => r.elbo));
      expect(Math.abs(base.dMu[n]! - numeric)).toBeLessThan(1e-5 * Math.max(1, Math.abs(numeric)));
      expect(Math.abs(base.dMu[n]!)).toBeGreaterThan(1e-3);
    }
  });

  it('a trained autoencoder reconstructs the data as well as per-subject least squares; ω stays at its start', async () => {
    const { ctx, engine, ys } = await setup(24);
    const config: EncoderConfig = { kind: 'conv', stepFeatures: ctx.inputs.stepFeatures, staticFeatures: ctx.inputs.staticFeatures, randomEffects: 1, hidden: 16, seed: 3 };
    const options = { ...defaultTrainOptions, posterior: 'autoencoder' as const, maxEpochs: 800, patience: 2000, learningRate: 0.05, seed: 5 };
    const initial = initialVector(ctx.layout);
    const result = await train(ctx.model, engine, ctx.inputs, ctx.covariates, ctx.layout, config, initial, options);
    const population = Float64Array.from(result.state.population);
    expect(population[1]).toBe(initial[1]);
    const q = await posteriors(ctx, result.encoder, population);
    expect(q.subjects.every((s) => s.sd[0] === 0)).toBe(true);
    const sse = q.predictions.reduce((s, p) => s + (p.dv - p.ipred) ** 2, 0);
    const oracle = ys.reduce((s, y) => s + leastSquaresSse(y), 0);
    const atTypical = q.predictions.reduce((s, p) => s + (p.dv - p.pred) ** 2, 0);
    expect(sse).toBeGreaterThan(oracle * (1 - 1e-6));
    expect(sse / oracle).toBeLessThan(1.1);
    // The population curve alone is far worse: the check could fail.
    expect(atTypical / oracle).toBeGreaterThan(5);
    const sigma = unpack(ctx.layout, population).error[0]!;
    expect(Math.abs(sigma / Math.sqrt(sse / q.predictions.length) - 1)).toBeLessThan(0.05);
  }, 60_000);
});
