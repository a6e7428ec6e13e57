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

export function vpcRows(rows: readonly VpcRow[]): Row[] {
  const edges = binEdges(rows);
  return rows.map((r) => ({
    bin: r.bin, percentile: percentileLabel(r.percentile), binStart: edges.get(r.bin)![0], binEnd: edges.get(r.bin)![1], timeMedian: r.timeMedian,
    observed: num(r.observed), simLower: num(r.simLower), simMedian: num(r.simMedian), simUpper: num(r.simUpper), n: r.count,
  }));
}

const color = { field: 'percentile', type: 'nominal', title: 'percentile', sort: ['5 %', '50 %', '95 %'], scale: { range: ['#4c78a8', '#e45756', '#4c78a8'] } };

export function vpcFigures(d: ReportData, output: number, suffix: string, outputTitle: string): FigureSpec[] {
  const all = d.evaluation.vpc.find((v) => v.output === output)?.rows ?? [];
  const observations = observationRows(d, output).filter((r) => r['DV'] !== null);
  const K = d.evaluation.options.samples;
  return (['vpc', 'pcvpc'] as const).flatMap((kind) => {
    const rows = all.filter((r) => r.kind === kind);
    if (rows.length === 0) return [];
    const bins = new Set(rows.map((r) => r.bin)).size;
    const points = kind === 'vpc' && observations.length <= POINT_LIMIT;
    const layers = [
      ...(points ? [{ name: 'observations', data: { values: observations }, mark: { type: 'point', filled: true, size: 10, color: '#999', opacity: 0.5 }, encoding: { x: { field: 'TIME', type: 'quantitative', title: 'time' }, y: { field: 'DV', type: 'quantitative' } } }] : []),
      { name: 'simulated-interval', mark: { type: 'rect', opacity: 0.25 }, encoding: { x: { field: 'binStart', type: 'quantitative', title: 'time' }, x2: { field: 'binEnd' }, y: { field: 'simLower', type: 'quantitative', title: kind === 'vpc' ? 'DV' : 'prediction-corrected DV' }, y2: { field: 'simUpper' }, color } },
      { name: 'simulated-median', mark: { type: 'line', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { x: { field: 'timeMedian', type: 'quantitative' }, y: { field: 'simMedian', type: 'quantitative' }, color } },
      { name: 'observed-percentile', mark: { type: 'line', strokeWidth: 2 }, encoding: { x: { field: 'timeMedian', type: 'quantitative' }, y: { field: 'observed', type: 'quantitative' }, color } },
      { name: 'observed-points', mark: { type: 'point', filled: true, size: 24, opacity: 1 }, encoding: { x: { field: 'timeMedian', type: 'quantitative' }, y: { field: 'observed', type: 'quantitative' }, color } },
    ];
    const what = kind === 'vpc' ? 'Visual predictive check' : 'Prediction-corrected VPC';
    const inside = rows.filter((r) => r.inside).length;
    return [{
      id: `${kind}${suffix}`, title: `${what}${outputTitle}`,
      caption: `${bins} time bins (quantile binning), ${K} simulated replicates of the design at the reported estimate. Solid: the observed 5, 50 and 95 % percentiles per bin; dashed: the simulated percentiles' medians; shaded: their 90 % intervals. ${inside} of ${rows.length} observed percentiles lie inside their interval (about 90 % expected for a correctly specified model).${kind === 'pcvpc' ? ' Observed and simulated values are prediction-corrected (Bergstrand et al. 2011).' : points ? ' Grey: the observations.' : ` The ${observations.length} observations are not drawn (more than ${POINT_LIMIT}).`}`,
      spec: { data: { values: vpcRows(rows) }, layer: layers, width: 420, height: 280 } as unknown as FigureSpec['spec'],
    }];
  });
}
