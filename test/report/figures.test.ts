/**
 * The figure builders' aggregation for large datasets, without a fit: a scatter beyond the point limit becomes a
 * 2-D histogram that still counts every observation, the QQ plot thins to sample quantiles (checked against a
 * type-7 quantile written here), the VPC's bin extents tile the time axis, and the individual fits' sample of
 * subjects is spread over the dataset.
 */
import { describe, expect, it } from 'vitest';
import type { VpcRow } from '../../runtime/evaluate/vpc.js';
import { identityLine, layered, POINT_LIMIT, scatterLayer } from '../../runtime/report/html/figures/common.js';
import { qqPairs, QQ_POINTS } from '../../runtime/report/html/figures/npde.js';
import { binEdges, vpcRows } from '../../runtime/report/html/figures/vpc.js';
import { renderSvg } from '../../runtime/report/html/render.js';
import { pickSubjects } from '../../runtime/report/html/report-data.js';
import { generator } from '../evaluate/generator.js';
import { markLabels, value } from './svg.js';

describe('figures for large datasets', () => {
  it('a scatter beyond the point limit is a 2-D histogram whose cells count every observation', async () => {
    const g = generator(2);
    const n = POINT_LIMIT + 1500;
    const rows = Array.from({ length: n }, () => {
      const pred = 0.5 + 4 * g.uniform();
      return { PRED: pred, DV: pred * Math.exp(0.2 * g.normal()) };
    });
    const x = { field: 'PRED', title: 'PRED', extent: [0, 12] as const };
    const y = { field: 'DV', title: 'DV', extent: [0, 12] as const };
    const svg = await renderSvg(layered(rows, [scatterLayer('observations', n, x, y), identityLine(0, 12, 'PRED', 'DV')]));
    expect(markLabels(svg, 'observations')).toHaveLength(0);
    const cells = markLabels(svg, 'observations-density');
    expect(cells.length).toBeGreaterThan(50);
    expect(cells.length).toBeLessThanOrEqual(60 * 60);
    expect(cells.reduce((s, l) => s + value(l, 'observations'), 0)).toBe(n);
    // At the limit itself: points.
    expect(markLabels(await renderSvg(layered(rows.slice(0, POINT_LIMIT), [scatterLayer('observations', POINT_LIMIT, x, y)])), 'observations')).toHaveLength(POINT_LIMIT);
  }, 30_000);

  it('the QQ plot: every value up to the limit, beyond it sample quantiles at (k + ½)/m', () => {
    const g = generator(3);
    const small = Float64Array.from({ length: 300 }, () => g.normal()).sort();
    const a = qqPairs(small);
    expect(a.map((p) => p.sample)).toEqual(Array.from(small));
    const big = Float64Array.from({ length: 7 * QQ_POINTS + 3 }, () => g.normal()).sort();
    const b = qqPairs(big);
    expect(b).toHaveLength(QQ_POINTS);
    const type7 = (p: number) => {
      const h = (big.length - 1) * p;
      const lo = Math.floor(h);
      return big[lo]! + (h - lo) * (big[lo + 1]! - big[lo]!);
    };
    b.forEach((q, k) => expect(q.sample).toBeCloseTo(type7((k + 0.5) / QQ_POINTS), 12));
    // Theoretical quantiles of N(0, 1): symmetric, the median at 0.
    expect(b[0]!.theoretical).toBeCloseTo(-b[QQ_POINTS - 1]!.theoretical, 12);
    expect(b[QQ_POINTS / 2]!.theoretical).toBeGreaterThan(0);
  });

  it('VPC bins tile the time axis without overlap; a bin of a single time still gets width', () => {
    const bin = (b: number, lo: number, hi: number, median: number): VpcRow => ({ kind: 'vpc', stratum: 0, bin: b, timeLower: lo, timeUpper: hi, timeMedian: median, count: 5, percentile: 0.5, observed: 1, simLower: 0, simMedian: 1, simUpper: 2, inside: true });
    const edges = binEdges([bin(1, 0.5, 0.5, 0.5), bin(2, 1, 2, 1.5), bin(3, 4, 4, 4), bin(4, 8, 24, 12)]);
    const e = [1, 2, 3, 4].map((b) => edges.get(b)!);
    for (const [lo, hi] of e) expect(hi).toBeGreaterThan(lo);
    for (let k = 1; k < e.length; k++) expect(e[k]![0]).toBeCloseTo(e[k - 1]![1], 12);
    expect(e[1]![0]).toBeCloseTo(0.75, 12);
    expect(e[3]![1]).toBe(24);
  });

  it('VPC strata: each stratum tiles its own axis; a band reaching below the limit is drawn from the figure’s floor', () => {
    const row = (stratum: number, b: number, lo: number, hi: number, simLower: number): VpcRow => ({ kind: 'vpc', stratum, bin: b, timeLower: lo, timeUpper: hi, timeMedian: (lo + hi) / 2, count: 5, percentile: 0.05, observed: NaN, simLower, simMedian: NaN, simUpper: 2, inside: true });
    const rows = vpcRows([row(0, 1, 0, 1, 0.5), row(0, 2, 2, 4, NaN), row(1, 1, 10, 12, 0.7), row(1, 2, 20, 30, 0.9)], ['A', 'B'], 0.1);
    expect(rows.map((r) => r['stratum'])).toEqual(['A', 'A', 'B', 'B']);
    // Stratum B's first bin starts at its own first time, not halfway from stratum A's last.
    expect(rows[2]!['binStart']).toBe(10);
    expect(rows[1]!['binStart']).toBeCloseTo(1.5, 12);
    expect(rows[1]!['simLower']).toBe(0.1);
    expect(rows[0]!['simLower']).toBe(0.5);
    // An undefined observed percentile (below the limit) is not drawn.
    expect(rows[0]!['observed']).toBeNull();
  });

  it('individual fits: all subjects up to the limit, else that many spread evenly over the dataset', () => {
    expect(pickSubjects(10, 24).subjects).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const p = pickSubjects(10_000, 24);
    expect(p.subjects).toHaveLength(24);
    expect(new Set(p.subjects).size).toBe(24);
    expect(p.subjects[0]).toBe(0);
    const gaps = p.subjects.slice(1).map((s, k) => s - p.subjects[k]!);
    for (const gap of gaps) expect(Math.abs(gap - 10_000 / 24)).toBeLessThanOrEqual(1);
    expect(p.rule).toMatch(/^24 of 10000 subjects/);
  });
});
