/**
 * Visual predictive check and its prediction-corrected form (Bergstrand et al. 2011) as numbers: observations
 * binned by time (quantile binning: bins of about equal counts, tied times kept in one bin), the observed 5/50/95 %
 * percentiles of each bin, and for each of the K simulated replicates the same percentiles, summarized across the
 * replicates by their median and a 90 % interval (the 5 % and 95 % quantiles of the K values).
 *
 * Prediction correction: each value y in a bin (observed and simulated alike) becomes
 *   pc(y) = lb + (y − lb) · (PRED_bin − lb) / (PRED − lb)      (lb = 0: proportional), or
 *   pc(y) = y + PRED_bin − PRED                                  for an output modelled on a log scale,
 * with PRED the row's population prediction (η = 0) and PRED_bin the median PRED of the bin.
 */
import { quantileSorted } from './stats.js';

export interface VpcInput {
  /** Per observation: time, observed value, PRED (all on the output's scale). */
  readonly time: ArrayLike<number>;
  readonly dv: ArrayLike<number>;
  readonly pred: ArrayLike<number>;
  /** K: the number of simulated replicates. */
  readonly samples: number;
  /** Replicate k's simulated value of observation j (NaN where its trajectory failed). */
  readonly simulated: (k: number, j: number) => number;
  /** Additive prediction correction (a log-scale output) instead of the proportional one. */
  readonly additive: boolean;
}

export interface VpcOptions {
  readonly bins: number;
  /** Percentiles of the data per bin (default 0.05, 0.5, 0.95). */
  readonly percentiles?: readonly number[];
  /** Width of the interval of each simulated percentile (default 0.9). */
  readonly level?: number;
}

export interface VpcRow {
  readonly kind: 'vpc' | 'pcvpc';
  readonly bin: number;
  readonly timeLower: number;
  readonly timeUpper: number;
  readonly timeMedian: number;
  readonly count: number;
  readonly percentile: number;
  readonly observed: number;
  readonly simLower: number;
  readonly simMedian: number;
  readonly simUpper: number;
  /** simLower ≤ observed ≤ simUpper. */
  readonly inside: boolean;
}

/**
 * Bin index per observation: about `bins` groups of equal counts in time order; observations at the same time are
 * never split (so fewer bins result when times repeat, e.g. a nominal design with fewer times than bins).
 */
export function quantileBins(time: ArrayLike<number>, bins: number): Int32Array {
  const n = time.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const bin = new Int32Array(n);
  let b = 0;
  let start = 0;
  for (let r = 0; r < n; r++) {
    // Move to the next bin once this one holds its share, but only between two different times.
    if (r > start && time[order[r]!]! !== time[order[r - 1]!]! && r >= Math.round(((b + 1) * n) / bins) && b < bins - 1) {
      b++;
      start = r;
    }
    bin[order[r]!] = b;
  }
  return bin;
}

export function vpc(input: VpcInput, options: VpcOptions): VpcRow[] {
  const percentiles = options.percentiles ?? [0.05, 0.5, 0.95];
  const level = options.level ?? 0.9;
  const n = input.time.length;
  const K = input.samples;
  const bin = quantileBins(input.time, options.bins);
  const nb = n === 0 ? 0 : Math.max(...bin) + 1;
  const members: number[][] = Array.from({ length: nb }, () => []);
  for (let j = 0; j < n; j++) members[bin[j]!]!.push(j);
  const rows: VpcRow[] = [];
  for (const kind of ['vpc', 'pcvpc'] as const) {
    members.forEach((m, b) => {
      const times = Float64Array.from(m, (j) => input.time[j]!).sort();
      const predBin = quantileSorted(Float64Array.from(m, (j) => input.pred[j]!).sort(), 0.5);
      const correct = (y: number, j: number): number => {
        if (kind === 'vpc') return y;
        // A zero PRED (e.g. before the first dose) cannot be corrected proportionally: that value is left out.
        return input.additive ? y + predBin - input.pred[j]! : input.pred[j]! !== 0 ? (y * predBin) / input.pred[j]! : NaN;
      };
      const observed = Float64Array.from(m, (j) => correct(input.dv[j]!, j)).filter(Number.isFinite).sort();
      const simulated = percentiles.map(() => [] as number[]);
      const values = new Float64Array(m.length);
      for (let k = 0; k < K; k++) {
        let c = 0;
        for (const j of m) {
          const y = input.simulated(k, j);
          if (Number.isFinite(y)) values[c++] = correct(y, j);
        }
        if (c === 0) continue;
        const sorted = values.slice(0, c).sort();
        percentiles.forEach((p, q) => simulated[q]!.push(quantileSorted(sorted, p)));
      }
      percentiles.forEach((p, q) => {
        const s = Float64Array.from(simulated[q]!).sort();
        const o = quantileSorted(observed, p);
        const lo = quantileSorted(s, (1 - level) / 2);
        const hi = quantileSorted(s, (1 + level) / 2);
        rows.push({
          kind, bin: b + 1, timeLower: times[0]!, timeUpper: times[times.length - 1]!, timeMedian: quantileSorted(times, 0.5), count: m.length,
          percentile: p, observed: o, simLower: lo, simMedian: quantileSorted(s, 0.5), simUpper: hi, inside: o >= lo && o <= hi,
        });
      });
    });
  }
  return rows;
}
