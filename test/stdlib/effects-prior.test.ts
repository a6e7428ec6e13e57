/**
 * The random effects' prior N(0, Ω) with correlation blocks (stdlib/effects-prior.ts) against oracles that share
 * none of its code: dense linear algebra written here (Gaussian elimination for Ω⁻¹ and log|Ω|), the textbook KL
 * of two Gaussians, and central differences for every derivative.
 */
import { describe, expect, it } from 'vitest';
import {
  addEntryGradient, correlationMatrix, effectsPrior, klToPrior, logPriorDensity, logPriorGradients, partialCorrelations, priorDerivatives, PriorWorkspace,
} from '../../stdlib/effects-prior.js';

/** Effects 0, 1, 3 form one block; effect 2 is independent of them. */
const pairs = [{ first: 0, second: 1 }, { first: 0, second: 3 }, { first: 1, second: 3 }];
const omega = [0.4, 0.25, 0.6, 0.3];
const cpc = [0.6, -0.3, 0.45];

/** Ω⁻¹ and log|Ω| by Gauss–Jordan elimination (no Cholesky, nothing shared with the module). */
function inverseAndLogDet(A: number[][]): { inv: number[][]; logDet: number } {
  const n = A.length;
  const M = A.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r]![c]!) > Math.abs(M[p]![c]!)) p = r;
    [M[c], M[p]] = [M[p]!, M[c]!];
    const pivot = M[c]![c]!;
    logDet += Math.log(Math.abs(pivot));
    for (let j = 0; j < 2 * n; j++) M[c]![j] = M[c]![j]! / pivot;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r]![c]!;
      for (let j = 0; j < 2 * n; j++) M[r]![j] = M[r]![j]! - f * M[c]![j]!;
    }
  }
  return { inv: M.map((row) => row.slice(n)), logDet };
}

const covarianceOf = (w: number[], c: number[]): number[][] => {
  const R = correlationMatrix(w.length, pairs, c);
  return w.map((wi, i) => w.map((wj, j) => wi * wj * R[i * w.length + j]!));
};

function denseLogDensity(eta: number[], w: number[], c: number[]): number {
  const S = covarianceOf(w, c);
  const { inv, logDet } = inverseAndLogDet(S);
  let q = 0;
  for (let i = 0; i < eta.length; i++) for (let j = 0; j < eta.length; j++) q += eta[i]! * inv[i]![j]! * eta[j]!;
  return -0.5 * eta.length * Math.log(2 * Math.PI) - 0.5 * logDet - 0.5 * q;
}

/** KL(N(μ, S_q) ‖ N(0, S)) = ½ [tr(S⁻¹S_q) + μᵀS⁻¹μ − n + log|S| − log|S_q|]. */
function denseKl(mu: number[], Sq: number[][], w: number[], c: number[]): number {
  const S = covarianceOf(w, c);
  const { inv, logDet } = inverseAndLogDet(S);
  const n = mu.length;
  let tr = 0;
  let q = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    tr += inv[i]![j]! * Sq[j]![i]!;
    q += mu[i]! * inv[i]![j]! * mu[j]!;
  }
  return 0.5 * (tr + q - n + logDet - inverseAndLogDet(Sq).logDet);
}

/** v = (log ω₀…₃, z₀…₂): the vector the derivatives are taken in. */
const unpackV = (v: number[]) => ({ w: v.slice(0, 4).map(Math.exp), c: v.slice(4).map(Math.tanh) });
const v0 = [...omega.map(Math.log), ...cpc.map(Math.atanh)];
const entries = { omega: [0, 1, 2, 3], pairs: [4, 5, 6] };

function fd(f: (v: number[]) => number, v: number[], h = 1e-6): number[] {
  return v.map((_, k) => (f(v.map((x, j) => (j === k ? x + h : x))) - f(v.map((x, j) => (j === k ? x - h : x)))) / (2 * h));
}

