/**
 * One (subject, sample) trajectory on the f64 CPU back end: integrate from t = 0 through every stop (observation
 * times, doses, breakpoints), landing exactly on each, and record predictions and their gradients ∂h/∂p.
 *
 * At a time with both an observation and a dose the observation sees the pre-dose state (NONMEM's convention).
 * A bolus of amount A(p) at time τ(p) into state k changes the sensitivities by
 *   S⁺ = S⁻ + e_k ∂A/∂p + (f(τ, x⁻) − f(τ, x⁺)) ∂τ/∂p.
 * A zero-order input of rate R(p) into state k from τ₀(p) to τ₁(p) adds R to f_k and ∂R/∂p to dS_k/dt while it
 * runs; f jumps by ±R e_k at its ends, so S_k jumps by −R ∂τ₀/∂p at the start and +R ∂τ₁/∂p at the end.
 * At one time the order is: observations, infusions ending, doses (and infusions starting).
 * Stages that reach a stop are evaluated just before it (the left limit): at a breakpoint the RHS jumps, and the
 * step that ends there must not see the new branch, or its error estimate never passes.
 */
import { dormandPrince5, type ButcherTableau } from '../../../compiler/solvers/butcher-tableau.js';
import { ros34pw2, type RosenbrockTableau } from '../../../compiler/solvers/rosenbrock-tableau.js';
import type { SolverMethod } from '../engine.js';
import { TrajectoryStatus } from '../trajectory-status.js';
import type { CpuModel } from './cpu-model.js';
import type { Derivative } from './explicit-rk.js';
import { modelJacobian, RosenbrockStepper, sensitivityLayout, type Coupling } from './rosenbrock.js';
import { SensitivitySystem } from './sensitivity-system.js';
import { PiController } from './step-controller.js';
import { ExplicitStepper, type Stepper } from './stepper.js';

export interface Bolus {
  readonly time: number;
  readonly amount: number;
  readonly target: number;
  /** ∂amount/∂p over the sensitivity parameters, when the amount depends on them. */
  readonly dAmount?: ArrayLike<number>;
  /** ∂time/∂p, when the dose time depends on them (a lag time, a model-declared time). */
  readonly dTime?: ArrayLike<number>;
}

export interface Infusion {
  readonly start: number;
  readonly end: number;
  readonly target: number;
  readonly rate: number;
  readonly dRate?: ArrayLike<number>;
  readonly dStart?: ArrayLike<number>;
  readonly dEnd?: ArrayLike<number>;
}

export interface TrajectoryInput {
  readonly p: Float64Array;
  readonly c: Float64Array;
  /** Observation times, ascending. */
  readonly times: ArrayLike<number>;
  /** Output index of each observation. */
  readonly outputs: ArrayLike<number>;
  readonly doses: readonly Bolus[];
  /** Zero-order inputs; none when absent. */
  readonly infusions?: readonly Infusion[];
  /** Times where the RHS is discontinuous. */
  readonly breakpoints: readonly number[];
}

export interface SolverOptions {
  readonly rtol: number;
  readonly atol: number;
  readonly maxSteps: number;
  readonly sensitivities: boolean;
  /** 'explicit' (default): an explicit Runge–Kutta method, `tableau`. 'rosenbrock': the linearly implicit method for stiff models, `rosenbrockTableau`. */
  readonly method?: SolverMethod;
  /** The explicit method; Dormand–Prince 5(4) by default. */
  readonly tableau?: ButcherTableau;
  /** The Rosenbrock-W method; ROS34PW2 by default. */
  readonly rosenbrockTableau?: RosenbrockTableau;
  /** How the Rosenbrock matrix W couples the sensitivities to the state (rosenbrock.ts, `Coupling`). */
  readonly rosenbrockCoupling?: Coupling;
}

export type { SolverMethod };

export const defaultSolverOptions: SolverOptions = { rtol: 1e-8, atol: 1e-10, maxSteps: 100_000, sensitivities: true };

export interface TrajectoryResult {
  status: TrajectoryStatus;
  /** One prediction per observation (NaN after a failure). */
  readonly predictions: Float64Array;
  /** ∂prediction/∂p, nobs × ns row-major (zeros without sensitivities). */
  readonly gradients: Float64Array;
  acceptedSteps: number;
  rejectedSteps: number;
}

