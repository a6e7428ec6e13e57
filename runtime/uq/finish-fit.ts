/**
 * What a fit reports after training (docs/fit.md, "Which estimate is reported"): by default the maximum-likelihood
 * estimate reached from the variational optimum (ml-estimate.ts), with its EBEs (the Laplace modes), predictions,
 * −2LL and standard errors from the same integration points (at-maximum.ts); with `estimate: 'elbo'` the
 * variational optimum itself, with the Monte-Carlo uncertainty step of uncertainty.ts. The CLI, `nlmc study` and
 * the benchmarks call this one function.
 */
import type { FitContext } from '../infer/fit-context.js';
import { marginalSds, predictionsAt, type ObservationPrediction, type SubjectPosterior } from '../infer/posterior.js';
import { defaultAtMaximumOptions, uncertaintyAtMaximum } from './at-maximum.js';
import { laplacePoints, type LaplacePoints } from './laplace.js';
import { maximumLikelihoodEstimate, type MaximumLikelihoodEstimate } from './ml-estimate.js';
import { defaultMlFinishOptions, FinishInterrupted, integrateAt, type MarginalMethod } from './ml-finish.js';
import { assessUncertainty, defaultUncertaintyOptions, uqProblem, type DrawnKind, type UncertaintyResult } from './uncertainty.js';

export type EstimateChoice = 'ml' | 'elbo';
/** How the marginal likelihood is integrated: AGQ or the Laplace sampler at the MLE, or a drawn estimator around q. */
export type LikelihoodChoice = 'auto' | MarginalMethod | DrawnKind;

export interface FinishOptions {
  readonly estimate: EstimateChoice;
  readonly likelihood: LikelihoodChoice;
  /** Run the uncertainty step (likelihood block, standard errors). */
  readonly uncertainty: boolean;
  /** AGQ nodes per random effect (default: by the number of effects). */
  readonly agqNodes?: number;
  /** Draws per subject: the Laplace sampler's, or the drawn estimators'. */
  readonly samples?: number;
  /** Time budget of the information's Monte-Carlo control, seconds. */
  readonly uqSeconds?: number;
  readonly seed: number;
  /** Polled during the step (Ctrl-C): an interrupted finish reports the variational optimum, `interrupted` set. */
  readonly shouldStop?: () => boolean;
}

export interface FinishedFit {
  /** The reported population vector. */
  readonly population: Float64Array;
  readonly subjects: readonly SubjectPosterior[];
  readonly predictions: readonly ObservationPrediction[];
  readonly maximumLikelihood?: MaximumLikelihoodEstimate;
  readonly uncertainty?: UncertaintyResult;
  /** Warnings for the user. */
  readonly messages: readonly string[];
  /** The maximum-likelihood finish was stopped on request: the outputs are the variational optimum's, incomplete. */
  readonly interrupted?: boolean;
}

/** The Laplace posteriors N(η̂_i, C_i C_iᵀ) as EBEs with their spread. */
function laplaceMoments(points: LaplacePoints, neta: number) {
  return points.mode.map((mu, i) => ({ mu: Float64Array.from(mu), sd: marginalSds(points.chol[i]!, neta), chol: Float64Array.from(points.chol[i]!) }));
}

