/**
 * The uncertainty step after a fit (seed 001, section 2.4): the marginal likelihood by Monte Carlo with two
 * estimators — draws from the prior N(0, Ω̂) (the paper's) and importance sampling from the widened fitted
 * q(η | Y_i) (proposal.ts; a flow fit's own flow, flow-proposal.ts) — the likelihood block (−2LL, AIC, BIC), and the observed information at the estimates
 * with the covariance, standard errors and correlations it implies. Everything runs on the f64 CPU back end.
 */
import { createParallelCpuEngine } from '../engine/cpu/cpu-pool.js';
import type { SolverSettings } from '../engine/engine.js';
import { compile, RUNTIME_EMIT } from '../../compiler/pipeline.js';
import { fitContext, type FitContext } from '../infer/fit-context.js';
import { priorAt, unpack } from '../infer/population.js';
import { Random } from '../nn/random.js';
import { covarianceFromInformation, type CovarianceResult } from './covariance.js';
import { FinishInterrupted } from './ml-finish.js';
import { defaultInformationOptions, observedInformation, type InformationOptions, type InformationResult } from './information.js';
import { evaluate, sampleSet, simulateBlock, totalLogLik, type Evaluation, type SampleSet, type SimBlock, type UqProblem } from './marginal.js';
import { drawFlowMixture, type FlowProposal } from './flow-proposal.js';
import { defaultImportance, drawImportance, drawPrior, type EstimatorKind, type ImportanceSettings } from './proposal.js';
import { subjectCounts } from '../engine/engine-data.js';
import { holdWeights, type NeuralWeights } from './neural-held.js';

/** The Monte-Carlo estimators drawn around the fit (AGQ and the Laplace sampler come from the ML finish instead). */
export type DrawnKind = 'prior' | 'importance';
export type EstimatorChoice = 'auto' | DrawnKind;
/** What the importance estimator drew from: a flow fit's own flow (flow-proposal.ts), or the widened Student t around a Gaussian q (proposal.ts). */
export type ImportanceProposal = 'flow' | 'student-t';
const proposalWords: Record<ImportanceProposal, string> = { flow: 'the fitted flow', 'student-t': 'a Student t around q' };

/** The proposal drawSampleSet uses for `proposals` (a flow fit gives every subject its flow). */
export const importanceProposal = (proposals: readonly SubjectProposal[]): ImportanceProposal => (proposals.every((q) => q.flow) ? 'flow' : 'student-t');

export interface UncertaintyOptions {
  /** Draws per subject for each estimator. */
  readonly samples: number;
  /** 'auto': both estimators, the one with the smaller Monte-Carlo error is reported and used for the information. */
  readonly estimator: EstimatorChoice;
  readonly seed: number;
  /** false: the likelihood block only. */
  readonly information: boolean;
  readonly informationOptions: InformationOptions;
  readonly importance: ImportanceSettings;
  /** Polled between the estimators and before the information (Ctrl-C): true throws FinishInterrupted. */
  readonly shouldStop?: () => boolean;
}

export const defaultUncertaintyOptions: UncertaintyOptions = {
  samples: 100, estimator: 'auto', seed: 1, information: true, informationOptions: defaultInformationOptions, importance: defaultImportance,
};

/** The CPU solver settings of the uncertainty step: tighter than training's, so differences of gradients are clean. */
export const uqSolverSettings: SolverSettings = { rtol: 1e-7, atol: 1e-9, maxSteps: 100_000 };

/** The fitted q(η | Y_i) of one subject. */
export interface SubjectProposal {
  readonly mu: ArrayLike<number>;
  readonly sd: ArrayLike<number>;
  /** The full-rank family's Cholesky factor (row-major, lower): the proposal then has q's correlations. */
  readonly chol?: ArrayLike<number>;
  /** The flow family's fitted flow: the proposal is then the flow itself, with its exact density (flow-proposal.ts). */
  readonly flow?: FlowProposal;
}

export interface EstimatorSummary {
  readonly estimator: EstimatorKind;
  /** The importance estimator's proposal (absent for the others). */
  readonly proposal?: ImportanceProposal;
  readonly samples: number;
  readonly logLik: number;
  /** Monte-Carlo SE of Σ log p̂_i (delta method). */
  readonly logLikSe: number;
  readonly minus2LL: number;
  /** Monte-Carlo SE of −2LL (and so of AIC and BIC). */
  readonly mcError: number;
  /** The smallest effective sample size over subjects. */
  readonly minEss: number;
  readonly failedDraws: number;
  readonly seconds: number;
}

export interface LikelihoodBlock {
  readonly minus2LL: number;
  readonly aic: number;
  /** −2LL + k log n with n the number of subjects (docs/uncertainty.md says why). */
  readonly bic: number;
  readonly estimator: EstimatorKind;
  readonly proposal?: ImportanceProposal;
  readonly mcError: number;
  readonly samples: number;
  readonly logLik: number;
  readonly parameters: number;
  readonly subjects: number;
  readonly observations: number;
  /** AGQ: Σ log p with two more nodes per effect minus the reported one (the quadrature's error estimate). */
  readonly quadratureChange?: number;
}

