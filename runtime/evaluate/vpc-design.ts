/**
 * The VPC's rows from the fitted dataset: per observation its x (time, or time after the last dose before or at
 * it), whether it is censored below a limit and the limit that applies to it, and its stratum.
 *
 * The limit of a row: a row censored below its limit carries that limit as its value; an observed row gets its
 * subject's own limit on that output (the lowest, if several), else the output's most frequent limit, else none
 * (an output with no censored row is never censored in the simulations either). Rows censored above a limit or in
 * an interval (codes 2 and 3) are left out of the VPC and said so.
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
  readonly censored: 0 | 1;
  readonly lloq: number;
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

export function vpcDesign(ctx: FitContext, predictions: readonly ObservationPrediction[], binning: VpcBinning, stratify: string | undefined): VpcDesign {
  const M = ctx.data.maxObs;
  const strata = strataOf(ctx, stratify);
  const code = (p: ObservationPrediction, slot: number) => ctx.data.obsCensoring[p.subject * M + slot]!;
  // Slots: predictions list each subject's observations in the engine's order.
  const slots = new Int32Array(predictions.length);
  predictions.forEach((p, k) => (slots[k] = k > 0 && predictions[k - 1]!.subject === p.subject ? slots[k - 1]! + 1 : 0));
  const own = new Map<string, number>();
  const limits: number[][] = ctx.ir.outputs.map(() => []);
  predictions.forEach((p, k) => {
    if (code(p, slots[k]!) !== ObservationCode.below) return;
    const key = `${p.subject}:${p.output}`;
    own.set(key, Math.min(own.get(key) ?? Infinity, p.dv));
    limits[p.output]!.push(p.dv);
  });
  const common = limits.map(mostFrequent);
  const doses = binning === 'tad' ? Array.from({ length: ctx.data.nSubjects }, (_, i) => doseTimes(ctx, i)) : [];
  const rows: VpcDesignRow[] = [];
  let excluded = 0;
  predictions.forEach((p, k) => {
    const c = code(p, slots[k]!);
    if (c !== ObservationCode.observed && c !== ObservationCode.below) {
      excluded++;
      return;
    }
    rows.push({
      index: k, subject: p.subject, slot: slots[k]!, output: p.output, x: binning === 'tad' ? timeAfterDose(doses[p.subject]!, p.time) : p.time,
      censored: c === ObservationCode.below ? 1 : 0, lloq: c === ObservationCode.below ? p.dv : own.get(`${p.subject}:${p.output}`) ?? common[p.output]!, stratum: strata.of[p.subject]!,
    });
  });
  const notes = excluded > 0 ? [`${excluded} observation${excluded === 1 ? ' is' : 's are'} censored above a limit or in an interval: left out of the VPC`] : [];
  return { rows, strata: strata.names, notes };
}
