/**
 * The bootstrap's pieces in-process: subjects cut from a CSV and resampled (rows kept whole, IDs renumbered, strata
 * kept, every subject equally likely), and the percentile and BCa intervals and the jackknife acceleration against
 * closed forms.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { bcaInterval, bootstrapTable, drawSubjects, jackknifeAcceleration, percentileInterval, subjectBlocks, subjectsCsv, type SubjectBlocks } from '../../runtime/uq/bootstrap.js';
import { Random } from '../../runtime/nn/random.js';
import type { ReplicateRow } from '../../runtime/uq/study.js';

/** Φ⁻¹ by bisection on Φ(x) = ½ erfc(−x/√2), erfc by its continued fraction — independent of runtime/evaluate. */
function probit(p: number): number {
  const phi = (x: number): number => {
    // Φ by the series Φ(x) = ½ + φ(x) Σ x^(2k+1) / (1·3·…·(2k+1)) (converges for every x; |x| < 9 here).
    let term = x;
    let sum = x;
    for (let k = 1; k < 400; k++) {
      term *= (x * x) / (2 * k + 1);
      sum += term;
    }
    return 0.5 + (Math.exp(-0.5 * x * x) / Math.sqrt(2 * Math.PI)) * sum;
  };
  let lo = -9;
  let hi = 9;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (phi(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const csv = [
  'ID,TIME,DV,WT,SEX,NOTE',
  '7,0,1.5,70,0,"a, quoted"',
  '7,1,2.5,70,0,plain',
  '3,0,0.5,80,1,x',
  '3,2,0.25,80,1,"say ""hi"""',
  '3,4,0.125,80,1,y',
  '9,0,4,60,0,z',
  '',
  '12,0,8,65,1,w',
].join('\n');

const blocksOf = (text: string, stratify?: string): SubjectBlocks => {
  const b = subjectBlocks(text, 'd.csv', 'ID', stratify);
  if ('error' in b) throw new Error(b.error);
  return b;
};

describe('resampling by subject', () => {
  it('keeps each drawn subject’s rows whole and in order, renumbers IDs 1…N, and round-trips quoted cells', () => {
    const blocks = blocksOf(csv);
    expect(blocks.subjects.map((s) => [s.id, s.records.length])).toEqual([['7', 2], ['3', 3], ['9', 1], ['12', 1]]);
    const original = (parse(csv, { skip_empty_lines: true }) as string[][]).slice(1);
    const rowsOf = (id: string): string[][] => original.filter((r) => r[0] === id);
    const drawn = [1, 1, 0, 3];
    const text = subjectsCsv(blocks, drawn, true);
    const back = parse(text) as string[][];
    expect(back[0]).toEqual(['ID', 'TIME', 'DV', 'WT', 'SEX', 'NOTE']);
    const byNewId = new Map<string, string[][]>();
    for (const r of back.slice(1)) byNewId.set(r[0]!, [...(byNewId.get(r[0]!) ?? []), r]);
    expect([...byNewId.keys()]).toEqual(['1', '2', '3', '4']);
    drawn.forEach((s, k) => {
      const want = rowsOf(['7', '3', '9', '12'][s]!).map((r) => [String(k + 1), ...r.slice(1)]);
      expect(byNewId.get(String(k + 1))).toEqual(want);
    });
    expect(text).toContain('"say ""hi"""');
    // Without renumbering (the jackknife's datasets) the IDs stay as written.
    expect((parse(subjectsCsv(blocks, [0, 2, 3], false)) as string[][]).slice(1).map((r) => r[0])).toEqual(['7', '7', '9', '12']);
  });

  it('draws every subject with probability 1/N (counts over 24 000 draws within 5 SD of 2 000)', () => {
    const text = ['ID,TIME,DV', ...Array.from({ length: 12 }, (_, i) => `${i + 1},0,${i}`)].join('\n');
    const blocks = blocksOf(text);
    const random = new Random(5);
    const counts = new Array<number>(12).fill(0);
    for (let b = 0; b < 2000; b++) for (const s of drawSubjects(blocks, random)) counts[s]!++;
    const sd = Math.sqrt(24000 * (1 / 12) * (11 / 12));
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(5 * sd);
    // The same seed draws the same subjects.
    expect(drawSubjects(blocks, new Random(9))).toEqual(drawSubjects(blocks, new Random(9)));
  });

  it('stratified: each stratum keeps its number of subjects, drawn only from its own', () => {
    const blocks = blocksOf(csv, 'SEX');
    for (let seed = 1; seed <= 50; seed++) {
      const drawn = drawSubjects(blocks, new Random(seed));
      expect(drawn).toHaveLength(4);
      expect(drawn.filter((s) => blocks.subjects[s]!.stratum === '0')).toHaveLength(2);
      expect(drawn.slice(0, 2).every((s) => blocks.subjects[s]!.stratum === '0')).toBe(true);
      expect(drawn.slice(2).every((s) => blocks.subjects[s]!.stratum === '1')).toBe(true);
    }
  });

  it('names the row and column of what it cannot resample', () => {
    const varying = csv.replace('7,1,2.5,70,0,plain', '7,1,2.5,72,0,plain');
    expect(subjectBlocks(varying, 'd.csv', 'ID', 'WT')).toEqual({ error: 'd.csv:3:4 (WT): ID 7 has WT 70 and 72; stratify by a covariate that is constant within each subject' });
    expect(subjectBlocks(csv, 'd.csv', 'ID', 'AGE')).toEqual({ error: 'd.csv:1: --stratify AGE: there is no column AGE (columns: ID, TIME, DV, WT, SEX, NOTE)' });
    expect(subjectBlocks(csv.replace('ID,', 'SUBJ,'), 'd.csv', 'ID')).toEqual({ error: 'd.csv:1: no ID column to resample subjects by (columns: SUBJ, TIME, DV, WT, SEX, NOTE)' });
    expect(subjectBlocks(`${csv}\n7,5,1,70,0,again`, 'd.csv', 'ID')).toEqual({ error: 'd.csv:10:1 (ID): ID 7 appears again after other subjects; a subject\'s rows must be together' });
  });
});

describe('bootstrap intervals', () => {
  it('the jackknife acceleration of the mean is the closed form Σ(xᵢ − x̄)³ / (6 (Σ(xᵢ − x̄)²)^{3/2})', () => {
    const x = [0.3, 1.9, 0.2, 4.7, 1.1, 0.8, 2.6, 0.05];
    const n = x.length;
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const leaveOneOut = x.map((xi) => (n * mean - xi) / (n - 1));
    const m2 = x.reduce((s, v) => s + (v - mean) ** 2, 0);
    const m3 = x.reduce((s, v) => s + (v - mean) ** 3, 0);
    expect(jackknifeAcceleration(leaveOneOut)).toBeCloseTo(m3 / (6 * m2 ** 1.5), 12);
    expect(jackknifeAcceleration([2, 2, 2])).toBeNull();
  });

  // Bootstrap values at the exact quantiles of N(θ̂ + b, s²): the percentile interval is θ̂ + b ± 1.96 s; BCa with
  // a = 0 has z₀ = −b/s and the limits θ̂ + b + s (2 z₀ ± 1.96) = θ̂ − b ± 1.96 s: the bias is taken out twice over.
  const B = 40_000;
  const theta = 3;
  const b = 0.2;
  const s = 0.5;
  const values = Float64Array.from({ length: B }, (_, k) => theta + b + s * probit((k + 0.5) / B)).sort();
  const z = probit(0.975);

  it('percentile: the sample quantiles (closed form for a normal bootstrap distribution)', () => {
    const p = percentileInterval(values, 0.95);
    expect(p.lower).toBeCloseTo(theta + b - z * s, 3);
    expect(p.upper).toBeCloseTo(theta + b + z * s, 3);
  });

  it('BCa with a = 0 corrects the median bias: θ̂ − b ± 1.96 s, z₀ = −b/s', () => {
    const i = bcaInterval(values, theta, 0, 0.95)!;
    expect(i.z0).toBeCloseTo(-b / s, 3);
    // The lower limit lies at the 0.3 % quantile, where 40 000 draws are 1.4·10⁻³ apart.
    expect(i.lower).toBeCloseTo(theta - b - z * s, 2);
    expect(i.upper).toBeCloseTo(theta - b + z * s, 3);
  });

  it('BCa with a ≠ 0: the limits at Φ(z₀ + (z₀ + z)/(1 − a(z₀ + z))) of the normal bootstrap distribution', () => {
    const a = 0.08;
    const i = bcaInterval(values, theta, a, 0.9)!;
    const z0 = -b / s;
    const phiInv = (zz: number): number => theta + b + s * (z0 + (z0 + zz) / (1 - a * (z0 + zz)));
    expect(i.lower).toBeCloseTo(phiInv(probit(0.05)), 3);
    expect(i.upper).toBeCloseTo(phiInv(probit(0.95)), 3);
    // Every refit above θ̂: z₀ is infinite, no BCa interval.
    expect(bcaInterval(Float64Array.from([4, 5, 6]), 3, 0, 0.95)).toBeNull();
  });

  it('the table: bootstrap SE, bias and intervals per estimated parameter; fixed ones and failed values left out', () => {
    const row = (name: string, estimate: number, fixed = false): ReplicateRow => ({
      name, kind: 'parameter', estimate, transformed: estimate, scale: 'identity', fixed, se: 0.1, seTransformed: 0.1, ciLower: estimate - 0.196, ciUpper: estimate + 0.196,
    });
    const draws = [1.1, 0.9, 1.3, 0.7, 1.0, Number.NaN];
    const samples = draws.map((v) => [row('a', v), row('f', 2, true)]);
    const table = bootstrapTable([row('a', 1), row('f', 2, true)], samples, [[row('a', 0.9)], [row('a', 1.1)], [row('a', 1.05)]], 0.95);
    expect(table.map((r) => r.parameter)).toEqual(['a']);
    const ok = draws.slice(0, 5);
    const mean = ok.reduce((x, v) => x + v, 0) / 5;
    expect(table[0]!.samples).toBe(5);
    expect(table[0]!.se).toBeCloseTo(Math.sqrt(ok.reduce((x, v) => x + (v - mean) ** 2, 0) / 4), 12);
    expect(table[0]!.bias).toBeCloseTo(mean - 1, 12);
    expect(table[0]!.acceleration).toBeCloseTo(jackknifeAcceleration([0.9, 1.1, 1.05])!, 12);
    expect(table[0]!.wald).toEqual({ lower: 1 - 0.196, upper: 1 + 0.196 });
    expect(bootstrapTable([row('a', 1)], samples, null, 0.95)[0]!.bca).toBeNull();
  });
});
