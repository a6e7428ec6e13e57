/**
 * The Laplace importance proposal, for models with more random effects than quadrature affords: per subject
 *   r(η) = (1 − α) t_ν(η̂_i, (k C_i)(k C_i)ᵀ) + α N(0, Ω),
 * a multivariate Student t (ν = 5) around the Laplace mode with the Laplace covariance's Cholesky factor C_i
 * widened by k = 1.2 — the posterior's correlations included, which the mean-field q lacks — and the defensive
 * share α of the prior that bounds every weight (proposal.ts explains the deterministic mixture).
 */
import { unpack } from '../infer/population.js';
import { Random } from '../simulate/random.js';
import type { LaplacePoints } from './laplace.js';
import type { SampleSet, UqProblem } from './marginal.js';
import { logAddExp, logGammaHalfInteger, logPrior } from './proposal.js';

export const laplaceProposalSettings = { dof: 5, inflate: 1.2, defensive: 0.1 } as const;

/** log t_ν(η; μ, S Sᵀ) for lower-triangular S with log|S| given. */
function logStudentTFull(eta: ArrayLike<number>, offset: number, mu: ArrayLike<number>, s: ArrayLike<number>, logDetS: number, dof: number): number {
  const d = mu.length;
  const z = new Float64Array(d);
  let q = 0;
  for (let r = 0; r < d; r++) {
    let x = eta[offset + r]! - mu[r]!;
    for (let c = 0; c < r; c++) x -= s[r * d + c]! * z[c]!;
    z[r] = x / s[r * d + r]!;
    q += z[r]! * z[r]!;
  }
  return logGammaHalfInteger((dof + d) / 2) - logGammaHalfInteger(dof / 2) - (d / 2) * Math.log(dof * Math.PI) - logDetS - ((dof + d) / 2) * Math.log1p(q / dof);
}

/** `samples` draws per subject around its Laplace point, centred at φ(v) like every sample set. */
export function laplaceProposalSet(problem: UqProblem, v: Float64Array, points: LaplacePoints, samples: number, seed: number): SampleSet {
  const neta = problem.model.dims.neta;
  const { phi, omega } = unpack(problem.layout, v);
  const { dof, inflate, defensive } = laplaceProposalSettings;
  const random = new Random(seed);
  const fromPrior = Math.round(defensive * samples);
  const u: Float64Array[] = [];
  const logR: Float64Array[] = [];
  const z = new Float64Array(neta);
  for (let i = 0; i < problem.data.nSubjects; i++) {
    const mode = points.mode[i]!;
    const s = Float64Array.from(points.chol[i]!, (x) => inflate * x);
    const logDetS = points.logDetChol[i]! + neta * Math.log(inflate);
    const eta = new Float64Array(samples * neta);
    const li = new Float64Array(samples);
    for (let l = 0; l < samples; l++) {
      if (l < fromPrior) {
        for (let r = 0; r < neta; r++) eta[l * neta + r] = omega[r]! * random.normal();
      } else {
        let chi2 = 0;
        for (let k = 0; k < dof; k++) chi2 += random.normal() ** 2;
        const w = Math.sqrt(dof / chi2);
        for (let r = 0; r < neta; r++) z[r] = random.normal();
        for (let r = 0; r < neta; r++) {
          let x = mode[r]!;
          for (let c = 0; c <= r; c++) x += s[r * neta + c]! * w * z[c]!;
          eta[l * neta + r] = x;
        }
      }
      li[l] = logAddExp(Math.log1p(-defensive) + logStudentTFull(eta, l * neta, mode, s, logDetS, dof), Math.log(defensive) + logPrior(eta, l * neta, omega));
    }
    for (let l = 0; l < samples; l++) for (let r = 0; r < neta; r++) eta[l * neta + r] = eta[l * neta + r]! + phi[problem.effectParameter[r]!]!;
    u.push(eta);
    logR.push(li);
  }
  return { kind: 'laplace', samples, u, logR };
}
