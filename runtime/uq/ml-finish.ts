/**
 * The maximum-likelihood finish (docs/fit.md): from the variational optimum, maximize the marginal likelihood
 * itself over the population vector v = (φ, log ω, log e). Each iteration
 *   1. re-adapts: every subject's Laplace point at the current v (laplace.ts);
 *   2. places the integration points there — the AGQ grid (agq.ts) for up to AGQ_MAX_EFFECTS random effects, else
 *      draws from the Laplace proposal (laplace-proposal.ts) — and holds them fixed (common random numbers);
 *   3. computes the objective's exact gradient and its observed information by Louis' identity (information.ts);
 *   4. takes a Newton step, safeguarded: directions of negative or zero curvature (a collapsed ω sits on one) get
 *      a bounded ascent step instead of a Newton step, and a backtracking line search on the fixed points makes
 *      every accepted step raise the objective.
 * It stops when the Newton step is below `tolerance` standard errors in every coordinate (the estimate is then
 * that close to the maximum), or, with Monte-Carlo points, when the score is within 2 of its Monte-Carlo errors.
 */
import { unpack } from '../infer/population.js';
import { agqSampleSet, defaultAgqNodes, AGQ_MAX_EFFECTS } from './agq.js';
import { observedInformation, type InformationResult } from './information.js';
import { laplacePoints, type LaplacePoints } from './laplace.js';
import { laplaceProposalSet } from './laplace-proposal.js';
import { evaluate, simulateBlock, totalLogLik, trajectoryFreeEntries, type Evaluation, type SampleSet, type SimBlock, type UqProblem } from './marginal.js';
import { symmetricEigen } from './symmetric-eigen.js';

export type MarginalMethod = 'agq' | 'laplace';

export interface MlFinishOptions {
  readonly maxIterations: number;
  /** Converged when every coordinate's Newton step is below this many standard errors. */
  readonly tolerance: number;
  /** The largest change of any coordinate in one step (unconstrained scale). */
  readonly maxStep: number;
  /** 'auto': AGQ for up to AGQ_MAX_EFFECTS random effects, the Laplace importance sampler beyond. */
  readonly method: MarginalMethod | 'auto';
  /** AGQ nodes per random effect (default by the number of random effects: agq.ts). */
  readonly nodes?: number;
  /** Draws per subject of the Laplace importance sampler. */
  readonly samples: number;
  readonly seed: number;
  /** Stop (with the best point so far) when this many seconds have passed. */
  readonly seconds: number;
  /** Polled every iteration: true (Ctrl-C) abandons the finish with FinishInterrupted. */
  readonly shouldStop?: () => boolean;
}

/** Thrown when `shouldStop` asks the finish to end: the caller reports the variational optimum, marked incomplete. */
export class FinishInterrupted extends Error {
  constructor(step = 'the maximum-likelihood finish') {
    super(`${step} was interrupted`);
  }
}

/** Steps shorter than this (in SEs) are within what the coarse points can resolve. */
const COARSE_RESOLUTION_SE = 0.1;

export const defaultMlFinishOptions: MlFinishOptions = { maxIterations: 30, tolerance: 0.01, maxStep: 1, method: 'auto', samples: 200, seed: 1, seconds: 600 };

/** How far (in SE) the point may have moved since the last exact information for that information to be reused. */
export const REUSE_SE = 0.1;

export function marginalMethod(neta: number, choice: MarginalMethod | 'auto'): MarginalMethod {
  return choice === 'auto' ? (neta <= AGQ_MAX_EFFECTS ? 'agq' : 'laplace') : choice;
}

export interface MlIteration {
  readonly logLik: number;
  /** The largest |Newton step| in standard errors at this point. */
  readonly stepSe: number;
  /** The largest |score| in its Monte-Carlo SEs (Monte-Carlo points only; 0 for AGQ). */
  readonly scoreMcSe: number;
  readonly seconds: number;
}

/** The integration points at the maximum, with what the uncertainty step needs from them. */
export interface MarginalAt {
  readonly method: MarginalMethod;
  readonly points: LaplacePoints;
  readonly set: SampleSet;
  readonly block: SimBlock;
  readonly evaluation: Evaluation;
  readonly information: InformationResult;
  /** AGQ nodes per random effect, or Monte-Carlo draws per subject. */
  readonly size: number;
}

