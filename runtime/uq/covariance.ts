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
      /**
       * Standard errors of the entries outside the flat directions (NaN inside them): for an entry e_k with
       * |u_k| < PARTIAL_WEIGHT on every flat eigenvector u, e_kᵀ I⁺ e_k over the other eigenvectors.
       */
      readonly partialSe?: Float64Array;
    };

/** An entry counts as outside a flat direction when its weight in the direction's unit eigenvector is below this. */
export const PARTIAL_WEIGHT = 0.1;

/** SEs from the eigenvectors outside `flat`, for the entries that take no part in any flat one. */
function partialStandardErrors(values: Float64Array, vectors: Float64Array, d: number, flat: readonly number[]): Float64Array {
  return Float64Array.from({ length: d }, (_, j) => {
    if (flat.some((k) => Math.abs(vectors[j * d + k]!) >= PARTIAL_WEIGHT)) return NaN;
    let v = 0;
    for (let k = 0; k < d; k++) if (!flat.includes(k)) v += vectors[j * d + k]! ** 2 / values[k]!;
    return Math.sqrt(v);
  });
}

export const SINGULAR_RATIO = 1e-10;
/** The smallest eigenvalue of the correlation-scaled information below which parameters count as collinear. */
export const COLLINEAR_RATIO = 1e-4;

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
  // Collinearity on the correlation scale D^-1/2 I D^-1/2 (scale-free): a deterministic information (AGQ) has
  // no Monte-Carlo error to compare with, but its finite differences carry the solver's noise, ~1e-5 relative.
  const root = Float64Array.from({ length: d }, (_, i) => Math.sqrt(information[i * d + i]!));
  const scaled = root.every((x) => x > 0) ? symmetricEigen(Float64Array.from(information, (x, idx) => x / (root[Math.floor(idx / d)]! * root[idx % d]!)), d) : undefined;
  const collinear = scaled !== undefined && !(scaled.values[0]! > COLLINEAR_RATIO);
  const rawSingular = !(largest > 0) || !(smallest > SINGULAR_RATIO * largest);
  const singular = rawSingular || collinear;
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
      direction = collinear && !rawSingular ? Float64Array.from({ length: d }, (_, i) => scaled!.vectors[i * d]! / root[i]!) : Float64Array.from({ length: d }, (_, i) => vectors[i * d]!);
      const norm = Math.hypot(...direction);
      direction = direction.map((x) => x / norm);
      weakest = curvature(direction);
    }
    if (direction.reduce((m, x) => (Math.abs(x) > Math.abs(m) ? x : m), 0) < 0) direction = direction.map((x) => -x);
    const { weights, combination, listed, verb } = describe(direction);
    const noisy = mcError !== undefined && weakest.noise > 0;
    const shown = singular || !noisy
      ? `smallest eigenvalue ${smallest.toPrecision(3)}, largest ${largest.toPrecision(3)}${collinear && !rawSingular ? `; ${scaled!.values[0]!.toPrecision(2)} on the correlation scale` : ''}`
      : `curvature ${weakest.value.toPrecision(3)} ± ${weakest.noise.toPrecision(2)} (Monte Carlo) along that direction, largest eigenvalue ${largest.toPrecision(3)}`;
    const negative = weakest.value < -SINGULAR_RATIO * Math.abs(largest) && weakest.value < -3 * weakest.noise;
    const flat = Array.from(values.keys()).filter((k) => {
      if (!(values[k]! > SINGULAR_RATIO * Math.abs(largest))) return true;
      if (!mcError) return false;
      return !(values[k]! > 2 * curvature(Float64Array.from({ length: d }, (_, i) => vectors[i * d + k]!)).noise);
    });
    if (flat.length === 0) flat.push(0);
    let partialSe = flat.length < d && values.every((x, k) => flat.includes(k) || x > 0) ? partialStandardErrors(values, vectors, d, flat) : undefined;
    if (collinear && !rawSingular && values.every((x) => x > 0)) {
      const flatScaled = Array.from(scaled!.values.keys()).filter((k) => !(scaled!.values[k]! > COLLINEAR_RATIO));
      partialSe = partialStandardErrors(scaled!.values, scaled!.vectors, d, flatScaled).map((x, j) => x / root[j]!);
    }
    const kept = partialSe ? names.filter((_, j) => Number.isFinite(partialSe[j]!)) : [];
    const keptNote = kept.length > 0 ? `; standard errors are given for ${kept.join(', ')}, which take no part in that direction` : '';
    const message = negative
      ? `the observed information is not positive definite (${shown}): the estimates are not at a maximum of the marginal likelihood along ${combination} — ${listed} ${verb} not determined by these data, or the fit has not converged; no standard errors for them${keptNote}`
      : `the observed information is singular${noisy && !singular ? ' within its Monte-Carlo error' : ''} (${shown}): ${listed} ${verb} not identifiable from these data — the likelihood is flat along ${combination}; no standard errors for them${keptNote}${noisy && !singular ? ' (if that direction should be identified, raise --uq-samples)' : ''}`;
    return { ok: false, message, eigenvalues: values, direction: weights, ...(kept.length > 0 ? { partialSe } : {}) };
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
