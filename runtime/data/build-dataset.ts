/**
 * Row table → `Dataset` (the layout is documented on the type). Two passes over the subjects: one to size the
 * padded arrays (the largest subject decides the stride), one to fill them. Only called for data without errors.
 */
import { DoseKind, givesDose } from '../../stdlib/dose-events.js';
import { doseEventCount, DoseEvents } from './addl.js';
import { covariatePoints } from './covariate-points.js';
import type { Dataset } from './dataset.js';
import type { DataRequirements } from './requirements.js';
import { RowKind, type RowTable } from './row-table.js';

export function buildDataset(table: RowTable, requirements: DataRequirements): Dataset {
  const S = table.subjectCount;
  const C = table.covariates.length;
  const covariates = table.covariates;
  const linear = requirements.covariates.map((c) => c.interpolation === 'linear');
  const observationCount = new Int32Array(S);
  const doseCount = new Int32Array(S);
  const covariateChangeCount = new Int32Array(S);
  let O = 1;
  let D = 1;
  let K = 1;
  for (let s = 0; s < S; s++) {
    const start = table.subjectStart[s]!;
    const end = table.subjectEnd(s);
    let n = 0;
    for (let r = start; r < end; r++) if (table.kind[r] === RowKind.observation) n++;
    observationCount[s] = n;
    doseCount[s] = doseEventCount(table, start, end);
    covariateChangeCount[s] = covariatePoints(table, start, end, linear);
    O = Math.max(O, n);
    D = Math.max(D, doseCount[s]!);
    K = Math.max(K, covariateChangeCount[s]!);
  }

  const obsTime = new Float64Array(S * O);
  const obsValue = new Float64Array(S * O);
  const obsOutput = new Float64Array(S * O).fill(-1);
  const obsMask = new Float64Array(S * O);
  const obsCensoring = new Float64Array(S * O);
  const obsLimit = new Float64Array(S * O).fill(NaN);
  const obsRow = new Int32Array(S * O);
  const obsAfterEvent = new Uint8Array(S * O);
  const obsCovariates = new Float64Array(S * O * C);
  const doseTime = new Float64Array(S * D);
  const doseAmount = new Float64Array(S * D);
  const doseInput = new Float64Array(S * D).fill(-1);
  const doseRate = new Float64Array(S * D);
  const doseMask = new Float64Array(S * D);
  const doseRow = new Int32Array(S * D);
  const doseKind = new Float64Array(S * D);
  const doseInterval = new Float64Array(S * D);
  const doseCovariates = new Float64Array(S * D * C);
  const covariateTime = new Float64Array(S * K);
  const covariateValues = new Float64Array(S * K * C);
  const covariateSlope = new Float64Array(S * K * C);

  const copyCovariates = (target: Float64Array, at: number, row: number): void => {
    for (let c = 0; c < C; c++) target[at + c] = covariates[c]![row]!;
  };
  const events = new DoseEvents();

  for (let s = 0; s < S; s++) {
    const start = table.subjectStart[s]!;
    const end = table.subjectEnd(s);

    // Observations, then padding that repeats the last one (or the first row).
    let j = 0;
    let lastRow = start;
    // Whether a dose or reset row came earlier among the rows at the current time (rows in data order).
    let runTime = NaN;
    let eventInRun = false;
    for (let r = start; r < end; r++) {
      if (table.time[r] !== runTime) {
        runTime = table.time[r]!;
        eventInRun = false;
      }
      if (table.kind[r] === RowKind.dose || table.kind[r] === RowKind.reset) eventInRun = true;
      if (table.kind[r] !== RowKind.observation) continue;
      const at = s * O + j;
      obsTime[at] = table.time[r]!;
      obsValue[at] = table.dv[r]!;
      obsOutput[at] = table.output[r]!;
      obsMask[at] = 1;
      obsCensoring[at] = table.cens[r]!;
      obsLimit[at] = table.limit[r]!;
      obsRow[at] = table.row[r]!;
      obsAfterEvent[at] = eventInRun ? 1 : 0;
      copyCovariates(obsCovariates, at * C, r);
      lastRow = r;
      j++;
    }
    for (; j < O; j++) {
      const at = s * O + j;
      obsTime[at] = table.time[lastRow]!;
      copyCovariates(obsCovariates, at * C, lastRow);
    }

    // Dose events (ADDL expanded, time-ordered), then padding.
    events.collect(table, start, end);
    let padRow = start;
    let padTime = table.time[start]!;
    for (j = 0; j < events.length; j++) {
      const at = s * D + j;
      const source = events.source[j]!;
      const kind = events.kind[j]!;
      const dose = givesDose(kind);
      doseTime[at] = events.time[j]!;
      doseAmount[at] = dose ? table.amt[source]! : 0;
      doseInput[at] = dose ? table.input[source]! : -1;
      doseRate[at] = dose ? table.rate[source]! : 0;
      doseKind[at] = kind;
      doseInterval[at] = kind === DoseKind.steadyState || kind === DoseKind.steadyStateAdded ? table.ii[source]! : 0;
      doseMask[at] = 1;
      doseRow[at] = table.row[source]!;
      copyCovariates(doseCovariates, at * C, events.covariateRow[j]!);
      padRow = events.covariateRow[j]!;
      padTime = events.time[j]!;
    }
    for (; j < D; j++) {
      const at = s * D + j;
      doseTime[at] = padTime;
      copyCovariates(doseCovariates, at * C, padRow);
    }

    // Covariate change points, then padding (the last point again, with slope 0).
    const k = covariatePoints(table, start, end, linear, (point, time, values, slopes) => {
      const at = s * K + point;
      covariateTime[at] = time;
      covariateValues.set(values, at * C);
      covariateSlope.set(slopes, at * C);
    });
    for (let p = k; p < K; p++) {
      const at = s * K + p;
      covariateTime[at] = covariateTime[at - 1]!;
      for (let c = 0; c < C; c++) covariateValues[at * C + c] = covariateValues[(at - 1) * C + c]! + covariateSlope[(at - 1) * C + c]! * (covariateTime[at]! - covariateTime[at - 1]!);
    }
  }

  return {
    subjectCount: S,
    ids: [...table.ids],
    covariateNames: requirements.covariates.map((c) => c.name),
    outputNames: requirements.outputs.map((o) => o.name),
    inputNames: requirements.inputs.map((i) => i.name),
    maxObservations: O, maxDoses: D, maxCovariateChanges: K, covariateCount: C,
    observationCount, obsTime, obsValue, obsOutput, obsMask, obsCensoring, obsLimit, obsRow, obsAfterEvent, obsCovariates,
    doseCount, doseTime, doseAmount, doseInput, doseRate, doseKind, doseInterval, doseMask, doseRow, doseCovariates,
    covariateChangeCount, covariateTime, covariateValues, covariateSlope,
  };
}
