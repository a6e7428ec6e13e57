/**
 * The Rosenbrock-W method (ROS34PW2) in the WebGPU kernel (f32) against the f64 CPU back end running the same
 * method at tight tolerances: the stiff tgfb example and Robertson's chemical kinetics (where the explicit kernel
 * runs out of steps and returns instead of hanging), the shared dosing and breakpoint code under the Rosenbrock
 * stepper, a one-state model without sensitivities, and the check that settings and prepared kernel agree on the
 * method. Runs on lavapipe in CI (NLMC_REQUIRE_WEBGPU=1 turns a missing adapter into a failure).
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import type { EngineData } from '../../runtime/engine/engine-data.js';
import type { Engine, SolverSettings } from '../../runtime/engine/engine.js';
import type { PreparedModel } from '../../runtime/engine/prepared-model.js';
import { validateWgsl } from '../../runtime/engine/webgpu/device.js';
import { createWebGpuEngine } from '../../runtime/engine/webgpu/webgpu-engine.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { maxRelDiff, packSubjects, prepareExample, prepareSource, rowsAt, subject } from './engine-fixture.js';

const gpu = await useGpu();

/** The oracle: the same method in f64, far tighter than f32 can resolve. */
const cpuTight: SolverSettings = { rtol: 1e-10, atol: 1e-14, maxSteps: 1_000_000, method: 'rosenbrock' };
const gpuRosenbrock: SolverSettings = { rtol: 1e-6, atol: 1e-10, maxSteps: 100_000, method: 'rosenbrock' };

async function webgpu(model: PreparedModel, data: EngineData, settings: SolverSettings): Promise<Engine> {
  return createWebGpuEngine(model, data, settings, gpu!.device, gpu!.adapterInfo);
}

/** Robertson's chemical kinetics (Hairer & Wanner II, §IV.1), as in rosenbrock-solver.test.ts. */
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

/** Largest |a − b| over each gradient column's largest |b| (per output and parameter): small columns are judged against atol-scale noise. */
function worstByColumn(a: Float64Array, b: Float64Array, outputs: readonly number[], nrows: number, maxObs: number, ns: number): number {
  let worst = 0;
  for (let r = 0; r < nrows; r++) {
    for (let k = 0; k < ns; k++) {
      for (const o of new Set(outputs)) {
        const js = outputs.flatMap((oo, j) => (oo === o ? [j] : []));
        const scale = Math.max(...js.map((j) => Math.abs(b[(r * maxObs + j) * ns + k]!)));
        for (const j of js) worst = Math.max(worst, Math.abs(a[(r * maxObs + j) * ns + k]! - b[(r * maxObs + j) * ns + k]!) / scale);
      }
    }
  }
  return worst;
}

