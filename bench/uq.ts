/**
 * The marginal-likelihood estimators on pk and antibody (S1, regular design): the prior's (seed 001, eq. 9) against
 * importance sampling from the widened fitted q (runtime/uq/proposal.ts), and the cost of the whole uncertainty
 * step. Usage:
 *   npm run bench:uq [-- --repeats 5 --is 100 --prior 1000 --pk-fit DIR --antibody-fit DIR]
 * Without --*-fit, each example dataset is fitted first (`nlmc fit --no-uncertainty`, default back end).
 * For each estimator: −2LL, its delta-method Monte-Carlo SE, the spread (sd) of −2LL over independent repeats, and
 * the draws per subject needed for an SE of 1 on −2LL (draws × SE², SE ∝ 1/√draws); then the default path: the
 * maximum-likelihood finish from the fit's ELBO optimum and the uncertainty step at the MLE, timed. Figures only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFittedRun } from '../runtime/uq/fitted-run.js';
import { uncertaintyAtMaximum } from '../runtime/uq/at-maximum.js';
import { maximumLikelihoodEstimate } from '../runtime/uq/ml-estimate.js';
import { defaultMlFinishOptions } from '../runtime/uq/ml-finish.js';
import { assessUncertainty, defaultUncertaintyOptions, runEstimator, uqProblem } from '../runtime/uq/uncertainty.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
};
const repeats = Number(arg('repeats', '5'));
const isDraws = Number(arg('is', '100'));
const priorDraws = Number(arg('prior', String(10 * isDraws)));

function fit(example: string, data: string): string {
  const out = mkdtempSync(join(tmpdir(), 'nlmc-bench-uq-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'fit', example, '--data', data, '--out', out, '--quiet', '--no-uncertainty', '--estimate', 'elbo'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fit of ${example} failed:\n${r.stderr}`);
  return out;
}

const sd = (xs: readonly number[]): number => {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return Math.sqrt(xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(1, xs.length - 1));
};

console.log(`marginal-likelihood estimators; machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), f64 CPU back end, ${repeats} repeats`);
for (const [name, example, data] of [['pk', 'examples/pk/pk.nlm', 'examples/pk/data.csv'], ['antibody', 'examples/antibody/antibody.nlm', 'examples/antibody/data.csv']] as const) {
  const dir = arg(`${name}-fit`, '') || fit(example, data);
  const run = await loadFittedRun(dir, data);
  const problem = uqProblem(run.ctx);
  console.log(`\n${name}: ${run.ctx.data.nSubjects} subjects, fit ${dir}`);
  console.log('estimator  | draws/subject | −2LL (first) | delta-method SE | sd over repeats | min ESS | s per run | draws for SE 1');
  const rows: { kind: string; draws: number; se: number; spread: number }[] = [];
  for (const [kind, draws] of [['importance', isDraws], ['prior', priorDraws], ['prior', isDraws]] as const) {
    const values: number[] = [];
    const ses: number[] = [];
    let ess = Infinity;
    let seconds = 0;
    for (let k = 0; k < repeats; k++) {
      const r = await runEstimator(problem, kind, run.population, run.subjects, draws, 100 + k);
      values.push(r.summary.minus2LL);
      ses.push(r.summary.mcError);
      ess = Math.min(ess, r.summary.minEss);
      seconds += r.summary.seconds;
    }
    const se = ses.reduce((s, x) => s + x, 0) / ses.length;
    const spread = sd(values);
    rows.push({ kind, draws, se, spread });
    console.log(`${kind.padEnd(10)} | ${String(draws).padStart(13)} | ${values[0]!.toFixed(2).padStart(12)} | ${se.toFixed(3).padStart(15)} | ${spread.toFixed(3).padStart(15)} | ${ess.toFixed(1).padStart(7)} | ${(seconds / repeats).toFixed(1).padStart(9)} | ${Math.ceil(draws * Math.max(se, spread) ** 2).toString().padStart(14)}`);
  }
  const reference = await runEstimator(problem, 'importance', run.population, run.subjects, 20 * isDraws, 99);
  console.log(`reference: importance sampling with ${20 * isDraws} draws per subject: −2LL ${reference.summary.minus2LL.toFixed(2)} ± ${reference.summary.mcError.toFixed(2)} (${reference.summary.seconds.toFixed(1)} s)`);
  const [is, prior] = rows as [typeof rows[number], typeof rows[number]];
  const ratio = (prior.draws * Math.max(prior.se, prior.spread) ** 2) / (is.draws * Math.max(is.se, is.spread) ** 2);
  console.log(`${name}: importance sampling with ${is.draws} draws: SE ${Math.max(is.se, is.spread).toFixed(3)}; the prior with ${prior.draws} (${(prior.draws / is.draws).toFixed(0)}×): SE ${Math.max(prior.se, prior.spread).toFixed(3)} → the prior needs ${ratio.toFixed(0)}× the draws for the same SE (larger of the delta-method SE and the spread)`);
  const t0 = performance.now();
  const u = await assessUncertainty(problem, run.population, run.subjects, { ...defaultUncertaintyOptions, seed: 1 });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`${name}: the whole uncertainty step (both estimators at ${defaultUncertaintyOptions.samples} draws, information, covariance): ${seconds.toFixed(1)} s; SE ${u.covariance?.ok ? Array.from(u.covariance.se, (x, k) => `${u.names[k]} ${x.toPrecision(3)}`).join(', ') : u.messages.join('; ')}`);
  // The default since the maximum-likelihood finish: from the variational optimum to the MLE, then −2LL and SEs on
  // the same AGQ points.
  const t1 = performance.now();
  const ml = await maximumLikelihoodEstimate(problem, run.population, run.subjects, defaultMlFinishOptions);
  const finish = (performance.now() - t1) / 1000;
  const t2 = performance.now();
  const atMax = await uncertaintyAtMaximum(problem, ml.result);
  const step = (performance.now() - t2) / 1000;
  console.log(`${name}: maximum-likelihood finish ${finish.toFixed(1)} s (${ml.result.iterations.length} iterations, ${ml.result.message}); −2LL ${(-2 * ml.result.logLik).toFixed(3)} at the MLE vs ${ml.variationalLogLik !== undefined ? (-2 * ml.variationalLogLik).toFixed(3) : '?'} at the ELBO optimum (AGQ, ${ml.result.at.size} nodes per effect)`);
  console.log(`${name}: uncertainty at the MLE (node check, information from the finish): ${step.toFixed(1)} s; SE ${atMax.covariance?.ok ? Array.from(atMax.covariance.se, (x, k) => `${atMax.names[k]} ${x.toPrecision(3)}`).join(', ') : atMax.messages.join('; ')}`);
  problem.engine.dispose();
}
