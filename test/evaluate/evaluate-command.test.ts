/**
 * `nlmc evaluate` end to end against independent oracles: data simulated by the test's own generator from a
 * closed-form one-compartment model with proportional error (nothing of nlmc), fitted briefly in-process, then
 * evaluated. The correctly specified model must give NPDE ~ N(0, 1) and VPC bands that hold the observed
 * percentiles in about 90 % of bins; the same data fitted with a constant error model must be flagged.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runEvaluate } from '../../cli/commands/evaluate.js';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';
import { evaluateRun, simulateReplicates, type ModelEvaluation } from '../../runtime/evaluate/evaluate.js';
import { computeLikelihood } from '../../runtime/evaluate/likelihood.js';
import { normalitySummary } from '../../runtime/evaluate/stats.js';
import { generator } from './generator.js';

const dir = mkdtempSync(join(tmpdir(), 'nlmc-evaluate-'));
const truth = { CL: 3, V: 20, omega_CL: 0.3, omega_V: 0.2, b: 0.15 };
const times = [0.5, 1, 2, 4, 8, 12, 24];


/** 60 subjects, 100 mg IV bolus, C(t) = D/V·exp(−CL/V·t), y = C·(1 + b·ε). */
function simulatedCsv(subjects: number, seed: number): string {
  const g = generator(seed);
  const lines = ['ID,TIME,DV,AMT,EVID,MDV,CMT'];
  for (let id = 1; id <= subjects; id++) {
    const CL = truth.CL * Math.exp(truth.omega_CL * g.normal());
    const V = truth.V * Math.exp(truth.omega_V * g.normal());
    lines.push(`${id},0,.,100,1,1,1`);
    for (const t of times) {
      const c = (100 / V) * Math.exp((-CL / V) * t);
      lines.push(`${id},${t},${(c * (1 + truth.b * g.normal())).toPrecision(7)},0,0,0,1`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const model = (name: string, sd: string, modifier = '') => `model ${name}

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
  conc ~ normal(central / V, sd = ${sd}) ${modifier}
}
`;

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), isTty: false } };
}

const fitArgs = (modelFile: string, out: string): FitArgs => ({
  model: modelFile, data: join(dir, 'data.csv'), out, backend: 'cpu', seed: 1, epochs: 200, samples: 8, learningRate: 0.05, validation: 0, patience: 100,
  resume: false, progress: 'quiet', map: {}, color: false, uncertainty: false,
});

let correct: ModelEvaluation;
let wrong: ModelEvaluation;

beforeAll(async () => {
  writeFileSync(join(dir, 'data.csv'), simulatedCsv(60, 11));
  writeFileSync(join(dir, 'prop.nlm'), model('prop', 'proportional(b = 0.3)'));
  writeFileSync(join(dir, 'const.nlm'), model('const', 'constant(a = 0.3)'));
  for (const name of ['prop', 'const']) {
    const { io, out } = capture();
    const rc = await runFit(fitArgs(join(dir, `${name}.nlm`), join(dir, `${name}.fit`)), io, () => false);
    if (rc !== 0) throw new Error(`fit ${name}: ${out.stderr}`);
  }
  const { io, out } = capture();
  expect(await runEvaluate({ fit: join(dir, 'prop.fit'), samples: 300, seed: 1, bins: 7, map: {} }, io), out.stderr).toBe(0);
  correct = await evaluateRun(join(dir, 'prop.fit'), { samples: 300, seed: 1, bins: 7 });
  wrong = await evaluateRun(join(dir, 'const.fit'), { samples: 300, seed: 1, bins: 7 });
}, 170_000);

/** var(npde) in the top third of EPRED over the bottom third: the residual error's shape against the prediction. */
function tertileVarianceRatio(e: ModelEvaluation): number {
  const rows = e.npde.filter((r) => Number.isFinite(r.npde)).sort((a, b) => a.epred - b.epred);
  const third = Math.floor(rows.length / 3);
  const v = (x: typeof rows) => normalitySummary(x.map((r) => r.npde)).variance;
  return v(rows.slice(-third)) / v(rows.slice(0, third));
}

