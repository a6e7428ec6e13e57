/**
 * The data of all subjects, batched for an engine that fits many subjects at once (the GPU kernels and the CPU
 * back end alike): fixed-size, padded, row-major typed arrays, so subject s's entries are one contiguous slice
 * and every subject has the same stride. Values are Float64Array (exact for the whole-number indices and marks
 * too, and what the CPU engine computes in; a GPU upload converts to f32 once). Counts and source rows, which
 * only address the arrays or point back into the file, are Int32Array.
 *
 * Sizes: S subjects, O = maxObservations, D = maxDoses, K = maxCovariateChanges, C covariates (each at least 1
 * so that no array is empty, except that C may be 0).
 *
 *   per subject        S       ids, observationCount, doseCount, covariateChangeCount
 *   per observation    S·O     obs* — entry (s, j) at s·O + j, j in time order
 *   per dose event     S·D     dose* — entry (s, j) at s·D + j, ADDL repeats and resets included, in time order
 *   per change point   S·K     covariateTime — entry (s, k) at s·K + k
 *   covariates         ×C      obsCovariates (S·O·C), doseCovariates (S·D·C), covariateValues (S·K·C):
 *                              entry (s, j, c) at (s·O + j)·C + c, and likewise
 *
 * Padding (j ≥ the subject's count): mask 0; times and covariates repeat the subject's last real entry (its
 * first row's time and covariates when it has none), so an integrator that steps to every time has no extra
 * work and a model evaluated on padding sees valid covariates (no log(0) turning masked terms into NaN); values
 * and amounts 0; output and input indices -1; censoring 0; limit NaN; source row 0.
 *
 * Covariates are step functions of time (carried forward from the rows that give them), or piecewise linear for
 * one declared `interpolate(linear)`: `obsCovariates` and `doseCovariates` are the rows' (carried-forward) values
 * at each event, `covariateTime`/`covariateValues`/`covariateSlope` the subject's change points — the first row's
 * time and values, then each time a value changes or a linear covariate has a node, with the slope from there —
 * for engines that integrate across changes and must stop at them (runtime/data/covariate-points.ts).
 */
export interface Dataset {
  readonly subjectCount: number;
  /** Subject IDs as written in the file. */
  readonly ids: readonly string[];
  readonly covariateNames: readonly string[];
  /** Output and input names, in the model's order: what obsOutput and doseInput index. */
  readonly outputNames: readonly string[];
  readonly inputNames: readonly string[];

  readonly maxObservations: number;
  readonly maxDoses: number;
  readonly maxCovariateChanges: number;
  readonly covariateCount: number;

  readonly observationCount: Int32Array;
  readonly obsTime: Float64Array;
  readonly obsValue: Float64Array;
  /** Index of the model output (matched by DVID), -1 in padding. */
  readonly obsOutput: Float64Array;
  /** 1 for a real observation, 0 for padding. */
  readonly obsMask: Float64Array;
  /** CENS: 0 observed, 1 left-censored (the value is an upper bound), -1 right-censored (a lower bound). */
  readonly obsCensoring: Float64Array;
  /** LIMIT: the other bound of a censored value's interval; NaN when the data gives none. */
  readonly obsLimit: Float64Array;
  /** File row of each observation (header = row 1), for messages; 0 in padding. */
  readonly obsRow: Int32Array;
  /**
   * 1 where the observation row follows a dose or reset row of its subject at the same time (NONMEM's record
   * order: it sees the state after those events), 0 where it comes first at its time (the state before them).
   */
  readonly obsAfterEvent: Uint8Array;
  readonly obsCovariates: Float64Array;

  readonly doseCount: Int32Array;
  readonly doseTime: Float64Array;
  readonly doseAmount: Float64Array;
  /** Index of the model input (matched by CMT), -1 in padding. */
  readonly doseInput: Float64Array;
  /**
   * RATE as given: 0 no rate in the data (a bolus, or the input's own duration/rate), > 0 zero-order input at this
   * rate (duration amount/rate), -1 the model defines the rate, -2 the model defines the duration.
   */
  readonly doseRate: Float64Array;
  /** `DoseKind` (stdlib/dose-events.ts): 0 dose, 1 steady state (SS=1), 2 steady state added (SS=2), 3 reset (EVID 3, and before the dose of EVID 4; amount 0, input -1). */
  readonly doseKind: Float64Array;
  /** II of a steady-state event (the interval of the doses it repeats), 0 otherwise. */
  readonly doseInterval: Float64Array;
  readonly doseMask: Float64Array;
  /** File row of the dose row the event comes from (an ADDL repeat points at its row). */
  readonly doseRow: Int32Array;
  readonly doseCovariates: Float64Array;

  readonly covariateChangeCount: Int32Array;
  readonly covariateTime: Float64Array;
  readonly covariateValues: Float64Array;
  /** S·K·C: each covariate's slope from its change point on (0 when carried forward; runtime/data/covariate-points.ts). */
  readonly covariateSlope: Float64Array;
}
