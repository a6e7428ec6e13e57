/**
 * One (subject, sample) trajectory on the f64 CPU back end: integrate from t = 0 through every stop (observation
 * times, doses, breakpoints), landing exactly on each, and record predictions and their gradients ∂h/∂p.
 *
 * An observation at the time of an event sees the state before it, unless the data put its row after a dose or
 * reset row at that time (`after`, NONMEM's record order): then it sees the state after every event at that time.
 * The jumps of x and S at a bolus, at the ends of a zero-order input (which adds R to f_k and ∂R/∂p to dS_k/dt while
 * it runs) and at a breakpoint τ(p) of the RHS are the rules of stdlib/jump-rules.ts (doseAmount, eventTime,
 * inputEdge), which the WGSL kernel prints from the same entries.
 * At one time the order is stdlib/dose-events.ts's EVENT_ORDER, which the stop loop walks (`runPhase`): the
 * observations before the events, breakpoint jumps, infusions ending, the events that replace the state (resets,
 * SS = 1 doses), the other doses and infusions starting, the observations after the events. The same file says how
 * a steady state is found (`steadyState` below).
 * Stages that reach a stop are evaluated just before it (the left limit): at a breakpoint the RHS jumps, and the
 * step that ends there must not see the new branch, or its error estimate never passes.
 */
import { dormandPrince5, type ButcherTableau } from '../../../compiler/solvers/butcher-tableau.js';
import { DoseKind, EVENT_ORDER, STEADY_STATE_MAX_PERIODS, steadyStateConverged, type EventPhase } from '../../../stdlib/dose-events.js';
import { doseAmount, eventTime, historyShift, inputEdge, InputEdge } from '../../../stdlib/jump-rules.js';
import { ros34pw2, type RosenbrockTableau } from '../../../compiler/solvers/rosenbrock-tableau.js';
import { covariatesAt, trackPoint, type CovariateTrack } from '../engine-data.js';
import type { SolverMethod } from '../engine.js';
import { TrajectoryStatus } from '../trajectory-status.js';
import type { CpuModel } from './cpu-model.js';
import type { Derivative } from './explicit-rk.js';
import { modelJacobian, RosenbrockStepper, sensitivityLayout, type Coupling } from './rosenbrock.js';
import { SensitivitySystem } from './sensitivity-system.js';
import { PiController } from './step-controller.js';
import { PI_CONTROL, startingStep, STEP_LIMITS } from '../../../compiler/solvers/step-control.js';
import { ExplicitStepper, FusedExplicitStepper, type Stepper } from './stepper.js';

/** The step loop's limits for this back end's precision (compiler/solvers/step-control.ts). */
const LIMITS = STEP_LIMITS.f64;

export interface Bolus {
  readonly time: number;
  readonly amount: number;
  readonly target: number;
  /** ∂amount/∂p over the sensitivity parameters, when the amount depends on them. */
  readonly dAmount?: ArrayLike<number>;
  /** ∂time/∂p, when the dose time depends on them (a lag time, a model-declared time). */
  readonly dTime?: ArrayLike<number>;
  /** `DoseKind` (stdlib/dose-events.ts): a plain dose when absent; steady state (SS = 1) or added (SS = 2). */
  readonly kind?: number;
  /** The interval II of a steady-state dose. */
  readonly interval?: number;
}

export interface Infusion {
  readonly start: number;
  readonly end: number;
  readonly target: number;
  readonly rate: number;
  readonly dRate?: ArrayLike<number>;
  readonly dStart?: ArrayLike<number>;
  readonly dEnd?: ArrayLike<number>;
  /** ∂(end − start)/∂p (stdlib/dose-resolution.ts gives it); dEnd − dStart when absent. */
  readonly dDuration?: ArrayLike<number>;
  readonly kind?: number;
  readonly interval?: number;
}

