/**
 * Simulating inter-occasion variability from a template dataset whose occasion column (and a weight, carried
 * forward, changing at a time with only an EVID 2 row) change within subjects: each subject draws its own κ per
 * occasion; the simulated file writes the covariates at every row (and the EVID 2 row), so reading it back gives
 * the template's covariate track; with a negligible residual error every DV equals the closed form at the
 * subject's true values (from the truth file); over 3000 subjects the κ have sd ω_iov and are uncorrelated with
 * each other and with η.
 */
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { readDataset, requirementsFromIr } from '../../runtime/data/index.js';
import { engineDataFromDataset } from '../../runtime/engine/from-dataset.js';
import { prepareModel } from '../../runtime/engine/prepared-model.js';
import { Random } from '../../runtime/nn/random.js';
import { modelValues, simulateSubjects } from '../../runtime/simulate/simulate.js';
import { parseDesign } from '../../runtime/simulate/design.js';
import { subjectsFromDataset, subjectsFromDesign } from '../../runtime/simulate/subjects.js';
import { simulatedCsv } from '../../runtime/simulate/write-csv.js';

const source = `model iovsim
covariates {
  OCC occasions(2)
  WT
}
parameters {
  k = 0.2 lognormal(omega = 0.3) iov(omega = 0.25)
  V = 10 lognormal
}
states { central }
dosing { input iv -> central }
ode { d/dt central = -k * (WT / 70) * central }
observe { conc ~ normal(central / V, sd = sigma) }
error { sigma = 1e-9 }
`;

// Occasion 2 starts with the dose at 12; WT changes from 70 to 84 at 6, where the template has only an EVID 2 row.
const template = (n: number): string => ['ID,TIME,DV,AMT,EVID,CMT,OCC,WT', ...Array.from({ length: n }, (_, i) => [
  `${i + 1},0,.,100,1,1,1,70`, `${i + 1},3,0,.,0,.,1,70`, `${i + 1},6,.,.,2,.,1,84`, `${i + 1},9,0,.,0,.,1,84`,
  `${i + 1},12,.,100,1,1,2,84`, `${i + 1},15,0,.,0,.,2,84`, `${i + 1},20,0,.,0,.,2,84`,
]).flat()].join('\n') + '\n';

/** Amount/V at t for k, κ₁, κ₂: decay at k·WT(t)/70·exp(κ of the occasion), doses of 100 at 0 and 12. */
function concentration(t: number, k: number, V: number, kappa: readonly number[]): number {
  const cuts = [0, 6, 12, Infinity];
  const rate = (u: number): number => k * (u < 6 ? 1 : 84 / 70) * Math.exp(kappa[u < 12 ? 0 : 1]!);
  let A = 0;
  for (let i = 0; i + 1 < cuts.length && cuts[i]! <= t; i++) {
    if (cuts[i] === 0 || cuts[i] === 12) A += 100;
    A *= Math.exp(-rate(cuts[i]!) * (Math.min(cuts[i + 1]!, t) - cuts[i]!));
  }
  return A / V;
}

const compiled = compile(source);
const ir = compiled.ir!;
const prepared = await prepareModel(compiled);

async function simulate(n: number, seed: number) {
  const read = readDataset(template(n), 'template.csv', requirementsFromIr(ir));
  expect(read.issues.filter((i) => i.severity === 'error')).toEqual([]);
  const { subjects, errors } = subjectsFromDataset(read.dataset!);
  expect(errors).toEqual([]);
  return { read, sims: await simulateSubjects(ir, prepared, subjects!, modelValues(ir), new Random(seed)) };
}

