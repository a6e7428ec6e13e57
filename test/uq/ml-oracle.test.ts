/**
 * `nlmc fit` reports the maximum of the marginal likelihood, with its standard errors — checked against oracles
 * that do not share the finish's machinery (agq-oracle.ts): the score by finite differences of the adaptive AGQ
 * log-likelihood must put the estimate within 0.1 SE of the maximum, the SEs must match the inverse of the
 * finite-difference Hessian within 10 %, and −2LL the AGQ value with more nodes. On pk the AGQ log-likelihood
 * itself is checked against brute-force quadrature. Cases: pk (1 random effect, from values away from the
 * truth), theophylline (real data, 3 effects), a sparse one-compartment design where the mean-field variational
 * fit collapses ω_V (2 effects, 2–3 samples per subject, data from an independent closed-form simulator; fitted
 * with the diagonal family so that the collapse guard is exercised — the full-rank default does not collapse).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../cli/commands/fit.js';
import { covarianceFromInformation } from '../../runtime/uq/covariance.js';
import { agqEvaluate } from '../../runtime/uq/agq.js';
import { loadFittedRun } from '../../runtime/uq/fitted-run.js';
import { laplacePoints } from '../../runtime/uq/laplace.js';
import { uqProblem } from '../../runtime/uq/uncertainty.js';
import { adaptiveDerivatives, denseQuadrature1d } from './agq-oracle.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nlmc-ml-'));

interface Case {
  readonly name: string;
  readonly model: string;
  readonly data: string;
  readonly edits?: readonly [string, string][];
  /** Effects whose ω the variational fit is known to collapse here (the guard must say so). */
  readonly collapses?: readonly string[];
  readonly args?: Partial<FitArgs>;
}

const cases: Case[] = [
  { name: 'pk', model: 'examples/pk/pk.nlm', data: 'examples/pk/data.csv', edits: [['theta1 = 0.5 ', 'theta1 = 1.2 '], ['theta2 = 2.0 ', 'theta2 = 1.0 '], ['omega = 0.5', 'omega = 0.2'], ['sigma = 0.2 ', 'sigma = 0.5 ']] },
  { name: 'theophylline', model: 'examples/theophylline/theophylline.nlm', data: 'examples/theophylline/data.csv' },
  { name: 'sparse one-compartment', model: 'test/uq/fixtures/sparse1cpt/sparse1cpt.nlm', data: 'test/uq/fixtures/sparse1cpt/data.csv', collapses: ['omega_V'], args: { posterior: 'diagonal' } },
];

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), isTty: false } };
}

async function fitCase(c: Case) {
  let text = readFileSync(join(root, c.model), 'utf8');
  for (const [from, to] of c.edits ?? []) text = text.replace(from, to);
  const model = join(dir, `${c.name.replace(/\W/g, '-')}.nlm`);
  writeFileSync(model, text);
  const out = join(dir, `${c.name.replace(/\W/g, '-')}.fit`);
  const args: FitArgs = { model, data: join(root, c.data), out, backend: 'auto', seed: 1, epochs: 2000, samples: 8, learningRate: 0.05, validation: 0, patience: 100, resume: false, progress: 'quiet', map: {}, color: false, ...c.args };
  const { io, out: printed } = capture();
  expect(await runFit(args, io, () => false)).toBe(0);
  return { out, printed };
}

describe('nlmc fit: the estimate is the maximum-likelihood estimate', () => {
  for (const c of cases) {
    it(`${c.name}: within 0.1 SE of the AGQ maximum, SEs within 10 % of the AGQ Hessian's, −2LL converged in the nodes`, async () => {
      const { out, printed } = await fitCase(c);
      const fit = JSON.parse(readFileSync(join(out, 'fit.json'), 'utf8')) as { maximumLikelihood: { values: number[]; size: number; converged: boolean } };
      const e = JSON.parse(readFileSync(join(out, 'estimates.json'), 'utf8')) as { likelihood: { minus2LL: number; estimator: string }; uncertainty: { standardErrors: (number | null)[] } };
      expect(fit.maximumLikelihood.converged).toBe(true);
      expect(e.likelihood.estimator).toBe('agq');
      for (const name of c.collapses ?? []) expect(printed.stderr).toMatch(new RegExp(`the variational posterior collapsed ${name} `));
      const run = await loadFittedRun(out);
      const problem = uqProblem(run.ctx);
      try {
        const v = Float64Array.from(fit.maximumLikelihood.values);
        const nodes = fit.maximumLikelihood.size;
        const oracle = await adaptiveDerivatives(problem, v, nodes);
        const cov = covarianceFromInformation(oracle.information, problem.layout.entries.map((x) => x.name));
        expect(cov.ok).toBe(true);
        if (!cov.ok) return;
        const d = v.length;
        problem.layout.entries.forEach((entry, k) => {
          let step = 0;
          for (let j = 0; j < d; j++) step += cov.covariance[k * d + j]! * oracle.score[j]!;
          expect(Math.abs(step) / cov.se[k]!, `${entry.name}: distance to the maximum in SE`).toBeLessThan(0.1);
          expect(Math.abs(e.uncertainty.standardErrors[k]! / cov.se[k]! - 1), `${entry.name}: SE`).toBeLessThan(0.1);
        });
        const points = await laplacePoints(problem, v, run.subjects.map((s) => s.mu));
        const finer = await agqEvaluate(problem, v, points, nodes + 4, true);
        expect(Math.abs(e.likelihood.minus2LL + 2 * finer.logLik), 'AGQ with 4 more nodes').toBeLessThan(0.25);
        if (problem.model.dims.neta === 1) {
          const subjects = Array.from({ length: 20 }, (_, i) => i);
          const dense = await denseQuadrature1d(problem, v, subjects);
          const agq = finer.evaluation.logLik;
          subjects.forEach((i) => expect(Math.abs(dense[i]! - agq[i]!), `subject ${i + 1}`).toBeLessThan(1e-4));
        }
      } finally {
        problem.engine.dispose();
      }
    }, 240_000);
  }
});