export interface TrajectoryInput {
  readonly p: Float64Array;
  readonly c: Float64Array;
  /** Observation times, ascending. */
  readonly times: ArrayLike<number>;
  /** Output index of each observation. */
  readonly outputs: ArrayLike<number>;
  /**
   * Per observation, 1 when it sees the state after the events at its time (its data row follows a dose or reset
   * row there), 0 before them (the default, all 0 when absent); at one time the 0s come first.
   */
  readonly after?: ArrayLike<number>;
  readonly doses: readonly Bolus[];
  /** Zero-order inputs; none when absent. */
  readonly infusions?: readonly Infusion[];
  /** Covariates that change over time (engine-data.ts; `c` is then unused by the solver); constant `c` when absent. */
  readonly covariateTrack?: CovariateTrack;
  /** Times where every state is reset to its initial value (EVID 3, and before the dose of EVID 4), ascending. */
  readonly resets?: ArrayLike<number>;
  /** Times where the RHS is discontinuous. */
  readonly breakpoints: ArrayLike<number>;
  /**
   * ∂breakpoint/∂p, nbreakpoints × ns row-major: where given, a breakpoint that moves with p makes S jump by
   * (f(τ⁻) − f(τ⁺)) ∂τ/∂p. Two breakpoints at one time jump once, with the first one's ∂τ/∂p.
   */
  readonly breakpointsDp?: ArrayLike<number>;
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

/** Status and step counts of one trajectory; the predictions and gradients went into the caller's arrays. */
export interface TrajectoryStats {
  readonly status: TrajectoryStatus;
  readonly acceptedSteps: number;
  readonly rejectedSteps: number;
}

/** What the phases of one stop read and write (runPhase). */
interface StopContext {
  readonly input: TrajectoryInput;
  readonly infusions: readonly Infusion[];
  readonly resets: ArrayLike<number>;
  readonly predictions: Float64Array;
  readonly gradients: Float64Array;
  t: number;
  /** Whether an event acted at t (the step restarts then). */
  dosed: boolean;
}

export function solveTrajectory(model: CpuModel, input: TrajectoryInput, options: SolverOptions = defaultSolverOptions): TrajectoryResult {
  const nobs = input.times.length;
  const predictions = new Float64Array(nobs);
  const gradients = new Float64Array(nobs * model.dims.ns);
  return { ...new TrajectorySolver(model, options).solve(input, predictions, gradients), predictions, gradients };
}

/**
 * Solves trajectories one after another for one model and one set of options, reusing its workspace (the state
 * vectors, the stepper's stages, the stop list): a trajectory allocates a few small objects (its stats, views of
 * the stop list), nothing per step. For a batch of rows, make one solver and call `solve` per row.
 */
export class TrajectorySolver {
  private readonly system: SensitivitySystem;
  /** The derivative, evaluated at the left limit of the next stop (see the file comment). */
  private readonly f: Derivative;
  /** What a fused step reads: the bound p and c, the input rates, and the left limit of the next stop. */
  private readonly context: { p: Float64Array; c: Float64Array; readonly rate: Float64Array; readonly rateDp: Float64Array; tLeft: number };
  /** The explicit stepper, kept across trajectories; the Rosenbrock stepper binds p and c, so it is made per trajectory. */
  private readonly explicit: Stepper | undefined;
  /** The same method through the model's fused step, where the module has one. */
  private readonly fused: Stepper | undefined;
  private readonly controller: PiController;
  private y: Float64Array;
  private yNew: Float64Array;
  private readonly err: Float64Array;
  private readonly fx: Float64Array;
  private readonly fBefore: Float64Array;
  private readonly hx: Float64Array;
  private readonly hp: Float64Array;
  private readonly dDurationScratch: Float64Array;
  private readonly one = [0];
  private stops = new Float64Array(64);
  private started = new Uint8Array(8);
  private ended = new Uint8Array(8);
  private given = new Uint8Array(8);
  private readonly doses: Bolus[] = [];
  /** The next observation, dose (in `doses`) and reset of the current trajectory. */
  private obs = 0;
  private dose = 0;
  private reset = 0;
  /** The point of the integration: time, step size, and the step counts of the current trajectory. */
  private t = 0;
  private h = 0;
  private accepted = 0;
  private rejected = 0;
  private stepper: Stepper | undefined;
  /** The covariates the model functions read now: the input's, or `cNow` following its track. */
  private c: Float64Array = new Float64Array(0);
  private readonly cNow: Float64Array;
  private track: CovariateTrack | undefined;
  /** The track's current point, and whether any covariate has a slope there (then c follows t at every RHS call). */
  private point = 0;
  private sloped = false;
  /** The steady-state iteration's state, the previous period's, the initial state, and the saved input rates. */
  private readonly ssY: Float64Array;
  private readonly ssNext: Float64Array;
  private readonly ssPrev: Float64Array;
  private readonly ssInit: Float64Array;
  private readonly savedRate: Float64Array;
  private readonly savedRateDp: Float64Array;

