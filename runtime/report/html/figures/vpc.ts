/**
 * The VPC and pcVPC of one output, from the evaluation's rows (runtime/evaluate/vpc.ts; vpc.csv holds the same
 * numbers): per time bin and percentile (5, 50, 95 %) a rect spanning the bin with the simulated percentile's
 * 90 % interval (`simulated-interval`), the simulated median (`simulated-median`, dashed) and the observed
 * percentile (`observed-percentile`, solid, with a point per bin: `observed-points`) through the bins' median times; the VPC also
 * shows the observations themselves while there are few enough.
 */
import type { VpcRow } from '../../../evaluate/vpc.js';
import type { ReportData } from '../report-data.js';
import { observationRows } from './goodness-of-fit.js';
import { num, POINT_LIMIT, type FigureSpec, type Row } from './common.js';

/**
 * Each bin's drawn extent: from halfway to the previous bin's last time to halfway to the next bin's first, the
 * outer bins ending at their own first and last times; a bin of one time (a nominal design) still gets width.
 */
export function binEdges(rows: readonly VpcRow[]): Map<number, [number, number]> {
  const bins = [...new Map(rows.map((r) => [r.bin, r])).values()].sort((a, b) => a.bin - b.bin);
  const span = bins.length > 0 ? bins[bins.length - 1]!.timeUpper - bins[0]!.timeLower : 0;
  const pad = (span > 0 ? span : 1) * 0.01;
  const edges = new Map<number, [number, number]>();
  bins.forEach((b, k) => {
    const prev = bins[k - 1];
    const next = bins[k + 1];
    let lo = prev ? (prev.timeUpper + b.timeLower) / 2 : b.timeLower;
    let hi = next ? (b.timeUpper + next.timeLower) / 2 : b.timeUpper;
    if (hi - lo < 2 * pad) {
      lo = Math.min(lo, b.timeMedian - pad);
      hi = Math.max(hi, b.timeMedian + pad);
    }
    edges.set(b.bin, [lo, hi]);
  });
  return edges;
}

const percentileLabel = (p: number): string => `${Math.round(p * 100)} %`;

const FRACTION_LABEL: Partial<Record<VpcRow['kind'], string>> = { blq: 'BLQ', alq: 'ALQ' };

/** The rows of one figure: per stratum its bins' extents; a band bound beyond a limit is drawn from `floor` / to `ceiling`. */
export function vpcRows(rows: readonly VpcRow[], strata: readonly string[] = [''], floor = NaN, ceiling = NaN): Row[] {
  return [...new Set(rows.map((r) => r.stratum))].flatMap((stratum) => {
    const mine = rows.filter((r) => r.stratum === stratum);
    const edges = binEdges(mine);
    return mine.map((r) => ({
      stratum: strata[r.stratum] ?? '', bin: r.bin, percentile: FRACTION_LABEL[r.kind] ?? percentileLabel(r.percentile), binStart: edges.get(r.bin)![0], binEnd: edges.get(r.bin)![1], timeMedian: r.timeMedian,
      observed: num(r.observed), simLower: num(Number.isNaN(r.simLower) && Number.isFinite(r.simUpper) ? floor : r.simLower), simMedian: num(r.simMedian), simUpper: num(Number.isNaN(r.simUpper) && Number.isFinite(r.simLower) ? ceiling : r.simUpper), n: r.count,
    }));
  });
}

const color = { field: 'percentile', type: 'nominal', title: 'percentile', sort: ['5 %', '50 %', '95 %'], scale: { range: ['#4c78a8', '#e45756', '#4c78a8'] } };

/** The bottom (top) of a figure's finite values: where a band reaching below (above) the limit starts (ends). */
function extremeOf(rows: readonly VpcRow[], pick: (a: number, b: number) => number): number {
  let x = NaN;
  for (const r of rows) for (const v of [r.observed, r.simLower, r.simMedian, r.simUpper]) if (Number.isFinite(v)) x = Number.isNaN(x) ? v : pick(x, v);
  return x;
}

/** One panel per stratum (a facet) when there are several, else the plain layers. */
function faceted(values: Row[], layers: unknown[], strata: readonly string[], size: { width: number; height: number }): FigureSpec['spec'] {
  if (strata.length <= 1) return { data: { values }, layer: layers, ...size } as unknown as FigureSpec['spec'];
  return { data: { values }, facet: { field: 'stratum', type: 'nominal', title: null, sort: [...strata] }, columns: Math.min(3, strata.length), spec: { layer: layers, width: 300, height: 220 } } as unknown as FigureSpec['spec'];
}

function binningWords(d: ReportData): { axis: string; bins: string } {
  const tad = d.evaluation.binning === 'tad';
  return { axis: tad ? 'time after dose' : 'time', bins: `${tad ? 'time-after-dose' : 'time'} bins (quantile binning${d.evaluation.strata.length > 1 ? `, per stratum of ${d.evaluation.options.stratify}` : ''})` };
}

