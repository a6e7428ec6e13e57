/**
 * The Rosenbrock-W path (ROS34PW2) of the f64 CPU integrator on stiff models: the tgfb example against a
 * tight-tolerance Dormand–Prince reference (predictions and sensitivities), Robertson's chemical kinetics where the
 * explicit method runs out of steps, and forward sensitivities against central finite differences in p.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { loadTsModel, type TsModelModule } from '../../runtime/model/load-ts-module.js';
import { defaultSolverOptions, solveTrajectory, type SolverOptions, type TrajectoryInput } from '../../runtime/engine/cpu/solve-trajectory.js';
import type { Coupling } from '../../runtime/engine/cpu/rosenbrock.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';

async function load(source: string): Promise<{ model: TsModelModule; p: Float64Array }> {
  const r = compile(source, { emit: ['ts'] });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const model = await loadTsModel(r.artifacts.ts!);
  // Parameters at their declared initial values, in the module's names order.
  const p = new Float64Array(r.ir!.parameters.map((q) => q.initial));
  return { model, p };
}

const couplings: Coupling[] = ['diagonal', 'lower'];

/**
 * Central differences of the predictions in each sensitivity parameter (relative step 1e-4), against the
 * forward sensitivities of the same solver settings.
 */
function worstFiniteDifferenceError(model: TsModelModule, input: TrajectoryInput, options: SolverOptions): number {
  const base = solveTrajectory(model, input, options);
  expect(base.status).toBe(TrajectoryStatus.Ok);
  const ns = model.dims.ns;
  let worst = 0;
  model.names.sensitivityParameters.forEach((name, k) => {
    const i = model.names.parameters.indexOf(name);
    const d = 1e-4 * Math.abs(input.p[i]!);
    const at = (delta: number) => {
      const p = Float64Array.from(input.p);
      p[i] = p[i]! + delta;
      return solveTrajectory(model, { ...input, p }, options).predictions;
    };
    const up = at(d);
    const down = at(-d);
    for (let j = 0; j < input.times.length; j++) {
      const fd = (up[j]! - down[j]!) / (2 * d);
      const g = base.gradients[j * ns + k]!;
      worst = Math.max(worst, Math.abs(g - fd) / Math.max(Math.abs(fd), 1e-12));
    }
  });
  return worst;
}

describe('Rosenbrock-W (ROS34PW2) on the tgfb example', async () => {
  const { model, p } = await load(readFileSync(new URL('../../examples/tgfb/tgfb.nlm', import.meta.url), 'utf8'));
  // The design of seed 001 §3.3: 20 observations of log10 a over 0–400 days.
  const times = Array.from({ length: 20 }, (_, j) => (400 * j) / 19);
  const input: TrajectoryInput = { p, c: new Float64Array(0), times, outputs: times.map(() => 0), doses: [], breakpoints: [] };
  const reference = solveTrajectory(model, input, { ...defaultSolverOptions, rtol: 1e-11, atol: 1e-14, maxSteps: 1e6 });
  const ns = model.dims.ns;

  it('the reference (Dormand–Prince at rtol 1e-11) succeeds', () => {
    expect(reference.status).toBe(TrajectoryStatus.Ok);
    expect(typeof (model as { rhsDt?: unknown }).rhsDt).toBe('function'); // so w = ∂f/∂t is used
  });

  for (const coupling of couplings) {
    it(`at rtol 1e-6, atol 1e-9 (${coupling} coupling) it matches the reference: predictions and sensitivities`, () => {
      const res = solveTrajectory(model, input, { ...defaultSolverOptions, rtol: 1e-6, atol: 1e-9, method: 'rosenbrock', rosenbrockCoupling: coupling });
      expect(res.status).toBe(TrajectoryStatus.Ok);
      let worstPrediction = 0;
      let worstGradient = 0;
      for (let j = 0; j < times.length; j++) {
        worstPrediction = Math.max(worstPrediction, Math.abs(res.predictions[j]! - reference.predictions[j]!));
        for (let k = 0; k < ns; k++) {
          const g = reference.gradients[j * ns + k]!;
          worstGradient = Math.max(worstGradient, Math.abs(res.gradients[j * ns + k]! - g) / Math.max(Math.abs(g), 1));
        }
      }
      // log10 a to 2e-6 (a to ≈ 5e-6 relative) and ∂log10 a/∂p to 5e-5 relative (absolute below 1). Measured:
      // 7e-8 and 2e-6 (diagonal, 736 steps), 2e-7 and 8e-7 (lower, 426 steps); the reference takes 6636.
      expect(worstPrediction).toBeLessThan(2e-6);
      expect(worstGradient).toBeLessThan(5e-5);
    });
  }

  for (const coupling of couplings) {
    it(`sensitivities agree with central finite differences to 1e-5 at rtol 1e-9 (${coupling} coupling)`, () => {
      const worst = worstFiniteDifferenceError(model, input, { ...defaultSolverOptions, rtol: 1e-9, atol: 1e-12, method: 'rosenbrock', rosenbrockCoupling: coupling });
      expect(worst).toBeLessThan(1e-5);
    });
  }
});

