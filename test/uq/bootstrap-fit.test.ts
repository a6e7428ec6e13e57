/**
 * `nlmc bootstrap` end to end on the linear model, whose maximum-likelihood estimate is known exactly (exact-mle.ts,
 * Newton's method on the closed-form likelihood): every refit is compared with the exact MLE of its own resampled
 * dataset, the percentile intervals with the percentiles of those exact MLEs, and the bootstrap's spread with the
 * closed-form information's Wald interval. A refit that cannot run (its run folder is a file) is counted and its
 * reason reported. The jackknife's leave-one-subject-out datasets are checked by a dry run (no fits).
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSimulate } from '../../runtime/simulate/simulate-run.js';
import { runBootstrap } from '../../runtime/uq/bootstrap-run.js';
import type { Subject } from './gaussian-closed-form.js';
import { exactMle } from './exact-mle.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nlmc-bootstrap-'));
const linear = join(here, 'linear.nlm');
const design = join(here, 'linear-design.json');
const data = join(dir, 'data.csv');
const names = ['a', 'k', 'c', 'omega_a', 'omega_k', 'sigma'];
/** The exact MLE's scale: a, k, c as they are, log ω and log σ. */
const onExactScale = (name: string, v: number): number => (name.startsWith('omega') || name === 'sigma' ? Math.log(v) : v);
const start = [1, 0.3, -0.05, Math.log(0.5), Math.log(0.2), Math.log(0.3)];

function capture() {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s) } };
}

/** The subjects of a CSV by ID (observation rows). */
function subjectsOf(csv: string): { ids: string[]; subjects: Subject[] } {
  const [header, ...rows] = parse(csv) as string[][];
  const col = (name: string): number => header!.indexOf(name);
  const by = new Map<string, { t: number[]; y: number[] }>();
  for (const f of rows) {
    if (f[col('MDV')] === '1') continue;
    const s = by.get(f[col('ID')]!) ?? { t: [], y: [] };
    s.t.push(Number(f[col('TIME')]));
    s.y.push(Number(f[col('DV')]));
    by.set(f[col('ID')]!, s);
  }
  return { ids: [...by.keys()], subjects: [...by.values()] };
}

/** R's type-7 sample quantile. */
function quantile(values: readonly number[], p: number): number {
  const s = [...values].sort((x, y) => x - y);
  const h = (s.length - 1) * p;
  const lo = Math.floor(h);
  return s[lo]! + (h - lo) * (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!);
}

beforeAll(async () => {
  expect(await runSimulate({ model: linear, design, seed: 3, out: data, map: {}, color: false }, capture().io)).toBe(0);
});

