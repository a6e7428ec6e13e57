/**
 * A model with two outputs (the concentration, and the amount in the body on a log scale): the report draws each
 * goodness-of-fit and VPC figure once per output, and one individual-fit panel per subject and output, each with
 * that output's observations (rows told apart by DVID).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFit } from '../../cli/commands/fit.js';
import { runReport } from '../../cli/commands/report.js';
import { generator } from '../evaluate/generator.js';
import { capture, concentration, DOSE } from './fixture.js';
import { markLabels, panelTitles, value } from './svg.js';

const dir = mkdtempSync(join(tmpdir(), 'nlmc-report-outputs-'));
const SUBJECTS = 16;
const times = [1, 3, 8, 16];
let run: string;
/** The data's values per output. */
const observed: { conc: number[]; amount: number[] } = { conc: [], amount: [] };
const svg = (id: string) => readFileSync(join(run, 'report-figures', `${id}.svg`), 'utf8');

const model = `model two_outputs

parameters {
  CL = 2.5  lognormal(omega = 0.2)
  V  = 18   lognormal(omega = 0.2)
}

states {
  central
}

dosing {
  input bolus -> central
}

ode {
  d/dt central = -CL / V * central
}

observe {
  conc ~ normal(central / V, sd = proportional(b = 0.3))
  log(amount) ~ normal(log(central), sd = 0.3)
}
`;

beforeAll(async () => {
  const g = generator(4);
  const lines = ['ID,TIME,DV,AMT,EVID,MDV,CMT,DVID'];
  for (let id = 1; id <= SUBJECTS; id++) {
    const CL = 3 * Math.exp(0.3 * g.normal());
    const V = 20 * Math.exp(0.2 * g.normal());
    lines.push(`${id},0,.,${DOSE},1,1,1,.`);
    for (const t of times) {
      const c = concentration(CL, V, t);
      const conc = Number((c * (1 + 0.15 * g.normal())).toPrecision(7));
      const amount = Number((c * V * Math.exp(0.15 * g.normal())).toPrecision(7));
      observed.conc.push(conc);
      observed.amount.push(amount);
      lines.push(`${id},${t},${conc},0,0,0,1,1`, `${id},${t},${amount},0,0,0,1,2`);
    }
  }
  writeFileSync(join(dir, 'data.csv'), `${lines.join('\n')}\n`);
  writeFileSync(join(dir, 'two.nlm'), model);
  run = join(dir, 'two.fit');
  const f = capture();
  const rc = await runFit({
    model: join(dir, 'two.nlm'), data: join(dir, 'data.csv'), out: run, backend: 'cpu', seed: 1, epochs: 40, samples: 8, learningRate: 0.05, validation: 0, patience: 100,
    resume: false, progress: 'quiet', map: {}, color: false, uncertainty: false,
  }, f.io, () => false);
  expect(rc, f.out.stderr).toBe(0);
  const r = capture();
  expect(await runReport({ fits: [run], samples: 30, seed: 1, bins: 4, subjects: 3, map: {} }, r.io), r.out.stderr).toBe(0);
}, 170_000);

describe('the report of a model with two outputs', () => {
  it('draws DV against PRED per output, each with that output’s observations (amount on its log scale)', () => {
    const conc = markLabels(svg('dv-vs-pred-conc'), 'observations').map((l) => value(l, 'DV')).sort((a, b) => a - b);
    const amount = markLabels(svg('dv-vs-pred-amount'), 'observations').map((l) => value(l, 'DV')).sort((a, b) => a - b);
    expect(conc).toHaveLength(SUBJECTS * times.length);
    expect(amount).toHaveLength(SUBJECTS * times.length);
    [...observed.conc].sort((a, b) => a - b).forEach((v, k) => expect(conc[k]!).toBeCloseTo(v, 6));
    [...observed.amount].map(Math.log).sort((a, b) => a - b).forEach((v, k) => expect(amount[k]!).toBeCloseTo(v, 6));
  });

  it('draws a VPC and a pcVPC per output', () => {
    for (const id of ['vpc-conc', 'vpc-amount', 'pcvpc-conc', 'pcvpc-amount']) expect(markLabels(svg(id), 'simulated-interval')).toHaveLength(3 * times.length);
  });

  it('draws one individual-fit panel per subject and output, each with that output’s observations', () => {
    const figure = svg('individual-fits');
    // pickSubjects(16, 3): subjects 0, 5 and 10.
    expect(panelTitles(figure)).toEqual(['1', '6', '11'].flatMap((id) => [`ID ${id} · conc`, `ID ${id} · amount`]));
    expect(markLabels(figure, 'observations')).toHaveLength(3 * 2 * times.length);
    expect(markLabels(figure, 'curves').length).toBe(3 * 2 * 2);
  });
});
