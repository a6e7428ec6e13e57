/**
 * Goodness-of-fit scatters, one set per output: DV against PRED and IPRED (with the identity line), NPDE against
 * time and PRED, IWRES against time and IPRED (with lines at 0 and ±1.96). Censored observations are left out
 * (their DV is a limit, and they have no NPDE).
 */
import type { ReportData } from '../report-data.js';
import { extent, identityLine, layered, num, referenceRules, scatterLayer, type FigureSpec, type Row } from './common.js';

/** The uncensored observations of one output as chart rows. */
export function observationRows(d: ReportData, output: number): Row[] {
  const ids = d.run.ctx.dataset.ids;
  const rows: Row[] = [];
  d.predictions.forEach((p, k) => {
    const e = d.evaluation.npde[k]!;
    if (p.output !== output || e.censored) return;
    rows.push({ ID: ids[p.subject]!, TIME: p.time, DV: num(p.dv), PRED: num(p.pred), IPRED: num(p.ipred), IWRES: num(p.iwres), NPDE: num(e.npde), EPRED: num(e.epred) });
  });
  return rows;
}

interface Scatter {
  readonly id: string;
  readonly title: string;
  readonly x: { field: string; title: string };
  readonly y: { field: string; title: string };
  readonly reference: 'identity' | 'residual';
  readonly caption: string;
}

const scatters: readonly Scatter[] = [
  { id: 'dv-vs-pred', title: 'Observations against population predictions', x: { field: 'PRED', title: 'PRED (η = 0)' }, y: { field: 'DV', title: 'DV' }, reference: 'identity', caption: 'Each uncensored observation against its population prediction; the dashed line is y = x.' },
  { id: 'dv-vs-ipred', title: 'Observations against individual predictions', x: { field: 'IPRED', title: 'IPRED (η = EBE)' }, y: { field: 'DV', title: 'DV' }, reference: 'identity', caption: 'Each uncensored observation against its individual prediction at the subject’s EBE; the dashed line is y = x. With high ε-shrinkage this plot says little.' },
  { id: 'npde-vs-time', title: 'NPDE against time', x: { field: 'TIME', title: 'time' }, y: { field: 'NPDE', title: 'NPDE' }, reference: 'residual', caption: 'Normalized prediction distribution errors (simulation-based, decorrelated) against time; under the model they are N(0, 1): dashed lines at 0 and ±1.96.' },
  { id: 'npde-vs-pred', title: 'NPDE against population predictions', x: { field: 'PRED', title: 'PRED (η = 0)' }, y: { field: 'NPDE', title: 'NPDE' }, reference: 'residual', caption: 'NPDE against PRED: a spread that grows or shrinks with the prediction points at the residual error model.' },
  { id: 'iwres-vs-time', title: 'IWRES against time', x: { field: 'TIME', title: 'time' }, y: { field: 'IWRES', title: 'IWRES' }, reference: 'residual', caption: 'Individual weighted residuals (DV − IPRED)/sd(IPRED) at the EBEs against time; dashed lines at 0 and ±1.96.' },
  { id: 'iwres-vs-ipred', title: 'IWRES against individual predictions', x: { field: 'IPRED', title: 'IPRED (η = EBE)' }, y: { field: 'IWRES', title: 'IWRES' }, reference: 'residual', caption: 'IWRES against IPRED; dashed lines at 0 and ±1.96.' },
];

export function goodnessOfFitFigures(d: ReportData, output: number, suffix: string, outputTitle: string): FigureSpec[] {
  const rows = observationRows(d, output);
  if (rows.length === 0) return [];
  return scatters.map((s) => {
    const used = rows.filter((r) => r[s.x.field] !== null && r[s.y.field] !== null);
    const [lo, hi] = extent(used, [s.x.field, s.y.field]);
    const reference = s.reference === 'identity' ? identityLine(lo, hi, s.x.field, s.y.field) : referenceRules('reference', [0, -1.96, 1.96]);
    // Against the identity line both axes bin the same range, so the 2-D histogram's cells are square.
    const axes = s.reference === 'identity' ? { x: { ...s.x, extent: [lo, hi] as const }, y: { ...s.y, extent: [lo, hi] as const } } : { x: s.x, y: s.y };
    const counted = used.length === rows.length ? `${used.length} observations` : `${used.length} of ${rows.length} observations (the others have no finite value)`;
    return {
      id: `${s.id}${suffix}`, title: `${s.title}${outputTitle}`, caption: `${s.caption} ${counted}.`,
      spec: layered(used, [scatterLayer('observations', used.length, axes.x, axes.y), reference]),
    };
  });
}