  constructor(readonly model: CpuModel, readonly options: SolverOptions) {
    const { nx, ns } = model.dims;
    this.system = new SensitivitySystem(model, options.sensitivities);
    const n = this.system.size;
    const derivative = this.system.derivative();
    this.f = (t, y, out) => {
      const tLeft = this.context.tLeft;
      const at = t < tLeft ? t : tLeft;
      if (this.sloped) covariatesAt(this.track!, at, this.cNow, this.point);
      derivative(at, y, out);
    };
    this.cNow = new Float64Array(model.dims.nc);
    this.context = { p: new Float64Array(0), c: new Float64Array(0), rate: this.system.inputRate, rateDp: this.system.inputRateDp, tLeft: Infinity };
    const tableau = options.tableau ?? dormandPrince5;
    this.explicit = (options.method ?? 'explicit') === 'explicit' ? new ExplicitStepper(tableau, n, this.f) : undefined;
    // The module's fused step is Dormand–Prince 5(4) with constant covariates: other tableaus and covariates that
    // change over time take the generic stepper.
    const fused = options.sensitivities ? model.explicitStep : model.explicitStepStates;
    this.fused = this.explicit && fused && tableau === dormandPrince5 ? new FusedExplicitStepper(tableau, n, fused, this.context) : undefined;
    const method = this.explicit ?? options.rosenbrockTableau ?? ros34pw2;
    this.controller = new PiController({ rtol: options.rtol, atol: options.atol, q: Math.min(method.order, method.embeddedOrder) + 1 });
    this.y = new Float64Array(n);
    this.yNew = new Float64Array(n);
    this.err = new Float64Array(n);
    this.fx = new Float64Array(nx);
    this.fBefore = new Float64Array(nx);
    this.hx = new Float64Array(nx);
    this.hp = new Float64Array(ns);
    this.dDurationScratch = new Float64Array(ns);
    this.ssY = new Float64Array(n);
    this.ssNext = new Float64Array(n);
    this.ssPrev = new Float64Array(n);
    this.ssInit = new Float64Array(n);
    this.savedRate = new Float64Array(nx);
    this.savedRateDp = new Float64Array(nx * ns);
  }

