/**
 * Empirical order of convergence (Diffrax's test): integrate with a fixed step h = T/N for several N and fit the
 * slope of log(global error) against log(h). Dormand–Prince 5(4) should show ≈ 5, ROS34PW2 ≈ 3, and ROS34PW2 must
 * keep order 3 with a wrong Jacobian and no ∂f/∂t (it is a W-method: that is what allows the engine's
 * approximations of the sensitivity system's Jacobian). Also on a compiled model's forward-sensitivity system
 * y = [x; S], with both ways of coupling the sensitivity blocks.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dormandPrince5 } from '../../compiler/solvers/butcher-tableau.js';
import { ros34pw2 } from '../../compiler/solvers/rosenbrock-tableau.js';
import { compile } from '../../compiler/pipeline.js';
import { loadTsModel } from '../../runtime/model/load-ts-module.js';
import type { Derivative } from '../../runtime/engine/cpu/explicit-rk.js';
import { modelJacobian, RosenbrockStepper, sensitivityLayout, type Coupling, type JacobianFn } from '../../runtime/engine/cpu/rosenbrock.js';
import { SensitivitySystem } from '../../runtime/engine/cpu/sensitivity-system.js';
import { ExplicitStepper, type Stepper } from '../../runtime/engine/cpu/stepper.js';

/** y(T) by N fixed steps from y(0) = y0. */
function fixedSteps(stepper: Stepper, y0: Float64Array, T: number, N: number): Float64Array {
  let y = Float64Array.from(y0);
  let yNew = new Float64Array(y0.length);
  const err = new Float64Array(y0.length);
  const h = T / N;
  for (let i = 0; i < N; i++) {
    stepper.step(i * h, y, h, yNew, err);
    stepper.accept();
    [y, yNew] = [yNew, y];
  }
  return y;
}

