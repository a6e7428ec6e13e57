/**
 * The sampling distributions r(η) of the Monte-Carlo marginal likelihood p(Y_i) = E_r[p(Y_i | η) p(η) / r(η)]:
 *
 * - `prior`: r = N(0, Ω̂), the seed paper's estimator (section 2.4, equation 9): the weights are the likelihoods.
 * - `importance`: r = (1 − α) t_ν(μ_i, (k σ_i)²) + α N(0, Ω̂), the fitted q(η | Y_i) = N(μ_i, σ_i²) widened three
 *   ways so that its tails cover the true posterior: a Student t (ν = 5) instead of the Gaussian, its scale
 *   inflated by k = 1.5 (variational posteriors are too narrow), and a defensive share α = 0.1 of the prior
 *   (Hesterberg 1995), which bounds every weight by p(Y_i | η) / α, so the estimator's variance is finite whatever
 *   the encoder did. The shares are allocated deterministically (round(αL) draws from the prior, the rest from the
 *   t) and weighted by the mixture density (the "deterministic mixture" or balance-heuristic estimator), which has
 *   a lower variance than drawing the component at random.
 *
 * Draws are independent of the population parameters once made: the Hessian by differences reuses them (common
 * random numbers), with r fixed at the fitted values.
 */
import { drawEffects, logPriorDensity, PriorWorkspace, type EffectsPrior } from '../../stdlib/effects-prior.js';
import type { Random } from '../nn/random.js';

/** 'agq': adaptive Gauss–Hermite quadrature (agq.ts), deterministic; 'laplace': importance sampling from the Laplace proposal (laplace-proposal.ts). */
export type EstimatorKind = 'prior' | 'importance' | 'agq' | 'laplace';

export interface ImportanceSettings {
  /** Share of draws from the prior (defensive mixture). */
  readonly defensive: number;
  /** Degrees of freedom of the Student t around μ_i. */
  readonly dof: number;
  /** Factor on σ_i. */
  readonly inflate: number;
}

export const defaultImportance: ImportanceSettings = { defensive: 0.1, dof: 5, inflate: 1.5 };

/** L draws of η for one subject (L × neta, row-major) and log r(η) of each. */
export interface Draws {
  readonly eta: Float64Array;
  readonly logDensity: Float64Array;
}

/** log Γ(x) for x a positive multiple of ½, exactly: Γ(½) = √π, Γ(1) = 1, Γ(x + 1) = x Γ(x). */
export function logGammaHalfInteger(x: number): number {
  const twice = Math.round(2 * x);
  if (twice < 1 || Math.abs(2 * x - twice) > 1e-12) throw new RangeError(`logGammaHalfInteger: ${x} is not a positive multiple of 1/2`);
  let v = twice % 2 === 1 ? 0.5 * Math.log(Math.PI) : 0;
  for (let y = twice % 2 === 1 ? 0.5 : 1; y < x - 1e-9; y += 1) v += Math.log(y);
  return v;
}

/** log of the d-variate Student t with ν degrees of freedom, location μ and diagonal scale s. */
export function logStudentT(eta: ArrayLike<number>, offset: number, mu: ArrayLike<number>, scale: ArrayLike<number>, dof: number): number {
  const d = mu.length;
  let q = 0;
  let logDet = 0;
  for (let r = 0; r < d; r++) {
    const z = (eta[offset + r]! - mu[r]!) / scale[r]!;
    q += z * z;
    logDet += Math.log(scale[r]!);
  }
  return logGammaHalfInteger((dof + d) / 2) - logGammaHalfInteger(dof / 2) - (d / 2) * Math.log(dof * Math.PI) - logDet - ((dof + d) / 2) * Math.log1p(q / dof);
}

export function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

