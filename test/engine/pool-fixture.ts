/** The two models of the pool tests and benchmark, with their data, and deterministic rows spread around the initial values. */
import { readFileSync } from 'node:fs';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import type { EngineData } from '../../runtime/engine/engine-data.js';
import { engineDataFromDataset } from '../../runtime/engine/from-dataset.js';
import { prepareModel, type PreparedModel } from '../../runtime/engine/prepared-model.js';

/** Model and data files, relative to the repository root. */
export const poolModels = {
  pk: { model: 'examples/pk/pk.nlm', data: 'examples/pk/data.csv' },
  oral2cpt: { model: 'test/uq/fixtures/oral2cpt/oral2cpt.nlm', data: 'test/uq/fixtures/oral2cpt/data.csv' },
} as const;

export async function loadModelAndData(name: keyof typeof poolModels): Promise<{ model: PreparedModel; data: EngineData }> {
  const root = new URL('../../', import.meta.url);
  const files = poolModels[name];
  const compiled = compile(readFileSync(new URL(files.model, root), 'utf8'));
  if (!compiled.ir) throw new Error(`${files.model} does not compile`);
  const read = readDataset(readFileSync(new URL(files.data, root), 'utf8'), files.data, requirementsFromIr(compiled.ir));
  if (!read.dataset) throw new Error(`${files.data} does not read`);
  const converted = engineDataFromDataset(read.dataset, compiled.ir);
  if (!converted.data) throw new Error(converted.problems.map((p) => p.message).join('\n'));
  return { model: await prepareModel(compiled), data: converted.data };
}

/** n rows cycling over the subjects, the estimated parameters log-normal (sd `spread`) around their initial values. */
export function spreadRows(model: PreparedModel, nSubjects: number, n: number, spread = 0.3): { subject: Int32Array; p: Float64Array } {
  let seed = 12345;
  const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const np = model.dims.np;
  const estimated = new Set(model.sensitivityParameters);
  const subject = new Int32Array(n);
  const p = new Float64Array(n * np);
  for (let r = 0; r < n; r++) {
    subject[r] = r % nSubjects;
    for (let k = 0; k < np; k++) {
      const z = Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
      p[r * np + k] = model.initialParameters[k]! * (estimated.has(k) ? Math.exp(spread * z) : 1);
    }
  }
  return { subject, p };
}
