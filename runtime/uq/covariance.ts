/**
 * From the observed information to the covariance of the estimates, by the symmetric eigen-decomposition
 * I = U Λ Uᵀ, V = U Λ⁻¹ Uᵀ. An information that is not positive definite gives no standard errors but a message
 * naming the parameters of the direction the data do not determine (the eigenvector u of the smallest eigenvalue):
 * never a NaN in a table. "Not positive definite" means: the smallest eigenvalue is ≤ 10⁻¹⁰ of the largest, or —
 * when the information's Monte-Carlo errors are given — the curvature uᵀIu along the weakest direction is not
 * above 2 of its own Monte-Carlo errors, first order sd = √(Σ_jk u_j² u_k² Var(I_jk)): a Monte-Carlo estimate of
 * a flat direction is noise around zero, and must not pass for a tiny positive curvature with a huge standard
 * error. Between 2 and 5 Monte-Carlo errors the standard errors are given with a warning that they are imprecise.
 */
import { symmetricEigen } from './symmetric-eigen.js';

export type CovarianceResult =
  | {
      readonly ok: true;
      /** d × d on the unconstrained scale. */
      readonly covariance: Float64Array;
      readonly se: Float64Array;
      readonly correlation: Float64Array;
      readonly eigenvalues: Float64Array;
      /** Largest over smallest eigenvalue. */
      readonly condition: number;
      /** Set when the weakest direction's curvature is less than 5 of its Monte-Carlo errors. */
      readonly warning?: string;
    }
  | {
      readonly ok: false;
      readonly message: string;
      readonly eigenvalues: Float64Array;
      /** The eigenvector of the smallest eigenvalue, by parameter (components of at least 0.2 in size). */
      readonly direction: readonly { readonly name: string; readonly weight: number }[];
    };

export const SINGULAR_RATIO = 1e-10;

export function covarianceFromInformation(information: Float64Array, names: readonly string[], mcError?: Float64Array): CovarianceResult {
  const d = names.length;
  if (d === 0) return { ok: true, covariance: new Float64Array(0), se: new Float64Array(0), correlation: new Float64Array(0), eigenvalues: new Float64Array(0), condition: 1 };
  if (!information.every(Number.isFinite)) {
    return { ok: false, message: 'the observed information could not be computed (a non-finite entry: trajectories failed at the estimates); no standard errors', eigenvalues: new Float64Array(0), direction: [] };
  }
  const { values, vectors } = symmetricEigen(information, d);
  const smallest = values[0]!;
  const largest = values[d - 1]!;
  const curvature = (u: ArrayLike<number>): { value: number; noise: number } => {
    let value = 0;
    let noise = 0;
    for (let j = 0; j < d; j++) {
      for (let k = 0; k < d; k++) {
        value += u[j]! * u[k]! * information[j * d + k]!;
        if (mcError) noise += (u[j]! * u[k]! * mcError[j * d + k]!) ** 2;
      }
    }
    return { value, noise: Math.sqrt(noise) };
  };
  // The weakest direction: the smallest eigenvector, or — with Monte-Carlo errors — the one whose curvature is
  // smallest relative to its own noise, searched as the smallest eigenvector of I scaled by the diagonal errors.
  let direction = Float64Array.from({ length: d }, (_, i) => vectors[i * d]!);
  let weakest = curvature(direction);
  if (mcError) {
    const scale = Float64Array.from({ length: d }, (_, i) => 1 / Math.sqrt(Math.max(mcError[i * d + i]!, 1e-300)));
    if (scale.every(Number.isFinite)) {
      const scaled = symmetricEigen(Float64Array.from(information, (x, idx) => x * scale[Math.floor(idx / d)]! * scale[idx % d]!), d);
      const u = Float64Array.from({ length: d }, (_, i) => scaled.vectors[i * d]! * scale[i]!);
      const norm = Math.hypot(...u);
      for (let i = 0; i < d; i++) u[i] = u[i]! / norm;
      const c = curvature(u);
      if (c.value / Math.max(c.noise, 1e-300) < weakest.value / Math.max(weakest.noise, 1e-300)) {
        direction = u;
        weakest = c;
      }
    }
  }
  const singular = !(largest > 0) || !(smallest > SINGULAR_RATIO * largest);
  if (direction.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0) < 0) direction = direction.map((x) => -x);
  const describe = (u: Float64Array) => {
    const weights = names.map((name, i) => ({ name, weight: u[i]! })).filter((x) => Math.abs(x.weight) >= 0.2).sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
    const combination = weights.map((x, k) => `${k === 0 ? (x.weight < 0 ? '−' : '') : x.weight < 0 ? ' − ' : ' + '}${Math.abs(x.weight).toFixed(2)}·${x.name}`).join('');
    const which = weights.map((x) => x.name);
    const listed = which.length === 1 ? which[0]! : `${which.slice(0, -1).join(', ')} and ${which[which.length - 1]}`;
    return { weights, combination, listed, verb: which.length === 1 ? 'is' : 'are' };
  };
  if (singular || !(weakest.value > 2 * weakest.noise)) {
    if (singular) {
      direction = Float64Array.from({ length: d }, (_, i) => vectors[i * d]!);
      weakest = curvature(direction);
    }
    if (direction.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0) < 0) direction = direction.map((x) => -x);
    const { weights, combination, listed, verb } = describe(direction);
    const noisy = mcError !== undefined && weakest.noise > 0;
    const shown = singular || !noisy
      ? `smallest eigenvalue ${smallest.toPrecision(3)}, largest ${largest.toPrecision(3)}`
      : `curvature ${weakest.value.toPrecision(3)} ± ${weakest.noise.toPrecision(2)} (Monte Carlo) along that direction, largest eigenvalue ${largest.toPrecision(3)}`;
    const negative = weakest.value < -SINGULAR_RATIO * Math.abs(largest) && weakest.value < -3 * weakest.noise;
    const message = negative
      ? `the observed information is not positive definite (${shown}): the estimates are not at a maximum of the marginal likelihood along ${combination} — ${listed} ${verb} not determined by these data, or the fit has not converged; no standard errors`
      : `the observed information is singular${noisy && !singular ? ' within its Monte-Carlo error' : ''} (${shown}): ${listed} ${verb} not identifiable from these data — the likelihood is flat along ${combination}; no standard errors${noisy && !singular ? ' (if that direction should be identified, raise --uq-samples)' : ''}`;
    return { ok: false, message, eigenvalues: values, direction: weights };
  }
  const covariance = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (vectors[i * d + k]! * vectors[j * d + k]!) / values[k]!;
      covariance[i * d + j] = s;
      covariance[j * d + i] = s;
    }
  }
  const se = Float64Array.from({ length: d }, (_, i) => Math.sqrt(covariance[i * d + i]!));
  const correlation = Float64Array.from(covariance, (c, idx) => c / (se[Math.floor(idx / d)]! * se[idx % d]!));
  const weak = mcError !== undefined && !(weakest.value > 5 * weakest.noise);
  const warning = weak
    ? `the observed information is imprecise along ${describe(direction).combination} (curvature ${weakest.value.toPrecision(3)} ± ${weakest.noise.toPrecision(2)} Monte Carlo): the standard errors of ${describe(direction).listed} may be off by ${Math.round((100 * weakest.noise) / (2 * weakest.value))} % or more; raise --uq-samples`
    : undefined;
  return { ok: true, covariance, se, correlation, eigenvalues: values, condition: largest / smallest, ...(warning ? { warning } : {}) };
}
