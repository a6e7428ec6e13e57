/**
 * `nlmc evaluate`: model-evaluation numbers for a finished fit, at its reported population estimate —
 * simulation-based NPDE and PWRES (npde.ts), η- and ε-shrinkage, each subject's −2LL contribution, and the VPC
 * and prediction-corrected VPC (vpc.ts) — all on the output's scale (the scale of predictions.csv: a declared
 * data transform is applied). docs/evaluate.md describes each number.
 */
import type { FitContext } from '../infer/fit-context.js';
import { marginalSds, predictionsAt, type ObservationPrediction, type PosteriorMoments, type SubjectPosterior } from '../infer/posterior.js';
import { priorAt, unpack } from '../infer/population.js';
import { drawEffects } from '../../stdlib/effects-prior.js';
import { createParallelCpuEngine } from '../engine/cpu/cpu-pool.js';
import { TrajectoryStatus } from '../engine/trajectory-status.js';
import { Random } from '../simulate/random.js';
import { AGQ_MAX_EFFECTS, agqEvaluate, defaultAgqNodes } from '../uq/agq.js';
import { loadFittedRun, type FittedRun } from '../uq/fitted-run.js';
import { laplacePoints } from '../uq/laplace.js';
import { uqProblem } from '../uq/uncertainty.js';
import { subjectNpde } from './npde.js';
import { normalitySummary, type NormalitySummary } from './stats.js';
import { vpc, type VpcRow } from './vpc.js';

export interface EvaluateOptions {
  /** K: simulated replicates of the design. */
  readonly samples: number;
  readonly seed: number;
  /** VPC time bins per output. */
  readonly bins: number;
  /** The dataset (default: the one named in fit.json), and --map. */
  readonly data?: string;
  readonly map?: Record<string, string>;
}

export const defaultEvaluateOptions: EvaluateOptions = { samples: 500, seed: 1, bins: 10 };

/** One observation's NPDE row; `npde` etc. NaN for a censored observation (left out). */
export interface NpdeRow {
  readonly subject: number;
  readonly time: number;
  readonly output: number;
  readonly dv: number;
  readonly pred: number;
  readonly epred: number;
  readonly esd: number;
  readonly pwres: number;
  readonly pde: number;
  readonly npde: number;
  readonly censored: boolean;
}

export interface Shrinkage {
  readonly eta: readonly { readonly effect: string; readonly omega: number; readonly sdEbe: number; readonly shrinkage: number }[];
  readonly epsilon: { readonly sdIwres: number; readonly shrinkage: number; readonly observations: number };
  readonly epsilonByOutput: readonly { readonly output: string; readonly sdIwres: number; readonly shrinkage: number; readonly observations: number }[];
}

export interface SubjectLikelihood {
  /** 'agq': adaptive Gauss–Hermite quadrature with `nodes` per effect; 'laplace': one node (the Laplace approximation). */
  readonly method: 'agq' | 'laplace';
  readonly nodes: number;
  readonly minus2LL: Float64Array;
  readonly total: number;
}

export interface ModelEvaluation {
  readonly run: FittedRun;
  readonly options: EvaluateOptions;
  readonly npde: readonly NpdeRow[];
  readonly npdeSummary: NormalitySummary;
  readonly pwresSummary: NormalitySummary;
  readonly shrinkage: Shrinkage;
  readonly likelihood: SubjectLikelihood;
  /** VPC rows per output. */
  readonly vpc: readonly { readonly output: number; readonly rows: readonly VpcRow[] }[];
  /** Subjects (indices) whose simulated covariance was singular: their PWRES/NPDE are not decorrelated. */
  readonly notDecorrelated: readonly number[];
  readonly failedSimulations: number;
  readonly notes: readonly string[];
  readonly seconds: number;
}

/**
 * K simulations of every subject's design at `population`: per replicate and subject new η ~ N(0, Ω) and new
 * residual errors, y = f + sd(f, e)·ε on the output's scale. Returns per subject a K × n_i matrix (the subject's
 * observations in the engine's time order; NaN for a failed trajectory) and the number of failed trajectories.
 */
