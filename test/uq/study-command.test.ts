/** `nlmc study` on the linear model: simulate, fit each replicate in its own process, tabulate, resume. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runSimulate } from '../../runtime/simulate/simulate-run.js';
import { runStudy } from '../../runtime/uq/study-run.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nlmc-study-'));
const linear = join(here, 'linear.nlm');
const design = join(here, 'linear-design.json');

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

describe('nlmc study', () => {
  it('simulates, fits each replicate in its own process, and writes the table', async () => {
    const { io, out } = capture();
    const code = await runStudy({ model: linear, replicates: 2, seed: 11, design, jobs: 2, out: join(dir, 'study'), backend: 'cpu', fitArgs: ['--epochs', '100', '--uq-samples', '40'], color: false }, io);
    expect(out.stderr).toContain('nlmc study: 2 datasets simulated');
    expect(code).toBe(0);
    const csv = readFileSync(join(dir, 'study', 'study.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('parameter,label,truth,replicates,with_se,mean,rel_bias_percent,rrmse_percent,emp_var,est_var,emp_cov,est_cov');
    expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(['a', 'k', 'c', 'omega_a', 'omega_k', 'sigma']);
    expect(out.stdout).toContain('| parameter | truth | N | Rel. bias (%) | RRMSE (%) | Emp. var (10⁻²) | Est. var (10⁻²) | Emp. cov | Est. cov |');
    expect(out.stdout).toContain('2 of 2 replicates fitted');
    // The replicate's data are those of `nlmc simulate --seed 12`.
    const again = capture();
    expect(await runSimulate({ model: linear, design, seed: 12, out: join(dir, 'rep2.csv'), map: {}, color: false }, again.io)).toBe(0);
    expect(readFileSync(join(dir, 'study', 'rep-002', 'data.csv'), 'utf8')).toBe(readFileSync(join(dir, 'rep2.csv'), 'utf8'));
    // Run again: finished replicates are reused.
    const second = capture();
    expect(await runStudy({ model: linear, replicates: 2, seed: 11, design, jobs: 1, out: join(dir, 'study'), backend: 'cpu', fitArgs: [], color: false }, second.io)).toBe(0);
    expect(second.out.stderr.match(/reused/g)).toHaveLength(2);
  }, 120_000);

  it('needs a design', async () => {
    const alone = join(dir, 'alone.nlm');
    writeFileSync(alone, readFileSync(linear, 'utf8'));
    const a = capture();
    expect(await runStudy({ model: alone, replicates: 2, seed: 1, out: join(dir, 'nostudy'), backend: 'cpu', color: false }, a.io)).toBe(1);
    expect(a.out.stderr).toBe(`nlmc study: no design: give --design FILE.json (there is no ${join(dir, 'design.json')})\n`);
    const b = capture();
    expect(await runStudy({ model: alone, replicates: 2, seed: 1, out: join(dir, 'nostudy'), backend: 'cpu', color: false, design: join(dir, 'missing.json') }, b.io)).toBe(2);
  });
});
