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
 * Censoring: a row censored below its limit (M3 data) counts in its bin as a value below that limit — observed
 * and simulated alike (a simulated value below the row's lower limit is censored too) — so it holds the lowest
 * ranks, never its limit's value; a row censored above its limit (and a simulated value above the row's upper
 * limit) holds the highest ranks. A percentile whose rank falls among the censored values is undefined ("beyond the
 * limit": NaN in the rows), as is a simulated interval's bound in that case; `inside` compares with those bounds at
 * ∓∞. Each bin then also gets a 'blq' row (when any row has a lower limit) and an 'alq' row (an upper limit): the
 * observed fraction of rows censored on that side against the simulated fractions' median and 90 % interval
 * (Bergstrand et al. 2009's approach).
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
  /** Per observation: 1 when censored below `lloq`, −1 when censored above `uloq` (its dv is then not used), else 0. */
  readonly censored?: ArrayLike<number>;
  /** Per observation: the limit below which a value is censored (NaN: none). */
  readonly lloq?: ArrayLike<number>;
  /** Per observation: the limit above which a value is censored (NaN: none). */
  readonly uloq?: ArrayLike<number>;
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
  /** 'blq' / 'alq': the fraction of values censored below / above their limit in the bin (percentile NaN). */
  readonly kind: 'vpc' | 'pcvpc' | 'blq' | 'alq';
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

/** The sides a fraction row is reported for: the kind, the censoring code of that side, and its limits. */
const SIDES = [
  { kind: 'blq', code: 1, limits: (input: VpcInput) => input.lloq },
  { kind: 'alq', code: -1, limits: (input: VpcInput) => input.uloq },
] as const;

const anyFinite = (a: ArrayLike<number> | undefined): boolean => a !== undefined && Array.from(a).some(Number.isFinite);

export function vpc(input: VpcInput, options: VpcOptions): VpcRow[] {
  const percentiles = options.percentiles ?? [0.05, 0.5, 0.95];
  const level = options.level ?? 0.9;
  const K = input.samples;
  const lower = (j: number): number => input.lloq?.[j] ?? NaN;
  const upper = (j: number): number => input.uloq?.[j] ?? NaN;
  const code = (j: number): number => input.censored?.[j] ?? 0;
  // A censored value's rank: −∞ below its limit, +∞ above it (code 1, −1); a simulated value is censored alike.
  const ranked = (c: number, y: number): number => (c === 1 ? -Infinity : c === -1 ? Infinity : y);
  const simulatedCode = (y: number, j: number): number => (y < lower(j) ? 1 : y > upper(j) ? -1 : 0);
  const rows: VpcRow[] = [];
  const sides = SIDES.filter((s) => anyFinite(s.limits(input)));
  const kinds = ['vpc', 'pcvpc', ...sides.map((s) => s.kind)] as const;
  groups(input, options.bins).forEach((members, stratum) => {
    for (const kind of kinds) {
      const side = sides.find((s) => s.kind === kind);
      members.forEach((m, b) => {
        const times = Float64Array.from(m, (j) => input.time[j]!).sort();
        const at = { kind, stratum, bin: b + 1, timeLower: times[0]!, timeUpper: times[times.length - 1]!, timeMedian: quantileSorted(times, 0.5), count: m.length };
        const predBin = quantileSorted(Float64Array.from(m, (j) => input.pred[j]!).sort(), 0.5);
        const correct = (y: number, j: number): number => {
          if (kind === 'vpc' || !Number.isFinite(y)) return y;
          // A zero PRED (e.g. before the first dose) cannot be corrected proportionally: that value is left out.
          return input.additive ? y + predBin - input.pred[j]! : input.pred[j]! !== 0 ? (y * predBin) / input.pred[j]! : NaN;
        };
        const observed = Float64Array.from(m, (j) => correct(ranked(code(j), input.dv[j]!), j)).filter((y) => !Number.isNaN(y)).sort();
        const summaries = side ? [NaN] : percentiles;
        const simulated = summaries.map(() => [] as number[]);
        const values = new Float64Array(m.length);
        for (let k = 0; k < K; k++) {
          let c = 0;
          let beyond = 0;
          for (const j of m) {
            const y = input.simulated(k, j);
            if (!Number.isFinite(y)) continue;
            const s = simulatedCode(y, j);
            if (side && s === side.code) beyond++;
            values[c++] = correct(ranked(s, y), j);
          }
          if (c === 0) continue;
          if (side) {
            simulated[0]!.push(beyond / c);
            continue;
          }
          const sorted = values.slice(0, c).filter((y) => !Number.isNaN(y)).sort();
          percentiles.forEach((p, q) => simulated[q]!.push(censoredQuantile(sorted, p)));
        }
        summaries.forEach((p, q) => {
          const s = Float64Array.from(simulated[q]!).sort();
          const o = side ? m.filter((j) => code(j) === side.code).length / m.length : censoredQuantile(observed, p);
          const lo = censoredQuantile(s, (1 - level) / 2);
          const hi = censoredQuantile(s, (1 + level) / 2);
          rows.push({ ...at, percentile: p, observed: shown(o), simLower: shown(lo), simMedian: shown(censoredQuantile(s, 0.5)), simUpper: shown(hi), inside: o >= lo && o <= hi });
        });
      });
    }
  });
  return rows;
}