  /**
   * Integrates one trajectory: its predictions into `predictions[0…nobs)` (NaN after a failure) and ∂/∂p into
   * `gradients[0…nobs·ns)` (row-major; zeros without sensitivities, unspecified after a failure).
   */
  solve(input: TrajectoryInput, predictions: Float64Array, gradients: Float64Array): TrajectoryStats {
    const { model, options, system, controller } = this;
    const ns = model.dims.ns;
    const sens = options.sensitivities;
    const nobs = input.times.length;
    this.accepted = 0;
    this.rejected = 0;
    const done = (status: TrajectoryStatus): TrajectoryStats => {
      if (status !== TrajectoryStatus.Ok) predictions.fill(NaN, 0, nobs);
      return { status, acceptedSteps: this.accepted, rejectedSteps: this.rejected };
    };
    predictions.fill(NaN, 0, nobs);
    if (!sens) gradients.fill(0, 0, nobs * ns);
    this.track = input.covariateTrack;
    this.c = this.track ? this.cNow : input.c;
    this.point = 0;
    this.sloped = false;
    if (this.track) this.followCovariates(0);
    system.bind(input.p, this.c);
    system.inputRate.fill(0);
    system.inputRateDp.fill(0);
    this.context.p = input.p;
    this.context.c = this.c;
    const stepper = (this.track ? undefined : this.fused) ?? this.explicit ?? createStepper(model, { p: input.p, c: this.c }, options, this.f, system.size);
    this.stepper = stepper;
    stepper.invalidate();
    controller.reset();
    this.context.tLeft = Infinity;
    system.initialState(input.p, this.c, this.y);

    const infusions = input.infusions ?? [];
    const resets = input.resets ?? [];
    const stops = this.stopList(input, infusions);
    if (this.started.length < infusions.length) {
      this.started = new Uint8Array(infusions.length);
      this.ended = new Uint8Array(infusions.length);
    }
    const doses = this.doses;
    doses.length = 0;
    for (const d of input.doses) doses.push(d);
    sortByTime(doses);
    if (this.given.length < doses.length) this.given = new Uint8Array(doses.length);
    const { started, ended, given } = this;
    started.fill(0);
    ended.fill(0);
    given.fill(0);
    this.t = 0;
    this.h = 0;
    this.obs = 0;
    this.dose = 0;
    this.reset = 0;
    const at: StopContext = { input, infusions, resets, predictions, gradients, t: 0, dosed: false };
    let restart = false;

    for (let s = 0; s < stops.length; s++) {
      const stop = stops[s]!;
      if (stop > this.t) {
        const status = this.advance(stop, restart);
        if (status !== TrajectoryStatus.Ok) return done(status);
        restart = false;
      }
      const t = this.t;
      // A covariate's new value holds from its row on: the observations at t see it.
      if (this.track) this.followCovariates(t);
      at.t = t;
      at.dosed = false;
      for (const phase of EVENT_ORDER) {
        const status = this.runPhase(phase, at);
        if (status !== TrajectoryStatus.Ok) return done(status);
      }
      // A dose or a breakpoint changes the RHS: the cached first stage is stale. After an event the next step is
      // at most the starting step there.
      stepper.invalidate();
      if (at.dosed) restart = true;
    }
    let obs = this.obs;
    while (obs < nobs && input.times[obs]! <= this.t) {
      this.recordObservation(input, obs, this.t, this.y, predictions, gradients);
      obs++;
    }
    for (let i = 0; i < nobs; i++) if (!Number.isFinite(predictions[i]!)) return done(TrajectoryStatus.NonFinite);
    return done(TrajectoryStatus.Ok);
  }

  /** One entry of stdlib/dose-events.ts's EVENT_ORDER at the stop `at.t`. */
  private runPhase(phase: EventPhase, at: StopContext): TrajectoryStatus {
    const { input, infusions, t } = at;
    const { started, ended, system } = this;
    const ns = this.model.dims.ns;
    switch (phase) {
      case 'observationsBefore':
        this.observeUntil(at, true);
        return TrajectoryStatus.Ok;
      case 'breakpointJumps':
        if (this.options.sensitivities && input.breakpointsDp) this.breakpointJumps(input, t, this.y);
        return TrajectoryStatus.Ok;
      case 'infusionsEnding':
        for (let k = 0; k < infusions.length; k++) {
          const inf = infusions[k]!;
          if (!started[k] || ended[k] || !(inf.end <= t)) continue;
          ended[k] = 1;
          at.dosed = true;
          this.infusionJump(inf, InputEdge.end, inf.dEnd);
          refreshRates(system, infusions, started, ended, ns);
        }
        return TrajectoryStatus.Ok;
      case 'replacingState':
        while (this.reset < at.resets.length && at.resets[this.reset]! <= t) {
          this.resetState(input, infusions);
          this.reset++;
          at.dosed = true;
        }
        return this.giveDoses(at, true);
      case 'otherDoses': {
        const status = this.giveDoses(at, false);
        while (this.dose < this.doses.length && this.given[this.dose]) this.dose++;
        return status;
      }
      case 'observationsAfter':
        this.observeUntil(at, false);
        return TrajectoryStatus.Ok;
    }
  }

  /** The observations at or before at.t: only those before the events (after = 0) when `before`. */
  private observeUntil(at: StopContext, before: boolean): void {
    const { input, t } = at;
    const nobs = input.times.length;
    let obs = this.obs;
    while (obs < nobs && input.times[obs]! <= t && !(before && input.after?.[obs])) {
      this.recordObservation(input, obs, t, this.y, at.predictions, at.gradients);
      obs++;
    }
    this.obs = obs;
  }

