/**
 * Why trajectories failed, for a person: which subjects, what the solver said (runtime/engine/trajectory-status.ts),
 * after which observation time, and a flag of `nlmc fit` that addresses it. The engines report one status per row
 * and drop a failed row's predictions; here each failed row is solved again on growing prefixes of its subject's
 * observations (bisection on the count), which finds the last observation the trajectory reached and keeps the
 * predictions up to it. Used after training (a diverged fit names its subjects) and by the predictions written.
 */
import { createCpuEngine } from '../engine/cpu/cpu-engine.js';
import type { CpuRowModel } from '../engine/cpu/cpu-rows.js';
import { DATA_LAYOUT, obsField, subjectCounts, subjectStride, type EngineData } from '../engine/engine-data.js';
import type { Rows, SimulateResult, SolverMethod, SolverSettings } from '../engine/engine.js';
import { statusMessage, TrajectoryStatus } from '../engine/trajectory-status.js';
import { formatNumber } from '../data/format-number.js';

/** One failed row, traced: its status, and how far its trajectory got. */
export interface RowFailure {
  readonly row: number;
  readonly subject: number;
  readonly status: TrajectoryStatus;
  /** How many of the subject's observations (in time order) the trajectory reached. */
  readonly reached: number;
  /** The time of the last observation reached (absent when none was). */
  readonly after?: number;
  /** The time of the first observation not reached: the failure lies in (after, before]. */
  readonly before?: number;
  /** The solver settings it ran with (the status message names the step budget). */
  readonly settings: SolverSettings;
  /** The row's individual parameters (natural scale), to solve it again. */
  readonly p: Float64Array;
}

export interface TracedRows {
  /** `sim.predictions`, with each failed row's predictions up to its last reached observation filled in. */
  readonly predictions: Float64Array;
  readonly failures: readonly RowFailure[];
}

interface Search {
  readonly row: number;
  readonly subject: number;
  readonly status: TrajectoryStatus;
  /** Observation counts known to succeed (lo) and to fail (hi). */
  lo: number;
  hi: number;
}

/**
 * Traces the failed rows of `sim` (a simulation of `rows` on `data`) on the f64 CPU back end with `settings`.
 * Each round solves every pending row once at the middle of its interval; a subject's rows go to separate lanes,
 * since one copy of the data truncates each subject to one count. log₂(max observations) rounds in all.
 */
export async function traceFailures(model: CpuRowModel, data: EngineData, settings: SolverSettings, rows: Rows, sim: SimulateResult): Promise<TracedRows> {
  const M = data.maxObs;
  const np = model.dims.np;
  const stride = subjectStride(data.nCovariates);
  const count = (s: number): number => subjectCounts(data, s).observations;
  const predictions = Float64Array.from(sim.predictions);
  const searches: Search[] = [];
  sim.status.forEach((status, row) => {
    if (status === TrajectoryStatus.Ok) return;
    const subject = rows.subject[row]!;
    // A status the solver gives before integrating (Unsupported) does not depend on the observations.
    const hi = status === TrajectoryStatus.Unsupported ? 0 : count(subject);
    searches.push({ row, subject, status, lo: 0, hi });
  });
  for (let active = pending(searches); active.length > 0; active = pending(searches)) {
    const lanes: Search[][] = [];
    for (const s of active) {
      let k = 0;
      while (lanes[k]?.some((o) => o.subject === s.subject)) k++;
      (lanes[k] ??= []).push(s);
    }
    for (const lane of lanes) {
      const counts = Float64Array.from(data.subjects);
      const mids = lane.map((s) => (s.lo + s.hi) >> 1);
      lane.forEach((s, i) => (counts[s.subject * stride + DATA_LAYOUT.subject.observations] = mids[i]!));
      const p = new Float64Array(lane.length * np);
      lane.forEach((s, i) => p.set(rows.p.subarray(s.row * np, (s.row + 1) * np), i * np));
      const engine = createCpuEngine(model, { ...data, subjects: counts }, settings);
      const out = await engine.simulate({ subject: Int32Array.from(lane.map((s) => s.subject)), p });
      engine.dispose();
      lane.forEach((s, i) => {
        if (out.status[i] !== TrajectoryStatus.Ok) {
          s.hi = mids[i]!;
          return;
        }
        s.lo = mids[i]!;
        predictions.set(out.predictions.subarray(i * M, i * M + s.lo), s.row * M);
      });
    }
  }
  const time = (s: number, j: number): number => obsField(data, s, j, 'time');
  const failures = searches.map((s): RowFailure => ({
    row: s.row, subject: s.subject, status: s.status, reached: s.lo, settings, p: rows.p.slice(s.row * np, (s.row + 1) * np),
    ...(s.lo > 0 ? { after: time(s.subject, s.lo - 1) } : {}),
    ...(s.lo < count(s.subject) && s.status !== TrajectoryStatus.Unsupported ? { before: time(s.subject, s.lo) } : {}),
  }));
  return { predictions, failures };
}