/** η = L ε, ε standard normal: one draw of N(0, Ω) into eta[offset …]. */
function drawOne(prior: EffectsPrior, random: Random, eps: Float64Array, eta: Float64Array, offset: number): void {
  for (let r = 0; r < prior.neta; r++) eps[r] = random.normal();
  drawEffects(prior, eps, 0, eta, offset);
}

export function drawPrior(prior: EffectsPrior, samples: number, random: Random): Draws {
  const neta = prior.neta;
  const eta = new Float64Array(samples * neta);
  const logDensity = new Float64Array(samples);
  const eps = new Float64Array(neta);
  const ws = new PriorWorkspace(neta);
  for (let l = 0; l < samples; l++) {
    drawOne(prior, random, eps, eta, l * neta);
    logDensity[l] = logPriorDensity(prior, eta, l * neta, ws);
  }
  return { eta, logDensity };
}

/** log of the d-variate Student t with location μ and scale S Sᵀ (S lower triangular, log|S| given). */
export function logStudentTFull(eta: ArrayLike<number>, offset: number, mu: ArrayLike<number>, s: ArrayLike<number>, logDetS: number, dof: number): number {
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

/**
 * Draws from (1 − α) t_ν(μ, (k C)(k C)ᵀ) + α N(0, Ω) (the deterministic mixture above) for a lower-triangular
 * factor C of one subject's posterior covariance: the fitted q's (diagonal or full rank) or the Laplace one.
 */
export function drawStudentMixture(mu: ArrayLike<number>, chol: ArrayLike<number>, prior: EffectsPrior, samples: number, random: Random, settings: ImportanceSettings): Draws {
  const neta = prior.neta;
  const eps = new Float64Array(neta);
  const ws = new PriorWorkspace(neta);
  const scale = Float64Array.from(chol, (x) => settings.inflate * x);
  let logDetS = 0;
  for (let r = 0; r < neta; r++) logDetS += Math.log(scale[r * neta + r]!);
  const eta = new Float64Array(samples * neta);
  const logDensity = new Float64Array(samples);
  const fromPrior = Math.round(settings.defensive * samples);
  const logA = Math.log(settings.defensive);
  const log1mA = Math.log1p(-settings.defensive);
  const z = new Float64Array(neta);
  for (let l = 0; l < samples; l++) {
    if (l < fromPrior) {
      drawOne(prior, random, eps, eta, l * neta);
    } else {
      let chi2 = 0;
      for (let k = 0; k < settings.dof; k++) chi2 += random.normal() ** 2;
      const w = Math.sqrt(settings.dof / chi2);
      for (let r = 0; r < neta; r++) z[r] = random.normal();
      for (let r = 0; r < neta; r++) {
        let x = mu[r]!;
        for (let c = 0; c <= r; c++) x += scale[r * neta + c]! * w * z[c]!;
        eta[l * neta + r] = x;
      }
    }
    const t = logStudentTFull(eta, l * neta, mu, scale, logDetS, settings.dof);
    logDensity[l] = settings.defensive > 0 ? logAddExp(log1mA + t, logA + logPriorDensity(prior, eta, l * neta, ws)) : t;
  }
  return { eta, logDensity };
}

/** A diagonal factor diag(sd) as a lower-triangular matrix. */
export function diagonalFactor(sd: ArrayLike<number>): Float64Array {
  const d = sd.length;
  return Float64Array.from({ length: d * d }, (_, q) => (q % (d + 1) === 0 ? sd[q / (d + 1)]! : 0));
}

/**
 * The widened q of one subject: `mu` and `sd` are the encoder's μ_i and marginal σ_i, `chol` its full Cholesky
 * factor when the family is full rank (then the proposal has q's correlations).
 */
export function drawImportance(mu: ArrayLike<number>, sd: ArrayLike<number>, prior: EffectsPrior, samples: number, random: Random, settings: ImportanceSettings = defaultImportance, chol?: ArrayLike<number>): Draws {
  return drawStudentMixture(mu, chol ?? diagonalFactor(sd), prior, samples, random, settings);
}
