/**
 * Individual fits: one panel per shown subject and output (12 panels a figure), with the observations
 * (`observations`), IPRED at the subject's EBE on a fine grid (`ipred`, solid), PRED at η = 0 (`pred`,
 * dashed) and the 90 % prediction band of an observation given the subject's data (`prediction-band`: η drawn
 * from the subject's posterior, plus the residual error; curves.ts). Censored observations are drawn as triangles at their limit.
 */
import type { ReportData } from '../report-data.js';
import { BAND_DRAWS } from '../curves.js';
import { num, type FigureSpec, type Row } from './common.js';

export const PANELS_PER_FIGURE = 12;

function panelName(d: ReportData, subject: number, output: number): string {
  const { ids } = d.run.ctx.dataset;
  const outputs = d.run.ctx.ir.outputs;
  return outputs.length > 1 ? `ID ${ids[subject]} · ${outputs[output]!.name}` : `ID ${ids[subject]}`;
}

export function individualFigures(d: ReportData): FigureSpec[] {
  const panels = d.curves.map((c) => ({ c, name: panelName(d, c.subject, c.output) }));
  const figures: FigureSpec[] = [];
  const pages = Math.ceil(panels.length / PANELS_PER_FIGURE);
  for (let page = 0; page < pages; page++) {
    const mine = panels.slice(page * PANELS_PER_FIGURE, (page + 1) * PANELS_PER_FIGURE);
    const curveRows: Row[] = [];
    const obsRows: Row[] = [];
    for (const { c, name } of mine) {
      c.time.forEach((t, j) => {
        curveRows.push({ panel: name, TIME: t, value: num(c.ipred[j]!), curve: 'IPRED' });
        curveRows.push({ panel: name, TIME: t, value: num(c.pred[j]!), curve: 'PRED' });
        curveRows.push({ panel: name, TIME: t, lower: num(c.lower[j]!), upper: num(c.upper[j]!) });
      });
      d.predictions.forEach((p, k) => {
        if (p.subject === c.subject && p.output === c.output) obsRows.push({ panel: name, TIME: p.time, DV: num(p.dv), censored: d.evaluation.npde[k]!.censored ? 'censored (limit)' : 'observed' });
      });
    }
    const order = mine.map((x) => x.name);
    const anyCensored = obsRows.some((r) => r['censored'] !== 'observed');
    const first = page * PANELS_PER_FIGURE + 1;
    figures.push({
      id: pages > 1 ? `individual-fits-${page + 1}` : 'individual-fits',
      title: `Individual fits${pages > 1 ? ` (${page + 1} of ${pages})` : ''}`,
      caption: `Panels ${first}–${first + mine.length - 1} of ${panels.length} (${d.shown.rule}). Points: observations; solid: IPRED at the subject’s EBE (${d.ebeSource}); dashed: PRED (η = 0); shaded: the 90 % prediction interval of an observation given the subject's data (${BAND_DRAWS} draws of η from the subject's ${d.bandFlow ? 'q, the fitted flow itself' : `posterior N(EBE, Σ)${d.bandCorrelated ? '' : ' with its marginal sds (no correlations)'}`}, each with residual error); all on a fine time grid.`,
      spec: {
        data: { values: [...curveRows, ...obsRows] },
        facet: { field: 'panel', type: 'nominal', title: null, sort: order }, columns: 4,
        spec: {
          width: 180, height: 130,
          layer: [
            { name: 'prediction-band', transform: [{ filter: 'datum.lower != null && datum.upper != null' }], mark: { type: 'area', opacity: 0.2, color: '#e45756' }, encoding: { x: { field: 'TIME', type: 'quantitative', title: 'time' }, y: { field: 'lower', type: 'quantitative', title: 'DV, IPRED, PRED' }, y2: { field: 'upper' } } },
            { name: 'curves', transform: [{ filter: 'datum.curve != null' }], mark: { type: 'line', strokeWidth: 1.5 }, encoding: { x: { field: 'TIME', type: 'quantitative', title: 'time' }, y: { field: 'value', type: 'quantitative', title: 'DV, IPRED, PRED' }, color: { field: 'curve', type: 'nominal', title: null, scale: { domain: ['IPRED', 'PRED'], range: ['#e45756', '#4c78a8'] } }, strokeDash: { field: 'curve', type: 'nominal', scale: { domain: ['IPRED', 'PRED'], range: [[1, 0], [5, 3]] }, title: null } } },
            { name: 'observations', transform: [{ filter: 'datum.DV != null' }], mark: { type: 'point', filled: true, size: 16, color: '#333' }, encoding: { x: { field: 'TIME', type: 'quantitative' }, y: { field: 'DV', type: 'quantitative' }, shape: { field: 'censored', type: 'nominal', title: null, scale: { domain: ['observed', 'censored (limit)'], range: ['circle', 'triangle-down'] }, ...(anyCensored ? {} : { legend: null }) } } },
          ],
        },
      } as unknown as FigureSpec['spec'],
    });
  }
  return figures;
}
