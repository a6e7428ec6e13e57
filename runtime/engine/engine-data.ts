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
  /** Covariate values in the model's order (constant within the subject). */
  readonly covariates: readonly number[];
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
  });
  return { nSubjects: subjects.length, nCovariates, maxObs, maxDoses, obs, obsCensoring, obsLimit, doses, doseKinds, subjects: info };
}
