/**
 * The full posterior covariance behind the individual fits' prediction band. An ML fit's run folder stores each
 * subject's EBE (the conditional mode) with the marginal sds of its Laplace posterior only (individual.csv): drawing
 * η from those sds makes the effects independent, dropping the correlations that Ω's correlation(...) blocks and
 * the data put between them. For the subjects whose fits are shown (a few dozen at most) the Laplace factor is
 * computed here instead — the Cholesky factor C of H⁻¹, H = −∇²[log p(Y_i | η) + log N(η; 0, Ω)] at the mode, with
 * the full Ω (stdlib/effects-prior.ts) in the prior's Hessian — from the EBE as the start of the mode search (it is
 * the mode already: one round confirms it). A subject whose posterior has a factor already (an ELBO fit's
 * full-rank q, or an evaluation that computed the modes) is left as it is, and so is a model with one effect.
 */
import type { FitContext } from '../../infer/fit-context.js';
import type { PosteriorMoments } from '../../infer/posterior.js';
import { subContext } from '../../evaluate/likelihood.js';
import { laplacePoints } from '../../uq/laplace.js';
import { uqProblem } from '../../uq/uncertainty.js';

/** `posterior` with a full factor for each of the `shown` subjects that had only marginal sds. */
export async function withFullPosterior(ctx: FitContext, population: Float64Array, posterior: readonly PosteriorMoments[], shown: readonly number[]): Promise<PosteriorMoments[]> {
  const out = [...posterior];
  const missing = shown.filter((i) => !posterior[i]!.chol);
  if (ctx.model.dims.neta < 2 || missing.length === 0) return out;
  const problem = uqProblem(subContext(ctx, missing));
  try {
    const points = await laplacePoints(problem, population, missing.map((i) => posterior[i]!.mu));
    missing.forEach((i, k) => {
      // A subject whose search failed (no finite density at its EBE) keeps its marginal sds.
      if (points.failed.includes(k)) return;
      out[i] = { ...posterior[i]!, chol: Float64Array.from(points.chol[k]!) };
    });
  } finally {
    problem.engine.dispose();
  }
  return out;
}
