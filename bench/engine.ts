/**
 * Engine throughput: trajectories per second with sensitivities, on each back end, for every example model and
 * the oral two-compartment model of the uncertainty tests (lag, four doses, its own data), and the largest
 * relative difference between the back ends' predictions. Run with `npm run bench:engine [gpuRows] [cpuRows] [repeats]`.
 * The CPU back end runs in this thread and over worker threads (`createParallelCpuEngine`, NLMC_THREADS or all
 * cores), alternately `repeats` times; the medians and their ratio come from the same run, which matters on a
 * shared machine. Figures only; nothing is asserted. The same script runs unchanged on a real GPU and prints the
 * adapter. The stiff tgfb model runs with each integration method (Dormand–Prince 5(4) and ROS34PW2), the same
 * method on both back ends; the others with the explicit method.
 */
import { readFileSync } from 'node:fs';
import { compile } from '../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../runtime/data/index.js';
import { createCpuEngine } from '../runtime/engine/cpu/cpu-engine.js';
import { cpuThreads, createParallelCpuEngine } from '../runtime/engine/cpu/cpu-pool.js';
import { packSubjects, type EngineData, type EngineSubject } from '../runtime/engine/engine-data.js';
import type { Engine, Rows, SimulateResult, SolverMethod } from '../runtime/engine/engine.js';
import { engineDataFromDataset } from '../runtime/engine/from-dataset.js';
import { prepareModel } from '../runtime/engine/prepared-model.js';
import { acquireGpu } from '../runtime/engine/webgpu/device.js';
import { createWebGpuEngine } from '../runtime/engine/webgpu/webgpu-engine.js';

const gpuRows = Number(process.argv[2] ?? 100_000);
const cpuRows = Math.min(gpuRows, Number(process.argv[3] ?? 2_000));
const repeats = Number(process.argv[4] ?? 3);

/** Designs of shared/design/BENCHMARKS.md (without jitter: the timing does not depend on it). */
interface Design {
  readonly file: string;
  readonly tol: [number, number];
  readonly spread: number;
  readonly methods?: SolverMethod[];
  /** 100 synthetic subjects (`subject`, with `nc` covariates) or a data file. */
  readonly subject?: (i: number) => EngineSubject;
  readonly nc?: number;
  readonly data?: string;
}

const designs: Record<string, Design> = {
  pk: { file: 'examples/pk/pk.nlm', nc: 0, tol: [1e-6, 1e-8], spread: 0.3, subject: () => s([0, 0.2, 0.7, 2.5, 5, 10]) },
  antibody: { file: 'examples/antibody/antibody.nlm', nc: 0, tol: [1e-6, 1e-8], spread: 0.3, subject: () => s(Array.from({ length: 15 }, (_, i) => (400 * i) / 14)) },
  // tgfb is bistable: below kp ≈ 1 active TGF-β collapses to 1e-30 and log10 a is noise at any atol; the spread is
  // its ω (0.05), as in the paper's simulations.
  tgfb: { file: 'examples/tgfb/tgfb.nlm', nc: 0, tol: [1e-6, 1e-8], spread: 0.05, methods: ['explicit', 'rosenbrock'], subject: () => s(Array.from({ length: 20 }, (_, i) => (400 * i) / 19)) },
  theophylline: {
    file: 'examples/theophylline/theophylline.nlm', nc: 1, tol: [1e-6, 1e-8], spread: 0.3,
    subject: (i) => s([0.25, 0.5, 1, 2, 3.5, 5, 7, 9, 12, 24], { doses: [{ time: 0, amount: 320, input: 0, rate: 0 }], covariates: [60 + (i % 30)] }),
  },
  // The uncertainty step's tolerances (runtime/uq/uncertainty.ts) on its test fit: 60 subjects, 4 doses by ADDL/II.
  oral2cpt: { file: 'test/uq/fixtures/oral2cpt/oral2cpt.nlm', data: 'test/uq/fixtures/oral2cpt/data.csv', tol: [1e-7, 1e-9], spread: 0.3 },
};

function s(times: number[], extra: Partial<EngineSubject> = {}): EngineSubject {
  return { obsTimes: times, obsValues: times.map(() => 0), obsOutputs: times.map(() => 0), doses: [], covariates: [], ...extra };
}

/** Rows with the estimated parameters spread log-normally (sd `spread`) around their initial values, deterministic. */
function rowsFor(initial: Float64Array, estimated: readonly number[], spread: number, nSubjects: number, n: number): { subject: Int32Array; p: Float64Array } {
  let seed = 12345;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const p = new Float64Array(n * initial.length);
  const subject = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    subject[r] = r % nSubjects;
    for (let k = 0; k < initial.length; k++) {
      const z = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
      p[r * initial.length + k] = initial[k]! * (estimated.includes(k) ? Math.exp(spread * z) : 1);
    }
  }
  return { subject, p };
}