describe('nlmc bootstrap', () => {
  it('refits at the exact MLE of each resampled dataset, percentile intervals of those MLEs, a failed refit counted with its reason', async () => {
    const out = join(dir, 'boot');
    // Sample 3's run folder is a file: its fit refuses to start, a real failure the bootstrap must count.
    mkdirSync(join(out, 'sample-003'), { recursive: true });
    writeFileSync(join(out, 'sample-003', 'fit'), 'not a folder\n');
    const { io, out: o } = capture();
    const code = await runBootstrap({ model: linear, data, samples: 5, seed: 4, bca: false, jobs: 2, out, backend: 'cpu', map: {}, fitArgs: ['--epochs', '50'], color: false }, io);
    expect(o.stderr).toContain('nlmc bootstrap: 5 datasets of 12 subjects resampled from');
    expect(code).toBe(0);
    const result = JSON.parse(readFileSync(join(out, 'bootstrap.json'), 'utf8')) as {
      fitted: number; failures: { sample: number; reason: string }[];
      table: { parameter: string; estimate: number; samples: number; se: number; percentile: { lower: number; upper: number }; bca: unknown; wald: { lower: number; upper: number } }[];
    };
    expect(result.fitted).toBe(4);
    expect(result.failures).toEqual([{ sample: 3, reason: expect.stringContaining('exists and is not a folder') }]);
    expect(o.stdout).toContain('1 of 5 refits failed, left out of the intervals: 1 × ');

    // The oracle: the exact MLE of every refitted dataset, and of the data.
    const samples = (parse(readFileSync(join(out, 'samples.csv'), 'utf8'), { columns: true }) as Record<string, string>[]);
    expect(samples.map((s) => Number(s['sample']))).toEqual([1, 2, 4, 5]);
    const exact = exactMle(subjectsOf(readFileSync(data, 'utf8')).subjects, start);
    const exactSamples = samples.map((s) => {
      const resampled = subjectsOf(readFileSync(join(out, `sample-00${s['sample']}`, 'data.csv'), 'utf8'));
      // Subjects renumbered 1…12: a subject drawn twice is two subjects.
      expect(resampled.ids).toEqual(Array.from({ length: 12 }, (_, i) => String(i + 1)));
      // Newton's method from the data's exact MLE, which is near every resample's; where the plain Newton steps
      // leave the valid region from there (sample 5), from the refit: then the refit must be where the exact
      // gradient vanishes.
      let mle: ReturnType<typeof exactMle>;
      try {
        mle = exactMle(resampled.subjects, exact.v);
      } catch {
        mle = exactMle(resampled.subjects, names.map((n) => onExactScale(n, Number(s[n]))));
      }
      names.forEach((n, k) => expect(Math.abs(onExactScale(n, Number(s[n])) - mle.v[k]!) / exact.se[k]!, `sample ${s['sample']} ${n}`).toBeLessThan(0.02));
      return mle.v;
    });
    for (const [k, n] of names.entries()) {
      const row = result.table.find((r) => r.parameter === n)!;
      expect(row.samples).toBe(4);
      expect(row.bca).toBeNull();
      const natural = exactSamples.map((v) => (onExactScale(n, 2) === 2 ? v[k]! : Math.exp(v[k]!)));
      const seNatural = onExactScale(n, 2) === 2 ? exact.se[k]! : Math.exp(exact.v[k]!) * exact.se[k]!;
      expect(Math.abs(row.percentile.lower - quantile(natural, 0.025)) / seNatural, n).toBeLessThan(0.03);
      expect(Math.abs(row.percentile.upper - quantile(natural, 0.975)) / seNatural, n).toBeLessThan(0.03);
      // Sensible against the closed-form information: the bootstrap SE within a factor 3 of the exact SE, and the
      // percentile interval overlapping the Wald interval of the fit to the data.
      expect(row.se / seNatural, n).toBeGreaterThan(1 / 3);
      expect(row.se / seNatural, n).toBeLessThan(3);
      expect(row.percentile.lower, n).toBeLessThan(row.wald.upper);
      expect(row.percentile.upper, n).toBeGreaterThan(row.wald.lower);
    }

    // Run again: every finished fit is reused; the failed one fails again, for the same reason.
    const again = capture();
    expect(await runBootstrap({ model: linear, data, samples: 5, seed: 4, bca: false, jobs: 2, out, backend: 'cpu', map: {}, color: false }, again.io)).toBe(0);
    expect(again.out.stderr.match(/: reused/g)).toHaveLength(5);
    expect(again.out.stderr).toContain('sample 3 (');
  }, 400_000);

  it('--dry-run with BCa: one jackknife dataset per subject, each without exactly that subject, and the commands of every fit', async () => {
    const out = join(dir, 'dry');
    const { io, out: o } = capture();
    expect(await runBootstrap({ model: linear, data, samples: 3, seed: 1, bca: true, out, backend: 'cpu', map: {}, dryRun: true, color: false }, io)).toBe(0);
    expect(o.stdout.trim().split('\n')).toHaveLength(1 + 3 + 12);
    const all = subjectsOf(readFileSync(data, 'utf8'));
    for (let i = 1; i <= 12; i++) {
      const left = subjectsOf(readFileSync(join(out, `jackknife-${String(i).padStart(3, '0')}`, 'data.csv'), 'utf8'));
      expect(left.ids).toEqual(all.ids.filter((_, k) => k !== i - 1));
      expect(left.subjects).toEqual(all.subjects.filter((_, k) => k !== i - 1));
    }
    expect(o.stdout).toContain(`--out ${join(out, 'jackknife-012', 'fit')} --seed 1 --quiet --backend cpu --no-uncertainty`);
    expect(o.stdout).not.toMatch(/original.*--no-uncertainty/);
  });
});
