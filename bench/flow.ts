/**
 * bench:flow (issue #11 items 1 and 4). Two measurements:
 *
 * 1. The skewed case (test/fixtures/flow): per subject, q fitted by nlmc's ELBO (Gaussian vs planar flow); the gap
 *    log p(y) − ELBO against the exact marginal by quadrature, and the importance-sampling efficiency ESS/draws of
 *    q as proposal. Prints the per-subject table and the factors gap_gauss/gap_flow and ESS_flow/ESS_gauss; then
 *    the uncertainty step's importance sampler on the fitted flows, the flow as proposal vs a moment-matched t.
 * 2. Training time on examples/pk: `nlmc fit --posterior fullrank|flow --estimate elbo`, alternated `REPEATS`
 *    times, the sum of trace.csv's per-epoch seconds (training only); prints the ratio flow / Gaussian, and the
 *    ratio of the median epochs (less sensitive to a load spike from other processes on a shared machine).
 *
 * Usage: npm run bench:flow [-- subjects steps epochs repeats] [--timing | --skewed] [--cpu]   (defaults 8 600
 * 100 2; --timing or --skewed runs that part only; --cpu fits on the CPU back end instead of the default)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exactLogMarginal, fitQ, measure, setup, simulate, type Family, type FittedQ } from '../test/fixtures/flow/skewed.js';
import { flowPosterior } from '../runtime/infer/posterior.js';
import { runEstimator } from '../runtime/uq/uncertainty.js';

const flags = process.argv.slice(2).filter((a) => a.startsWith('--'));
const [subjects = 8, steps = 600, epochs = 100, repeats = 2] = process.argv.slice(2).filter((a) => !a.startsWith('--')).map(Number);

async function skewed(): Promise<void> {
  const ys = simulate(subjects, 3);
  const s = await setup(ys);
  const fitted = { gaussian: await fitQ(s, 'gaussian', steps, 8, 5), flow: await fitQ(s, 'flow', steps, 8, 5) };
  const totals: Record<Family, { gap: number; ess: number }> = { gaussian: { gap: 0, ess: 0 }, flow: { gap: 0, ess: 0 } };
  console.log('subject  y        log p(y)   gap gauss  gap flow   ESS/n gauss  ESS/n flow');
  ys.forEach((y, i) => {
    const g = measure(y, fitted.gaussian[i]!, 50_000, 100 + i);
    const f = measure(y, fitted.flow[i]!, 50_000, 100 + i);
    for (const [family, m] of [['gaussian', g], ['flow', f]] as const) {
      totals[family].gap += m.logMarginal - m.elbo;
      totals[family].ess += m.essFraction / ys.length;
    }
    console.log(`${String(i + 1).padEnd(8)} ${y.toFixed(3).padEnd(8)} ${g.logMarginal.toFixed(4).padEnd(10)} ${(g.logMarginal - g.elbo).toFixed(4).padEnd(10)} ${(f.logMarginal - f.elbo).toFixed(4).padEnd(10)} ${g.essFraction.toFixed(3).padEnd(12)} ${f.essFraction.toFixed(3)}`);
  });
  console.log(`total gap: Gaussian ${totals.gaussian.gap.toFixed(4)}, flow ${totals.flow.gap.toFixed(4)} → factor ${(totals.gaussian.gap / totals.flow.gap).toFixed(2)}`);
  console.log(`mean ESS/n: Gaussian ${totals.gaussian.ess.toFixed(3)}, flow ${totals.flow.ess.toFixed(3)} → factor ${(totals.flow.ess / totals.gaussian.ess).toFixed(2)}`);
  await importanceStep(s, ys, fitted.flow);
}

/**
 * The uncertainty step's importance sampler (runtime/uq) on the same flows: the flow itself as proposal
 * (flow-proposal.ts) vs the Student t moment-matched to it (what a flow fit had before), log p̂ ± MC SE against
 * quadrature and ESS/draws.
 */