export async function simulateReplicates(ctx: FitContext, population: Float64Array, samples: number, seed: number): Promise<{ sims: Float64Array[]; failed: number }> {
  const { np, neta } = ctx.model.dims;
  const ts = ctx.model.ts;
  const S = ctx.data.nSubjects;
  const M = ctx.data.maxObs;
  const stride = 2 + ctx.data.nCovariates;
  const counts = Array.from({ length: S }, (_, i) => ctx.data.subjects[i * stride]!);
  const { phi, error } = unpack(ctx.layout, population);
  const { prior } = priorAt(ctx.layout, population);
  const eps = new Float64Array(neta);
  // Two streams, η and ε, so that the values do not depend on how the rows are chunked for the engine.
  const etaRandom = new Random(seed);
  const epsRandom = new Random(seed + 0x5bd1e995);
  const sims = counts.map((n) => new Float64Array(samples * n));
  // Worker threads (NLMC_THREADS, else every core), as the uncertainty step's engine; chunks of about 16k rows.
  const engine = createParallelCpuEngine(ctx.model, ctx.data, { rtol: 1e-8, atol: 1e-10, maxSteps: 1_000_000, method: ctx.model.method });
  const perChunk = Math.max(1, Math.floor(16384 / Math.max(1, S)));
  const eta = new Float64Array(neta);
  const p = new Float64Array(np);
  const sd = [0];
  let failed = 0;
  try {
    for (let k0 = 0; k0 < samples; k0 += perChunk) {
      const reps = Math.min(perChunk, samples - k0);
      const rows = { subject: new Int32Array(reps * S), p: new Float64Array(reps * S * np) };
      for (let r = 0; r < reps; r++) {
        for (let i = 0; i < S; i++) {
          for (let e = 0; e < neta; e++) eps[e] = etaRandom.normal();
          drawEffects(prior, eps, 0, eta, 0);
          ts.individual(phi, eta, ctx.covariates[i]!, p);
          rows.subject[r * S + i] = i;
          rows.p.set(p, (r * S + i) * np);
        }
      }
      const result = await engine.simulate(rows);
      for (let r = 0; r < reps; r++) {
        const k = k0 + r;
        for (let i = 0; i < S; i++) {
          const row = r * S + i;
          const n = counts[i]!;
          const ok = result.status[row] === TrajectoryStatus.Ok;
          if (!ok) failed++;
          for (let j = 0; j < n; j++) {
            const f = result.predictions[row * M + j]!;
            const output = ctx.data.obs[(i * M + j) * 3 + 2]!;
            ts.errorSd(output, f, error, sd);
            const eps = epsRandom.normal();
            sims[i]![k * n + j] = ok && Number.isFinite(f) ? f + sd[0]! * eps : NaN;
          }
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    engine.dispose();
  }
  return { sims, failed };
}

/** The EBEs the fit reports and each subject's −2LL contribution, at the reported estimate. */
async function conditionalPart(run: FittedRun): Promise<{ subjects: readonly SubjectPosterior[]; predictions: readonly ObservationPrediction[]; likelihood: SubjectLikelihood }> {
  const { ctx, fit, population } = run;
  const neta = ctx.model.dims.neta;
  const problem = uqProblem(ctx);
  let moments: PosteriorMoments[];
  let likelihood: SubjectLikelihood;
  try {
    const points = await laplacePoints(problem, population, run.subjects.map((s) => s.mu));
    const method = neta <= AGQ_MAX_EFFECTS ? 'agq' : 'laplace';
    const nodes = method === 'laplace' ? 1 : fit.maximumLikelihood?.method === 'agq' ? fit.maximumLikelihood.size : defaultAgqNodes(neta);
    const at = await agqEvaluate(problem, population, points, nodes, true);
    const minus2LL = Float64Array.from(at.evaluation.logLik, (l) => -2 * l);
    likelihood = { method, nodes, minus2LL, total: minus2LL.reduce((a, b) => a + b, 0) };
    // A maximum-likelihood fit reports the conditional modes as EBEs (as `nlmc fit` and `nlmc predict` do); an
    // `--estimate elbo` fit reports the encoder's μ.
    moments = fit.maximumLikelihood
      ? points.mode.map((mu, i) => ({ mu: Float64Array.from(mu), sd: marginalSds(points.chol[i]!, neta), chol: Float64Array.from(points.chol[i]!) }))
      : run.subjects.map((s) => ({ mu: s.mu, sd: s.sd, ...(s.chol ? { chol: s.chol } : {}) }));
  } finally {
    problem.engine.dispose();
  }
  const at = await predictionsAt(ctx, population, moments);
  return { ...at, likelihood };
}

const sdOf = (x: readonly number[]): number => {
  const m = x.reduce((a, b) => a + b, 0) / x.length;
  return Math.sqrt(x.reduce((a, b) => a + (b - m) ** 2, 0) / (x.length - 1));
};

/** η-shrinkage 1 − sd(EBE_r)/ω_r and ε-shrinkage 1 − sd(IWRES) (Savic & Karlsson 2009), over uncensored rows. */
export function shrinkage(ctx: FitContext, population: Float64Array, subjects: readonly SubjectPosterior[], predictions: readonly ObservationPrediction[], censored: (p: ObservationPrediction, index: number) => boolean): Shrinkage {
  const { omega } = unpack(ctx.layout, population);
  const eta = ctx.ir.randomEffects.map((r, k) => {
    const sdEbe = sdOf(subjects.map((s) => s.mu[k]!));
    return { effect: r.name, omega: omega[k]!, sdEbe, shrinkage: 1 - sdEbe / omega[k]! };
  });
  const usable = predictions.filter((p, j) => !censored(p, j) && Number.isFinite(p.iwres));
  const eps = (rows: readonly ObservationPrediction[]) => {
    const sdIwres = sdOf(rows.map((p) => p.iwres));
    return { sdIwres, shrinkage: 1 - sdIwres, observations: rows.length };
  };
  return {
    eta, epsilon: eps(usable),
    epsilonByOutput: ctx.ir.outputs.map((o, k) => ({ output: o.name, ...eps(usable.filter((p) => p.output === k)) })).filter((x) => x.observations > 0),
  };
}

export async function evaluateRun(path: string, options: EvaluateOptions = defaultEvaluateOptions): Promise<ModelEvaluation> {
  const started = performance.now();
  const run = await loadFittedRun(path, options.data, options.map ?? {});
  return evaluateFittedRun(run, options, started);
}

export async function evaluateFittedRun(run: FittedRun, options: EvaluateOptions, started = performance.now()): Promise<ModelEvaluation> {
  if (!(Number.isInteger(options.samples) && options.samples >= 20)) throw new RangeError(`--samples must be a whole number ≥ 20 (got ${options.samples})`);
  if (!(Number.isInteger(options.bins) && options.bins >= 1)) throw new RangeError(`--bins must be a whole number ≥ 1 (got ${options.bins})`);
  const { ctx, population } = run;
  const notes: string[] = [];
  const M = ctx.data.maxObs;
  const S = ctx.data.nSubjects;
  const K = options.samples;
  const stride = 2 + ctx.data.nCovariates;
  const isCensored = (i: number, j: number): boolean => ctx.data.obsCensoring[i * M + j]! !== 0;

  const cond = await conditionalPart(run);
  // predictionsAt lists each subject's observations in the engine's order: index them back by (subject, slot).
  const first = new Int32Array(S + 1);
  for (let i = 0; i < S; i++) first[i + 1] = first[i]! + ctx.data.subjects[i * stride]!;
  const slotOf = new Int32Array(cond.predictions.length);
  cond.predictions.forEach((p, k) => (slotOf[k] = k - first[p.subject]!));
  const censoredCount = cond.predictions.filter((p, k) => isCensored(p.subject, slotOf[k]!)).length;
  if (censoredCount > 0) notes.push(`${censoredCount} censored observation${censoredCount === 1 ? ' is' : 's are'} left out of the NPDE, PWRES, ε-shrinkage and the VPC (their npde.csv cells are empty)`);
  const shrink = shrinkage(ctx, population, cond.subjects, cond.predictions, (p, k) => isCensored(p.subject, slotOf[k]!));

  const { sims, failed } = await simulateReplicates(ctx, population, K, options.seed);
  if (failed > 0) notes.push(`${failed} of ${K * S} simulated trajectories failed and were left out`);
  const npde: NpdeRow[] = [];
  const notDecorrelated: number[] = [];
  const unsimulated: number[] = [];
  for (let i = 0; i < S; i++) {
    const rows = cond.predictions.slice(first[i]!, first[i + 1]!);
    const n = rows.length;
    const used = rows.map((_, j) => j).filter((j) => !isCensored(i, j));
    const y = Float64Array.from(used, (j) => rows[j]!.dv);
    const sub = new Float64Array(K * used.length);
    for (let k = 0; k < K; k++) used.forEach((j, c) => (sub[k * used.length + c] = sims[i]![k * n + j]!));
    let usable = 0;
    for (let k = 0; k < K; k++) if (used.every((_, c) => Number.isFinite(sub[k * used.length + c]!))) usable++;
    if (used.length > 0 && usable < 2) unsimulated.push(i);
    const result = used.length > 0 && usable >= 2 ? subjectNpde(y, sub, used.length) : undefined;
    if (result && !result.decorrelated) notDecorrelated.push(i);
    rows.forEach((r, j) => {
      const c = used.indexOf(j);
      const at = (a: Float64Array | undefined) => (c >= 0 && a ? a[c]! : NaN);
      npde.push({ subject: i, time: r.time, output: r.output, dv: r.dv, pred: r.pred, epred: at(result?.epred), esd: at(result?.esd), pwres: at(result?.pwres), pde: at(result?.pde), npde: at(result?.npde), censored: c < 0 });
    });
  }
  if (unsimulated.length > 0) notes.push(`${unsimulated.length} subject${unsimulated.length === 1 ? '' : 's'} (${unsimulated.slice(0, 5).map((i) => ctx.dataset.ids[i]!).join(', ')}${unsimulated.length > 5 ? ', …' : ''}): fewer than 2 simulations succeeded; no NPDE or PWRES for them`);
  if (notDecorrelated.length > 0) notes.push(`${notDecorrelated.length} subject${notDecorrelated.length === 1 ? '' : 's'}: the simulated covariance was not positive definite; their NPDE and PWRES use its diagonal only (not decorrelated)`);
  const ok = npde.filter((r) => !r.censored && Number.isFinite(r.npde));
  const npdeSummary = normalitySummary(ok.map((r) => r.npde));
  const pwresSummary = normalitySummary(ok.map((r) => r.pwres));

  const vpcs = ctx.ir.outputs.map((o, output) => {
    const idx: [number, number][] = [];
    for (let i = 0; i < S; i++) for (let j = 0; j < first[i + 1]! - first[i]!; j++) if (!isCensored(i, j) && cond.predictions[first[i]! + j]!.output === output) idx.push([i, j]);
    const nObs = idx.length;
    // The simulated values are read in place (no K × n copy: for large datasets the simulations dominate memory).
    const sim = (k: number, c: number): number => {
      const [i, j] = idx[c]!;
      return sims[i]![k * (first[i + 1]! - first[i]!) + j]!;
    };
    const rows = idx.map(([i, j]) => cond.predictions[first[i]! + j]!);
    return {
      output,
      rows: nObs === 0 ? [] : vpc({ time: rows.map((r) => r.time), dv: rows.map((r) => r.dv), pred: rows.map((r) => r.pred), samples: K, simulated: sim, additive: o.dataTransform === 'log' || o.dataTransform === 'log10' }, { bins: options.bins }),
    };
  });
  return {
    run, options, npde, npdeSummary, pwresSummary, shrinkage: shrink, likelihood: cond.likelihood, vpc: vpcs, notDecorrelated, failedSimulations: failed, notes,
    seconds: (performance.now() - started) / 1000,
  };
}
