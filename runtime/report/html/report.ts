/**
 * `nlmc report <run>`: the run's report as one self-contained HTML page and each figure as an SVG file. The
 * numbers come from the run folder and from the model evaluation (report-data.ts); each figure is a Vega-Lite
 * specification (figures/) rendered to SVG in Node (render.ts); html.ts lays out the page.
 */
import type { NormalitySummary } from '../../evaluate/stats.js';
import { likelihoodMethod } from '../../evaluate/write.js';
import { convergenceFigures } from './figures/convergence.js';
import type { FigureSpec } from './figures/common.js';
import { etaFigures } from './figures/eta.js';
import { goodnessOfFitFigures } from './figures/goodness-of-fit.js';
import { individualFigures } from './figures/individual.js';
import { npdeFigures } from './figures/npde.js';
import { startsFigures } from './figures/starts.js';
import { vpcFigures } from './figures/vpc.js';
import { esc, estimatesTable, fmt, page, table, type RenderedFigure, type Section } from './html.js';
import { renderSvg } from './render.js';
import { gatherReportData, type ReportData, type ReportOptions } from './report-data.js';

export interface Report {
  readonly html: string;
  readonly figures: readonly RenderedFigure[];
  readonly data: ReportData;
  readonly seconds: number;
}

/** Per output: the figure builders' id suffix and title suffix (none for a single-output model). */
function perOutput(d: ReportData, build: (d: ReportData, output: number, suffix: string, title: string) => FigureSpec[]): FigureSpec[] {
  const outputs = d.run.ctx.ir.outputs;
  return outputs.flatMap((o, k) => build(d, k, outputs.length > 1 ? `-${o.name}` : '', outputs.length > 1 ? ` (${o.name})` : ''));
}

function likelihoodBlock(d: ReportData): string {
  const l = d.estimates.likelihood;
  const e = d.evaluation.likelihood;
  const rows: string[][] = [];
  if (l) {
    rows.push(['−2LL (the fit)', fmt(l.minus2LL, 7), `${l.estimator === 'agq' ? `adaptive Gauss–Hermite quadrature, ${l.samples} nodes per effect` : `${l.estimator} sampling${l.proposal === 'flow' ? ' from the fitted flow' : ''}, ${l.samples} draws per subject`}${l.mcError > 0 ? `; Monte-Carlo SE ${fmt(l.mcError, 2)}` : ''}`]);
    rows.push(['AIC', fmt(l.aic, 7), `${l.parameters} estimated parameters`]);
    rows.push(['BIC', fmt(l.bic, 7), `n = ${l.subjects} subjects, ${l.observations} observations`]);
  } else if (d.estimates.maximumLikelihood) {
    rows.push(['−2LL (the fit)', fmt(d.estimates.maximumLikelihood.minus2LL, 7), `maximum-likelihood finish (${d.estimates.maximumLikelihood.method}); no uncertainty step, so no AIC/BIC`]);
  }
  const S = e.minus2LL.length;
  const how = `${likelihoodMethod(e)}, ${e.source === 'fit' ? 'the fit’s own per-subject values (estimates.json)' : 'integrated by the evaluation at the reported estimate'}`;
  if (e.subjects < S) rows.push(['−2LL (estimated from a sample of subjects)', fmt(e.total, 7), `${S} × the mean of ${e.subjects} randomly sampled subjects, sampling SE ${fmt(e.totalSe, 2)}; ${how} (the fit stored none; nlmc evaluate integrates all)`]);
  else rows.push(['−2LL (sum over subjects)', fmt(e.total, 7), `${how}${e.totalSe > 0 ? `; Monte-Carlo SE ${fmt(e.totalSe, 2)}` : ''}`]);
  return `<h3>Likelihood</h3>${table(['', 'value', 'how'], rows, 'likelihood')}`;
}

const summaryRow = (name: string, s: NormalitySummary): string[] => [name, String(s.n), fmt(s.mean, 3), fmt(s.meanSe, 2), fmt(s.meanP, 2), fmt(s.variance, 3), fmt(s.varianceP, 2), fmt(s.ks.d, 3), fmt(s.ks.p, 2)];

