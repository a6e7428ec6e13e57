/**
 * `nlmc report a b`: two fits side by side — their estimates (with SE/RSE/CI) in one table and one figure, and
 * their likelihoods: −2LL, AIC, BIC and ΔOFV = −2LL(b) − −2LL(a), with the Monte-Carlo error of the difference
 * when the fits report one (the two estimates are independent: √(se_a² + se_b²)). Read from the run folders
 * alone (estimates.json, fit.json); nothing is refitted or recomputed.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseFitFile, type FitFile } from '../../infer/fit-file.js';
import type { EstimateRow } from '../estimates.js';
import type { FigureSpec, Row } from './figures/common.js';
import { num } from './figures/common.js';
import { esc, fmt, page, table, type RenderedFigure } from './html.js';
import { renderSvg } from './render.js';
import { readEstimates, reportedMinus2LL, runFolderOf, type EstimatesFile } from './run-folder.js';

/** The χ² 95 % quantile for 1–10 degrees of freedom: the likelihood-ratio test's threshold between nested models. */
export const CHI2_95 = [3.841, 5.991, 7.815, 9.488, 11.07, 12.59, 14.07, 15.51, 16.92, 18.31] as const;

export interface ComparedFit {
  readonly label: string;
  readonly folder: string;
  readonly fit: FitFile;
  readonly estimates: EstimatesFile;
}

export interface Comparison {
  readonly a: ComparedFit;
  readonly b: ComparedFit;
  /** −2LL(b) − −2LL(a) and its Monte-Carlo error; undefined when either fit reports no −2LL. */
  readonly deltaOfv?: { readonly value: number; readonly mcError: number };
  /** Estimated parameters of b minus those of a (when both report a likelihood block). */
  readonly deltaParameters?: number;
  readonly notes: readonly string[];
}

function readFit(path: string, label: string): ComparedFit {
  const folder = runFolderOf(path);
  const file = join(folder, 'fit.json');
  return { label, folder, fit: parseFitFile(readFileSync(file, 'utf8'), file), estimates: readEstimates(folder) };
}

/** Labels from the folder names (`a.fit` → `a`), A and B when those are the same. */
function labels(a: string, b: string): [string, string] {
  const name = (p: string) => basename(resolve(runFolderOf(p))).replace(/\.fit$/, '');
  const [x, y] = [name(a), name(b)];
  return x === y ? ['A', 'B'] : [x, y];
}

export function compareFits(pathA: string, pathB: string): Comparison {
  const [la, lb] = labels(pathA, pathB);
  const a = readFit(pathA, la);
  const b = readFit(pathB, lb);
  const notes: string[] = [];
  if (a.fit.data.sha256 !== b.fit.data.sha256) notes.push(`the fits were made on different data (${a.fit.data.file}, ${b.fit.data.file}): their −2LL are not comparable`);
  for (const x of [a, b]) if (!x.estimates.complete) notes.push(`${x.label}: the fit did not complete (${x.estimates.message})`);
  const la2 = reportedMinus2LL(a.estimates);
  const lb2 = reportedMinus2LL(b.estimates);
  if (!la2 || !lb2) notes.push(`${!la2 ? a.label : b.label} reports no −2LL (fitted with --estimate elbo --no-uncertainty?): no ΔOFV`);
  const deltaOfv = la2 && lb2 ? { value: lb2.value - la2.value, mcError: Math.hypot(la2.mcError, lb2.mcError) } : undefined;
  const deltaParameters = a.estimates.likelihood && b.estimates.likelihood ? b.estimates.likelihood.parameters - a.estimates.likelihood.parameters : undefined;
  return { a, b, ...(deltaOfv ? { deltaOfv } : {}), ...(deltaParameters !== undefined ? { deltaParameters } : {}), notes };
}

const ci = (r: EstimateRow | undefined): string => (r && r.ciLower !== null && r.ciUpper !== null ? `[${fmt(r.ciLower)}, ${fmt(r.ciUpper)}]` : '–');

/** Parameter names in a's order, then those only b has. */
function parameterNames(c: Comparison): string[] {
  return [...new Set([...c.a.estimates.estimates.map((r) => r.name), ...c.b.estimates.estimates.map((r) => r.name)])];
}

function estimatesTable(c: Comparison): string {
  const find = (x: ComparedFit, name: string) => x.estimates.estimates.find((r) => r.name === name);
  return table(['parameter', `${c.a.label}`, 'RSE %', '95 % CI', `${c.b.label}`, 'RSE %', '95 % CI', `${c.b.label} / ${c.a.label}`], parameterNames(c).map((name) => {
    const ra = find(c.a, name);
    const rb = find(c.b, name);
    const rse = (r: EstimateRow | undefined) => (r?.rse === null || r?.rse === undefined ? '–' : r.rse.toFixed(1));
    return [name, fmt(ra?.estimate), rse(ra), ci(ra), fmt(rb?.estimate), rse(rb), ci(rb), ra && rb && ra.estimate !== 0 ? fmt(rb.estimate / ra.estimate, 3) : '–'];
  }), 'estimates');
}

