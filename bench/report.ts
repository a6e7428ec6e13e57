/**
 * Time and peak memory of `nlmc report` on a 10,000-subject simulated dataset (and on examples/pk, 100 subjects).
 * Usage: npm run bench:report [-- --subjects 10000 --skip-pk --estimate elbo|ml]
 *
 * The dataset is a one-compartment IV bolus with a weight effect on clearance, proportional error, 6 samples per
 * subject, drawn here; the fit is brief (a few epochs, the variational estimate, no uncertainty step: the bench
 * measures the report, not the fit) and is kept in the temporary folder for the next run. Such a fit stores no
 * per-subject −2LL, so the report integrates a sample of subjects; `--estimate ml` adds the maximum-likelihood
 * finish (minutes for 10,000 subjects), whose per-subject values the report reuses. Each report runs in a
 * child process (`nlmc report` itself), which prints its own peak resident memory, so the fit's memory is not
 * counted; it also prints its CPU time (all threads), which a loaded machine does not inflate as it does the wall
 * time. Figures only; nothing is asserted. Acceptance (issue 14): pk < 5 s; 10,000 subjects < 30 s and < 1 GiB.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runFit } from '../cli/commands/fit.js';
import { runReport } from '../cli/commands/report.js';
import { Random } from '../runtime/nn/random.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
};

/** Child mode: one report, then its wall time and peak RSS as a JSON line. */
if (process.argv[2] === '--child') {
  const started = performance.now();
  const rc = await runReport({ fits: [process.argv[3]!], seed: 1, bins: 10, subjects: 24, map: {} }, { stdout: (s) => process.stderr.write(s), stderr: (s) => process.stderr.write(s) });
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ rc, seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
  process.exit(rc);
}

const model = `model bench_report

covariates {
  WT "kg"
}

parameters {
  CL = 3    lognormal(omega = 0.3)  effect(beta_WT * log(WT / 70))
  beta_WT = 0.75
  V  = 20   lognormal(omega = 0.2)
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
  conc ~ normal(central / V, sd = proportional(b = 0.15))
}
`;

function dataset(subjects: number): string {
  const random = new Random(1);
  const lines = ['ID,TIME,DV,AMT,EVID,MDV,CMT,WT'];
  for (let id = 1; id <= subjects; id++) {
    const WT = Math.round(50 + 40 * random.uniform());
    const CL = 3 * (WT / 70) ** 0.75 * Math.exp(0.3 * random.normal());
    const V = 20 * Math.exp(0.2 * random.normal());
    lines.push(`${id},0,.,100,1,1,1,${WT}`);
    for (const t of [0.5, 1, 2, 4, 8, 16]) lines.push(`${id},${t},${((100 / V) * Math.exp((-CL / V) * t) * (1 + 0.15 * random.normal())).toPrecision(6)},0,0,0,1,${WT}`);
  }
  return `${lines.join('\n')}\n`;
}

const quiet = { stdout: () => {}, stderr: (s: string) => void process.stderr.write(s), isTty: false };

async function fitOnce(name: string, modelFile: string, data: string, epochs: number, folder: string, estimate: 'elbo' | 'ml' = 'elbo'): Promise<string> {
  const out = join(folder, `${name}.fit`);
  if (existsSync(join(out, 'fit.json'))) return out;
  const started = performance.now();
  const rc = await runFit({
    model: modelFile, data, out, backend: 'cpu', seed: 1, epochs, samples: 4, learningRate: 0.05, validation: 0, patience: 100, resume: false, progress: 'quiet', map: {}, color: false,
    uncertainty: false, estimate,
  }, quiet, () => false);
  if (rc !== 0) throw new Error(`the bench's fit of ${name} failed (${rc})`);
  console.log(`fitted ${name} in ${((performance.now() - started) / 1000).toFixed(0)} s (kept in ${out})`);
  return out;
}

function report(run: string): { seconds: number; cpuSeconds: number; maxRssMiB: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', resolve('bench/report.ts'), '--child', run], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`nlmc report ${run} failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const subjects = Number(arg('subjects', '10000'));
const folder = join(tmpdir(), 'nlmc-bench-report');
mkdirSync(folder, { recursive: true });
const rows: string[] = [];
if (!process.argv.includes('--skip-pk')) {
  const pk = await fitOnce('pk', 'examples/pk/pk.nlm', 'examples/pk/data.csv', 200, folder);
  const r = report(pk);
  rows.push(`pk (100 subjects, 600 observations): ${r.seconds.toFixed(1)} s (CPU ${r.cpuSeconds.toFixed(1)} s, all threads), peak RSS ${r.maxRssMiB.toFixed(0)} MiB (target < 5 s)`);
}
const dataFile = join(folder, `data-${subjects}.csv`);
if (!existsSync(dataFile)) writeFileSync(dataFile, dataset(subjects));
const modelFile = join(folder, 'bench_report.nlm');
if (!existsSync(modelFile) || readFileSync(modelFile, 'utf8') !== model) writeFileSync(modelFile, model);
const estimate = arg('estimate', 'elbo') === 'ml' ? 'ml' : 'elbo';
const big = await fitOnce(`sim-${subjects}${estimate === 'ml' ? '-ml' : ''}`, modelFile, dataFile, 3, folder, estimate);
const r = report(big);
rows.push(`simulated (${subjects} subjects, ${6 * subjects} observations, ${estimate === 'ml' ? 'ML fit: its per-subject −2LL reused' : 'ELBO fit: −2LL of 500 sampled subjects'}): ${r.seconds.toFixed(1)} s (CPU ${r.cpuSeconds.toFixed(1)} s, all threads), peak RSS ${r.maxRssMiB.toFixed(0)} MiB (target < 30 s, < 1024 MiB)`);
console.log(`nlmc report (K automatic, 24 individual fits, 10 bins):\n  ${rows.join('\n  ')}`);