function pending(searches: readonly Search[]): Search[] {
  // hi is a count known to fail and lo one known to succeed: lo + 1 = hi leaves nothing between them to try.
  return searches.filter((s) => s.hi - s.lo > 1);
}

/** What the fit was run with: the flags the advice may point to. */
export interface FailureSettings {
  /** Subject IDs as written in the data file, by subject index. */
  readonly ids: readonly string[];
  readonly method: SolverMethod;
  readonly backend: 'cpu' | 'webgpu';
  /** The epoch that failed (1: the first step from the initial values) and the learning rate it ran with. */
  readonly epoch: number;
  readonly learningRate: number;
}

/** How the failed trajectories fare with the other integration method: measured, so that the advice is not a guess. */
interface OtherMethod {
  readonly method: SolverMethod;
  readonly succeeded: number;
  readonly tried: number;
}

const stiffStatuses = new Set([TrajectoryStatus.StepTooSmall, TrajectoryStatus.MaxSteps]);

/** Solves the failures that stiffness could explain again with the other method (whole trajectories). */
async function otherMethod(model: CpuRowModel, data: EngineData, failures: readonly RowFailure[]): Promise<OtherMethod | undefined> {
  const tried = failures.filter((f) => stiffStatuses.has(f.status));
  if (tried.length === 0) return undefined;
  const method: SolverMethod = (tried[0]!.settings.method ?? 'explicit') === 'explicit' ? 'rosenbrock' : 'explicit';
  const np = model.dims.np;
  const p = new Float64Array(tried.length * np);
  tried.forEach((f, i) => p.set(f.p, i * np));
  const engine = createCpuEngine(model, data, { ...tried[0]!.settings, method });
  const out = await engine.simulate({ subject: Int32Array.from(tried.map((f) => f.subject)), p });
  engine.dispose();
  return { method, succeeded: out.status.filter((st) => st === TrajectoryStatus.Ok).length, tried: tried.length };
}

/** The cause alone: a status message's first clause (its advice is replaced by `advice`, which knows the flags used). */
function cause(f: RowFailure): string {
  return statusMessage(f.status, f.settings.maxSteps).split(': ')[0]!;
}

/** Where a trajectory stopped, in the data's times. */
function where(f: Omit<RowFailure, 'row'>): string {
  if (f.status === TrajectoryStatus.Unsupported) return '';
  if (f.after === undefined) return f.before === undefined ? '' : ` (before TIME ${formatNumber(f.before)}, its first observation)`;
  return f.before === undefined ? ` (after TIME ${formatNumber(f.after)})` : ` (between TIME ${formatNumber(f.after)} and ${formatNumber(f.before)})`;
}

