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
import { formatNumber } from '../data/format-number.js';
import type { FitContext } from './fit-context.js';
import { unpack } from './population.js';
import { obsField, subjectCounts } from '../engine/engine-data.js';

export interface PreflightProblem {
  /** Subject ID as written in the file. */
  readonly subject: string;
  /** File row (header = row 1) of the observation at fault; 0 when the whole trajectory failed before any. */
  readonly row: number;
  readonly message: string;
  /** For a problem not tied to a row: the message without the subject, so that many subjects can share one line. */
  readonly reason?: string;
  /**
   * True when a data value is at fault (a time, dose amount or covariate far outside the other subjects', a DV
   * whose residual overflows): the fit is refused. Otherwise (the model fails at the initial estimates) a warning: the fit may still move away from them.
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
  // Dose amounts: the 90th percentile of |AMT| over every dose.
  const amounts: number[] = [];
  for (let i = 0; i < S; i++) for (let j = 0; j < ds.doseCount[i]!; j++) if (Number.isFinite(ds.doseAmount[i * D + j]!)) amounts.push(Math.abs(ds.doseAmount[i * D + j]!));
  amounts.sort((a, b) => a - b);
  const typicalAmount = amounts.length > 0 ? amounts[Math.floor(0.9 * (amounts.length - 1))]! : 0;
  const K = ds.maxCovariateChanges;
  const C = ds.covariateCount;
  const covariate = (i: number, c: number): number => ds.covariateValues[i * K * C + c]!;
  const firstRow = (i: number): number => {
    const rows = [ds.observationCount[i]! > 0 ? ds.obsRow[i * O]! : Infinity, ds.doseCount[i]! > 0 ? ds.doseRow[i * D]! : Infinity];
    const r = Math.min(...rows);
    return Number.isFinite(r) ? r : 0;
  };
  /** A value of subject i far outside everyone else's: a time, a dose amount, a covariate (0 where no other is ≤ 0). */
  const suspect = (i: number): { row: number; text: string } | undefined => {
    const far = farTime(i);
    if (far) return { row: far.row, text: `TIME = ${formatNumber(far.time)} is far beyond the other subjects' times (at most ${formatNumber(typicalEnd)})` };
    for (let j = 0; j < ds.doseCount[i]!; j++) {
      const amt = ds.doseAmount[i * D + j]!;
      if (Math.abs(amt) > 1000 * Math.max(typicalAmount, 1)) return { row: ds.doseRow[i * D + j]!, text: `AMT = ${formatNumber(amt)} is far beyond the other doses (at most ${formatNumber(typicalAmount)})` };
    }
    for (let c = 0; c < C; c++) {
      const v = covariate(i, c);
      let lo = Infinity;
      let hi = -Infinity;
      for (let k = 0; k < S; k++) {
        if (k === i || !Number.isFinite(covariate(k, c))) continue;
        lo = Math.min(lo, covariate(k, c));
        hi = Math.max(hi, covariate(k, c));
      }
      if (lo > hi) continue;
      const outside = (v === 0 && lo > 0) || Math.abs(v) > 1000 * Math.max(Math.abs(lo), Math.abs(hi), 1e-300);
      if (outside) return { row: firstRow(i), text: `${ds.covariateNames[c]} = ${formatNumber(v)}, where the other subjects have ${formatNumber(lo)} to ${formatNumber(hi)}` };
    }
    return undefined;
  };
  for (let i = 0; i < S; i++) {
    const id = ds.ids[i]!;
    const n = subjectCounts(ctx.data, i).observations;
    const mapped = n === ds.observationCount[i];
    const rowOf = (j: number): number => (mapped ? ds.obsRow[i * O + j]! : 0);
    const at = (j: number): string => {
      const row = rowOf(j);
      return `${row > 0 ? `row ${row}, ` : ''}TIME = ${formatNumber(obsField(ctx.data, i, j, 'time'))}`;
    };
    let found: PreflightProblem | undefined;
    const status = sim.status[i] as TrajectoryStatus;
    if (status !== TrajectoryStatus.Ok) {
      // A failed trajectory has no predictions at all: name the value far outside everyone else's, if there is one.
      const bad = suspect(i);
      const why = statusMessage(status, settings.maxSteps);
      found = bad
        ? { subject: id, row: bad.row, fatal: true, message: `ID ${id} (row ${bad.row}): ${bad.text}; the trajectory at the initial estimates failed: ${why}` }
        : { subject: id, row: 0, fatal: false, message: `ID ${id}: the trajectory at the initial estimates failed: ${why}`, reason: `the trajectory at the initial estimates failed: ${why}` };
    }
    for (let j = 0; j < n && !found; j++) {
      const pred = sim.predictions[i * M + j]!;
      if (!Number.isFinite(pred)) {
        const bad = suspect(i);
        found = bad
          ? { subject: id, row: bad.row, fatal: true, message: `ID ${id} (row ${bad.row}): ${bad.text}; the prediction at ${at(j)} at the initial estimates is ${pred}` }
          : { subject: id, row: rowOf(j), fatal: false, message: `ID ${id} (${at(j)}): the prediction at the initial estimates is ${pred}` };
        break;
      }
      const dv = obsField(ctx.data, i, j, 'value');
      ctx.model.ts.errorSd(obsField(ctx.data, i, j, 'output'), pred, error, sd);
      const z = (dv - pred) / sd[0]!;
      if (!Number.isFinite(z * z)) {
        found = { subject: id, row: rowOf(j), fatal: true, message: `ID ${id} (${at(j)}): DV = ${formatNumber(dv)} against the prediction ${formatNumber(pred)} (sd ${formatNumber(sd[0]!)}) makes the likelihood non-finite` };
      }
    }
    if (found) problems.push(found);
  }
  return problems;
}

/**
 * The lines to print: problems that share a reason (a stiff model fails the same way for every subject) are one
 * line naming the subjects (the first 10, then a count); the others one line each, the first `max` of them.
 */
export function preflightLines(problems: readonly PreflightProblem[], max = 10): { line: string; row: number; fatal: boolean }[] {
  const byReason = new Map<string, PreflightProblem[]>();
  for (const p of problems) if (p.reason !== undefined) byReason.set(p.reason, [...(byReason.get(p.reason) ?? []), p]);
  const out: { line: string; row: number; fatal: boolean }[] = [];
  const done = new Set<string>();
  for (const p of problems) {
    const group = p.reason !== undefined ? byReason.get(p.reason)! : undefined;
    if (group && group.length > 1) {
      if (done.has(p.reason!)) continue;
      done.add(p.reason!);
      const ids = group.slice(0, 10).map((g) => g.subject).join(', ');
      out.push({ line: `IDs ${ids}${group.length > 10 ? ` and ${group.length - 10} more` : ''} (${group.length} subjects): ${p.reason}`, row: 0, fatal: p.fatal });
    } else {
      out.push({ line: p.message, row: p.row, fatal: p.fatal });
    }
  }
  if (out.length > max) return [...out.slice(0, max), { line: `… and ${out.length - max} more`, row: 0, fatal: false }];
  return out;
}
