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
 *
 * Censoring (below a limit, M3 data): a censored row counts in its bin as a value below its limit — observed and
 * simulated alike (a simulated value below the row's limit is censored too) — so it holds the lowest ranks, never
 * its limit's value. A percentile whose rank falls among the censored values is undefined ("below the limit": NaN
 * in the rows), as is a simulated interval's bound in that case; `inside` compares with those bounds at −∞. Each
 * bin then also gets a 'blq' row: the observed fraction of censored rows against the simulated fractions' median
 * and 90 % interval (Bergstrand et al. 2009's approach).
 *
 * Strata: with a stratum index per row, each stratum is binned and summarized on its own.
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
  /** Per observation: 1 when censored below `lloq` (its dv is then not used), else 0. */
  readonly censored?: ArrayLike<number>;
  /** Per observation: the limit below which a value is censored (NaN: none). */
  readonly lloq?: ArrayLike<number>;
  /** Per observation: its stratum (0, 1, …); none: one stratum. */
  readonly stratum?: ArrayLike<number>;
}

export interface VpcOptions {
  readonly bins: number;
  /** Percentiles of the data per bin (default 0.05, 0.5, 0.95). */
  readonly percentiles?: readonly number[];
  /** Width of the interval of each simulated percentile (default 0.9). */
  readonly level?: number;
}

export interface VpcRow {
  /** 'blq': the fraction of censored values in the bin (percentile NaN). */
  readonly kind: 'vpc' | 'pcvpc' | 'blq';
  readonly stratum: number;
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

/** A quantile of sorted values where censored ones are ±∞: ±∞ when its rank touches them (no interpolation into a limit). */
function censoredQuantile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo]!;
  const b = sorted[hi]!;
  if (a === -Infinity || h === lo) return a;
  return b === Infinity ? b : a + (h - lo) * (b - a);
}

const shown = (x: number): number => (Number.isFinite(x) ? x : NaN);

function groups(input: VpcInput, bins: number): number[][][] {
  const n = input.time.length;
  const strata = input.stratum ? Array.from(input.stratum).reduce((a, b) => Math.max(a, b), -1) + 1 : 1;
  return Array.from({ length: strata }, (_, s) => {
    const rows = Array.from({ length: n }, (_, j) => j).filter((j) => (input.stratum ? input.stratum[j] === s : true));
    const bin = quantileBins(rows.map((j) => input.time[j]!), bins);
    const nb = bin.reduce((a, b) => Math.max(a, b + 1), 0);
    const members: number[][] = Array.from({ length: nb }, () => []);
    rows.forEach((j, r) => members[bin[r]!]!.push(j));
    return members;
  });
}

export function vpc(input: VpcInput, options: VpcOptions): VpcRow[] {
  const percentiles = options.percentiles ?? [0.05, 0.5, 0.95];
  const level = options.level ?? 0.9;
  const K = input.samples;
  const limit = (j: number): number => input.lloq?.[j] ?? NaN;
  const isCensored = (j: number): boolean => input.censored?.[j] === 1;
  const rows: VpcRow[] = [];
  const anyLimit = input.lloq !== undefined && Array.from(input.lloq).some(Number.isFinite);
  groups(input, options.bins).forEach((members, stratum) => {
    for (const kind of anyLimit ? (['vpc', 'pcvpc', 'blq'] as const) : (['vpc', 'pcvpc'] as const)) {
      members.forEach((m, b) => {
        const times = Float64Array.from(m, (j) => input.time[j]!).sort();
        const at = { kind, stratum, bin: b + 1, timeLower: times[0]!, timeUpper: times[times.length - 1]!, timeMedian: quantileSorted(times, 0.5), count: m.length };
        const predBin = quantileSorted(Float64Array.from(m, (j) => input.pred[j]!).sort(), 0.5);
        const correct = (y: number, j: number): number => {
          if (kind === 'vpc' || y === -Infinity) return y;
          // A zero PRED (e.g. before the first dose) cannot be corrected proportionally: that value is left out.
          return input.additive ? y + predBin - input.pred[j]! : input.pred[j]! !== 0 ? (y * predBin) / input.pred[j]! : NaN;
        };
        const observed = Float64Array.from(m, (j) => correct(isCensored(j) ? -Infinity : input.dv[j]!, j)).filter((y) => !Number.isNaN(y)).sort();
        const summaries = kind === 'blq' ? [NaN] : percentiles;
        const simulated = summaries.map(() => [] as number[]);
        const values = new Float64Array(m.length);
        for (let k = 0; k < K; k++) {
          let c = 0;
          let below = 0;
          for (const j of m) {
            const y = input.simulated(k, j);
            if (!Number.isFinite(y)) continue;
            const censored = y < limit(j);
            if (censored) below++;
            values[c++] = correct(censored ? -Infinity : y, j);
          }
          if (c === 0) continue;
          if (kind === 'blq') {
            simulated[0]!.push(below / c);
            continue;
          }
          const sorted = values.slice(0, c).filter((y) => !Number.isNaN(y)).sort();
          percentiles.forEach((p, q) => simulated[q]!.push(censoredQuantile(sorted, p)));
        }
        summaries.forEach((p, q) => {
          const s = Float64Array.from(simulated[q]!).sort();
          const o = kind === 'blq' ? m.filter(isCensored).length / m.length : censoredQuantile(observed, p);
          const lo = censoredQuantile(s, (1 - level) / 2);
          const hi = censoredQuantile(s, (1 + level) / 2);
          rows.push({ ...at, percentile: p, observed: shown(o), simLower: shown(lo), simMedian: shown(censoredQuantile(s, 0.5)), simUpper: shown(hi), inside: o >= lo && o <= hi });
        });
      });
    }
  });
  return rows;
}
