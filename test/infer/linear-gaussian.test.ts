/**
 * The posterior families and the objectives against closed forms, on the linear-Gaussian mixed model of
 * test/uq/linear.nlm (y_ij = a + η_a + (k + η_k) t_ij + c t_ij² + ε_ij): the posterior of η_i is N(m_i, S_i) and
 * log p(Y_i) are exact formulas (test/uq/gaussian-closed-form.ts). Checked:
 *   - q = the exact posterior (full rank): the ELBO and the importance-weighted bound are log p(Y_i) exactly;
 *   - a wrong q: the mean gap is KL(q ‖ posterior) for the ELBO (K = 1) and χ²(posterior ‖ q)/(2K) at large K
 *     (the delta method), both closed forms, so the bound approaches log p(Y_i);
 *   - maximizing the ELBO over (μ, ℓ, L) recovers the exact posterior covariance S_i in the full-rank family, and
 *     the mean-field optimum σ_r² = 1/(S_i⁻¹)_rr (too small when η_a and η_k are correlated a posteriori) in the
 *     diagonal family;
 *   - the DReG encoder gradient: zero for every draw at the exact posterior (where the ordinary IWAE gradient is
 *     not), and elsewhere the same expectation as the ordinary gradient.
 * Sigma-point draws (ε = ±√2 e_r: mean 0, second moment I) make the sampled ELBO exact for this model, whose
 * log-likelihood is quadratic in η.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import type { Engine } from '../../runtime/engine/engine.js';
import { packSubjects } from '../../runtime/engine/engine-data.js';
import { prepareModel, type PreparedModel } from '../../runtime/engine/prepared-model.js';
import { evaluateElbo, type ElboBatch } from '../../runtime/infer/elbo.js';
import { populationLayout, type PopulationLayout } from '../../runtime/infer/population.js';
import { Random } from '../../runtime/nn/random.js';
import { closedForm, type Subject } from '../uq/gaussian-closed-form.js';

const N = 5;
let model: PreparedModel;
let engine: Engine;
let layout: PopulationLayout;
let subjects: Subject[];
let exact: ReturnType<typeof closedForm>[];
const v = Float64Array.from([1.2, 0.25, -0.04, Math.log(0.6), Math.log(0.15), Math.log(0.25)]);
const all = Array.from({ length: N }, (_, i) => i);
const noCovariates = all.map(() => new Float64Array(0));
/** Sigma points: mean 0 and second moment I over the 4 draws. */
const sigmaPoints = [Math.SQRT2, 0, -Math.SQRT2, 0, 0, Math.SQRT2, 0, -Math.SQRT2];

beforeAll(async () => {
  const compiled = compile(readFileSync(new URL('../uq/linear.nlm', import.meta.url), 'utf8'));
  model = await prepareModel(compiled);
  layout = populationLayout(compiled.ir!);
  const random = new Random(7);
  subjects = all.map(() => {
    const t = [0, 1, 2, 4, 6].map((x, j) => (j === 0 ? 0 : x + 0.3 * (random.uniform() - 0.5)));
    const a = 1.2 + 0.6 * random.normal();
    const k = 0.25 + 0.15 * random.normal();
    return { t, y: t.map((x) => a + k * x - 0.04 * x * x + 0.25 * random.normal()) };
  });
  const data = packSubjects(subjects.map((s) => ({ obsTimes: s.t, obsValues: s.y, obsOutputs: s.t.map(() => 0), doses: [], covariates: [] })), 0);
  engine = createCpuEngine(model, data, { rtol: 1e-11, atol: 1e-13, maxSteps: 1_000_000 });
  exact = subjects.map((s) => closedForm(s, v));
});

/** 2 × 2 helpers, row-major. */
const chol2 = (S: readonly number[]): number[] => {
  const l00 = Math.sqrt(S[0]!);
  const l10 = S[2]! / l00;
  return [l00, 0, l10, Math.sqrt(S[3]! - l10 * l10)];
};
const inv2 = (S: readonly number[]): number[] => {
  const det = S[0]! * S[3]! - S[1]! * S[2]!;
  return [S[3]! / det, -S[1]! / det, -S[2]! / det, S[0]! / det];
};
const det2 = (S: readonly number[]): number => S[0]! * S[3]! - S[1]! * S[2]!;

/** Variational parameters of q = N(m, LLᵀ) per subject, from 2 × 2 row-major factors (u = L₁₀ / L₁₁). */
function qOf(means: readonly number[][], factors: readonly number[][]): Pick<ElboBatch, 'mu' | 'logSigma' | 'lower'> {
  return {
    mu: Float64Array.from(means.flat()),
    logSigma: Float64Array.from(factors.flatMap((L) => [Math.log(L[0]!), Math.log(L[3]!)])),
    lower: Float64Array.from(factors.map((L) => L[2]! / L[3]!)),
  };
}

