/**
 * What the CPU integrator needs from a compiled model: the f64 functions of the emitted TS module
 * (compiler/emit/model-functions.ts lists them). The loaded module satisfies this structurally.
 */
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
  predict(index: number, t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  predictDx(index: number, t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
  predictDp(index: number, t: number, x: Vec, p: Vec, c: Vec, out: Out): void;
}