async function importanceStep(s: Awaited<ReturnType<typeof setup>>, ys: readonly number[], flows: readonly FittedQ[]): Promise<void> {
  const samples = 1000;
  const problem = { model: s.model, data: s.data, layout: s.layout, covariates: s.covariates, engine: s.engine, effectParameter: s.effectParameter };
  const withFlow = flows.map((q) => flowPosterior({ mu: Float64Array.of(q.mu), chol: Float64Array.of(Math.exp(q.logSigma)), layers: q.flow! }));
  const momentMatched = withFlow.map(({ mu, sd, chol }) => ({ mu, sd, ...(chol ? { chol } : {}) }));
  const runs = { flow: await runEstimator(problem, 'importance', s.population, withFlow, samples, 7), t: await runEstimator(problem, 'importance', s.population, momentMatched, samples, 7) };
  console.log(`importance step, ${samples} draws: subject  exact      flow proposal (log p̂ ± SE, ESS/n)   moment-matched t`);
  ys.forEach((y, i) => {
    const cell = (r: typeof runs.flow): string => `${r.evaluation.logLik[i]!.toFixed(4)} ± ${r.evaluation.se[i]!.toFixed(4)}, ${(r.evaluation.ess[i]! / samples).toFixed(3)}`;
    console.log(`  ${String(i + 1).padEnd(8)} ${exactLogMarginal(y).toFixed(4).padEnd(10)} ${cell(runs.flow).padEnd(36)} ${cell(runs.t)}`);
  });
  const exact = ys.reduce((a, y) => a + exactLogMarginal(y), 0);
  for (const [name, r] of Object.entries(runs)) console.log(`  ${name}: Σ log p̂ − exact ${(r.summary.logLik - exact).toFixed(4)} (MC SE ${r.summary.logLikSe.toFixed(4)}), min ESS/n ${(r.summary.minEss / samples).toFixed(3)}`);
}

/** Per-epoch training seconds of one fit (trace.csv). */
function epochSeconds(posterior: string): number[] {
  const out = join(mkdtempSync(join(tmpdir(), 'bench-flow-')), posterior);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'fit', 'examples/pk/pk.nlm', '--data', 'examples/pk/data.csv', '--posterior', posterior, '--epochs', String(epochs), '--patience', String(epochs), '--estimate', 'elbo', '--out', out, ...(flags.includes('--cpu') ? ['--backend', 'cpu'] : [])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`nlmc fit --posterior ${posterior} failed:\n${r.stderr}`);
  const [header, ...rows] = readFileSync(join(out, 'trace.csv'), 'utf8').trim().split('\n');
  const column = header!.split(',').indexOf('seconds');
  console.log(`  ${posterior}: ${rows.length} epochs`);
  return rows.map((row) => Number(row.split(',')[column]));
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

function timing(): void {
  const epochsOf: Record<'fullrank' | 'flow', number[]> = { fullrank: [], flow: [] };
  for (let k = 0; k < repeats; k++) for (const p of k % 2 === 0 ? (['fullrank', 'flow'] as const) : (['flow', 'fullrank'] as const)) epochsOf[p].push(...epochSeconds(p));
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  const [g, f] = [sum(epochsOf.fullrank), sum(epochsOf.flow)];
  console.log(`pk, ${epochs} epochs × ${repeats}: training ${g.toFixed(1)} s full-rank Gaussian, ${f.toFixed(1)} s flow → ratio ${(f / g).toFixed(2)} (acceptance ≤ 1.5); median epoch ${(1000 * median(epochsOf.fullrank)).toFixed(1)} vs ${(1000 * median(epochsOf.flow)).toFixed(1)} ms → ${(median(epochsOf.flow) / median(epochsOf.fullrank)).toFixed(2)}`);
}

if (!flags.includes('--timing')) await skewed();
if (!flags.includes('--skewed')) timing();
