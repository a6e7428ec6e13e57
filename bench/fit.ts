/**
 * Wall time of `nlmc fit` on pk, antibody (S1, regular design) and tgfb (S1), on each back end, from initial
 * values away from the truth (as in test/fit/recovery.test.ts). Usage:
 *   npm run bench:fit [-- --backends webgpu,cpu --cap 900]
 * A run longer than the cap (seconds) is stopped and reported as "> cap". Figures only; nothing is asserted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
};
const backends = arg('backends', 'webgpu,cpu').split(',');
const cap = Number(arg('cap', '900'));

const runs: { name: string; example: string; data: string; edits: [string, string][]; target: number }[] = [
  { name: 'pk', example: 'pk/pk.nlm', data: 'examples/pk/data.csv', target: 60, edits: [['theta1 = 0.5 ', 'theta1 = 1.2 '], ['theta2 = 2.0 ', 'theta2 = 1.0 '], ['omega = 0.5', 'omega = 0.2'], ['sigma = 0.2 ', 'sigma = 0.5 ']] },
  { name: 'antibody S1', example: 'antibody/antibody.nlm', data: 'examples/antibody/data.csv', target: 180, edits: [['theta   = 24.5', 'theta   = 15'], ['fM2     = 7.1 ', 'fM2     = 4 '], ['fM3     = 18.5', 'fM3     = 30'], ['sigma = 0.1', 'sigma = 0.3']] },
  { name: 'tgfb S1', example: 'tgfb/tgfb.nlm', data: 'examples/tgfb/data.csv', target: 600, edits: [['kp     = 1.15  lognormal(omega = 0.05)', 'kp     = 0.9   lognormal(omega = 0.1)'], ['sigma = 0.1', 'sigma = 0.3']] },
];

function modelFile(example: string, edits: [string, string][]): string {
  let text = readFileSync(join('examples', example), 'utf8');
  for (const [from, to] of edits) text = text.replace(from, to);
  const path = join(mkdtempSync(join(tmpdir(), 'nlmc-bench-fit-')), example.split('/')[1]!);
  writeFileSync(path, text);
  return path;
}

async function time(model: string, data: string, backend: string): Promise<{ seconds: number; finished: boolean; estimates: string }> {
  const out = mkdtempSync(join(tmpdir(), 'nlmc-bench-run-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'fit', model, '--data', data, '--out', out, '--quiet', '--backend', backend], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), cap * 1000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  clearTimeout(timer);
  const seconds = (performance.now() - started) / 1000;
  const estimates = stdout.split('\n').filter((l) => /^\S+\s+[-\d.e+]+\s+[-\d.e+]+$/.test(l.trim()) && !l.includes('fixed')).map((l) => l.trim().split(/\s+/).slice(0, 2).join('=')).join(' ');
  return { seconds, finished: code === 0, estimates };
}

console.log(`nlmc fit wall time (cap ${cap} s per run); machine: ${(await import('node:os')).cpus().length} cores`);
console.log('model        | back end | wall time | target | estimates');
for (const run of runs) {
  const model = modelFile(run.example, run.edits);
  for (const backend of backends) {
    const r = await time(model, run.data, backend);
    const shown = r.finished ? `${r.seconds.toFixed(1)} s` : `> ${cap} s (stopped)`;
    console.log(`${run.name.padEnd(12)} | ${backend.padEnd(8)} | ${shown.padStart(9)} | ${`${run.target} s`.padStart(6)} | ${r.estimates}`);
  }
}
