/**
 * The small numerical pieces the evaluation needs: the standard normal's CDF and quantile, sample quantiles,
 * a Cholesky factor with triangular solves, and the goodness-of-fit tests reported beside the NPDE.
 */

/** Φ(x), by the complementary error function below (relative error < 1.2e-7: enough for p-values and KS). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

/** erfc(x): the Chebyshev fit of Numerical Recipes (erfcc), relative error < 1.2e-7 everywhere. */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/**
 * Φ⁻¹(p) for 0 < p < 1: Wichura's algorithm AS 241 (PPND16), accurate to about 1e-16.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) {
    if (p === 0) return -Infinity;
    if (p === 1) return Infinity;
    return NaN;
  }
  const q = p - 0.5;
  if (Math.abs(q) <= 0.425) {
    const r = 0.180625 - q * q;
    return (q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r + 3.387132872796366608)) /
      (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1);
  }
  let r = q < 0 ? p : 1 - p;
  r = Math.sqrt(-Math.log(r));
  let x: number;
  if (r <= 5) {
    r -= 1.6;
    x = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r + 1.42343711074968357734) /
      (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1);
  } else {
    r -= 5;
    x = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r + 6.6579046435011037772) /
      (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1);
  }
  return q < 0 ? -x : x;
}

/** The sample quantile of sorted values (R's type 7: linear interpolation between order statistics). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function quantile(values: ArrayLike<number>, p: number): number {
  return quantileSorted(Float64Array.from(values).sort(), p);
}

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
