/**
 * The uncertainty step at the maximum-likelihood estimate (ml-finish.ts): the likelihood block and the standard
 * errors come from the integration points the finish ended on, so nothing is integrated twice.
 *
 * - AGQ: −2LL is deterministic (no Monte-Carlo error); its quadrature error is estimated by the change with two
 *   more nodes per effect, reported beside it. The information is the exact Hessian of the AGQ log-likelihood
 *   with its grid held (information.ts), so it has no Monte-Carlo noise to resolve.
 * - Laplace importance sampling: the information's Monte-Carlo error is controlled adaptively — the draws are
 *   doubled (new draws, same proposal) until the curvature along the weakest direction is resolved to
 *   `resolution` (10 %) of itself, or the time budget is spent, which is printed.
 */
import { agqEvaluate } from './agq.js';
import { covarianceFromInformation, type CovarianceResult } from './covariance.js';
import { observedInformation, type InformationResult } from './information.js';
import { laplaceProposalSet } from './laplace-proposal.js';
import { simulateBlock, totalLogLik, type UqProblem } from './marginal.js';
import type { MlFinishResult } from './ml-finish.js';
import { standardErrorMcError, type EstimatorSummary, type LikelihoodBlock, type UncertaintyResult } from './uncertainty.js';
import { unpack } from '../infer/population.js';
import { symmetricEigen } from './symmetric-eigen.js';
import { subjectCounts } from '../engine/engine-data.js';

export interface AtMaximumOptions {
  /** Relative Monte-Carlo error of the weakest curvature to reach (Laplace importance sampling). */
  readonly resolution: number;
  /** Seconds the information may take to reach it. */
  readonly seconds: number;
  /** Report the AGQ change with two more nodes per effect. */
  readonly quadratureCheck: boolean;
  readonly seed: number;
  /** Polled between the step's parts: true (Ctrl-C) skips what is left (the node check, more draws). */
  readonly shouldStop?: () => boolean;
}

export const defaultAtMaximumOptions: AtMaximumOptions = { resolution: 0.1, seconds: 120, quadratureCheck: true, seed: 1 };

/** uᵀIu along the smallest eigenvector and its Monte-Carlo sd (first order). */
function weakestCurvature(information: InformationResult, d: number): { value: number; noise: number } {
  const { vectors } = symmetricEigen(information.information, d);
  let value = 0;
  let noise = 0;
  for (let j = 0; j < d; j++) {
    for (let k = 0; k < d; k++) {
      const u = vectors[j * d]! * vectors[k * d]!;
      value += u * information.information[j * d + k]!;
      noise += (u * information.mcError[j * d + k]!) ** 2;
    }
  }
  return { value, noise: Math.sqrt(noise) };
}

/** More draws until the weakest curvature is resolved (Laplace importance sampling only). */
async function resolvedInformation(problem: UqProblem, ml: MlFinishResult, options: AtMaximumOptions, say: (line: string) => void): Promise<InformationResult> {
  const d = ml.v.length;
  let information = ml.at.information;
  let samples = ml.at.size;
  const started = performance.now();
  for (let round = 1; ; round++) {
    const weakest = weakestCurvature(information, d);
    const relative = weakest.noise / Math.abs(weakest.value);
    const spent = (performance.now() - started) / 1000;
    if (relative <= options.resolution || options.shouldStop?.()) {
      say(`information: weakest curvature ${weakest.value.toPrecision(3)} ± ${weakest.noise.toPrecision(2)} (Monte Carlo, ${(100 * relative).toFixed(1)} %), ${samples} draws per subject`);
      return information;
    }
    if (spent > options.seconds) {
      say(`information: weakest curvature ${weakest.value.toPrecision(3)} ± ${weakest.noise.toPrecision(2)} (${(100 * relative).toFixed(0)} %) when the time budget of ${options.seconds} s ran out (--uq-seconds to give it more)`);
      return information;
    }
    samples *= 2;
    const set = laplaceProposalSet(problem, ml.v, ml.at.points, samples, options.seed + 7919 * round);
    const { phi } = unpack(problem.layout, ml.v);
    const block = await simulateBlock(problem, set, phi);
    information = await observedInformation(problem, set, block, ml.v);
  }
}

export async function uncertaintyAtMaximum(problem: UqProblem, ml: MlFinishResult, options: AtMaximumOptions = defaultAtMaximumOptions, onProgress?: (line: string) => void): Promise<UncertaintyResult> {
  const started = performance.now();
  const say = onProgress ?? (() => undefined);
  const names = problem.layout.entries.map((e) => e.name);
  const messages: string[] = [];
  const k = names.length;
  const n = problem.data.nSubjects;
  const total = totalLogLik(ml.at.evaluation);
  const agq = ml.at.method === 'agq';
  let quadratureChange: number | undefined;
  if (agq && options.quadratureCheck && !options.shouldStop?.()) {
    const finer = await agqEvaluate(problem, ml.v, ml.at.points, ml.at.size + 2, true);
    quadratureChange = finer.logLik - total.logLik;
    say(`AGQ: −2LL ${(-2 * total.logLik).toFixed(3)} with ${ml.at.size} nodes per effect, ${(-2 * finer.logLik).toFixed(3)} with ${ml.at.size + 2}`);
    if (Math.abs(2 * quadratureChange) > 0.1) messages.push(`AGQ: −2LL changes by ${(2 * Math.abs(quadratureChange)).toFixed(2)} from ${ml.at.size} to ${ml.at.size + 2} nodes per effect; raise --agq-nodes for a more accurate likelihood`);
  }
  let observations = 0;
  for (let i = 0; i < n; i++) observations += subjectCounts(problem.data, i).observations;
  const minus2LL = -2 * total.logLik;
  const mcError = agq ? 0 : 2 * total.se;
  const estimator = agq ? 'agq' : 'laplace';
  const likelihood: LikelihoodBlock = {
    minus2LL, aic: minus2LL + 2 * k, bic: minus2LL + k * Math.log(n), estimator, mcError, samples: ml.at.size, logLik: total.logLik, parameters: k, subjects: n, observations,
    ...(quadratureChange !== undefined ? { quadratureChange } : {}),
  };
  const summary: EstimatorSummary = {
    estimator, samples: ml.at.size, logLik: total.logLik, logLikSe: total.se, minus2LL, mcError, minEss: agq ? ml.at.size ** problem.model.dims.neta : ml.at.evaluation.ess.reduce((m, x) => Math.min(m, x), Infinity),
    failedDraws: ml.at.evaluation.failedDraws, seconds: ml.seconds,
  };
  if (ml.at.evaluation.failedDraws > 0) messages.push(`${ml.at.evaluation.failedDraws} trajectories at the integration points failed and count as zero likelihood`);
  const information = agq ? ml.at.information : await resolvedInformation(problem, ml, options, say);
  const covariance: CovarianceResult = covarianceFromInformation(information.information, names, agq ? undefined : information.mcError);
  if (!covariance.ok) messages.push(covariance.message);
  else if (covariance.warning) messages.push(covariance.warning);
  const seMcError = covariance.ok && !agq ? standardErrorMcError(covariance.covariance, covariance.se, information.mcError) : undefined;
  return { names, likelihood, estimators: [summary], information, covariance, ...(seMcError ? { seMcError } : {}), messages, seconds: (performance.now() - started) / 1000 };
}
