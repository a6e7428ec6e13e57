/**
 * Sensitivities across a breakpoint whose time is an estimated parameter: S jumps by (f(τ⁻) − f(τ⁺)) ∂τ/∂p, on
 * both back ends and both methods, against the closed form and central finite differences of the trajectory itself (predictions
 * and the fused log-likelihood).
 */
import { describe, expect, it } from 'vitest';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import type { Engine, Rows, SolverSettings } from '../../runtime/engine/engine.js';
import type { EngineData } from '../../runtime/engine/engine-data.js';
import type { PreparedModel } from '../../runtime/engine/prepared-model.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { createWebGpuEngine } from '../../runtime/engine/webgpu/webgpu-engine.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { packSubjects, prepareSource, subject } from './engine-fixture.js';

const gpu = await useGpu();

const tight: SolverSettings = { rtol: 1e-10, atol: 1e-12, maxSteps: 100_000 };
const loose: SolverSettings = { rtol: 1e-6, atol: 1e-9, maxSteps: 100_000 };

/** The model: X grows at rate k until T, then stays. ∂X/∂T = k after T. */
const step = `model step
parameters {
  k = 2
  T = 1.5
}
states { X }
ode {
  d/dt X = piecewise(t < T: k, otherwise: 0)
}
observe { y ~ normal(X, sd = 0.1) }
`;

/** A moving switch inside a system with feedback, with a dose too: no closed form, finite differences decide. */
const feedback = `model feedback
parameters {
  ka = 1.2
  ke = 0.3
  T = 2.5
  R = 4
}
states { A, C }
ode {
  d/dt A = piecewise(t < T: R, otherwise: 0) - ka * A
  d/dt C = ka * A - piecewise(t >= T: 2 * ke, otherwise: ke) * C
}
dosing { dose 5 -> C at 1 }
observe { y ~ normal(C, sd = 0.2) }
`;

/** Both back ends, each with the explicit method and with the Rosenbrock-W method (the stop loop is shared). */
async function engines(source: string, data: EngineData): Promise<{ name: string; engine: Engine; tol: number }[]> {
  const out: { name: string; engine: Engine; tol: number }[] = [];
  for (const method of ['explicit', 'rosenbrock'] as const) {
    const model = await prepareSource(source, { method });
    out.push({ name: `cpu ${method}`, engine: createCpuEngine(model, data, { ...tight, method }), tol: method === 'explicit' ? 1e-6 : 1e-5 });
    if (gpu) out.push({ name: `webgpu ${method}`, engine: await createWebGpuEngine(model, data, { ...loose, method }, gpu.device, gpu.adapterInfo), tol: 2e-3 });
  }
  return out;
}

/** Central differences of the f64 CPU predictions and log-likelihood in each parameter. */
async function finiteDifferences(model: PreparedModel, data: EngineData, p: number[], e: Float64Array): Promise<{ pred: number[][]; ll: number[] }> {
  const cpu = createCpuEngine(model, data, tight);
  const pred: number[][] = [];
  const ll: number[] = [];
  for (let k = 0; k < p.length; k++) {
    const h = 1e-5 * Math.max(1, Math.abs(p[k]!));
    const at = (d: number): Rows => ({ subject: new Int32Array([0]), p: Float64Array.from(p.map((v, q) => (q === k ? v + d : v))) });
    const [sp, sm] = [await cpu.simulate(at(h)), await cpu.simulate(at(-h))];
    pred.push(Array.from(sp.predictions, (v, j) => (v - sm.predictions[j]!) / (2 * h)));
    const [lp, lm] = [await cpu.logLikelihood(at(h), e), await cpu.logLikelihood(at(-h), e)];
    ll.push((lp.logLik[0]! - lm.logLik[0]!) / (2 * h));
  }
  return { pred, ll };
}

describe('sensitivities at a breakpoint that moves with a parameter', () => {
  it('d/dt X = piecewise(t < T: k, otherwise: 0): ∂X/∂T = k after T, 0 before, on every back end', async () => {
    const times = [0.5, 1, 2, 3, 6];
    const data = packSubjects([subject(times)], 0);
    const [k, T] = [2, 1.5];
    const rows: Rows = { subject: new Int32Array([0]), p: Float64Array.from([k, T]) };
    for (const { name, engine, tol } of await engines(step, data)) {
      const res = await engine.simulate(rows);
      expect(res.status[0], name).toBe(TrajectoryStatus.Ok);
      times.forEach((t, j) => {
        expect(res.predictions[j]!, `${name} X(${t})`).toBeCloseTo(k * Math.min(t, T), 4);
        expect(Math.abs(res.gradients[j * 2]! - Math.min(t, T)), `${name} ∂X/∂k at ${t}`).toBeLessThan(tol * 10);
        expect(Math.abs(res.gradients[j * 2 + 1]! - (t > T ? k : 0)), `${name} ∂X/∂T at ${t}`).toBeLessThan(tol * 10);
      });
      engine.dispose();
    }
  });

  it('a moving switch in a system with feedback and a dose: predictions and the fused likelihood match finite differences', async () => {
    const model = await prepareSource(feedback);
    const times = [0.5, 1, 2, 2.4, 3, 4, 7, 12];
    const values = [1.9, 4.1, 6.3, 6.2, 6.9, 6.4, 4.2, 1.4];
    const data = packSubjects([subject(times, { obsValues: values })], 0);
    const p = [1.2, 0.3, 2.5, 4];
    const e = Float64Array.from([0.2]);
    const fd = await finiteDifferences(model, data, p, e);
    // The T column is not zero: the check can tell a missing jump.
    expect(Math.max(...fd.pred[2]!.map(Math.abs))).toBeGreaterThan(0.5);
    const rows: Rows = { subject: new Int32Array([0]), p: Float64Array.from(p) };
    for (const { name, engine, tol } of await engines(feedback, data)) {
      const sim = await engine.simulate(rows);
      const lik = await engine.logLikelihood(rows, e);
      expect(sim.status[0], name).toBe(TrajectoryStatus.Ok);
      for (let k = 0; k < p.length; k++) {
        times.forEach((t, j) => {
          const want = fd.pred[k]![j]!;
          expect(Math.abs(sim.gradients[j * p.length + k]! - want), `${name} ∂y(${t})/∂p${k}`).toBeLessThan(tol * 10 * Math.max(1, Math.abs(want)));
        });
        const want = fd.ll[k]!;
        expect(Math.abs(lik.dLogLikDp[k]! - want), `${name} ∂ℓ/∂p${k}`).toBeLessThan(tol * 50 * Math.max(1, Math.abs(want)));
      }
      engine.dispose();
    }
  });
});
