/**
 * One step of an explicit embedded Runge–Kutta method from a Butcher tableau, on f64 arrays. Allocation-free:
 * the workspace is created once per system size.
 */
import type { ButcherTableau } from '../../../compiler/solvers/butcher-tableau.js';

/** dy/dt = f(t, y), written into `out`. */
export type Derivative = (t: number, y: Float64Array, out: Float64Array) => void;

export class ExplicitRkStepper {
  readonly k: Float64Array[];
  private readonly stage: Float64Array;
  /** Whether k[0] holds f at the current point (FSAL reuse). */
  private firstStageValid = false;

  constructor(readonly tableau: ButcherTableau, readonly n: number) {
    this.k = tableau.c.map(() => new Float64Array(n));
    this.stage = new Float64Array(n);
  }

  /** Forget the cached first stage: the RHS changed (a dose, a breakpoint) or the state was modified. */
  invalidate(): void {
    this.firstStageValid = false;
  }

  /**
   * Attempts a step of size h from (t, y): writes the new solution to `yNew` and the error estimate to `err`.
   * Call `accept()` if the step is taken, so the FSAL stage is reused.
   */
  step(f: Derivative, t: number, y: Float64Array, h: number, yNew: Float64Array, err: Float64Array): void {
    const { a, b, bHat, c } = this.tableau;
    const k = this.k;
    const n = this.n;
    if (!this.firstStageValid) f(t, y, k[0]!);
    for (let i = 1; i < c.length; i++) {
      const row = a[i]!;
      for (let m = 0; m < n; m++) {
        let acc = 0;
        for (let j = 0; j < i; j++) acc += row[j]! * k[j]![m]!;
        this.stage[m] = y[m]! + h * acc;
      }
      f(t + c[i]! * h, this.stage, k[i]!);
    }
    for (let m = 0; m < n; m++) {
      let sol = 0;
      let e = 0;
      for (let i = 0; i < c.length; i++) {
        const km = k[i]![m]!;
        sol += b[i]! * km;
        e += (b[i]! - bHat[i]!) * km;
      }
      yNew[m] = y[m]! + h * sol;
      err[m] = h * e;
    }
  }

  /** The step was accepted: with FSAL the last stage is f at the new point. */
  accept(): void {
    if (this.tableau.fsal) {
      const last = this.k[this.k.length - 1]!;
      this.k[0]!.set(last);
      this.firstStageValid = true;
    } else {
      this.firstStageValid = false;
    }
  }
}
