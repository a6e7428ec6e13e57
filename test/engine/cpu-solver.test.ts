/**
 * The f64 CPU integrator against closed-form solutions: the pk model (seed 001 §3.1) and its exact parameter
 * derivatives, and a one-compartment oral model with bolus doses (including a dose at an observation time and
 * a parameter-dependent dose time).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { loadTsModel } from '../../runtime/model/load-ts-module.js';
import { solveTrajectory, defaultSolverOptions } from '../../runtime/engine/cpu/solve-trajectory.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';

async function load(source: string) {
  const r = compile(source, { emit: ['ts'] });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return loadTsModel(r.artifacts.ts!);
}

/** X1(t) for the pk model: X1' = θ2 X2 − θ1 X1, X2' = −θ2 X2, X(0) = (2, 3). */
function pkX1(t: number, th1: number, th2: number): number {
  return 2 * Math.exp(-th1 * t) + ((3 * th2) / (th1 - th2)) * (Math.exp(-th2 * t) - Math.exp(-th1 * t));
}

const relErr = (a: number, b: number): number => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);

describe('CPU solver (Dormand–Prince 5(4), f64)', () => {
  it('matches the pk closed form and its exact derivatives to 1e-7', async () => {
    const model = await load(readFileSync(new URL('../../examples/pk/pk.nlm', import.meta.url), 'utf8'));
    const times = [0, 0.2, 0.7, 2.5, 5, 10];
    for (const [th1, th2] of [[0.5, 2], [1.3, 0.4], [0.2, 3.1]] as const) {
      const res = solveTrajectory(model, { p: new Float64Array([th1, th2]), c: new Float64Array(0), times, outputs: times.map(() => 0), doses: [], breakpoints: [] }, { ...defaultSolverOptions, rtol: 1e-10, atol: 1e-12 });
      expect(res.status).toBe(TrajectoryStatus.Ok);
      times.forEach((t, j) => {
        expect(relErr(res.predictions[j]!, pkX1(t, th1, th2))).toBeLessThan(1e-7);
        // Exact derivatives of the closed form, by complex-free central differences at a tiny step on the formula.
        const h = 1e-6;
        const d1 = (pkX1(t, th1 + h, th2) - pkX1(t, th1 - h, th2)) / (2 * h);
        const d2 = (pkX1(t, th1, th2 + h) - pkX1(t, th1, th2 - h)) / (2 * h);
        expect(Math.abs(res.gradients[j * 2]! - d1)).toBeLessThan(1e-7 * Math.max(1, Math.abs(d1)));
        expect(Math.abs(res.gradients[j * 2 + 1]! - d2)).toBeLessThan(1e-7 * Math.max(1, Math.abs(d2)));
      });
    }
  });

  const oral = `model oral
parameters {
  ka = 1.2 lognormal(omega = 0.3)
  ke = 0.15 lognormal
  V = 20 lognormal
}
states { depot  central }
dosing { input oral -> depot }
ode {
  d/dt depot = -ka * depot
  d/dt central = ka * depot - ke * central
}
observe { conc ~ normal(central / V, sd = sigma) }
error { sigma = 0.1 }
`;
  /** Concentration after boluses D_k at times τ_k (superposition of the Bateman function). */
  const bateman = (t: number, ka: number, ke: number, V: number, doses: [number, number][]): number =>
    doses.reduce((acc, [tau, D]) => (t < tau ? acc : acc + ((D * ka) / (V * (ka - ke))) * (Math.exp(-ke * (t - tau)) - Math.exp(-ka * (t - tau)))), 0);

  it('handles several boluses, a dose at an observation time (pre-dose state seen), and matches Bateman', async () => {
    const model = await load(oral);
    const p = new Float64Array([1.2, 0.15, 20]);
    const doses: [number, number][] = [[0, 100], [12, 100], [13, 50], [24, 100]];
    const times = [0.5, 1, 6, 12, 12.5, 13, 18, 24, 30];
    const res = solveTrajectory(model, {
      p, c: new Float64Array(0), times, outputs: times.map(() => 0), breakpoints: [],
      doses: doses.map(([time, amount]) => ({ time, amount, target: 0 })),
    }, { ...defaultSolverOptions, rtol: 1e-10, atol: 1e-12 });
    expect(res.status).toBe(TrajectoryStatus.Ok);
    times.forEach((t, j) => {
      // At t = 12 and t = 24 the observation precedes the dose given at the same time.
      const given = doses.filter(([tau]) => tau < t || (tau === t && tau === 0));
      expect(relErr(res.predictions[j]!, bateman(t, 1.2, 0.15, 20, given))).toBeLessThan(1e-7);
    });
  });

  it('moves the sensitivities at a dose whose time depends on a parameter', async () => {
    const model = await load(oral);
    const p = new Float64Array([1.2, 0.15, 20]);
    const tlag = 2;
    const times = [1, 3, 5, 8];
    // A dose at time 2 whose time depends on ka with ∂τ/∂ka = 1 (a stand-in for a lag time): compare with FD in τ.
    const run = (tau: number) => solveTrajectory(model, {
      p, c: new Float64Array(0), times, outputs: times.map(() => 0), breakpoints: [],
      doses: [{ time: tau, amount: 100, target: 0, dTime: [1, 0, 0] }],
    }, { ...defaultSolverOptions, rtol: 1e-11, atol: 1e-13 });
    const base = run(tlag);
    const plain = solveTrajectory(model, { p, c: new Float64Array(0), times, outputs: times.map(() => 0), breakpoints: [], doses: [{ time: tlag, amount: 100, target: 0 }] }, { ...defaultSolverOptions, rtol: 1e-11, atol: 1e-13 });
    const h = 1e-5;
    const up = run(tlag + h);
    const down = run(tlag - h);
    times.forEach((t, j) => {
      if (t < tlag) return;
      const dTau = (up.predictions[j]! - down.predictions[j]!) / (2 * h);
      const jumpPart = base.gradients[j * 3]! - plain.gradients[j * 3]!;
      expect(Math.abs(jumpPart - dTau)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dTau)));
    });
  });

  it('reports a non-finite state per trajectory instead of throwing', async () => {
    const model = await load(`model blowup
parameters { k = 1 }
states { X(0) = 1 }
ode { d/dt X = k * X^2 }
observe { y ~ normal(X, sd = s) }
error { s = 1 }
`);
    const res = solveTrajectory(model, { p: new Float64Array([1]), c: new Float64Array(0), times: [0.5, 2], outputs: [0, 0], doses: [], breakpoints: [] });
    expect(res.status).not.toBe(TrajectoryStatus.Ok);
    expect(Number.isNaN(res.predictions[1]!)).toBe(true);
  });
});
