/**
 * Everything the report draws, gathered once from a finished run folder: the fitted run (runtime/uq/fitted-run.ts),
 * its estimates.json and EBEs (individual.csv), the model evaluation at the reported estimate
 * (runtime/evaluate: NPDE, shrinkage, per-subject −2LL, VPC and pcVPC — the numbers `nlmc evaluate` writes),
 * PRED/IPRED/IWRES at the EBEs, PRED/IPRED on a fine grid for the subjects whose fits are shown, and the runs of
 * `--starts` (starts.csv) when there are any.
 */
import { readFileSync } from 'node:fs';
import { evaluateFittedRun, type ModelEvaluation } from '../../evaluate/evaluate.js';
import { storedValues } from '../../evaluate/stored.js';
import type { VpcBinning } from '../../evaluate/vpc-design.js';
import type { ObservationPrediction, PosteriorMoments } from '../../infer/posterior.js';
import { loadFittedRun, type FittedRun } from '../../uq/fitted-run.js';
import { estimateRows, type EstimateRow } from '../estimates.js';
import { withFullPosterior } from './band-posterior.js';
import { fineGridCurves, type SubjectCurve } from './curves.js';
import { readEstimates, readStarts, runFolderOf, type EstimatesFile, type StartRow } from './run-folder.js';

export interface ReportOptions {
  /** K simulated replicates for the NPDE and VPC; undefined: automatic (200, fewer for large datasets). */
  readonly samples?: number;
  readonly seed: number;
  readonly bins: number;
  readonly binning?: VpcBinning;
  readonly stratify?: string;
  /** At most this many subjects' individual fits are drawn. */
  readonly subjects: number;
  readonly data?: string;
  readonly map?: Record<string, string>;
}

export const defaultReportOptions: ReportOptions = { seed: 1, bins: 10, subjects: 24 };

/**
 * K for `subjects` subjects when none is given: 200 (the simulations are most of a small report's time: pk's 100
 * subjects at K = 500 take 10 CPU-seconds), down to 20 so that K·S stays near 100,000 trajectories.
 */
export function automaticSamples(subjects: number): number {
  return Math.max(20, Math.min(200, Math.round(100_000 / Math.max(1, subjects))));
}

/**
 * Subjects whose −2LL contributions are integrated when the run folder stores none (a fit without the
 * maximum-likelihood finish): all up to this many, else a random sample of this many (10,000 subjects in full:
 * about 40 s of the report's 30 s budget; 500: 2 s) — the evaluation says so, and `nlmc evaluate` integrates all.
 */
export const LIKELIHOOD_SAMPLE = 500;

/** Which subjects' fits are drawn, and the sentence that says so. */
export interface ShownSubjects {
  readonly subjects: readonly number[];
  readonly total: number;
  readonly rule: string;
}

/** All subjects when there are at most `limit`, else `limit` of them evenly spaced in the dataset's order. */
export function pickSubjects(total: number, limit: number): ShownSubjects {
  if (total <= limit) return { subjects: Array.from({ length: total }, (_, i) => i), total, rule: `all ${total} subjects` };
  const subjects = Array.from({ length: limit }, (_, k) => Math.floor((k * total) / limit));
  return { subjects, total, rule: `${limit} of ${total} subjects, evenly spaced in the dataset's order (about every ${ordinal(Math.round(total / limit))}; --subjects to change)` };
}

export interface TraceRow {
  readonly epoch: number;
  readonly elbo: number;
  /** Natural-scale values of the estimated (not fixed) population parameters. */
  readonly values: readonly number[];
}