const logP = (): number => exact.reduce((s, e) => s + e.logLik, 0);

/** KL(N(m, D) ‖ N(μ, S)) in 2 dimensions. */
function klGauss(m: readonly number[], D: readonly number[], mu: readonly number[], S: readonly number[]): number {
  const P = inv2(S);
  const d = [m[0]! - mu[0]!, m[1]! - mu[1]!];
  const tr = P[0]! * D[0]! + P[1]! * D[2]! + P[2]! * D[1]! + P[3]! * D[3]!;
  const quad = d[0]! * (P[0]! * d[0]! + P[1]! * d[1]!) + d[1]! * (P[2]! * d[0]! + P[3]! * d[1]!);
  return 0.5 * (tr + quad - 2 + Math.log(det2(S) / det2(D)));
}

/** χ²(p ‖ q) = E_q[(p/q)²] − 1 for p = N(μ, S), q = N(m, D) (needs 2S⁻¹ − D⁻¹ positive definite). */
function chiSquare(mu: readonly number[], S: readonly number[], m: readonly number[], D: readonly number[]): number {
  const Ps = inv2(S);
  const Pd = inv2(D);
  const A = Ps.map((x, i) => 2 * x - Pd[i]!);
  expect(A[0]! > 0 && det2(A) > 0).toBe(true);
  const b = [2 * (Ps[0]! * mu[0]! + Ps[1]! * mu[1]!) - (Pd[0]! * m[0]! + Pd[1]! * m[1]!), 2 * (Ps[2]! * mu[0]! + Ps[3]! * mu[1]!) - (Pd[2]! * m[0]! + Pd[3]! * m[1]!)];
  const quad = (P: readonly number[], x: readonly number[]): number => x[0]! * (P[0]! * x[0]! + P[1]! * x[1]!) + x[1]! * (P[2]! * x[0]! + P[3]! * x[1]!);
  const Ai = inv2(A);
  // ∫ p²/q = |2πS|⁻¹ |2πD|^½ (2π)|A|^-½ exp(½ bᵀA⁻¹b − μᵀS⁻¹μ + ½ mᵀD⁻¹m).
  const logIntegral = -Math.log(det2(S)) + 0.5 * Math.log(det2(D)) - 0.5 * Math.log(det2(A)) + 0.5 * quad(Ai, b) - quad(Ps, mu) + 0.5 * quad(Pd, m);
  return Math.exp(logIntegral) - 1;
}