/** The design's data: its file, or 100 synthetic subjects. */
function designData(d: Design, ir: NonNullable<ReturnType<typeof compile>['ir']>): EngineData {
  if (!d.data) return packSubjects(Array.from({ length: 100 }, (_, i) => d.subject!(i)), d.nc ?? 0);
  const read = readDataset(readFileSync(d.data, 'utf8'), d.data, requirementsFromIr(ir));
  const converted = read.dataset && engineDataFromDataset(read.dataset, ir);
  if (!converted?.data) throw new Error(`${d.data}: cannot be read for ${d.file}`);
  return converted.data;
}

/** Median trajectories per second of each engine, run alternately `repeats` times on the same rows. */
async function alternate(engines: readonly Engine[], rows: Rows): Promise<{ rates: number[]; results: SimulateResult[] }> {
  const times = engines.map((): number[] => []);
  const results: SimulateResult[] = [];
  for (let k = 0; k < repeats; k++) {
    for (const [i, engine] of engines.entries()) {
      const t0 = performance.now();
      results[i] = await engine.simulate(rows);
      times[i]!.push(performance.now() - t0);
    }
  }
  const median = (t: number[]): number => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  return { rates: times.map((t) => rows.subject.length / (median(t) / 1000)), results };
}

const gpu = await acquireGpu();
console.log(`device: ${'device' in gpu ? gpu.adapterInfo : `none (${gpu.unavailable})`}`);
console.log(`rows: ${gpuRows} on WebGPU, ${cpuRows} on the CPU (rates are per second, so the ratio compares like with like); CPU medians of ${repeats} alternating runs`);
const threads = cpuThreads();
console.log(`model (method)          | cpu 1 thr | cpu ${String(threads).padStart(2)} thr | pool/1 | webgpu traj/s (f32) | cpu ${String(threads).padStart(2)}/webgpu | max |Δ| / max(|pred|, 1)`);
for (const [name, d] of Object.entries(designs)) {
  const compiled = compile(readFileSync(d.file, 'utf8'));
  for (const method of d.methods ?? ['explicit']) {
    const model = await prepareModel(compiled, { method });
    const data = designData(d, compiled.ir!);
    const settings = { rtol: d.tol[0], atol: d.tol[1], maxSteps: 100_000, method };
    const single = createCpuEngine(model, data, settings);
    const pool = createParallelCpuEngine(model, data, settings);
    const cpuRowsSet = rowsFor(model.initialParameters, model.sensitivityParameters, d.spread, data.nSubjects, cpuRows);
    // Warm-up on the same rows: the JIT (in every worker), and the workers' start (they load the model and the data).
    await single.simulate(cpuRowsSet);
    await pool.simulate(cpuRowsSet);
    const { rates: [cpuRate, poolRate], results: [cpuRes] } = await alternate([single, pool], cpuRowsSet);
    pool.dispose();
    let line = `${`${name} (${method})`.padEnd(23)} | ${cpuRate!.toFixed(0).padStart(9)} | ${poolRate!.toFixed(0).padStart(10)} | ${(poolRate! / cpuRate!).toFixed(2).padStart(6)} |`;
    if ('device' in gpu) {
      const engine = await createWebGpuEngine(model, data, settings, gpu.device, gpu.adapterInfo);
      await engine.simulate(rowsFor(model.initialParameters, model.sensitivityParameters, d.spread, data.nSubjects, 256)); // warm-up: pipeline and buffers
      const gpuRowsSet = rowsFor(model.initialParameters, model.sensitivityParameters, d.spread, data.nSubjects, gpuRows);
      const t0 = performance.now();
      const gpuRes = await engine.simulate(gpuRowsSet);
      const gpuRate = gpuRows / ((performance.now() - t0) / 1000);
      // The first cpuRows rows of both sets are the same draws.
      let worst = 0;
      for (let i = 0; i < cpuRows * data.maxObs; i++) {
        const a = cpuRes!.predictions[i]!;
        const b = gpuRes.predictions[i]!;
        if (Number.isFinite(a) && Number.isFinite(b)) worst = Math.max(worst, Math.abs(a - b) / Math.max(Math.abs(a), 1));
      }
      const failed = gpuRes.status.filter((x) => x !== 0).length;
      line += ` ${gpuRate.toFixed(0).padStart(19)} | ${(poolRate! / gpuRate).toFixed(3).padStart(13)} | ${worst.toExponential(2)}${failed ? ` (${failed} rows failed)` : ''}`;
      engine.dispose();
    } else {
      line += ' (no adapter)';
    }
    console.log(line);
  }
}
if ('device' in gpu) gpu.device.destroy();
process.exit(0);
