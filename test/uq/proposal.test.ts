/** The sampling distributions: exact Γ at half-integers, normalized densities, and weights that average to one. */
import { effectsPrior } from '../../stdlib/effects-prior.js';
import { describe, expect, it } from 'vitest';
import { Random } from '../../runtime/nn/random.js';
import { defaultImportance, drawImportance, drawPrior, logGammaHalfInteger, logStudentT } from '../../runtime/uq/proposal.js';

/** log N(η; 0, diag(ω²)) written out: the oracle for the diagonal priors below. */
function logPrior(eta: ArrayLike<number>, offset: number, omega: readonly number[]): number {
  return omega.reduce((s, w, r) => s - 0.5 * (eta[offset + r]! / w) ** 2 - Math.log(w) - 0.5 * Math.log(2 * Math.PI), 0);
}

describe('proposal densities', () => {
  it('log Γ at multiples of ½', () => {
    expect(logGammaHalfInteger(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 14);
    expect(logGammaHalfInteger(1)).toBe(0);
    expect(logGammaHalfInteger(3)).toBeCloseTo(Math.log(2), 14);
    expect(logGammaHalfInteger(3.5)).toBeCloseTo(Math.log((15 / 8) * Math.sqrt(Math.PI)), 14);
    expect(() => logGammaHalfInteger(1.25)).toThrow(RangeError);
  });

  it('the Student t density integrates to 1 (1-D and 2-D)', () => {
    let s1 = 0;
    const h = 0.01;
    for (let x = -400; x <= 400; x += h) s1 += Math.exp(logStudentT([x], 0, [0.3], [1.5], 5)) * h;
    expect(s1).toBeCloseTo(1, 4);
    let s2 = 0;
    const g = 0.1;
    for (let x = -40; x <= 40; x += g) for (let y = -40; y <= 40; y += g) s2 += Math.exp(logStudentT([x, y], 0, [0.1, -0.2], [0.7, 1.3], 5)) * g * g;
    expect(s2).toBeCloseTo(1, 3);
  });

  it('prior draws have the prior density and variance', () => {
    const omega = effectsPrior([0.5, 2], [], []);
    const d = drawPrior(omega, 20000, new Random(1));
    expect(d.logDensity[3]).toBeCloseTo(logPrior(d.eta, 6, [0.5, 2]), 12);
    let v1 = 0;
    for (let l = 0; l < 20000; l++) v1 += d.eta[2 * l + 1]! ** 2 / 20000;
    expect(Math.sqrt(v1)).toBeCloseTo(2, 1);
  });

  it('importance draws: the defensive share comes first, and E_r[p(η)/r(η)] = 1', () => {
    const omega = effectsPrior([0.5, 0.9], [], []);
    const L = 40000;
    const d = drawImportance([0.3, -0.4], [0.05, 0.1], omega, L, new Random(2));
    let mean = 0;
    const terms: number[] = [];
    for (let l = 0; l < L; l++) {
      const x = Math.exp(logPrior(d.eta, 2 * l, [0.5, 0.9]) - d.logDensity[l]!);
      terms.push(x);
      mean += x / L;
    }
    const sd = Math.sqrt(terms.reduce((s, x) => s + (x - mean) ** 2, 0) / (L - 1) / L);
    expect(Math.abs(mean - 1)).toBeLessThan(4 * sd);
    // Every weight is bounded by 1/α thanks to the prior's share.
    expect(Math.max(...terms)).toBeLessThanOrEqual(1 / defaultImportance.defensive + 1e-9);
    // The t part is centred on μ.
    let m0 = 0;
    const start = Math.round(defaultImportance.defensive * L);
    for (let l = start; l < L; l++) m0 += d.eta[2 * l]! / (L - start);
    expect(m0).toBeCloseTo(0.3, 2);
  });
});
