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
 */
import { cholesky, forwardSolve, normalQuantile } from './stats.js';

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
