/**
 * The small numerical pieces the evaluation needs: a Cholesky factor with triangular solves, the goodness-of-fit
 * tests reported beside the NPDE, and (re-exported from stdlib/normal-quantiles.ts, which the bootstrap shares)
 * the standard normal's CDF and quantile and sample quantiles.
 */
import { normalCdf } from '../../stdlib/normal-quantiles.js';

export { normalCdf, normalQuantile, quantile, quantileSorted } from '../../stdlib/normal-quantiles.js';

export function mean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s / x.length;
}

/** The sample variance (divisor n − 1). */
export function variance(x: ArrayLike<number>): number {
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i]! - m) ** 2;
  return s / (x.length - 1);
}

export { cholesky } from '../uq/cholesky.js';

/** Solves L x = b in place for lower-triangular L (row-major n × n); b holds n values starting at `offset`. */
export function forwardSolve(l: ArrayLike<number>, n: number, b: Float64Array, offset = 0): void {
  for (let i = 0; i < n; i++) {
    let s = b[offset + i]!;
    for (let k = 0; k < i; k++) s -= l[i * n + k]! * b[offset + k]!;
    b[offset + i] = s / l[i * n + i]!;
  }
}

/** The one-sample Kolmogorov–Smirnov statistic against N(0, 1), with its asymptotic p-value. */
export function ksNormal(x: ArrayLike<number>): { d: number; p: number } {
  const s = Float64Array.from(x).sort();
  const n = s.length;
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = normalCdf(s[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  // Kolmogorov's distribution at (√n + 0.12 + 0.11/√n) d (Stephens 1970).
  const lambda = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  let p = 0;
  for (let k = 1; k <= 100; k++) {
    const term = 2 * (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    p += term;
    if (Math.abs(term) < 1e-12) break;
  }
  return { d, p: Math.min(1, Math.max(0, lambda < 0.2 ? 1 : p)) };
}

/**
 * The χ² distribution's CDF with ν degrees of freedom by the Wilson–Hilferty cube-root approximation
 * ((X/ν)^⅓ ≈ N(1 − 2/(9ν), 2/(9ν)); accurate to a few 1e-3 for ν ≥ 10, which the tests' sample sizes exceed).
 */
export function chiSquareCdf(x: number, nu: number): number {
  if (x <= 0) return 0;
  const v = 2 / (9 * nu);
  return normalCdf((Math.cbrt(x / nu) - (1 - v)) / Math.sqrt(v));
}

/** Summary and tests of a sample that should be N(0, 1): mean (t test), variance (χ² test), KS. */
export interface NormalitySummary {
  readonly n: number;
  readonly mean: number;
  /** SE of the mean under N(0, 1): 1/√n. */
  readonly meanSe: number;
  readonly variance: number;
  readonly skewness: number;
  /** Excess kurtosis. */
  readonly kurtosis: number;
  /** Two-sided p of mean = 0 (z = mean·√n / sd). */
  readonly meanP: number;
  /** Two-sided p of variance = 1: (n − 1) s² ~ χ²(n − 1). */
  readonly varianceP: number;
  readonly ks: { readonly d: number; readonly p: number };
}

export function normalitySummary(x: ArrayLike<number>): NormalitySummary {
  const n = x.length;
  const m = mean(x);
  const v = variance(x);
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    m3 += d ** 3;
    m4 += d ** 4;
  }
  const pop = (v * (n - 1)) / n;
  const z = (m * Math.sqrt(n)) / Math.sqrt(v);
  const c = chiSquareCdf((n - 1) * v, n - 1);
  return {
    n, mean: m, meanSe: 1 / Math.sqrt(n), variance: v, skewness: m3 / n / pop ** 1.5, kurtosis: m4 / n / pop ** 2 - 3,
    meanP: 2 * (1 - normalCdf(Math.abs(z))), varianceP: 2 * Math.min(c, 1 - c), ks: ksNormal(x),
  };
}