  /** The infusions that start and the boluses due at at.t: the SS = 1 ones (`replacing`) or the others. */
  private giveDoses(at: StopContext, replacing: boolean): TrajectoryStatus {
    const { input, infusions, t } = at;
    const { started, ended, given, doses, system } = this;
    const ns = this.model.dims.ns;
    for (let k = 0; k < infusions.length; k++) {
      const inf = infusions[k]!;
      if (started[k] || !(inf.start <= t) || (inf.kind === DoseKind.steadyState) !== replacing) continue;
      if (inf.kind === DoseKind.steadyState || inf.kind === DoseKind.steadyStateAdded) {
        const status = this.steadyState(input, infusions, inf.kind, inf.interval ?? 0, inf.target, 0, inf.rate, inf.dRate, inf.end - inf.start, this.durationDp(inf), inf.dStart);
        if (status !== TrajectoryStatus.Ok) return status;
      }
      started[k] = 1;
      at.dosed = true;
      this.infusionJump(inf, InputEdge.start, inf.dStart);
      refreshRates(system, infusions, started, ended, ns);
    }
    for (let q = this.dose; q < doses.length && doses[q]!.time <= t; q++) {
      const d = doses[q]!;
      if (given[q] || (d.kind === DoseKind.steadyState) !== replacing) continue;
      if (d.kind === DoseKind.steadyState || d.kind === DoseKind.steadyStateAdded) {
        const status = this.steadyState(input, infusions, d.kind, d.interval ?? 0, d.target, d.amount, 0, d.dAmount, 0, undefined, d.dTime);
        if (status !== TrajectoryStatus.Ok) return status;
      }
      this.applyBolus(input, d, t, this.y);
      given[q] = 1;
      at.dosed = true;
    }
    return TrajectoryStatus.Ok;
  }

  /**
   * Integrates this.y from this.t to exactly `stop` (> this.t) with the adaptive step; this.y is the result. The
   * step starts as the starting step where this.h is 0, and is bounded after an event (`restart`).
   */
  private advance(stop: number, restart = false): TrajectoryStatus {
    const { controller, err, options } = this;
    const stepper = this.stepper!;
    let y = this.y;
    let yNew = this.yNew;
    let t = this.t;
    let h = this.h;
    let status: TrajectoryStatus = TrajectoryStatus.Ok;
    this.context.tLeft = leftOf(stop);
    // The starting step (compiler/solvers/step-control.ts).
    if (h === 0) h = startingStep.apply(stop - t);
    else if (restart) h = startingStep.afterEvent(h, t);
    while (t < stop) {
      const remaining = stop - t;
      const last = h >= remaining * (1 - LIMITS.lastStep);
      const hStep = last ? remaining : h;
      stepper.step(t, y, hStep, yNew, err);
      const norm = controller.errorNorm(err, y, yNew);
      if (!Number.isFinite(norm)) {
        // NaN steps included: a step that is not a positive number cannot be retried.
        if (!(hStep >= LIMITS.minStep * Math.max(1, Math.abs(t)))) {
          status = TrajectoryStatus.NonFinite;
          break;
        }
        h = hStep * PI_CONTROL.nonFiniteFactor;
        this.rejected++;
        // Retried at once, as the kernel does: shrinking to the minimum after a non-finite error is NonFinite (the
        // state overflowed), not StepTooSmall.
        continue;
      } else if (norm <= 1) {
        t = last ? stop : t + hStep;
        const swap = y;
        y = yNew;
        yNew = swap;
        stepper.accept();
        this.accepted++;
        if (!last || hStep === h) h = hStep * controller.factor(norm, true);
      } else {
        h = hStep * controller.factor(norm, false);
        this.rejected++;
      }
      if (this.accepted + this.rejected > options.maxSteps) {
        status = TrajectoryStatus.MaxSteps;
        break;
      }
      if (h < LIMITS.minStep * Math.max(1, Math.abs(t))) {
        status = TrajectoryStatus.StepTooSmall;
        break;
      }
    }
    this.y = y;
    this.yNew = yNew;
    this.t = t;
    this.h = h;
    this.context.tLeft = Infinity;
    return status;
  }