export interface UncertaintyResult {
  readonly names: readonly string[];
  readonly likelihood?: LikelihoodBlock;
  readonly estimators: readonly EstimatorSummary[];
  readonly information?: InformationResult;
  readonly covariance?: CovarianceResult;
  /**
   * Monte-Carlo SE of each standard error (estimation scale), from the information's: δV = −V δI V, so
   * Var(V_kk) ≈ Σ_jl (V_kj V_lk)² Var(I_jl), and sd(SE_k) = sd(V_kk) / (2 SE_k).
   */
  readonly seMcError?: Float64Array;
  /** Warnings for the user (failed trajectories, subjects without weight, a poor proposal). */
  readonly messages: readonly string[];
  readonly seconds: number;
}

/**
 * The Monte-Carlo problem of a fit: its model, data and layout, and a CPU engine at the uncertainty tolerances;
 * with the network weights named, so that the maximum-likelihood finish can hold them (neural-held.ts).
 */
export function uqProblem(ctx: FitContext, solver: SolverSettings = uqSolverSettings): UqProblem & NeuralWeights {
  const neuralParameters = ctx.ir.parameters.flatMap((p, k) => (p.neural ? [k] : []));
  return {
    neuralParameters,
    ...(neuralParameters.length > 0 ? { recompileHolding: async (weights: ReadonlyMap<string, number>) => uqProblem(await heldWeightsContext(ctx, weights), solver) } : {}),
    model: ctx.model, data: ctx.data, layout: ctx.layout, covariates: ctx.covariates, engine: createParallelCpuEngine(ctx.model, ctx.data, { ...solver, method: ctx.model.method }),
    effectParameter: ctx.ir.randomEffects.map((r) => r.parameter),
  };
}

/** The fit's context for its model compiled with the network weights as these constants (neural-held.ts). */
async function heldWeightsContext(ctx: FitContext, weights: ReadonlyMap<string, number>): Promise<FitContext> {
  const compiled = compile(ctx.source, { emit: RUNTIME_EMIT, heldWeights: weights });
  if (!compiled.ir) throw new Error('the model no longer compiles with its network weights held');
  return fitContext(compiled, ctx.dataset, ctx.scaling, ctx.model.method);
}

/** Draws of one estimator for every subject, centred at the estimates. */
export function drawSampleSet(problem: UqProblem, kind: DrawnKind, population: Float64Array, proposals: readonly SubjectProposal[] | undefined, samples: number, seed: number, importance: ImportanceSettings = defaultImportance): SampleSet {
  const { phi } = unpack(problem.layout, population);
  const prior = priorAt(problem.layout, population);
  const random = new Random(seed);
  const n = problem.data.nSubjects;
  const draws = Array.from({ length: n }, (_, i) => {
    if (kind === 'prior') return drawPrior(prior, samples, random);
    const q = proposals?.[i];
    if (!q) throw new Error('importance sampling needs the fitted q(η | Y_i) of every subject');
    return q.flow ? drawFlowMixture(q.flow, prior, samples, random, importance) : drawImportance(q.mu, q.sd, prior, samples, random, importance, q.chol);
  });
  return sampleSet(problem, kind, phi, draws);
}

export interface EstimatorRun {
  readonly set: SampleSet;
  readonly block: SimBlock;
  readonly evaluation: Evaluation;
  readonly summary: EstimatorSummary;
}

/** One estimator at the estimates: draws, trajectories, log p̂ and its error. */
export async function runEstimator(problem: UqProblem, kind: DrawnKind, population: Float64Array, proposals: readonly SubjectProposal[] | undefined, samples: number, seed: number, importance: ImportanceSettings = defaultImportance): Promise<EstimatorRun> {
  const started = performance.now();
  const set = drawSampleSet(problem, kind, population, proposals, samples, seed, importance);
  const { phi } = unpack(problem.layout, population);
  const block = await simulateBlock(problem, set, phi);
  // Only the value is needed here: all-free skips the Jacobians (the gradient is then incomplete, and unused).
  const evaluation = evaluate(problem, set, block, population, problem.layout.entries.map(() => true));
  const total = totalLogLik(evaluation);
  const summary: EstimatorSummary = {
    estimator: kind, ...(kind === 'importance' && proposals ? { proposal: importanceProposal(proposals) } : {}), samples, logLik: total.logLik, logLikSe: total.se, minus2LL: -2 * total.logLik, mcError: 2 * total.se,
    minEss: evaluation.ess.reduce((m, x) => Math.min(m, x), Infinity), failedDraws: evaluation.failedDraws, seconds: (performance.now() - started) / 1000,
  };
  return { set, block, evaluation, summary };
}

