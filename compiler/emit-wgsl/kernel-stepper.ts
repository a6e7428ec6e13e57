/** Pieces shared by the kernel and its two steppers. */
import type { ButcherTableau } from '../solvers/butcher-tableau.js';
import type { RosenbrockTableau } from '../solvers/rosenbrock-tableau.js';

/** A WGSL float literal. */
export const lit = (v: number): string => {
  const s = String(v);
  return /[.e]/.test(s) ? s : `${s}.0`;
};


/** The integration method the kernel is generated for: an explicit tableau or a Rosenbrock-W tableau. */
export type KernelMethod = ButcherTableau | RosenbrockTableau;

export function isRosenbrockTableau(m: KernelMethod): m is RosenbrockTableau {
  return 'gamma' in m;
}


/**
 * The method-specific part of the kernel. Contract with the shared stop loop: at `attempt`, (t, y) is the current
 * point, hs the step to try and tleft the last f32 before the stop (stages reaching the stop are evaluated there);
 * the code writes the proposed solution to yn and the local error estimate to en, and `norm` is the scaled error
 * (> 3e38 or NaN: the step failed, retry smaller). `segmentStart` runs where a new segment begins (after doses or
 * a breakpoint: the state or the RHS changed), `onAccept` after (t, y) moved to the accepted point.
 */
export interface StepperCode {
  /** Module-scope WGSL (helper functions), emitted once; '' for none. */
  readonly helpers: string;
  /** Per-row variables, declared in main. */
  readonly declarations: string;
  readonly segmentStart: string;
  readonly attempt: string;
  readonly norm: string;
  readonly onAccept: string;
  /** min(order, embedded order) + 1: the exponent of the step-size controller. */
  readonly q: number;
}
