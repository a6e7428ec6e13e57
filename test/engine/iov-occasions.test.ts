/**
 * Inter-occasion variability on both back ends, from a data file through the reader: a one-compartment model
 * whose elimination rate is k·exp(κ_occ) with one κ per occasion (OCC 1, 2, 3, starting with the doses at 0, 10
 * and 20). The closed form is decay event by event at the occasion's own rate, the state carried across the
 * occasion boundaries; the sensitivities to k, V and every κ against its central differences. A second subject
 * has only two occasions (its κ₃ has no effect: sensitivity exactly 0). Also: the occasion column under
 * Monolix's name OCCASION, and an occasion outside 1..K refused at its row and column.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { obsField, subjectCounts, type EngineData } from '../../runtime/engine/engine-data.js';
import type { SimulateResult } from '../../runtime/engine/engine.js';
import { engineDataFromDataset } from '../../runtime/engine/from-dataset.js';
import { TrajectoryStatus } from '../../runtime/engine/trajectory-status.js';
import { createWebGpuEngine } from '../../runtime/engine/webgpu/webgpu-engine.js';
import { useGpu } from '../gpu/gpu-fixture.js';
import { prepareSource } from './engine-fixture.js';

const gpu = await useGpu();

const source = `model iov
covariates { OCC occasions(3) }
parameters {
  k = 0.2 lognormal(omega = 0.3) iov(omega = 0.2)
  V = 10 lognormal(omega = 0.1)
}
states { central }
dosing { input iv -> central }
ode { d/dt central = -k * central }
observe { conc ~ normal(central / V, sd = sigma) }
error { sigma = 0.1 }
`;

const data = (occasionHeader: string): string => [
  `ID,TIME,DV,AMT,EVID,CMT,${occasionHeader}`,
  '1,0,.,100,1,1,1', '1,2,1,.,0,.,1', '1,6,1,.,0,.,1', '1,10,.,50,1,1,2', '1,10,1,.,0,.,2', '1,14,1,.,0,.,2',
  '1,20,.,80,1,1,3', '1,23,1,.,0,.,3', '1,30,1,.,0,.,3',
  '2,0,.,100,1,1,1', '2,5,1,.,0,.,1', '2,12,.,100,1,1,2', '2,15,1,.,0,.,2', '2,25,1,.,0,.,2',
].join('\n') + '\n';

/** Doses (time, amount) and occasion start times of each subject, as in the data above. */
const subjects = [
  { doses: [[0, 100], [10, 50], [20, 80]], starts: [0, 10, 20] },
  { doses: [[0, 100], [12, 100]], starts: [0, 12] },
] as const;

/** Concentration at t: between events A decays at k·exp(κ of the occasion then); p = [k, V, κ₁, κ₂, κ₃]. */
function concentration(s: number, t: number, p: readonly number[]): number {
  const { doses, starts } = subjects[s]!;
  const cuts = [...new Set([...doses.map(([d]) => d as number), ...starts])].sort((a, b) => a - b);
  const occasionAt = (u: number): number => starts.filter((x) => x <= u).length - 1;
  let A = 0;
  let now = 0;
  for (const c of [...cuts, Infinity]) {
    const until = Math.min(c, t);
    A *= Math.exp(-p[0]! * Math.exp(p[2 + occasionAt(now)]!) * (until - now));
    now = until;
    if (c > t) break;
    for (const [d, amount] of doses) if (d === c) A += amount;
  }
  return A / p[1]!;
}

const p = [0.2, 10, 0.3, -0.2, 0.15];
let engineData: EngineData;
let cpu: SimulateResult;
let webgpu: SimulateResult | undefined;

beforeAll(async () => {
  const prepared = await prepareSource(source);
  const ir = compile(source).ir!;
  expect(ir.parameters.map((q) => q.name)).toEqual(['k', 'V', 'kappa_k_1', 'kappa_k_2', 'kappa_k_3']);
  const read = readDataset(data('OCC'), 'iov.csv', requirementsFromIr(ir));
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

describe('inter-occasion variability: one κ per occasion, both back ends', () => {
  for (const s of [0, 1]) {
    it(`subject ${s + 1}: predictions and ∂/∂(k, V, κ₁, κ₂, κ₃) match the closed form`, () => {
      expect(cpu.status[s]).toBe(TrajectoryStatus.Ok);
      if (webgpu) expect(webgpu.status[s]).toBe(TrajectoryStatus.Ok);
      const nobs = subjectCounts(engineData, s).observations;
      const M = engineData.maxObs;
      const np = p.length;
      for (let j = 0; j < nobs; j++) {
        const t = obsField(engineData, s, j, 'time');
        const c = concentration(s, t, p);
        expect(Math.abs(cpu.predictions[s * M + j]! - c), `CPU at t = ${t}`).toBeLessThan(1e-8 * Math.max(1, c));
        if (webgpu) expect(Math.abs(webgpu.predictions[s * M + j]! - c), `WebGPU at t = ${t}`).toBeLessThan(2e-5 * Math.max(1, c));
        for (let q = 0; q < np; q++) {
          const h = 1e-6 * Math.max(1, Math.abs(p[q]!));
          const d = (concentration(s, t, p.map((v, i) => (i === q ? v + h : v))) - concentration(s, t, p.map((v, i) => (i === q ? v - h : v)))) / (2 * h);
          const got = cpu.gradients[(s * M + j) * np + q]!;
          expect(Math.abs(got - d), `CPU ∂/∂p${q} at t = ${t}`).toBeLessThan(1e-6 * Math.max(1, Math.abs(d)));
          if (d === 0) expect(got, `CPU ∂/∂p${q} at t = ${t}: that occasion has not begun`).toBe(0);
          if (webgpu) expect(Math.abs(webgpu.gradients[(s * M + j) * np + q]! - d), `WebGPU ∂/∂p${q} at t = ${t}`).toBeLessThan(2e-3 * Math.max(1, Math.abs(d)));
        }
      }
    });
  }

  it('reads the occasion column under the name OCCASION too', () => {
    const ir = compile(source).ir!;
    const read = readDataset(data('OCCASION'), 'iov.csv', requirementsFromIr(ir));
    expect(read.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(Array.from(engineDataFromDataset(read.dataset!, ir).data!.covariatePoints)).toEqual(Array.from(engineData.covariatePoints));
  });

  it('refuses an occasion outside 1..K at its row and column', () => {
    const ir = compile(source).ir!;
    const bad = data('OCC').replace('1,23,1,.,0,.,3', '1,23,1,.,0,.,4').replace('2,5,1,.,0,.,1', '2,5,1,.,0,.,1.5');
    const read = readDataset(bad, 'iov.csv', requirementsFromIr(ir));
    const errors = read.issues.filter((i) => i.severity === 'error').map((i) => `${i.code} row ${i.row}: ${i.message}`);
    expect(errors).toEqual([
      "D211 row 9: the occasion column OCC numbers occasions 1 to 3 (the model's occasions(3)), found 4",
      'D211 row 12: categorical covariate OCC must be coded as a whole number, found 1.5',
    ]);
  });
});