/** The flags that address these failures, given the ones the fit ran with and how the other method fared. */
function advice(statuses: ReadonlySet<TrajectoryStatus>, s: FailureSettings, other: OtherMethod | undefined): string[] {
  const out: string[] = [];
  if (other) {
    const flag = `--method ${other.method}`;
    const solver = other.method === 'rosenbrock' ? 'the stiff solver' : 'the explicit method';
    out.push(other.succeeded > 0
      ? `${flag}: with ${solver} ${other.succeeded} of these ${other.tried} trajectories succeed`
      : `the trajectories fail with ${flag} (${solver}) too: the solution may become infinite in finite time at these parameters (a singularity), or they are far from where the model is defined; check the model and its initial values`);
  }
  if (statuses.has(TrajectoryStatus.NonFinite)) out.push('check the model where the failing state is computed (a division by zero, the log of a negative number, an overflow) and its initial values');
  if (statuses.has(TrajectoryStatus.Unsupported)) out.push('--backend cpu integrates any number of simultaneous infusions');
  if (s.epoch > 1) out.push(`training reached these parameters after ${s.epoch - 1} epochs from initial values that worked: a smaller learning rate keeps its steps shorter (--lr ${formatNumber(s.learningRate / 2)})`);
  return out;
}

export interface DivergenceReport {
  /** One line for fit.json's message: how many subjects fail, the first of them and why. */
  readonly summary: string;
  /** The explanation to print: the subjects by cause (the first 10 named, with where each stopped), then what to try. */
  readonly lines: readonly string[];
}

/**
 * Explains a diverged training step: solves `rows` (one per subject: the individual parameters at the estimates
 * written, η at q's mean, around which training drew) with training's solver `settings`, traces those that fail,
 * and tries the other integration method on those stiffness could explain.
 */
export async function divergenceReport(model: CpuRowModel, data: EngineData, rows: Rows, settings: SolverSettings, s: FailureSettings): Promise<DivergenceReport> {
  const engine = createCpuEngine(model, data, settings);
  const sim = await engine.simulate(rows);
  engine.dispose();
  const subjects = (await traceFailures(model, data, settings, rows, sim)).failures;
  if (subjects.length === 0) {
    const line = 'every subject\'s trajectory succeeds on the f64 CPU back end at the estimates written: the failures were in draws far in the tails of q' +
      (s.backend === 'webgpu' ? ' or in f32 on the GPU (--backend cpu integrates in f64)' : '') + `; a smaller learning rate (--lr ${formatNumber(s.learningRate / 2)}) or more samples (--samples) steady the steps`;
    return { summary: line, lines: [line] };
  }
  const first = subjects[0]!;
  const idOf = (f: RowFailure): string => s.ids[f.subject] ?? String(f.subject + 1);
  const summary = `${subjects.length} subject${subjects.length === 1 ? '' : 's'} fail at the estimates written (ID ${idOf(first)}${where(first)}: ${cause(first)}${subjects.length > 1 ? '; …' : ''})`;
  const lines = [`the trajectories of ${subjects.length} subject${subjects.length === 1 ? '' : 's'} fail at the estimates written (f64 CPU back end):`];
  // Subjects that fail the same way at the same place share a line (a model that blows up at t = 1/k does so for all).
  const groups = new Map<string, RowFailure[]>();
  for (const f of subjects) {
    const key = `${f.status}${where(f)}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  for (const group of groups.values()) {
    const place = where(group[0]!);
    const shared = group.length > 1 && group.every((f) => where(f) === place);
    const named = group.slice(0, 10).map((f) => `${idOf(f)}${shared ? '' : where(f)}`).join(', ');
    const more = group.length > 10 ? ` and ${group.length - 10} more` : '';
    const tail = group.length === 1 ? place : shared && place ? ` (${group.length} subjects, ${place.slice(2)}` : ` (${group.length} subjects)`;
    lines.push(`  ID${group.length === 1 ? '' : 's'} ${named}${more}${tail}: ${cause(group[0]!)}`);
  }
  for (const a of advice(new Set(subjects.map((f) => f.status)), s, await otherMethod(model, data, subjects))) lines.push(`  try: ${a}`);
  return { summary, lines };
}
