/**
 * Time-varying covariates on both back ends, from a data file through the reader: WT carried forward (NONMEM's
 * default) and ALB declared `interpolate(linear)` (a line between the rows that give it), both in the elimination
 * rate k(t) = kb · WT(t)/70 · ALB(t)/40 of a one-compartment model. The closed form integrates k piecewise
 * (WT a step function, ALB linear between its nodes, constant after the last): A(t) = D exp(−∫₀ᵗ k), and the
 * sensitivities against its central differences. A second subject with constant covariates shares the batch.
 * Also: a changing covariate read by an individual parameter is refused, naming it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { obsField, subjectCounts, type EngineData } from '../../runtime/engine/engine-data.js';
import type { SimulateResult } from '../../runtime/engine/engine.js';
import { engineDataFromDataset } from '../../runtime/engine/from-dataset.js';
import type { PreparedModel } from '../../runtime/engine/prepared-model.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { createWebGpuEngine } from '../../runtime/engine/webgpu/webgpu-engine.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { prepareSource } from './engine-fixture.js';

const gpu = await useGpu();

const source = `model tvc
covariates {
  WT
  ALB interpolate(linear)
}
parameters {
  kb = 0.1 lognormal
  V = 10 lognormal
}
states { central }
dosing { input iv -> central }
ode { d/dt central = -kb * (WT / 70) * (ALB / 40) * central }
observe { conc ~ normal(central / V, sd = sigma) }
error { sigma = 0.1 }
`;

// WT: 70, then 90 from t = 4 (an EVID 2 row), 60 from t = 8. ALB nodes (0, 40), (6, 30), (12, 35); '.' elsewhere.
const data = [
  'ID,TIME,DV,AMT,EVID,CMT,WT,ALB',
  '1,0,.,100,1,1,70,40', '1,2,1,.,0,.,70,.', '1,4,.,.,2,.,90,.', '1,5,1,.,0,.,90,.', '1,6,1,.,0,.,90,30',
  '1,8,1,.,0,.,60,.', '1,10,1,.,0,.,60,.', '1,12,1,.,0,.,60,35', '1,16,1,.,0,.,60,.',
  '2,0,.,100,1,1,80,45', '2,3,1,.,0,.,80,45', '2,9,1,.,0,.,80,45',
].join('\n') + '\n';

/** WT(t) carried forward, ALB(t) linear through its nodes (constant outside). */
const WT = (t: number): number => (t < 4 ? 70 : t < 8 ? 90 : 60);
function ALB(t: number): number {
  const nodes: [number, number][] = [[0, 40], [6, 30], [12, 35]];
  if (t >= 12) return 35;
  const i = t < 6 ? 0 : 1;
  const [[t0, v0], [t1, v1]] = [nodes[i]!, nodes[i + 1]!];
  return v0 + ((v1 - v0) * (t - t0)) / (t1 - t0);
}

/** ∫₀ᵗ k for subject 1, exactly: on each piece WT is constant and ALB linear, so the integrand is linear. */
function integratedRate(t: number, kb: number): number {
  const cuts = [0, 4, 6, 8, 12, Infinity];
  let sum = 0;
  for (let i = 0; i + 1 < cuts.length && cuts[i]! < t; i++) {
    const a = cuts[i]!;
    const b = Math.min(cuts[i + 1]!, t);
    const mid = (a + b) / 2; // the trapezoid (midpoint) rule is exact for a linear integrand
    sum += (kb * WT(mid) * ALB(mid)) / (70 * 40) * (b - a);
  }
  return sum;
}

const exact = [
  (t: number, [kb, V]: readonly number[]) => (100 * Math.exp(-integratedRate(t, kb!))) / V!,
  (t: number, [kb, V]: readonly number[]) => (100 * Math.exp(-kb! * (80 / 70) * (45 / 40) * t)) / V!,
];

let prepared: PreparedModel;
let engineData: EngineData;
let cpu: SimulateResult;
let webgpu: SimulateResult | undefined;
const p = [0.1, 10];

beforeAll(async () => {
  prepared = await prepareSource(source);
  const ir = compile(source).ir!;
  const read = readDataset(data, 'tvc.csv', requirementsFromIr(ir));
  expect(read.issues.filter((i) => i.severity === 'error')).toEqual([]);
  const converted = engineDataFromDataset(read.dataset!, ir);
  expect(converted.problems).toEqual([]);
  engineData = converted.data!;
  const rows = { subject: Int32Array.from([0, 1]), p: Float64Array.from([...p, ...p]) };
  cpu = await createCpuEngine(prepared, engineData, { rtol: 1e-11, atol: 1e-13, maxSteps: 1_000_000 }).simulate(rows);
  if (gpu) {
    const engine = await createWebGpuEngine(prepared, engineData, { rtol: 1e-6, atol: 1e-8, maxSteps: 100_000 }, gpu.device, gpu.adapterInfo);
    webgpu = await engine.simulate(rows);
    engine.dispose();
  }
}, 600_000);

describe('time-varying covariates: carried forward and linear, both back ends', () => {
  for (const s of [0, 1]) {
    it(`subject ${s + 1}: predictions and ∂/∂(kb, V) match the closed form`, () => {
      expect(cpu.status[s]).toBe(TrajectoryStatus.Ok);
      if (webgpu) expect(webgpu.status[s]).toBe(TrajectoryStatus.Ok);
      const nobs = subjectCounts(engineData, s).observations;
      const M = engineData.maxObs;
      for (let j = 0; j < nobs; j++) {
        const t = obsField(engineData, s, j, 'time');
        const c = exact[s]!(t, p);
        expect(Math.abs(cpu.predictions[s * M + j]! - c), `CPU at t = ${t}`).toBeLessThan(1e-8 * Math.max(1, c));
        if (webgpu) expect(Math.abs(webgpu.predictions[s * M + j]! - c), `WebGPU at t = ${t}`).toBeLessThan(2e-5 * Math.max(1, c));
        for (let q = 0; q < 2; q++) {
          const h = 1e-6 * p[q]!;
          const up = [...p];
          const down = [...p];
          up[q] = p[q]! + h;
          down[q] = p[q]! - h;
          const d = (exact[s]!(t, up) - exact[s]!(t, down)) / (2 * h);
          expect(Math.abs(cpu.gradients[(s * M + j) * 2 + q]! - d), `CPU ∂/∂p${q} at t = ${t}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(d)));
          if (webgpu) expect(Math.abs(webgpu.gradients[(s * M + j) * 2 + q]! - d), `WebGPU ∂/∂p${q} at t = ${t}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(d)));
        }
      }
    });
  }

  it('refuses a changing covariate that an individual parameter reads, naming the subject and the covariate', () => {
    const withEffect = source.replace('kb = 0.1 lognormal', 'kb = 0.1 lognormal effect(bw * log(WT / 70))\n  bw = 0.75');
    const ir = compile(withEffect).ir!;
    const read = readDataset(data, 'tvc.csv', requirementsFromIr(ir));
    const converted = engineDataFromDataset(read.dataset!, ir);
    expect(converted.data).toBeUndefined();
    expect(converted.problems.map((q) => q.message)).toEqual([
      "subject 1: covariate 'WT' changes over time, but a quantity evaluated once per subject reads it (a parameter's effect(...), an initial state, a dose's amount, time, lag, bioavailability, duration or rate, or a breakpoint); only the ode and observe blocks follow a covariate over time — use it there, or keep it constant within each subject",
    ]);
  });
});