function evaluationBody(d: ReportData): string {
  const e = d.evaluation;
  const { ids } = d.run.ctx.dataset;
  const worst = Array.from(e.likelihood.minus2LL, (v, i) => ({ v, i })).filter((x) => Number.isFinite(x.v)).sort((a, b) => b.v - a.v).slice(0, 10);
  return [
    `<p>K = ${d.samples} simulated replicates of the design at the reported estimate, seed ${e.options.seed}, ${e.options.bins} VPC bins: the numbers <code>nlmc evaluate --samples ${d.samples} --seed ${e.options.seed} --bins ${e.options.bins}${e.binning === 'tad' ? ' --vpc-x tad' : ''}${e.options.stratify ? ` --stratify ${esc(e.options.stratify)}` : ''}</code> writes (docs/evaluate.md). EBEs: ${esc(e.ebeSource)}.</p>`,
    table(['', 'n', 'mean', 'SE', 'p (mean = 0)', 'variance', 'p (var = 1)', 'KS D', 'KS p'], [summaryRow('NPDE', e.npdeSummary), summaryRow('PWRES', e.pwresSummary)], 'normality'),
    table(['shrinkage', 'ω', 'sd(EBE)', 'shrinkage %'], [
      ...e.shrinkage.eta.map((x) => [`η: ${x.effect}`, fmt(x.omega), fmt(x.sdEbe), (100 * x.shrinkage).toFixed(1)]),
      ...e.shrinkage.epsilonByOutput.map((x) => [`ε: ${x.output}`, '', `sd(IWRES) ${fmt(x.sdIwres)}`, (100 * x.shrinkage).toFixed(1)]),
    ], 'shrinkage'),
    `<h3>Largest −2LL contributions${e.likelihood.subjects < ids.length ? ` (among the ${e.likelihood.subjects} sampled subjects)` : ''}</h3>${table(['ID', '−2LL'], worst.map((x) => [ids[x.i]!, fmt(x.v, 5)]), 'subjects')}`,
    ...e.notes.map((n) => `<p class="note">${esc(n)}</p>`),
  ].join('\n');
}

async function render(figures: readonly FigureSpec[]): Promise<RenderedFigure[]> {
  const out: RenderedFigure[] = [];
  for (const f of figures) out.push({ id: f.id, title: f.title, caption: f.caption, svg: await renderSvg(f.spec) });
  return out;
}

export async function buildReport(path: string, options: ReportOptions): Promise<Report> {
  const started = performance.now();
  const d = await gatherReportData(path, options);
  const { fit } = d.run;
  const groups: { id: string; title: string; body?: string; figures: FigureSpec[] }[] = [
    { id: 'estimates', title: 'Parameter estimates', body: `<p>${esc(d.estimates.estimate)} estimate${d.estimates.complete ? '' : ' — <span class="bad">the fit did not complete</span>'}; SE from the observed information (delta method on the natural scale), 95 % CI transformed from the estimation scale.</p>${estimatesTable(d.estimates.estimates)}${likelihoodBlock(d)}`, figures: [] },
    { id: 'evaluation', title: 'Evaluation', body: evaluationBody(d), figures: [] },
    { id: 'goodness-of-fit', title: 'Goodness of fit', figures: perOutput(d, goodnessOfFitFigures) },
    { id: 'vpc', title: 'Visual predictive checks', figures: perOutput(d, vpcFigures) },
    { id: 'npde', title: 'NPDE distribution', figures: npdeFigures(d) },
    { id: 'individual', title: 'Individual fits', body: `<p>${esc(d.shown.rule)} shown.</p>`, figures: individualFigures(d) },
    { id: 'covariates', title: 'EBEs against covariates', ...(d.run.ctx.ir.covariates.length === 0 ? { body: '<p>The model has no covariates.</p>' } : {}), figures: etaFigures(d) },
    { id: 'convergence', title: 'Convergence', figures: [...convergenceFigures(d), ...startsFigures(d)] },
  ];
  const sections: Section[] = [];
  for (const g of groups) sections.push({ id: g.id, title: g.title, ...(g.body ? { body: g.body } : {}), figures: await render(g.figures) });
  const S = d.run.ctx.data.nSubjects;
  const nObs = d.predictions.length;
  const meta = [
    `run folder ${d.folder} · fitted ${fit.createdAt} · ${fit.backend}`,
    `data ${d.dataFile}: ${S} subjects, ${nObs} observations · ${d.estimates.epochs} epochs, stop: ${d.estimates.stop}`,
  ];
  const html = page(`nlmc report: model ${fit.model.name}`, meta, sections);
  return { html, figures: sections.flatMap((s) => s.figures), data: d, seconds: (performance.now() - started) / 1000 };
}
