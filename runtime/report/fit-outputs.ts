/**
 * The files of a run folder, written as a whole (an interrupted run never leaves a half-written file, nor a folder
 * mixing two runs):
 * estimates.csv/.json, individual.csv (EBEs), predictions.csv (PRED, IPRED, IWRES), trace.csv, fit.json, and
 * weights.csv for a model with mlp terms (its network weights), starts.csv after `--starts`. estimates.json carries the likelihood block and the uncertainty step's details
 * (information, correlations, messages) when it ran.
 */
import { join } from 'node:path';
import type { IrParameter, ModelIR } from '../../compiler/ir/model-ir.js';
import type { Dataset } from '../data/dataset.js';
import { reportedPopulation, type FitFile } from '../infer/fit-file.js';
import type { ObservationPrediction, SubjectPosterior } from '../infer/posterior.js';
import { unpack, type PopulationLayout } from '../infer/population.js';
import { formatNumber } from '../data/format-number.js';
import { clusterStarts, startsCsv, START_RANGE, type StartRun } from '../uq/starts.js';
import type { MaximumLikelihoodEstimate } from '../uq/ml-estimate.js';
import type { UncertaintyResult } from '../uq/uncertainty.js';
import { estimateRows, estimatesCsv, weightsCsv } from './estimates.js';
import { writeFolderAtomic } from '../data/write-atomic.js';
import { penaltyPerSubject } from '../infer/neural-penalty.js';

/** A table cell: the number, or empty where it is NaN or infinite (no table holds NaN or Infinity). */
const cell = (v: number): string => (Number.isFinite(v) ? formatNumber(v) : '');

/** The IDs of the subjects with a non-finite PRED, IPRED or IWRES (their cells in predictions.csv are empty). */
export function nonFinitePredictionSubjects(dataset: Dataset, predictions: readonly ObservationPrediction[]): string[] {
  const ids = new Set<string>();
  for (const p of predictions) if (!Number.isFinite(p.pred) || !Number.isFinite(p.ipred) || !Number.isFinite(p.iwres)) ids.add(dataset.ids[p.subject]!);
  return [...ids];
}

/** Network weights are population values, and a κ is already its ebe_ column: neither is an individual parameter. */
const individualColumn = (p: IrParameter): boolean => !p.neural && !p.occasion;

/**
 * ebe_<effect> is q's mean (the Laplace mode after a maximum-likelihood finish) and sd_ its marginal sd; a flow
 * fit's q is not Gaussian, so its mode differs from its mean and comes as mode_<effect> too (for a Gaussian q the
 * two are one number, and the column is left out).
 */
export function individualCsv(ir: ModelIR, dataset: Dataset, subjects: readonly SubjectPosterior[]): string {
  const modes = subjects.some((s) => s.mode !== undefined);
  const effects = (prefix: string): string[] => ir.randomEffects.map((r) => `${prefix}${r.name}`);
  const header = ['ID', ...effects('ebe_'), ...effects('sd_'), ...(modes ? effects('mode_') : []), ...ir.parameters.filter(individualColumn).map((p) => p.name)];
  const lines = [header.join(',')];
  subjects.forEach((s, i) => {
    const params = ir.parameters.map((p, k) => (individualColumn(p) ? cell(s.p[k]!) : undefined)).filter((v): v is string => v !== undefined);
    const mode = modes ? Array.from(s.mode ?? s.mu, cell) : [];
    lines.push([dataset.ids[i]!, ...Array.from(s.mu, cell), ...Array.from(s.sd, cell), ...mode, ...params].join(','));
  });
  return `${lines.join('\n')}\n`;
}