describe('nlmc evaluate', () => {
  it('writes npde.csv, vpc.csv and evaluation.json into the run folder', () => {
    for (const f of ['npde.csv', 'vpc.csv', 'evaluation.json']) expect(existsSync(join(dir, 'prop.fit', f))).toBe(true);
    const npde = readFileSync(join(dir, 'prop.fit', 'npde.csv'), 'utf8').trim().split('\n');
    expect(npde[0]).toBe('ID,TIME,OUTPUT,DV,PRED,EPRED,ESD,PWRES,PDE,NPDE,CENSORED');
    expect(npde.length - 1).toBe(60 * times.length);
    const json = JSON.parse(readFileSync(join(dir, 'prop.fit', 'evaluation.json'), 'utf8'));
    expect(json.likelihood.subjects).toHaveLength(60);
    expect(json.shrinkage.eta).toHaveLength(2);
  });

  it('refuses a missing run folder (2) and bad --samples/--bins (1); takes fit.json as well as the folder', async () => {
    const a = capture();
    expect(await runEvaluate({ fit: join(dir, 'nothing.fit'), samples: 100, seed: 1, bins: 5, map: {} }, a.io)).toBe(2);
    expect(a.out.stderr).toMatch(/no such run folder/);
    const b = capture();
    expect(await runEvaluate({ fit: join(dir, 'prop.fit'), samples: 5, seed: 1, bins: 5, map: {} }, b.io)).toBe(1);
    expect(await runEvaluate({ fit: join(dir, 'prop.fit'), samples: 100, seed: 1, bins: 0, map: {} }, b.io)).toBe(1);
    expect(b.out.stderr).toMatch(/--samples takes a whole number ≥ 20/);
    const d = capture();
    expect(await runEvaluate({ fit: join(dir, 'prop.fit'), samples: 40, seed: 1, bins: 3, data: join(dir, 'missing.csv'), map: {} }, d.io)).toBe(2);
    expect(d.out.stderr).toMatch(/give it with --data/);
    const s = capture();
    expect(await runEvaluate({ fit: join(dir, 'prop.fit'), samples: 40, seed: 1, bins: 3, stratify: 'WT', map: {} }, s.io)).toBe(1);
    expect(s.out.stderr).toMatch(/--stratify WT: the model has no covariate WT \(covariates: none\)/);
    const c = capture();
    expect(await runEvaluate({ fit: join(dir, 'prop.fit', 'fit.json'), samples: 40, seed: 2, bins: 3, map: {} }, c.io), c.out.stderr).toBe(0);
    expect(c.out.stdout).toMatch(/NPDE \(420 observations, K = 40\)/);
    // Rewritten by the last call: K = 40, 3 bins.
    expect(JSON.parse(readFileSync(join(dir, 'prop.fit', 'evaluation.json'), 'utf8')).samples).toBe(40);
  });

  it('is reproducible: the same seed gives the same simulations, another seed others', async () => {
    const run = correct.run;
    const a = await simulateReplicates(run.ctx, run.population, 30, 5);
    const b = await simulateReplicates(run.ctx, run.population, 30, 5);
    const c = await simulateReplicates(run.ctx, run.population, 30, 6);
    expect(a.sims.map((x) => Array.from(x))).toEqual(b.sims.map((x) => Array.from(x)));
    expect(Array.from(a.sims[0]!)).not.toEqual(Array.from(c.sims[0]!));
    expect(a.sims[0]!.length).toBe(30 * times.length);
  });

  it('correct model: NPDE mean within 2 SE of 0, variance within its χ² sampling error of 1, KS not rejected', () => {
    const s = correct.npdeSummary;
    console.log('correct', JSON.stringify({ mean: s.mean, se: s.meanSe, variance: s.variance, varianceP: s.varianceP, ks: s.ks, ratio: tertileVarianceRatio(correct), shrinkage: correct.shrinkage, minus2LL: correct.likelihood.total, seconds: correct.seconds }));
    expect(s.n).toBe(420);
    expect(Math.abs(s.mean)).toBeLessThan(2 * s.meanSe);
    // Two-sided χ² test of variance = 1 at α = 0.01.
    expect(s.varianceP).toBeGreaterThan(0.01);
    expect(s.ks.p).toBeGreaterThan(0.01);
    // Against the prediction: no trend in spread (an F-like ratio of two thirds, 140 values each).
    const r = tertileVarianceRatio(correct);
    expect(r).toBeGreaterThan(0.6);
    expect(r).toBeLessThan(1.7);
  });

  it('misspecified (constant error for proportional data): the spread of NPDE grows with the prediction', () => {
    const s = wrong.npdeSummary;
    const r = tertileVarianceRatio(wrong);
    const rows = wrong.vpc[0]!.rows;
    console.log('wrong', JSON.stringify({ mean: s.mean, variance: s.variance, varianceP: s.varianceP, ks: s.ks, kurtosis: s.kurtosis, ratio: r, vpcInside: rows.filter((x) => x.inside).length, vpcRows: rows.length }));
    // The pooled variance stays near 1 (the fitted constant sd averages over the range), but the spread does not:
    // under the model the ratio is an F(139, 139) variable, whose 99.9 % quantile is about 1.7.
    expect(r).toBeGreaterThan(3);
    expect(r / tertileVarianceRatio(correct)).toBeGreaterThan(3);
  });

  it('VPC of the correct model: observed percentiles inside the 90 % bands in about 90 % of bins (VPC and pcVPC)', () => {
    const rows = correct.vpc[0]!.rows;
    const inside = rows.filter((r) => r.inside).length;
    console.log('vpc', inside, rows.length, rows.filter((r) => !r.inside).map((r) => `${r.kind} bin ${r.bin} p${r.percentile}`).join('; '));
    // 2 kinds × 7 bins × 3 percentiles = 42 checks, expected 0.9 each: Binomial(42, 0.9) ≥ 31 has probability > 0.99.
    expect(rows).toHaveLength(42);
    expect(inside).toBeGreaterThanOrEqual(31);
  });

  it('shrinkage and per-subject −2LL are consistent with the fit', () => {
    for (const e of correct.shrinkage.eta) {
      expect(e.shrinkage).toBeGreaterThan(-0.3);
      expect(e.shrinkage).toBeLessThan(0.6);
    }
    // 7 samples per subject with 15 % error: IWRES shrinkage is small.
    expect(Math.abs(correct.shrinkage.epsilon.shrinkage)).toBeLessThan(0.35);
    const fit = JSON.parse(readFileSync(join(dir, 'prop.fit', 'fit.json'), 'utf8'));
    expect(correct.likelihood.total).toBeCloseTo(-2 * fit.maximumLikelihood.logLik, 6);
  });

  it('−2LL: the fit’s per-subject values are reused; subjects integrated again on their own give the same values', async () => {
    expect(correct.likelihood.source).toBe('fit');
    expect(correct.ebeSource).toMatch(/individual\.csv \(the conditional modes\)/);
    const sampled = await computeLikelihood(correct.run, { etas: correct.ebes, maxSubjects: 12, seed: 3 });
    const known = Array.from(sampled.minus2LL.keys()).filter((i) => Number.isFinite(sampled.minus2LL[i]!));
    expect(known).toHaveLength(12);
    for (const i of known) expect(sampled.minus2LL[i]!).toBeCloseTo(correct.likelihood.minus2LL[i]!, 4);
    // The total from 12 of 60 subjects: an unbiased estimate within a few sampling SE of the full sum.
    expect(sampled.totalSe).toBeGreaterThan(0);
    expect(Math.abs(sampled.total - correct.likelihood.total)).toBeLessThan(4 * sampled.totalSe);
  });
});