export function solveTrajectory(model: CpuModel, input: TrajectoryInput, options: SolverOptions = defaultSolverOptions): TrajectoryResult {
  const { nx, ns } = model.dims;
  const nobs = input.times.length;
  const result: TrajectoryResult = {
    status: TrajectoryStatus.Ok, predictions: new Float64Array(nobs).fill(NaN), gradients: new Float64Array(nobs * ns), acceptedSteps: 0, rejectedSteps: 0,
  };
  const system = new SensitivitySystem(model, options.sensitivities);
  const n = system.size;
  const fExact = system.derivative(input.p, input.c);
  let tLeft = Infinity;
  const f: Derivative = (tt, yy, out) => fExact(tt < tLeft ? tt : tLeft, yy, out);
  const stepper = createStepper(model, input, options, f, n);
  const controller = new PiController({ rtol: options.rtol, atol: options.atol, q: Math.min(stepper.order, stepper.embeddedOrder) + 1 });
  let y = new Float64Array(n);
  let yNew = new Float64Array(n);
  const err = new Float64Array(n);
  system.initialState(input.p, input.c, y);

  const infusions = input.infusions ?? [];
  const stops = [...new Set([...Array.from(input.times), ...input.doses.map((d) => d.time), ...infusions.flatMap((i) => [i.start, i.end]), ...input.breakpoints])]
    .filter((s) => s >= 0)
    .sort((a, b) => a - b);
  const started = new Array<boolean>(infusions.length).fill(false);
  const ended = new Array<boolean>(infusions.length).fill(false);
  let t = 0;
  let h = 0;
  let obs = 0;
  let dose = 0;
  const doses = [...input.doses].sort((a, b) => a.time - b.time);
  const fx = new Float64Array(nx);

  const record = (): void => {
    while (obs < nobs && input.times[obs]! <= t) {
      recordObservation(model, input, obs, t, y, result, options.sensitivities);
      obs++;
    }
  };

  for (const stop of stops) {
    if (stop > t) {
      tLeft = stop * (1 - Number.EPSILON);
      if (h === 0) h = initialStep(f, t, y, stop - t, options);
      // Integrate to exactly `stop`.
      while (t < stop) {
        const remaining = stop - t;
        const last = h >= remaining * (1 - 1e-12);
        const hStep = last ? remaining : h;
        stepper.step(t, y, hStep, yNew, err);
        const norm = controller.errorNorm(err, y, yNew);
        if (!Number.isFinite(norm)) {
          if (hStep < 1e-14 * Math.max(1, Math.abs(t))) return fail(result, TrajectoryStatus.NonFinite);
          h = hStep * 0.2;
          result.rejectedSteps++;
          continue;
        }
        if (norm <= 1) {
          t = last ? stop : t + hStep;
          [y, yNew] = [yNew, y];
          stepper.accept();
          result.acceptedSteps++;
          if (!last || hStep === h) h = hStep * controller.factor(norm, true);
        } else {
          h = hStep * controller.factor(norm, false);
          result.rejectedSteps++;
        }
        if (result.acceptedSteps + result.rejectedSteps > options.maxSteps) return fail(result, TrajectoryStatus.MaxSteps);
        if (h < 1e-13 * Math.max(1, Math.abs(t))) return fail(result, TrajectoryStatus.StepTooSmall);
      }
    }
    tLeft = Infinity;
    record();
    let dosed = false;
    // Infusions ending now, then doses and infusions starting now.
    infusions.forEach((inf, k) => {
      if (started[k] && !ended[k] && inf.end <= t) {
        ended[k] = true;
        dosed = true;
        if (options.sensitivities && inf.dEnd) for (let q = 0; q < ns; q++) y[nx + inf.target * ns + q] = y[nx + inf.target * ns + q]! + inf.rate * inf.dEnd[q]!;
        refreshRates(system, infusions, started, ended, ns);
      }
    });
    infusions.forEach((inf, k) => {
      if (!started[k] && inf.start <= t) {
        started[k] = true;
        dosed = true;
        if (options.sensitivities && inf.dStart) for (let q = 0; q < ns; q++) y[nx + inf.target * ns + q] = y[nx + inf.target * ns + q]! - inf.rate * inf.dStart[q]!;
        refreshRates(system, infusions, started, ended, ns);
      }
    });
    while (dose < doses.length && doses[dose]!.time <= t) {
      applyBolus(model, input, doses[dose]!, t, y, fx, options.sensitivities);
      dose++;
      dosed = true;
    }
    // A dose or a breakpoint changes the RHS: the cached first stage is stale.
    stepper.invalidate();
    if (dosed && h > 0) h = Math.min(h, initialStep(f, t, y, Infinity, options));
  }
  record();
  for (let i = 0; i < result.predictions.length; i++) if (!Number.isFinite(result.predictions[i]!)) return fail(result, TrajectoryStatus.NonFinite);
  return result;
}

