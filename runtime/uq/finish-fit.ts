/**
 * What a fit reports after training (docs/fit.md, "Which estimate is reported"): by default the maximum-likelihood
 * estimate reached from the variational optimum (ml-estimate.ts), with its EBEs (the Laplace modes), predictions,
 * −2LL and standard errors from the same integration points (at-maximum.ts); with `estimate: 'elbo'` the
 * variational optimum itself, with the Monte-Carlo uncertainty step of uncertainty.ts. The CLI, `nlmc study` and
 * the benchmarks call this one function.
 */
import type { FitContext } from '../infer/fit-context.js';
import { marginalSds, predictionsAt, type ObservationPrediction, type SubjectPosterior } from '../infer/posterior.js';
import { defaultAtMaximumOptions, uncertaintyAtMaximum, type AtMaximumOptions } from './at-maximum.js';
import { laplacePoints, type LaplacePoints } from './laplace.js';
import { maximumLikelihoodEstimate, type MaximumLikelihoodEstimate } from './ml-estimate.js';
import type { UqProblem } from './marginal.js';
import { defaultMlFinishOptions, FinishInterrupted, integrateAt, type MarginalMethod, type MlFinishOptions } from './ml-finish.js';
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
  /** The finish or the uncertainty step was stopped on request: the outputs are the variational optimum's, incomplete. */
  readonly interrupted?: boolean;
}

/** The Laplace posteriors N(η̂_i, C_i C_iᵀ) as EBEs with their spread. */
function laplaceMoments(points: LaplacePoints, neta: number) {
  return points.mode.map((mu, i) => ({ mu: Float64Array.from(mu), sd: marginalSds(points.chol[i]!, neta), chol: Float64Array.from(points.chol[i]!) }));
}

/** The finish's and the uncertainty step's settings from the fit's options (one place for the flags). */
function settings(options: FinishOptions, method: MarginalMethod | 'auto'): { finish: MlFinishOptions; atMaximum: AtMaximumOptions } {
  const stop = options.shouldStop ? { shouldStop: options.shouldStop } : {};
  return {
    finish: { ...defaultMlFinishOptions, method, seed: options.seed, ...(options.agqNodes ? { nodes: options.agqNodes } : {}), ...(options.samples ? { samples: options.samples } : {}), ...stop },
    atMaximum: { ...defaultAtMaximumOptions, seed: options.seed, ...(options.uqSeconds ? { seconds: options.uqSeconds } : {}), ...stop },
  };
}

/** `--estimate elbo`: the uncertainty step at the ELBO optimum — by AGQ or the Laplace sampler, or the drawn estimators. */
async function atVariationalOptimum(problem: UqProblem, variational: Float64Array, q: { subjects: readonly SubjectPosterior[]; predictions: readonly ObservationPrediction[] }, options: FinishOptions, say: (line: string) => void): Promise<FinishedFit> {
  if (!options.uncertainty) return { population: variational, ...q, messages: [] };
  if (options.likelihood === 'agq' || options.likelihood === 'laplace') {
    say(`uncertainty at the variational optimum by ${options.likelihood === 'agq' ? 'adaptive Gauss–Hermite quadrature' : 'Laplace importance sampling'} on the CPU (f64)`);
    const { finish, atMaximum } = settings(options, options.likelihood);
    const at = await integrateAt(problem, variational, q.subjects.map((s) => s.mu), finish);
    const uncertainty = await uncertaintyAtMaximum(problem, at, atMaximum, (line) => say(`  ${line}`));
    return { population: variational, ...q, uncertainty, messages: uncertainty.messages };
  }
  const samples = options.samples ?? defaultUncertaintyOptions.samples;
  const estimator = options.likelihood === 'prior' || options.likelihood === 'importance' ? options.likelihood : 'auto';
  say(`uncertainty at the variational optimum: Monte-Carlo marginal likelihood and observed information on the CPU (f64), ${samples} draws per subject`);
  const stop = options.shouldStop ? { shouldStop: options.shouldStop } : {};
  const uncertainty = await assessUncertainty(problem, variational, q.subjects, { ...defaultUncertaintyOptions, samples, estimator, seed: options.seed, ...stop }, (line) => say(`  ${line}`));
  return { population: variational, ...q, uncertainty, messages: uncertainty.messages };
}

/** Why `estimate` and `likelihood` do not go together, or undefined: `nlmc fit` asks before training (run-fit.ts). */
export function finishOptionsProblem(estimate: EstimateChoice, likelihood: LikelihoodChoice): string | undefined {
  if (estimate === 'ml' && (likelihood === 'prior' || likelihood === 'importance')) {
    return `--uq-estimator ${likelihood} integrates around the variational q: use it with --estimate elbo (the maximum-likelihood finish uses agq or laplace)`;
  }
  return undefined;
}

export async function finishFit(ctx: FitContext, variational: Float64Array, q: { subjects: readonly SubjectPosterior[]; predictions: readonly ObservationPrediction[] }, options: FinishOptions, say: (line: string) => void = () => undefined): Promise<FinishedFit> {
  const mismatch = finishOptionsProblem(options.estimate, options.likelihood);
  if (mismatch) throw new Error(mismatch);
  const problem = uqProblem(ctx);
  try {
    if (options.estimate === 'elbo') {
      try {
        return await atVariationalOptimum(problem, variational, q, options, say);
      } catch (e) {
        if (!(e instanceof FinishInterrupted)) throw e;
        return { population: variational, ...q, messages: ['the uncertainty step was interrupted; the outputs hold the variational optimum without standard errors'], interrupted: true };
      }
    }
    const { finish, atMaximum } = settings(options, options.likelihood === 'agq' || options.likelihood === 'laplace' ? options.likelihood : 'auto');
    let ml: MaximumLikelihoodEstimate;
    try {
      ml = await maximumLikelihoodEstimate(problem, variational, q.subjects, finish, say);
    } catch (e) {
      if (!(e instanceof FinishInterrupted)) throw e;
      return { population: variational, ...q, messages: ['the maximum-likelihood finish was interrupted; the outputs hold the variational optimum'], interrupted: true };
    }
    const v = ml.result.v;
    const at = await predictionsAt(ctx, v, laplaceMoments(ml.result.at.points, ctx.model.dims.neta));
    say(`maximum likelihood: ${ml.result.message} (${ml.result.iterations.length} iterations, ${ml.result.seconds.toFixed(1)} s)`);
    if (!options.uncertainty) return { population: v, ...at, maximumLikelihood: ml, messages: ml.messages };
    const uncertainty = await uncertaintyAtMaximum(problem, ml.result, atMaximum, (line) => say(`  ${line}`));
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