export interface ReportData {
  readonly folder: string;
  /** The dataset read: --data, else the one fit.json names. */
  readonly dataFile: string;
  readonly run: FittedRun;
  readonly estimates: EstimatesFile;
  readonly evaluation: ModelEvaluation;
  /** Where the EBEs come from. */
  readonly ebeSource: string;
  readonly ebes: readonly Float64Array[];
  /** PRED, IPRED and IWRES at the EBEs, in the evaluation's row order (evaluation.npde[k] is predictions[k]). */
  readonly predictions: readonly ObservationPrediction[];
  readonly shown: ShownSubjects;
  readonly curves: readonly SubjectCurve[];
  /** The band's posteriors of the shown subjects have their full covariance (a factor each, or a single effect). */
  readonly bandCorrelated: boolean;
  /** The band's posteriors of the shown subjects are flows (drawn as themselves, not as N(EBE, Σ)). */
  readonly bandFlow: boolean;
  /** The names of the estimated parameters in the trace, and the trace on their natural scale. */
  readonly traceNames: readonly string[];
  readonly trace: readonly TraceRow[];
  readonly samples: number;
  /** starts.csv's runs, when the fit ran `--starts`. */
  readonly starts?: readonly StartRow[];
}

function traceOf(run: FittedRun): { names: string[]; rows: TraceRow[] } {
  const { ir, layout } = run.ctx;
  const free = (rows: EstimateRow[]) => rows.filter((r) => !r.fixed);
  const names = free(estimateRows(ir, layout, run.population)).map((r) => r.name);
  const rows = run.fit.trace.map((t) => ({ epoch: t.epoch, elbo: t.elbo, values: free(estimateRows(ir, layout, Float64Array.from(t.population))).map((r) => r.estimate) }));
  return { names, rows };
}

export async function gatherReportData(path: string, options: ReportOptions): Promise<ReportData> {
  const folder = runFolderOf(path);
  const estimates = readEstimates(folder);
  const run = await loadFittedRun(path, options.data, options.map ?? {});
  const { ctx, population } = run;
  const S = ctx.data.nSubjects;
  const dataFile = options.data ?? run.fit.data.file;
  const dataText = readFileSync(dataFile, 'utf8');
  const stored = storedValues(folder, run.fit.data.sha256, dataText, ctx.dataset.ids, ctx.ir.randomEffects.map((r) => r.name));
  const samples = options.samples ?? automaticSamples(S);
  // The evaluation's EBEs and predictions are the report's: computed once (or read from the run folder).
  const shown = pickSubjects(S, options.subjects);
  // The shown subjects' curves need only their posteriors: computed while the evaluation's replicates simulate.
  const bandCurves = async (moments: readonly PosteriorMoments[]) => {
    const posterior = await withFullPosterior(ctx, population, moments, shown.subjects);
    return { posterior, curves: await fineGridCurves(ctx, population, posterior, shown.subjects, 120, options.seed) };
  };
  let curvesTask: ReturnType<typeof bandCurves> | undefined;
  const evaluation = await evaluateFittedRun(run, {
    samples, seed: options.seed, bins: options.bins, likelihoodSubjects: LIKELIHOOD_SAMPLE, map: options.map ?? {},
    ...(options.binning ? { binning: options.binning } : {}), ...(options.stratify ? { stratify: options.stratify } : {}),
  }, performance.now(), { stored, whileSimulating: (moments) => (curvesTask = bandCurves(moments)) });
  const { posterior, curves } = await (curvesTask ?? bandCurves(evaluation.posterior));
  const trace = traceOf(run);
  const starts = readStarts(folder, ctx.layout.entries.map((e) => e.name));
  return {
    folder, dataFile, run, estimates, evaluation, ebeSource: evaluation.ebeSource, ebes: evaluation.ebes, predictions: evaluation.predictions, shown, curves,
    bandCorrelated: ctx.model.dims.neta < 2 || shown.subjects.every((i) => posterior[i]!.chol !== undefined),
    bandFlow: shown.subjects.length > 0 && shown.subjects.every((i) => posterior[i]!.flow !== undefined),
    traceNames: trace.names, trace: trace.rows, samples, ...(starts ? { starts } : {}),
  };
}

/** 2 → '2nd', 11 → '11th', 23 → '23rd'. */
function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : ({ 1: 'st', 2: 'nd', 3: 'rd' } as Record<number, string>)[n % 10] ?? 'th';
  return `${n}${suffix}`;
}