/** The total input rate of each state and its ∂/∂p, summed afresh from the running infusions. */
function refreshRates(system: SensitivitySystem, infusions: readonly Infusion[], started: readonly boolean[], ended: readonly boolean[], ns: number): void {
  system.inputRate.fill(0);
  system.inputRateDp.fill(0);
  infusions.forEach((inf, k) => {
    if (!started[k] || ended[k]) return;
    system.inputRate[inf.target] = system.inputRate[inf.target]! + inf.rate;
    if (inf.dRate) for (let q = 0; q < ns; q++) system.inputRateDp[inf.target * ns + q] = system.inputRateDp[inf.target * ns + q]! + inf.dRate[q]!;
  });
}

/** The one-step method of `options.method` for the system y = [x; S] (its size n) with derivative f. */
export function createStepper(model: CpuModel, input: Pick<TrajectoryInput, 'p' | 'c'>, options: SolverOptions, f: Derivative, n: number): Stepper {
  if ((options.method ?? 'explicit') === 'explicit') return new ExplicitStepper(options.tableau ?? dormandPrince5, n, f);
  const { nx, ns } = model.dims;
  const stepper = new RosenbrockStepper(options.rosenbrockTableau ?? ros34pw2, sensitivityLayout(nx, ns, options.sensitivities), f, modelJacobian(model, input.p, input.c), options.rosenbrockCoupling ?? 'lower');
  if (stepper.n !== n) throw new Error(`createStepper: the block layout covers ${stepper.n} entries, the system has ${n}`);
  return stepper;
}

function fail(result: TrajectoryResult, status: TrajectoryStatus): TrajectoryResult {
  result.status = status;
  result.predictions.fill(NaN);
  return result;
}

function recordObservation(model: CpuModel, input: TrajectoryInput, j: number, t: number, y: Float64Array, result: TrajectoryResult, sens: boolean): void {
  const { nx, ns } = model.dims;
  const x = y.subarray(0, nx);
  const o = input.outputs[j]!;
  const out = [0];
  model.predict(o, t, x, input.p, input.c, out);
  result.predictions[j] = out[0]!;
  if (!sens) return;
  const hx = new Float64Array(nx);
  const hp = new Float64Array(ns);
  model.predictDx(o, t, x, input.p, input.c, hx);
  model.predictDp(o, t, x, input.p, input.c, hp);
  // ∂h/∂p (total) = ∂h/∂x · S + ∂h/∂p (direct)
  for (let k = 0; k < ns; k++) {
    let acc = hp[k]!;
    for (let i = 0; i < nx; i++) acc += hx[i]! * y[nx + i * ns + k]!;
    result.gradients[j * ns + k] = acc;
  }
}

function applyBolus(model: CpuModel, input: TrajectoryInput, d: Bolus, t: number, y: Float64Array, fx: Float64Array, sens: boolean): void {
  const { nx, ns } = model.dims;
  const before = sens && d.dTime ? new Float64Array(nx) : undefined;
  if (before) model.rhs(t, y.subarray(0, nx), input.p, input.c, before);
  y[d.target] = y[d.target]! + d.amount;
  if (!sens) return;
  if (d.dAmount) for (let k = 0; k < ns; k++) y[nx + d.target * ns + k] = y[nx + d.target * ns + k]! + d.dAmount[k]!;
  if (before && d.dTime) {
    model.rhs(t, y.subarray(0, nx), input.p, input.c, fx);
    for (let i = 0; i < nx; i++) {
      const jump = before[i]! - fx[i]!;
      for (let k = 0; k < ns; k++) y[nx + i * ns + k] = y[nx + i * ns + k]! + jump * d.dTime[k]!;
    }
  }
}

/** Hairer's starting step: h = 0.01·‖y‖/‖f‖ in the tolerance-scaled norm, bounded by the span to integrate. */
function initialStep(f: (t: number, y: Float64Array, out: Float64Array) => void, t: number, y: Float64Array, span: number, options: SolverOptions): number {
  const f0 = new Float64Array(y.length);
  f(t, y, f0);
  let d0 = 0;
  let d1 = 0;
  for (let i = 0; i < y.length; i++) {
    const scale = options.atol + options.rtol * Math.abs(y[i]!);
    d0 += (y[i]! / scale) ** 2;
    d1 += (f0[i]! / scale) ** 2;
  }
  d0 = Math.sqrt(d0 / y.length);
  d1 = Math.sqrt(d1 / y.length);
  const h0 = d0 < 1e-5 || d1 < 1e-5 ? 1e-6 : 0.01 * (d0 / d1);
  return Math.min(h0, span);
}
