/**
 * Before training: every subject's population prediction (η = 0) at the initial estimates, on the f64 CPU back
 * end with the fit's solver settings. A subject whose trajectory fails, whose prediction is NaN or infinite, or
 * whose residual overflows (DV = 1e308) would make every sample of it fail, and the ELBO NaN at the first epoch
 * with no word of why: named up front — the subject, the file row and the value — and refused where a data value
 * is at fault.
 * (Absurd values — TIME = 1e308, AMT = 1e308, WT = 0 under a division — are what usually gets here.)
 */
import { createCpuEngine } from '../engine/cpu/cpu-engine.js';
import type { SolverSettings } from '../engine/engine.js';
import { statusMessage, TrajectoryStatus } from '../engine/trajectory-status.js';
import { formatNumber } from '../simulate/write-csv.js';
import type { FitContext } from './fit-context.js';
import { unpack } from './population.js';

export interface PreflightProblem {
  /** Subject ID as written in the file. */
  readonly subject: string;
  /** File row (header = row 1) of the observation at fault; 0 when the whole trajectory failed before any. */
  readonly row: number;
  readonly message: string;
  /**
   * True when a data value is at fault (a time far beyond the others', a DV whose residual overflows): the fit is
   * refused. Otherwise (the model fails at the initial estimates) a warning: the fit may still move away from them.
   */
  readonly fatal: boolean;
}

/** The subjects whose η = 0 prediction at `population` is unusable (one problem per subject, file order). */
export async function initialPredictionProblems(ctx: FitContext, population: Float64Array, settings: SolverSettings): Promise<PreflightProblem[]> {
  const { np, neta } = ctx.model.dims;
  const S = ctx.data.nSubjects;
  const { phi, error } = unpack(ctx.layout, population);
  const rows = { subject: new Int32Array(S), p: new Float64Array(S * np) };
  const p = new Float64Array(np);
  const zero = new Float64Array(neta);
  for (let i = 0; i < S; i++) {
    ctx.model.ts.individual(phi, zero, ctx.covariates[i]!, p);
    rows.subject[i] = i;
    rows.p.set(p, i * np);
  }
  const engine = createCpuEngine(ctx.model, ctx.data, settings);
  let sim;
  try {
    sim = await engine.simulate(rows);
  } finally {
    engine.dispose();
  }
  const ds = ctx.dataset;
  const O = ds.maxObservations;
  const M = ctx.data.maxObs;
  const sd = [0];
  const problems: PreflightProblem[] = [];
  // Each subject's last event time (observations and doses), and the 90th percentile of them.
  const D = ds.maxDoses;
  const lastEvent = (i: number): { time: number; row: number } => {
    let best = { time: -Infinity, row: 0 };
    for (let j = 0; j < ds.observationCount[i]!; j++) if (Math.abs(ds.obsTime[i * O + j]!) > best.time) best = { time: Math.abs(ds.obsTime[i * O + j]!), row: ds.obsRow[i * O + j]! };
    for (let j = 0; j < ds.doseCount[i]!; j++) if (Math.abs(ds.doseTime[i * D + j]!) > best.time) best = { time: Math.abs(ds.doseTime[i * D + j]!), row: ds.doseRow[i * D + j]! };
    return best;
  };
  const ends = Array.from({ length: S }, (_, i) => lastEvent(i));
  const sorted = ends.map((e) => e.time).filter((t) => Number.isFinite(t)).sort((a, b) => a - b);
  const typicalEnd = sorted.length > 0 ? sorted[Math.floor(0.9 * (sorted.length - 1))]! : 0;
  const farTime = (i: number): { time: number; row: number } | undefined => {
    const e = ends[i]!;
    return e.row > 0 && e.time > 1000 * Math.max(typicalEnd, 1) ? e : undefined;
  };
  for (let i = 0; i < S; i++) {
    const id = ds.ids[i]!;
    const n = ctx.data.subjects[i * (2 + ctx.data.nCovariates)]!;
    const mapped = n === ds.observationCount[i];
    const rowOf = (j: number): number => (mapped ? ds.obsRow[i * O + j]! : 0);
    const at = (j: number): string => {
      const row = rowOf(j);
      return `${row > 0 ? `row ${row}, ` : ''}TIME = ${formatNumber(ctx.data.obs[(i * M + j) * 3]!)}`;
    };
    let found: PreflightProblem | undefined;
    const status = sim.status[i] as TrajectoryStatus;
    if (status !== TrajectoryStatus.Ok) {
      // A failed trajectory has no predictions at all: name the row whose time is far beyond everyone else's.
      const far = farTime(i);
      const why = statusMessage(status, settings.maxSteps);
      found = far
        ? { subject: id, row: far.row, fatal: true, message: `ID ${id} (row ${far.row}): TIME = ${formatNumber(far.time)} is far beyond the other subjects' times (at most ${formatNumber(typicalEnd)}); the trajectory at the initial estimates failed: ${why}` }
        : { subject: id, row: 0, fatal: false, message: `ID ${id}: the trajectory at the initial estimates failed: ${why}` };
    }
    for (let j = 0; j < n && !found; j++) {
      const pred = sim.predictions[i * M + j]!;
      if (!Number.isFinite(pred)) {
        found = { subject: id, row: rowOf(j), fatal: false, message: `ID ${id} (${at(j)}): the prediction at the initial estimates is ${pred}` };
        break;
      }
      const base = (i * M + j) * 3;
      const dv = ctx.data.obs[base + 1]!;
      ctx.model.ts.errorSd(ctx.data.obs[base + 2]!, pred, error, sd);
      const z = (dv - pred) / sd[0]!;
      if (!Number.isFinite(z * z)) {
        found = { subject: id, row: rowOf(j), fatal: true, message: `ID ${id} (${at(j)}): DV = ${formatNumber(dv)} against the prediction ${formatNumber(pred)} (sd ${formatNumber(sd[0]!)}) makes the likelihood non-finite` };
      }
    }
    if (found) problems.push(found);
  }
  return problems;
}
