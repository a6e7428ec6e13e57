/**
 * The flow family's mode (runtime/infer/flow-mode.ts through posterior.ts flowPosterior) against a grid search of
 * the same density written here independently: the planar layers from their formula (Rezende & Mohamed 2015,
 * appendix A constraint, and flow.ts's bound on û), log q(η(ε)) = log N(ε) − log |det ∂η/∂ε| with the Jacobian by central differences, and
 * the maximum over ε by a zooming grid (coarse over [−6, 6]ⁿ, then finer grids around the best point). Two 1-D
 * cases are bimodal, one with ε = 0 in the basin of the lesser mode (an ascent from the base Gaussian's mode alone
 * stops at log q 0.31 instead of 1.52, up to the same constant). Also: with the layers at the identity the mode is the base Gaussian's μ.
 */
import { describe, expect, it } from 'vitest';
import { flowInitialBias } from '../../runtime/infer/flow.js';
import { flowPosterior } from '../../runtime/infer/posterior.js';

/** η = μ + L f(ε), f the planar layers of raw (u, w, b) per layer. */
function eta(eps: readonly number[], mu: readonly number[], L: readonly number[], params: ArrayLike<number>): number[] {
  const n = eps.length;
  let z = [...eps];
  for (let o = 0; o < params.length; o += 2 * n + 1) {
    const u = Array.from({ length: n }, (_, k) => params[o + k]!);
    const w = Array.from({ length: n }, (_, k) => params[o + n + k]!);
    const wu = w.reduce((s, wk, k) => s + wk * u[k]!, 0);
    const ww = w.reduce((s, wk) => s + wk * wk, 0);
    const uBar = u.map((uk, k) => uk + ((-1 + Math.log1p(Math.exp(wu)) - wu) * w[k]!) / ww);
    // The bound: û = ū · 4 tanh(|ū|/4)/|ū| (flow.ts SHIFT_BOUND = 4).
    const r = Math.hypot(...uBar);
    const uHat = uBar.map((v) => (r > 0 ? (v * 4 * Math.tanh(r / 4)) / r : v));
    const h = Math.tanh(w.reduce((s, wk, k) => s + wk * z[k]!, params[o + 2 * n]!));
    z = z.map((zk, k) => zk + uHat[k]! * h);
  }
  return mu.map((m, r) => m + z.reduce((s, zk, c) => s + (c <= r ? L[r * n + c]! * zk : 0), 0));
}

/** log q(η(ε)) up to a constant: log N(ε; 0, I) − log |det J(ε)|, J by central differences. */
function logQ(eps: readonly number[], mu: readonly number[], L: readonly number[], params: ArrayLike<number>): number {
  const n = eps.length;
  const h = 1e-5;
  const J = Array.from({ length: n }, (_, c) => {
    const plus = eta(eps.map((e, k) => (k === c ? e + h : e)), mu, L, params);
    const minus = eta(eps.map((e, k) => (k === c ? e - h : e)), mu, L, params);
    return plus.map((p, r) => (p - minus[r]!) / (2 * h));
  });
  const det = n === 1 ? J[0]![0]! : J[0]![0]! * J[1]![1]! - J[1]![0]! * J[0]![1]!;
  return -0.5 * eps.reduce((s, e) => s + e * e, 0) - Math.log(Math.abs(det));
}

/** argmax over ε of logQ by zooming grids; returns η there. */
function gridMode(n: 1 | 2, mu: readonly number[], L: readonly number[], params: ArrayLike<number>): number[] {
  let centre = Array.from({ length: n }, () => 0);
  let half = 6;
  for (const points of n === 1 ? [12_001, 201, 201, 201] : [121, 41, 41, 41, 41, 41]) {
    const step = (2 * half) / (points - 1);
    let best = { value: -Infinity, at: centre };
    const grid = Array.from({ length: points }, (_, j) => -half + j * step);
    for (const a of grid) {
      for (const b of n === 1 ? [0] : grid) {
        const e = n === 1 ? [centre[0]! + a] : [centre[0]! + a, centre[1]! + b];
        const v = logQ(e, mu, L, params);
        if (v > best.value) best = { value: v, at: e };
      }
    }
    centre = best.at;
    half = 4 * step;
  }
  return eta(centre, mu, L, params);
}

describe('flow posterior mode', () => {
  const cases: { name: string; mu: number[]; L: number[]; params: number[] }[] = [
    { name: '1-D skewed', mu: [0.3], L: [0.4], params: [1.2, 0.9, 0.7, -0.5, 1.5, -0.4] },
    { name: '1-D two modes, ε = 0 in the lesser one\'s basin', mu: [-0.2], L: [0.6], params: [3.1, -0.5, -1.2, 0.9, -2.8, 0] },
    { name: '1-D two modes torn apart by a stretching layer', mu: [0.1], L: [0.8], params: [6, 3, -0.3, 0.1, 0.2, 0] },
    { name: '1-D compressing layers, large σ', mu: [1], L: [2], params: [-2, 1.5, 0.8, 0.6, -1.2, 0.5] },
    { name: '2-D correlated, bent', mu: [0.5, -1], L: [0.5, 0, 0.3, 0.2], params: [1.1, -0.4, 0.9, 0.6, 0.3, 0.8, -0.6, 0.2, 1.3, -0.2] },
    { name: '2-D, strong second layer', mu: [0, 0], L: [1, 0, -0.4, 0.7], params: [0.3, 0.2, -1, 0.4, 0.1, 2.5, 1.5, 1.2, -0.8, 0.4] },
  ];
  for (const c of cases) {
    it(`${c.name}: the mode matches the grid search of log q`, () => {
      const n = c.mu.length as 1 | 2;
      const q = flowPosterior({ mu: Float64Array.from(c.mu), chol: Float64Array.from(c.L), layers: Float64Array.from(c.params) });
      const oracle = gridMode(n, c.mu, c.L, c.params);
      for (let r = 0; r < n; r++) expect(Math.abs(q.mode![r]! - oracle[r]!)).toBeLessThan(1e-4);
      // The mode differs from the mean for these non-Gaussian q (so the two columns carry different numbers).
      expect(Math.max(...c.mu.map((_, r) => Math.abs(q.mode![r]! - q.mu[r]!)))).toBeGreaterThan(1e-3);
    });
  }

  it('identity layers: the mode is the base μ', () => {
    const q = flowPosterior({ mu: Float64Array.of(0.4, -0.7), chol: Float64Array.of(0.3, 0, 0.1, 0.5), layers: flowInitialBias(2) });
    expect(Math.abs(q.mode![0]! - 0.4)).toBeLessThan(1e-12);
    expect(Math.abs(q.mode![1]! + 0.7)).toBeLessThan(1e-12);
  });
});
