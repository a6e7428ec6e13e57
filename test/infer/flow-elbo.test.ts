/**
 * The flow family's objective (elbo.ts with `flow`): every gradient — population vector, μ, log σ, the scaled
 * lower entries and each planar layer's raw parameters — against central finite differences on the f64 CPU back
 * end, for the ELBO (K = 1) and the importance-weighted bound (K = 3); and, with the layers at the identity, the
 * bound equals the Gaussian family's at the same draws (so log q's flow part adds exactly log|det| = 0).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { packSubjects } from '../../runtime/engine/engine-data.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { evaluateElbo, type ElboBatch } from '../../runtime/infer/elbo.js';
import { flowInitialBias, flowWidth } from '../../runtime/infer/flow.js';
import { initialVector, populationLayout } from '../../runtime/infer/population.js';
import { Random } from '../../runtime/nn/random.js';

async function theophylline() {
  const times = [0.25, 1, 2, 5, 9, 24];
  const compiled = compile(readFileSync(new URL('../../examples/theophylline/theophylline.nlm', import.meta.url), 'utf8'));
  const model = await prepareModel(compiled);
  const data = packSubjects([
    { obsTimes: times, obsValues: [2.8, 7.5, 8.1, 6.4, 4.9, 1.2], obsOutputs: times.map(() => 0), doses: [{ time: 0, amount: 320, input: 0, rate: 0 }], covariates: [79.6] },
  ], compiled.ir!.covariates.length);
  const engine = createCpuEngine(model, data, { rtol: 1e-11, atol: 1e-13, maxSteps: 1_000_000 });
  return { model, engine, layout: populationLayout(compiled.ir!) };
}

type Setup = Awaited<ReturnType<typeof theophylline>>;
const keys = ['mu', 'logSigma', 'lower', 'flow'] as const;
const gradientOf = { mu: 'dMu', logSigma: 'dLogSigma', lower: 'dLower', flow: 'dFlow' } as const;

async function checkGradients(s: Setup, batch: ElboBatch, population: Float64Array): Promise<void> {
  const elbo = async (p: Float64Array, b: ElboBatch): Promise<number> => (await evaluateElbo(s.model, s.engine, s.layout, p, b)).elbo;
  const base = await evaluateElbo(s.model, s.engine, s.layout, population, batch);
  expect(Number.isFinite(base.elbo)).toBe(true);
  const h = 1e-5;
  const check = (analytic: number, plus: number, minus: number): void => {
    const fd = (plus - minus) / (2 * h);
    expect(Math.abs(analytic - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
  };
  const shifted = (v: Float64Array, n: number, d: number): Float64Array => Float64Array.from(v, (x, k) => (k === n ? x + d : x));
  for (let n = 0; n < population.length; n++) check(base.dPopulation[n]!, await elbo(shifted(population, n, h), batch), await elbo(shifted(population, n, -h), batch));
  for (const key of keys) {
    const values = batch[key]!;
    const grad = base[gradientOf[key]];
    expect(grad).toHaveLength(values.length);
    for (let n = 0; n < values.length; n++) check(grad[n]!, await elbo(population, { ...batch, [key]: shifted(values, n, h) }), await elbo(population, { ...batch, [key]: shifted(values, n, -h) }));
  }
}

describe('flow family objective', () => {
  for (const iwSamples of [1, 3]) {
    it(`theophylline, three effects, ${iwSamples === 1 ? 'ELBO' : 'IWAE (K = 3)'}: gradients in every input vs central differences`, async () => {
      const s = await theophylline();
      const random = new Random(13);
      const flow = Float64Array.from(flowInitialBias(3), (v) => v + 0.4 * random.normal());
      expect(flow).toHaveLength(flowWidth(3));
      const batch: ElboBatch = {
        subjects: [0], covariates: [Float64Array.from([79.6])], samples: 2, iwSamples,
        mu: Float64Array.from([0.1, -0.05, 0.02]), logSigma: Float64Array.from([-1, -1.5, -2]), lower: Float64Array.from([0.15, -0.08, 0.05]),
        eps: Float64Array.from({ length: 2 * iwSamples * 3 }, () => random.normal()), flow,
      };
      await checkGradients(s, batch, initialVector(s.layout).map((v, i) => v + 0.05 * Math.sin(i + 1)));
    });
  }

  it('at the identity flow the bound is the Gaussian family’s (K = 3, reparameterized)', async () => {
    const s = await theophylline();
    const random = new Random(17);
    const gaussian: ElboBatch = {
      subjects: [0], covariates: [Float64Array.from([79.6])], samples: 2, iwSamples: 3, encoderGradient: 'reparameterized',
      mu: Float64Array.from([0.1, -0.05, 0.02]), logSigma: Float64Array.from([-1, -1.5, -2]), lower: Float64Array.from([0.15, -0.08, 0.05]),
      eps: Float64Array.from({ length: 2 * 3 * 3 }, () => random.normal()),
    };
    const population = initialVector(s.layout);
    const a = await evaluateElbo(s.model, s.engine, s.layout, population, gaussian);
    const b = await evaluateElbo(s.model, s.engine, s.layout, population, { ...gaussian, flow: flowInitialBias(3) });
    expect(Math.abs(a.elbo - b.elbo)).toBeLessThan(1e-9);
    a.dMu.forEach((g, k) => expect(Math.abs(g - b.dMu[k]!)).toBeLessThan(1e-9));
    a.dLogSigma.forEach((g, k) => expect(Math.abs(g - b.dLogSigma[k]!)).toBeLessThan(1e-9));
  });
});
