/**
 * Simulation: the written file reads back to the same numbers, the same seed gives the same bytes, and the
 * simulated individual parameters and residuals follow the model's distributions.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { parseDesign } from '../../runtime/simulate/design.js';
import { Random } from '../../runtime/nn/random.js';
import { applyOverrides, modelValues, simulateSubjects } from '../../runtime/simulate/simulate.js';
import { subjectsFromDataset, subjectsFromDesign } from '../../runtime/simulate/subjects.js';
import { simulatedCsv, truthCsv } from '../../runtime/simulate/write-csv.js';

const pkSource = readFileSync(new URL('../../examples/pk/pk.nlm', import.meta.url), 'utf8');
const compiled = compile(pkSource);
const ir = compiled.ir!;
const prepared = await prepareModel(compiled);

async function simulatePk(subjects: number, seed: number, jitter = 0.02) {
  const { design } = parseDesign(JSON.stringify({ subjects, times: [0, 0.2, 0.7, 2.5, 5, 10], jitter: { sd: jitter } }), 'design.json');
  const random = new Random(seed);
  const built = subjectsFromDesign(ir, design!, random);
  return simulateSubjects(ir, prepared, built.subjects!, modelValues(ir), random);
}

describe('nlmc simulate', () => {
  it('writes a file that reads back to the same numbers', async () => {
    const sim = await simulatePk(20, 7);
    const csv = simulatedCsv(ir, sim);
    const read = readDataset(csv, 'sim.csv', requirementsFromIr(ir));
    expect(read.issues.filter((i) => i.severity === 'error')).toEqual([]);
    const ds = read.dataset!;
    expect(ds.subjectCount).toBe(20);
    sim.forEach((s, i) => {
      s.dv.forEach((dv, j) => {
        expect(ds.obsTime[i * ds.maxObservations + j]).toBeCloseTo(s.subject.obsTimes[j]!, 8);
        expect(Math.abs(ds.obsValue[i * ds.maxObservations + j]! - dv)).toBeLessThan(1e-9 * Math.max(1, Math.abs(dv)));
      });
    });
  });

  it('gives the same bytes for the same seed, and different data for another', async () => {
    const a = simulatedCsv(ir, await simulatePk(10, 42));
    const b = simulatedCsv(ir, await simulatePk(10, 42));
    const c = simulatedCsv(ir, await simulatePk(10, 43));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('draws log θ1,i with mean log θ1 and sd ω, and residuals with sd σ (n = 2000, seed 11, 4 standard errors)', async () => {
    const n = 2000;
    const sim = await simulatePk(n, 11, 0);
    const logs = sim.map((s) => Math.log(s.p[0]!));
    const mean = logs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(logs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    // SE of the mean is ω/√n; of the sd about ω/√(2n).
    expect(Math.abs(mean - Math.log(0.5))).toBeLessThan((4 * 0.5) / Math.sqrt(n));
    expect(Math.abs(sd - 0.5)).toBeLessThan((4 * 0.5) / Math.sqrt(2 * n));
    // θ2 has no random effect: every subject has the population value.
    expect(sim.every((s) => s.p[1] === 2)).toBe(true);
    // Residuals at t = 0, where X1 = 2 exactly for everyone: DV − 2 ~ N(0, σ²).
    const r = sim.map((s) => s.dv[0]! - 2);
    const rsd = Math.sqrt(r.reduce((a, b) => a + b * b, 0) / n);
    expect(Math.abs(rsd - 0.2)).toBeLessThan((4 * 0.2) / Math.sqrt(2 * n));
  });

  it('keeps a template dataset’s design (theophylline: doses and covariates) and writes the true values', async () => {
    const source = readFileSync(new URL('../../examples/theophylline/theophylline.nlm', import.meta.url), 'utf8');
    const theo = compile(source);
    const model = await prepareModel(theo);
    const data = readFileSync(new URL('../../examples/theophylline/data.csv', import.meta.url), 'utf8');
    const read = readDataset(data, 'data.csv', requirementsFromIr(theo.ir!));
    const subjects = subjectsFromDataset(read.dataset!).subjects!;
    const sim = await simulateSubjects(theo.ir!, model, subjects, modelValues(theo.ir!), new Random(3));
    const csv = simulatedCsv(theo.ir!, sim);
    const back = readDataset(csv, 'sim.csv', requirementsFromIr(theo.ir!)).dataset!;
    expect(back.subjectCount).toBe(12);
    expect(Array.from(back.doseCount)).toEqual(Array.from(read.dataset!.doseCount));
    expect(Array.from(back.doseAmount)).toEqual(Array.from(read.dataset!.doseAmount));
    expect(Array.from(back.obsTime)).toEqual(Array.from(read.dataset!.obsTime));
    const truth = truthCsv(theo.ir!, sim).trim().split('\n');
    expect(truth[0]).toBe('ID,eta_ka,eta_CL,eta_V,ka,CL,V');
    expect(truth).toHaveLength(13);
  });

  it('rejects unknown names in --params', () => {
    const r = applyOverrides(ir, modelValues(ir), { theta1: 0.6, omega_theta1: 0.4, tehta2: 1 });
    expect(r.values).toBeUndefined();
    expect(r.errors).toEqual(['"tehta2" is not a parameter of the model: expected one of theta1, theta2, sigma, omega_theta1']);
    const ok = applyOverrides(ir, modelValues(ir), { theta1: 0.6, omega_theta1: 0.4, sigma: 0.3 });
    expect(Array.from(ok.values!.parameters)).toEqual([0.6, 2]);
    expect(Array.from(ok.values!.omegas)).toEqual([0.4]);
    expect(Array.from(ok.values!.errorParameters)).toEqual([0.3]);
  });
});
