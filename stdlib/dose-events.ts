/**
 * Dose events: what kinds there are, in what order they act at one time, and how a steady state is reached — the
 * one description both back ends follow (runtime/engine/cpu/solve-trajectory.ts and the WGSL kernel,
 * compiler/emit-wgsl/kernel.ts, whose constants and convergence test come from `doseEventsWgsl`).
 *
 * | kind | from the data | what happens at the event's time τ (a dose's: data time + lag) |
 * | --- | --- | --- |
 * | dose | EVID 1 (SS 0), ADDL repeats | the dose is given: a bolus, or an infusion starts |
 * | steady state | SS = 1 | reset to the periodic steady state of this dose repeated every II, then the dose |
 * | steady state added | SS = 2 | the steady state's amounts (less the initial state) are added, then the dose |
 * | reset | EVID 3, and the reset of EVID 4 | every state to the model's initial value, S to ∂x0/∂p |
 *
 * Order at one time (after the observations whose rows come before every dose and reset row there, which see the
 * state before, the breakpoint jumps and the infusions that end): first the events that replace the state
 * (`replacesState`: resets, then SS = 1 doses), then every other dose (data doses, then the model's own); then
 * the observations whose rows follow a dose or reset row at that time (NONMEM's record order). A reset also ends the infusions that are running (their input
 * is part of the state that is discarded); doses scheduled later are still given.
 *
 * The steady state of a dose (amount F, or rate R for a duration D ≤ II) repeated every II is found apart from
 * the subject's timeline: from the initial state x0 (S0 = ∂x0/∂p), the dose is given and the system integrated
 * over one interval, again and again, until the state just before the next dose — the trough X, and with it
 * S_X = ∂X/∂p, since [x; S] are integrated together — stops changing. With δ_n the change of [x; S] over period n
 * in the solver's error norm (atol + rtol·|y| per entry, root mean square) and ρ = δ_n/δ_(n−1) the contraction per
 * period, the error left after period n is about δ_n ρ/(1 − ρ) (a geometric tail); the iteration stops when that
 * is ≤ STEADY_STATE_TOLERANCE, i.e. when the steady state is as accurate as one step of the solver. A system that
 * does not settle within STEADY_STATE_MAX_PERIODS periods fails the row (status: too many steps). The periods
 * are integrated on [τ − II, τ] with the covariates of the dose; the model's breakpoints are no stops there.
 *
 * Then, at τ: SS = 1 sets x = X and S = S_X − f(τ, X) ∂τ/∂p; SS = 2 adds X − x0 to x and S_X − S0 − f(τ, X) ∂τ/∂p to
 * S (superposition: exact for linear systems whose initial state is at rest without doses). The term in ∂τ/∂p
 * (a lag) moves the whole periodic history with the dose: x(t) = X(t − τ(p)) before it. The dose itself then
 * follows with its usual jumps.
 */

export const DoseKind = { dose: 0, steadyState: 1, steadyStateAdded: 2, reset: 3 } as const;
export type DoseKind = (typeof DoseKind)[keyof typeof DoseKind];

/**
 * What happens at one stop, in this order; both back ends run a stop by walking this list (the CPU loop in
 * runtime/engine/cpu/solve-trajectory.ts, and compiler/emit-wgsl/kernel.ts prints one piece of code per entry).
 */
export const EVENT_ORDER = [
  /** The observations whose rows come before every dose and reset row at this time: the state before. */
  'observationsBefore',
  /** The breakpoints here: S jumps by eventTime (stdlib/jump-rules.ts), x is continuous. */
  'breakpointJumps',
  /** The zero-order inputs that end here (inputEdge, end). */
  'infusionsEnding',
  /** Resets, then SS = 1 doses (`replacesState`). */
  'replacingState',
  /** Every other dose: the data's, then the model's own; boluses, and infusions that start. */
  'otherDoses',
  /** The observations whose rows follow a dose or reset row here: the state after. */
  'observationsAfter',
] as const;
export type EventPhase = (typeof EVENT_ORDER)[number];

/** Events that replace the state: they come first at their time (see the order above). */
export function replacesState(kind: number): boolean {
  return kind === DoseKind.reset || kind === DoseKind.steadyState;
}

/** Whether a kind carries a dose (a reset does not). */
export function givesDose(kind: number): boolean {
  return kind !== DoseKind.reset;
}

/** The stopping rule of the steady-state iteration, in units of the solver's error norm. */
export const STEADY_STATE_TOLERANCE = 1;
export const STEADY_STATE_MAX_PERIODS = 5000;

/**
 * Whether the iteration has converged after period `n` (1-based) with changes `delta` (this period) and `previous`
 * (the one before): the geometric tail δ ρ/(1 − ρ) is within the tolerance. Until two changes are known, or while
 * the changes do not shrink, it has not.
 */
export function steadyStateConverged(n: number, delta: number, previous: number): boolean {
  if (delta === 0) return true;
  if (n < 2 || !(delta < previous)) return false;
  const rho = delta / previous;
  return (delta * rho) / (1 - rho) <= STEADY_STATE_TOLERANCE;
}

/** The same constants and rule in WGSL, for the kernel. */
export function doseEventsWgsl(): string {
  return `// Dose event kinds and the steady-state stopping rule (stdlib/dose-events.ts).
const KIND_DOSE: u32 = ${DoseKind.dose}u;
const KIND_SS: u32 = ${DoseKind.steadyState}u;
const KIND_SS_ADDED: u32 = ${DoseKind.steadyStateAdded}u;
const KIND_RESET: u32 = ${DoseKind.reset}u;
const SS_MAX_PERIODS: u32 = ${STEADY_STATE_MAX_PERIODS}u;
fn replaces_state(kind: u32) -> bool { return kind == KIND_RESET || kind == KIND_SS; }
fn ss_converged(n: u32, delta: f32, previous: f32) -> bool {
  if (delta == 0.0) { return true; }
  if (n < 2u || !(delta < previous)) { return false; }
  let rho = delta / previous;
  return delta * rho / (1.0 - rho) <= ${STEADY_STATE_TOLERANCE.toFixed(1)};
}`;
}
