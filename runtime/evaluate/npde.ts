/**
 * Normalized prediction distribution errors (Brendel et al. 2006; Comets, Brendel & Mentré 2008) and population
 * weighted residuals for one subject, from K simulations of its design at the population estimate:
 *
 *   E_i = mean of the simulated vectors, V_i = their covariance (divisor K − 1), V_i = L Lᵀ (Cholesky),
 *   y*_i = L⁻¹ (y_i − E_i)   (PWRES),   y*_ik = L⁻¹ (y_ik − E_i),
 *   pde_ij = (1/K) #{k : y*_ik,j < y*_ij}, 0 → 1/(2K), 1 → 1 − 1/(2K),   npde_ij = Φ⁻¹(pde_ij).
 *
 * Under the model the decorrelated observations of a subject are independent, so the npde are i.i.d. N(0, 1).
 * When V_i is not positive definite (fewer useful simulations than observations, or a constant prediction),
 * only its diagonal is used for that subject (no decorrelation) and the subject is reported.
 *
 * Censored observations are imputed first (imputeCensored, the npde package's method), then decorrelated with the
 * others.
 */
import { ObservationCode } from '../../stdlib/observation-terms.js';
import { cholesky, forwardSolve, normalQuantile, quantileSorted } from './stats.js';

export interface SubjectNpde {
  /** The simulated mean E_i per observation. */
  readonly epred: Float64Array;
  /** The simulated sd sqrt(diag V_i) per observation. */
  readonly esd: Float64Array;
  readonly pwres: Float64Array;
  readonly pde: Float64Array;
  readonly npde: Float64Array;
  /** False when V_i was not positive definite and only its diagonal was used (no decorrelation). */
  readonly decorrelated: boolean;
}

/**
 * `y`: the n observations; `sims`: K × n simulated values (row k = replicate k). Replicates with a non-finite
 * value are left out (their trajectory failed); at least 2 must remain.
 */
export function subjectNpde(y: ArrayLike<number>, sims: ArrayLike<number>, n: number): SubjectNpde {
  const all = Math.floor(sims.length / n);
  const keep: number[] = [];
  for (let k = 0; k < all; k++) {
    let ok = true;
    for (let j = 0; j < n; j++) if (!Number.isFinite(sims[k * n + j]!)) ok = false;
    if (ok) keep.push(k);
  }
  const K = keep.length;
  if (K < 2) throw new RangeError(`subjectNpde: ${K} usable simulations (need at least 2)`);
  const epred = new Float64Array(n);
  for (const k of keep) for (let j = 0; j < n; j++) epred[j] = epred[j]! + sims[k * n + j]!;
  for (let j = 0; j < n; j++) epred[j] = epred[j]! / K;
  const cov = new Float64Array(n * n);
  for (const k of keep) {
    for (let a = 0; a < n; a++) {
      const da = sims[k * n + a]! - epred[a]!;
      for (let b = 0; b <= a; b++) cov[a * n + b] = cov[a * n + b]! + da * (sims[k * n + b]! - epred[b]!);
    }
  }
  for (let a = 0; a < n; a++) for (let b = 0; b <= a; b++) cov[b * n + a] = cov[a * n + b] = cov[a * n + b]! / (K - 1);
  const esd = Float64Array.from({ length: n }, (_, j) => Math.sqrt(cov[j * n + j]!));
  let l = cholesky(cov, n);
  const decorrelated = l !== undefined;
  if (!l) {
    l = new Float64Array(n * n);
    for (let j = 0; j < n; j++) l[j * n + j] = esd[j]! > 0 ? esd[j]! : 1;
  }
  const pwres = Float64Array.from({ length: n }, (_, j) => y[j]! - epred[j]!);
  forwardSolve(l, n, pwres);
  const below = new Float64Array(n);
  const row = new Float64Array(n);
  for (const k of keep) {
    for (let j = 0; j < n; j++) row[j] = sims[k * n + j]! - epred[j]!;
    forwardSolve(l, n, row);
    for (let j = 0; j < n; j++) if (row[j]! < pwres[j]!) below[j] = below[j]! + 1;
  }
  const pde = Float64Array.from(below, (b) => (b === 0 ? 1 / (2 * K) : b === K ? 1 - 1 / (2 * K) : b / K));
  return { epred, esd, pwres, pde, npde: Float64Array.from(pde, normalQuantile), decorrelated };
}

