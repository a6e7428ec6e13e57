/**
 * What the trajectory loop (solve-trajectory.ts) needs from a one-step method: attempt a step, and be told when
 * it was taken or when the RHS or state changed under it. The stop/dose/breakpoint/observation handling and the
 * step-size control are shared; only the stepper differs (explicit Runge–Kutta or Rosenbrock-W).
 *
 * Contract: between two `step` calls with no `accept` or `invalidate` in between, (t, y) are the same (a
 * rejected step is retried from the same point), so a stepper may cache what it computed at that point.
 */
import type { ButcherTableau } from '../../../compiler/solvers/butcher-tableau.js';
import { ExplicitRkStepper, type Derivative } from './explicit-rk.js';

export interface Stepper {
  /** Order of the propagated solution. */
  readonly order: number;
  /** Order of the embedded solution the error estimate compares against. */
  readonly embeddedOrder: number;
  /** Attempts a step of size h from (t, y): the new solution into `yNew`, the local error estimate into `err`. */
  step(t: number, y: Float64Array, h: number, yNew: Float64Array, err: Float64Array): void;
  /** The step just attempted was taken: (t + h, yNew) is the new point. */
  accept(): void;
  /** The RHS or the state changed (a dose, a breakpoint): forget what was cached at the current point. */
  invalidate(): void;
}

/** An explicit embedded Runge–Kutta method (ExplicitRkStepper, FSAL reuse included) behind the Stepper interface. */
export class ExplicitStepper implements Stepper {
  private readonly rk: ExplicitRkStepper;

  constructor(readonly tableau: ButcherTableau, n: number, private readonly f: Derivative) {
    this.rk = new ExplicitRkStepper(tableau, n);
  }

  get order(): number {
    return this.tableau.order;
  }

  get embeddedOrder(): number {
    return this.tableau.embeddedOrder;
  }

  step(t: number, y: Float64Array, h: number, yNew: Float64Array, err: Float64Array): void {
    this.rk.step(this.f, t, y, h, yNew, err);
  }

  accept(): void {
    this.rk.accept();
  }

  invalidate(): void {
    this.rk.invalidate();
  }
}
