/**
 * Adaptive Gauss–Hermite quadrature (AGQ) of each subject's marginal likelihood, the exact oracle of the
 * uncertainty step for models with few random effects (Pinheiro & Bates 1995; NONMEM's and nlme's "AGQ"):
 *
 *   p(Y_i) = ∫ e^{ℓ_i(η)} dη = |C_i| ∫ e^{ℓ_i(η̂_i + C_i z)} dz ≈ |C_i| Σ_k w_k e^{ℓ_i(η̂_i + C_i z_k)} / φ(z_k),
 *
 * with η̂_i and C_i the subject's Laplace point (laplace.ts), z_k the tensor grid of the n-point Gauss–Hermite rule
 * for the standard normal (nodes and weights by Golub–Welsch), w_k the product weights and φ the standard normal
 * density. With one node it is the Laplace approximation; for a model linear in η it is exact at any n.
 *
 * The grid is returned as a SampleSet (marginal.ts) whose "proposal density" log r_k makes the Monte-Carlo
 * estimator's formula, (1/K) Σ_k exp(ℓ_k − log r_k), equal the quadrature sum: so the same code gives the value,
 * its exact gradient in the population vector (the grid held fixed in u = φ + η, as the draws are) and the
 * observed information by Louis' identity (information.ts). Held fixed, the grid is an importance sample with a
 * deterministic proposal; its error is the quadrature's, which agqConvergence measures by the change between n
 * and n + 2 nodes. There is no Monte-Carlo error.
 */
import { HALF_LOG_2PI } from '../engine/gaussian-likelihood.js';
import { unpack } from '../infer/population.js';
import { laplacePoints, type LaplaceOptions, type LaplacePoints, defaultLaplaceOptions } from './laplace.js';
import { evaluate, simulateBlock, totalLogLik, trajectoryFreeEntries, type Evaluation, type SampleSet, type SimBlock, type UqProblem } from './marginal.js';
import { symmetricEigen } from './symmetric-eigen.js';


/** Nodes and weights of the n-point Gauss–Hermite rule for ∫ f(z) φ(z) dz (weights sum to 1). */
export function gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array } {
  if (!Number.isInteger(n) || n < 1 || n > 40) throw new RangeError(`gaussHermite: ${n} nodes (1 to 40)`);
  // Golub–Welsch: the Jacobi matrix of the probabilists' Hermite polynomials has off-diagonal √k.
  const j = new Float64Array(n * n);
  for (let k = 1; k < n; k++) j[(k - 1) * n + k] = j[k * n + k - 1] = Math.sqrt(k);
  const { values, vectors } = symmetricEigen(j, n);
  const weights = Float64Array.from({ length: n }, (_, k) => vectors[k]! ** 2);
  const total = weights.reduce((a, b) => a + b, 0);
  // Symmetrize away round-off: z_k = −z_{n−1−k}, equal weights.
  const nodes = Float64Array.from({ length: n }, (_, k) => (values[k]! - values[n - 1 - k]!) / 2);
  return { nodes, weights: Float64Array.from(weights, (w, k) => (w + weights[n - 1 - k]!) / (2 * total)) };
}

/** Nodes per random effect by default: n^d stays within a few hundred trajectories per subject. */
export function defaultAgqNodes(neta: number): number {
  return [1, 9, 9, 5, 3][neta] ?? 1;
}

/** The largest number of random effects AGQ is used for by default (beyond: the Laplace importance sampler). */
export const AGQ_MAX_EFFECTS = 4;

/** The tensor grid of n nodes per dimension around each subject's Laplace point, centred at φ (marginal.ts). */
export function agqSampleSet(problem: UqProblem, v: Float64Array, points: LaplacePoints, nodes: number): SampleSet {
  const neta = problem.model.dims.neta;
  const { phi } = unpack(problem.layout, v);
  const rule = gaussHermite(nodes);
  const K = nodes ** neta;
  const z = new Float64Array(neta);
  const u: Float64Array[] = [];
  const logR: Float64Array[] = [];
  for (let i = 0; i < problem.data.nSubjects; i++) {
    const c = points.chol[i]!;
    const mode = points.mode[i]!;
    const ui = new Float64Array(K * neta);
    const li = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      let logW = 0;
      let zz = 0;
      for (let r = 0, q = k; r < neta; r++, q = Math.floor(q / nodes)) {
        z[r] = rule.nodes[q % nodes]!;
        logW += Math.log(rule.weights[q % nodes]!);
        zz += z[r]! * z[r]!;
      }
      for (let r = 0; r < neta; r++) {
        let x = mode[r]!;
        for (let s = 0; s <= r; s++) x += c[r * neta + s]! * z[s]!;
        ui[k * neta + r] = x + phi[problem.effectParameter[r]!]!;
      }
      // (1/K) exp(ℓ − log r) = |C| w e^ℓ / φ(z)  ⇔  log r = log φ(z) − log|C| − log w − log K.
      li[k] = -neta * HALF_LOG_2PI - 0.5 * zz - points.logDetChol[i]! - logW - Math.log(K);
    }
    u.push(ui);
    logR.push(li);
  }
  return { kind: 'agq', samples: K, u, logR };
}

export interface AgqEvaluation {
  readonly set: SampleSet;
  readonly block: SimBlock;
  readonly evaluation: Evaluation;
  /** Σ_i log p_i. */
  readonly logLik: number;
  readonly nodes: number;
}

/**
 * The AGQ log-likelihood at v on the grid of `points`, with its exact gradient (grid fixed); `valueOnly` skips the
 * Jacobians the gradient's trajectory-changing entries need.
 */
export async function agqEvaluate(problem: UqProblem, v: Float64Array, points: LaplacePoints, nodes: number, valueOnly = false): Promise<AgqEvaluation> {
  const set = agqSampleSet(problem, v, points, nodes);
  const { phi } = unpack(problem.layout, v);
  const block = await simulateBlock(problem, set, phi);
  const free = valueOnly ? problem.layout.entries.map(() => true) : trajectoryFreeEntries(problem, set, phi);
  const evaluation = evaluate(problem, set, block, v, free);
  return { set, block, evaluation, logLik: totalLogLik(evaluation).logLik, nodes };
}

export interface AgqLikelihood {
  readonly logLik: number;
  readonly nodes: number;
  /** Σ log p at n + 2 nodes minus at n: the quadrature's own error estimate. */
  readonly convergence: number;
  readonly points: LaplacePoints;
  readonly at: AgqEvaluation;
}

/** AGQ at v with adaptation from `start` (per-subject η), and the change from n to n + 2 nodes. */
export async function agqLikelihood(problem: UqProblem, v: Float64Array, start: readonly ArrayLike<number>[], nodes = defaultAgqNodes(problem.model.dims.neta), laplace: LaplaceOptions = defaultLaplaceOptions): Promise<AgqLikelihood> {
  const points = await laplacePoints(problem, v, start, laplace);
  const at = await agqEvaluate(problem, v, points, nodes);
  const finer = await agqEvaluate(problem, v, points, nodes + 2, true);
  return { logLik: at.logLik, nodes, convergence: finer.logLik - at.logLik, points, at };
}
