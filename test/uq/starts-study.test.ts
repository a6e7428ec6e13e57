/** Random starting values, clusters of estimates across starts, starts.csv, and the simulation-study table. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/pipeline.js';
import { initialVector, populationLayout } from '../../runtime/infer/population.js';
import { Random } from '../../runtime/nn/random.js';
import { clusterStarts, naturalValues, randomStart, startsCsv, type StartRun } from '../../runtime/uq/starts.js';
import { studyMarkdown, studyTable, type ReplicateRow } from '../../runtime/uq/study.js';

const ir = compile(readFileSync(new URL('../../examples/pk/pk.nlm', import.meta.url), 'utf8')).ir!;
const layout = populationLayout(ir);

describe('random starts', () => {
  it('stay within ±50 % (φ) and ×/÷2 (ω, σ) of the initial values, and differ between seeds', () => {
    const random = new Random(4);
    const seen = new Set<string>();
    for (let s = 0; s < 200; s++) {
      const v = naturalValues(ir, layout, randomStart(ir, layout, random));
      expect(v[0]! / 0.5).toBeGreaterThanOrEqual(0.5);
      expect(v[0]! / 0.5).toBeLessThanOrEqual(1.5);
      expect(v[1]! / 2).toBeGreaterThanOrEqual(0.5);
      expect(v[1]! / 2).toBeLessThanOrEqual(1.5);
      expect(v[2]! / 0.5).toBeGreaterThanOrEqual(0.5 - 1e-12);
      expect(v[2]! / 0.5).toBeLessThanOrEqual(2 + 1e-12);
      expect(v[3]! / 0.2).toBeGreaterThanOrEqual(0.5 - 1e-12);
      expect(v[3]! / 0.2).toBeLessThanOrEqual(2 + 1e-12);
      seen.add(v[0]!.toFixed(6));
    }
    expect(seen.size).toBeGreaterThan(150);
  });

  it('one tight cluster per parameter, or separate clusters flagged', () => {
    const base = initialVector(layout);
    const run = (start: number, shift: number[]): StartRun => ({
      start, seed: start, initial: base, population: Float64Array.from(base, (x, k) => x + shift[k]!), elbo: -1, epochs: 10, stop: 'no-improvement', seconds: 1,
    });
    // theta2 lands at two places (log 2 and log 2 + 0.7); the rest agree within 0.01.
    const runs = [run(0, [0, 0, 0, 0]), run(1, [0.01, 0.7, 0, 0]), run(2, [-0.01, 0.002, 0.005, 0]), run(3, [0, 0.71, 0, 0.003])];
    const clusters = clusterStarts(ir, layout, runs);
    expect(clusters.map((c) => c.separated)).toEqual([false, true, false, false]);
    expect(clusters[1]!.clusters.map((c) => c.size)).toEqual([2, 2]);
    expect(clusters[1]!.clusters[0]!.starts).toEqual([0, 2]);
    expect(clusters[1]!.clusters[1]!.center).toBeCloseTo(2 * Math.exp(0.705), 10);
    // With standard errors the cut is two 95 % intervals apart: SE 0.2 on log θ2 merges the two places.
    expect(clusterStarts(ir, layout, runs, [0.01, 0.2, 0.1, 0.1])[1]!.separated).toBe(false);
    const csv = startsCsv(ir, layout, runs).split('\n');
    expect(csv[0]).toBe('start,seed,elbo,epochs,stop,seconds,init_theta1,init_theta2,init_omega_theta1,init_sigma,theta1,theta2,omega_theta1,sigma');
    expect(csv[1]).toBe('0,0,-1,10,no-improvement,1,0.5,2,0.5,0.2,0.5,2,0.5,0.2');
  });
});

describe('simulation-study table', () => {
  const row = (name: string, kind: ReplicateRow['kind'], estimate: number, se: number): ReplicateRow => {
    const transformed = Math.log(estimate);
    return {
      name, kind, estimate, transformed, scale: 'log', fixed: false, seTransformed: se, se: estimate * se,
      ciLower: Math.exp(transformed - 1.959963984540054 * se), ciUpper: Math.exp(transformed + 1.959963984540054 * se),
    };
  };

  it('relative bias, RRMSE, empirical and estimated variance and coverage, on the paper\'s scales', () => {
    // log θ: estimates ln 2 + {−0.1, 0, 0.1, 0.2}; SE 0.1 each → intervals ±0.196 hold the truth in 3 of 4 (0.2 > 0.196).
    const deltas = [-0.1, 0, 0.1, 0.2];
    const replicates = deltas.map((dx) => [row('theta', 'parameter', 2 * Math.exp(dx), 0.1), row('omega_theta', 'omega', 0.5 + dx / 10, 0.1)]);
    const truth = new Map([['theta', Math.log(2)], ['omega_theta', 0.5]]);
    const [t, w] = studyTable(truth, replicates);
    expect(t!.label).toBe('log(theta)');
    expect(t!.relBias).toBeCloseTo((100 * 0.05) / Math.log(2), 10);
    expect(t!.rrmse).toBeCloseTo((100 * Math.sqrt((0.01 + 0 + 0.01 + 0.04) / 4)) / Math.log(2), 10);
    expect(t!.empVar).toBeCloseTo(0.0125, 12);
    expect(t!.estVar).toBeCloseTo(0.01, 12);
    expect(t!.estCov).toBe(0.75);
    // Emp. cov: |x − truth| ≤ 1.96 √0.0125 = 0.219 → all four.
    expect(t!.empCov).toBe(1);
    // ω on the natural scale: estimates 0.49 … 0.52.
    expect(w!.label).toBe('omega_theta');
    expect(w!.mean).toBeCloseTo(0.505, 12);
    expect(w!.estVar).toBeCloseTo(replicates.reduce((s, r) => s + r[1]!.se! ** 2, 0) / 4, 12);
    const md = studyMarkdown([t!, w!]).split('\n');
    expect(md[0]).toBe('| parameter | truth | N | Rel. bias (%) | RRMSE (%) | Emp. var (10⁻²) | Est. var (10⁻²) | Emp. cov | Est. cov |');
    expect(md[2]).toMatch(/^\| log\(theta\) \| 0\.6931 \| 4 \| 7\.21 \| 17\.67 \| 1\.250 \| 1\.000 \| 1\.00 \| 0\.75 \|$/);
  });

  it('replicates without a standard error count for the estimates but not for the estimated variance', () => {
    const r1 = [{ ...row('theta', 'parameter', 2, 0.1) }];
    const r2 = [{ ...row('theta', 'parameter', 2.2, 0.1), se: null, seTransformed: null, ciLower: null, ciUpper: null }];
    const [t] = studyTable(new Map([['theta', Math.log(2)]]), [r1, r2]);
    expect(t!.replicates).toBe(2);
    expect(t!.withSe).toBe(1);
    expect(t!.estVar).toBeCloseTo(0.01, 12);
    expect(studyMarkdown([t!])).toContain('| 2 (1 with SE) |');
  });
});
