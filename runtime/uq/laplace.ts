/**
 * Each subject's Laplace point at a population vector v: the mode η̂_i of the complete-data log density
 *   ℓ_i(η) = log p(Y_i | p(φ, η, c_i)) + log N(η; 0, Ω),
 * and the Cholesky factor C_i of the inverse of its negative Hessian H_i = −∇²ℓ_i(η̂_i) (the posterior's Laplace
 * covariance H⁻¹ = C Cᵀ). Adaptive Gauss–Hermite quadrature (agq.ts) and the Laplace importance proposal put their
 * nodes at η̂ + C z.
 *
 * The gradient in η is exact (the engine's sensitivities through ∂p/∂η); the Hessian is the central difference of
 * that gradient. The mode is found by Newton's method with a backtracking line search, all subjects batched into
 * one engine call per round; a Hessian that is not positive definite away from the mode is made so by flipping and
 * flooring its eigenvalues (a descent direction whatever the curvature).
 */
import { TrajectoryStatus } from '../engine/trajectory-status.js';
import { logPriorDensity, logPriorGradients, PriorWorkspace, type EffectsPrior } from '../../stdlib/effects-prior.js';
import { priorAt, unpack } from '../infer/population.js';
import type { UqProblem } from './marginal.js';
import { cholesky } from './cholesky.js';
import { symmetricEigen } from './symmetric-eigen.js';

export interface LaplaceOptions {
  /** Newton rounds at most. */
  readonly maxRounds: number;
  /** Converged when the Newton decrement gᵀH⁻¹g is below this. */
  readonly decrement: number;
  /** Central-difference step of the Hessian, relative to ω. */
  readonly hessianStep: number;
}

export const defaultLaplaceOptions: LaplaceOptions = { maxRounds: 60, decrement: 1e-10, hessianStep: 1e-4 };

export interface LaplacePoints {
  /** Per subject: η̂_i (neta). */
  readonly mode: readonly Float64Array[];
  /** Per subject: ℓ_i(η̂_i). */
  readonly logJoint: Float64Array;
  /** Per subject: lower-triangular C_i (neta × neta, row-major) with C Cᵀ = H_i⁻¹. */
  readonly chol: readonly Float64Array[];
  /** Per subject: log |C_i| = −½ log |H_i|. */
  readonly logDetChol: Float64Array;
  /** Subjects whose mode search did not converge within maxRounds (their last point is kept). */
  readonly unconverged: readonly number[];
  /** Subjects with no finite ℓ at their start (every trajectory failed). */
  readonly failed: readonly number[];
  readonly rounds: number;
  readonly trajectories: number;
}

interface JointValue {
  readonly value: number;
  readonly gradient: Float64Array;
}

/** ℓ_i and ∇_η ℓ_i for a batch of (subject, η) pairs, in one engine call. */
async function jointValues(problem: UqProblem, v: Float64Array, prior: EffectsPrior, subjects: readonly number[], etas: readonly Float64Array[]): Promise<(JointValue | undefined)[]> {
  const { np, neta, ns } = problem.model.dims;
  const ts = problem.model.ts;
  const sens = problem.model.sensitivityParameters;
  const { phi, error } = unpack(problem.layout, v);
  const ws = new PriorWorkspace(neta);
  const rows = { subject: Int32Array.from(subjects), p: new Float64Array(subjects.length * np) };
  const jEta = new Float64Array(subjects.length * np * neta);
  const p = new Float64Array(np);
  const j = new Float64Array(np * neta);
  subjects.forEach((i, k) => {
    ts.individual(phi, etas[k]!, problem.covariates[i]!, p);
    ts.individualDeta(phi, etas[k]!, problem.covariates[i]!, j);
    rows.p.set(p, k * np);
    jEta.set(j, k * np * neta);
  });
  const lik = await problem.engine.logLikelihood(rows, error);
  return subjects.map((_, k) => {
    const eta = etas[k]!;
    if (lik.status[k] !== TrajectoryStatus.Ok || !Number.isFinite(lik.logLik[k]!)) return undefined;
    const value = lik.logLik[k]! + logPriorDensity(prior, eta, 0, ws);
    const precisionEta = logPriorGradients(prior, ws);
    const gradient = new Float64Array(neta);
    for (let r = 0; r < neta; r++) {
      let g = -precisionEta[r]!;
      for (let s = 0; s < ns; s++) g += lik.dLogLikDp[k * ns + s]! * jEta[k * np * neta + sens[s]! * neta + r]!;
      gradient[r] = g;
    }
    return Number.isFinite(value) && gradient.every(Number.isFinite) ? { value, gradient } : undefined;
  });
}

/** (H⁺)⁻¹, H⁺ being H with its eigenvalues replaced by max(|λ|, 10⁻⁸·max|λ|, 10⁻¹²): H⁻¹ itself when H is clearly positive definite. */
function positiveDefiniteInverse(h: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(h, d);
  const top = Math.max(...Array.from(values, Math.abs), 1e-300);
  const lam = Float64Array.from(values, (x) => Math.max(Math.abs(x), 1e-8 * top, 1e-12));
  const inverse = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    let s = 0;
    for (let k = 0; k < d; k++) s += (vectors[i * d + k]! * vectors[j * d + k]!) / lam[k]!;
    inverse[i * d + j] = s;
  }
  return inverse;
}