describe('linear-Gaussian model: the posterior families and objectives against closed forms', () => {
  it('q = the exact posterior: the ELBO (sigma points) and the IWAE (random draws) are log p(Y) exactly', async () => {
    const q = qOf(exact.map((e) => e.posterior.mean), exact.map((e) => chol2(e.posterior.cov)));
    const elbo = await evaluateElbo(model, engine, layout, v, { subjects: all, covariates: noCovariates, ...q, eps: Float64Array.from(all.flatMap(() => sigmaPoints)), samples: 4 });
    expect(Math.abs(elbo.elbo - logP())).toBeLessThan(1e-7);
    const random = new Random(3);
    const iw = await evaluateElbo(model, engine, layout, v, {
      subjects: all, covariates: noCovariates, ...q, samples: 2, iwSamples: 5, eps: Float64Array.from({ length: N * 10 * 2 }, () => random.normal()),
    });
    expect(Math.abs(iw.elbo - logP())).toBeLessThan(1e-7);
    // The mean-field family cannot represent it: its best ELBO falls short by Σ ½ (Σ_r log (S⁻¹)_rr − log |S⁻¹|).
    const diagonalGap = exact.reduce((s, e) => {
      const P = inv2(e.posterior.cov);
      return s + 0.5 * (Math.log(P[0]!) + Math.log(P[3]!) - Math.log(det2(P)));
    }, 0);
    const meanField = await evaluateElbo(model, engine, layout, v, {
      subjects: all, covariates: noCovariates, samples: 4, eps: Float64Array.from(all.flatMap(() => sigmaPoints)),
      mu: Float64Array.from(exact.flatMap((e) => e.posterior.mean)),
      logSigma: Float64Array.from(exact.flatMap((e) => inv2(e.posterior.cov).filter((_, i) => i === 0 || i === 3).map((p) => -0.5 * Math.log(p)))),
    });
    expect(diagonalGap).toBeGreaterThan(0.05);
    expect(Math.abs(logP() - meanField.elbo - diagonalGap)).toBeLessThan(1e-7);
  });

  it('a wrong q: the IWAE gap is KL(q ‖ p) at K = 1 and χ²/(2K) at K = 400, so the bound approaches log p(Y)', async () => {
    // q: the posterior mean moved by 0.4 sd, sds 1.3 × the marginal ones, the correlation ignored.
    const means = exact.map((e) => e.posterior.mean.map((m, r) => m + 0.4 * Math.sqrt(e.posterior.cov[3 * r]!)));
    const sds = exact.map((e) => [0, 1].map((r) => 1.3 * Math.sqrt(e.posterior.cov[3 * r]!)));
    const q = { mu: Float64Array.from(means.flat()), logSigma: Float64Array.from(sds.flat().map(Math.log)) };
    const D = sds.map(([s0, s1]) => [s0! * s0!, 0, 0, s1! * s1!]);
    const kl = exact.reduce((s, e, i) => s + klGauss(means[i]!, D[i]!, e.posterior.mean, e.posterior.cov), 0);
    const chi2 = exact.map((e, i) => chiSquare(e.posterior.mean, e.posterior.cov, means[i]!, D[i]!));
    const random = new Random(11);
    const gapOf = async (K: number, M: number): Promise<{ gap: number; se: number }> => {
      const values: number[] = [];
      for (let rep = 0; rep < M; rep++) {
        const r = await evaluateElbo(model, engine, layout, v, { subjects: all, covariates: noCovariates, ...q, samples: 1, iwSamples: K, eps: Float64Array.from({ length: N * K * 2 }, () => random.normal()) });
        values.push(logP() - r.elbo);
      }
      const mean = values.reduce((s, x) => s + x, 0) / M;
      const sd = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (M - 1));
      return { gap: mean, se: sd / Math.sqrt(M) };
    };
    // K = 1: the ELBO (closed-form KL), E[gap] = KL(q ‖ posterior).
    const one = await gapOf(1, 400);
    expect(kl).toBeGreaterThan(0.5);
    expect(Math.abs(one.gap - kl)).toBeLessThan(4 * one.se);
    const K = 400;
    const large = await gapOf(K, 24);
    const predicted = chi2.reduce((s, c) => s + c, 0) / (2 * K);
    expect(large.gap).toBeLessThan(kl / 50);
    expect(Math.abs(large.gap - predicted)).toBeLessThan(4 * large.se + 0.2 * predicted);
  });

  for (const family of ['fullrank', 'diagonal'] as const) {
    it(`maximizing the ELBO in the ${family} family recovers ${family === 'fullrank' ? 'the exact posterior covariance' : 'the mean-field optimum 1/(S⁻¹)_rr'}`, async () => {
      // Start far from the optimum: μ = 0, L = 0.5 I; gradient ascent with Adam (β₂ = 0.99, learning rate 0.03 decaying to 3e-6)
      // on the exact (sigma-point) ELBO.
      let mu = new Float64Array(N * 2);
      let logSigma = new Float64Array(N * 2).fill(Math.log(0.5));
      let lower = new Float64Array(N);
      const eps = Float64Array.from(all.flatMap(() => sigmaPoints));
      const x = [mu, logSigma, ...(family === 'fullrank' ? [lower] : [])];
      const m1 = x.map((a) => new Float64Array(a.length));
      const m2 = x.map((a) => new Float64Array(a.length));
      let last;
      const steps = 3000;
      for (let step = 1; step <= steps; step++) {
        last = await evaluateElbo(model, engine, layout, v, { subjects: all, covariates: noCovariates, mu, logSigma, ...(family === 'fullrank' ? { lower } : {}), eps, samples: 4 });
        const grads = [last.dMu, last.dLogSigma, last.dLower];
        const lr = 0.03 * (1e-4) ** (step / steps);
        x.forEach((a, n) => {
          for (let j = 0; j < a.length; j++) {
            const g = grads[n]![j]!;
            m1[n]![j] = 0.9 * m1[n]![j]! + 0.1 * g;
            m2[n]![j] = 0.99 * m2[n]![j]! + 0.01 * g * g;
            a[j] = a[j]! + (lr * m1[n]![j]! / (1 - 0.9 ** step)) / (Math.sqrt(m2[n]![j]! / (1 - 0.99 ** step)) + 1e-12);
          }
        });
        [mu, logSigma, lower] = [x[0]!, x[1]!, family === 'fullrank' ? x[2]! : lower];
      }
      const gmax = Math.max(...Array.from(last!.dMu, Math.abs), ...Array.from(last!.dLogSigma, Math.abs), ...(family === 'fullrank' ? Array.from(last!.dLower, Math.abs) : []));
      expect(gmax).toBeLessThan(1e-3);
      exact.forEach((e, i) => {
        const S = e.posterior.cov;
        const P = inv2(S);
        for (let r = 0; r < 2; r++) expect(Math.abs(mu[i * 2 + r]! - e.posterior.mean[r]!)).toBeLessThan(1e-3 * Math.sqrt(S[3 * r]!));
        const l00 = Math.exp(logSigma[i * 2]!);
        const l11 = Math.exp(logSigma[i * 2 + 1]!);
        const l10 = family === 'fullrank' ? l11 * lower[i]! : 0;
        const fitted = [l00 * l00, l00 * l10, l00 * l10, l10 * l10 + l11 * l11];
        const target = family === 'fullrank' ? S : [1 / P[0]!, 0, 0, 1 / P[3]!];
        for (let j = 0; j < 4; j++) expect(Math.abs(fitted[j]! - target[j]!), `subject ${i} entry ${j}: ${fitted[j]} vs ${target[j]}`).toBeLessThan(1e-3 * Math.sqrt(target[0]! * target[3]!));
        // The mean-field variances are too small whenever the posterior correlates η_a and η_k.
        if (family === 'diagonal') expect(fitted[0]!).toBeLessThan(0.95 * S[0]!);
      });
    });
  }

  it('DReG: zero encoder gradient at the exact posterior for every draw; elsewhere the ordinary gradient\'s expectation', async () => {
    const K = 16;
    const random = new Random(19);
    const draws = (): Float64Array => Float64Array.from({ length: N * K * 2 }, () => random.normal());
    const post = qOf(exact.map((e) => e.posterior.mean), exact.map((e) => chol2(e.posterior.cov)));
    const batch = (q: Pick<ElboBatch, 'mu' | 'logSigma' | 'lower'>, eps: Float64Array, encoderGradient: 'dreg' | 'reparameterized'): ElboBatch => ({ subjects: all, covariates: noCovariates, ...q, eps, samples: 1, iwSamples: K, encoderGradient });
    const eps0 = draws();
    const atPost = await evaluateElbo(model, engine, layout, v, batch(post, eps0, 'dreg'));
    const atPostReparam = await evaluateElbo(model, engine, layout, v, batch(post, eps0, 'reparameterized'));
    const norm = (r: typeof atPost): number => Math.hypot(...r.dMu, ...r.dLogSigma, ...r.dLower);
    expect(norm(atPost)).toBeLessThan(1e-6);
    expect(norm(atPostReparam)).toBeGreaterThan(1e-2);

    // A full-rank q away from the posterior: the mean of each encoder-gradient entry over M draws agrees.
    const wrong = qOf(
      exact.map((e) => e.posterior.mean.map((m, r) => m - 0.5 * Math.sqrt(e.posterior.cov[3 * r]!))),
      exact.map((e) => chol2(e.posterior.cov).map((l, j) => (j === 2 ? 0.3 * l : 1.2 * l))),
    );
    const M = 150;
    const sums = { dreg: [] as number[][], reparameterized: [] as number[][] };
    for (let rep = 0; rep < M; rep++) {
      const eps = draws();
      for (const kind of ['dreg', 'reparameterized'] as const) {
        const r = await evaluateElbo(model, engine, layout, v, batch(wrong, eps, kind));
        sums[kind].push([...r.dMu, ...r.dLogSigma, ...r.dLower]);
      }
    }
    const stats = (rows: number[][]) => rows[0]!.map((_, j) => {
      const mean = rows.reduce((s, row) => s + row[j]!, 0) / M;
      const sd = Math.sqrt(rows.reduce((s, row) => s + (row[j]! - mean) ** 2, 0) / (M - 1));
      return { mean, sd };
    });
    const dreg = stats(sums.dreg);
    const reparam = stats(sums.reparameterized);
    let lowerVariance = 0;
    dreg.forEach((d, j) => {
      const r = reparam[j]!;
      const se = Math.hypot(d.sd, r.sd) / Math.sqrt(M);
      expect(Math.abs(d.mean - r.mean), `entry ${j}: ${d.mean} vs ${r.mean} ± ${se}`).toBeLessThan(4.5 * se);
      if (d.sd < r.sd) lowerVariance++;
    });
    // And with a smaller spread for most entries (Tucker et al.: the ordinary gradient's SNR falls with K).
    expect(lowerVariance).toBeGreaterThan(0.7 * dreg.length);
  });
});
