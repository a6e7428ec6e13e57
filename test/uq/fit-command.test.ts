/**
 * `nlmc fit` with the uncertainty step and `--starts`, `--no-uncertainty`, and the message for a non-identifiable
 * model — run in-process on small models.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';
import { runSimulate } from '../../runtime/simulate/simulate-run.js';
import { closedForm, type Subject } from './gaussian-closed-form.js';
import { exactMle } from './exact-mle.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nlmc-uq-'));
const linear = join(here, 'linear.nlm');
const design = join(here, 'linear-design.json');

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), isTty: false } };
}

const fitArgs = (model: string, data: string, out: string, extra: Partial<FitArgs> = {}): FitArgs => ({
  model, data, out, backend: 'cpu', seed: 1, epochs: 150, samples: 8, learningRate: 0.05, validation: 0, patience: 100, resume: false, progress: 'quiet', map: {}, color: false,
  uqSamples: 60, ...extra,
});

interface EstimatesJson {
  estimates: { name: string; fixed: boolean; estimate: number; se: number | null; rse: number | null; ciLower: number | null; ciUpper: number | null }[];
  likelihood: Record<string, unknown> | null;
  uncertainty: { messages: string[]; correlation: number[][] | null } | null;
  starts?: { runs: number; clusters: { parameter: string; separated: boolean }[] };
}

beforeAll(async () => {
  const { io } = capture();
  expect(await runSimulate({ model: linear, design, seed: 3, out: join(dir, 'data.csv'), map: {}, color: false }, io)).toBe(0);
});

/** The subjects of a simulated CSV (ID, TIME, DV columns; observation rows only). */
function subjectsOf(csv: string): Subject[] {
  const [header, ...rows] = csv.trim().split('\n');
  const col = (name: string) => header!.split(',').indexOf(name);
  const [id, time, dv, mdv] = [col('ID'), col('TIME'), col('DV'), col('MDV')];
  const by = new Map<string, { t: number[]; y: number[] }>();
  for (const line of rows) {
    const f = line.split(',');
    if (mdv >= 0 && f[mdv] === '1') continue;
    const s = by.get(f[id]!) ?? { t: [], y: [] };
    s.t.push(Number(f[time]));
    s.y.push(Number(f[dv]));
    by.set(f[id]!, s);
  }
  return [...by.values()];
}

