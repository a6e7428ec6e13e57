/**
 * The one-compartment model of the steady-state and reset tests, its closed forms (superposition of every past
 * dose — the steady state as the sum of the infinite past, written independently of the engine), and a runner
 * that solves every scenario of a file in one batch on both back ends (one kernel compile per file).
 */
import { expect } from 'vitest';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import type { EngineDose, EngineSubject } from '../../runtime/engine/engine-data.js';
import type { Rows, SimulateResult } from '../../runtime/engine/engine.js';
import { createWebGpuEngine } from '../../runtime/engine/webgpu/webgpu-engine.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import type { useGpu } from '../gpu/gpu-fixture.js';
import { packSubjects, prepareSource, subject } from './engine-fixture.js';

/**
 * Inputs: CMT 1 `iv` (bolus, or RATE from the data), 2 `po` (lag tlag), 3 `dur` (duration Tinf from the model).
 * An effect compartment E with E(0) = E0 relaxes to E0 + conc at rate kout: a non-zero initial state.
 */
export const model = `model ss
parameters {
  k = 0.15 lognormal
  V = 10 lognormal
  Tinf = 2 lognormal
  tlag = 0.5 lognormal
  E0 = 3 lognormal
  kout = 0.4 lognormal
}
states {
  central
  E(0) = E0
}
dosing {
  input iv -> central infusion
  input po -> central lag(tlag) cmt(2)
  input dur -> central duration(Tinf) cmt(3)
}
ode {
  d/dt central = -k * central
  d/dt E = kout * (E0 + central / V - E)
}
observe {
  conc ~ normal(central / V, sd = sigma)
  effect ~ normal(E, sd = sigma)
}
error { sigma = 0.1 }
`;

export const Input = { iv: 0, po: 1, dur: 2 } as const;
export const p0 = [0.15, 10, 2, 0.5, 3, 0.4];
/** The names of p, in order: what `Params` holds. */
export type Params = readonly number[];

/** Amount in central at t from a bolus `amount` at `s` (0 before). */
export const bolusAmount = (t: number, s: number, amount: number, k: number): number => (t > s ? amount * Math.exp(-k * (t - s)) : 0);

/** Amount in central at t from a zero-order input of `amount` over `d` from `s`. */
export function infusionAmount(t: number, s: number, d: number, amount: number, k: number): number {
  if (t <= s) return 0;
  const R = amount / d;
  const during = Math.min(t, s + d) - s;
  return (R / k) * (1 - Math.exp(-k * during)) * Math.exp(-k * Math.max(0, t - s - d));
}

/** The steady state as the sum of the past: doses at τ, τ − II, τ − 2 II, … (until they no longer count). */
export function steadyAmount(t: number, tau: number, interval: number, dose: (t: number, s: number) => number): number {
  let sum = 0;
  for (let m = 0; m < 100_000; m++) {
    const term = dose(t, tau - m * interval);
    sum += term;
    if (m > 10 && Math.abs(term) < 1e-300 + 1e-18 * Math.abs(sum)) break;
  }
  return sum;
}

export const dose = (time: number, amount: number, extra: Partial<EngineDose> = {}): EngineDose => ({ time, amount, input: Input.iv, rate: 0, ...extra });

/** One subject of a batch: observed (output 0, or `outputs`) at `times` (ascending), solved at each of `rows`. */
export interface Scenario {
  readonly times: readonly number[];
  readonly outputs?: readonly number[];
  readonly doses: readonly EngineDose[];
  readonly rows: readonly Params[];
}

export interface BatchResults {
  readonly ns: number;
  readonly cpu: SimulateResult;
  readonly webgpu?: SimulateResult;
  readonly maxObs: number;
  /** Row index of scenario s's r-th row. */
  readonly row: (s: number, r: number) => number;
}

