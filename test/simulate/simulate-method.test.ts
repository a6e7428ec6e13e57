/**
 * `nlmc simulate --method`: a stiff model is simulated with the method the stiffness test picks, which says why,
 * and the values equal the closed form of the stiff linear chain, X2(t) = 10 k_f/(k_f − k_s) (e^{−k_s t} − e^{−k_f t}).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { Random } from '../../runtime/nn/random.js';
import { modelValues, simulateSubjects } from '../../runtime/simulate/simulate.js';
import { subjectsFromDataset } from '../../runtime/simulate/subjects.js';

describe('simulate: the integration method', () => {
  it('auto picks the Rosenbrock method for the stiff chain, and the simulated values are the closed form', async () => {
    const compiled = compile(readFileSync(new URL('../fixtures/stiff/stiff.nlm', import.meta.url), 'utf8'));
    const ir = compiled.ir!;
    const read = readDataset(readFileSync(new URL('../fixtures/stiff/stiff.csv', import.meta.url), 'utf8'), 'stiff.csv', requirementsFromIr(ir));
    const subjects = subjectsFromDataset(read.dataset!).subjects!.slice(0, 6);
    const values = modelValues(ir);
    values.errorParameters[0] = 1e-12; // DV is then the prediction
    const reasons: string[] = [];
    const sims = await simulateSubjects(ir, await prepareModel(compiled), subjects, values, new Random(3), { method: 'auto', onMethod: (r) => reasons.push(r) });
    expect(reasons).toHaveLength(1);
    expect(reasons[0]).toMatch(/^method: Rosenbrock-W \(ROS34PW2\); auto: the model is stiff/);
    const kf = 1e4;
    for (const s of sims) {
      const ks = s.p[1]!;
      s.subject.obsTimes.forEach((t, j) => {
        const exact = ((10 * kf) / (kf - ks)) * (Math.exp(-ks * t) - Math.exp(-kf * t));
        expect(Math.abs(s.dv[j]! - exact)).toBeLessThan(1e-6 * Math.max(1, Math.abs(exact)));
      });
    }
  }, 120_000);
});