/** −∇²ℓ by central differences of the exact gradient, symmetrized; `plus`/`minus` hold ∇ℓ at η ± h_r e_r. */
function negativeHessian(plus: readonly JointValue[], minus: readonly JointValue[], steps: Float64Array, d: number): Float64Array {
  const h = new Float64Array(d * d);
  for (let r = 0; r < d; r++) for (let c = 0; c < d; c++) h[c * d + r] = -(plus[r]!.gradient[c]! - minus[r]!.gradient[c]!) / (2 * steps[r]!);
  for (let r = 0; r < d; r++) for (let c = 0; c < r; c++) h[r * d + c] = h[c * d + r] = (h[r * d + c]! + h[c * d + r]!) / 2;
  return h;
}

interface SubjectSearch {
  eta: Float64Array;
  current?: JointValue;
  hessian?: Float64Array;
  direction?: Float64Array;
  step: number;
  done: boolean;
  converged: boolean;
}

/**
 * The Laplace points of every subject at v, starting from `start[i]` (e.g. the encoder's μ_i or the previous
 * iteration's modes).
 */
export async function laplacePoints(problem: UqProblem, v: Float64Array, start: readonly ArrayLike<number>[], options: LaplaceOptions = defaultLaplaceOptions): Promise<LaplacePoints> {
  const neta = problem.model.dims.neta;
  const n = problem.data.nSubjects;
  const { omega } = unpack(problem.layout, v);
  const prior = priorAt(problem.layout, v);
  const steps = Float64Array.from(omega, (w) => options.hessianStep * Math.max(w, 1e-3));
  const search: SubjectSearch[] = Array.from({ length: n }, (_, i) => ({ eta: Float64Array.from(start[i]!), step: 1, done: false, converged: false }));
  const failed: number[] = [];
  let rounds = 0;
  let trajectories = 0;
  // Each round evaluates, for every active subject, a candidate η with its 2·neta shifted points.
  for (; rounds < options.maxRounds && search.some((s) => !s.done); rounds++) {
    const active = search.map((s, i) => (s.done ? -1 : i)).filter((i) => i >= 0);
    const candidates = active.map((i) => {
      const s = search[i]!;
      if (!s.current || !s.direction) return s.eta;
      return Float64Array.from(s.eta, (x, r) => x + s.step * s.direction![r]!);
    });
    const subjects: number[] = [];
    const etas: Float64Array[] = [];
    active.forEach((i, k) => {
      const c = candidates[k]!;
      subjects.push(i);
      etas.push(c);
      for (let r = 0; r < neta; r++) for (const sign of [1, -1]) {
        const e = Float64Array.from(c);
        e[r] = e[r]! + sign * steps[r]!;
        subjects.push(i);
        etas.push(e);
      }
    });
    const values = await jointValues(problem, v, prior, subjects, etas);
    trajectories += subjects.length;
    active.forEach((i, k) => {
      const s = search[i]!;
      const at = values[k * (1 + 2 * neta)];
      const shifted = Array.from({ length: 2 * neta }, (_, q) => values[k * (1 + 2 * neta) + 1 + q]);
      const usable = at !== undefined && shifted.every((x) => x !== undefined);
      if (!s.current) {
        if (!usable) {
          s.done = true;
          failed.push(i);
          return;
        }
      } else if (!usable || at!.value < s.current.value - 1e-12 * Math.abs(s.current.value)) {
        // Backtrack; a step that can no longer change η ends the search where it is.
        s.step /= 4;
        if (s.step < 1e-8) s.done = true;
        return;
      }
      s.eta = candidates[k]!;
      s.current = at!;
      s.hessian = negativeHessian(shifted.filter((_, q) => q % 2 === 0) as JointValue[], shifted.filter((_, q) => q % 2 === 1) as JointValue[], steps, neta);
      const inverse = positiveDefiniteInverse(s.hessian, neta);
      const g = s.current.gradient;
      const dir = new Float64Array(neta);
      let decrement = 0;
      for (let r = 0; r < neta; r++) {
        for (let c = 0; c < neta; c++) dir[r] = dir[r]! + inverse[r * neta + c]! * g[c]!;
        decrement += dir[r]! * g[r]!;
      }
      // Never jump further than 3 prior sds in one step.
      const longest = Math.max(...Array.from(dir, (x, r) => Math.abs(x) / (3 * omega[r]!)));
      if (longest > 1) for (let r = 0; r < neta; r++) dir[r] = dir[r]! / longest;
      s.direction = dir;
      s.step = 1;
      if (decrement < options.decrement) {
        s.done = true;
        s.converged = true;
      }
    });
  }
  const mode: Float64Array[] = [];
  const chol: Float64Array[] = [];
  const logJoint = new Float64Array(n);
  const logDetChol = new Float64Array(n);
  const unconverged: number[] = [];
  search.forEach((s, i) => {
    mode.push(s.eta);
    if (!s.current || !s.hessian) {
      // No usable point: the prior's scale, so that callers can still place nodes (their weights will be zero).
      chol.push(Float64Array.from(prior.L));
      logJoint[i] = -Infinity;
      logDetChol[i] = prior.logDet;
      return;
    }
    if (!s.converged) unconverged.push(i);
    logJoint[i] = s.current.value;
    const inv = cholesky(positiveDefiniteInverse(s.hessian, neta), neta)!;
    chol.push(inv);
    let logDet = 0;
    for (let r = 0; r < neta; r++) logDet += Math.log(inv[r * neta + r]!);
    logDetChol[i] = logDet;
  });
  return { mode, logJoint, chol, logDetChol, unconverged, failed, rounds, trajectories };
}
