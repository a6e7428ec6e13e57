/**
 * The individual fits' curves: PRED (η = 0) and IPRED (η = EBE) of a few subjects on a fine time grid, on the
 * output's scale (as predictions.csv). Each shown subject becomes a subject of a new engine dataset with its own
 * doses and covariates and, per output it is observed on, `points` evenly spaced times over its observation
 * period plus its observation and dose times (so each curve passes through the IPRED at the observations and
 * shows the jump at a bolus).
 */
import { createCpuEngine } from '../../engine/cpu/cpu-engine.js';
import { doseField, doseKindField, obsField, packSubjects, subjectCounts, type EngineSubject } from '../../engine/engine-data.js';
import type { SimulateResult } from '../../engine/engine.js';
import { TrajectoryStatus } from '../../engine/trajectory-status.js';
import type { FitContext } from '../../infer/fit-context.js';
import { PlanarFlow } from '../../infer/flow.js';
import type { PosteriorMoments } from '../../infer/posterior.js';
import { unpack } from '../../infer/population.js';
import { quantileSorted } from '../../evaluate/stats.js';
import { Random } from '../../nn/random.js';

export interface SubjectCurve {
  readonly subject: number;
  readonly output: number;
  readonly time: Float64Array;
  readonly pred: Float64Array;
  readonly ipred: Float64Array;
  /**
   * The 90 % prediction interval of an observation given the subject's data: the 5 % and 95 % quantiles of
   * y = f(η) + sd(f)·ε over BAND_DRAWS draws of η from the subject's posterior N(EBE, Σ_i).
   */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export const BAND_DRAWS = 200;

/** Subject i's doses and observation (time, output) pairs, read from the packed engine data. */
function subjectDesign(ctx: FitContext, i: number) {
  const { data } = ctx;
  const { observations: nObs, doses: nDoses } = subjectCounts(data, i);
  const obs = Array.from({ length: nObs }, (_, j) => ({ time: obsField(data, i, j, 'time'), output: obsField(data, i, j, 'output') }));
  const doses = Array.from({ length: nDoses }, (_, k) => {
    const field = (name: 'time' | 'amount' | 'input' | 'rate') => doseField(data, i, k, name);
    return { time: field('time'), amount: field('amount'), input: field('input'), rate: field('rate'), kind: doseKindField(data, i, k, 'kind'), interval: doseKindField(data, i, k, 'interval') };
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
 * η = μ + L z, with L the posterior's Cholesky factor, or its marginal sds where it has none; a flow posterior is
 * drawn as itself, η = μ_base + L_base f(z) (its mean and moment factor would make a skewed q symmetric).
 */
function drawEta(q: PosteriorMoments, random: Random, out: Float64Array, flow: PlanarFlow | undefined): void {
  const n = q.mu.length;
  const z = Float64Array.from({ length: n }, () => random.normal());
  if (flow) flow.forward(z, 0, z, 0);
  const [mu, chol] = flow ? [q.flow!.mu, q.flow!.chol] : [q.mu, q.chol];
  for (let a = 0; a < n; a++) {
    let s = mu[a]!;
    if (chol) for (let b = 0; b <= a; b++) s += chol[a * n + b]! * z[b]!;
    else s += q.sd[a]! * z[a]!;
    out[a] = s;
  }
}

interface EngineRows {
  readonly subject: Int32Array;
  readonly p: Float64Array;
}

/**
 * The engine rows of the shown subjects (subject s of the packed data is shown[s]): PRED (η = 0) and IPRED
 * (η = EBE) of each, two rows per subject; and per subject its BAND_DRAWS posterior draws.
 */
function curveRows(ctx: FitContext, phi: Float64Array, posterior: readonly PosteriorMoments[], shown: readonly number[], random: Random): { phiRows: EngineRows; drawRows: EngineRows[] } {
  const { np, neta } = ctx.model.dims;
  const eta = new Float64Array(neta);
  const p = new Float64Array(np);
  const phiRows = { subject: new Int32Array(2 * shown.length), p: new Float64Array(2 * shown.length * np) };
  const drawRows = shown.map((i, s) => {
    for (let r = 0; r < 2; r++) {
      if (r === 0) eta.fill(0);
      else eta.set(posterior[i]!.mu);
      ctx.model.ts.individual(phi, eta, ctx.covariates[i]!, p);
      phiRows.subject[2 * s + r] = s;
      phiRows.p.set(p, (2 * s + r) * np);
    }
    const rows = { subject: new Int32Array(BAND_DRAWS).fill(s), p: new Float64Array(BAND_DRAWS * np) };
    const q = posterior[i]!;
    const flow = q.flow ? new PlanarFlow(neta).load(q.flow.layers, 0) : undefined;
    for (let d = 0; d < BAND_DRAWS; d++) {
      drawEta(q, random, eta, flow);
      ctx.model.ts.individual(phi, eta, ctx.covariates[i]!, p);
      rows.p.set(p, d * np);
    }
    return rows;
  });
  return { phiRows, drawRows };
}

/**
 * The band's 5 % and 95 % bounds at each of n grid times (slot(c): the time's slot in the engine rows) from the
 * BAND_DRAWS rows of `sim`: the quantiles of f_d + sd(f_d)·ε_d over the draws that succeeded, NaN where fewer
 * than half did.
 */
function bandBounds(sim: SimulateResult, M: number, slot: (c: number) => number, n: number, eps: Float64Array, errorSd: (f: number, out: number[]) => void) {
  const lower = new Float64Array(n);
  const upper = new Float64Array(n);
  const values = new Float64Array(BAND_DRAWS);
  const sd = [0];
  for (let c = 0; c < n; c++) {
    let count = 0;
    for (let d = 0; d < BAND_DRAWS; d++) {
      if (sim.status[d] !== TrajectoryStatus.Ok) continue;
      const f = sim.predictions[d * M + slot(c)]!;
      errorSd(f, sd);
      const y = f + sd[0]! * eps[d]!;
      if (Number.isFinite(y)) values[count++] = y;
    }
    const sorted = values.subarray(0, count).sort();
    lower[c] = count >= BAND_DRAWS / 2 ? quantileSorted(sorted, 0.05) : NaN;
    upper[c] = count >= BAND_DRAWS / 2 ? quantileSorted(sorted, 0.95) : NaN;
  }
  return { lower, upper };
}

/**
 * `posterior[i]`: subject i's EBE (μ, where IPRED is drawn) and the spread of its posterior (the band's draws).
 * Failed trajectories give NaN curves (drawn as gaps); a band leaves failed draws out.
 */
export async function fineGridCurves(ctx: FitContext, population: Float64Array, posterior: readonly PosteriorMoments[], shown: readonly number[], points = 120, seed = 1): Promise<SubjectCurve[]> {
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
  const random = new Random(seed);
  const { phiRows, drawRows } = curveRows(ctx, phi, posterior, shown, random);
  const options = { maxSteps: 1_000_000, method: ctx.model.method };
  // PRED and IPRED at 1e-8 (the curves are compared with closed forms); the band's draws at 1e-6, as the
  // evaluation's simulations: a 1e-6 relative error is invisible in a 90 % band of residual error, and
  // Dormand–Prince takes about 2.5 times fewer steps. The draws go one subject per call, yielding between calls,
  // so that the evaluation's worker simulations, when they run meanwhile, are dispatched without waiting.
  const accurate = createCpuEngine(ctx.model, data, { ...options, rtol: 1e-8, atol: 1e-10 });
  const coarse = createCpuEngine(ctx.model, data, { ...options, rtol: 1e-6, atol: 1e-9 });
  let curvesAt: SimulateResult;
  const band: SimulateResult[] = [];
  try {
    curvesAt = await accurate.simulate(phiRows);
    for (const rows of drawRows) {
      band.push(await coarse.simulate(rows));
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    accurate.dispose();
    coarse.dispose();
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
      const at = (sim: SimulateResult, row: number) => Float64Array.from({ length: n }, (_, c) => (sim.status[row] === TrajectoryStatus.Ok ? sim.predictions[row * M + slot[j + c]!]! : NaN));
      // One ε per draw for the whole curve: each time's values keep their distribution (f + sd·ε, ε ~ N(0, 1)
      // independent across draws) and the band's edges come out smooth instead of jittering point to point.
      const eps = Float64Array.from({ length: BAND_DRAWS }, () => random.normal());
      const { lower, upper } = bandBounds(band[s]!, M, (c) => slot[j + c]!, n, eps, (f, sd) => ctx.model.ts.errorSd(x.output, f, error, sd));
      curves.push({ subject: i, output: x.output, time: Float64Array.from(x.times), pred: at(curvesAt, 2 * s), ipred: at(curvesAt, 2 * s + 1), lower, upper });
      j += n;
    });
  });
  return curves;
}
