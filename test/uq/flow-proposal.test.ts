/**
 * The flow family's importance proposal (runtime/uq/flow-proposal.ts, chosen by uncertainty.ts for a subject whose
 * q carries its flow):
 *
 * - log r of every draw, both shares, against the mixture density written here independently: q(η) in 1-D by
 *   change of variables, ε found by bisection of this file's own η(ε) = μ + σ f(ε) and |dη/dε| by central
 *   differences; in 2-D, E_r[N(η; 0, Ω) / r(η)] = 1 within its Monte-Carlo error (r normalized, correlated L);
 * - on the skewed case (test/fixtures/flow: one late observation, the exact log p(y_i) by quadrature of the closed
 *   form), the importance step's log p̂_i from the fitted flows agrees with quadrature within the reported
 *   Monte-Carlo error, subject by subject and in total, and the ESS it reports is the weights' own.
 */
import { describe, expect, it } from 'vitest';
import { effectsPrior } from '../../stdlib/effects-prior.js';
import { Random } from '../../runtime/nn/random.js';
import { drawFlowMixture } from '../../runtime/uq/flow-proposal.js';
import { defaultImportance } from '../../runtime/uq/proposal.js';
import { runEstimator, type SubjectProposal } from '../../runtime/uq/uncertainty.js';
import { flowPosterior } from '../../runtime/infer/posterior.js';
import { exactLogMarginal, fitQ, setup, simulate } from '../fixtures/flow/skewed.js';

/** 1-D planar layers from their formula (raw u, w, b per layer; û by the invertibility constraint and flow.ts's bound |û| < 4). */
function f(eps: number, params: readonly number[]): number {
  let z = eps;
  for (let o = 0; o < params.length; o += 3) {
    const [u, w, b] = [params[o]!, params[o + 1]!, params[o + 2]!];
    const uBar = u + ((-1 + Math.log1p(Math.exp(w * u)) - w * u) * w) / (w * w);
    const uHat = uBar === 0 ? 0 : (uBar * 4 * Math.tanh(Math.abs(uBar) / 4)) / Math.abs(uBar);
    z += uHat * Math.tanh(w * z + b);
  }
  return z;
}

/** log q(η) for η = μ + σ f(ε), ε ~ N(0, 1): ε by bisection (f is increasing), the Jacobian by differences. */
function logQ(eta: number, mu: number, sigma: number, params: readonly number[]): number {
  const target = (eta - mu) / sigma;
  let [lo, hi] = [-50, 50];
  for (let k = 0; k < 200; k++) {
    const mid = (lo + hi) / 2;
    if (f(mid, params) < target) lo = mid;
    else hi = mid;
  }
  const eps = (lo + hi) / 2;
  const h = 1e-6;
  const slope = (sigma * (f(eps + h, params) - f(eps - h, params))) / (2 * h);
  return -0.5 * Math.log(2 * Math.PI) - eps * eps / 2 - Math.log(slope);
}

const logNormal = (x: number, s: number): number => -0.5 * Math.log(2 * Math.PI) - Math.log(s) - (x / s) ** 2 / 2;