describe('nlmc evaluate with censored rows', () => {
  it('imputes the censored observations for the NPDE (kept in, N(0, 1) for the correct model), leaves them out of ε-shrinkage, counts them below the limit in the VPC, and says so', async () => {
    // The same data with every value below 0.4 mg/L reported as CENS = 1 at the limit (M3 in the model).
    const lloq = 0.4;
    const rows = readFileSync(join(dir, 'data.csv'), 'utf8').trim().split('\n');
    let censored = 0;
    const csv = [`${rows[0]},CENS`, ...rows.slice(1).map((line) => {
      const f = line.split(',');
      if (f[4] === '0' && Number(f[2]) < lloq) {
        censored++;
        return [...f.slice(0, 2), String(lloq), ...f.slice(3), '1'].join(',');
      }
      return `${line},0`;
    })].join('\n');
    expect(censored).toBeGreaterThan(20);
    writeFileSync(join(dir, 'cens.csv'), `${csv}\n`);
    writeFileSync(join(dir, 'cens.nlm'), model('cens', 'proportional(b = 0.3)', 'censored(left)'));
    const { io, out } = capture();
    expect(await runFit({ ...fitArgs(join(dir, 'cens.nlm'), join(dir, 'cens.fit')), data: join(dir, 'cens.csv') }, io, () => false), out.stderr).toBe(0);
    const e = await evaluateRun(join(dir, 'cens.fit'), { samples: 200, seed: 1, bins: 6 });
    expect(e.npde.filter((r) => r.censored)).toHaveLength(censored);
    for (const r of e.npde.filter((x) => x.censored)) expect(Number.isFinite(r.npde)).toBe(true);
    expect(e.npdeSummary.n).toBe(420);
    // A correctly specified model with the censored rows imputed: mean and variance within 3.29 SE (α = 0.001).
    expect(Math.abs(e.npdeSummary.mean)).toBeLessThan(3.29 / Math.sqrt(420));
    expect(Math.abs(e.npdeSummary.variance - 1)).toBeLessThan(3.29 * Math.sqrt(2 / 420));
    expect(e.shrinkage.epsilon.observations).toBe(420 - censored);
    expect(e.notes.some((n) => n.includes(`${censored} censored observations`))).toBe(true);
    // The VPC keeps every row, a censored one as a value below its limit; each bin's observed BLQ fraction is its
    // share of censored rows, and for this correctly specified model the simulated fractions' 90 % intervals hold it.
    const vpcRows = e.vpc[0]!.rows;
    expect(vpcRows.reduce((n, r) => n + (r.kind === 'vpc' && r.percentile === 0.5 ? r.count : 0), 0)).toBe(420);
    const blq = vpcRows.filter((r) => r.kind === 'blq');
    expect(blq).toHaveLength(6);
    expect(blq.reduce((n, r) => n + Math.round(r.observed * r.count), 0)).toBe(censored);
    expect(blq.filter((r) => r.inside).length).toBeGreaterThanOrEqual(4);
    console.log('censored', censored, JSON.stringify({ mean: e.npdeSummary.mean, variance: e.npdeSummary.variance, ks: e.npdeSummary.ks }));
  });
});