/**
 * A censored observation: its index among the subject's n and the bounds its value lies between on the output's
 * scale (−∞ / +∞ for an open side: below a limit is (−∞, limit], above it [limit, +∞)).
 */
export interface CensoredValue {
  readonly index: number;
  readonly lower: number;
  readonly upper: number;
}

/** The bounds of an observation with term code `code` (ObservationCode), value y and interval limit; [] when observed. */
export function censoredBounds(code: number, y: number, limit: number, index: number): CensoredValue[] {
  if (code === ObservationCode.below) return [{ index, lower: -Infinity, upper: y }];
  if (code === ObservationCode.above) return [{ index, lower: y, upper: Infinity }];
  if (code === ObservationCode.between) return [{ index, lower: Math.min(y, limit), upper: Math.max(y, limit) }];
  return [];
}

/** Per observation: the limits beyond which any value of it is censored (NaN: none on that side). */
export interface CensoringLimits {
  readonly lower: ArrayLike<number>;
  readonly upper: ArrayLike<number>;
}

/**
 * The npde package's imputation of censored observations (Nguyen, Comets & Mentré 2012, its "cdf" method): for
 * each censored observation j, with F_j the empirical distribution of its K simulated values,
 *   pd_j ~ U(F_j(lower), F_j(upper))      (below a limit: U(0, p_LOQ]; above: [p_LIMIT, 1); an interval: between),
 *   y_j ← F_j⁻¹(pd_j)                     (the simulated predictive distribution's quantile),
 * so that, under the model, pd_j is uniform on (0, 1) over censored and observed rows together. The simulated
 * values beyond their row's `limits` are censored and imputed the same way (as the npde package does): the imputed
 * observed vector and the imputed simulated ones are then alike under the model — the same map of vectors with
 * the same law — so the decorrelation (subjectNpde on the returned y and sims) keeps the npde N(0, 1); imputing
 * the observations alone breaks the correlation within a subject and inflates their variance. `uniform` draws on
 * (0, 1). Replicates with a non-finite value at j are left out of F_j.
 */
export function imputeCensored(y: ArrayLike<number>, sims: ArrayLike<number>, n: number, censored: readonly CensoredValue[], uniform: () => number, limits?: CensoringLimits): { y: Float64Array; sims: Float64Array; pd: Float64Array } {
  const K = Math.floor(sims.length / n);
  const out = Float64Array.from(y);
  const simsOut = Float64Array.from(sims);
  const pd = new Float64Array(censored.length);
  const columns = new Set([...censored.map((c) => c.index), ...(limits ? Array.from({ length: n }, (_, j) => j).filter((j) => !Number.isNaN(limits.lower[j]!) || !Number.isNaN(limits.upper[j]!)) : [])]);
  for (const j of columns) {
    const values: number[] = [];
    for (let k = 0; k < K; k++) {
      const v = sims[k * n + j]!;
      if (Number.isFinite(v)) values.push(v);
    }
    const sorted = Float64Array.from(values).sort();
    // Kept inside [1/(2K), 1 − 1/(2K)] as pde is: a limit beyond every simulated value still imputes an extreme one.
    const edge = 1 / (2 * sorted.length);
    const at = (x: number) => Math.min(1 - edge, Math.max(edge, upperBound(sorted, x) / sorted.length));
    const draw = (lower: number, upper: number): { p: number; value: number } => {
      const lo = at(lower);
      const p = lo + (at(upper) - lo) * uniform();
      return { p, value: sorted.length > 0 ? quantileSorted(sorted, p) : NaN };
    };
    censored.forEach((c, r) => {
      if (c.index !== j) return;
      const d = draw(c.lower, c.upper);
      pd[r] = d.p;
      out[j] = d.value;
    });
    if (!limits) continue;
    const lower = limits.lower[j]!;
    const upper = limits.upper[j]!;
    for (let k = 0; k < K; k++) {
      const v = sims[k * n + j]!;
      if (v < lower) simsOut[k * n + j] = draw(-Infinity, lower).value;
      else if (v > upper) simsOut[k * n + j] = draw(upper, Infinity).value;
    }
  }
  return { y: out, sims: simsOut, pd };
}

/** The number of sorted values ≤ x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