export function predictionsCsv(ir: ModelIR, dataset: Dataset, predictions: readonly ObservationPrediction[]): string {
  const lines = ['ID,TIME,OUTPUT,DV,PRED,IPRED,IWRES'];
  for (const p of predictions) {
    lines.push([dataset.ids[p.subject]!, cell(p.time), ir.outputs[p.output]!.name, cell(p.dv), cell(p.pred), cell(p.ipred), cell(p.iwres)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export function traceCsv(layout: PopulationLayout, fit: FitFile): string {
  const lines = [['epoch', 'elbo', 'validation_elbo', 'gradient_norm', 'learning_rate', 'seconds', ...layout.entries.map((e) => e.name)].join(',')];
  for (const r of fit.trace) {
    const { phi, omega, cpc, error } = unpack(layout, Float64Array.from(r.population));
    const values = layout.entries.map((e) => ({ phi, logOmega: omega, corr: cpc, logError: error })[e.kind][e.index]!);
    lines.push([r.epoch, cell(r.elbo), r.validationElbo === undefined ? '' : cell(r.validationElbo), cell(r.gradientNorm), cell(r.learningRate), cell(r.seconds), ...values.map(cell)].join(','));
  }
  return `${lines.join('\n')}\n`;
}

export interface RunOutputs {
  readonly ir: ModelIR;
  readonly layout: PopulationLayout;
  readonly dataset: Dataset;
  readonly fit: FitFile;
  readonly subjects?: readonly SubjectPosterior[];
  readonly predictions?: readonly ObservationPrediction[];
  /** The uncertainty step's result (absent with --no-uncertainty or for an incomplete fit). */
  readonly uncertainty?: UncertaintyResult;
  /** The runs of `--starts` (the main fit first). */
  readonly starts?: readonly StartRun[];
  /** The maximum-likelihood finish: its estimate is the one reported (the variational optimum is kept beside it). */
  readonly maximumLikelihood?: MaximumLikelihoodEstimate;
}

function maximumLikelihoodJson(out: RunOutputs) {
  const ml = out.maximumLikelihood;
  if (!ml) return null;
  const r = ml.result;
  return {
    method: r.at.method === 'agq' ? 'adaptive Gauss–Hermite quadrature' : 'importance sampling from the Laplace approximation', size: r.at.size,
    sizeMeaning: r.at.method === 'agq' ? 'nodes per random effect' : 'draws per subject', logLik: r.logLik, minus2LL: -2 * r.logLik, converged: r.converged, message: r.message,
    variationalMinus2LL: ml.variationalLogLik !== undefined ? -2 * ml.variationalLogLik : null,
    finalStepSe: finite(r.iterations[r.iterations.length - 1]?.stepSe ?? NaN), finalScoreMcSe: r.at.method === 'agq' ? null : finite(r.iterations[r.iterations.length - 1]?.scoreMcSe ?? NaN),
    iterations: r.iterations.map((it) => ({ minus2LL: -2 * it.logLik, stepSe: finite(it.stepSe), seconds: it.seconds })),
    collapsed: ml.collapsed.map((c) => ({ parameter: c.name, omega: c.omega, initial: c.initial, kl: c.kl })), starts: ml.runs.map((x) => ({ start: x.start, minus2LL: -2 * x.logLik, converged: x.converged })),
    seconds: r.seconds,
    // Each subject's −2 log p_i at the reported estimate, on the same points as minus2LL (their sum): nlmc evaluate
    // and nlmc report reuse them instead of integrating every subject again.
    subjects: Array.from(r.at.evaluation.logLik, (l, i) => ({ id: out.dataset.ids[i]!, minus2LL: finite(-2 * l), ...(r.at.method === 'agq' ? {} : { mcError: finite(2 * r.at.evaluation.se[i]!) }) })),
  };
}

/** fit.json with the reported estimate beside the training state. */
function fitWithEstimate(out: RunOutputs): FitFile {
  const ml = out.maximumLikelihood;
  if (!ml) return out.fit;
  return { ...out.fit, maximumLikelihood: { names: out.fit.population.names, values: Array.from(ml.result.v), method: ml.result.at.method, size: ml.result.at.size, logLik: ml.result.logLik, converged: ml.result.converged } };
}

const matrix = (m: Float64Array, d: number): (number | null)[][] => Array.from({ length: d }, (_, i) => Array.from(m.subarray(i * d, (i + 1) * d), (x) => (Number.isFinite(x) ? x : null)));
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * The standard errors (estimation scale) per population-vector entry: all of them when the information was
 * invertible, those outside the flat directions (NaN for the others) when it was not.
 */
export function standardErrors(u: UncertaintyResult | undefined): Float64Array | undefined {
  const c = u?.covariance;
  if (!c) return undefined;
  return c.ok ? c.se : c.partialSe;
}

/** The estimates' covariance on the unconstrained scale, when the information gave one. */
export function covarianceOf(u: UncertaintyResult | undefined): Float64Array | undefined {
  const c = u?.covariance;
  return c?.ok ? c.covariance : undefined;
}

function likelihoodJson(u: UncertaintyResult | undefined) {
  const l = u?.likelihood;
  if (!l) return null;
  return {
    minus2LL: l.minus2LL, aic: l.aic, bic: l.bic, estimator: l.estimator, ...(l.proposal ? { proposal: l.proposal } : {}), mcError: l.mcError, samples: l.samples,
    logLik: l.logLik, parameters: l.parameters, subjects: l.subjects, observations: l.observations, bicN: 'subjects',
    estimators: u!.estimators.map((e) => ({ estimator: e.estimator, ...(e.proposal ? { proposal: e.proposal } : {}), minus2LL: finite(e.minus2LL), mcError: finite(e.mcError), samples: e.samples, minEss: finite(e.minEss), failedDraws: e.failedDraws, seconds: e.seconds })),
  };
}

/**
 * The uncertainty step's details over the entries `shown` (the network weights are held at their trained values
 * in the finish: their rows of the information are stand-ins, not curvatures, and are left out).
 */
function uncertaintyJson(full: UncertaintyResult | undefined, shown: readonly boolean[]) {
  if (!full) return null;
  const u = shownEntries(full, shown);
  const d = u.names.length;
  const c = u.covariance;
  return {
    method: 'observed Fisher information of the Monte-Carlo marginal likelihood at the estimates (Louis identity; exact gradients, central differences for second derivatives), inverted by eigen-decomposition; scale: the estimation scale (φ, log ω, log of error parameters)',
    estimator: u.likelihood?.estimator ?? null,
    samples: u.likelihood?.samples ?? null,
    names: u.names,
    standardErrors: c?.ok ? Array.from(c.se) : c?.partialSe ? Array.from(c.partialSe, (x) => finite(x)) : null,
    standardErrorMcError: c?.ok && u.seMcError ? Array.from(u.seMcError, (x) => finite(x)) : null,
    correlation: c?.ok ? matrix(c.correlation, d) : null,
    information: u.information ? matrix(u.information.information, d) : null,
    informationMcError: u.information ? matrix(u.information.mcError, d) : null,
    eigenvalues: c ? Array.from(c.eigenvalues) : null,
    messages: u.messages,
    seconds: u.seconds,
  };
}

const pick = (m: Float64Array, keep: readonly number[]): Float64Array => Float64Array.from(keep, (k) => m[k]!);
const pickMatrix = (m: Float64Array, keep: readonly number[], d: number): Float64Array => Float64Array.from(keep.flatMap((i) => keep.map((j) => m[i * d + j]!)));

/** The uncertainty result restricted to the entries `shown` (eigenvalues kept: they describe the whole matrix). */
function shownEntries(u: UncertaintyResult, shown: readonly boolean[]): UncertaintyResult {
  if (shown.every((x) => x)) return u;
  const d = u.names.length;
  const keep = u.names.map((_, k) => k).filter((k) => shown[k]);
  const c = u.covariance;
  const covariance = !c ? undefined : c.ok
    ? { ...c, covariance: pickMatrix(c.covariance, keep, d), se: pick(c.se, keep), correlation: pickMatrix(c.correlation, keep, d) }
    : { ...c, ...(c.partialSe ? { partialSe: pick(c.partialSe, keep) } : {}) };
  const information = u.information ? { ...u.information, information: pickMatrix(u.information.information, keep, d), mcError: pickMatrix(u.information.mcError, keep, d) } : undefined;
  return {
    ...u, names: keep.map((k) => u.names[k]!), ...(covariance ? { covariance } : {}), ...(information ? { information } : {}),
    ...(u.seMcError ? { seMcError: pick(u.seMcError, keep) } : {}),
  };
}

/** Which population-vector entries are not network weights. */
const notWeights = (ir: ModelIR, layout: PopulationLayout): boolean[] => layout.entries.map((e) => e.kind !== 'phi' || !ir.parameters[e.index]!.neural);

function startsJson(out: RunOutputs) {
  if (!out.starts) return undefined;
  const clusters = clusterStarts(out.ir, out.layout, out.starts, standardErrors(out.uncertainty));
  return {
    range: START_RANGE, runs: out.starts.length,
    separated: clusters.filter((c) => c.separated).map((c) => c.name),
    clusters: clusters.map((c) => ({ parameter: c.name, separated: c.separated, delta: c.delta, clusters: c.clusters })),
  };
}

/** Every file a run folder may hold (a new run replaces all of them: none is left from an earlier run). */
export const RUN_FILES: ReadonlySet<string> = new Set(['estimates.csv', 'estimates.json', 'individual.csv', 'predictions.csv', 'trace.csv', 'starts.csv', 'weights.csv', 'fit.json']);

/**
 * Writes the run folder as a whole (runtime/data/write-atomic.ts: a new folder renamed into place, so that a
 * folder never mixes two runs; other files in it are kept); returns the paths written.
 */
export function writeRunOutputs(dir: string, out: RunOutputs): string[] {
  const files: [string, string][] = [];
  const put = (name: string, text: string): void => {
    files.push([name, text]);
  };
  const fit = fitWithEstimate(out);
  const rows = estimateRows(out.ir, out.layout, reportedPopulation(fit), standardErrors(out.uncertainty), covarianceOf(out.uncertainty));
  put('estimates.csv', estimatesCsv(rows, { complete: out.fit.complete, stop: out.fit.stop }));
  const starts = startsJson(out);
  const weights = weightsCsv(out.ir, out.layout, reportedPopulation(fit));
  put('estimates.json', `${JSON.stringify({
    model: out.fit.model.name, complete: out.fit.complete, stop: out.fit.stop, message: out.fit.message, backend: out.fit.backend, epochs: out.fit.state.epoch,
    elbo: out.fit.trace[out.fit.trace.length - 1]?.elbo ?? null,
    estimate: out.maximumLikelihood ? 'maximum likelihood' : 'variational (ELBO optimum)', estimates: rows,
    ...(out.maximumLikelihood ? { variational: estimateRows(out.ir, out.layout, Float64Array.from(out.fit.population.values)), maximumLikelihood: maximumLikelihoodJson(out) } : {}),
    likelihood: likelihoodJson(out.uncertainty), uncertainty: uncertaintyJson(out.uncertainty, notWeights(out.ir, out.layout)),
    ...(weights ? { networkWeights: { count: out.ir.parameters.filter((p) => p.neural).length, file: 'weights.csv', standardErrors: 'none: held at their trained values in the maximum-likelihood finish; the other standard errors are conditional on them', countedInAicBic: true, ...(out.layout.l2 ? { penalty: out.dataset.ids.length * penaltyPerSubject(out.layout, reportedPopulation(fit)) } : {}) } } : {}),
    ...(starts ? { starts } : {}),
  }, null, 2)}\n`);
  if (weights) put('weights.csv', weights);
  if (out.subjects) put('individual.csv', individualCsv(out.ir, out.dataset, out.subjects));
  if (out.predictions) put('predictions.csv', predictionsCsv(out.ir, out.dataset, out.predictions));
  put('trace.csv', traceCsv(out.layout, out.fit));
  if (out.starts) put('starts.csv', startsCsv(out.ir, out.layout, out.starts));
  put('fit.json', `${JSON.stringify(fit)}\n`);
  return writeFolderAtomic(dir, files, RUN_FILES).written;
}
