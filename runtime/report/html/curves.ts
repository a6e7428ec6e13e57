/**
 * The individual fits' curves: PRED (η = 0) and IPRED (η = EBE) of a few subjects on a fine time grid, on the
 * output's scale (as predictions.csv). Each shown subject becomes a subject of a new engine dataset with its own
 * doses and covariates and, per output it is observed on, `points` evenly spaced times over its observation
 * period plus its observation and dose times (so each curve passes through the IPRED at the observations and
 * shows the jump at a bolus).
 */
import { createCpuEngine } from '../../engine/cpu/cpu-engine.js';
import { packSubjects, type EngineSubject } from '../../engine/engine-data.js';
import { TrajectoryStatus } from '../../engine/trajectory-status.js';
import type { FitContext } from '../../infer/fit-context.js';
import { unpack } from '../../infer/population.js';

export interface SubjectCurve {
  readonly subject: number;
  readonly output: number;
  readonly time: Float64Array;
  readonly pred: Float64Array;
  readonly ipred: Float64Array;
  /** The 90 % interval of an observation at the EBE: IPRED ∓ z₀.₉₅ · sd(IPRED) (the residual error only). */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

const Z95 = 1.6448536269514722;

/** Subject i's doses and observation (time, output) pairs, read from the packed engine data. */
function subjectDesign(ctx: FitContext, i: number) {
  const { data } = ctx;
  const stride = 2 + data.nCovariates;
  const nObs = data.subjects[i * stride]!;
  const nDoses = data.subjects[i * stride + 1]!;
  const obs = Array.from({ length: nObs }, (_, j) => ({ time: data.obs[(i * data.maxObs + j) * 3]!, output: data.obs[(i * data.maxObs + j) * 3 + 2]! }));
  const doses = Array.from({ length: nDoses }, (_, k) => {
    const b = (i * data.maxDoses + k) * 4;
    const kind = (i * data.maxDoses + k) * 2;
    return { time: data.doses[b]!, amount: data.doses[b + 1]!, input: data.doses[b + 2]!, rate: data.doses[b + 3]!, kind: data.doseKinds[kind]!, interval: data.doseKinds[kind + 1]! };
  });
  return { obs, doses, covariates: Array.from(ctx.covariates[i]!) };
}

/** The grid of one subject and output: sorted, without repeats. */
function gridTimes(obsTimes: readonly number[], doseTimes: readonly number[], points: number): number[] {
  const lo = Math.min(0, ...obsTimes, ...doseTimes);
  const hi = Math.max(...obsTimes);
  const even = Array.from({ length: points }, (_, k) => lo + ((hi - lo) * k) / (points - 1));
  return [...new Set([...even, ...obsTimes, ...doseTimes.filter((t) => t <= hi)])].sort((a, b) => a - b);
}

/**
 * `ebe[i]`: subject i's η at which IPRED is drawn. Failed trajectories give NaN curves (drawn as gaps).
 */
export async function fineGridCurves(ctx: FitContext, population: Float64Array, ebe: readonly Float64Array[], shown: readonly number[], points = 120): Promise<SubjectCurve[]> {
  const { np, neta } = ctx.model.dims;
  const { phi, error } = unpack(ctx.layout, population);
  const pieces: { subject: number; output: number; times: number[] }[] = [];
  const subjects: EngineSubject[] = shown.map((i) => {
    const d = subjectDesign(ctx, i);
    const outputs = [...new Set(d.obs.map((o) => o.output))].sort((a, b) => a - b);
    const obsTimes: number[] = [];
    const obsOutputs: number[] = [];
    for (const output of outputs) {
      const times = gridTimes(d.obs.filter((o) => o.output === output).map((o) => o.time), d.doses.map((x) => x.time), points);
      pieces.push({ subject: i, output, times });
      obsTimes.push(...times);
      obsOutputs.push(...times.map(() => output));
    }
    return { obsTimes, obsValues: obsTimes.map(() => 0), obsOutputs, doses: d.doses, covariates: d.covariates };
  });
  if (subjects.length === 0) return [];
  const data = packSubjects(subjects, ctx.data.nCovariates);
  const rows = { subject: new Int32Array(2 * shown.length), p: new Float64Array(2 * shown.length * np) };
  const p = new Float64Array(np);
  shown.forEach((i, s) => {
    rows.subject[2 * s] = s;
    rows.subject[2 * s + 1] = s;
    ctx.model.ts.individual(phi, new Float64Array(neta), ctx.covariates[i]!, p);
    rows.p.set(p, 2 * s * np);
    ctx.model.ts.individual(phi, ebe[i]!, ctx.covariates[i]!, p);
    rows.p.set(p, (2 * s + 1) * np);
  });
  const engine = createCpuEngine(ctx.model, data, { rtol: 1e-8, atol: 1e-10, maxSteps: 1_000_000, method: ctx.model.method });
  let sim;
  try {
    sim = await engine.simulate(rows);
  } finally {
    engine.dispose();
  }
  const M = data.maxObs;
  // packSubjects orders each subject's observations by time (stable): find each piece's slots in that order.
  const curves: SubjectCurve[] = [];
  shown.forEach((i, s) => {
    const mine = pieces.filter((x) => x.subject === i);
    const flat = mine.flatMap((x, k) => x.times.map((t) => ({ t, k })));
    const order = flat.map((_, j) => j).sort((a, b) => flat[a]!.t - flat[b]!.t || a - b);
    const slot = new Int32Array(flat.length);
    order.forEach((j, r) => (slot[j] = r));
    let j = 0;
    mine.forEach((x) => {
      const n = x.times.length;
      const at = (row: number) => Float64Array.from({ length: n }, (_, c) => (sim.status[row] === TrajectoryStatus.Ok ? sim.predictions[row * M + slot[j + c]!]! : NaN));
      const ipred = at(2 * s + 1);
      const sd = [0];
      const bound = (sign: number) => ipred.map((f) => (ctx.model.ts.errorSd(x.output, f, error, sd), f + sign * Z95 * sd[0]!));
      curves.push({ subject: i, output: x.output, time: Float64Array.from(x.times), pred: at(2 * s), ipred, lower: bound(-1), upper: bound(1) });
      j += n;
    });
  });
  return curves;
}
