/**
 * The dosing conformance corpus (cases.ts) on both back ends against closed forms (closed-form.ts): predictions,
 * their sensitivities ∂pred/∂p against central differences of the closed form, and the fused log-likelihood
 * (Gaussian and censored terms). Each shape is one compiled model and one dataset with a subject per case, read
 * from CSV by the data reader as a user's file would be, so ADDL, SS, EVID 3/4 and RATE −1/−2 go through it too.
 * There is one shape, with every input: on lavapipe the WebGPU kernel's compilation is most of the file's time
 * (one kernel of 3 states × 9 parameters: the file in 42 s where two kernels, 2 × 7 and 3 × 5, took 54 s).
 *
 * Tolerances: the f64 CPU engine (Dormand–Prince at rtol 1e-10, Rosenbrock at rtol 1e-8: at 1e-10 its steady states
 * run out of steps) must be within 1e-6 (relative, with a floor of 1 % of the case's peak for values near zero), its
 * sensitivities within 1e-5; WebGPU (f32, rtol 1e-6) within 1e-4, its sensitivities within 2e-3.
 * CONFORMANCE_REPORT=1 prints the largest error of each case.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../../compiler/pipeline.js';
import { readDataset } from '../../../runtime/data/read-dataset.js';
import { requirementsFromIr } from '../../../runtime/data/requirements.js';
import { createCpuEngine } from '../../../runtime/engine/cpu/cpu-engine.js';
import type { EngineData } from '../../../runtime/engine/engine-data.js';
import type { Engine, LikelihoodResult, Rows, SimulateResult } from '../../../runtime/engine/engine.js';
import { engineDataFromDataset } from '../../../runtime/engine/from-dataset.js';
import { prepareModel, type PreparedModel } from '../../../runtime/engine/prepared-model.js';
import { TrajectoryStatus } from '../../../runtime/engine/trajectory-status.js';
import { createWebGpuEngine } from '../../../runtime/engine/webgpu/webgpu-engine.js';
import { useGpu } from '../../gpu/gpu-fixture.js';
import { shapeCsv, shapes, type Case, type Shape } from './cases.js';
import { concentration, logLikelihoodTerm } from './closed-form.js';

const gpu = await useGpu();
const report = process.env.CONFORMANCE_REPORT === '1';

const cpuSettings = { rtol: 1e-10, atol: 1e-12, maxSteps: 200_000 };
const rosenbrockSettings = { rtol: 1e-8, atol: 1e-10, maxSteps: 200_000, method: 'rosenbrock' } as const;
const gpuSettings = { rtol: 1e-6, atol: 1e-9, maxSteps: 200_000 };

/** Each back end's tolerance on predictions, sensitivities and the log-likelihood (relative). */
const tolerance = {
  cpu: { pred: 1e-6, grad: 1e-5, loglik: 1e-6 },
  'cpu-rosenbrock': { pred: 1e-6, grad: 1e-5, loglik: 1e-6 },
  webgpu: { pred: 1e-4, grad: 2e-3, loglik: 1e-4 },
} as const;
type Backend = keyof typeof tolerance;

interface Prepared {
  readonly model: PreparedModel;
  readonly data: EngineData;
  readonly rows: Rows;
  readonly params: readonly (readonly number[])[];
}

async function prepareShape(shape: Shape): Promise<Prepared> {
  const result = compile(shape.source);
  expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([]);
  const ir = result.ir!;
  const read = readDataset(shapeCsv(shape), 'conformance.csv', requirementsFromIr(ir));
  expect(read.issues.filter((i) => i.severity === 'error').map((i) => `row ${i.row}: ${i.message}`)).toEqual([]);
  const { data, problems } = engineDataFromDataset(read.dataset!, ir);
  expect(problems).toEqual([]);
  const params = shape.cases.map((c) => c.p ?? shape.p);
  const rows: Rows = { subject: Int32Array.from(shape.cases.map((_, i) => i)), p: Float64Array.from(params.flat()) };
  return { model: await prepareModel(result), data: data!, rows, params };
}

const observations = (c: Case) => c.rows.filter((r) => r.evid === 0);
/** Each observation record's value by the closed form, in record order (it sees the records before it). */
const exact = (shape: Shape, c: Case, p: readonly number[]): number[] => {
  const inputs = shape.inputs(p);
  return c.rows.flatMap((r, i) => (r.evid === 0 ? [concentration(c.rows, inputs, r.time, i)] : []));
};
const peak = (values: readonly number[]): number => Math.max(...values.map(Math.abs));