  /** The jump of S at a zero-order input's start (∂start/∂p) or end (∂end/∂p): stdlib/jump-rules.ts, inputEdge. */
  private infusionJump(inf: Infusion, edge: InputEdge, dTime: ArrayLike<number> | undefined): void {
    if (!this.options.sensitivities || !dTime) return;
    const { nx, ns } = this.model.dims;
    inputEdge.apply(this.y, nx, ns, inf.target, edge, inf.rate, dTime);
  }

  /** ∂D/∂p of an infusion: its own, or dEnd − dStart (into a scratch array). */
  private durationDp(inf: Infusion): ArrayLike<number> | undefined {
    if (inf.dDuration || !inf.dEnd) return inf.dDuration;
    const d = this.dDurationScratch;
    for (let q = 0; q < d.length; q++) d[q] = inf.dEnd[q]! - (inf.dStart?.[q] ?? 0);
    return d;
  }

  /** Every state to its initial value (S to ∂x0/∂p), and the running infusions end: their input is discarded too. */
  private resetState(input: TrajectoryInput, infusions: readonly Infusion[]): void {
    this.system.initialState(input.p, this.c, this.y);
    this.endRunning(infusions);
  }

  private endRunning(infusions: readonly Infusion[]): void {
    const { started, ended } = this;
    for (let k = 0; k < infusions.length; k++) if (started[k] && !ended[k]) ended[k] = 1;
    refreshRates(this.system, infusions, started, ended, this.model.dims.ns);
  }

  /**
   * The periodic steady state of a dose (bolus `amount` with ∂/∂p `dDose`, or a zero-order input of `rate` with
   * ∂/∂p `dDose` for `duration` ≤ II with ∂/∂p `dDuration`) into `target` repeated every `interval`, put
   * into this.y at this.t before the dose itself is given (stdlib/dose-events.ts: SS = 1 replaces the state,
   * SS = 2 adds to it). The periods are integrated apart from the timeline, on [τ − II, τ].
   */
  private steadyState(
    input: TrajectoryInput, infusions: readonly Infusion[], kind: number, interval: number, target: number, amount: number, rate: number,
    dDose: ArrayLike<number> | undefined, duration: number, dDuration: ArrayLike<number> | undefined, dTime: ArrayLike<number> | undefined,
  ): TrajectoryStatus {
    const { model, system, options, ssPrev, ssInit } = this;
    const { nx, ns } = model.dims;
    const sens = options.sensitivities;
    const n = system.size;
    if (!(interval > 0)) return TrajectoryStatus.Unsupported;
    if (rate > 0 && !(duration <= interval)) return TrajectoryStatus.Unsupported;
    const tau = this.t;
    // The periods see the covariates as at the dose.
    const sloped = this.sloped;
    this.sloped = false;
    const mainY = this.y;
    const mainNext = this.yNew;
    const mainH = this.h;
    this.savedRate.set(system.inputRate);
    this.savedRateDp.set(system.inputRateDp);
    system.initialState(input.p, this.c, ssInit);
    this.y = this.ssY;
    this.yNew = this.ssNext;
    this.y.set(ssInit);
    const start = tau - interval;
    let previous = Infinity;
    let status: TrajectoryStatus = TrajectoryStatus.MaxSteps;
    for (let period = 1; period <= STEADY_STATE_MAX_PERIODS; period++) {
      const y = this.y;
      ssPrev.set(y);
      this.t = start;
      this.h = 0;
      this.stepper!.invalidate();
      system.inputRate.fill(0);
      system.inputRateDp.fill(0);
      let step: TrajectoryStatus = TrajectoryStatus.Ok;
      if (rate > 0) {
        system.inputRate[target] = rate;
        if (sens && dDose) for (let q = 0; q < ns; q++) system.inputRateDp[target * ns + q] = dDose[q]!;
        step = this.advance(start + duration);
        // The end of the input, phase-relative: inputEdge with ∂D/∂p (the lag moves the whole history: below).
        if (sens && dDuration) inputEdge.apply(this.y, nx, ns, target, InputEdge.end, rate, dDuration);
        system.inputRate.fill(0);
        system.inputRateDp.fill(0);
        this.stepper!.invalidate();
        this.h = 0;
      } else {
        y[target] = y[target]! + amount;
        if (sens && dDose) doseAmount.apply(y, nx, ns, target, dDose);
      }
      if (step === TrajectoryStatus.Ok && this.t < tau) step = this.advance(tau);
      if (step !== TrajectoryStatus.Ok) {
        status = step;
        break;
      }
      const delta = this.change(this.y, ssPrev, n);
      if (steadyStateConverged(period, delta, previous)) {
        status = TrajectoryStatus.Ok;
        break;
      }
      previous = delta;
    }
    const X = this.y;
    this.sloped = sloped;
    this.y = mainY;
    this.yNew = mainNext;
    this.t = tau;
    this.h = mainH;
    system.inputRate.set(this.savedRate);
    system.inputRateDp.set(this.savedRateDp);
    this.stepper!.invalidate();
    if (status !== TrajectoryStatus.Ok) return status;
    const y = this.y;
    if (kind === DoseKind.steadyState) {
      y.set(X);
      this.endRunning(infusions);
    } else {
      for (let i = 0; i < n; i++) y[i] = y[i]! + X[i]! - ssInit[i]!;
    }
    if (sens && dTime) {
      // The periodic history moves with the dose time (historyShift, stdlib/jump-rules.ts).
      model.rhs(tau, X, input.p, this.c, this.fx);
      historyShift.apply(y, nx, ns, this.fx, dTime);
    }
    return TrajectoryStatus.Ok;
  }

