/**
 * The observed Fisher information I(v̂) = −Σ_i ∇² log p̂(Y_i) (seed 001, equation 8) on the unconstrained
 * population vector v = (φ, log ω, log e), for the Monte-Carlo estimator of marginal.ts with its draws held fixed
 * (common random numbers), by Louis' identity applied to that estimator:
 *
 *   ∇² log p̂_i = Σ_l w̄_l [∇²ℓ_l + (∇ℓ_l − ḡ_i)(∇ℓ_l − ḡ_i)ᵀ],   ḡ_i = Σ_l w̄_l ∇ℓ_l,
 *
 * which is the exact Hessian of log p̂_i = log Σ_l exp ℓ_l − log L. The gradients ∇ℓ_l are exact (the engine's
 * sensitivities); each draw's second derivative ∇²ℓ_l is the central difference of its exact gradient,
 * (∇ℓ_l(v̂ + h e_k) − ∇ℓ_l(v̂ − h e_k)) / 2h with h = 10⁻³ on the unconstrained scale (truncation ~h² = 10⁻⁶
 * relative; the tighter uncertainty tolerances keep the integrator's noise / h below that).
 *
 * Cost: moving φ_k of a parameter with a random effect, ω or e changes no trajectory (marginal.ts), so those
 * columns need no ODE solve; only the other φ (no random effect, covariate coefficients) re-solve the draws, and
 * only the draws that carry weight (normalized weight ≥ 10⁻¹²).
 *
 * Monte-Carlo error: each subject's term is a self-normalized importance-sampling mean of
 * a_l = −[∇²ℓ_l + (∇ℓ_l − ḡ)(∇ℓ_l − ḡ)ᵀ], so its delta-method variance is Σ_l w̄_l² (a_l − ā)² (entrywise); the
 * subjects are independent, so the variances add.
 */
import { evaluate, simulateBlock, trajectoryFreeEntries, type Evaluation, type SampleSet, type SimBlock, type UqProblem } from './marginal.js';

export interface InformationOptions {
  /** Difference step on the unconstrained scale. */
  readonly step: number;
  /** Draws whose normalized weight is below this are not re-solved for the trajectory-changing columns. */
  readonly prune: number;
}

export const defaultInformationOptions: InformationOptions = { step: 1e-4, prune: 1e-12 };

export interface InformationResult {
  /** d × d, row-major, over the population vector's entries. */
  readonly information: Float64Array;
  /** d × d Monte-Carlo standard error of each entry. */
  readonly mcError: Float64Array;
  /** Entries whose column needed new trajectories. */
  readonly resolved: readonly string[];
  /** Trajectories solved for those columns. */
  readonly trajectories: number;
  /** Weighted draws whose trajectory failed at a shifted point (left out of that column). */
  readonly failedDraws: number;
}

/** `base` holds the sample set's trajectories at φ(v̂) (the caller has them from the likelihood step). */
export async function observedInformation(problem: UqProblem, set: SampleSet, base: SimBlock, population: Float64Array, options: InformationOptions = defaultInformationOptions): Promise<InformationResult> {
  const entries = problem.layout.entries;
  const d = entries.length;
  const n = set.u.length;
  const L = set.samples;
  const h = options.step;
  const free = trajectoryFreeEntries(problem, set, base.phi);
  const at = evaluate(problem, set, base, population, free, true);
  const w = at.weights;
  const g0 = at.drawGradients!;
  // ḡ_i per subject.
  const gbar = Array.from({ length: n }, (_, i) => {
    const out = new Float64Array(d);
    for (let l = 0; l < L; l++) for (let j = 0; j < d; j++) out[j] = out[j]! + w[i]![l]! * g0[i]![l * d + j]!;
    return out;
  });
  const S1 = new Float64Array(n * d * d);
  const S2 = new Float64Array(n * d * d);
  const S3 = new Float64Array(n * d * d);
  const W2 = Float64Array.from({ length: n }, (_, i) => w[i]!.reduce((s, x) => s + x * x, 0));
  const resolved: string[] = [];
  let trajectories = 0;
  let failedDraws = 0;
  const active = (i: number, l: number): boolean => w[i]![l]! >= options.prune;
  for (let k = 0; k < d; k++) {
    const e = entries[k]!;
    const shifted: Evaluation[] = [];
    for (const sign of [1, -1]) {
      const v = Float64Array.from(population);
      v[k] = v[k]! + sign * h;
      let block = base;
      if (!free[k]) {
        const phi = Float64Array.from(base.phi);
        phi[e.index] = v[k]!;
        block = await simulateBlock(problem, set, phi, active);
        trajectories += block.status.length;
      }
      shifted.push(evaluate(problem, set, block, v, free, true));
    }
    if (!free[k]) resolved.push(e.name);
    const [plus, minus] = shifted as [Evaluation, Evaluation];
    for (let i = 0; i < n; i++) {
      const gp = plus.drawGradients![i]!;
      const gm = minus.drawGradients![i]!;
      const wp = plus.weights[i]!;
      const wm = minus.weights[i]!;
      for (let l = 0; l < L; l++) {
        const wl = w[i]![l]!;
        if (wl === 0) continue;
        const ok = wp[l]! > 0 && wm[l]! > 0;
        if (!ok && wl >= options.prune) failedDraws++;
        const cross = g0[i]![l * d + k]! - gbar[i]![k]!;
        for (let j = 0; j < d; j++) {
          const second = ok ? (gp[l * d + j]! - gm[l * d + j]!) / (2 * h) : 0;
          const a = -(second + (g0[i]![l * d + j]! - gbar[i]![j]!) * cross);
          const idx = i * d * d + j * d + k;
          S1[idx] = S1[idx]! + wl * a;
          S2[idx] = S2[idx]! + wl * wl * a;
          S3[idx] = S3[idx]! + wl * wl * a * a;
        }
      }
    }
  }
  const raw = new Float64Array(d * d);
  const variance = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let idx = 0; idx < d * d; idx++) {
      const mean = S1[i * d * d + idx]!;
      raw[idx] = raw[idx]! + mean;
      variance[idx] = variance[idx]! + Math.max(0, S3[i * d * d + idx]! - 2 * mean * S2[i * d * d + idx]! + mean * mean * W2[i]!);
    }
  }
  const information = new Float64Array(d * d);
  const mcError = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      information[j * d + k] = (raw[j * d + k]! + raw[k * d + j]!) / 2;
      mcError[j * d + k] = Math.sqrt((variance[j * d + k]! + variance[k * d + j]!) / 2);
    }
  }
  return { information, mcError, resolved, trajectories, failedDraws };
}