/** Solves every scenario on the CPU (rtol 1e-11) and, when there is a device, on WebGPU (rtol 1e-6). */
export async function runScenarios(scenarios: readonly Scenario[], gpu: Awaited<ReturnType<typeof useGpu>>): Promise<BatchResults> {
  const prepared = await prepareSource(model);
  const subjects: EngineSubject[] = scenarios.map((s) => subject(s.times, { doses: [...s.doses], obsOutputs: s.outputs ?? s.times.map(() => 0) }));
  const data = packSubjects(subjects, 0);
  const first: number[] = [];
  const subjectOf: number[] = [];
  const p: number[] = [];
  scenarios.forEach((s, i) => {
    first.push(subjectOf.length);
    for (const row of s.rows) {
      subjectOf.push(i);
      p.push(...row);
    }
  });
  const rows: Rows = { subject: Int32Array.from(subjectOf), p: Float64Array.from(p) };
  const cpu = await createCpuEngine(prepared, data, { rtol: 1e-11, atol: 1e-13, maxSteps: 1_000_000 }).simulate(rows);
  let webgpu: SimulateResult | undefined;
  if (gpu) {
    const engine = await createWebGpuEngine(prepared, data, { rtol: 1e-6, atol: 1e-8, maxSteps: 200_000 }, gpu.device, gpu.adapterInfo);
    webgpu = await engine.simulate(rows);
    engine.dispose();
  }
  return { ns: prepared.dims.ns, cpu, webgpu, maxObs: data.maxObs, row: (s, r) => first[s]! + r };
}

/** What observation j of the scenario (at time t) observes, as a function of the parameters. */
export type ClosedForm = (t: number, p: Params, j: number) => number;

/** Tolerances: f64 CPU values and ∂/∂p; f32 WebGPU. */
export const tolerance = { cpu: 1e-8, cpuGradient: 1e-6, gpu: 2e-5, gpuGradient: 2e-3 };

/**
 * Checks scenario `s` of `results`: predictions against `exact`, and ∂/∂(k, V, Tinf, tlag, E0, kout) against its
 * central differences (relative step 1e-6), except at the times in `kinks`.
 */
export function checkScenario(results: BatchResults, s: number, scenario: Scenario, exact: ClosedForm, kinks: readonly number[] = []): void {
  const { ns, cpu, webgpu, maxObs } = results;
  scenario.rows.forEach((p, r) => {
    const row = results.row(s, r);
    expect(cpu.status[row]).toBe(TrajectoryStatus.Ok);
    if (webgpu) expect(webgpu.status[row]).toBe(TrajectoryStatus.Ok);
    scenario.times.forEach((t, j) => {
      const c = exact(t, p, j);
      const at = row * maxObs + j;
      expect(Math.abs(cpu.predictions[at]! - c), `CPU at t = ${t}, row ${r}`).toBeLessThan(tolerance.cpu * Math.max(1, Math.abs(c)));
      if (webgpu) expect(Math.abs(webgpu.predictions[at]! - c), `WebGPU at t = ${t}, row ${r}`).toBeLessThan(tolerance.gpu * Math.max(1, Math.abs(c)));
      if (kinks.includes(t)) return;
      for (let q = 0; q < ns; q++) {
        const h = 1e-6 * p[q]!;
        const up = [...p];
        const down = [...p];
        up[q] = p[q]! + h;
        down[q] = p[q]! - h;
        const d = (exact(t, up, j) - exact(t, down, j)) / (2 * h);
        expect(Math.abs(cpu.gradients[at * ns + q]! - d), `CPU ∂/∂p${q} at t = ${t}, row ${r}`).toBeLessThan(tolerance.cpuGradient * Math.max(1, Math.abs(d)));
        if (webgpu) expect(Math.abs(webgpu.gradients[at * ns + q]! - d), `WebGPU ∂/∂p${q} at t = ${t}, row ${r}`).toBeLessThan(tolerance.gpuGradient * Math.max(1, Math.abs(d)));
      }
    });
  });
}