  /** Moves to the track's point that holds at t, and sets c to its value at t. */
  private followCovariates(t: number): void {
    const track = this.track!;
    const nc = this.cNow.length;
    this.point = trackPoint(track, t, this.point);
    this.sloped = false;
    for (let i = 0; i < nc; i++) if (track.slopes[this.point * nc + i] !== 0) this.sloped = true;
    covariatesAt(track, t, this.cNow, this.point);
  }

  /** ‖a − b‖ in the error norm: root mean square of (a − b)/(atol + rtol |a|). */
  private change(a: Float64Array, b: Float64Array, n: number): number {
    const { rtol, atol } = this.options;
    let sum = 0;
    for (let i = 0; i < n; i++) sum += ((a[i]! - b[i]!) / (atol + rtol * Math.abs(a[i]!))) ** 2;
    return Math.sqrt(sum / n);
  }

  /** Observation times, dose times, infusion ends, resets and breakpoints at t ≥ 0: ascending, each once. */
  private stopList(input: TrajectoryInput, infusions: readonly Infusion[]): Float64Array {
    const resets = input.resets ?? [];
    const bound = input.times.length + input.doses.length + 2 * infusions.length + input.breakpoints.length + resets.length + (input.covariateTrack?.count ?? 0);
    if (this.stops.length < bound) this.stops = new Float64Array(bound);
    const buffer = this.stops;
    let count = 0;
    const add = (s: number): void => {
      if (s >= 0) buffer[count++] = s;
    };
    for (let i = 0; i < input.times.length; i++) add(input.times[i]!);
    for (const d of input.doses) add(d.time);
    for (const inf of infusions) {
      add(inf.start);
      add(inf.end);
    }
    for (let i = 0; i < input.breakpoints.length; i++) add(input.breakpoints[i]!);
    for (let i = 0; i < resets.length; i++) add(resets[i]!);
    const track = input.covariateTrack;
    if (track) for (let k = 0; k < track.count; k++) add(track.times[k]!);
    const stops = buffer.subarray(0, count).sort();
    let unique = 0;
    for (let i = 0; i < count; i++) if (i === 0 || stops[i] !== stops[unique - 1]) stops[unique++] = stops[i]!;
    return stops.subarray(0, unique);
  }

  private recordObservation(input: TrajectoryInput, j: number, t: number, y: Float64Array, predictions: Float64Array, gradients: Float64Array): void {
    const { model, hx, hp, one } = this;
    const { nx, ns } = model.dims;
    const o = input.outputs[j]!;
    model.predict(o, t, y, input.p, this.c, one);
    predictions[j] = one[0]!;
    if (!this.options.sensitivities) return;
    model.predictDx(o, t, y, input.p, this.c, hx);
    model.predictDp(o, t, y, input.p, this.c, hp);
    // ∂h/∂p (total) = ∂h/∂x · S + ∂h/∂p (direct)
    for (let k = 0; k < ns; k++) {
      let acc = hp[k]!;
      for (let i = 0; i < nx; i++) acc += hx[i]! * y[nx + i * ns + k]!;
      gradients[j * ns + k] = acc;
    }
  }