/** Least-squares slope of log(error) against log(h). */
function empiricalOrder(hs: readonly number[], errors: readonly number[]): number {
  const x = hs.map(Math.log);
  const y = errors.map(Math.log);
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let num = 0;
  let den = 0;
  x.forEach((xi, i) => {
    num += (xi - mx) * (y[i]! - my);
    den += (xi - mx) ** 2;
  });
  return num / den;
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

/**
 * A nonlinear, non-autonomous test problem with a closed form: y1' = −2t y1² (y1 = 1/(1 + t²)), and the rotation
 * y2' = −y3, y3' = y2 (y2 = cos t, y3 = sin t).
 */
const f: Derivative = (t, y, out) => {
  out[0] = -2 * t * y[0]! ** 2;
  out[1] = -y[2]!;
  out[2] = y[1]!;
};
const exactJacobian: JacobianFn = (t, y, J, w) => {
  J.fill(0);
  J[0] = -4 * t * y[0]!;
  J[1 * 3 + 2] = -1;
  J[2 * 3 + 1] = 1;
  w.fill(0);
  w[0] = -2 * y[0]! ** 2;
};
/** A deliberately wrong W (scaled, with spurious couplings) and no ∂f/∂t. */
const wrongJacobian: JacobianFn = (t, y, J, w) => {
  exactJacobian(t, y, J, w);
  for (let i = 0; i < 9; i++) J[i] = 0.5 * J[i]! + 0.3 * Math.sin(1 + i);
  w.fill(0);
};
const T = 2;
const y0 = new Float64Array([1, 1, 0]);
const exact = new Float64Array([1 / (1 + T * T), Math.cos(T), Math.sin(T)]);
const layout3 = { nx: 3, blocks: [{ offset: 0, width: 1 }] };

function orderOf(makeStepper: () => Stepper, Ns: readonly number[], solution: Float64Array, yStart: Float64Array, span: number): { order: number; errors: number[] } {
  const errors = Ns.map((N) => maxAbsDiff(fixedSteps(makeStepper(), yStart, span, N), solution));
  return { order: empiricalOrder(Ns.map((N) => span / N), errors), errors };
}

describe('empirical order of convergence (fixed steps)', () => {
  it('Dormand–Prince 5(4) converges with order ≈ 5', () => {
    const { order, errors } = orderOf(() => new ExplicitStepper(dormandPrince5, 3, f), [16, 32, 64, 128], exact, y0, T);
    expect(errors[errors.length - 1]!).toBeGreaterThan(1e-14); // still above rounding
    expect(order).toBeGreaterThan(4.6);
    expect(order).toBeLessThan(5.6);
  });

  it('ROS34PW2 converges with order ≈ 3 with the exact Jacobian and ∂f/∂t', () => {
    const { order } = orderOf(() => new RosenbrockStepper(ros34pw2, layout3, f, exactJacobian), [16, 32, 64, 128], exact, y0, T);
    expect(order).toBeGreaterThan(2.75);
    expect(order).toBeLessThan(3.4);
  });

  it('ROS34PW2 keeps order 3 with a wrong Jacobian and ∂f/∂t = 0 (W-method)', () => {
    // Pre-asymptotic at coarse steps (the local slope falls from 4 to 3 between N = 16 and 128): start at N = 64.
    const { order } = orderOf(() => new RosenbrockStepper(ros34pw2, layout3, f, wrongJacobian), [64, 128, 256, 512], exact, y0, T);
    expect(order).toBeGreaterThan(2.75);
    expect(order).toBeLessThan(3.4);
  });

  describe('on the forward-sensitivity system of the compiled pk model', async () => {
    const r = compile(readFileSync(new URL('../../examples/pk/pk.nlm', import.meta.url), 'utf8'), { emit: ['ts'] });
    const model = await loadTsModel(r.artifacts.ts!);
    const [th1, th2] = [0.5, 2];
    const p = new Float64Array([th1, th2]);
    const c = new Float64Array(0);
    const system = new SensitivitySystem(model, true);
    const rhs = system.derivative(p, c);
    const start = new Float64Array(system.size);
    system.initialState(p, c, start);
    const span = 3;
    // Closed form: X1 and X2 for X(0) = (2, 3), and their derivatives in θ1, θ2 (analytic).
    const e1 = Math.exp(-th1 * span);
    const e2 = Math.exp(-th2 * span);
    const K = (3 * th2) / (th1 - th2);
    const X1 = 2 * e1 + K * (e2 - e1);
    const X2 = 3 * e2;
    const dK1 = (-3 * th2) / (th1 - th2) ** 2;
    const dK2 = (3 * th1) / (th1 - th2) ** 2;
    const dX1d1 = -2 * span * e1 + dK1 * (e2 - e1) + K * span * e1;
    const dX1d2 = dK2 * (e2 - e1) - K * span * e2;
    const dX2d2 = -3 * span * e2;
    // y = [X1, X2, S11, S12, S21, S22] with S row-major nx × ns.
    const solution = new Float64Array([X1, X2, dX1d1, dX1d2, 0, dX2d2]);

    it('Dormand–Prince: order ≈ 5 for states and sensitivities', () => {
      const { order } = orderOf(() => new ExplicitStepper(dormandPrince5, system.size, rhs), [12, 24, 48, 96], solution, start, span);
      expect(order).toBeGreaterThan(4.6);
      expect(order).toBeLessThan(5.6);
    });

    for (const coupling of ['diagonal', 'lower'] as Coupling[]) {
      it(`ROS34PW2 with ${coupling} coupling: order ≈ 3 for states and sensitivities`, () => {
        const make = () => new RosenbrockStepper(ros34pw2, sensitivityLayout(2, 2, true), rhs, modelJacobian(model, p, c), coupling);
        const { order, errors } = orderOf(make, [12, 24, 48, 96], solution, start, span);
        expect(errors[errors.length - 1]!).toBeGreaterThan(1e-11);
        expect(order).toBeGreaterThan(2.75);
        expect(order).toBeLessThan(3.4);
      });
    }
  });
});