describe.skipIf(!gpu)('Rosenbrock-W (ROS34PW2) in the WebGPU kernel (f32)', () => {
  it('tgfb: predictions, gradients and the fused likelihood agree with the f64 CPU back end', async () => {
    const model = await prepareExample('tgfb/tgfb.nlm', { method: 'rosenbrock' });
    const data = packSubjects([subject(Array.from({ length: 20 }, (_, i) => (400 * i) / 19))], 0);
    const rows = rowsAt(model, data, [1, 0.9, 1.15]);
    const cpu = createCpuEngine(model, data, cpuTight);
    const engine = await webgpu(model, data, gpuRosenbrock);
    const [a, b] = await Promise.all([cpu.simulate(rows), engine.simulate(rows)]);
    expect(Array.from(a.status)).toEqual([0, 0, 0]);
    expect(Array.from(b.status)).toEqual([0, 0, 0]);
    const gradScale = Math.max(...Array.from(a.gradients).map(Math.abs), 1);
    const worstP = maxRelDiff(b.predictions, a.predictions, 1);
    const worstG = maxRelDiff(b.gradients, a.gradients, gradScale);
    const e = model.initialErrorParameters;
    const [la, lb] = await Promise.all([cpu.logLikelihood(rows, e), engine.logLikelihood(rows, e)]);
    const worstL = maxRelDiff(lb.logLik, la.logLik, 1);
    const worstLp = maxRelDiff(lb.dLogLikDp, la.dLogLikDp, Math.max(...Array.from(la.dLogLikDp).map(Math.abs), 1));
    const worstLe = maxRelDiff(lb.dLogLikDe, la.dLogLikDe, Math.max(...Array.from(la.dLogLikDe).map(Math.abs), 1));
    engine.dispose();
    // Measured on lavapipe: 2.8e-7, 3.1e-6, 5.4e-7, 1.1e-6, 2.5e-7 (the GPU takes 603 steps for the first row, the
    // explicit kernel 1083; the CPU's f64 'lower' coupling 426 at rtol 1e-6, atol 1e-9). The bounds leave a factor
    // of about 10 for other f32 implementations.
    expect(worstP).toBeLessThan(1e-5);
    expect(worstG).toBeLessThan(5e-5);
    expect(worstL).toBeLessThan(1e-5);
    expect(worstLp).toBeLessThan(1e-4);
    expect(worstLe).toBeLessThan(1e-4);
  });

  it("Robertson's kinetics: the Rosenbrock kernel agrees with the CPU within 1000 steps; the explicit kernel stops at a 20 000-step budget", async () => {
    const grid = [0.4, 4, 40, 400, 4000, 40000];
    const times = grid.flatMap((t) => [t, t]);
    const outputs = times.map((_, j) => j % 2);
    const data = packSubjects([subject(times, { obsOutputs: outputs })], 0);
    const model = await prepareSource(robertson, { method: 'rosenbrock' });
    const rows = rowsAt(model, data, [1, 0.9, 1.15]);
    const reference = await createCpuEngine(model, data, { ...cpuTight, atol: 1e-16 }).simulate(rows);
    const engine = await webgpu(model, data, { ...gpuRosenbrock, maxSteps: 1000 });
    const res = await engine.simulate(rows);
    engine.dispose();
    expect(Array.from(reference.status)).toEqual([0, 0, 0]);
    expect(Array.from(res.status)).toEqual([0, 0, 0]);
    let worstP = 0;
    for (let i = 0; i < res.predictions.length; i++) worstP = Math.max(worstP, Math.abs(res.predictions[i]! - reference.predictions[i]!) / Math.abs(reference.predictions[i]!));
    const worstG = worstByColumn(res.gradients, reference.gradients, outputs, 3, data.maxObs, model.dims.ns);
    // Measured on lavapipe: 4.0e-6 and 1.2e-5 (478 steps for the first row; the CPU's f64 'lower' coupling 472).
    // Gradients relative to their (output, parameter) column's largest value: ∂y/∂k2 is ~1e-11, below atol.
    expect(worstP).toBeLessThan(5e-5);
    expect(worstG).toBeLessThan(2e-4);

    const explicitModel = await prepareSource(robertson);
    const explicit = await webgpu(explicitModel, data, { rtol: 1e-6, atol: 1e-10, maxSteps: 20_000 });
    const failed = await explicit.simulate(rows);
    explicit.dispose();
    for (const s of failed.status) expect([TrajectoryStatus.MaxSteps, TrajectoryStatus.StepTooSmall]).toContain(s);
    expect(failed.predictions.every(Number.isNaN)).toBe(true);
  });

  // Doses and infusions are covered by the iv model below.
  const designs: Record<string, { file: string; data: () => EngineData }> = {
    'antibody-times (breakpoints at covariate times)': {
      file: 'antibody/antibody-times.nlm',
      data: () => packSubjects([subject([0, 20, 45, 85, 130, 160, 200, 260, 320, 400], { covariates: [30, 250] }), subject([0, 40, 100, 300, 483], { covariates: [21, 180] })], 2),
    },
  };
  for (const [name, design] of Object.entries(designs)) {
    it(`runs the shared stop and breakpoint code under the Rosenbrock stepper: ${name}`, async () => {
      const model = await prepareExample(design.file, { method: 'rosenbrock' });
      const data = design.data();
      const rows = rowsAt(model, data, [1, 0.9]);
      const engine = await webgpu(model, data, gpuRosenbrock);
      const [a, b] = await Promise.all([createCpuEngine(model, data, cpuTight).simulate(rows), engine.simulate(rows)]);
      engine.dispose();
      expect(a.status.every((s) => s === TrajectoryStatus.Ok)).toBe(true);
      expect(Array.from(b.status)).toEqual(Array.from(a.status));
      expect(maxRelDiff(b.predictions, a.predictions, 1)).toBeLessThan(1e-4);
      expect(maxRelDiff(b.gradients, a.gradients, Math.max(...Array.from(a.gradients).filter(Number.isFinite).map(Math.abs), 1))).toBeLessThan(2e-4);
    });
  }

  it('applies zero-order inputs under the Rosenbrock stepper (a data RATE overlapping a bolus, a model-declared infusion)', async () => {
    const model = await prepareSource(`model iv
parameters {
  k = 0.3 lognormal
  V = 10 lognormal
  Tinf = 3 lognormal
}
states { central }
dosing {
  input iv -> central infusion
  dose 60 -> central at [6] duration(Tinf)
}
ode { d/dt central = -k * central }
observe { conc ~ normal(central / V, sd = sigma) }
error { sigma = 0.1 }
`, { method: 'rosenbrock' });
    const times = [0.5, 1, 2, 3, 5, 8, 12];
    const data = packSubjects([subject(times, { doses: [{ time: 0, amount: 100, input: 0, rate: 50 }, { time: 1, amount: 20, input: 0, rate: 0 }] })], 0);
    const rows = rowsAt(model, data, [1]);
    const engine = await webgpu(model, data, gpuRosenbrock);
    const res = await engine.simulate(rows);
    engine.dispose();
    const [k, V] = [0.3, 10];
    // Superposition: 100 over [0, 2] at 50/h, a bolus of 20 at 1, 60 over [6, 9].
    const infusion = (t: number, s: number, d: number, amt: number): number => (t <= s ? 0 : ((amt / d / k) * (1 - Math.exp(-k * (Math.min(t, s + d) - s)))) * Math.exp(-k * Math.max(0, t - s - d)));
    expect(res.status[0]).toBe(TrajectoryStatus.Ok);
    times.forEach((t, j) => {
      const exact = (infusion(t, 0, 2, 100) + (t > 1 ? 20 * Math.exp(-k * (t - 1)) : 0) + infusion(t, 6, 3, 60)) / V;
      expect(Math.abs(res.predictions[j]! - exact)).toBeLessThan(1e-4 * Math.max(1, exact));
    });
  });

  it('a one-state model with nothing estimated (nx = 1, ns = 0): scalar Jacobian, no sensitivity block', async () => {
    const model = await prepareSource(`model decay
parameters { k = 50 fixed }
states { X(0) = 1 }
ode { d/dt X = -k * (X - cos(t)) }
observe { y ~ normal(X, sd = s) }
error { s = 1 }
`, { method: 'rosenbrock' });
    expect(model.dims).toMatchObject({ nx: 1, ns: 0 });
    const times = [0.1, 0.5, 1, 2, 5];
    const data = packSubjects([subject(times)], 0);
    const engine = await webgpu(model, data, gpuRosenbrock);
    const res = await engine.simulate(rowsAt(model, data, [1]));
    engine.dispose();
    // X' = −k(X − cos t), X(0) = 1: X = (k² cos t + k sin t)/(k² + 1) + e^{−kt}/(k² + 1).
    const k = 50;
    expect(res.status[0]).toBe(TrajectoryStatus.Ok);
    times.forEach((t, j) => expect(Math.abs(res.predictions[j]! - ((k * k * Math.cos(t) + k * Math.sin(t)) / (k * k + 1) + Math.exp(-k * t) / (k * k + 1)))).toBeLessThan(1e-5));
  });

  it('the Rosenbrock kernel of every example model passes Dawn’s validation', async () => {
    const root = fileURLToPath(new URL('../../examples', import.meta.url));
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.nlm'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const model = await prepareExample(file, { method: 'rosenbrock' });
      const errors = (await validateWgsl(gpu!.device, model.shader, { pipeline: false })).filter((m) => m.type === 'error');
      expect(errors.map((m) => `${file} ${m.line}:${m.column} ${m.message}`)).toEqual([]);
    }
  });

  it('refuses solver settings whose method is not the one the kernel was prepared for', async () => {
    const data = packSubjects([subject([1, 2])], 0);
    const explicitModel = await prepareExample('pk/pk.nlm');
    const rosenbrockModel = await prepareExample('pk/pk.nlm', { method: 'rosenbrock' });
    expect(explicitModel.method).toBe('explicit');
    await expect(webgpu(explicitModel, data, gpuRosenbrock)).rejects.toThrow(/ask for the rosenbrock method.*generated for the explicit method.*prepareModel\(result, \{ method: 'rosenbrock' \}\)/);
    // No method in the settings means explicit, on both back ends.
    await expect(webgpu(rosenbrockModel, data, { rtol: 1e-6, atol: 1e-10, maxSteps: 1000 })).rejects.toThrow(/ask for the explicit method.*generated for the rosenbrock method/);
  });
});
