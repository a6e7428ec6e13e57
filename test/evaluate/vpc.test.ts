/** VPC binning, coverage and the prediction correction on synthetic values with known answers. */
import { describe, expect, it } from 'vitest';
import { quantileBins, vpc } from '../../runtime/evaluate/vpc.js';
import { generator } from './generator.js';

/** A K × n matrix (row k = replicate k) as the VPC's accessor. */
const matrix = (sims: Float64Array, n: number) => ({ samples: sims.length / n, simulated: (k: number, j: number) => sims[k * n + j]! });


describe('VPC', () => {
  it('bins by quantiles of time and never splits tied times', () => {
    const t = [0, 0, 0, 1, 1, 2, 3, 4, 5, 6];
    const b = quantileBins(t, 5);
    for (let i = 1; i < t.length; i++) if (t[i] === t[i - 1]) expect(b[i]).toBe(b[i - 1]);
    expect(Math.max(...b)).toBeLessThanOrEqual(4);
    const counts = Array.from(quantileBins(Array.from({ length: 100 }, (_, i) => i), 10)).reduce((c, x) => ((c[x] = (c[x] ?? 0) + 1), c), [] as number[]);
    expect(counts).toEqual(Array(10).fill(10));
  });

  it('observed percentiles of data from the simulated distribution fall inside the 90 % bands in about 90 % of cases', () => {
    const g = generator(5);
    const nObs = 400;
    const K = 300;
    const time = Array.from({ length: nObs }, () => 24 * g.uniform());
    const mean = (t: number) => 10 * Math.exp(-0.2 * t);
    const draw = (t: number) => mean(t) * Math.exp(0.3 * g.normal());
    let inside = 0;
    let total = 0;
    for (let rep = 0; rep < 5; rep++) {
      const dv = time.map(draw);
      const sims = new Float64Array(K * nObs);
      for (let k = 0; k < K; k++) time.forEach((t, j) => (sims[k * nObs + j] = draw(t)));
      const rows = vpc({ time, dv, pred: time.map(mean), ...matrix(sims, nObs), additive: false }, { bins: 8 });
      for (const r of rows) {
        total++;
        if (r.inside) inside++;
      }
    }
    // 5 × 2 kinds × 8 bins × 3 percentiles = 240 (correlated) checks; expected 0.9.
    expect(inside / total).toBeGreaterThan(0.8);
    expect(inside / total).toBeLessThan(0.98);
  });

  it('prediction correction removes a design effect: two dose groups in one bin have one distribution after it', () => {
    // In one time bin, half the subjects have 10× the PRED: the raw spread is wide, the corrected one is not.
    const nObs = 200;
    const time = Array.from({ length: nObs }, () => 1);
    const pred = time.map((_, j) => (j % 2 === 0 ? 1 : 10));
    const dv = pred.map((p) => p);
    const sims = new Float64Array(50 * nObs);
    for (let k = 0; k < 50; k++) pred.forEach((p, j) => (sims[k * nObs + j] = p));
    const rows = vpc({ time, dv, pred, ...matrix(sims, nObs), additive: false }, { bins: 1 });
    const raw = rows.filter((r) => r.kind === 'vpc');
    const pc = rows.filter((r) => r.kind === 'pcvpc');
    expect(raw[2]!.observed - raw[0]!.observed).toBeGreaterThan(8);
    // PRED_bin = median(1, 10) = 5.5: every corrected value is 5.5.
    for (const r of pc) {
      expect(r.observed).toBeCloseTo(5.5, 12);
      expect(r.simMedian).toBeCloseTo(5.5, 12);
    }
    const additive = vpc({ time, dv: pred.map(Math.log), pred: pred.map(Math.log), ...matrix(sims.map(Math.log), nObs), additive: true }, { bins: 1 }).filter((r) => r.kind === 'pcvpc');
    for (const r of additive) expect(r.observed).toBeCloseTo((Math.log(1) + Math.log(10)) / 2, 12);
  });
});
