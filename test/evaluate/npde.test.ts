/**
 * The NPDE decorrelation and the statistics beside it, on toy cases with known answers: correlated multivariate
 * normal "subjects" whose observations come from the simulated distribution (npde ~ N(0, 1), independent within a
 * subject) or from a wider one (flagged), and Φ⁻¹, quantiles, Cholesky, KS against reference values.
 */
import { describe, expect, it } from 'vitest';
import { subjectNpde } from '../../runtime/evaluate/npde.js';
import { cholesky, ksNormal, normalCdf, normalQuantile, normalitySummary, quantile } from '../../runtime/evaluate/stats.js';
import { generator } from './generator.js';


/** n = 4 observations with mean m and a strongly correlated covariance Σ = L Lᵀ (AR(1), ρ = 0.8, sds 1, 2, 3, 4). */
const n = 4;
const m = [10, 8, 5, 3];
const sds = [1, 2, 3, 4];
const sigma = Array.from({ length: n * n }, (_, k) => sds[Math.floor(k / n)]! * sds[k % n]! * 0.8 ** Math.abs(Math.floor(k / n) - (k % n)));
const L = cholesky(sigma, n)!;
function draw(g: ReturnType<typeof generator>, scale = 1): number[] {
  const z = Array.from({ length: n }, () => g.normal());
  return m.map((mu, a) => mu + scale * z.reduce((s, zb, b) => s + (b <= a ? L[a * n + b]! * zb : 0), 0));
}

function toyNpde(subjects: number, K: number, scale: number, seed: number) {
  const g = generator(seed);
  const npde: number[][] = [];
  for (let i = 0; i < subjects; i++) {
    const y = draw(g, scale);
    const sims = new Float64Array(K * n);
    for (let k = 0; k < K; k++) sims.set(draw(g), k * n);
    npde.push(Array.from(subjectNpde(y, sims, n).npde));
  }
  return npde;
}

describe('NPDE decorrelation', () => {
  it('gives N(0, 1) npde, uncorrelated within a subject, when the observations follow the simulated MVN', () => {
    const npde = toyNpde(400, 500, 1, 7);
    const all = npde.flat();
    const s = normalitySummary(all);
    // Each check is a two-sided test at α = 0.001 (|z| < 3.29): mean, variance (χ²), KS, within-subject correlation.
    expect(Math.abs(s.mean)).toBeLessThan(3.29 / Math.sqrt(all.length));
    expect(s.varianceP).toBeGreaterThan(0.001);
    expect(s.ks.p).toBeGreaterThan(0.001);
    // Decorrelated: the correlation of consecutive npde within a subject is near 0 (the raw values have ρ = 0.8).
    for (let c = 0; c + 1 < n; c++) {
      const r = corr(npde.map((x) => x[c]!), npde.map((x) => x[c + 1]!));
      expect(Math.abs(r)).toBeLessThan(3.29 / Math.sqrt(npde.length));
    }
    // Without the decorrelation (the marginal pde of each observation) they would be correlated about as the data.
    const g = generator(99);
    const raw: number[][] = [];
    for (let i = 0; i < 400; i++) {
      const y = draw(g);
      const sims = Array.from({ length: 500 }, () => draw(g));
      raw.push(y.map((v, j) => sims.filter((x) => x[j]! < v).length / 500));
    }
    expect(corr(raw.map((x) => x[0]!), raw.map((x) => x[1]!))).toBeGreaterThan(0.6);
  });

  it('flags observations from a wider distribution (Σ × 2.25): variance ≈ 2.25, KS rejects', () => {
    const s = normalitySummary(toyNpde(200, 500, 1.5, 8).flat());
    expect(s.variance).toBeGreaterThan(1.6);
    expect(s.varianceP).toBeLessThan(1e-6);
    expect(s.ks.p).toBeLessThan(1e-3);
  });

  it('handles pde of 0 and 1 by 1/(2K), and PWRES is the decorrelated residual', () => {
    // One observation, K = 4 simulations 1, 2, 3, 4: mean 2.5, var 5/3.
    const sims = Float64Array.from([1, 2, 3, 4]);
    const lo = subjectNpde([0], sims, 1);
    expect(lo.pde[0]).toBeCloseTo(1 / 8, 12);
    expect(lo.npde[0]).toBeCloseTo(normalQuantile(1 / 8), 12);
    expect(lo.pwres[0]).toBeCloseTo((0 - 2.5) / Math.sqrt(5 / 3), 12);
    expect(subjectNpde([9], sims, 1).pde[0]).toBeCloseTo(1 - 1 / 8, 12);
    expect(subjectNpde([2.5], sims, 1).pde[0]).toBeCloseTo(0.5, 12);
    // Failed replicates (NaN) are left out: same as K = 4.
    expect(subjectNpde([2.5], Float64Array.from([1, NaN, 2, 3, 4]), 1).pde[0]).toBeCloseTo(0.5, 12);
  });

  it('falls back to the diagonal when the simulated covariance is singular', () => {
    // Two identical columns: rank 1.
    const sims = Float64Array.from([1, 1, 2, 2, 3, 3, 4, 4]);
    const r = subjectNpde([2.2, 2.2], sims, 2);
    expect(r.decorrelated).toBe(false);
    expect(r.pde[0]).toBeCloseTo(0.5, 12);
    expect(r.pwres[1]).toBeCloseTo((2.2 - 2.5) / Math.sqrt(5 / 3), 12);
  });
});

function corr(a: number[], b: number[]): number {
  const ma = a.reduce((s, x) => s + x, 0) / a.length;
  const mb = b.reduce((s, x) => s + x, 0) / b.length;
  let sab = 0, saa = 0, sbb = 0;
  a.forEach((x, i) => {
    sab += (x - ma) * (b[i]! - mb);
    saa += (x - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  });
  return sab / Math.sqrt(saa * sbb);
}

describe('statistics', () => {
  it('Φ and Φ⁻¹ match reference values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 13);
    expect(normalQuantile(0.5)).toBe(0);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 11);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 12);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-3)).toBeCloseTo(0.0013498980316301, 8);
  });

  it('quantiles are R type 7 and the KS statistic matches a hand computation', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([4, 1, 3, 2, 5], 0.05)).toBeCloseTo(1.2, 12);
    // One point at 0: D = 0.5 (F(0) = 0.5 against the steps 0 and 1).
    expect(ksNormal([0]).d).toBeCloseTo(0.5, 6);
    const far = ksNormal(Array.from({ length: 100 }, (_, i) => 2 + i / 100));
    expect(far.d).toBeGreaterThan(0.9);
    expect(far.p).toBeLessThan(1e-10);
  });
});
