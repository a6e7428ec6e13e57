/**
 * The steps after training, timed apart (issue #12 item 5: "the uncertainty step of a 60-subject oral two-compartment
 * fit < 20 s"): the maximum-likelihood finish from the variational optimum, then the uncertainty step at the MLE
 * (node check, −2LL, the information's covariance). Wall and this process's CPU seconds (all threads) for each, and
 * the load average, so a run on a busy machine can be read. Usage:
 *   npm run bench:finish [-- --fit DIR [--data CSV]] [--held both]
 * Without --fit, test/uq/fixtures/oral2cpt (60 subjects) is fitted first (`nlmc fit --estimate elbo --no-uncertainty`).
 * `--held both` (a model with mlp terms): the finish twice, the weights held in the model compiled again with them as
 * constants (the default) and in the full model (its weight sensitivities computed and unused), for the ratio.
 * Figures only; nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFittedRun } from '../runtime/uq/fitted-run.js';
import { uncertaintyAtMaximum } from '../runtime/uq/at-maximum.js';
import { maximumLikelihoodEstimate } from '../runtime/uq/ml-estimate.js';
import { defaultMlFinishOptions } from '../runtime/uq/ml-finish.js';
import { uqProblem } from '../runtime/uq/uncertainty.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
};
const model = 'test/uq/fixtures/oral2cpt/oral2cpt.nlm';
const data = 'test/uq/fixtures/oral2cpt/data.csv';

function fit(): string {
  const out = mkdtempSync(join(tmpdir(), 'nlmc-bench-finish-'));
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'fit', model, '--data', data, '--out', out, '--quiet', '--no-uncertainty', '--estimate', 'elbo'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fit of ${model} failed:\n${r.stderr}`);
  return out;
}

/** Wall and CPU seconds of `body`. */
async function timed<T>(body: () => Promise<T>): Promise<{ value: T; wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await body();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

const dir = arg('fit', '') || fit();
const run = await loadFittedRun(dir, arg('data', data));
const problem = uqProblem(run.ctx);
if (arg('held', '') === 'both') {
  const { recompileHolding: _, ...shared } = problem;
  const variational = Float64Array.from(run.fit.population.values);
  for (const [name, p] of [['recompiled with the weights as constants', problem], ['the full model', shared]] as const) {
    const t = await timed(() => maximumLikelihoodEstimate(p, variational, run.subjects, defaultMlFinishOptions));
    console.log(`finish, weights held in ${name}: ${t.wall.toFixed(1)} s wall, ${t.cpu.toFixed(1)} s CPU (${t.value.result.iterations.length} iterations, ${t.value.result.message}); −2LL ${(-2 * t.value.result.logLik).toFixed(3)}`);
  }
  problem.engine.dispose();
  process.exit(0);
}
const variational = Float64Array.from(run.fit.population.values);
console.log(`${run.ctx.data.nSubjects} subjects, fit ${dir}; machine: ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
const finish = await timed(() => maximumLikelihoodEstimate(problem, variational, run.subjects, defaultMlFinishOptions));
const ml = finish.value.result;
console.log(`maximum-likelihood finish: ${finish.wall.toFixed(1)} s wall, ${finish.cpu.toFixed(1)} s CPU (${ml.iterations.length} iterations, ${ml.message}); −2LL ${(-2 * ml.logLik).toFixed(3)}`);
const step = await timed(() => uncertaintyAtMaximum(problem, ml));
const u = step.value;
console.log(`uncertainty step at the MLE: ${step.wall.toFixed(1)} s wall, ${step.cpu.toFixed(1)} s CPU; SE ${u.covariance?.ok ? Array.from(u.covariance.se, (x, k) => `${u.names[k]} ${x.toPrecision(3)}`).join(', ') : u.messages.join('; ')}`);
console.log(`load at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
problem.engine.dispose();