export async function finishFit(ctx: FitContext, variational: Float64Array, q: { subjects: readonly SubjectPosterior[]; predictions: readonly ObservationPrediction[] }, options: FinishOptions, say: (line: string) => void = () => undefined): Promise<FinishedFit> {
  const drawn = options.likelihood === 'prior' || options.likelihood === 'importance';
  if (options.estimate === 'ml' && drawn) throw new Error(`--uq-estimator ${options.likelihood} integrates around the variational q: use it with --estimate elbo (the maximum-likelihood finish uses agq or laplace)`);
  const problem = uqProblem(ctx);
  try {
    if (options.estimate === 'elbo') {
      if (!options.uncertainty) return { population: variational, ...q, messages: [] };
      if (options.likelihood === 'agq' || options.likelihood === 'laplace') {
        // The deterministic (AGQ) or Laplace-sampled likelihood and information at the ELBO optimum itself.
        say(`uncertainty at the variational optimum by ${options.likelihood === 'agq' ? 'adaptive Gauss–Hermite quadrature' : 'Laplace importance sampling'} on the CPU (f64)`);
        const at = await integrateAt(problem, variational, q.subjects.map((s) => s.mu), {
          ...defaultMlFinishOptions, method: options.likelihood, seed: options.seed, ...(options.agqNodes ? { nodes: options.agqNodes } : {}), ...(options.samples ? { samples: options.samples } : {}),
        });
        const uncertainty = await uncertaintyAtMaximum(problem, at, { ...defaultAtMaximumOptions, seed: options.seed, ...(options.uqSeconds ? { seconds: options.uqSeconds } : {}) }, (line) => say(`  ${line}`));
        return { population: variational, ...q, uncertainty, messages: uncertainty.messages };
      }
      const samples = options.samples ?? defaultUncertaintyOptions.samples;
      say(`uncertainty at the variational optimum: Monte-Carlo marginal likelihood and observed information on the CPU (f64), ${samples} draws per subject`);
      const uncertainty = await assessUncertainty(problem, variational, q.subjects, { ...defaultUncertaintyOptions, samples, estimator: drawn ? (options.likelihood as DrawnKind) : 'auto', seed: options.seed }, (line) => say(`  ${line}`));
      return { population: variational, ...q, uncertainty, messages: uncertainty.messages };
    }
    const method = options.likelihood === 'agq' || options.likelihood === 'laplace' ? options.likelihood : 'auto';
    let ml: MaximumLikelihoodEstimate;
    try {
      ml = await maximumLikelihoodEstimate(problem, variational, q.subjects, {
        ...defaultMlFinishOptions, method, seed: options.seed, ...(options.agqNodes ? { nodes: options.agqNodes } : {}), ...(options.samples ? { samples: options.samples } : {}),
        ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}),
      }, say);
    } catch (e) {
      if (!(e instanceof FinishInterrupted)) throw e;
      return { population: variational, ...q, messages: ['the maximum-likelihood finish was interrupted; the outputs hold the variational optimum'], interrupted: true };
    }
    const v = ml.result.v;
    const at = await predictionsAt(ctx, v, laplaceMoments(ml.result.at.points, ctx.model.dims.neta));
    say(`maximum likelihood: ${ml.result.message} (${ml.result.iterations.length} iterations, ${ml.result.seconds.toFixed(1)} s)`);
    if (!options.uncertainty) return { population: v, ...at, maximumLikelihood: ml, messages: ml.messages };
    const uncertainty = await uncertaintyAtMaximum(problem, ml.result, { ...defaultAtMaximumOptions, seed: options.seed, ...(options.uqSeconds ? { seconds: options.uqSeconds } : {}), ...(options.shouldStop ? { shouldStop: options.shouldStop } : {}) }, (line) => say(`  ${line}`));
    return { population: v, ...at, maximumLikelihood: ml, uncertainty, messages: [...ml.messages, ...uncertainty.messages] };
  } finally {
    problem.engine.dispose();
  }
}

/**
 * EBEs at a fit's reported estimate for (new) subjects, as the fit itself reports them: each subject's Laplace mode
 * (the conditional mode, NONMEM's POSTHOC), found from the encoder's μ_i, with PRED/IPRED/IWRES there.
 */
export async function posthocPosteriors(ctx: FitContext, population: Float64Array, q: readonly SubjectPosterior[]): Promise<{ subjects: SubjectPosterior[]; predictions: ObservationPrediction[] }> {
  const problem = uqProblem(ctx);
  try {
    const points = await laplacePoints(problem, population, q.map((s) => s.mu));
    return await predictionsAt(ctx, population, laplaceMoments(points, ctx.model.dims.neta));
  } finally {
    problem.engine.dispose();
  }
}
