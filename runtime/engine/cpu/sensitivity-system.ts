/**
 * The forward-sensitivity system: y = [x; S] with S = ∂x/∂p (nx × ns, row-major),
 *   dx/dt = f(t, x, p, c),   dS/dt = (∂f/∂x) S + ∂f/∂p,   S(0) = ∂x0/∂p.
 * Integrated together so the step-size controller also bounds the sensitivities' error.
 *
 * The derivative is evaluated at every stage of every step, so it allocates nothing: with sensitivities it is the
 * model module's `sensitivityRhs`, straight-line code over the nonzero entries of ∂f/∂x and ∂f/∂p
 * (compiler/emit/augmented-rhs.ts).
 */
import type { CpuModel } from './cpu-model.js';
import type { Derivative } from './explicit-rk.js';

export class SensitivitySystem {
  readonly size: number;
  /** Zero-order input rate into each state, added to f (infusions running now). */
  readonly inputRate: Float64Array;
  /** ∂(input rate)/∂p, nx × ns, added to dS/dt. */
  readonly inputRateDp: Float64Array;
  private readonly x0: Float64Array;
  private readonly s0: Float64Array;
  /** The subject's parameters and covariates the derivative reads (`bind`). */
  private p: Float64Array = new Float64Array(0);
  private c: Float64Array = new Float64Array(0);

  constructor(readonly model: CpuModel, readonly withSensitivities: boolean) {
    const { nx, ns } = model.dims;
    this.size = withSensitivities ? nx + nx * ns : nx;
    this.inputRate = new Float64Array(nx);
    this.inputRateDp = new Float64Array(nx * ns);
    this.x0 = new Float64Array(nx);
    this.s0 = new Float64Array(nx * ns);
  }

  /** The parameters and covariates of the trajectory the derivative is evaluated for, until the next `bind`. */
  bind(p: Float64Array, c: Float64Array): void {
    this.p = p;
    this.c = c;
  }

  /**
   * The derivative of the augmented state, for the bound parameters and covariates (given here, they are bound
   * first). The model functions read x from the first nx entries of y (they index x only below nx).
   */
  derivative(p?: Float64Array, c?: Float64Array): Derivative {
    if (p && c) this.bind(p, c);
    const m = this.model;
    const { inputRate, inputRateDp } = this;
    const nx = m.dims.nx;
    if (!this.withSensitivities) {
      return (t, y, out) => {
        m.rhs(t, y, this.p, this.c, out);
        for (let i = 0; i < nx; i++) out[i] = out[i]! + inputRate[i]!;
      };
    }
    return (t, y, out) => m.sensitivityRhs(t, y, this.p, this.c, inputRate, inputRateDp, out);
  }

  /** y(0) = [x0(p, c); ∂x0/∂p]. */
  initialState(p: Float64Array, c: Float64Array, y: Float64Array): void {
    this.model.initial(p, c, this.x0);
    y.set(this.x0);
    if (this.withSensitivities) {
      this.model.initialDp(p, c, this.s0);
      y.set(this.s0, this.x0.length);
    }
  }
}
