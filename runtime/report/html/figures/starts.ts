/**
 * The convergence assessment of `nlmc fit --starts` (starts.csv): per population parameter, each run's final
 * estimate (natural scale) against its final ELBO (`starts`), the main fit from the model's initial values marked
 * apart — runs that end at the same estimate with the same ELBO found the same optimum; a parameter whose runs
 * spread along x at equal ELBO is poorly determined.
 */
import type { ReportData } from '../report-data.js';
import { num, type FigureSpec, type Row } from './common.js';

export function startsFigures(d: ReportData): FigureSpec[] {
  if (!d.starts || d.starts.length === 0) return [];
  const names = d.run.ctx.layout.entries.map((e) => e.name);
  const rows: Row[] = d.starts.flatMap((s) => names.map((name) => ({ parameter: name, run: s.start === 0 ? 'main fit' : 'random start', start: s.start, estimate: num(s.estimates[name]!), elbo: num(s.elbo) })));
  return [{
    id: 'starts', title: 'Convergence assessment: refits from random initial values',
    caption: `${d.starts.length - 1} refits from random initial values and the main fit (starts.csv): each run's final estimate against its final ELBO (mean over its last 10 epochs), one panel per population parameter.`,
    spec: {
      data: { values: rows }, facet: { field: 'parameter', type: 'nominal', title: null, sort: names }, columns: 3,
      spec: {
        width: 220, height: 150,
        layer: [{
          name: 'starts', mark: { type: 'point', filled: true, size: 40 },
          encoding: {
            x: { field: 'estimate', type: 'quantitative', scale: { zero: false } }, y: { field: 'elbo', type: 'quantitative', title: 'ELBO', scale: { zero: false } },
            color: { field: 'run', type: 'nominal', title: null, scale: { domain: ['main fit', 'random start'], range: ['#e45756', '#4c78a8'] } },
            shape: { field: 'run', type: 'nominal', scale: { domain: ['main fit', 'random start'], range: ['diamond', 'circle'] } },
          },
        }],
      },
      resolve: { scale: { x: 'independent' } },
    } as unknown as FigureSpec['spec'],
  }];
}
