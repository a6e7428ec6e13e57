/**
 * The NPDE's distribution against N(0, 1), pooled over outputs as the evaluation's tests are: a QQ plot
 * (`quantiles`, with the line y = x; at most 1,000 points — beyond that the sample quantiles at 1,000 evenly
 * spaced probabilities) and a histogram on the density scale (`histogram`) with the standard normal density
 * (`normal-density`).
 */
import { normalQuantile, quantileSorted } from '../../../evaluate/stats.js';
import type { ReportData } from '../report-data.js';
import { identityLine, type FigureSpec } from './common.js';

export const QQ_POINTS = 1000;

export function npdeValues(d: ReportData): Float64Array {
  return Float64Array.from(d.evaluation.npde.filter((r) => Number.isFinite(r.npde)), (r) => r.npde).sort();
}

/** (theoretical, sample) pairs: every value at (k − ½)/n while n ≤ QQ_POINTS, else QQ_POINTS sample quantiles. */
export function qqPairs(sorted: Float64Array): { theoretical: number; sample: number }[] {
  const n = sorted.length;
  const m = Math.min(n, QQ_POINTS);
  return Array.from({ length: m }, (_, k) => {
    const p = (k + 0.5) / m;
    return { theoretical: normalQuantile(p), sample: n <= QQ_POINTS ? sorted[k]! : quantileSorted(sorted, p) };
  });
}

export function npdeFigures(d: ReportData): FigureSpec[] {
  const x = npdeValues(d);
  const n = x.length;
  if (n === 0) return [];
  const s = d.evaluation.npdeSummary;
  const summary = `n = ${n}: mean ${s.mean.toFixed(3)} (SE ${s.meanSe.toFixed(3)}, p ${s.meanP.toPrecision(2)}), variance ${s.variance.toFixed(3)} (p ${s.varianceP.toPrecision(2)}), Kolmogorov–Smirnov D ${s.ks.d.toFixed(3)} (p ${s.ks.p.toPrecision(2)}).`;
  const pairs = qqPairs(x);
  const lim = Math.max(3, ...pairs.map((p) => Math.abs(p.sample)).filter(Number.isFinite));
  const width = 0.25;
  const density = Array.from({ length: 161 }, (_, k) => {
    const z = -4 + (8 * k) / 160;
    return { z, density: Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI) };
  });
  return [
    {
      id: 'npde-qq', title: 'NPDE: normal QQ plot',
      caption: `Sample quantiles of the NPDE against the standard normal's${n > QQ_POINTS ? ` (${QQ_POINTS} quantiles of ${n} values)` : ''}; the dashed line is y = x. ${summary}`,
      spec: {
        data: { values: pairs }, width: 300, height: 300,
        layer: [
          { name: 'quantiles', mark: { type: 'point', filled: true, size: 14 }, encoding: { x: { field: 'theoretical', type: 'quantitative', title: 'N(0, 1) quantile' }, y: { field: 'sample', type: 'quantitative', title: 'NPDE quantile' } } },
          identityLine(-lim, lim, 'theoretical', 'sample'),
        ],
      } as unknown as FigureSpec['spec'],
    },
    {
      id: 'npde-histogram', title: 'NPDE: histogram',
      caption: `Histogram of the ${n} NPDE (bins of width ${width}, density scale) and the N(0, 1) density. ${summary}`,
      spec: {
        width: 360, height: 260,
        layer: [
          {
            name: 'histogram', data: { values: Array.from(x, (v) => ({ npde: v })) },
            transform: [{ bin: { step: width, extent: [-5, 5] }, field: 'npde', as: ['lo', 'hi'] }, { aggregate: [{ op: 'count', as: 'count' }], groupby: ['lo', 'hi'] }, { calculate: `datum.count / (${n} * ${width})`, as: 'density' }],
            mark: { type: 'rect', color: '#9ecae9', stroke: '#4c78a8', strokeWidth: 0.5 },
            encoding: { x: { field: 'lo', type: 'quantitative', title: 'NPDE', scale: { domain: [-4.5, 4.5] } }, x2: { field: 'hi' }, y: { field: 'density', type: 'quantitative', title: 'density' } },
          },
          { name: 'normal-density', data: { values: density }, mark: { type: 'line', color: '#e45756' }, encoding: { x: { field: 'z', type: 'quantitative' }, y: { field: 'density', type: 'quantitative' } } },
        ],
      } as unknown as FigureSpec['spec'],
    },
  ];
}
