/**
 * Each subject's −2LL contribution at the reported estimate: the values the maximum-likelihood finish stored
 * (stored.ts) when the run folder has them, else integrated here — adaptive Gauss–Hermite quadrature at the
 * Laplace points (one node, the Laplace approximation, beyond AGQ_MAX_EFFECTS random effects). Integrating every
 * subject of a large dataset costs more than the rest of the report together (10,000 subjects: about 40 s on two
 * cores), so a caller may ask for a simple random sample of subjects instead: their values are exact, the others
 * NaN, and the total is estimated as S · mean with its sampling SE (finite-population corrected) — said as such.
 */
import { covariatePointStride, DATA_LAYOUT, subjectStride, type EngineData } from '../engine/engine-data.js';
import type { FitContext } from '../infer/fit-context.js';
import { Random } from '../nn/random.js';
import { AGQ_MAX_EFFECTS, agqEvaluate, defaultAgqNodes } from '../uq/agq.js';
import type { FittedRun } from '../uq/fitted-run.js';
import { laplacePoints } from '../uq/laplace.js';
import { uqProblem } from '../uq/uncertainty.js';
import type { StoredLikelihood } from './stored.js';

export interface SubjectLikelihood {
  /** 'agq': adaptive Gauss–Hermite quadrature, `nodes` per effect; 'laplace': one node; 'importance': Laplace importance sampling, `nodes` draws. */
  readonly method: 'agq' | 'laplace' | 'importance';
  readonly nodes: number;
  /** 'fit': the maximum-likelihood finish's own values (estimates.json); 'computed': integrated by the evaluation. */
  readonly source: 'fit' | 'computed';
  /** Per subject; NaN for a subject not in the sample. */
  readonly minus2LL: Float64Array;
  /** The subjects whose value is known (all, unless sampled). */
  readonly subjects: number;
  /** Σ over all subjects, or S · mean of the sample. */
  readonly total: number;
  /** 0 when every subject was integrated by quadrature; else the Monte-Carlo or sampling SE of `total`. */
  readonly totalSe: number;
}

export function fromStored(stored: StoredLikelihood): SubjectLikelihood {
  const total = stored.minus2LL.reduce((a, b) => a + b, 0);
  const totalSe = Math.sqrt(stored.mcError.reduce((a, b) => a + b * b, 0));
  return { method: stored.method, nodes: stored.size, source: 'fit', minus2LL: stored.minus2LL, subjects: stored.minus2LL.length, total, totalSe };
}

/** −2 log p_i for every subject of `ctx`, from the starts `etas` (near the modes). */
async function integrate(ctx: FitContext, population: Float64Array, etas: readonly Float64Array[], nodesWanted: number | undefined): Promise<{ values: Float64Array; method: 'agq' | 'laplace'; nodes: number }> {
  const neta = ctx.model.dims.neta;
  const problem = uqProblem(ctx);
  try {
    const points = await laplacePoints(problem, population, etas);
    const method = neta <= AGQ_MAX_EFFECTS ? 'agq' : 'laplace';
    const nodes = method === 'laplace' ? 1 : nodesWanted ?? defaultAgqNodes(neta);
    const at = await agqEvaluate(problem, population, points, nodes, true);
    return { values: Float64Array.from(at.evaluation.logLik, (l) => -2 * l), method, nodes };
  } finally {
    problem.engine.dispose();
  }
}

/** `count` of `S` subject indices, without replacement, sorted. */
export function sampleSubjects(S: number, count: number, seed: number): number[] {
  const idx = Array.from({ length: S }, (_, i) => i);
  const random = new Random(seed);
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(random.uniform() * (S - k));
    [idx[k], idx[j]] = [idx[j]!, idx[k]!];
  }
  return idx.slice(0, count).sort((a, b) => a - b);
}

/**
 * A fit context of the subjects `picked` only, for the engine and the likelihood (model, data, covariates): each
 * of the packed engine data's per-subject blocks copied in order (the encoder's inputs and the dataset are not
 * those subjects' and are not used).
 */
export function subContext(ctx: FitContext, picked: readonly number[]): FitContext {
  const d = ctx.data;
  const take = (a: Float64Array, width: number): Float64Array => {
    const out = new Float64Array(picked.length * width);
    picked.forEach((i, k) => out.set(a.subarray(i * width, (i + 1) * width), k * width));
    return out;
  };
  const data: EngineData = {
    ...d, nSubjects: picked.length, obs: take(d.obs, d.maxObs * DATA_LAYOUT.obs.stride), obsCensoring: take(d.obsCensoring, d.maxObs), obsLimit: take(d.obsLimit, d.maxObs),
    doses: take(d.doses, d.maxDoses * DATA_LAYOUT.dose.stride), doseKinds: take(d.doseKinds, d.maxDoses * DATA_LAYOUT.doseKind.stride), subjects: take(d.subjects, subjectStride(d.nCovariates)),
    covariatePoints: take(d.covariatePoints, covariatePointStride(d.nCovariates, d.maxCovariatePoints)),
  };
  return { ...ctx, data, covariates: picked.map((i) => ctx.covariates[i]!) };
}

export interface ComputeLikelihood {
  readonly etas: readonly Float64Array[];
  /** Integrate at most this many subjects (a random sample); undefined: all. */
  readonly maxSubjects?: number;
  readonly seed: number;
}

export async function computeLikelihood(run: FittedRun, c: ComputeLikelihood): Promise<SubjectLikelihood> {
  const { ctx, fit, population } = run;
  const S = ctx.data.nSubjects;
  const nodesWanted = fit.maximumLikelihood?.method === 'agq' ? fit.maximumLikelihood.size : undefined;
  if (c.maxSubjects === undefined || c.maxSubjects >= S) {
    const r = await integrate(ctx, population, c.etas, nodesWanted);
    return { method: r.method, nodes: r.nodes, source: 'computed', minus2LL: r.values, subjects: S, total: r.values.reduce((a, b) => a + b, 0), totalSe: 0 };
  }
  const picked = sampleSubjects(S, c.maxSubjects, c.seed);
  const sub = subContext(ctx, picked);
  const r = await integrate(sub, population, picked.map((i) => c.etas[i]!), nodesWanted);
  const minus2LL = new Float64Array(S).fill(NaN);
  picked.forEach((i, k) => (minus2LL[i] = r.values[k]!));
  const n = picked.length;
  const mean = r.values.reduce((a, b) => a + b, 0) / n;
  const variance = r.values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  return { method: r.method, nodes: r.nodes, source: 'computed', minus2LL, subjects: n, total: S * mean, totalSe: S * Math.sqrt((variance / n) * (1 - n / S)) };
}
