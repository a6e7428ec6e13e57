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
  /** nSubjects × maxObs × 3: time, value, output (padding: time +∞ is never reached because counts bound reads). */
  readonly obs: Float64Array;
  /** nSubjects × maxObs: each observation's term code (`ObservationCode`; 0 observed, 0 in padding). */
  readonly obsCensoring: Float64Array;
  /** nSubjects × maxObs: the other bound of an interval (code 3), on the output's scale; NaN otherwise. */
  readonly obsLimit: Float64Array;
  /** nSubjects × maxDoses × 4: time, amount, input, rate. */
  readonly doses: Float64Array;
  /** nSubjects × maxDoses × 2: each dose event's `DoseKind` and a steady state's interval II (0 in padding). */
  readonly doseKinds: Float64Array;
  /** nSubjects × (2 + nCovariates): observation count, dose count, covariates. */
  readonly subjects: Float64Array;
  /** Covariate points per subject, at most (at least 1). */
  readonly maxCovariatePoints: number;
  /**
   * nSubjects × covariatePointStride(nCovariates, maxCovariatePoints): the number of points, then each point's
   * time, values (nCovariates) and slopes (nCovariates); padding repeats the last point with slope 0.
   */
  readonly covariatePoints: Float64Array;
}

/** Floats per subject in `EngineData.covariatePoints`. */
export function covariatePointStride(nCovariates: number, maxPoints: number): number {
  return 1 + maxPoints * (1 + 2 * nCovariates);
}

/** Packs subjects into the engine layout; doses and observations are sorted by time (stable: a reset stays before its EVID 4 dose). */
export function packSubjects(subjects: readonly EngineSubject[], nCovariates: number): EngineData {
  const maxObs = Math.max(1, ...subjects.map((s) => s.obsTimes.length));
  const maxDoses = Math.max(1, ...subjects.map((s) => s.doses.length));
  const obs = new Float64Array(subjects.length * maxObs * 3);
  const obsCensoring = new Float64Array(subjects.length * maxObs);
  const obsLimit = new Float64Array(subjects.length * maxObs).fill(NaN);
  const doses = new Float64Array(subjects.length * maxDoses * 4);
  const doseKinds = new Float64Array(subjects.length * maxDoses * 2);
  const info = new Float64Array(subjects.length * (2 + nCovariates));
  const maxCovariatePoints = Math.max(1, ...subjects.map((s) => s.covariatePoints?.length ?? 1));
  const pointStride = covariatePointStride(nCovariates, maxCovariatePoints);
  const covariatePoints = new Float64Array(subjects.length * pointStride);
  subjects.forEach((s, i) => {
    const order = s.obsTimes.map((_, j) => j).sort((a, b) => s.obsTimes[a]! - s.obsTimes[b]! || a - b);
    order.forEach((j, k) => {
      const base = (i * maxObs + k) * 3;
      obs[base] = s.obsTimes[j]!;
      obs[base + 1] = s.obsValues[j]!;
      obs[base + 2] = s.obsOutputs[j]!;
      obsCensoring[i * maxObs + k] = s.obsCensoring?.[j] ?? 0;
      obsLimit[i * maxObs + k] = s.obsLimits?.[j] ?? NaN;
    });
    [...s.doses].sort((a, b) => a.time - b.time).forEach((d, k) => {
      const base = (i * maxDoses + k) * 4;
      doses[base] = d.time;
      doses[base + 1] = d.amount;
      doses[base + 2] = d.input;
      doses[base + 3] = d.rate;
      doseKinds[(i * maxDoses + k) * 2] = d.kind ?? 0;
      doseKinds[(i * maxDoses + k) * 2 + 1] = d.interval ?? 0;
    });
    const sb = i * (2 + nCovariates);
    info[sb] = s.obsTimes.length;
    info[sb + 1] = s.doses.length;
    if (s.covariates.length !== nCovariates) throw new RangeError(`subject ${i}: ${s.covariates.length} covariates, the model has ${nCovariates}`);
    s.covariates.forEach((v, k) => (info[sb + 2 + k] = v));
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
