/**
 * Wall time of `nlmc fit` on pk, antibody (S1, regular design) and tgfb (S1), on each back end, from initial
 * values away from the truth (as in test/fit/recovery.test.ts). Usage:
 *   npm run bench:fit [-- --backends webgpu,cpu --cap 900]
 * A run longer than the cap (seconds) is stopped and reported as "> cap". Figures only; nothing is asserted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
};
const backends = arg('backends', 'webgpu,cpu').split(',');
const cap = Number(arg('cap', '900'));

const runs: { name: string; example: string; data: string; edits: [string, string][]; target: number }[] = [
  { name: 'pk', example: 'pk/pk.nlm', data: 'examples/pk/data.csv', target: 60, edits: [['theta1 = 0.5 ', 'theta1 = 1.2 '], ['theta2 = 2.0 ', 'theta2 = 1.0 '], ['omega = 0.5', 'omega = 0.2'], ['sigma = 0.2 ', 'sigma = 0.5 ']] },
  { name: 'antibody S1', example: 'antibody/antibody.nlm', data: 'examples/antibody/data.csv', target: 180, edits: [['theta   = 24.5', 'theta   = 15'], ['fM2     = 7.1 ', 'fM2     = 4 '], ['fM3     = 18.5', 'fM3     = 30'], ['sigma = 0.1', 'sigma = 0.3']] },
  { name: 'sparse 1-cpt', example: '../test/uq/fixtures/sparse1cpt/sparse1cpt.nlm', data: 'test/uq/fixtures/sparse1cpt/data.csv', target: 60, edits: [] },
  { name: 'oral 2-cpt', example: '../test/uq/fixtures/oral2cpt/oral2cpt.nlm', data: 'test/uq/fixtures/oral2cpt/data.csv', target: 300, edits: [] },
  { name: 'tgfb S1', example: 'tgfb/tgfb.nlm', data: 'examples/tgfb/data.csv', target: 600, edits: [['kp     = 1.15  lognormal(omega = 0.05)', 'kp     = 0.9   lognormal(omega = 0.1)'], ['sigma = 0.1', 'sigma = 0.3']] },
];

function modelFile(example: string, edits: [string, string][]): string {
  let text = readFileSync(join('examples', example), 'utf8');
  for (const [from, to] of edits) text = text.replace(from, to);
  const path = join(mkdtempSync(join(tmpdir(), 'nlmc-bench-fit-')), basename(example));
  writeFileSync(path, text);
  return path;
}

interface Timed {
  seconds: number;
  finished: boolean;
  estimates: string;
  /** The steps' own times from the fit's progress lines: training, the maximum-likelihood finish, the rest. */
  training?: number;
  finish?: number;
}

async function time(model: string, data: string, backend: string): Promise<Timed> {
  const out = mkdtempSync(join(tmpdir(), 'nlmc-bench-run-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'fit', model, '--data', data, '--out', out, '--quiet', '--backend', backend], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), cap * 1000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const estimates = stdout.split('\n').filter((l) => /^\S+\s+[-\d.e+]+\s+[-\d.e+]+$/.test(l.trim()) && !l.includes('fixed')).map((l) => l.trim().split(/\s+/).slice(0, 2).join('=')).join(' ');
  const training = /^done: .*, ([\d.]+) s\)$/m.exec(stderr)?.[1];
  const finish = [...stderr.matchAll(/^maximum likelihood: .*iterations, ([\d.]+) s\)$/gm)].map((m) => Number(m[1]));
  return { seconds, finished: code === 0, estimates, ...(training ? { training: Number(training) } : {}), ...(finish.length ? { finish: finish.reduce((a, b) => a + b, 0) } : {}) };
}

console.log(`nlmc fit wall time (cap ${cap} s per run); machine: ${(await import('node:os')).cpus().length} cores`);
console.log('model        | back end | wall time | training | ML finish | target | estimates');
for (const run of runs) {
  const model = modelFile(run.example, run.edits);
  for (const backend of backends) {
    const r = await time(model, run.data, backend);
    const shown = r.finished ? `${r.seconds.toFixed(1)} s` : `> ${cap} s (stopped)`;
    const step = (x: number | undefined): string => (x === undefined ? '—' : `${x.toFixed(1)} s`);
    console.log(`${run.name.padEnd(12)} | ${backend.padEnd(8)} | ${shown.padStart(9)} | ${step(r.training).padStart(8)} | ${step(r.finish).padStart(9)} | ${`${run.target} s`.padStart(6)} | ${r.estimates}`);
  }
}
