/**
 * The importance proposal of a flow fit (`--posterior flow --estimate elbo`): r = (1 − α) q(η | Y_i) + α N(0, Ω̂)
 * with q the fitted flow itself, η = μ + L f(ε), scored by its exact density
 *
 *   log q(η) = log N(ε; 0, I) − log |det f′(ε)| − Σ_r log L_rr,   ε = f⁻¹(L⁻¹(η − μ)),
 *
 * rather than a Student t moment-matched to it (proposal.ts, the Gaussian families'): a skewed or bent q is then
 * the proposal's shape, not only its first two moments. The defensive share α of the prior stays, allocated and
 * weighted as in proposal.ts (the deterministic mixture), so every weight is bounded by p(Y_i | η) / α whatever
 * the flow learned; a prior draw is scored under q through the flow's inverse (flow.ts `inverse`). q is not
 * widened: a Student t's inflation has no exact counterpart for a flow short of rescaling L, and the defensive
 * share already covers the tails q misses.
 */
import { HALF_LOG_2PI } from '../../stdlib/observation-terms.js';
import { drawEffects, logPriorDensity, PriorWorkspace, solveLower, type EffectsPrior } from '../../stdlib/effects-prior.js';
import { PlanarFlow } from '../infer/flow.js';
import type { Random } from '../nn/random.js';
import { logAddExp, type Draws, type ImportanceSettings } from './proposal.js';

/** A subject's fitted flow: the base μ and Cholesky factor L (row-major, lower) and the layers' raw parameters. */
export interface FlowProposal {
  readonly mu: ArrayLike<number>;
  readonly chol: ArrayLike<number>;
  readonly layers: ArrayLike<number>;
}

/** log q(η) for q's draws and for any other η (through the inverse), with the buffers of one subject. */
class FlowDensity {
  private readonly flow: PlanarFlow;
  private readonly eps: Float64Array;
  private readonly z: Float64Array;
  private readonly logDetL: number;

  constructor(private readonly q: FlowProposal, private readonly n: number) {
    this.flow = new PlanarFlow(n).load(q.layers, 0);
    this.eps = new Float64Array(n);
    this.z = new Float64Array(n);
    let logDetL = 0;
    for (let r = 0; r < n; r++) logDetL += Math.log(q.chol[r * n + r]!);
    this.logDetL = logDetL;
  }

  private logQ(eps: ArrayLike<number>, logDet: number): number {
    let q = 0;
    for (let r = 0; r < this.n; r++) q += eps[r]! ** 2;
    return -this.n * HALF_LOG_2PI - 0.5 * q - logDet - this.logDetL;
  }

  /** η = μ + L f(ε) into eta[offset …] for standard normals ε; returns log q(η). */
  draw(eps: Float64Array, eta: Float64Array, offset: number): number {
    const { n, q, z } = this;
    const logDet = this.flow.forward(eps, 0, z, 0);
    for (let r = 0; r < n; r++) {
      let v = q.mu[r]!;
      for (let c = 0; c <= r; c++) v += q.chol[r * n + c]! * z[c]!;
      eta[offset + r] = v;
    }
    return this.logQ(eps, logDet);
  }

  /** log q(η) of η = eta[offset …]: z = L⁻¹(η − μ), ε = f⁻¹(z). */
  score(eta: ArrayLike<number>, offset: number): number {
    const { n, q, z, eps } = this;
    for (let r = 0; r < n; r++) eps[r] = eta[offset + r]! - q.mu[r]!;
    solveLower(q.chol, n, eps, 0, z);
    const logDet = this.flow.inverse(z, 0, this.eps, 0);
    return this.logQ(this.eps, logDet);
  }
}

/** `samples` draws of (1 − α) q + α N(0, Ω) for one subject, the prior's share first, each with log r. */
export function drawFlowMixture(q: FlowProposal, prior: EffectsPrior, samples: number, random: Random, settings: ImportanceSettings): Draws {
  const n = prior.neta;
  const density = new FlowDensity(q, n);
  const ws = new PriorWorkspace(n);
  const eps = new Float64Array(n);
  const eta = new Float64Array(samples * n);
  const logDensity = new Float64Array(samples);
  const fromPrior = Math.round(settings.defensive * samples);
  const logA = Math.log(settings.defensive);
  const log1mA = Math.log1p(-settings.defensive);
  for (let l = 0; l < samples; l++) {
    for (let r = 0; r < n; r++) eps[r] = random.normal();
    let logQ: number;
    if (l < fromPrior) {
      drawEffects(prior, eps, 0, eta, l * n);
      logQ = density.score(eta, l * n);
    } else logQ = density.draw(eps, eta, l * n);
    logDensity[l] = settings.defensive > 0 ? logAddExp(log1mA + logQ, logA + logPriorDensity(prior, eta, l * n, ws)) : logQ;
  }
  return { eta, logDensity };
}
