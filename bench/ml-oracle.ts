/**
 * The oracle checks of test/uq/ml-oracle.test.ts for any finished fit (too slow for the suite on the larger
 * models): the distance of the reported estimate to the maximum of the adaptive AGQ likelihood by finite
 * differences, in SE; the SEs against the inverse finite-difference Hessian; −2LL against AGQ with more nodes.
 *   npx tsx bench/ml-oracle.ts <run folder> [--extra-nodes 2]
 * Figures only; nothing is asserted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agqEvaluate } from '../runtime/uq/agq.js';
import { covarianceFromInformation } from '../runtime/uq/covariance.js';
import { loadFittedRun } from '../runtime/uq/fitted-run.js';
import { laplacePoints } from '../runtime/uq/laplace.js';
import { uqProblem } from '../runtime/uq/uncertainty.js';
import { adaptiveDerivatives } from '../test/uq/agq-oracle.js';

const dir = process.argv[2];
if (!dir) throw new Error('usage: npx tsx bench/ml-oracle.ts <run folder> [--extra-nodes 2]');
const at = process.argv.indexOf('--extra-nodes');
const extra = at >= 0 ? Number(process.argv[at + 1]) : 2;
const fit = JSON.parse(readFileSync(join(dir, 'fit.json'), 'utf8')) as { maximumLikelihood?: { values: number[]; size: number } };
const e = JSON.parse(readFileSync(join(dir, 'estimates.json'), 'utf8')) as { likelihood: { minus2LL: number }; uncertainty: { standardErrors: (number | null)[] } };
if (!fit.maximumLikelihood) throw new Error(`${dir}: the fit has no maximum-likelihood estimate (fitted with --estimate elbo?)`);
const run = await loadFittedRun(dir);
const problem = uqProblem(run.ctx);
const v = Float64Array.from(fit.maximumLikelihood.values);
const nodes = fit.maximumLikelihood.size;
const t0 = performance.now();
const oracle = await adaptiveDerivatives(problem, v, nodes);
const cov = covarianceFromInformation(oracle.information, problem.layout.entries.map((x) => x.name));
console.log(`${dir}: oracle (finite differences of the adaptive AGQ likelihood, ${nodes} nodes per effect) in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
if (!cov.ok) console.log(`the finite-difference information is not positive definite: ${cov.message}`);
else {
  const d = v.length;
  console.log('parameter        | distance to the maximum (SE) | reported SE | oracle SE | ratio');
  problem.layout.entries.forEach((entry, k) => {
    let step = 0;
    for (let j = 0; j < d; j++) step += cov.covariance[k * d + j]! * oracle.score[j]!;
    const se = e.uncertainty.standardErrors[k];
    console.log(`${entry.name.padEnd(16)} | ${(Math.abs(step) / cov.se[k]!).toFixed(4).padStart(28)} | ${se === null || se === undefined ? '—'.padStart(11) : se.toPrecision(4).padStart(11)} | ${cov.se[k]!.toPrecision(4).padStart(9)} | ${se ? (se / cov.se[k]!).toFixed(4) : '—'}`);
  });
}
const points = await laplacePoints(problem, v, run.subjects.map((s) => s.mu));
const finer = await agqEvaluate(problem, v, points, nodes + extra, true);
console.log(`−2LL reported ${e.likelihood.minus2LL.toFixed(3)}; AGQ with ${nodes + extra} nodes per effect ${(-2 * finer.logLik).toFixed(3)}`);
problem.engine.dispose();
