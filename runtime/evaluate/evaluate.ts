/**
 * `nlmc evaluate`: model-evaluation numbers for a finished fit, at its reported population estimate —
 * simulation-based NPDE and PWRES (npde.ts), η- and ε-shrinkage, each subject's −2LL contribution, and the VPC
 * and prediction-corrected VPC (vpc.ts) — all on the output's scale (the scale of predictions.csv: a declared
 * data transform is applied). docs/evaluate.md describes each number.
 */
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { FitContext } from '../infer/fit-context.js';
import { marginalSds, predictionsAt, type FlowPosterior, type ObservationPrediction, type PosteriorMoments, type SubjectPosterior } from '../infer/posterior.js';
import { priorAt, unpack } from '../infer/population.js';
import { drawEffects } from '../../stdlib/effects-prior.js';
import { createParallelCpuEngine } from '../engine/cpu/cpu-pool.js';
import { obsField, subjectCounts } from '../engine/engine-data.js';
import { TrajectoryStatus } from '../engine/trajectory-status.js';
import { Random } from '../nn/random.js';
import { AGQ_MAX_EFFECTS, agqEvaluate, defaultAgqNodes } from '../uq/agq.js';
import { loadFittedRun, type FittedRun } from '../uq/fitted-run.js';
import { laplacePoints } from '../uq/laplace.js';
import { uqProblem } from '../uq/uncertainty.js';
import { computeLikelihood, fromStored, type SubjectLikelihood } from './likelihood.js';
import { censoredBounds, imputeCensored, subjectNpde } from './npde.js';
import { normalitySummary, type NormalitySummary } from './stats.js';
import { storedValues, type StoredValues } from './stored.js';
import { vpcDesign, type VpcBinning } from './vpc-design.js';
import { vpc, type VpcRow } from './vpc.js';

export type { SubjectLikelihood } from './likelihood.js';

export interface EvaluateOptions {
  /** K: simulated replicates of the design. */
  readonly samples: number;
  readonly seed: number;
  /** VPC time bins per output. */
  readonly bins: number;
  /** The dataset (default: the one named in fit.json), and --map. */
  readonly data?: string;
  readonly map?: Record<string, string>;
  /** When the run folder stores no per-subject −2LL: integrate at most this many subjects (a random sample); default all. */
  readonly likelihoodSubjects?: number;
  /** The VPC's x axis and bins: time (default) or time after the last dose. */
  readonly binning?: VpcBinning;
  /** A covariate: one VPC per stratum of its (baseline) values. */
  readonly stratify?: string;
}

export const defaultEvaluateOptions: EvaluateOptions = { samples: 500, seed: 1, bins: 10 };

/** What a caller may hand over instead of having it read or computed again. */
export interface EvaluationInputs {
  /** The run folder's reusable values (stored.ts); absent: none reused. */
  readonly stored?: StoredValues;
  /**
   * Work of the caller's that needs only the EBEs' posteriors, run while the replicates simulate on the workers
   * (the main thread would otherwise wait for them): the report's fine-grid curves. Awaited with them.
   */
  readonly whileSimulating?: (posterior: readonly PosteriorMoments[]) => Promise<unknown>;
}

/** One observation's NPDE row; a censored observation's values are those of its imputed value (npde.ts). */
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

