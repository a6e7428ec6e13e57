/**
 * Subjects' data as the engine holds it: padded, row-major arrays, built once and kept (on the device, for the
 * WebGPU back end) for the whole fit. Observation values are on the scale of the model's output (already
 * transformed when the output declares a data transform).
 */

/** One subject, as the data reader hands it over. */
export interface EngineSubject {
  readonly obsTimes: readonly number[];
  readonly obsValues: readonly number[];
  /** Output index of each observation (position in the model's observe block). */
  readonly obsOutputs: readonly number[];
  /**
   * The likelihood term of each observation (stdlib/observation-terms.ts `ObservationCode`: 0 observed, 1 below
   * the value, 2 above it, 3 between the value and its limit); all observed when absent.
   */
  readonly obsCensoring?: readonly number[];
  /** The other bound of each interval-censored observation (code 3), on the output's scale; NaN otherwise. */
  readonly obsLimits?: readonly number[];
  /**
   * 1 where the observation's row follows a dose or reset row at its time in the data (it sees the state after the
   * events at that time, NONMEM's record order), 0 where it sees the state before them; all 0 when absent.
   */
  readonly obsAfterEvents?: readonly number[];
  /**
   * Data doses: nominal time, amount (before bioavailability), input index, rate (0 = bolus); the event kind
   * (stdlib/dose-events.ts `DoseKind`, a plain dose when absent) and a steady state's interval II. A reset has no
   * dose: amount 0, input -1.
   */
  readonly doses: readonly EngineDose[];
  /** Covariate values in the model's order: the subject's first (what its individual parameters are computed from). */
  readonly covariates: readonly number[];
  /**
   * Covariates as functions of time (runtime/data/covariate-points.ts): c(t) = values + slopes · max(0, t − time)
   * from each point to the next, in time order; constant `covariates` when absent.
   */
  readonly covariatePoints?: readonly CovariatePoint[];
}

export interface CovariatePoint {
  readonly time: number;
  readonly values: readonly number[];
  readonly slopes: readonly number[];
}

export interface EngineDose {
  readonly time: number;
  readonly amount: number;
  readonly input: number;
  readonly rate: number;
  readonly kind?: number;
  readonly interval?: number;
}

export interface EngineData {
  readonly nSubjects: number;
  readonly nCovariates: number;
  readonly maxObs: number;
  readonly maxDoses: number;
  /**
   * nSubjects × maxObs × DATA_LAYOUT.obs.stride: time, value, output, and `after` (1: the observation sees the
   * state after the events at its time, 0: before them). Padding is never read: the counts bound reads.
   */
  readonly obs: Float64Array;
  /** nSubjects × maxObs: each observation's term code (`ObservationCode`; 0 observed, 0 in padding). */
  readonly obsCensoring: Float64Array;
  /** nSubjects × maxObs: the other bound of an interval (code 3), on the output's scale; NaN otherwise. */
  readonly obsLimit: Float64Array;
  /** nSubjects × maxDoses × DATA_LAYOUT.dose.stride: time, amount, input, rate. */
  readonly doses: Float64Array;
  /** nSubjects × maxDoses × DATA_LAYOUT.doseKind.stride: each dose event's `DoseKind` and a steady state's interval II (0 in padding). */
  readonly doseKinds: Float64Array;
  /** nSubjects × subjectStride(nCovariates): observation count, dose count, covariates. */
  readonly subjects: Float64Array;
  /** Covariate points per subject, at most (at least 1). */
  readonly maxCovariatePoints: number;
  /**
   * nSubjects × covariatePointStride(nCovariates, maxCovariatePoints): the number of points, then each point's
   * time, values (nCovariates) and slopes (nCovariates); padding repeats the last point with slope 0.
   */
  readonly covariatePoints: Float64Array;
}

/**
 * The fields of each packed entry of EngineData: one record for the packer and every reader (both engines, the
 * encoder's inputs, preflight, reports), so no file spells a stride.
 */
export const DATA_LAYOUT = {
  obs: { stride: 4, time: 0, value: 1, output: 2, after: 3 },
  dose: { stride: 4, time: 0, amount: 1, input: 2, rate: 3 },
  doseKind: { stride: 2, kind: 0, interval: 1 },
  /** Per subject: the counts, then nCovariates values. */
  subject: { header: 2, observations: 0, doses: 1 },
} as const;

