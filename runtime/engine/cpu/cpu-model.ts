/**
 * What the CPU integrator needs from a compiled model: the f64 functions of the emitted TS module
 * (compiler/emit/model-functions.ts lists them). The loaded module satisfies this structurally.
 */
import type { FusedStepFn } from '../../model/load-ts-module.js';

export type Vec = ArrayLike<number>;
export type Out = Float64Array | number[];

export interface CpuModel {
  readonly dims: { readonly nx: number; readonly np: number; readonly ns: number; readonly nc: number; readonly nout: number };
  initial(p: Vec, c: Vec, out: Out): void;
  initialDp(p: Vec, c: Vec, out: Out): void;
  rhs(t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  rhsDx(t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  /**
   * ∂f/∂t, nx: the Rosenbrock stepper's non-autonomous term. Optional: the emitted module has it, and without it
   * the stepper uses 0, which its W-method allows (runtime/engine/cpu/rosenbrock.ts).
   */
  rhsDt?(t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  rhsDp(t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  /** dy/dt of y = [x; S]: f + rate and (∂f/∂x) S + ∂f/∂p + rateDp, over the nonzero entries (compiler/emit/augmented-rhs.ts). */
  sensitivityRhs(t: number, y: Vec, p: Vec, c: Vec, rate: Vec, rateDp: Vec, out: Out): void;
  /**
   * One Dormand–Prince 5(4) step fused with the model, with sensitivities and for the states alone; a module has
   * them when its system is small enough (compiler/emit-ts/emit-step.ts).
   */
  explicitStep?: FusedStepFn;
  explicitStepStates?: FusedStepFn;
  predict(index: number, t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  predictDx(index: number, t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  predictDp(index: number, t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
}