export async function assessUncertainty(problem: UqProblem & Partial<NeuralWeights>, population: Float64Array, proposals: readonly SubjectProposal[] | undefined, options: UncertaintyOptions = defaultUncertaintyOptions, onProgress?: (line: string) => void): Promise<UncertaintyResult> {
  const started = performance.now();
  const names = problem.layout.entries.map((e) => e.name);
  const messages: string[] = [];
  const kinds: DrawnKind[] = options.estimator === 'auto' ? (proposals ? ['importance', 'prior'] : ['prior']) : [options.estimator];
  const runs: EstimatorRun[] = [];
  const stopHere = (): void => {
    if (options.shouldStop?.()) throw new FinishInterrupted('the uncertainty step');
  };
  for (const kind of kinds) {
    stopHere();
    const run = await runEstimator(problem, kind, population, proposals, options.samples, options.seed + (kind === 'prior' ? 0 : 1), options.importance);
    onProgress?.(`${run.summary.proposal ? `importance sampling from ${proposalWords[run.summary.proposal]}` : 'prior sampling'}: −2LL ${run.summary.minus2LL.toFixed(2)} ± ${run.summary.mcError.toPrecision(2)} (${options.samples} draws per subject, ${run.summary.seconds.toFixed(1)} s)`);
    runs.push(run);
  }
  const estimators = runs.map((r) => r.summary);
  const usable = runs.filter((r) => r.evaluation.emptySubjects.length === 0 && Number.isFinite(r.summary.mcError));
  for (const r of runs) {
    if (r.evaluation.emptySubjects.length > 0) {
      messages.push(`${r.summary.estimator} sampling: no draw of subject${r.evaluation.emptySubjects.length > 1 ? 's' : ''} ${r.evaluation.emptySubjects.slice(0, 5).map((i) => i + 1).join(', ')}${r.evaluation.emptySubjects.length > 5 ? ', …' : ''} gave a finite likelihood (every trajectory failed, or the data are impossible under the model)`);
    } else if (r.summary.failedDraws > 0) {
      messages.push(`${r.summary.estimator} sampling: ${r.summary.failedDraws} of ${r.block.status.length} trajectories failed and count as zero likelihood`);
    }
  }
  if (usable.length === 0) return { names, estimators, messages: [...messages, 'no marginal likelihood: see the messages above; no standard errors'], seconds: (performance.now() - started) / 1000 };
  const chosen = usable.reduce((a, b) => (b.summary.mcError < a.summary.mcError ? b : a));
  const k = names.length;
  const n = problem.data.nSubjects;
  let observations = 0;
  for (let i = 0; i < n; i++) observations += subjectCounts(problem.data, i).observations;
  const s = chosen.summary;
  const likelihood: LikelihoodBlock = {
    minus2LL: s.minus2LL, aic: s.minus2LL + 2 * k, bic: s.minus2LL + k * Math.log(n), estimator: s.estimator, ...(s.proposal ? { proposal: s.proposal } : {}), mcError: s.mcError, samples: s.samples, logLik: s.logLik,
    parameters: k, subjects: n, observations,
  };
  if (s.minEss < 0.05 * s.samples) messages.push(`${s.estimator} sampling: the smallest effective sample size is ${s.minEss.toFixed(1)} of ${s.samples} draws; raise --uq-samples for a steadier likelihood and information`);
  if (!options.information) return { names, likelihood, estimators, messages, seconds: (performance.now() - started) / 1000 };
  stopHere();
  const infoStarted = performance.now();
  // Network weights are held at their values, as in the maximum-likelihood finish (neural-held.ts).
  const held = await holdWeights(problem, population);
  let information;
  try {
    information = held
      ? held.expandInformation(await observedInformation(held.problem, chosen.set, chosen.block, held.reduce(population), options.informationOptions))
      : await observedInformation(problem, chosen.set, chosen.block, population, options.informationOptions);
  } finally {
    held?.dispose();
  }
  onProgress?.(`observed information: ${information.resolved.length > 0 ? `${information.trajectories} trajectories for ${information.resolved.join(', ')}` : 'no new trajectories'} (${((performance.now() - infoStarted) / 1000).toFixed(1)} s)`);
  const covariance = covarianceFromInformation(information.information, names, information.mcError);
  if (!covariance.ok) messages.push(covariance.message);
  else if (covariance.warning) messages.push(covariance.warning);
  const seMcError = covariance.ok ? standardErrorMcError(covariance.covariance, covariance.se, information.mcError) : undefined;
  return { names, likelihood, estimators, information, covariance, ...(seMcError ? { seMcError } : {}), messages, seconds: (performance.now() - started) / 1000 };
}

/** sd(SE_k) from the information's entrywise Monte-Carlo errors (first order, entries taken as independent). */
export function standardErrorMcError(covariance: Float64Array, se: Float64Array, informationError: Float64Array): Float64Array {
  const d = se.length;
  return Float64Array.from({ length: d }, (_, k) => {
    let v = 0;
    for (let j = 0; j < d; j++) for (let l = 0; l < d; l++) v += (covariance[k * d + j]! * covariance[l * d + k]!) ** 2 * informationError[j * d + l]! ** 2;
    return Math.sqrt(v) / (2 * se[k]!);
  });
}