export interface ModelEvaluation {
  readonly run: FittedRun;
  readonly options: EvaluateOptions;
  readonly npde: readonly NpdeRow[];
  readonly npdeSummary: NormalitySummary;
  readonly pwresSummary: NormalitySummary;
  readonly shrinkage: Shrinkage;
  readonly likelihood: SubjectLikelihood;
  /** The EBEs used (IPRED, IWRES, η-shrinkage), where they come from, and PRED/IPRED/IWRES at them (npde[k] is predictions[k]). */
  readonly ebes: readonly Float64Array[];
  readonly ebeSource: string;
  /** Each subject's posterior around its EBE: marginal sds, and the Cholesky factor where the fit has one. */
  readonly posterior: readonly PosteriorMoments[];
  readonly predictions: readonly ObservationPrediction[];
  /** VPC rows per output (rows of all strata; `strata` names them). */
  readonly vpc: readonly { readonly output: number; readonly rows: readonly VpcRow[] }[];
  /** The VPC's binning variable and strata (one, unnamed, without --stratify). */
  readonly binning: VpcBinning;
  readonly strata: readonly string[];
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
  const counts = Array.from({ length: S }, (_, i) => subjectCounts(ctx.data, i).observations);
  const { phi, error } = unpack(ctx.layout, population);
  const prior = priorAt(ctx.layout, population);
  const eps = new Float64Array(neta);
  // Two streams, η and ε, so that the values do not depend on how the rows are chunked for the engine.
  const etaRandom = new Random(seed);
  const epsRandom = new Random(seed + 0x5bd1e995);
  const sims = counts.map((n) => new Float64Array(samples * n));
  // Worker threads (NLMC_THREADS, else every core), as the uncertainty step's engine; chunks of about 16k rows.
  // Tolerance 1e-6: each replicate adds residual error of percents, which a 1e-6 relative integration error does
  // not move; Dormand–Prince takes about 2.5 times fewer steps than at 1e-8 (the simulations are most of a large
  // report's time).
  const engine = createParallelCpuEngine(ctx.model, ctx.data, { rtol: 1e-6, atol: 1e-9, maxSteps: 1_000_000, method: ctx.model.method });
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
            const output = obsField(ctx.data, i, j, 'output');
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

/** A flow fit's q itself beside its moments (the report's prediction band draws from it: curves.ts). */
const flowOf = (s: SubjectPosterior): { flow?: FlowPosterior } => (s.flow ? { flow: s.flow } : {});

/**
 * The EBEs the fit reports and each subject's −2LL contribution, at the reported estimate: taken from the run
 * folder when it has them (stored.ts), else computed — the conditional modes and AGQ for a maximum-likelihood fit
 * (one Laplace search serves both), the mean of the encoder's q for an `--estimate elbo` fit (μ for a Gaussian q,
 * the flow's mean by its draws for a flow: posterior.ts).
 */
async function conditionalPart(run: FittedRun, options: EvaluateOptions, given: EvaluationInputs): Promise<{ subjects: readonly SubjectPosterior[]; predictions: readonly ObservationPrediction[]; likelihood: SubjectLikelihood; ebeSource: string; moments: readonly PosteriorMoments[] }> {
  const { ctx, fit, population } = run;
  const neta = ctx.model.dims.neta;
  const stored = given.stored ?? {};
  let moments: PosteriorMoments[];
  let likelihood: SubjectLikelihood | undefined = stored.likelihood ? fromStored(stored.likelihood) : undefined;
  let ebeSource: string;
  if (stored.ebes) {
    // The fit's posterior sds beside them; the encoder's full-rank factor is the fit's own only for an ELBO fit.
    const chol = (i: number) => (!fit.maximumLikelihood && run.subjects[i]!.chol ? { chol: run.subjects[i]!.chol!, ...flowOf(run.subjects[i]!) } : {});
    moments = stored.ebes.map((mu, i) => ({ mu, sd: stored.sds?.[i] ?? run.subjects[i]!.sd, ...chol(i) }));
    ebeSource = `individual.csv (${fit.maximumLikelihood ? 'the conditional modes' : 'the mean of the encoder’s q'})`;
  } else if (fit.maximumLikelihood) {
    // A maximum-likelihood fit reports the conditional modes as EBEs (as `nlmc fit` and `nlmc predict` do).
    const problem = uqProblem(ctx);
    try {
      const points = await laplacePoints(problem, population, run.subjects.map((s) => s.mu));
      moments = points.mode.map((mu, i) => ({ mu: Float64Array.from(mu), sd: marginalSds(points.chol[i]!, neta), chol: Float64Array.from(points.chol[i]!) }));
      if (!likelihood) {
        const method = neta <= AGQ_MAX_EFFECTS ? 'agq' : 'laplace';
        const nodes = method === 'laplace' ? 1 : fit.maximumLikelihood.method === 'agq' ? fit.maximumLikelihood.size : defaultAgqNodes(neta);
        const at = await agqEvaluate(problem, population, points, nodes, true);
        const minus2LL = Float64Array.from(at.evaluation.logLik, (l) => -2 * l);
        likelihood = { method, nodes, source: 'computed', minus2LL, subjects: minus2LL.length, total: minus2LL.reduce((a, b) => a + b, 0), totalSe: 0 };
      }
    } finally {
      problem.engine.dispose();
    }
    ebeSource = 'the conditional modes (computed at the reported estimate)';
  } else {
    moments = run.subjects.map((s) => ({ mu: s.mu, sd: s.sd, ...(s.chol ? { chol: s.chol } : {}), ...flowOf(s) }));
    ebeSource = 'the mean of the encoder’s q';
  }
  if (!likelihood) {
    likelihood = await computeLikelihood(run, { etas: moments.map((m) => m.mu), seed: options.seed, ...(options.likelihoodSubjects !== undefined ? { maxSubjects: options.likelihoodSubjects } : {}) });
  }
  const at = await predictionsAt(ctx, population, moments);
  return { ...at, likelihood, ebeSource, moments };
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
  const dataFile = options.data ?? run.fit.data.file;
  const dataText = readFileSync(dataFile, 'utf8');
  const stored = storedValues(runFolder(path), run.fit.data.sha256, dataText, run.ctx.dataset.ids, run.ctx.ir.randomEffects.map((r) => r.name));
  return evaluateFittedRun(run, options, started, { stored });
}

const runFolder = (path: string): string => (path.endsWith('.json') ? dirname(path) : path);

export async function evaluateFittedRun(run: FittedRun, options: EvaluateOptions, started = performance.now(), given: EvaluationInputs = {}): Promise<ModelEvaluation> {
  if (!(Number.isInteger(options.samples) && options.samples >= 20)) throw new RangeError(`--samples must be a whole number ≥ 20 (got ${options.samples})`);
  if (!(Number.isInteger(options.bins) && options.bins >= 1)) throw new RangeError(`--bins must be a whole number ≥ 1 (got ${options.bins})`);
  const { ctx, population } = run;
  const covariates = ctx.ir.covariates.map((c) => c.name);
  if (options.stratify !== undefined && !covariates.includes(options.stratify)) throw new RangeError(`--stratify ${options.stratify}: the model has no covariate ${options.stratify} (covariates: ${covariates.join(', ') || 'none'})`);
  const notes: string[] = [];
  const M = ctx.data.maxObs;
  const S = ctx.data.nSubjects;
  const K = options.samples;
  const isCensored = (i: number, j: number): boolean => ctx.data.obsCensoring[i * M + j]! !== 0;

  const cond = await conditionalPart(run, options, given);
  if (given.stored?.reason) notes.push(`the EBEs and −2LL contributions are computed, not read from the run folder: ${given.stored.reason}`);
  if (cond.likelihood.source === 'computed' && cond.likelihood.subjects < S) notes.push(`the −2LL contributions were integrated for a random sample of ${cond.likelihood.subjects} of ${S} subjects (the run folder stores none for this dataset: a fit without the maximum-likelihood finish, an older run folder or another dataset); the total is estimated from them, ±${cond.likelihood.totalSe.toPrecision(2)} (sampling SE)`);
  // predictionsAt lists each subject's observations in the engine's order: index them back by (subject, slot).
  const first = new Int32Array(S + 1);
  for (let i = 0; i < S; i++) first[i + 1] = first[i]! + subjectCounts(ctx.data, i).observations;
  const slotOf = new Int32Array(cond.predictions.length);
  cond.predictions.forEach((p, k) => (slotOf[k] = k - first[p.subject]!));
  const censoredCount = cond.predictions.filter((p, k) => isCensored(p.subject, slotOf[k]!)).length;
  if (censoredCount > 0) notes.push(`${censoredCount} censored observation${censoredCount === 1 ? ' is' : 's are'} imputed for the NPDE and PWRES (the npde package's cdf method: pd drawn uniformly over the censored part of the simulated distribution) and left out of ε-shrinkage; the VPC counts them beyond their limit (the BLQ/ALQ fraction per bin)`);
  const shrink = shrinkage(ctx, population, cond.subjects, cond.predictions, (p, k) => isCensored(p.subject, slotOf[k]!));

  const simulated = simulateReplicates(ctx, population, K, options.seed);
  const [{ sims, failed }] = await Promise.all([simulated, given.whileSimulating?.(cond.moments)]);
  if (failed > 0) notes.push(`${failed} of ${K * S} simulated trajectories failed and were left out`);
  const design = vpcDesign(ctx, cond.predictions, options.binning ?? 'time', options.stratify);
  notes.push(...design.notes);
  const npde: NpdeRow[] = [];
  const notDecorrelated: number[] = [];
  const unsimulated: number[] = [];
  // Its own stream: the imputed values do not move the simulations (or the other way round).
  const imputeRandom = new Random(options.seed + 0x2545f491);
  for (let i = 0; i < S; i++) {
    const rows = cond.predictions.slice(first[i]!, first[i + 1]!);
    const n = rows.length;
    const sub = sims[i]!;
    let usable = 0;
    for (let k = 0; k < K; k++) if (rows.every((_, j) => Number.isFinite(sub[k * n + j]!))) usable++;
    if (n > 0 && usable < 2) unsimulated.push(i);
    const censored = rows.flatMap((r, j) => censoredBounds(ctx.data.obsCensoring[i * M + j]!, r.dv, ctx.data.obsLimit[i * M + j]!, j));
    // The simulated values beyond their row's limits (the VPC's, vpc-design.ts) are imputed alike (npde.ts).
    const own = design.rows.slice(first[i]!, first[i + 1]!);
    const limits = { lower: own.map((r) => r.lloq), upper: own.map((r) => r.uloq) };
    const filled = imputeCensored(rows.map((r) => r.dv), sub, n, censored, () => imputeRandom.uniform(), limits);
    const result = n > 0 && usable >= 2 ? subjectNpde(filled.y, filled.sims, n) : undefined;
    if (result && !result.decorrelated) notDecorrelated.push(i);
    rows.forEach((r, j) => {
      const at = (a: Float64Array | undefined) => (a ? a[j]! : NaN);
      npde.push({ subject: i, time: r.time, output: r.output, dv: r.dv, pred: r.pred, epred: at(result?.epred), esd: at(result?.esd), pwres: at(result?.pwres), pde: at(result?.pde), npde: at(result?.npde), censored: isCensored(i, j) });
    });
  }
  if (unsimulated.length > 0) notes.push(`${unsimulated.length} subject${unsimulated.length === 1 ? '' : 's'} (${unsimulated.slice(0, 5).map((i) => ctx.dataset.ids[i]!).join(', ')}${unsimulated.length > 5 ? ', …' : ''}): fewer than 2 simulations succeeded; no NPDE or PWRES for them`);
  if (notDecorrelated.length > 0) notes.push(`${notDecorrelated.length} subject${notDecorrelated.length === 1 ? '' : 's'}: the simulated covariance was not positive definite; their NPDE and PWRES use its diagonal only (not decorrelated)`);
  const ok = npde.filter((r) => Number.isFinite(r.npde));
  const npdeSummary = normalitySummary(ok.map((r) => r.npde));
  const pwresSummary = normalitySummary(ok.map((r) => r.pwres));

  const vpcs = ctx.ir.outputs.map((o, output) => {
    const idx = design.rows.filter((r) => r.output === output);
    // The simulated values are read in place (no K × n copy: for large datasets the simulations dominate memory).
    const sim = (k: number, c: number): number => {
      const { subject: i, slot: j } = idx[c]!;
      return sims[i]![k * (first[i + 1]! - first[i]!) + j]!;
    };
    const rows = idx.map((r) => cond.predictions[r.index]!);
    return {
      output,
      rows: idx.length === 0 ? [] : vpc({
        time: idx.map((r) => r.x), dv: rows.map((r) => r.dv), pred: rows.map((r) => r.pred), samples: K, simulated: sim, additive: o.dataTransform === 'log' || o.dataTransform === 'log10',
        censored: idx.map((r) => r.censored), lloq: idx.map((r) => r.lloq), uloq: idx.map((r) => r.uloq), stratum: idx.map((r) => r.stratum),
      }, { bins: options.bins }),
    };
  });
  return {
    run, options, npde, npdeSummary, pwresSummary, shrinkage: shrink, likelihood: cond.likelihood, ebes: cond.subjects.map((x) => x.mu), ebeSource: cond.ebeSource, posterior: cond.moments, predictions: cond.predictions,
    vpc: vpcs, binning: options.binning ?? 'time', strata: design.strata, notDecorrelated, failedSimulations: failed, notes,
    seconds: (performance.now() - started) / 1000,
  };
}
