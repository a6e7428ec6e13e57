/**
 * The objectives' gradients (population vector, μ, log σ = log diag L, the scaled strict lower entries u) against central finite
 * differences, on the f64 CPU back end: the ELBO and the importance-weighted bound, each for the diagonal and the
 * full-rank family. At fixed draws the IWAE's exact derivative is its ordinary ('reparameterized') gradient; the
 * DReG encoder gradient equals it only in expectation (test/infer/linear-gaussian.test.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { packSubjects } from '../../runtime/engine/engine-data.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { evaluateElbo, type ElboBatch } from '../../runtime/infer/elbo.js';
import { initialVector, populationLayout } from '../../runtime/infer/population.js';
import { Random } from '../../runtime/nn/random.js';

async function setup(file: string, subjects: Parameters<typeof packSubjects>[0], edit: (source: string) => string = (x) => x) {
  const compiled = compile(edit(readFileSync(new URL(`../../examples/${file}`, import.meta.url), 'utf8')));
  const model = await prepareModel(compiled);
  const data = packSubjects(subjects, compiled.ir!.covariates.length);
  const engine = createCpuEngine(model, data, { rtol: 1e-11, atol: 1e-13, maxSteps: 1_000_000 });
  return { ir: compiled.ir!, model, engine, layout: populationLayout(compiled.ir!) };
}

/** Checks every gradient entry of the ELBO by central differences. */
async function checkGradients(s: Awaited<ReturnType<typeof setup>>, batch: ElboBatch, population: Float64Array): Promise<void> {
  const base = await evaluateElbo(s.model, s.engine, s.layout, population, batch);
  expect(Number.isFinite(base.elbo)).toBe(true);
  const h = 1e-5;
  const check = (analytic: number, plus: number, minus: number): void => {
    const fd = (plus - minus) / (2 * h);
    expect(Math.abs(analytic - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
  };
  for (let n = 0; n < population.length; n++) {
    const up = Float64Array.from(population);
    const down = Float64Array.from(population);
    up[n] = up[n]! + h;
    down[n] = down[n]! - h;
    check(base.dPopulation[n]!, (await evaluateElbo(s.model, s.engine, s.layout, up, batch)).elbo, (await evaluateElbo(s.model, s.engine, s.layout, down, batch)).elbo);
  }
  for (const key of ['mu', 'logSigma', 'lower'] as const) {
    const values = batch[key];
    if (!values) continue;
    const grad = key === 'mu' ? base.dMu : key === 'logSigma' ? base.dLogSigma : base.dLower;
    expect(grad).toHaveLength(values.length);
    for (let n = 0; n < values.length; n++) {
      const up = Float64Array.from(values);
      const down = Float64Array.from(values);
      up[n] = up[n]! + h;
      down[n] = down[n]! - h;
      check(grad[n]!, (await evaluateElbo(s.model, s.engine, s.layout, population, { ...batch, [key]: up })).elbo, (await evaluateElbo(s.model, s.engine, s.layout, population, { ...batch, [key]: down })).elbo);
    }
  }
}

describe('ELBO gradients', () => {
  it('pk: φ, log ω, log σ, μ and log σ_q', async () => {
    const times = [0, 0.2, 0.7, 2.5, 5, 10];
    const s = await setup('pk/pk.nlm', [
      { obsTimes: times, obsValues: [2.1, 2.6, 3.0, 1.6, 0.5, 0.1], obsOutputs: times.map(() => 0), doses: [], covariates: [] },
      { obsTimes: times, obsValues: [1.9, 2.8, 3.2, 1.8, 0.4, 0.0], obsOutputs: times.map(() => 0), doses: [], covariates: [] },
    ]);
    const population = initialVector(s.layout).map((v) => v + 0.1);
    const batch: ElboBatch = {
      subjects: [0, 1], covariates: [new Float64Array(0), new Float64Array(0)], samples: 3,
      mu: Float64Array.from([0.2, -0.3]), logSigma: Float64Array.from([-1.2, -0.8]), eps: Float64Array.from([0.3, -1.1, 0.7, 1.4, -0.2, 0.5]),
    };
    expect(s.layout.entries.map((e) => e.name)).toEqual(['theta1', 'theta2', 'omega_theta1', 'sigma']);
    await checkGradients(s, batch, population);
  });

  it('theophylline: covariates in the prediction, doses, three random effects, combined error', async () => {
    const times = [0.25, 1, 2, 5, 9, 24];
    const s = await setup('theophylline/theophylline.nlm', [
      { obsTimes: times, obsValues: [2.8, 7.5, 8.1, 6.4, 4.9, 1.2], obsOutputs: times.map(() => 0), doses: [{ time: 0, amount: 320, input: 0, rate: 0 }], covariates: [79.6] },
    ]);
    const population = initialVector(s.layout);
    const batch: ElboBatch = {
      subjects: [0], covariates: [Float64Array.from([79.6])], samples: 2,
      mu: Float64Array.from([0.1, -0.05, 0.02]), logSigma: Float64Array.from([-1, -1.5, -2]), eps: Float64Array.from([0.4, -0.6, 1.2, -0.9, 0.3, -0.1]),
    };
    await checkGradients(s, batch, population);
  });

  it('theophylline, full-rank q: the closed-form KL and the data term through η = μ + Lε', async () => {
    const s = await theophylline();
    const batch: ElboBatch = {
      subjects: [0], covariates: [Float64Array.from([79.6])], samples: 2,
      mu: Float64Array.from([0.1, -0.05, 0.02]), logSigma: Float64Array.from([-1, -1.5, -2]), lower: Float64Array.from([0.15, -0.08, 0.05]),
      eps: Float64Array.from([0.4, -0.6, 1.2, -0.9, 0.3, -0.1]),
    };
    await checkGradients(s, batch, initialVector(s.layout));
    // With zero off-diagonal entries the full-rank objective is the diagonal one.
    const diagonal = await evaluateElbo(s.model, s.engine, s.layout, initialVector(s.layout), { ...batch, lower: undefined });
    const zero = await evaluateElbo(s.model, s.engine, s.layout, initialVector(s.layout), { ...batch, lower: new Float64Array(3) });
    expect(zero.elbo).toBeCloseTo(diagonal.elbo, 12);
    expect(Array.from(zero.dLogSigma)).toEqual(Array.from(diagonal.dLogSigma));
  });

  for (const family of ['diagonal', 'fullrank'] as const) {
    it(`importance-weighted bound (K = 3, L = 2), ${family}: population and reparameterized encoder gradients`, async () => {
      const s = await theophylline();
      const random = new Random(5);
      const batch: ElboBatch = {
        subjects: [0], covariates: [Float64Array.from([79.6])], samples: 2, iwSamples: 3, encoderGradient: 'reparameterized',
        mu: Float64Array.from([0.1, -0.05, 0.02]), logSigma: Float64Array.from([-1, -1.5, -2]),
        ...(family === 'fullrank' ? { lower: Float64Array.from([0.15, -0.08, 0.05]) } : {}),
        eps: Float64Array.from({ length: 2 * 3 * 3 }, () => random.normal()),
      };
      await checkGradients(s, batch, initialVector(s.layout).map((v, i) => v + 0.05 * Math.sin(i + 1)));
      // DReG changes only the encoder's gradient, not the bound or its population gradient.
      const dreg = await evaluateElbo(s.model, s.engine, s.layout, initialVector(s.layout), { ...batch, encoderGradient: 'dreg' });
      const reparam = await evaluateElbo(s.model, s.engine, s.layout, initialVector(s.layout), batch);
      expect(dreg.elbo).toBe(reparam.elbo);
      expect(Array.from(dreg.dPopulation)).toEqual(Array.from(reparam.dPopulation));
      expect(Array.from(dreg.dMu)).not.toEqual(Array.from(reparam.dMu));
    });
  }

  for (const iwSamples of [1, 3]) {
    it(`theophylline with a correlated block of three effects, full-rank q, ${iwSamples === 1 ? 'ELBO' : 'IWAE (K = 3)'}: the gradient in each correlation's z`, async () => {
      const times = [0.25, 1, 2, 5, 9, 24];
      const s = await setup('theophylline/theophylline.nlm', [
        { obsTimes: times, obsValues: [2.8, 7.5, 8.1, 6.4, 4.9, 1.2], obsOutputs: times.map(() => 0), doses: [{ time: 0, amount: 320, input: 0, rate: 0 }], covariates: [79.6] },
      ], (src) => src.replace('parameters {', 'parameters {\n  correlation(ka, CL) = 0.3\n  correlation(CL, V) = -0.2\n  correlation(ka, V) = 0.1'));
      expect(s.layout.entries.filter((e) => e.kind === 'corr').map((e) => e.name)).toEqual(['corr_ka_CL', 'corr_CL_V', 'corr_ka_V']);
      const random = new Random(7);
      const batch: ElboBatch = {
        subjects: [0], covariates: [Float64Array.from([79.6])], samples: 2, iwSamples, encoderGradient: 'reparameterized',
        mu: Float64Array.from([0.1, -0.05, 0.02]), logSigma: Float64Array.from([-1, -1.5, -2]), lower: Float64Array.from([0.15, -0.08, 0.05]),
        eps: Float64Array.from({ length: 2 * iwSamples * 3 }, () => random.normal()),
      };
      await checkGradients(s, batch, initialVector(s.layout).map((v, i) => v + 0.05 * Math.cos(i + 1)));
    });
  }

  it('pk, importance-weighted bound with K = 4: a one-effect model (no lower entries)', async () => {
    const s = await pk();
    const random = new Random(9);
    const batch: ElboBatch = {
      subjects: [0, 1], covariates: [new Float64Array(0), new Float64Array(0)], samples: 1, iwSamples: 4, encoderGradient: 'reparameterized',
      mu: Float64Array.from([0.2, -0.3]), logSigma: Float64Array.from([-1.2, -0.8]), lower: new Float64Array(0),
      eps: Float64Array.from({ length: 2 * 4 }, () => random.normal()),
    };
    await checkGradients(s, batch, initialVector(s.layout).map((v) => v + 0.1));
  });
});

async function theophylline() {
  const times = [0.25, 1, 2, 5, 9, 24];
  return setup('theophylline/theophylline.nlm', [
    { obsTimes: times, obsValues: [2.8, 7.5, 8.1, 6.4, 4.9, 1.2], obsOutputs: times.map(() => 0), doses: [{ time: 0, amount: 320, input: 0, rate: 0 }], covariates: [79.6] },
  ]);
}

async function pk() {
  const times = [0, 0.2, 0.7, 2.5, 5, 10];
  return setup('pk/pk.nlm', [
    { obsTimes: times, obsValues: [2.1, 2.6, 3.0, 1.6, 0.5, 0.1], obsOutputs: times.map(() => 0), doses: [], covariates: [] },
    { obsTimes: times, obsValues: [1.9, 2.8, 3.2, 1.8, 0.4, 0.0], obsOutputs: times.map(() => 0), doses: [], covariates: [] },
  ]);
}
