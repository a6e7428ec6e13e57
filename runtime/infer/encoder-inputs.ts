/**
 * What the encoder sees of each subject: the observation sequence as a padded batch of feature vectors, plus
 * static features. Scales are fixed from the training data once (and saved with the fitted encoder), so a new
 * subject given to `nlmc predict` is scaled exactly like the ones the encoder learned from.
 *
 * Per observation step: (y − mean_o)/sd_o of its output, t / T, Δt / T (since the previous observation), and a
 * one-hot output indicator when the model has several outputs, and a one-hot occasion indicator when it has
 * inter-occasion variability (so q can tell the occasions' κ apart). Static per subject: standardized
 * covariates and log(1 + total dose) standardized.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { covariatesAt, doseField, obsField, subjectCounts, subjectCovariates, subjectCovariateTrack, type EngineData } from '../engine/engine-data.js';

/** The occasion column (a covariate index) and its number of occasions K. */
export interface OccasionColumn {
  readonly covariate: number;
  readonly count: number;
}

/** The model's occasion column, when it has inter-occasion variability. */
export function occasionColumn(ir: ModelIR): OccasionColumn | undefined {
  const covariate = ir.covariates.findIndex((c) => c.occasions !== undefined);
  return covariate >= 0 ? { covariate, count: ir.covariates[covariate]!.occasions! } : undefined;
}

/** The occasion (0-based) of each of subject s's observations. */
function observationOccasions(data: EngineData, s: number, column: OccasionColumn): Int32Array {
  const n = subjectCounts(data, s).observations;
  const track = subjectCovariateTrack(data, s);
  const c = new Float64Array(data.nCovariates);
  return Int32Array.from({ length: n }, (_, j) => {
    if (track) covariatesAt(track, obsField(data, s, j, 'time'), c);
    else c.set(subjectCovariates(data, s));
    return Math.round(c[column.covariate]!) - 1;
  });
}

export interface EncoderScaling {
  readonly outputMean: readonly number[];
  readonly outputSd: readonly number[];
  /** T: the largest observation time in the training data. */
  readonly timeScale: number;
  readonly covariateMean: readonly number[];
  readonly covariateSd: readonly number[];
  readonly doseMean: number;
  readonly doseSd: number;
}

export interface EncoderInputs {
  readonly subjects: number;
  /** Longest sequence (T). */
  readonly steps: number;
  /** Features per step (F). */
  readonly stepFeatures: number;
  /** subjects × steps × F, zero in padding. */
  readonly sequence: Float64Array;
  /** subjects × steps: 1 for a real observation. */
  readonly mask: Float64Array;
  readonly lengths: Int32Array;
  readonly staticFeatures: number;
  /** subjects × staticFeatures. */
  readonly statics: Float64Array;
  /** Whether every subject is observed at the same times (a regular design: a convolutional encoder fits). */
  readonly regular: boolean;
}

const sdOr1 = (v: number): number => (v > 1e-12 && Number.isFinite(v) ? v : 1);

function totalDose(data: EngineData, s: number): number {
  const n = subjectCounts(data, s).doses;
  let total = 0;
  for (let k = 0; k < n; k++) total += doseField(data, s, k, 'amount');
  return Math.log1p(Math.max(0, total));
}

export function fitScaling(data: EngineData, nOutputs: number): EncoderScaling {
  const sums = new Array<number>(nOutputs).fill(0);
  const squares = new Array<number>(nOutputs).fill(0);
  const counts = new Array<number>(nOutputs).fill(0);
  let tmax = 0;
  const C = data.nCovariates;
  const cs = new Array<number>(C).fill(0);
  const cq = new Array<number>(C).fill(0);
  const doses: number[] = [];
  for (let s = 0; s < data.nSubjects; s++) {
    const n = subjectCounts(data, s).observations;
    for (let j = 0; j < n; j++) {
      const o = obsField(data, s, j, 'output');
      const y = obsField(data, s, j, 'value');
      sums[o] = sums[o]! + y;
      squares[o] = squares[o]! + y * y;
      counts[o] = counts[o]! + 1;
      tmax = Math.max(tmax, obsField(data, s, j, 'time'));
    }
    for (let c = 0; c < C; c++) {
      const v = subjectCovariates(data, s)[c]!;
      cs[c] = cs[c]! + v;
      cq[c] = cq[c]! + v * v;
    }
    doses.push(totalDose(data, s));
  }
  const mean = (sum: number, n: number): number => (n > 0 ? sum / n : 0);
  const sd = (sum: number, sq: number, n: number): number => sdOr1(n > 1 ? Math.sqrt(Math.max(0, sq / n - (sum / n) ** 2)) : 1);
  const N = data.nSubjects;
  const dMean = doses.reduce((a, b) => a + b, 0) / Math.max(1, N);
  const dSd = sdOr1(Math.sqrt(doses.reduce((a, b) => a + (b - dMean) ** 2, 0) / Math.max(1, N)));
  return {
    outputMean: sums.map((v, o) => mean(v, counts[o]!)),
    outputSd: sums.map((v, o) => sd(v, squares[o]!, counts[o]!)),
    timeScale: tmax > 0 ? tmax : 1,
    covariateMean: cs.map((v) => mean(v, N)),
    covariateSd: cs.map((v, c) => sd(v, cq[c]!, N)),
    doseMean: dMean,
    doseSd: dSd,
  };
}

export function encoderInputs(data: EngineData, nOutputs: number, scaling: EncoderScaling, occasions?: OccasionColumn): EncoderInputs {
  const C = data.nCovariates;
  const outputFeatures = nOutputs > 1 ? nOutputs : 0;
  const F = 3 + outputFeatures + (occasions?.count ?? 0);
  const T = data.maxObs;
  const S = data.nSubjects;
  const sequence = new Float64Array(S * T * F);
  const mask = new Float64Array(S * T);
  const lengths = new Int32Array(S);
  const staticFeatures = C + 1;
  const statics = new Float64Array(S * staticFeatures);
  let firstTimes: string | undefined;
  let regular = true;
  for (let s = 0; s < S; s++) {
    const n = subjectCounts(data, s).observations;
    lengths[s] = n;
    let previous = 0;
    const times: number[] = [];
    const occasion = occasions ? observationOccasions(data, s, occasions) : undefined;
    for (let j = 0; j < n; j++) {
      const t = obsField(data, s, j, 'time');
      const y = obsField(data, s, j, 'value');
      const o = obsField(data, s, j, 'output');
      const f = (s * T + j) * F;
      sequence[f] = (y - scaling.outputMean[o]!) / scaling.outputSd[o]!;
      sequence[f + 1] = t / scaling.timeScale;
      sequence[f + 2] = (t - previous) / scaling.timeScale;
      if (nOutputs > 1) sequence[f + 3 + o] = 1;
      if (occasion) sequence[f + 3 + outputFeatures + occasion[j]!] = 1;
      mask[s * T + j] = 1;
      previous = t;
      times.push(t);
    }
    const key = times.join(',');
    if (firstTimes === undefined) firstTimes = key;
    else if (key !== firstTimes) regular = false;
    for (let c = 0; c < C; c++) statics[s * staticFeatures + c] = (subjectCovariates(data, s)[c]! - scaling.covariateMean[c]!) / scaling.covariateSd[c]!;
    statics[s * staticFeatures + C] = (totalDose(data, s) - scaling.doseMean) / scaling.doseSd;
  }
  return { subjects: S, steps: T, stepFeatures: F, sequence, mask, lengths, staticFeatures, statics, regular };
}
