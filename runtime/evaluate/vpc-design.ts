/**
 * The VPC's rows from the fitted dataset: per observation its x (time, or time after the last dose before or at
 * it), whether it is censored below a limit and the limit that applies to it, and its stratum.
 *
 * Every censoring code of the data counts, by the side of the limit its DV is (the data's CENS): below the limit DV
 * (code 1, CENS = 1; and code 3 from CENS = 1 with a LIMIT under DV: the value lies in (LIMIT, DV), below DV all the
 * same) or above it (code 2, CENS = −1; and code 3 from CENS = −1 with a LIMIT over DV). The VPC asks only which
 * side of the limit of quantification a value lies on, so an interval's other bound does not enter it.
 *
 * The limits of a row, per side: a row censored on that side carries its limit as its value; any other row gets its
 * subject's own limit on that output (the lowest lower limit, the highest upper one, if several), else the output's
 * most frequent limit on that side, else none (an output with no row censored on a side is never censored there in
 * the simulations either).
 *
 * Strata: a covariate's value at each subject's first covariate point (its baseline); up to MAX_LEVELS distinct
 * values are one stratum each, more are split at the median (≤ median, > median).
 */
import { DoseKind } from '../../stdlib/dose-events.js';
import { doseField, doseKindField, subjectCounts } from '../engine/engine-data.js';
import { ObservationCode } from '../../stdlib/observation-terms.js';
import type { FitContext } from '../infer/fit-context.js';
import type { ObservationPrediction } from '../infer/posterior.js';
import { quantileSorted } from './stats.js';

export type VpcBinning = 'time' | 'tad';

export const MAX_LEVELS = 6;

export interface VpcDesignRow {
  /** Index into the predictions. */
  readonly index: number;
  readonly subject: number;
  /** The observation's slot in the subject's engine data. */
  readonly slot: number;
  readonly output: number;
  readonly x: number;
  /** 1 censored below `lloq`, −1 above `uloq`, 0 observed. */
  readonly censored: -1 | 0 | 1;
  readonly lloq: number;
  readonly uloq: number;
  readonly stratum: number;
}

export interface VpcDesign {
  readonly rows: readonly VpcDesignRow[];
  readonly strata: readonly string[];
  readonly notes: readonly string[];
}

/** Per subject: the times of its doses (resets carry none), sorted. */
function doseTimes(ctx: FitContext, i: number): number[] {
  const { data } = ctx;
  const n = subjectCounts(data, i).doses;
  const times: number[] = [];
  for (let k = 0; k < n; k++) if (doseKindField(data, i, k, 'kind') !== DoseKind.reset) times.push(doseField(data, i, k, 'time'));
  return times.sort((a, b) => a - b);
}

/** Time after the last dose at or before t; t itself when no dose precedes it. */
export function timeAfterDose(doses: readonly number[], t: number): number {
  let last = NaN;
  for (const d of doses) if (d <= t) last = d;
  return Number.isNaN(last) ? t : t - last;
}

function strataOf(ctx: FitContext, covariate: string | undefined): { of: Int32Array; names: string[] } {
  const S = ctx.data.nSubjects;
  if (covariate === undefined) return { of: new Int32Array(S), names: [''] };
  const k = ctx.ir.covariates.findIndex((c) => c.name === covariate);
  if (k < 0) throw new RangeError(`--stratify ${covariate}: the model has no covariate ${covariate} (covariates: ${ctx.ir.covariates.map((c) => c.name).join(', ') || 'none'})`);
  const values = Array.from({ length: S }, (_, i) => ctx.covariates[i]![k]!);
  const levels = [...new Set(values)].sort((a, b) => a - b);
  if (levels.length <= MAX_LEVELS) return { of: Int32Array.from(values, (v) => levels.indexOf(v)), names: levels.map((v) => `${covariate} = ${v}`) };
  const median = quantileSorted(Float64Array.from(values).sort(), 0.5);
  return { of: Int32Array.from(values, (v) => (v <= median ? 0 : 1)), names: [`${covariate} ≤ ${Number(median.toPrecision(4))}`, `${covariate} > ${Number(median.toPrecision(4))}`] };
}

function mostFrequent(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = NaN;
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

/** The VPC's side of an observation's term code (1 below, −1 above, 0 observed): an interval's by where its limit lies. */
export function censoringSide(code: number, value: number, limit: number): -1 | 0 | 1 {
  if (code === ObservationCode.below) return 1;
  if (code === ObservationCode.above) return -1;
  if (code === ObservationCode.between) return limit < value ? 1 : -1;
  return 0;
}

/** Per side (1 below, −1 above): each subject's own limit per output and the outputs' most frequent limit. */
function sideLimits(predictions: readonly ObservationPrediction[], sides: Int8Array, side: 1 | -1, outputs: number) {
  const own = new Map<string, number>();
  const limits: number[][] = Array.from({ length: outputs }, () => []);
  const pick = side === 1 ? Math.min : Math.max;
  predictions.forEach((p, k) => {
    if (sides[k] !== side) return;
    const key = `${p.subject}:${p.output}`;
    own.set(key, pick(own.get(key) ?? (side === 1 ? Infinity : -Infinity), p.dv));
    limits[p.output]!.push(p.dv);
  });
  const common = limits.map(mostFrequent);
  return (p: ObservationPrediction, k: number): number => (sides[k] === side ? p.dv : own.get(`${p.subject}:${p.output}`) ?? common[p.output]!);
}

export function vpcDesign(ctx: FitContext, predictions: readonly ObservationPrediction[], binning: VpcBinning, stratify: string | undefined): VpcDesign {
  const M = ctx.data.maxObs;
  const strata = strataOf(ctx, stratify);
  // Slots: predictions list each subject's observations in the engine's order.
  const slots = new Int32Array(predictions.length);
  predictions.forEach((p, k) => (slots[k] = k > 0 && predictions[k - 1]!.subject === p.subject ? slots[k - 1]! + 1 : 0));
  const sides = Int8Array.from(predictions, (p, k) => {
    const at = p.subject * M + slots[k]!;
    return censoringSide(ctx.data.obsCensoring[at]!, p.dv, ctx.data.obsLimit[at]!);
  });
  const lloq = sideLimits(predictions, sides, 1, ctx.ir.outputs.length);
  const uloq = sideLimits(predictions, sides, -1, ctx.ir.outputs.length);
  const doses = binning === 'tad' ? Array.from({ length: ctx.data.nSubjects }, (_, i) => doseTimes(ctx, i)) : [];
  const rows: VpcDesignRow[] = predictions.map((p, k) => ({
    index: k, subject: p.subject, slot: slots[k]!, output: p.output, x: binning === 'tad' ? timeAfterDose(doses[p.subject]!, p.time) : p.time,
    censored: sides[k]! as -1 | 0 | 1, lloq: lloq(p, k), uloq: uloq(p, k), stratum: strata.of[p.subject]!,
  }));
  return { rows, strata: strata.names, notes: [] };
}