export interface MlFinishResult {
  readonly v: Float64Array;
  readonly logLik: number;
  readonly converged: boolean;
  /** Why it stopped, for the user. */
  readonly message: string;
  readonly iterations: readonly MlIteration[];
  readonly at: MarginalAt;
  readonly seconds: number;
}

/** The fixed points of one iteration with the value and gradient there; the information when asked for. */
async function pointsAt(problem: UqProblem, v: Float64Array, start: readonly ArrayLike<number>[], method: MarginalMethod, size: number, seed: number): Promise<Omit<MarginalAt, 'information'>> {
  const points = await laplacePoints(problem, v, start);
  const set = method === 'agq' ? agqSampleSet(problem, v, points, size) : laplaceProposalSet(problem, v, points, size, seed);
  const { phi } = unpack(problem.layout, v);
  const block = await simulateBlock(problem, set, phi);
  const evaluation = evaluate(problem, set, block, v, trajectoryFreeEntries(problem, set, phi), true);
  return { method, points, set, block, evaluation, size };
}

/**
 * The integration points, value and information at v without maximizing: `--estimate elbo --uq-estimator agq|laplace`
 * (−2LL and SEs at the ELBO optimum, by AGQ or the Laplace sampler).
 */
export async function integrateAt(problem: UqProblem, v: Float64Array, start: readonly ArrayLike<number>[], options: MlFinishOptions): Promise<MlFinishResult> {
  const started = performance.now();
  const method = marginalMethod(problem.model.dims.neta, options.method);
  const size = method === 'agq' ? (options.nodes ?? defaultAgqNodes(problem.model.dims.neta)) : options.samples;
  const base = await pointsAt(problem, v, start, method, size, options.seed);
  const information = await observedInformation(problem, base.set, base.block, v);
  const logLik = totalLogLik(base.evaluation).logLik;
  return { v: Float64Array.from(v), logLik, converged: false, message: 'integrated at the given point (no maximization)', iterations: [], at: { ...base, information }, seconds: (performance.now() - started) / 1000 };
}

/** Σ log p at v on the fixed points of `at` (value only). */
async function valueOn(problem: UqProblem, at: Pick<MarginalAt, 'set'>, v: Float64Array): Promise<number> {
  const { phi } = unpack(problem.layout, v);
  const block = await simulateBlock(problem, at.set, phi);
  const e = evaluate(problem, at.set, block, v, problem.layout.entries.map(() => true));
  return e.emptySubjects.length > 0 ? -Infinity : totalLogLik(e).logLik;
}

interface NewtonStep {
  readonly delta: Float64Array;
  /** Largest |δ_k| / SE_k over the Newton part (Infinity when some curvature is not positive). */
  readonly stepSe: number;
  readonly positiveDefinite: boolean;
}

/** δ = Σ_k u_k (u_kᵀ g) / λ_k over positive curvature; an ascent step of length maxStep along the others. */
export function newtonStep(information: Float64Array, gradient: Float64Array, maxStep: number): NewtonStep {
  const d = gradient.length;
  const { values, vectors } = symmetricEigen(information, d);
  const top = Math.max(...Array.from(values, Math.abs), 1e-300);
  const delta = new Float64Array(d);
  const variance = new Float64Array(d);
  let positiveDefinite = true;
  for (let k = 0; k < d; k++) {
    let ug = 0;
    for (let j = 0; j < d; j++) ug += vectors[j * d + k]! * gradient[j]!;
    const curved = values[k]! > 1e-10 * top;
    if (!curved) positiveDefinite = false;
    const coefficient = curved ? ug / values[k]! : Math.sign(ug) * maxStep;
    for (let j = 0; j < d; j++) {
      delta[j] = delta[j]! + coefficient * vectors[j * d + k]!;
      if (curved) variance[j] = variance[j]! + vectors[j * d + k]! ** 2 / values[k]!;
    }
  }
  const stepSe = positiveDefinite ? Math.max(0, ...Array.from(delta, (x, j) => Math.abs(x) / Math.sqrt(variance[j]!))) : Infinity;
  const longest = Math.max(...Array.from(delta, Math.abs));
  if (longest > maxStep) for (let j = 0; j < d; j++) delta[j] = (delta[j]! * maxStep) / longest;
  return { delta, stepSe, positiveDefinite };
}

