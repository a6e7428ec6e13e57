/**
 * The forward-sensitivity system: y = [x; S] with S = ∂x/∂p (nx × ns, row-major),
 *   dx/dt = f(t, x, p, c),   dS/dt = (∂f/∂x) S + ∂f/∂p,   S(0) = ∂x0/∂p.
 * Integrated together so the step-size controller also bounds the sensitivities' error.
 */
import type { CpuModel } from './cpu-model.js';
import type { Derivative } from './explicit-rk.js';

export class SensitivitySystem {
  readonly size: number;
  /** Zero-order input rate into each state, added to f (infusions running now). */
  readonly inputRate: Float64Array;
  /** ∂(input rate)/∂p, nx × ns, added to dS/dt. */
  readonly inputRateDp: Float64Array;
  private readonly jx: Float64Array;
  private readonly jp: Float64Array;

  constructor(readonly model: CpuModel, readonly withSensitivities: boolean) {
    const { nx, ns } = model.dims;
    this.size = withSensitivities ? nx + nx * ns : nx;
    this.jx = new Float64Array(nx * nx);
    this.jp = new Float64Array(nx * ns);
    this.inputRate = new Float64Array(nx);
    this.inputRateDp = new Float64Array(nx * ns);
  }

  /** The derivative of the augmented state for one subject's parameters and covariates. */
  derivative(p: Float64Array, c: Float64Array): Derivative {
    const { nx, ns } = this.model.dims;
    const m = this.model;
    const x = new Float64Array(nx);
    const fx = new Float64Array(nx);
    return (t, y, out) => {
      for (let i = 0; i < nx; i++) x[i] = y[i]!;
      m.rhs(t, x, p, c, fx);
      for (let i = 0; i < nx; i++) out[i] = fx[i]! + this.inputRate[i]!;
      if (!this.withSensitivities) return;
      m.rhsDx(t, x, p, c, this.jx);
      m.rhsDp(t, x, p, c, this.jp);
      for (let i = 0; i < nx; i++) {
        for (let k = 0; k < ns; k++) {
          let acc = this.jp[i * ns + k]! + this.inputRateDp[i * ns + k]!;
          for (let j = 0; j < nx; j++) acc += this.jx[i * nx + j]! * y[nx + j * ns + k]!;
          out[nx + i * ns + k] = acc;
        }
      }
    };
  }

  /** y(0) = [x0(p, c); ∂x0/∂p]. */
  initialState(p: Float64Array, c: Float64Array, y: Float64Array): void {
    const { nx, ns } = this.model.dims;
    const x0 = new Float64Array(nx);
    this.model.initial(p, c, x0);
    y.set(x0);
    if (this.withSensitivities) {
      const s0 = new Float64Array(nx * ns);
      this.model.initialDp(p, c, s0);
      y.set(s0, nx);
    }
  }
}