/** Robertson's chemical kinetics (Hairer & Wanner II, §IV.1): rate constants spanning 9 orders of magnitude. */
const robertson = `model robertson
parameters {
  k1 = 0.04
  k2 = 3e7
  k3 = 1e4
}
states {
  y1(0) = 1
  y2(0) = 0
  y3(0) = 0
}
ode {
  d/dt y1 = -k1 * y1 + k3 * y2 * y3
  d/dt y2 = k1 * y1 - k3 * y2 * y3 - k2 * y2^2
  d/dt y3 = k2 * y2^2
}
observe {
  A ~ normal(y1, sd = s)
  B ~ normal(1e4 * y2, sd = s)
}
error { s = 0.01 }
`;

describe('Rosenbrock-W (ROS34PW2) on Robertson’s stiff chemical kinetics', async () => {
  const { model, p } = await load(robertson);
  const grid = [0.4, 4, 40, 400, 4000, 40000];
  const times = grid.flatMap((t) => [t, t]);
  const outputs = times.map((_, j) => j % 2);
  const input: TrajectoryInput = { p, c: new Float64Array(0), times, outputs, doses: [], breakpoints: [] };

  it('the explicit method exhausts a 50 000-step budget (and returns), the Rosenbrock method needs over 25× fewer', () => {
    const budget = 50_000;
    const explicit = solveTrajectory(model, input, { ...defaultSolverOptions, rtol: 1e-6, atol: 1e-10, maxSteps: budget });
    expect([TrajectoryStatus.MaxSteps, TrajectoryStatus.StepTooSmall]).toContain(explicit.status);
    expect(explicit.predictions.every(Number.isNaN)).toBe(true);
    for (const coupling of couplings) {
      const res = solveTrajectory(model, input, { ...defaultSolverOptions, rtol: 1e-6, atol: 1e-10, maxSteps: budget, method: 'rosenbrock', rosenbrockCoupling: coupling });
      // Measured: 1373 steps (diagonal), 472 (lower); the explicit method would need millions (stability-bound h ≈ 3e-4).
      expect(res.status).toBe(TrajectoryStatus.Ok);
      expect((res.acceptedSteps + res.rejectedSteps) * 25).toBeLessThan(explicit.acceptedSteps + explicit.rejectedSteps);
    }
  });

  it('matches a tight Rosenbrock reference, which matches the published y(40)', () => {
    const reference = solveTrajectory(model, input, { ...defaultSolverOptions, rtol: 1e-10, atol: 1e-16, maxSteps: 1e6, method: 'rosenbrock', rosenbrockCoupling: 'lower' });
    expect(reference.status).toBe(TrajectoryStatus.Ok);
    // y(40) = (0.7158270687194, 9.185534764558e-6, 0.2841637457458): the reference solution of Hairer & Wanner II
    // §IV.1 (0.7158271, 9.185535e-6, 0.2841637), as tabulated to more digits by several public test suites.
    expect(Math.abs(reference.predictions[4]! - 0.7158270687194)).toBeLessThan(1e-9);
    expect(Math.abs(reference.predictions[5]! - 1e4 * 9.185534764558e-6)).toBeLessThan(1e-9);
    const ns = model.dims.ns;
    for (const coupling of couplings) {
      const res = solveTrajectory(model, input, { ...defaultSolverOptions, rtol: 1e-6, atol: 1e-10, method: 'rosenbrock', rosenbrockCoupling: coupling });
      // Each gradient relative to the largest of its (output, parameter) column: ∂y/∂k2 is ~1e-11 and below
      // atol, so it is controlled in that sense only.
      const columnScale = (o: number, k: number): number => Math.max(...times.map((_, j) => (input.outputs[j] === o ? Math.abs(reference.gradients[j * ns + k]!) : 0)));
      let worstP = 0;
      let worstG = 0;
      for (let j = 0; j < times.length; j++) {
        worstP = Math.max(worstP, Math.abs(res.predictions[j]! - reference.predictions[j]!) / Math.abs(reference.predictions[j]!));
        for (let k = 0; k < ns; k++) {
          const g = reference.gradients[j * ns + k]!;
          worstG = Math.max(worstG, Math.abs(res.gradients[j * ns + k]! - g) / columnScale(input.outputs[j]!, k));
        }
      }
      expect(worstP).toBeLessThan(1e-5);
      expect(worstG).toBeLessThan(1e-4);
    }
  });

  it('sensitivities agree with central finite differences to 1e-5 at rtol 1e-9 (lower coupling)', () => {
    // Up to t = 400, and only 'lower': at rtol 1e-9 the diagonal coupling needs ~10× more steps on this problem.
    const short: TrajectoryInput = { ...input, times: times.slice(0, 8), outputs: outputs.slice(0, 8) };
    const worst = worstFiniteDifferenceError(model, short, { ...defaultSolverOptions, rtol: 1e-9, atol: 1e-14, method: 'rosenbrock', rosenbrockCoupling: 'lower' });
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('Rosenbrock-W (ROS34PW2) with doses', async () => {
  const { model } = await load(`model oral
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
`);
  /** Concentration after boluses D_k at times τ_k, and its derivative in ka (analytic). */
  const bateman = (t: number, ka: number, ke: number, V: number, doses: [number, number][]): number =>
    doses.reduce((acc, [tau, D]) => (t < tau ? acc : acc + ((D * ka) / (V * (ka - ke))) * (Math.exp(-ke * (t - tau)) - Math.exp(-ka * (t - tau)))), 0);

  it('matches the Bateman function and its ka-derivative across boluses (one at an observation time)', () => {
    const [ka, ke, V] = [1.2, 0.15, 20];
    const doses: [number, number][] = [[0, 100], [12, 100], [13, 50], [24, 100]];
    const times = [0.5, 1, 6, 12, 12.5, 13, 18, 24, 30];
    for (const coupling of couplings) {
      const res = solveTrajectory(model, {
        p: new Float64Array([ka, ke, V]), c: new Float64Array(0), times, outputs: times.map(() => 0), breakpoints: [],
        doses: doses.map(([time, amount]) => ({ time, amount, target: 0 })),
      }, { ...defaultSolverOptions, rtol: 1e-10, atol: 1e-12, method: 'rosenbrock', rosenbrockCoupling: coupling });
      expect(res.status).toBe(TrajectoryStatus.Ok);
      times.forEach((t, j) => {
        // The observation at a dose time sees the pre-dose state.
        const given = doses.filter(([tau]) => tau < t || (tau === t && tau === 0));
        const exact = bateman(t, ka, ke, V, given);
        expect(Math.abs(res.predictions[j]! - exact)).toBeLessThan(1e-7 * Math.max(1, exact));
        const h = 1e-6;
        const dka = (bateman(t, ka + h, ke, V, given) - bateman(t, ka - h, ke, V, given)) / (2 * h);
        expect(Math.abs(res.gradients[j * 3]! - dka)).toBeLessThan(1e-6 * Math.max(1, Math.abs(dka)));
      });
    }
  });
});