describe('the correlated prior', () => {
  it('the CPC map gives a block-diagonal correlation matrix, and partial correlations invert it', () => {
    const R = correlationMatrix(4, pairs, cpc);
    for (const i of [0, 1, 3]) {
      expect(R[i * 4 + 2]).toBe(0);
      expect(R[2 * 4 + i]).toBe(0);
    }
    for (let i = 0; i < 4; i++) expect(R[i * 5]).toBeCloseTo(1, 14);
    expect(R[1]).toBeCloseTo(0.6, 14); // the first pair of a block: its partial correlation is its correlation
    expect(Array.from(partialCorrelations(4, pairs, R)).every((x, k) => Math.abs(x - cpc[k]!) < 1e-12)).toBe(true);
    // ρ₁₃ from its partial correlation given effect 0: ρ₁₃ = ρ₀₁ρ₀₃ + c √(1 − ρ₀₁²) √(1 − ρ₀₃²).
    expect(R[1 * 4 + 3]).toBeCloseTo(0.6 * -0.3 + 0.45 * Math.sqrt(1 - 0.36) * Math.sqrt(1 - 0.09), 14);
  });

  it('density and its gradients in η and in (log ω, z) match dense algebra and finite differences', () => {
    const eta = [0.3, -0.2, 0.5, 0.1];
    const prior = effectsPrior(omega, pairs, cpc);
    const ws = new PriorWorkspace(4);
    expect(logPriorDensity(prior, eta, 0, ws)).toBeCloseTo(denseLogDensity(eta, omega, cpc), 12);
    const G = new Float64Array(16);
    const a = logPriorGradients(prior, ws, G);
    const dEta = fd((e) => denseLogDensity(e, omega, cpc), eta);
    a.forEach((x, r) => expect(-x).toBeCloseTo(dEta[r]!, 7));
    const gradient = new Float64Array(7);
    addEntryGradient(priorDerivatives(prior, omega, pairs, cpc, entries.omega, entries.pairs), G, 4, gradient);
    const dV = fd((v) => denseLogDensity(eta, unpackV(v).w, unpackV(v).c), v0);
    gradient.forEach((x, k) => expect(x).toBeCloseTo(dV[k]!, 7));
  });

  it('closed-form KL against a full-rank q and its gradients in μ, L_q and (log ω, z)', () => {
    const mu = [0.2, -0.1, 0.05, 0.3];
    const Lq = Float64Array.from([0.2, 0, 0, 0, 0.05, 0.15, 0, 0, -0.03, 0.02, 0.3, 0, 0.04, -0.06, 0.01, 0.1]);
    const Sq = (L: ArrayLike<number>) => [0, 1, 2, 3].map((i) => [0, 1, 2, 3].map((j) => { let s = 0; for (let k = 0; k < 4; k++) s += L[i * 4 + k]! * L[j * 4 + k]!; return s; }));
    const prior = effectsPrior(omega, pairs, cpc);
    const t = klToPrior(prior, mu, 0, Lq);
    expect(t.kl).toBeCloseTo(denseKl(mu, Sq(Lq), omega, cpc), 12);
    const dMu = fd((m) => denseKl(m, Sq(Lq), omega, cpc), mu);
    t.dMu.forEach((x, r) => expect(x).toBeCloseTo(dMu[r]!, 7));
    for (let i = 0; i < 4; i++) for (let j = 0; j <= i; j++) {
      const moved = (h: number) => { const L = Float64Array.from(Lq); L[i * 4 + j] = L[i * 4 + j]! + h; return denseKl(mu, Sq(L), omega, cpc); };
      expect(t.dLq[i * 4 + j]).toBeCloseTo((moved(1e-6) - moved(-1e-6)) / 2e-6, 6);
    }
    const gradient = new Float64Array(7);
    addEntryGradient(priorDerivatives(prior, omega, pairs, cpc, entries.omega, entries.pairs), t.dL, 4, gradient);
    const dV = fd((v) => denseKl(mu, Sq(Lq), unpackV(v).w, unpackV(v).c), v0);
    gradient.forEach((x, k) => expect(x).toBeCloseTo(dV[k]!, 6));
  });

  it('without correlations the prior is diag(ω²)', () => {
    const prior = effectsPrior([0.5, 2], [], []);
    const ws = new PriorWorkspace(2);
    const eta = [0.3, -1];
    const diag = -Math.log(2 * Math.PI) - Math.log(0.5) - Math.log(2) - 0.5 * ((0.3 / 0.5) ** 2 + (1 / 2) ** 2);
    expect(logPriorDensity(prior, eta, 0, ws)).toBeCloseTo(diag, 14);
    expect(prior.diagonal).toBe(true);
  });
});
