/**
 * Convergence traces from the fit's training record (fit.json's trace, the rows of trace.csv): the ELBO per
 * epoch (`elbo`) and each estimated population parameter per epoch on its natural scale (`trace`, one panel
 * each), with the reported estimate as a dashed line (`reported`; the maximum-likelihood finish's when it ran —
 * the step after the last epoch).
 */
import type { ReportData } from '../report-data.js';
import { num, type FigureSpec, type Row } from './common.js';

export function convergenceFigures(d: ReportData): FigureSpec[] {
  if (d.trace.length === 0) return [];
  const elboRows: Row[] = d.trace.map((t) => ({ epoch: t.epoch, elbo: num(t.elbo) }));
  const traceRows: Row[] = d.trace.flatMap((t) => d.traceNames.map((name, k) => ({ epoch: t.epoch, parameter: name, value: num(t.values[k]!) })));
  // The reported estimates ride in the same data (a layer with data of its own would not be split by the facet).
  for (const r of d.estimates.estimates) if (d.traceNames.includes(r.name)) traceRows.push({ parameter: r.name, estimate: num(r.estimate) });
  const ml = d.estimates.estimate === 'maximum likelihood';
  return [
    {
      id: 'elbo-trace', title: 'Convergence: ELBO per epoch',
      caption: `The training objective (ELBO per observation, higher is better) over ${d.trace.length} epochs; stop: ${d.estimates.stop} (${d.estimates.message}).`,
      spec: { data: { values: elboRows }, width: 420, height: 220, layer: [{ name: 'elbo', mark: { type: 'line', strokeWidth: 1.2 }, encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'elbo', type: 'quantitative', title: 'ELBO', scale: { zero: false } } } }] } as unknown as FigureSpec['spec'],
    },
    {
      id: 'parameter-traces', title: 'Convergence: population parameters per epoch',
      caption: `Each estimated population parameter per epoch, natural scale; dashed: the reported estimate${ml ? ' (the maximum-likelihood finish after training)' : ''}.`,
      spec: {
        data: { values: traceRows }, facet: { field: 'parameter', type: 'nominal', title: null, sort: d.traceNames }, columns: 3,
        spec: {
          width: 220, height: 140,
          layer: [
            { name: 'trace', transform: [{ filter: 'datum.epoch != null' }], mark: { type: 'line', strokeWidth: 1.2 }, encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } } } },
            { name: 'reported', transform: [{ filter: 'datum.estimate != null' }], mark: { type: 'rule', color: '#e45756', strokeDash: [4, 3] }, encoding: { y: { field: 'estimate', type: 'quantitative' } } },
          ],
        },
        resolve: { scale: { y: 'independent' } },
      } as unknown as FigureSpec['spec'],
    },
  ];
}
