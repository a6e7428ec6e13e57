/** The linear-Gaussian problem of linear.nlm (closed forms in gaussian-closed-form.ts), simulated with a seeded generator. */
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { createCpuEngine } from '../../runtime/engine/cpu/cpu-engine.js';
import { packSubjects } from '../../runtime/engine/engine-data.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { populationLayout } from '../../runtime/infer/population.js';
import { Random } from '../../runtime/nn/random.js';
import type { UqProblem } from '../../runtime/uq/marginal.js';
import { uqSolverSettings } from '../../runtime/uq/uncertainty.js';
import type { Subject } from './gaussian-closed-form.js';

/** N subjects simulated at a = 1.2, k = 0.25, c = −0.04, ω = (0.6, 0.15), σ = 0.25, observed at `times` (jittered). */
export async function linearProblem(N: number, seed = 7, times: readonly number[] = [0, 1, 2, 4, 6]): Promise<{ problem: UqProblem; subjects: Subject[] }> {
  const compiled = compile(readFileSync(new URL('./linear.nlm', import.meta.url), 'utf8'));
  expect(compiled.ir).toBeDefined();
  const model = await prepareModel(compiled);
  const layout = populationLayout(compiled.ir!);
  const random = new Random(seed);
  const subjects = Array.from({ length: N }, () => {
    const t = times.map((x, j) => (j === 0 ? 0 : x + 0.3 * (random.uniform() - 0.5)));
    const a = 1.2 + 0.6 * random.normal();
    const k = 0.25 + 0.15 * random.normal();
    return { t, y: t.map((x) => a + k * x - 0.04 * x * x + 0.25 * random.normal()) };
  });
  const data = packSubjects(subjects.map((s) => ({ obsTimes: s.t, obsValues: s.y, obsOutputs: s.t.map(() => 0), doses: [], covariates: [] })), 0);
  const problem: UqProblem = {
    model, data, layout, covariates: subjects.map(() => new Float64Array(0)), engine: createCpuEngine(model, data, uqSolverSettings), effectParameter: compiled.ir!.randomEffects.map((r) => r.parameter),
  };
  return { problem, subjects };
}