export function vpcFigures(d: ReportData, output: number, suffix: string, outputTitle: string): FigureSpec[] {
  const all = d.evaluation.vpc.find((v) => v.output === output)?.rows ?? [];
  const strata = d.evaluation.strata;
  const words = binningWords(d);
  // The observations are drawn against time only, in a single panel.
  const observations = d.evaluation.binning === 'time' && strata.length <= 1 ? observationRows(d, output).filter((r) => r['DV'] !== null) : [];
  const K = d.evaluation.options.samples;
  const anyBlq = all.some((r) => r.kind === 'blq');
  const anyAlq = all.some((r) => r.kind === 'alq');
  const percentileFigures = (['vpc', 'pcvpc'] as const).flatMap((kind) => {
    const rows = all.filter((r) => r.kind === kind);
    if (rows.length === 0) return [];
    const bins = new Set(rows.map((r) => `${r.stratum}:${r.bin}`)).size;
    const points = kind === 'vpc' && observations.length > 0 && observations.length <= POINT_LIMIT;
    // Only the first x encoding names the axis (the others' aria-labels keep their field names).
    const x = (field: string) => (field === 'binStart' || field === 'TIME' ? { field, type: 'quantitative', title: words.axis } : { field, type: 'quantitative' });
    const layers = [
      ...(points ? [{ name: 'observations', data: { values: observations }, mark: { type: 'point', filled: true, size: 10, color: '#999', opacity: 0.5 }, encoding: { x: x('TIME'), y: { field: 'DV', type: 'quantitative' } } }] : []),
      { name: 'simulated-interval', mark: { type: 'rect', opacity: 0.25 }, encoding: { x: x('binStart'), x2: { field: 'binEnd' }, y: { field: 'simLower', type: 'quantitative', title: kind === 'vpc' ? 'DV' : 'prediction-corrected DV' }, y2: { field: 'simUpper' }, color } },
      { name: 'simulated-median', mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x: x('timeMedian'), y: { field: 'simMedian', type: 'quantitative' }, color } },
      { name: 'observed-percentile', mark: { type: 'line', strokeWidth: 2 }, encoding: { x: x('timeMedian'), y: { field: 'observed', type: 'quantitative' }, color } },
      { name: 'observed-points', mark: { type: 'point', filled: true, size: 24, opacity: 1 }, encoding: { x: x('timeMedian'), y: { field: 'observed', type: 'quantitative' }, color } },
    ];
    const what = kind === 'vpc' ? 'Visual predictive check' : 'Prediction-corrected VPC';
    const inside = rows.filter((r) => r.inside).length;
    const undefinedCount = rows.filter((r) => Number.isNaN(r.observed)).length;
    return [{
      id: `${kind}${suffix}`, title: `${what}${outputTitle}`,
      caption: `${bins} ${words.bins}, ${K} simulated replicates of the design at the reported estimate${strata.length > 1 ? `; one panel per stratum (${strata.join(', ')})` : ''}. Solid: the observed 5, 50 and 95 % percentiles per bin; dashed: the simulated percentiles' medians; shaded: their 90 % intervals. ${inside} of ${rows.length} observed percentiles lie inside their interval (about 90 % expected for a correctly specified model).${anyBlq || anyAlq ? ` Censored observations count as ${anyBlq && anyAlq ? 'below or above' : anyBlq ? 'below' : 'above'} their limit (observed and simulated alike): ${undefinedCount} observed percentile${undefinedCount === 1 ? ' falls' : 's fall'} beyond it and ${undefinedCount === 1 ? 'is' : 'are'} not drawn; an interval reaching beyond it is drawn to the ${anyBlq && anyAlq ? 'edge' : anyBlq ? 'bottom' : 'top'}.` : ''}${kind === 'pcvpc' ? ' Observed and simulated values are prediction-corrected (Bergstrand et al. 2011).' : points ? ' Grey: the observations.' : observations.length > POINT_LIMIT ? ` The ${observations.length} observations are not drawn (more than ${POINT_LIMIT}).` : ''}`,
      spec: faceted(vpcRows(rows, strata, extremeOf(rows, Math.min), extremeOf(rows, Math.max)), layers, strata, { width: 420, height: 280 }),
    }];
  });
  return [...percentileFigures, ...(['blq', 'alq'] as const).flatMap((kind) => fractionFigure(all.filter((r) => r.kind === kind), kind, strata, words, K, suffix, outputTitle))];
}

const FRACTION_WORDS = { blq: { id: 'vpc-blq', title: 'Fraction below the limit of quantification', axis: 'fraction below the limit' }, alq: { id: 'vpc-alq', title: 'Fraction above the limit of quantification', axis: 'fraction above the limit' } } as const;

/** The observed fraction of rows censored on one side per bin against the simulated fractions (none: no figure). */
function fractionFigure(rows: readonly VpcRow[], kind: 'blq' | 'alq', strata: readonly string[], words: { axis: string; bins: string }, K: number, suffix: string, outputTitle: string): FigureSpec[] {
  if (rows.length === 0) return [];
  const w = FRACTION_WORDS[kind];
  const x = (field: string) => (field === 'binStart' ? { field, type: 'quantitative', title: words.axis } : { field, type: 'quantitative' });
  const layers = [
    { name: 'simulated-interval', mark: { type: 'rect', opacity: 0.25, color: '#4c78a8' }, encoding: { x: x('binStart'), x2: { field: 'binEnd' }, y: { field: 'simLower', type: 'quantitative', title: w.axis, scale: { domain: [0, 1] } }, y2: { field: 'simUpper' } } },
    { name: 'simulated-median', mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 1.5, color: '#4c78a8' }, encoding: { x: x('timeMedian'), y: { field: 'simMedian', type: 'quantitative' } } },
    { name: 'observed-fraction', mark: { type: 'line', strokeWidth: 2, color: '#e45756', point: true }, encoding: { x: x('timeMedian'), y: { field: 'observed', type: 'quantitative' } } },
  ];
  const inside = rows.filter((r) => r.inside).length;
  return [{
    id: `${w.id}${suffix}`, title: `${w.title}${outputTitle}`,
    caption: `Per ${words.bins.replace(/s \(/, ' (')}: the observed fraction of observations censored ${kind === 'blq' ? 'below' : 'above'} their limit (red) against the simulated fractions' median (dashed) and 90 % interval (shaded), from the same ${K} replicates, each simulated value censored at its row's limit. ${inside} of ${rows.length} observed fractions lie inside their interval.`,
    spec: faceted(vpcRows(rows, strata), layers, strata, { width: 420, height: 220 }),
  }];
}
