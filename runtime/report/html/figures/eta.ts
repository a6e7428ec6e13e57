/**
 * EBEs against covariates: one figure per covariate, one panel per random effect — a scatter (`ebes`, or a
 * count map beyond the point limit) for a continuous covariate, a box plot (`ebes-box`) for a categorical one —
 * with a line at η = 0. The η-shrinkage of each effect is in the caption: above 20–30 % the EBEs are pulled to 0
 * and a covariate relation can hide.
 */
import type { ReportData } from '../report-data.js';
import { num, POINT_LIMIT, type FigureSpec, type Row } from './common.js';

export function etaFigures(d: ReportData): FigureSpec[] {
  const { ir, covariates, dataset } = d.run.ctx;
  const effects = ir.randomEffects.map((r) => r.name);
  const shrinkage = d.evaluation.shrinkage.eta.map((e) => `${e.effect} ${(100 * e.shrinkage).toFixed(1)} %`).join(', ');
  return ir.covariates.map((cov, c) => {
    const rows: Row[] = [];
    d.ebes.forEach((eta, i) => effects.forEach((effect, k) => rows.push({ ID: dataset.ids[i]!, effect, covariate: num(covariates[i]![c]!), eta: num(eta[k]!) })));
    const x = { field: 'covariate', type: cov.categorical ? 'ordinal' : 'quantitative', title: cov.name, ...(cov.categorical ? {} : { scale: { zero: false } }) };
    const y = { field: 'eta', type: 'quantitative', title: 'EBE (η)' };
    const perPanel = d.ebes.length;
    // The zero line's layer is aggregated to one row (per panel: the facet groups it), else a rule per subject.
    const main = cov.categorical
      ? { name: 'ebes-box', mark: { type: 'boxplot', extent: 1.5 }, encoding: { x, y } }
      : perPanel <= POINT_LIMIT
        ? { name: 'ebes', mark: { type: 'point', filled: true, size: 16, opacity: 0.6 }, encoding: { x, y } }
        : { name: 'ebes-density', mark: 'rect', encoding: { x: { ...x, bin: { maxbins: 40 } }, y: { ...y, bin: { maxbins: 40 } }, color: { aggregate: 'count', type: 'quantitative', title: 'subjects', scale: { scheme: 'blues', type: 'log' } } } };
    return {
      id: `eta-vs-${cov.name}`, title: `EBEs against ${cov.name}`,
      caption: `Each subject's EBE (${d.ebeSource}) against its ${cov.name}${cov.categorical ? ' (box plots per category)' : ''}, one panel per random effect; η-shrinkage: ${shrinkage}.`,
      spec: {
        data: { values: rows }, facet: { field: 'effect', type: 'nominal', title: null, sort: effects }, columns: 3,
        spec: { width: 240, height: 200, layer: [main, { name: 'zero', transform: [{ aggregate: [{ op: 'count', as: 'n' }] }], mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { y: { datum: 0 } } }] },
        resolve: { scale: { y: 'independent' } },
      } as unknown as FigureSpec['spec'],
    };
  });
}
