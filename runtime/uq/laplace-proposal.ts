/**
 * The Laplace importance proposal, for models with more random effects than quadrature affords: per subject
 *   r(η) = (1 − α) t_ν(η̂_i, (k C_i)(k C_i)ᵀ) + α N(0, Ω),
 * a multivariate Student t (ν = 5) around the Laplace mode with the Laplace covariance's Cholesky factor C_i
 * widened by k = 1.2 — the posterior's correlations included, which the mean-field q lacks — and the defensive
 * share α of the prior that bounds every weight (proposal.ts explains the deterministic mixture).
 */
import { priorAt, unpack } from '../infer/population.js';
import { Random } from '../nn/random.js';
import type { LaplacePoints } from './laplace.js';
import { sampleSet, type SampleSet, type UqProblem } from './marginal.js';
import { drawStudentMixture } from './proposal.js';

export const laplaceProposalSettings = { dof: 5, inflate: 1.2, defensive: 0.1 } as const;

/** `samples` draws per subject around its Laplace point, centred at φ(v) like every sample set. */
export function laplaceProposalSet(problem: UqProblem, v: Float64Array, points: LaplacePoints, samples: number, seed: number): SampleSet {
  const prior = priorAt(problem.layout, v);
  const random = new Random(seed);
  const draws = points.mode.map((mode, i) => drawStudentMixture(mode, points.chol[i]!, prior, samples, random, laplaceProposalSettings));
  return sampleSet(problem, 'laplace', unpack(problem.layout, v).phi, draws);
}