function likelihoodTable(c: Comparison): string {
  const block = (x: ComparedFit) => x.estimates.likelihood;
  const m2 = (x: ComparedFit) => reportedMinus2LL(x.estimates);
  const rows: string[][] = [
    ['−2LL', fmt(m2(c.a)?.value, 7), fmt(m2(c.b)?.value, 7), c.deltaOfv ? fmt(c.deltaOfv.value, 5) : '–'],
    ['Monte-Carlo SE of −2LL', fmt(m2(c.a)?.mcError, 2), fmt(m2(c.b)?.mcError, 2), c.deltaOfv ? fmt(c.deltaOfv.mcError, 2) : '–'],
    ['estimated parameters', String(block(c.a)?.parameters ?? '–'), String(block(c.b)?.parameters ?? '–'), c.deltaParameters !== undefined ? String(c.deltaParameters) : '–'],
    ['AIC', fmt(block(c.a)?.aic, 7), fmt(block(c.b)?.aic, 7), block(c.a) && block(c.b) ? fmt(block(c.b)!.aic - block(c.a)!.aic, 5) : '–'],
    ['BIC', fmt(block(c.a)?.bic, 7), fmt(block(c.b)?.bic, 7), block(c.a) && block(c.b) ? fmt(block(c.b)!.bic - block(c.a)!.bic, 5) : '–'],
  ];
  return table(['', c.a.label, c.b.label, `${c.b.label} − ${c.a.label}`], rows, 'likelihood');
}

/** The sentence about ΔOFV: which fit is better, and by the likelihood-ratio threshold if the models are nested. */
export function deltaOfvSentence(c: Comparison): string {
  if (!c.deltaOfv) return 'No ΔOFV: a fit reports no −2LL.';
  const d = c.deltaOfv;
  const better = d.value < 0 ? c.b.label : c.a.label;
  const mc = d.mcError > 0 ? ` ± ${fmt(d.mcError, 2)} (Monte-Carlo SE)` : ' (quadrature: no Monte-Carlo error)';
  const dp = c.deltaParameters;
  const nested = dp !== undefined && dp !== 0 && Math.abs(dp) <= CHI2_95.length
    ? ` If the model with fewer parameters is nested in the other, the likelihood-ratio test at 5 % needs a drop of ${CHI2_95[Math.abs(dp) - 1]} (χ², ${Math.abs(dp)} df) for the larger one.`
    : '';
  return `ΔOFV = −2LL(${c.b.label}) − −2LL(${c.a.label}) = ${fmt(d.value, 5)}${mc}: ${better} has the higher likelihood.${nested}`;
}

function figures(c: Comparison): FigureSpec[] {
  const rows: Row[] = [];
  for (const x of [c.a, c.b]) for (const r of x.estimates.estimates) rows.push({ fit: x.label, parameter: r.name, estimate: num(r.estimate), lower: r.ciLower, upper: r.ciUpper });
  const names = parameterNames(c);
  const trace: Row[] = [c.a, c.b].flatMap((x) => x.fit.trace.map((t) => ({ fit: x.label, epoch: t.epoch, elbo: num(t.elbo) })));
  const fitColor = { field: 'fit', type: 'nominal', title: 'fit', scale: { domain: [c.a.label, c.b.label], range: ['#4c78a8', '#e45756'] } };
  return [
    {
      id: 'estimates-compared', title: 'Estimates side by side', caption: `Each parameter's estimate (point) and 95 % CI (bar, where the fit computed standard errors) in ${c.a.label} and ${c.b.label}.`,
      spec: {
        data: { values: rows }, facet: { row: { field: 'parameter', type: 'nominal', title: null, sort: names, header: { labelAngle: 0, labelAlign: 'left' } } },
        spec: {
          width: 360, height: 36,
          layer: [
            { name: 'intervals', transform: [{ filter: 'datum.lower != null && datum.upper != null' }], mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { field: 'lower', type: 'quantitative', title: 'estimate, 95 % CI', scale: { zero: false } }, x2: { field: 'upper' }, y: { field: 'fit', type: 'nominal', title: null, sort: [c.a.label, c.b.label] }, color: fitColor } },
            { name: 'estimates', mark: { type: 'point', filled: true, size: 50 }, encoding: { x: { field: 'estimate', type: 'quantitative' }, y: { field: 'fit', type: 'nominal', sort: [c.a.label, c.b.label] }, color: fitColor } },
          ],
        },
        resolve: { scale: { x: 'independent' } },
      } as unknown as FigureSpec['spec'],
    },
    {
      id: 'elbo-traces', title: 'Convergence: ELBO per epoch', caption: 'The training objective of each fit per epoch (ELBO per observation, higher is better).',
      spec: { data: { values: trace }, width: 420, height: 220, layer: [{ name: 'elbo', mark: { type: 'line', strokeWidth: 1.2 }, encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'elbo', type: 'quantitative', title: 'ELBO', scale: { zero: false } }, color: fitColor } }] } as unknown as FigureSpec['spec'],
    },
  ];
}

export async function buildComparison(pathA: string, pathB: string): Promise<{ comparison: Comparison; html: string; figures: RenderedFigure[] }> {
  const c = compareFits(pathA, pathB);
  const rendered: RenderedFigure[] = [];
  for (const f of figures(c)) rendered.push({ id: f.id, title: f.title, caption: f.caption, svg: await renderSvg(f.spec) });
  const meta = [c.a, c.b].map((x) => `${x.label}: ${x.folder} — model ${x.fit.model.name}, ${x.estimates.estimate} estimate, ${x.estimates.epochs} epochs, data ${x.fit.data.file}`);
  const html = page(`nlmc report: ${c.a.label} and ${c.b.label}`, meta, [
    { id: 'likelihood', title: 'Likelihood', body: `${likelihoodTable(c)}<p>${esc(deltaOfvSentence(c))}</p>${c.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('')}`, figures: [] },
    { id: 'estimates', title: 'Parameter estimates', body: estimatesTable(c), figures: rendered.filter((f) => f.id === 'estimates-compared') },
    { id: 'convergence', title: 'Convergence', figures: rendered.filter((f) => f.id === 'elbo-traces') },
  ]);
  return { comparison: c, html, figures: rendered };
}