  private applyBolus(input: TrajectoryInput, d: Bolus, t: number, y: Float64Array): void {
    const { model, fx, fBefore } = this;
    const { nx, ns } = model.dims;
    const sens = this.options.sensitivities;
    const moves = sens && d.dTime !== undefined;
    if (moves) model.rhs(t, y, input.p, this.c, fBefore);
    y[d.target] = y[d.target]! + d.amount;
    if (!sens) return;
    if (d.dAmount) doseAmount.apply(y, nx, ns, d.target, d.dAmount);
    if (moves && d.dTime) {
      model.rhs(t, y, input.p, this.c, fx);
      eventTime.apply(y, nx, ns, fBefore, fx, d.dTime, 0);
    }
  }

  /** The jumps of S at the breakpoints at t: f(τ⁻) is the RHS at the float below t (x is continuous there). */
  private breakpointJumps(input: TrajectoryInput, t: number, y: Float64Array): void {
    const bps = input.breakpoints;
    const { nx, ns } = this.model.dims;
    for (let k = 0; k < bps.length; k++) {
      if (bps[k] !== t) continue;
      let first = true;
      for (let q = 0; q < k; q++) if (bps[q] === t) first = false;
      if (!first) continue;
      const before = t > 0 ? t * (1 - Number.EPSILON) : t - Number.EPSILON;
      this.model.rhs(before, y, input.p, this.c, this.fBefore);
      this.model.rhs(t, y, input.p, this.c, this.fx);
      eventTime.apply(y, nx, ns, this.fBefore, this.fx, input.breakpointsDp!, k * ns);
    }
  }
}

/** The largest float below `stop` (stops before 0 occur in a steady state's periods). */
function leftOf(stop: number): number {
  return stop > 0 ? stop * (1 - Number.EPSILON) : stop < 0 ? stop * (1 + Number.EPSILON) : -Number.MIN_VALUE;
}

/** Stable insertion sort by dose time (a handful of doses per trajectory). */
function sortByTime(doses: Bolus[]): void {
  for (let i = 1; i < doses.length; i++) {
    const d = doses[i]!;
    let j = i - 1;
    while (j >= 0 && doses[j]!.time > d.time) {
      doses[j + 1] = doses[j]!;
      j--;
    }
    doses[j + 1] = d;
  }
}

/** The total input rate of each state and its ∂/∂p, summed afresh from the running infusions. */
function refreshRates(system: SensitivitySystem, infusions: readonly Infusion[], started: Uint8Array, ended: Uint8Array, ns: number): void {
  system.inputRate.fill(0);
  system.inputRateDp.fill(0);
  for (let k = 0; k < infusions.length; k++) {
    const inf = infusions[k]!;
    if (!started[k] || ended[k]) continue;
    system.inputRate[inf.target] = system.inputRate[inf.target]! + inf.rate;
    if (inf.dRate) for (let q = 0; q < ns; q++) system.inputRateDp[inf.target * ns + q] = system.inputRateDp[inf.target * ns + q]! + inf.dRate[q]!;
  }
}

/** The one-step method of `options.method` for the system y = [x; S] (its size n) with derivative f. */
export function createStepper(model: CpuModel, input: Pick<TrajectoryInput, 'p' | 'c'>, options: SolverOptions, f: Derivative, n: number): Stepper {
  if ((options.method ?? 'explicit') === 'explicit') return new ExplicitStepper(options.tableau ?? dormandPrince5, n, f);
  const { nx, ns } = model.dims;
  const stepper = new RosenbrockStepper(options.rosenbrockTableau ?? ros34pw2, sensitivityLayout(nx, ns, options.sensitivities), f, modelJacobian(model, input.p, input.c), options.rosenbrockCoupling ?? 'lower');
  if (stepper.n !== n) throw new Error(`createStepper: the block layout covers ${stepper.n} entries, the system has ${n}`);
  return stepper;
}

