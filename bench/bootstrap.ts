/**
 * The bootstrap of examples/theophylline (12 subjects): 200 resampled datasets refitted, percentile and BCa
 * intervals (12 more jackknife fits), through the local pool (or --executor slurm). Prints the intervals, the
 * failed refits and their reasons, and the wall time with the time per fit. Usage:
 *   npm run bench:bootstrap [-- --samples 200 --jobs J --executor local|slurm --epochs N --no-bca --out DIR]
 * The folder (default: a new temporary one) keeps every fit: run again with the same --out to see the reuse.
 * Figures only; not part of the test suite.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBootstrap } from '../runtime/uq/bootstrap-run.js';
import type { ExecutorName } from '../runtime/uq/executor/executors.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const root = fileURLToPath(new URL('..', import.meta.url));
const samples = Number(arg('samples') ?? '200');
const jobs = arg('jobs') !== undefined ? Number(arg('jobs')) : undefined;
const executor = (arg('executor') ?? 'local') as ExecutorName;
const out = arg('out') ?? mkdtempSync(join(tmpdir(), 'nlmc-bench-bootstrap-'));
const bca = !process.argv.includes('--no-bca');
const epochs = arg('epochs');

const started = performance.now();
const code = await runBootstrap(
  {
    model: join(root, 'examples/theophylline/theophylline.nlm'), data: join(root, 'examples/theophylline/data.csv'), samples, seed: 1, bca, out,
    backend: 'auto', map: {}, fitArgs: epochs ? ['--epochs', epochs] : [], executor, ...(jobs !== undefined ? { jobs } : {}), color: false,
  },
  { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
);
const seconds = (performance.now() - started) / 1000;
const fits = 1 + samples + (bca ? 12 : 0);
// Fits reused from an earlier run in the same folder took no time: the time per fit is over the others.
let reused = 0;
try {
  reused = (JSON.parse(readFileSync(join(out, 'bootstrap.json'), 'utf8')) as { reused: number }).reused;
} catch {
  // no table (the bootstrap failed): every fit counts
}
const ran = fits - reused;
const perFit = ran > 0 ? `, ${(seconds / ran).toFixed(2)} s of wall time per fit run` : '';
console.log(`\nbench:bootstrap: theophylline, ${samples} samples${bca ? ' + 12 jackknife fits' : ''}, ${executor}${executor === 'local' ? ` (${jobs ?? availableParallelism()} at a time)` : ''}: ${seconds.toFixed(1)} s wall for ${ran} fit(s) run (${reused} reused)${perFit}; folder ${out}, exit ${code}`);
process.exitCode = code;