/** Central differences of the closed form in p[k]; null where the left and right derivatives differ (a kink: a dose or infusion end exactly at the observation). */
function closedFormSlopes(shape: Shape, c: Case, p: readonly number[], k: number): (number | null)[] {
  const at = (d: number): number[] => exact(shape, c, p.map((v, q) => (q === k ? v + d : v)));
  const h = 1e-5 * Math.abs(p[k]!);
  const [up, mid, down] = [at(h), at(0), at(-h)];
  return mid.map((m, j) => {
    const right = (up[j]! - m) / h;
    const left = (m - down[j]!) / h;
    const central = (up[j]! - down[j]!) / (2 * h);
    return Math.abs(right - left) > 1e-3 * Math.max(1, Math.abs(central)) ? null : central;
  });
}

/** The largest relative error of each quantity for one case on one back end, and the case's assertions. */
function checkCase(backend: Backend, shape: Shape, prep: Prepared, i: number, sim: SimulateResult, lik: LikelihoodResult): { pred: number; grad: number; loglik: number } {
  const c = shape.cases[i]!;
  const p = prep.params[i]!;
  const M = prep.data.maxObs;
  const ns = prep.model.dims.ns;
  const tol = tolerance[backend];
  expect.soft(sim.status[i], `${backend}: ${c.name}: status`).toBe(TrajectoryStatus.Ok);
  const want = exact(shape, c, p);
  const floor = 1e-2 * Math.max(peak(want), 1e-12);
  let pred = 0;
  want.forEach((w, j) => {
    const err = Math.abs(sim.predictions[i * M + j]! - w) / Math.max(Math.abs(w), floor);
    pred = Math.max(pred, err);
    expect.soft(err, `${backend}: ${c.name}: prediction at t = ${observations(c)[j]!.time}: got ${sim.predictions[i * M + j]}, closed form ${w}`).toBeLessThan(tol.pred);
  });
  let grad = 0;
  prep.model.sensitivityParameters.forEach((k, col) => {
    const slopes = closedFormSlopes(shape, c, p, k);
    const scale = Math.max(1e-12, ...slopes.map((s) => Math.abs(s ?? 0)));
    slopes.forEach((s, j) => {
      if (s === null) return;
      const got = sim.gradients[(i * M + j) * ns + col]!;
      const err = Math.abs(got - s) / Math.max(Math.abs(s), 1e-2 * scale);
      grad = Math.max(grad, err);
      expect.soft(err, `${backend}: ${c.name}: ∂pred/∂p${k} at t = ${observations(c)[j]!.time}: got ${got}, closed form ${s}`).toBeLessThan(tol.grad);
    });
  });
  const wantLik = observations(c).reduce((acc, r, j) => acc + logLikelihoodTerm(r, want[j]!, shape.sd), 0);
  const loglik = Math.abs(lik.logLik[i]! - wantLik) / Math.max(1, Math.abs(wantLik));
  expect.soft(loglik, `${backend}: ${c.name}: log-likelihood: got ${lik.logLik[i]}, closed form ${wantLik}`).toBeLessThan(tol.loglik);
  return { pred, grad, loglik };
}

async function runShape(backend: Backend, shape: Shape, prep: Prepared, engine: Engine): Promise<void> {
  const errorParameters = Float64Array.from([shape.sd]);
  const start = performance.now();
  const sim = await engine.simulate(prep.rows);
  const lik = await engine.logLikelihood(prep.rows, errorParameters);
  if (report) console.log(`${shape.name}, ${backend}: simulated and likelihood in ${((performance.now() - start) / 1000).toFixed(2)} s`);
  const worst = shape.cases.map((c, i) => ({ case: c.name, ...checkCase(backend, shape, prep, i, sim, lik) }));
  if (report) console.table(worst.map((w) => ({ backend, ...w })));
}

for (const shape of shapes) {
  describe(`dosing conformance: ${shape.name}`, async () => {
    const prep = await prepareShape(shape);

    it('f64 CPU engine: every case equals its closed form (predictions, ∂pred/∂p, log-likelihood)', async () => {
      await runShape('cpu', shape, prep, createCpuEngine(prep.model, prep.data, cpuSettings));
    });

    it('f64 CPU engine, Rosenbrock method: every case equals its closed form', async () => {
      await runShape('cpu-rosenbrock', shape, prep, createCpuEngine(prep.model, prep.data, rosenbrockSettings));
    });

    it.skipIf(!gpu)('WebGPU engine (f32): every case equals its closed form', async () => {
      const start = performance.now();
      const engine = await createWebGpuEngine(prep.model, prep.data, gpuSettings, gpu!.device, gpu!.adapterInfo);
      // Most of this file's time on lavapipe: the kernel's compilation (measured with CONFORMANCE_REPORT=1).
      if (report) console.log(`${shape.name}: WebGPU pipeline created in ${((performance.now() - start) / 1000).toFixed(1)} s`);
      try {
        await runShape('webgpu', shape, prep, engine);
      } finally {
        engine.dispose();
      }
    });
  });
}