describe('nlmc fit: uncertainty and starts', () => {
  it('reports the maximum-likelihood estimate: every entry within 0.01 SE of the exact MLE, the exact −2LL and SEs', async () => {
    const { io, out } = capture();
    const code = await runFit(fitArgs(linear, join(dir, 'data.csv'), join(dir, 'ml'), { epochs: 100 }), io, () => false);
    expect(code).toBe(0);
    expect(out.stderr).toMatch(/maximum likelihood: converged: the Newton step is [\d.e-]+ SE/);
    const e = JSON.parse(readFileSync(join(dir, 'ml', 'estimates.json'), 'utf8')) as EstimatesJson & { estimate: string; variational: unknown[]; uncertainty: { standardErrors: number[] } };
    expect(e.estimate).toBe('maximum likelihood');
    expect(e.variational).toHaveLength(6);
    const exact = exactMle(subjectsOf(readFileSync(join(dir, 'data.csv'), 'utf8')), [1, 0.3, -0.05, Math.log(0.5), Math.log(0.2), Math.log(0.3)]);
    const fitted = e.estimates.map((r) => (r.name.startsWith('omega') || r.name === 'sigma' ? Math.log(r.estimate) : r.estimate));
    fitted.forEach((x, k) => expect(Math.abs(x - exact.v[k]!) / exact.se[k]!, e.estimates[k]!.name).toBeLessThan(0.01));
    e.uncertainty.standardErrors.forEach((se, k) => expect(Math.abs(se / exact.se[k]! - 1), e.estimates[k]!.name).toBeLessThan(1e-3));
    expect(e.likelihood!['estimator']).toBe('agq');
    expect(Math.abs((e.likelihood!["minus2LL"] as number) + 2 * exact.logLik)).toBeLessThan(1e-3);
    expect(out.stdout).toMatch(/at the maximum-likelihood estimate: −2LL -?\d+\.\d\d \(adaptive Gauss–Hermite quadrature, 9 nodes per effect; -?\d+\.\d\d with 11\)  AIC/);
  });

  it('--estimate elbo: the variational optimum with SE, RSE and CI columns from the drawn estimators, correlations, and starts.csv', async () => {
    const { io, out } = capture();
    // The drawn estimators are tested with the mean-field family: after 150 epochs the full-rank q of this model is
    // a poorer proposal (smallest ESS 36 of 200, −2LL error 0.71) and 200 draws leave the weakest curvature within
    // its Monte-Carlo error — the default path (AGQ at the MLE, above) has no such error. 300 epochs: after 150 the
    // optimum was not settled, and a 1e-7 change in the trajectories (the starting step's rule) moved it to where
    // ω_a and σ trade within the 200 draws' error (curvature 1.06 ± 2.0).
    const code = await runFit(fitArgs(linear, join(dir, 'data.csv'), join(dir, 'run'), { starts: 2, estimate: 'elbo', uqSamples: 200, posterior: 'diagonal', epochs: 300 }), io, () => false);
    expect(out.stderr).toContain('uncertainty at the variational optimum: Monte-Carlo marginal likelihood and observed information on the CPU (f64), 200 draws per subject');
    expect(code).toBe(0);
    const e = JSON.parse(readFileSync(join(dir, 'run', 'estimates.json'), 'utf8')) as EstimatesJson;
    const l = e.likelihood!;
    expect(Object.keys(l)).toEqual(expect.arrayContaining(['minus2LL', 'aic', 'bic', 'estimator', 'mcError', 'samples']));
    expect(l['aic']).toBeCloseTo((l['minus2LL'] as number) + 2 * 6, 10);
    expect(l['bic']).toBeCloseTo((l['minus2LL'] as number) + 6 * Math.log(12), 10);
    expect(l['samples']).toBe(200);
    expect(['prior', 'importance']).toContain(l['estimator']);
    const mcErrors = (l['estimators'] as { mcError: number }[]).map((x) => x.mcError);
    expect(l['mcError']).toBe(Math.min(...mcErrors));
    const csv = readFileSync(join(dir, 'run', 'estimates.csv'), 'utf8');
    expect(csv).not.toMatch(/NaN|Infinity/);
    for (const r of e.estimates) {
      expect(r.se).toBeGreaterThan(0);
      expect(r.rse).toBeCloseTo((100 * r.se!) / Math.abs(r.estimate), 10);
      expect(r.ciLower!).toBeLessThan(r.estimate);
      expect(r.ciUpper!).toBeGreaterThan(r.estimate);
    }
    expect(e.uncertainty!.correlation).toHaveLength(6);
    const starts = readFileSync(join(dir, 'run', 'starts.csv'), 'utf8').trim().split('\n');
    expect(starts).toHaveLength(4);
    expect(starts[0]).toBe('start,seed,elbo,epochs,stop,seconds,init_a,init_k,init_c,init_omega_a,init_omega_k,init_sigma,a,k,c,omega_a,omega_k,sigma');
    expect(e.starts!.runs).toBe(3);
    expect(e.starts!.clusters.map((c) => c.parameter)).toEqual(['a', 'k', 'c', 'omega_a', 'omega_k', 'sigma']);
    expect(out.stdout).toMatch(/convergence over 3 runs: /);
    expect(out.stdout).toMatch(/at the variational optimum: −2LL -?\d+\.\d\d \(Monte-Carlo SE [\d.e+-]+, (importance|prior) sampling, 200 draws per subject\)  AIC/);
  });

  it('--estimate elbo --uq-estimator agq: the exact −2LL and information at the ELBO optimum itself', async () => {
    const { io } = capture();
    expect(await runFit(fitArgs(linear, join(dir, 'data.csv'), join(dir, 'elbo-agq'), { epochs: 100, estimate: 'elbo', uqEstimator: 'agq' }), io, () => false)).toBe(0);
    const e = JSON.parse(readFileSync(join(dir, 'elbo-agq', 'estimates.json'), 'utf8')) as EstimatesJson & { estimate: string };
    expect(e.estimate).toBe('variational (ELBO optimum)');
    expect(e.likelihood!['estimator']).toBe('agq');
    const v = e.estimates.map((r) => (r.name.startsWith('omega') || r.name === 'sigma' ? Math.log(r.estimate) : r.estimate));
    const exact = subjectsOf(readFileSync(join(dir, 'data.csv'), 'utf8')).reduce((acc, subject) => acc + closedForm(subject, v).logLik, 0);
    expect(Math.abs((e.likelihood!['minus2LL'] as number) + 2 * exact)).toBeLessThan(1e-3);
  });

  it('Ctrl-C during the maximum-likelihood finish: the variational optimum is written, marked incomplete, exit 3', async () => {
    const { io, out } = capture();
    // The stop request arrives once the finish has started (training is over by then).
    const code = await runFit(fitArgs(linear, join(dir, 'data.csv'), join(dir, 'stopped'), { epochs: 60 }), io, () => out.stderr.includes('maximum likelihood: from'));
    expect(code).toBe(3);
    expect(out.stderr).toMatch(/interrupted during the maximum-likelihood finish; the outputs in .* are marked incomplete \(continue with --resume\)/);
    const e = JSON.parse(readFileSync(join(dir, 'stopped', 'estimates.json'), 'utf8')) as EstimatesJson & { complete: boolean; estimate: string };
    expect(e.complete).toBe(false);
    expect(e.estimate).toBe('variational (ELBO optimum)');
    expect(e.likelihood).toBeNull();
  });

  it('--no-uncertainty skips it: null likelihood, empty columns', async () => {
    const { io } = capture();
    expect(await runFit(fitArgs(linear, join(dir, 'data.csv'), join(dir, 'plain'), { epochs: 20, uncertainty: false }), io, () => false)).toBe(0);
    const e = JSON.parse(readFileSync(join(dir, 'plain', 'estimates.json'), 'utf8')) as EstimatesJson;
    expect(e.likelihood).toBeNull();
    expect(e.uncertainty).toBeNull();
    expect(e.estimates.every((r) => r.se === null && r.ciLower === null)).toBe(true);
    expect(readFileSync(join(dir, 'plain', 'estimates.csv'), 'utf8').split('\n')[1]).toMatch(/,,,,,,yes,[a-z-]+$/);
    expect(existsSync(join(dir, 'plain', 'starts.csv'))).toBe(false);
  });

  it('a model that identifies only a product a·b: a message naming a and b, SEs for the others only, no NaN', async () => {
    const model = join(dir, 'product.nlm');
    writeFileSync(model, 'model product\nparameters {\n  a = 1 lognormal(omega = 0.3)\n  b = 2 lognormal\n}\nstates { X(0) = a * b }\node { d/dt X = -0.3 * X }\nobserve { y ~ normal(X, sd = s) }\nerror { s = 0.1 }\n');
    writeFileSync(join(dir, 'product-design.json'), '{ "subjects": 20, "times": [0, 1, 2, 4] }');
    const sim = capture();
    expect(await runSimulate({ model, design: join(dir, 'product-design.json'), seed: 3, out: join(dir, 'product.csv'), map: {}, color: false }, sim.io)).toBe(0);
    const { io, out } = capture();
    expect(await runFit(fitArgs(model, join(dir, 'product.csv'), join(dir, 'product'), { epochs: 300, uqSamples: 100 }), io, () => false)).toBe(0);
    expect(out.stderr).toMatch(/nlmc fit: warning: the observed information is singular \(.*\): (a and b|b and a) are not identifiable from these data — the likelihood is flat along 0\.7\d·[ab] − 0\.7\d·[ab]; no standard errors for them; standard errors are given for omega_a, s/);
    const e = JSON.parse(readFileSync(join(dir, 'product', 'estimates.json'), 'utf8')) as EstimatesJson;
    expect(e.estimates.filter((r) => r.se === null).map((r) => r.name)).toEqual(['a', 'b']);
    expect(e.likelihood).not.toBeNull();
    expect(readFileSync(join(dir, 'product', 'estimates.csv'), 'utf8')).not.toMatch(/NaN/);
  });
});