/** Floats per subject in `EngineData.subjects`. */
export function subjectStride(nCovariates: number): number {
  return DATA_LAYOUT.subject.header + nCovariates;
}

/** A field of observation j of subject s. */
export function obsField(d: EngineData, s: number, j: number, field: Exclude<keyof typeof DATA_LAYOUT.obs, 'stride'>): number {
  return d.obs[(s * d.maxObs + j) * DATA_LAYOUT.obs.stride + DATA_LAYOUT.obs[field]]!;
}

/** A field of dose k of subject s. */
export function doseField(d: EngineData, s: number, k: number, field: Exclude<keyof typeof DATA_LAYOUT.dose, 'stride'>): number {
  return d.doses[(s * d.maxDoses + k) * DATA_LAYOUT.dose.stride + DATA_LAYOUT.dose[field]]!;
}

/** The kind (`DoseKind`) or steady-state interval of dose k of subject s. */
export function doseKindField(d: EngineData, s: number, k: number, field: Exclude<keyof typeof DATA_LAYOUT.doseKind, 'stride'>): number {
  return d.doseKinds[(s * d.maxDoses + k) * DATA_LAYOUT.doseKind.stride + DATA_LAYOUT.doseKind[field]]!;
}

/** The observation and dose counts of subject s. */
export function subjectCounts(d: EngineData, s: number): { readonly observations: number; readonly doses: number } {
  const base = s * subjectStride(d.nCovariates);
  return { observations: d.subjects[base + DATA_LAYOUT.subject.observations]!, doses: d.subjects[base + DATA_LAYOUT.subject.doses]! };
}

/** The (constant) covariates of subject s, a view into EngineData.subjects. */
export function subjectCovariates(d: EngineData, s: number): Float64Array {
  const base = s * subjectStride(d.nCovariates) + DATA_LAYOUT.subject.header;
  return d.subjects.subarray(base, base + d.nCovariates);
}

/** Floats per subject in `EngineData.covariatePoints`. */
export function covariatePointStride(nCovariates: number, maxPoints: number): number {
  return 1 + maxPoints * (1 + 2 * nCovariates);
}

/**
 * Packs subjects into the engine layout; doses and observations are sorted by time (stable: a reset stays before
 * its EVID 4 dose), and at one time the observations before the events come first (the stop loops read them so).
 */
export function packSubjects(subjects: readonly EngineSubject[], nCovariates: number): EngineData {
  const maxObs = Math.max(1, ...subjects.map((s) => s.obsTimes.length));
  const maxDoses = Math.max(1, ...subjects.map((s) => s.doses.length));
  const { obs: O, dose: D, doseKind: K, subject: S } = DATA_LAYOUT;
  const obs = new Float64Array(subjects.length * maxObs * O.stride);
  const obsCensoring = new Float64Array(subjects.length * maxObs);
  const obsLimit = new Float64Array(subjects.length * maxObs).fill(NaN);
  const doses = new Float64Array(subjects.length * maxDoses * D.stride);
  const doseKinds = new Float64Array(subjects.length * maxDoses * K.stride);
  const info = new Float64Array(subjects.length * subjectStride(nCovariates));
  const maxCovariatePoints = Math.max(1, ...subjects.map((s) => s.covariatePoints?.length ?? 1));
  const pointStride = covariatePointStride(nCovariates, maxCovariatePoints);
  const covariatePoints = new Float64Array(subjects.length * pointStride);
  subjects.forEach((s, i) => {
    const after = (j: number): number => (s.obsAfterEvents?.[j] ? 1 : 0);
    const order = s.obsTimes.map((_, j) => j).sort((a, b) => s.obsTimes[a]! - s.obsTimes[b]! || after(a) - after(b) || a - b);
    order.forEach((j, k) => {
      const base = (i * maxObs + k) * O.stride;
      obs[base + O.time] = s.obsTimes[j]!;
      obs[base + O.value] = s.obsValues[j]!;
      obs[base + O.output] = s.obsOutputs[j]!;
      obs[base + O.after] = after(j);
      obsCensoring[i * maxObs + k] = s.obsCensoring?.[j] ?? 0;
      obsLimit[i * maxObs + k] = s.obsLimits?.[j] ?? NaN;
    });
    [...s.doses].sort((a, b) => a.time - b.time).forEach((d, k) => {
      const base = (i * maxDoses + k) * D.stride;
      doses[base + D.time] = d.time;
      doses[base + D.amount] = d.amount;
      doses[base + D.input] = d.input;
      doses[base + D.rate] = d.rate;
      doseKinds[(i * maxDoses + k) * K.stride + K.kind] = d.kind ?? 0;
      doseKinds[(i * maxDoses + k) * K.stride + K.interval] = d.interval ?? 0;
    });
    const sb = i * subjectStride(nCovariates);
    info[sb + S.observations] = s.obsTimes.length;
    info[sb + S.doses] = s.doses.length;
    if (s.covariates.length !== nCovariates) throw new RangeError(`subject ${i}: ${s.covariates.length} covariates, the model has ${nCovariates}`);
    s.covariates.forEach((v, k) => (info[sb + S.header + k] = v));
    const points = s.covariatePoints ?? [{ time: 0, values: s.covariates, slopes: s.covariates.map(() => 0) }];
    const pb = i * pointStride;
    covariatePoints[pb] = points.length;
    for (let k = 0; k < maxCovariatePoints; k++) {
      const point = points[Math.min(k, points.length - 1)]!;
      const at = pb + 1 + k * (1 + 2 * nCovariates);
      covariatePoints[at] = point.time;
      for (let c = 0; c < nCovariates; c++) {
        covariatePoints[at + 1 + c] = point.values[c]!;
        covariatePoints[at + 1 + nCovariates + c] = k < points.length ? point.slopes[c]! : 0;
      }
    }
  });
  return { nSubjects: subjects.length, nCovariates, maxObs, maxDoses, obs, obsCensoring, obsLimit, doses, doseKinds, subjects: info, maxCovariatePoints, covariatePoints };
}