/** max_k |g_k| / its Monte-Carlo SE, from each draw's gradient (self-normalized IS: Σ_l w̄_l² (g_l − ḡ)²). */
function scoreInMcSe(e: Evaluation, d: number): number {
  if (!e.drawGradients) return 0;
  const variance = new Float64Array(d);
  e.weights.forEach((w, i) => {
    const g = e.drawGradients![i]!;
    const mean = new Float64Array(d);
    w.forEach((wl, l) => { for (let k = 0; k < d; k++) mean[k] = mean[k]! + wl * g[l * d + k]!; });
    w.forEach((wl, l) => { for (let k = 0; k < d; k++) variance[k] = variance[k]! + wl * wl * (g[l * d + k]! - mean[k]!) ** 2; });
  });
  return Math.max(0, ...Array.from(e.gradient, (g, k) => Math.abs(g) / Math.sqrt(Math.max(variance[k]!, 1e-300))));
}

/** B⁺ from B by the BFGS update of an inverse Hessian, with s the step and y the change of curvature·s (yᵀs > 0). */
function bfgsUpdate(b: Float64Array, s: Float64Array, y: Float64Array): Float64Array {
  const d = s.length;
  const sy = s.reduce((a, x, k) => a + x * y[k]!, 0);
  if (!(sy > 1e-12 * Math.hypot(...s) * Math.hypot(...y))) return b;
  const by = Float64Array.from({ length: d }, (_, i) => { let a = 0; for (let j = 0; j < d; j++) a += b[i * d + j]! * y[j]!; return a; });
  const yby = y.reduce((a, x, k) => a + x * by[k]!, 0);
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) {
    out[i * d + j] = b[i * d + j]! + ((sy + yby) * s[i]! * s[j]!) / (sy * sy) - (by[i]! * s[j]! + s[i]! * by[j]!) / sy;
  }
  return out;
}

/** δ = B g capped at maxStep, and its size in the standard errors √B_kk. */
function quasiNewtonStep(b: Float64Array, g: Float64Array, maxStep: number): NewtonStep {
  const d = g.length;
  const delta = Float64Array.from({ length: d }, (_, i) => { let a = 0; for (let j = 0; j < d; j++) a += b[i * d + j]! * g[j]!; return a; });
  const stepSe = Math.max(0, ...Array.from(delta, (x, k) => Math.abs(x) / Math.sqrt(Math.max(b[k * d + k]!, 1e-300))));
  const longest = Math.max(...Array.from(delta, Math.abs));
  if (longest > maxStep) for (let j = 0; j < d; j++) delta[j] = (delta[j]! * maxStep) / longest;
  return { delta, stepSe, positiveDefinite: true };
}

/**
 * The quasi-Newton matrix's start: the inverse information, where each direction without positive curvature gets
 * the inverse curvature that makes its step the bounded ascent step of newtonStep (|u_kᵀg| / maxStep), so the
 * BFGS steps that follow keep moving along it (a collapsed log ω has a tiny gradient there).
 */
function inverseInformation(information: Float64Array, gradient: Float64Array, maxStep: number): Float64Array {
  const d = gradient.length;
  const { values, vectors } = symmetricEigen(information, d);
  const top = Math.max(...Array.from(values, Math.abs), 1e-300);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    let ug = 0;
    for (let j = 0; j < d; j++) ug += vectors[j * d + k]! * gradient[j]!;
    const lam = values[k]! > 1e-10 * top ? values[k]! : Math.max(Math.abs(ug) / maxStep, 1e-8 * top);
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[i * d + j] = out[i * d + j]! + (vectors[i * d + k]! * vectors[j * d + k]!) / lam;
  }
  return out;
}

