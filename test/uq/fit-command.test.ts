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
import { runSimulate } from '../../cli/commands/simulate.js';

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

describe('nlmc fit: uncertainty and starts', () => {
  it('writes SE, RSE and CI columns, the likelihood block, correlations, and starts.csv', async () => {
    const { io, out } = capture();
    const code = await runFit(fitArgs(linear, join(dir, 'data.csv'), join(dir, 'run'), { starts: 2 }), io, () => false);
    expect(out.stderr).toContain('uncertainty: marginal likelihood and observed information on the CPU (f64), 60 draws per subject');
    expect(code).toBe(0);
    const e = JSON.parse(readFileSync(join(dir, 'run', 'estimates.json'), 'utf8')) as EstimatesJson;
    const l = e.likelihood!;
    expect(Object.keys(l)).toEqual(expect.arrayContaining(['minus2LL', 'aic', 'bic', 'estimator', 'mcError', 'samples']));
    expect(l['aic']).toBeCloseTo((l['minus2LL'] as number) + 2 * 6, 10);
    expect(l['bic']).toBeCloseTo((l['minus2LL'] as number) + 6 * Math.log(12), 10);
    expect(l['samples']).toBe(60);
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
    expect(out.stdout).toMatch(/−2LL -?\d+\.\d\d \(Monte-Carlo SE [\d.e+-]+, (importance|prior) sampling, 60 draws per subject\)  AIC/);
  });

  it('--no-uncertainty skips it: null likelihood, empty columns', async () => {
    const { io } = capture();
    expect(await runFit(fitArgs(linear, join(dir, 'data.csv'), join(dir, 'plain'), { epochs: 20, uncertainty: false }), io, () => false)).toBe(0);
    const e = JSON.parse(readFileSync(join(dir, 'plain', 'estimates.json'), 'utf8')) as EstimatesJson;
    expect(e.likelihood).toBeNull();
    expect(e.uncertainty).toBeNull();
    expect(e.estimates.every((r) => r.se === null && r.ciLower === null)).toBe(true);
    expect(readFileSync(join(dir, 'plain', 'estimates.csv'), 'utf8').split('\n')[1]).toMatch(/,,,,,$/);
    expect(existsSync(join(dir, 'plain', 'starts.csv'))).toBe(false);
  });

  it('a model that identifies only a product a·b: a message naming a and b, no standard errors, no NaN', async () => {
    const model = join(dir, 'product.nlm');
    writeFileSync(model, 'model product\nparameters {\n  a = 1 lognormal(omega = 0.3)\n  b = 2 lognormal\n}\nstates { X(0) = a * b }\node { d/dt X = -0.3 * X }\nobserve { y ~ normal(X, sd = s) }\nerror { s = 0.1 }\n');
    writeFileSync(join(dir, 'product-design.json'), '{ "subjects": 20, "times": [0, 1, 2, 4] }');
    const sim = capture();
    expect(await runSimulate({ model, design: join(dir, 'product-design.json'), seed: 3, out: join(dir, 'product.csv'), map: {}, color: false }, sim.io)).toBe(0);
    const { io, out } = capture();
    expect(await runFit(fitArgs(model, join(dir, 'product.csv'), join(dir, 'product'), { epochs: 300, uqSamples: 100 }), io, () => false)).toBe(0);
    expect(out.stderr).toMatch(/nlmc fit: warning: the observed information is singular within its Monte-Carlo error \(.*\): (a and b|b and a) are not identifiable from these data — the likelihood is flat along 0\.7\d·[ab] − 0\.7\d·[ab]; no standard errors/);
    const e = JSON.parse(readFileSync(join(dir, 'product', 'estimates.json'), 'utf8')) as EstimatesJson;
    expect(e.estimates.every((r) => r.se === null)).toBe(true);
    expect(e.likelihood).not.toBeNull();
    expect(readFileSync(join(dir, 'product', 'estimates.csv'), 'utf8')).not.toMatch(/NaN/);
  });
});
