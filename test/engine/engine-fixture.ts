/** Compiling models and building small designs for the engine tests. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { packSubjects, type EngineData, type EngineSubject } from '../../runtime/engine/engine-data.js';
import { prepareModel, type PrepareOptions, type PreparedModel } from '../../runtime/engine/prepared-model.js';

/** Compiles and prepares a model; `options.method` picks the GPU kernel's method (explicit by default). */
export async function prepareSource(source: string, options: PrepareOptions = {}): Promise<PreparedModel> {
  const result = compile(source);
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return prepareModel(result, options);
}

export async function prepareExample(path: string, options: PrepareOptions = {}): Promise<PreparedModel> {
  return prepareSource(readExample(path), options);
}

export function readExample(path: string): string {
  return readFileSync(new URL(`../../examples/${path}`, import.meta.url), 'utf8');
}

/** One subject observed at `times` (output 0, values 0) with the given doses and covariates. */
export function subject(times: readonly number[], extra: Partial<EngineSubject> = {}): EngineSubject {
  return { obsTimes: times, obsValues: times.map(() => 0), obsOutputs: times.map(() => 0), doses: [], covariates: [], ...extra };
}

/** Rows for every subject, each at the model's initial parameters scaled by `scale[r]`. */
export function rowsAt(model: PreparedModel, data: EngineData, scales: readonly number[] = [1]): { subject: Int32Array; p: Float64Array } {
  const np = model.dims.np;
  const subjects: number[] = [];
  const p: number[] = [];
  for (let s = 0; s < data.nSubjects; s++) {
    for (const scale of scales) {
      subjects.push(s);
      for (let k = 0; k < np; k++) p.push(model.initialParameters[k]! * scale);
    }
  }
  return { subject: Int32Array.from(subjects), p: Float64Array.from(p) };
}

export { packSubjects };

/** max_i |a_i − b_i| / max(|b_i|, floor), over finite entries of b. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor: number): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) {
    if (!Number.isFinite(b[i]!)) continue;
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), floor));
  }
  return worst;
}
