/**
 * The adaptive step's rules, one description for both back ends (runtime/engine/cpu/step-controller.ts and
 * solve-trajectory.ts; the WGSL kernel's `advance`): the PI controller of Hairer & Wanner (DOPRI5's constants;
 * Gustafsson's PI idea) and what happens after a step whose error is not a number.
 *
 *   accepted: h ← h · clamp(safety · err^−α · errPrev^β, minFactor, maxFactor),  α = 1/q − 0.75 β
 *   rejected: h ← h · clamp(safety · err^−α, minFactor, 1)
 *   error not finite: h ← h · nonFiniteFactor
 * errPrev, the previous accepted step's error, is held at least `minError`.
 */
export const PI_CONTROL = {
  safety: 0.9,
  beta: 0.04,
  minFactor: 0.2,
  maxFactor: 10,
  minError: 1e-4,
  nonFiniteFactor: 0.2,
} as const;

const LOG_MIN_ERROR = Math.log(PI_CONTROL.minError);

/**
 * The norm a step's error estimate e is accepted by (≤ 1) on both back ends: the root mean square of
 * e_i / (atol + rtol · max(|y0_i|, |y1_i|)) over every entry of y = [x; S], y0 before the step and y1 after it.
 */
export const errorNorm = {
  apply(e: Float64Array, y0: Float64Array, y1: Float64Array, rtol: number, atol: number): number {
    let sum = 0;
    for (let i = 0; i < e.length; i++) {
      const r = e[i]! / (atol + rtol * Math.max(Math.abs(y0[i]!), Math.abs(y1[i]!)));
      sum += r * r;
    }
    return Math.sqrt(sum / e.length);
  },
  /** `fn error_norm(e, y0, y1) -> f32` over the kernel's N entries, with its params.rtol and params.atol. */
  wgsl: (): string => `fn error_norm(e: array<f32, N>, y0: array<f32, N>, y1: array<f32, N>) -> f32 {
  var s = 0.0;
  for (var m = 0u; m < N; m++) {
    let r = e[m] / (params.atol + params.rtol * max(abs(y0[m]), abs(y1[m])));
    s = s + r * r;
  }
  return sqrt(s / f32(N));
}`,
} as const;

/** The constants piFactor reads (PI_CONTROL's, or a caller's own). */
export interface PiConstants {
  readonly safety: number;
  readonly minFactor: number;
  readonly maxFactor: number;
}

/**
 * The factor h is multiplied by after a step with error norm `norm` (finite, > 0): accepted, safety · norm^−α ·
 * previous^β within [minFactor, maxFactor]; rejected, safety · norm^−α within [minFactor, 1] (the step may only
 * shrink). The f64 form takes logarithms (one exp instead of two pow: a step size needs no last bit); the WGSL
 * form the kernel prints takes the values. A zero norm gives maxFactor in both (the f64 caller tests it, the
 * WGSL form floors the norm at 1e-10, whose factor is clamped to maxFactor).
 */
export const piFactor = {
  apply(logNorm: number, logPrevious: number, alpha: number, beta: number, accepted: boolean, c: PiConstants = PI_CONTROL): number {
    const raw = c.safety * Math.exp(accepted ? beta * logPrevious - alpha * logNorm : -alpha * logNorm);
    return Math.min(accepted ? c.maxFactor : 1, Math.max(c.minFactor, raw));
  },
  wgsl(norm: string, previous: string, q: number, accepted: boolean): string {
    const f = (x: number): string => (Number.isInteger(x) ? x.toFixed(1) : String(x));
    const C = PI_CONTROL;
    const raw = `${f(C.safety)} * pow(max(${norm}, 1.0e-10), -${f(piAlpha(q))})${accepted ? ` * pow(${previous}, ${f(C.beta)})` : ''}`;
    return `clamp(${raw}, ${f(C.minFactor)}, ${accepted ? f(C.maxFactor) : '1.0'})`;
  },
  /** The previous error the next accepted step reads: this one's, at least minError (the f64 form in logs). */
  rememberedLog: (logNorm: number): number => Math.max(logNorm, LOG_MIN_ERROR),
  rememberedWgsl: (norm: string): string => `max(${norm}, ${PI_CONTROL.minError})`,
} as const;

/**
 * The step loop's limits, relative to max(1, |t|), by the precision of the back end (f64: the CPU, f32: the WGSL
 * kernel): a step within `lastStep` of the distance to the stop is stretched to land on it exactly; a step size
 * below `minStep` fails the row (status StepTooSmall), and so does a step whose error is not a number when it was
 * already that small (status NonFinite; otherwise h ← h · nonFiniteFactor and the step is retried).
 */
export const STEP_LIMITS = {
  f64: { lastStep: 1e-12, minStep: 1e-13 },
  f32: { lastStep: 1e-6, minStep: 1e-7 },
} as const;

/** The error exponent α of the controller for a method whose error estimate is of order q − 1. */
export function piAlpha(q: number, beta: number = PI_CONTROL.beta): number {
  return 1 / q - 0.75 * beta;
}

/**
 * The starting step of an integration segment, for both back ends: where the step size is 0 (a trajectory's start,
 * each steady-state period's, after a steady-state period's input ends) it is `fraction` of the span to the next
 * stop; after an event changed the state or the RHS, the step carried on is at most `fraction` · max(1, |t|). The
 * controller then finds the step the tolerances allow (it may grow ×maxFactor per step, a rejection shrinks it).
 *
 * Chosen by measurement against Hairer's starting step (Hairer, Nørsett & Wanner I, II.4, DOPRI5's HINIT: two
 * RHS evaluations per segment, which the CPU used): the same number of steps within 2 % on the conformance corpus
 * (f64 Dormand–Prince at rtol 1e-10: 48,668 accepted + 664 rejected vs 49,191 + 191; rtol 1e-6: 6,364 + 60 vs
 * 6,724 + 2; ROS34PW2 at 1e-8: 216,673 + 1,321 vs 217,061 + 658) and on bench:engine's models (pk 35,864 vs
 * 35,808 steps, antibody 75,588 vs 75,558, tgfb 592,244 vs 593,150, theophylline 51,290 vs 52,552, oral2cpt
 * 201,628 vs 203,858), with the same errors against the closed forms (CPU 4.0e-11 both), no RHS evaluations, and a
 * kernel that compiles faster on lavapipe (Hairer's, printed once in `advance`, added 30–50 % to the compile time
 * before `advance` had one call site). On the f32 kernel the slowly settling steady state of the SS test
 * (k = 0.01 /h, infusion over the whole interval) is 1.5e-5 off its closed form with this rule, 2.4e-5 with Hairer's.
 */
export const STARTING_STEP = { fraction: 0.01 } as const;

export const startingStep = {
  /** The first step of a segment of length `span`. */
  apply: (span: number): number => STARTING_STEP.fraction * span,
  wgsl: (span: string): string => `${STARTING_STEP.fraction} * ${span}`,
  /** The step carried on after an event at t. */
  afterEvent: (h: number, t: number): number => Math.min(h, STARTING_STEP.fraction * Math.max(1, Math.abs(t))),
  afterEventWgsl: (h: string, t: string): string => `min(${h}, ${STARTING_STEP.fraction} * max(1.0, abs(${t})))`,
} as const;