describe('flow importance proposal', () => {
  it('1-D: log r of the prior share and of the flow share equals the mixture density by change of variables', () => {
    const params = [1.2, 0.9, 0.7, -0.5, 1.5, -0.4];
    const [mu, sigma, omega] = [0.3, 0.4, 0.8];
    const d = drawFlowMixture({ mu: [mu], chol: [sigma], layers: params }, effectsPrior([omega], [], []), 400, new Random(3), defaultImportance);
    const a = defaultImportance.defensive;
    let worst = 0;
    for (let l = 0; l < 400; l++) {
      const eta = d.eta[l]!;
      const oracle = Math.log((1 - a) * Math.exp(logQ(eta, mu, sigma, params)) + a * Math.exp(logNormal(eta, omega)));
      worst = Math.max(worst, Math.abs(d.logDensity[l]! - oracle));
    }
    expect(worst).toBeLessThan(1e-6);
    // The flow share is q's draws: their mean is q's (quadrature of μ + σ f(ε) over N(0, 1)).
    let mean = 0;
    for (let x = -10; x <= 10; x += 1e-3) mean += Math.exp(logNormal(x, 1)) * 1e-3 * (mu + sigma * f(x, params));
    const big = drawFlowMixture({ mu: [mu], chol: [sigma], layers: params }, effectsPrior([omega], [], []), 20_000, new Random(4), defaultImportance);
    const flowShare = Array.from(big.eta.subarray(Math.round(a * 20_000)));
    const m = flowShare.reduce((s, v) => s + v, 0) / flowShare.length;
    const sd = Math.sqrt(flowShare.reduce((s, v) => s + (v - m) ** 2, 0) / flowShare.length);
    expect(Math.abs(m - mean)).toBeLessThan((4 * sd) / Math.sqrt(flowShare.length));
  });

  it('2-D, correlated base and prior: E_r[N(η; 0, Ω) / r(η)] = 1 and every weight ≤ 1/α', () => {
    const prior = effectsPrior([0.6, 1.1], [{ first: 0, second: 1 }], [0.4]);
    const q = { mu: [0.4, -0.3], chol: [0.3, 0, -0.15, 0.25], layers: [1.1, -0.4, 0.9, 0.6, 0.3, 0.8, -0.6, 0.2, 1.3, -0.2] };
    const L = 40_000;
    const d = drawFlowMixture(q, prior, L, new Random(5), defaultImportance);
    // Ω = diag(ω) R diag(ω), R's correlation 0.4: the density written out.
    const [s1, s2, rho] = [0.6, 1.1, 0.4];
    const logPrior = (x: number, y: number): number => {
      const [u, v] = [x / s1, y / s2];
      return -Math.log(2 * Math.PI * s1 * s2 * Math.sqrt(1 - rho * rho)) - (u * u - 2 * rho * u * v + v * v) / (2 * (1 - rho * rho));
    };
    const terms = Array.from({ length: L }, (_, l) => Math.exp(logPrior(d.eta[2 * l]!, d.eta[2 * l + 1]!) - d.logDensity[l]!));
    const mean = terms.reduce((s, x) => s + x, 0) / L;
    const se = Math.sqrt(terms.reduce((s, x) => s + (x - mean) ** 2, 0) / (L - 1) / L);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * se);
    expect(Math.max(...terms)).toBeLessThanOrEqual(1 / defaultImportance.defensive + 1e-9);
  });

  it('skewed case: the importance step from the fitted flows agrees with quadrature within its Monte-Carlo error', async () => {
    const ys = simulate(6, 3);
    const s = await setup(ys);
    const flows = await fitQ(s, 'flow', 600, 8, 5);
    const proposals: SubjectProposal[] = flows.map((q) => flowPosterior({ mu: Float64Array.of(q.mu), chol: Float64Array.of(Math.exp(q.logSigma)), layers: q.flow! }));
    const problem = { model: s.model, data: s.data, layout: s.layout, covariates: s.covariates, engine: s.engine, effectParameter: s.effectParameter };
    const samples = 2000;
    const run = await runEstimator(problem, 'importance', s.population, proposals, samples, 7);
    const e = run.evaluation;
    let total = 0;
    ys.forEach((y, i) => {
      const exact = exactLogMarginal(y);
      expect(Math.abs(e.logLik[i]! - exact)).toBeLessThan(4 * e.se[i]! + 1e-9);
      total += e.logLik[i]! - exact;
      // The reported ESS is (Σw)²/Σw² of the self-normalized weights.
      const w = e.weights[i]!;
      const sw2 = w.reduce((a, x) => a + x * x, 0);
      expect(e.ess[i]!).toBeCloseTo(1 / sw2, 6);
      expect(e.ess[i]!).toBeGreaterThan(0.3 * samples);
    });
    expect(Math.abs(total)).toBeLessThan(4 * run.summary.logLikSe);
    expect(run.summary.minEss).toBe(Math.min(...e.ess));
  });
});
