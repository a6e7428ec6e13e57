/**
 * The WebGPU back end (f32) against the closed form and against the f64 CPU back end, on every example model
 * and on the dosing edge cases. Runs on lavapipe in CI (NLMC_REQUIRE_WEBGPU=1 turns a missing adapter into a
 * failure).
 */
import { describe, expect, it } from 'vitest';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import type { EngineData } from '../../runtime/engine/engine-data.js';
import type { Engine } from '../../runtime/engine/engine.js';
import type { PreparedModel } from '../../runtime/engine/prepared-model.js';
import { createWebGpuEngine } from '../../runtime/engine/webgpu/webgpu-engine.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { maxRelDiff, packSubjects, prepareExample, prepareSource, rowsAt, subject } from './engine-fixture.js';

const gpu = await useGpu();

const cpuSettings = { rtol: 1e-10, atol: 1e-12, maxSteps: 200_000 };
const gpuSettings = { rtol: 1e-6, atol: 1e-10, maxSteps: 200_000 };

async function both(model: PreparedModel, data: EngineData): Promise<[Engine, Engine]> {
  return [createCpuEngine(model, data, cpuSettings), await createWebGpuEngine(model, data, gpuSettings, gpu!.device, gpu!.adapterInfo)];
}

const pkX1 = (t: number, a: number, b: number): number => 2 * Math.exp(-a * t) + ((3 * b) / (a - b)) * (Math.exp(-b * t) - Math.exp(-a * t));