describe('simulating inter-occasion variability from a template', () => {
  it('writes the covariates row by row (reading back the same track) and DV at the true values', async () => {
    const { read, sims } = await simulate(5, 3);
    const csv = simulatedCsv(ir, sims);
    expect(csv.split('\n').filter((l) => /^1,6,/.test(l))).toEqual(['1,6,.,1,2,.,.,1,84']);
    const back = readDataset(csv, 'sim.csv', requirementsFromIr(ir));
    expect(back.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(Array.from(engineDataFromDataset(back.dataset!, ir).data!.covariatePoints)).toEqual(Array.from(engineDataFromDataset(read.dataset!, ir).data!.covariatePoints));
    const k = ir.parameters.findIndex((p) => p.name === 'k');
    const kappa = [2, 3].map((r) => ir.randomEffects.findIndex((e) => e.name === `kappa_k_${r - 1}`));
    for (const s of sims) {
      expect(s.eta[kappa[0]!]).not.toBe(s.eta[kappa[1]!]);
      s.subject.obsTimes.forEach((t, j) => {
        const c = concentration(t, s.p[k]!, 10, kappa.map((r) => s.eta[r]!));
        expect(Math.abs(s.dv[j]! - c), `subject ${s.subject.id} at t = ${t}`).toBeLessThan(1e-7 * c);
      });
    }
  });

  it('draws κ with sd ω_iov, independent of η and of each other (3000 subjects)', async () => {
    const n = 3000;
    const { sims } = await simulate(n, 11);
    const column = (r: number): number[] => sims.map((s) => s.eta[r]!);
    const [eta, kappa1, kappa2] = [0, 1, 2].map(column) as [number[], number[], number[]];
    const sd = (x: number[]): number => Math.sqrt(x.reduce((a, v) => a + v * v, 0) / x.length);
    const corr = (x: number[], y: number[]): number => x.reduce((a, v, i) => a + v * y[i]!, 0) / (x.length * sd(x) * sd(y));
    // The sample sd of n normals has relative sd 1/√(2n); a sample correlation of independent ones sd 1/√n: 4 of each.
    for (const x of [kappa1, kappa2]) expect(Math.abs(sd(x) / 0.25 - 1)).toBeLessThan(4 / Math.sqrt(2 * n));
    expect(Math.abs(sd(eta) / 0.3 - 1)).toBeLessThan(4 / Math.sqrt(2 * n));
    for (const [x, y] of [[eta, kappa1], [eta, kappa2], [kappa1, kappa2]] as const) expect(Math.abs(corr(x, y))).toBeLessThan(4 / Math.sqrt(n));
  });

  it('a design with "occasions" numbers each row by the occasion it falls in', async () => {
    const designText = JSON.stringify({ subjects: 3, times: [1, 5, 13, 16], doses: [{ time: 0, amount: 100 }, { time: 12, amount: 100 }], occasions: [0, 12], covariates: { WT: { value: 70 } } });
    const { design } = parseDesign(designText, 'design.json');
    const random = new Random(2);
    const { subjects, errors } = subjectsFromDesign(ir, design!, random);
    expect(errors).toEqual([]);
    const csv = simulatedCsv(ir, await simulateSubjects(ir, prepared, subjects!, modelValues(ir), random));
    const occasionOf = csv.trim().split('\n').slice(1).filter((l) => l.startsWith('1,')).map((l) => { const f = l.split(','); return `${f[1]}:${f[7]}`; });
    expect(occasionOf).toEqual(['0:1', '1:1', '5:1', '12:2', '13:2', '16:2']);
    expect(readDataset(csv, 'sim.csv', requirementsFromIr(ir)).issues.filter((i) => i.severity === 'error')).toEqual([]);
  });

  it('refuses occasions the model does not number, and a design without them or the column', () => {
    const three = parseDesign(JSON.stringify({ subjects: 1, times: [1], occasions: [0, 10, 20], covariates: { WT: { value: 70 } } }), 'd.json').design!;
    expect(subjectsFromDesign(ir, three, new Random(1)).errors).toEqual(["the design has 3 occasions, but the model's OCC occasions(2) numbers only 2"]);
    const none = parseDesign(JSON.stringify({ subjects: 1, times: [1], covariates: { WT: { value: 70 } } }), 'd.json').design!;
    expect(subjectsFromDesign(ir, none, new Random(1)).errors[0]).toContain('"occasions": [0, 24, ...]');
    expect(parseDesign(JSON.stringify({ subjects: 1, times: [1], occasions: [5, 1] }), 'd.json').errors).toEqual(['d.json: "occasions" must be the start time of each occasion, ascending from 0, e.g. [0, 24, 48]']);
  });
});