/**
 * Maximizes Σ_i log p(Y_i) from v0; `start[i]` is where subject i's first mode search begins (the encoder's μ_i).
 *
 * The observed information costs two solves of every integration point per trajectory-changing entry, so it is
 * computed only where it decides something: at the start (the first step is Newton's, and the quasi-Newton
 * matrix starts from its inverse) and where the quasi-Newton steps have become small (the convergence test is
 * Newton's, with the exact information, which the uncertainty step then reuses). In between, BFGS updates carry
 * the curvature, and AGQ runs with two nodes fewer per effect until the steps are small (the confirmation and
 * everything after it use the full count).
 */
export async function maximizeMarginal(problem: UqProblem, v0: Float64Array, start: readonly ArrayLike<number>[], options: MlFinishOptions = defaultMlFinishOptions, onProgress?: (line: string) => void): Promise<MlFinishResult> {
  const started = performance.now();
  const elapsed = (): number => (performance.now() - started) / 1000;
  const d = v0.length;
  const method = marginalMethod(problem.model.dims.neta, options.method);
  const fullSize = method === 'agq' ? (options.nodes ?? defaultAgqNodes(problem.model.dims.neta)) : options.samples;
  // Never a single node: one fixed point is a degenerate objective (log ω is then maximized at the mode's |η|).
  const coarseSize = method === 'agq' ? (fullSize <= 3 ? fullSize : Math.max(3, fullSize - 2)) : Math.max(50, Math.round(fullSize / 2));
  let v = Float64Array.from(v0);
  let etas: readonly ArrayLike<number>[] = start;
  const iterations: MlIteration[] = [];
  let inverse: Float64Array | undefined;
  let previous: { v: Float64Array; g: Float64Array } | undefined;
  let exactNext = true;
  // Coarse points until the first time the steps become small; the full points from then on.
  let refined = false;
  // The last exact information on the full points: reused at convergence when the point has moved less than
  // REUSE_SE standard errors since (it costs two solves per trajectory-changing entry).
  let lastExact: { v: Float64Array; information: InformationResult; inverse: Float64Array } | undefined;
  // A step is judged again once the points are re-adapted: if the likelihood fell, the fixed points misled it, so
  // the finish goes back, with shorter steps and the exact information.
  let accepted: { v: Float64Array; logLik: number; size: number; etas: readonly ArrayLike<number>[] } | undefined;
  let stepScale = 1;
  /** The length, in SEs, of the last step taken (the one a re-adaptation judges). */
  let lastMoveSe = Infinity;
  for (let it = 0; ; it++) {
    if (options.shouldStop?.()) throw new FinishInterrupted();
    const size = refined ? fullSize : coarseSize;
    const base = await pointsAt(problem, v, etas, method, size, options.seed + it);
    const logLik = totalLogLik(base.evaluation).logLik;
    if (method === 'agq' && accepted && accepted.size === size && logLik < accepted.logLik - 1e-6 * Math.max(1, Math.abs(accepted.logLik)) && stepScale > 1e-3) {
      onProgress?.(`ML iteration ${it}: −2LL ${(-2 * logLik).toFixed(3)} after re-adapting, worse than ${(-2 * accepted.logLik).toFixed(3)}: back, with steps × ${stepScale / 4}`);
      v = Float64Array.from(accepted.v);
      etas = accepted.etas;
      stepScale /= 4;
      // A step already below the coarse points' resolution: shorter ones on them only oscillate (seen: 0.04 SE
      // steps undone five times over on a 3-effect model); the full points decide from here.
      if (!refined && lastMoveSe < COARSE_RESOLUTION_SE) refined = true;
      exactNext = true;
      previous = undefined;
      continue;
    }
    accepted = { v: Float64Array.from(v), logLik, size, etas: base.points.mode };
    etas = base.points.mode;
    const g = base.evaluation.gradient;
    let at: MarginalAt | undefined;
    let step: NewtonStep;
    if (exactNext) {
      const information = await observedInformation(problem, base.set, base.block, v);
      at = { ...base, information };
      step = newtonStep(information.information, g, options.maxStep);
      inverse = inverseInformation(information.information, g, options.maxStep);
      previous = undefined;
      if (refined && step.positiveDefinite) lastExact = { v: Float64Array.from(v), information, inverse };
    } else {
      if (previous && inverse) {
        const sVec = Float64Array.from(v, (x, k) => x - previous!.v[k]!);
        const yVec = Float64Array.from(g, (x, k) => previous!.g[k]! - x);
        inverse = bfgsUpdate(inverse, sVec, yVec);
      }
      step = quasiNewtonStep(inverse!, g, options.maxStep);
    }
    const scoreMcSe = method === 'agq' ? 0 : scoreInMcSe(base.evaluation, d);
    iterations.push({ logLik, stepSe: step.stepSe, scoreMcSe, seconds: elapsed() });
    const shownStep = Number.isFinite(step.stepSe) ? `${step.stepSe.toPrecision(2)} SE` : '(curvature not positive)';
    onProgress?.(`ML iteration ${it}: −2LL ${(-2 * logLik).toFixed(3)} (${method === 'agq' ? `AGQ, ${size} nodes per effect` : `Laplace importance sampling, ${size} draws`}), ${exactNext ? 'Newton' : 'quasi-Newton'} step ${shownStep}${method === 'agq' ? '' : `, score ${scoreMcSe.toPrecision(2)} MC SE`} (${elapsed().toFixed(1)} s)`);
    const finish = async (converged: boolean, message: string): Promise<MlFinishResult> => {
      // What is reported is always on the full points (a stop during the coarse phase re-integrates once).
      const full = size === fullSize ? base : await pointsAt(problem, v, etas, method, fullSize, options.seed + it + 1);
      const final = at && size === fullSize ? at : { ...full, information: await observedInformation(problem, full.set, full.block, v) };
      return { v, logLik: totalLogLik(final.evaluation).logLik, converged, message, iterations, at: final, seconds: elapsed() };
    };
    if (base.evaluation.emptySubjects.length > 0) {
      return finish(false, `subjects ${base.evaluation.emptySubjects.slice(0, 5).map((i) => i + 1).join(', ')} have no finite likelihood at the integration points`);
    }
    const small = step.positiveDefinite && (step.stepSe < options.tolerance || (method !== 'agq' && scoreMcSe < 2));
    if (small && exactNext && refined) {
      return finish(true, `converged: the Newton step is ${step.stepSe.toPrecision(2)} SE${method === 'agq' ? '' : `, the score ${scoreMcSe.toPrecision(2)} Monte-Carlo SE`}`);
    }
    const movedSe = lastExact ? Math.max(0, ...Array.from(v, (x, k) => Math.abs(x - lastExact!.v[k]!) / Math.sqrt(lastExact!.inverse[k * d + k]!))) : Infinity;
    if (small && method === 'agq' && refined && !exactNext && movedSe < REUSE_SE) {
      at = { ...base, information: lastExact!.information };
      return finish(true, `converged: the quasi-Newton step is ${step.stepSe.toPrecision(2)} SE, ${movedSe.toPrecision(2)} SE from the last Newton step's exact information`);
    }
    if (small) {
      // Confirm with the exact information on the full points, at the same v.
      exactNext = true;
      refined = true;
      continue;
    }
    if (it + 1 >= options.maxIterations || elapsed() > options.seconds) {
      return finish(false, `stopped after ${it + 1} iterations (${elapsed().toFixed(0)} s) with a step of ${shownStep}`);
    }
    let alpha = stepScale;
    stepScale = Math.min(1, 2 * stepScale);
    let moved = false;
    for (let tries = 0; tries < 12; tries++, alpha /= 2) {
      const candidate = Float64Array.from(v, (x, k) => x + alpha * step.delta[k]!);
      if ((await valueOn(problem, base, candidate)) > logLik) {
        previous = { v, g };
        v = candidate;
        moved = true;
        lastMoveSe = alpha * step.stepSe;
        break;
      }
    }
    if (!moved) {
      if (!exactNext) {
        exactNext = true;
        refined = true;
        continue;
      }
      return finish(step.positiveDefinite && step.stepSe < 10 * options.tolerance, `no step along the Newton direction raises the likelihood (Newton step ${shownStep}): the estimate is at the maximum within the integration's accuracy`);
    }
    exactNext = false;
  }
}