describe.skipIf(!gpu)('WebGPU back end (f32) on lavapipe or a GPU', () => {
  it('matches the pk closed form and its derivatives to 1e-4', async () => {
    const model = await prepareExample('pk/pk.nlm');
    const times = [0, 0.2, 0.7, 2.5, 5, 10];
    const data = packSubjects([subject(times)], 0);
    const engine = await createWebGpuEngine(model, data, gpuSettings, gpu!.device, gpu!.adapterInfo);
    const thetas = [[0.5, 2], [1.3, 0.4], [0.2, 3.1]];
    const res = await engine.simulate({ subject: new Int32Array(3), p: Float64Array.from(thetas.flat()) });
    thetas.forEach(([a, b], r) => {
      expect(res.status[r]).toBe(TrajectoryStatus.Ok);
      times.forEach((t, j) => {
        const h = 1e-6;
        const exact = [pkX1(t, a!, b!), (pkX1(t, a! + h, b!) - pkX1(t, a! - h, b!)) / (2 * h), (pkX1(t, a!, b! + h) - pkX1(t, a!, b! - h)) / (2 * h)];
        const got = [res.predictions[r * 6 + j]!, res.gradients[(r * 6 + j) * 2]!, res.gradients[(r * 6 + j) * 2 + 1]!];
        got.forEach((g, i) => expect(Math.abs(g - exact[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(exact[i]!))));
      });
    });
    engine.dispose();
  });

  const designs: Record<string, { file: string; data: () => EngineData }> = {
    pk: { file: 'pk/pk.nlm', data: () => packSubjects([subject([0, 0.2, 0.7, 2.5, 5, 10]), subject([0.1, 1, 3, 8])], 0) },
    antibody: { file: 'antibody/antibody.nlm', data: () => packSubjects([subject([0, 28.6, 57.1, 85.7, 114, 200, 250, 260, 300, 400])], 0) },
    'antibody (per-subject injection times)': {
      file: 'antibody/antibody-times.nlm',
      data: () => packSubjects([subject([0, 20, 45, 85, 130, 160, 200, 260, 320, 400], { covariates: [30, 250] }), subject([0, 40, 100, 300, 483], { covariates: [21, 180] })], 2),
    },
    tgfb: { file: 'tgfb/tgfb.nlm', data: () => packSubjects([subject(Array.from({ length: 20 }, (_, i) => (400 * i) / 19))], 0) },
    theophylline: {
      file: 'theophylline/theophylline.nlm',
      data: () => packSubjects([subject([0, 0.25, 0.57, 1.12, 2.02, 3.82, 5.1, 7.03, 9.05, 12.12, 24.37], { doses: [{ time: 0, amount: 320, input: 0, rate: 0 }], covariates: [79.6] })], 1),
    },
  };

  for (const [name, design] of Object.entries(designs)) {
    it(`agrees with the f64 CPU back end on ${name}: predictions, gradients and the fused likelihood`, async () => {
      const model = await prepareExample(design.file);
      const data = design.data();
      const [cpu, webgpu] = await both(model, data);
      const rows = rowsAt(model, data, [1, 0.9, 1.15]);
      const [a, b] = await Promise.all([cpu.simulate(rows), webgpu.simulate(rows)]);
      expect(Array.from(b.status)).toEqual(Array.from(a.status));
      expect(a.status.every((s) => s === TrajectoryStatus.Ok)).toBe(true);
      expect(maxRelDiff(b.predictions, a.predictions, 1)).toBeLessThan(2e-4);
      const gradScale = Math.max(...Array.from(a.gradients).filter(Number.isFinite).map(Math.abs), 1);
      expect(maxRelDiff(b.gradients, a.gradients, gradScale)).toBeLessThan(2e-4);
      const e = model.initialErrorParameters;
      const [la, lb] = await Promise.all([cpu.logLikelihood(rows, e), webgpu.logLikelihood(rows, e)]);
      expect(maxRelDiff(lb.logLik, la.logLik, 1)).toBeLessThan(1e-4);
      expect(maxRelDiff(lb.dLogLikDp, la.dLogLikDp, Math.max(...Array.from(la.dLogLikDp).map(Math.abs), 1))).toBeLessThan(1e-3);
      expect(maxRelDiff(lb.dLogLikDe, la.dLogLikDe, Math.max(...Array.from(la.dLogLikDe).map(Math.abs), 1))).toBeLessThan(1e-3);
      webgpu.dispose();
    });
  }

  it('pins the dosing edge cases on both back ends: dose at an observation time, several doses between observations, lag and bioavailability', async () => {
    const model = await prepareSource(`model oral
parameters {
  ka = 1.2 lognormal
  ke = 0.15 lognormal
  V = 20 lognormal
  tlag = 0.5 lognormal
  F = 0.8 logitnormal
}
states { depot  central }
dosing { input oral -> depot lag(tlag) bioavailability(F) }
ode {
  d/dt depot = -ka * depot
  d/dt central = ka * depot - ke * central
}
observe { conc ~ normal(central / V, sd = sigma) }
error { sigma = 0.1 }
`);
    const doses = [{ time: 0, amount: 100, input: 0, rate: 0 }, { time: 11.5, amount: 100, input: 0, rate: 0 }, { time: 13, amount: 50, input: 0, rate: 0 }, { time: 14, amount: 50, input: 0, rate: 0 }];
    // 12 = 11.5 + lag: the observation at 12 sees the state before that dose; two doses fall between 12.5 and 16.
    const times = [0.25, 0.5, 1, 6, 12, 12.5, 16, 24];
    const data = packSubjects([subject(times, { doses })], 0);
    const [cpu, webgpu] = await both(model, data);
    const rows = rowsAt(model, data, [1]);
    const [a, b] = await Promise.all([cpu.simulate(rows), webgpu.simulate(rows)]);
    const [ka, ke, V, lag, F] = [1.2, 0.15, 20, 0.5, 0.8];
    const bateman = (t: number): number =>
      doses.reduce((acc, d) => (t <= d.time + lag ? acc : acc + ((F * d.amount * ka) / (V * (ka - ke))) * (Math.exp(-ke * (t - d.time - lag)) - Math.exp(-ka * (t - d.time - lag)))), 0);
    times.forEach((t, j) => {
      expect(Math.abs(a.predictions[j]! - bateman(t))).toBeLessThan(1e-8 * Math.max(1, bateman(t)));
      expect(Math.abs(b.predictions[j]! - bateman(t))).toBeLessThan(1e-4 * Math.max(1, bateman(t)));
    });
    // Gradients in tlag and F (through the dose-time and amount jumps) agree with finite differences of the CPU back end.
    const ns = model.dims.ns;
    for (const k of [3, 4]) {
      const h = 1e-6 * model.initialParameters[k]!;
      const plus = Float64Array.from(model.initialParameters);
      const minus = Float64Array.from(model.initialParameters);
      plus[k] = plus[k]! + h;
      minus[k] = minus[k]! - h;
      const [up, down] = await Promise.all([cpu.simulate({ subject: new Int32Array(1), p: plus }), cpu.simulate({ subject: new Int32Array(1), p: minus })]);
      times.forEach((t, j) => {
        // At t = 12 the lagged dose lands exactly on the observation: the prediction has a kink in tlag there.
        if (doses.some((d) => Math.abs(d.time + lag - t) < 1e-9)) return;
        const fd = (up.predictions[j]! - down.predictions[j]!) / (2 * h);
        expect(Math.abs(a.gradients[j * ns + k]! - fd)).toBeLessThan(1e-5 * Math.max(1, Math.abs(fd)));
        expect(Math.abs(b.gradients[j * ns + k]! - fd)).toBeLessThan(2e-3 * Math.max(1, Math.abs(fd)));
      });
    }
    webgpu.dispose();
  });

  it('reports a failing row without failing the others', async () => {
    const model = await prepareSource(`model blowup
parameters { k = 1 }
states { X(0) = 1 }
ode { d/dt X = k * X^2 }
observe { y ~ normal(X, sd = s) }
error { s = 1 }
`);
    const data = packSubjects([subject([0.5, 2])], 0);
    const [cpu, webgpu] = await both(model, data);
    // k = 1 blows up at t = 1; k = 0.1 is fine until t = 10.
    const rows = { subject: new Int32Array([0, 0]), p: new Float64Array([1, 0.1]) };
    for (const engine of [cpu, webgpu]) {
      const res = await engine.simulate(rows);
      expect(res.status[0]).not.toBe(TrajectoryStatus.Ok);
      expect(res.status[1]).toBe(TrajectoryStatus.Ok);
      expect(res.predictions[2 + 1]).toBeCloseTo(1 / (1 - 0.1 * 2), 4);
    }
    webgpu.dispose();
  });
});