/**
 * A subject's covariates over time, for a back end: from point k on, c(t) = values[k] + slopes[k] · max(0, t −
 * times[k]) (count points, each nc values and slopes, row-major) — the one rule (the kernel's spelling:
 * compiler/emit-wgsl/kernel.ts, `cov_at`).
 */
export interface CovariateTrack {
  readonly count: number;
  readonly times: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  readonly slopes: ArrayLike<number>;
}

/** The track's point that holds at t: the last one at or before t (the first before it). */
export function trackPoint(track: CovariateTrack, t: number, from = 0): number {
  let k = from;
  while (k + 1 < track.count && track.times[k + 1]! <= t) k++;
  return k;
}

/** c(t) on point k's line into `out` (k defaults to the point that holds at t). */
export function covariatesAt(track: CovariateTrack, t: number, out: Float64Array, k = trackPoint(track, t)): void {
  const nc = out.length;
  const dt = Math.max(0, t - track.times[k]!);
  for (let i = 0; i < nc; i++) out[i] = track.values[k * nc + i]! + track.slopes[k * nc + i]! * dt;
}

/** Subject s's covariate track, when its covariates change (more than one point, or a slope). */
export function subjectCovariateTrack(data: EngineData, s: number): CovariateTrack | undefined {
  const C = data.nCovariates;
  const base = s * covariatePointStride(C, data.maxCovariatePoints);
  const count = data.covariatePoints[base]!;
  const times = new Float64Array(count);
  const values = new Float64Array(count * C);
  const slopes = new Float64Array(count * C);
  for (let k = 0; k < count; k++) {
    const at = base + 1 + k * (1 + 2 * C);
    times[k] = data.covariatePoints[at]!;
    values.set(data.covariatePoints.subarray(at + 1, at + 1 + C), k * C);
    slopes.set(data.covariatePoints.subarray(at + 1 + C, at + 1 + 2 * C), k * C);
  }
  if (count <= 1 && slopes.every((v) => v === 0)) return undefined;
  return { count, times, values, slopes };
}

/** Whether covariates change over these points (more than one point, or a slope): the subject needs a track. */
export function changesOverTime(points: readonly CovariatePoint[]): boolean {
  return points.length > 1 || points.some((q) => q.slopes.some((v) => v !== 0));
}

/** The track of a subject's change points (what packSubjects packs and subjectCovariateTrack reads back). */
export function trackOf(points: readonly CovariatePoint[]): CovariateTrack {
  return {
    count: points.length, times: points.map((q) => q.time), values: points.flatMap((q) => q.values), slopes: points.flatMap((q) => q.slopes),
  };
}
