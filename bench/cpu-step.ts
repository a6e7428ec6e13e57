/**
 * The CPU engine's explicit step, fused with the model (compiler/emit-ts/emit-step.ts) against the generic stepper
 * driven by the module's `sensitivityRhs`: trajectories per CPU-second with sensitivities, in one thread, the two
 * alternating in one process on the same rows (CPU time from `process.cpuUsage`, so a busy machine changes the
 * figures less than wall clock would). Both give the same numbers bit for bit (test/engine/fused-step.test.ts);
 * this prints only speed. Run with `npm run bench:cpu-step [rows] [repeats]`.
 */
import { readFileSync } from 'node:fs';
import { compile } from '../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../runtime/data/index.js';
import { createCpuEngine } from '../runtime/engine/cpu/cpu-engine.js';
import { packSubjects, type EngineData, type EngineSubject } from '../runtime/engine/engine-data.js';
import type { Rows } from '../runtime/engine/engine.js';
import { engineDataFromDataset } from '../runtime/engine/from-dataset.js';
import { prepareModel, type PreparedModel } from '../runtime/engine/prepared-model.js';

const nRows = Number(process.argv[2] ?? 2_000);
const repeats = Number(process.argv[3] ?? 3);

const s = (times: number[], extra: Partial<EngineSubject> = {}): EngineSubject => ({ obsTimes: times, obsValues: times.map(() => 0), obsOutputs: times.map(() => 0), doses: [], covariates: [], ...extra });
const designs: Record<string, { file: string; tol: [number, number]; data: () => EngineData }> = {
  pk: { file: 'examples/pk/pk.nlm', tol: [1e-6, 1e-8], data: () => packSubjects(Array.from({ length: 100 }, () => s([0, 0.2, 0.7, 2.5, 5, 10])), 0) },
  antibody: { file: 'examples/antibody/antibody.nlm', tol: [1e-6, 1e-8], data: () => packSubjects(Array.from({ length: 100 }, () => s(Array.from({ length: 15 }, (_, i) => (400 * i) / 14))), 0) },
  theophylline: {
    file: 'examples/theophylline/theophylline.nlm', tol: [1e-6, 1e-8],
    data: () => packSubjects(Array.from({ length: 100 }, (_, i) => s([0.25, 0.5, 1, 2, 3.5, 5, 7, 9, 12, 24], { doses: [{ time: 0, amount: 320, input: 0, rate: 0 }], covariates: [60 + (i % 30)] })), 1),
  },
  tgfb: { file: 'examples/tgfb/tgfb.nlm', tol: [1e-6, 1e-8], data: () => packSubjects(Array.from({ length: 100 }, () => s(Array.from({ length: 20 }, (_, i) => (400 * i) / 19))), 0) },
  // The uncertainty step's tolerances on its test fixture: 60 subjects, lag, 4 doses by ADDL/II.
  oral2cpt: { file: 'test/uq/fixtures/oral2cpt/oral2cpt.nlm', tol: [1e-7, 1e-9], data: () => fromFile('test/uq/fixtures/oral2cpt/oral2cpt.nlm', 'test/uq/fixtures/oral2cpt/data.csv') },
};

function fromFile(model: string, file: string): EngineData {
  const ir = compile(readFileSync(model, 'utf8')).ir!;
  const read = readDataset(readFileSync(file, 'utf8'), file, requirementsFromIr(ir));
  return engineDataFromDataset(read.dataset!, ir).data!;
}

/** Rows at the initial values with the estimated parameters spread log-normally (sd 0.3), deterministic. */
function rowsFor(model: PreparedModel, nSubjects: number): Rows {
  const np = model.dims.np;
  const p = new Float64Array(nRows * np);
  for (let r = 0; r < nRows; r++) {
    for (let k = 0; k < np; k++) p[r * np + k] = model.initialParameters[k]! * (model.sensitivityParameters.includes(k) ? Math.exp(0.3 * Math.sin(7.1 * r + 3.3 * k)) : 1);
  }
  return { subject: Int32Array.from({ length: nRows }, (_, r) => r % nSubjects), p };
}

console.log(`rows: ${nRows} per run, sensitivities on, one thread; medians of ${repeats} alternating runs, trajectories per CPU-second`);
console.log('model        | n = nx + nx·ns | generic | fused  | fused/generic');
for (const [name, d] of Object.entries(designs)) {
  const model = await prepareModel(compile(readFileSync(d.file, 'utf8')), { method: 'explicit' });
  const data = d.data();
  const settings = { rtol: d.tol[0], atol: d.tol[1], maxSteps: 100_000, method: 'explicit' as const };
  const generic = createCpuEngine({ ...model, ts: { ...model.ts, explicitStep: undefined, explicitStepStates: undefined } }, data, settings);
  const fused = createCpuEngine(model, data, settings);
  const rows = rowsFor(model, data.nSubjects);
  await generic.simulate(rows);
  await fused.simulate(rows);
  const times: [number[], number[]] = [[], []];
  for (let k = 0; k < repeats; k++) {
    for (const [i, engine] of [generic, fused].entries()) {
      const c0 = process.cpuUsage();
      await engine.simulate(rows);
      const c = process.cpuUsage(c0);
      times[i]!.push((c.user + c.system) / 1e6);
    }
  }
  const median = (t: number[]): number => [...t].sort((a, b) => a - b)[t.length >> 1]!;
  const [g, f] = times.map((t) => nRows / median(t));
  const n = model.dims.nx + model.dims.nx * model.dims.ns;
  console.log(`${name.padEnd(12)} | ${String(n).padStart(14)} | ${g!.toFixed(0).padStart(7)} | ${f!.toFixed(0).padStart(6)} | ${(f! / g!).toFixed(2).padStart(13)}${model.ts.explicitStep ? '' : ' (no fused step: beyond its size limit)'}`);
}
process.exit(0);
