/**
 * The population estimates table: every parameter on its natural scale and on the scale it was estimated on,
 * with whether it was fixed, and — when the uncertainty step ran (runtime/uq) — its standard error, relative
 * standard error and 95 % confidence interval. The SE on the estimation scale comes from the observed information;
 * on the natural scale it is the delta method's (|dψ/dφ| · SE), and the interval is the estimation-scale interval
 * φ̂ ± 1.96 SE transformed back (so it stays inside the parameter's range). Missing values are null, never NaN.
 *
 * A correlation of random effects is reported as ρ (an entry of the correlation matrix) on Fisher's z scale,
 * z = atanh ρ: SE(ρ) by the delta method through the partial correlations it is built from (for a pair block ρ is
 * its one partial correlation, so SE(z) is the information's own), the interval tanh(z ± 1.96 SE(z)).
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { erf } from '../../stdlib/special-functions.js';
import { Z975 } from '../../stdlib/normal-quantiles.js';
import { toNaturalScale } from '../../compiler/lower/lower.js';
import { formatNumber } from '../data/format-number.js';
import { correlationName } from '../../compiler/ir/model-ir.js';
import { correlationMatrix } from '../../stdlib/effects-prior.js';
import { unpack, type PopulationLayout } from '../infer/population.js';
import type { ReplicateRow } from '../uq/study.js';

/** A row of estimates.csv/json: what a study reads back (ReplicateRow), plus the initial value and the RSE. */
export interface EstimateRow extends ReplicateRow {
  readonly initial: number;
  /** Relative standard error, percent of |estimate|. */
  readonly rse: number | null;
}

/** ψ = h(φ) of parameter k. */
export function natural(ir: ModelIR, k: number, phi: number): number {
  return toNaturalScale(ir.parameters[k]!.transform, phi);
}

/** dψ/dφ of parameter k at φ. */
function naturalSlope(ir: ModelIR, k: number, phi: number): number {
  const t = ir.parameters[k]!.transform;
  switch (t.kind) {
    case 'normal':
      return 1;
    case 'lognormal':
      return Math.exp(phi);
    case 'logitnormal': {
      const s = 1 / (1 + Math.exp(-phi));
      return (t.upper - t.lower) * s * (1 - s);
    }
    case 'probitnormal':
      return ((t.upper - t.lower) * Math.exp(-0.5 * phi * phi)) / Math.sqrt(2 * Math.PI);
  }
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** The uncertainty columns from the SE on the estimation scale, the estimate there, ψ = h(·) and dψ/dφ. */
function withUncertainty(transformed: number, estimate: number, seOnScale: number | undefined, h: (x: number) => number, slope: number) {
  if (seOnScale === undefined || !Number.isFinite(seOnScale)) return { se: null, rse: null, ciLower: null, ciUpper: null, seTransformed: null };
  const se = Math.abs(slope) * seOnScale;
  return {
    se: finiteOrNull(se), rse: estimate !== 0 ? finiteOrNull((100 * se) / Math.abs(estimate)) : null,
    ciLower: finiteOrNull(h(transformed - Z975 * seOnScale)), ciUpper: finiteOrNull(h(transformed + Z975 * seOnScale)), seTransformed: seOnScale,
  };
}

/**
 * `seOnScale`: the standard error of each entry of the population vector (layout.entries order), on its
 * estimation scale; absent when no uncertainty was computed.
 */
export function estimateRows(ir: ModelIR, layout: PopulationLayout, population: Float64Array, seOnScale?: ArrayLike<number>, covariance?: ArrayLike<number>): EstimateRow[] {
  const { phi, omega, cpc, error } = unpack(layout, population);
  const seOf = (kind: 'phi' | 'logOmega' | 'logError', index: number): number | undefined => {
    const at = layout.entries.findIndex((e) => e.kind === kind && e.index === index);
    return at >= 0 && seOnScale ? seOnScale[at] : undefined;
  };
  const rows: EstimateRow[] = [];
  ir.parameters.forEach((p, k) => {
    if (p.neural || p.occasion) return;
    const estimate = natural(ir, k, phi[k]!);
    rows.push({
      name: p.name, kind: 'parameter', estimate, transformed: phi[k]!, scale: p.transform.kind === 'normal' ? 'identity' : p.transform.kind === 'lognormal' ? 'log' : p.transform.kind === 'logitnormal' ? 'logit' : 'probit', fixed: p.fixed, initial: p.initial,
      ...withUncertainty(phi[k]!, estimate, seOf('phi', k), (x) => natural(ir, k, x), naturalSlope(ir, k, phi[k]!)),
    });
  });
  ir.randomEffects.forEach((r, k) => {
    if (r.sharesOmegaWith !== undefined) return;
    rows.push({
      name: r.omegaName, kind: 'omega', estimate: omega[k]!, transformed: Math.log(omega[k]!), scale: 'log', fixed: r.omegaFixed, initial: r.omegaInitial,
      ...withUncertainty(Math.log(omega[k]!), omega[k]!, seOf('logOmega', k), Math.exp, omega[k]!),
    });
  });
  rows.push(...correlationRows(ir, layout, cpc, seOnScale, covariance));
  ir.errorParameters.forEach((e, k) => {
    rows.push({
      name: e.name, kind: 'error', estimate: error[k]!, transformed: Math.log(error[k]!), scale: 'log', fixed: e.fixed, initial: e.initial,
      ...withUncertainty(Math.log(error[k]!), error[k]!, seOf('logError', k), Math.exp, error[k]!),
    });
  });
  return rows;
}

/**
 * ρ of each correlated pair with its uncertainty: ∂ρ/∂z by central differences of the CPC map (the map is a few
 * multiplications; h = 10⁻⁶ gives ~10⁻¹⁰), Var ρ = Jᵀ C J over the estimated z entries. Without the covariance
 * only a ρ that is a single z's tanh (a pair block, or a block's first pair) gets an SE.
 */
function correlationRows(ir: ModelIR, layout: PopulationLayout, cpc: Float64Array, seOnScale?: ArrayLike<number>, covariance?: ArrayLike<number>): EstimateRow[] {
  const neta = ir.randomEffects.length;
  const pairs = layout.correlations;
  const R = correlationMatrix(neta, pairs, cpc);
  const d = layout.entries.length;
  const h = 1e-6;
  return pairs.map((c, k) => {
    const rho = R[c.first * neta + c.second]!;
    const z = Math.atanh(rho);
    const base = { name: correlationName(ir, c), kind: 'correlation' as const, estimate: rho, transformed: z, scale: 'fisher-z', fixed: c.fixed, initial: ir.correlations[k]!.initial };
    const none = { se: null, rse: null, ciLower: null, ciUpper: null, seTransformed: null };
    if (!seOnScale) return { ...base, ...none };
    // ∂ρ/∂z_m for every estimated pair m (zero outside the block).
    const slopes: { entry: number; slope: number }[] = [];
    pairs.forEach((_, m) => {
      const entry = layout.pairEntry[m]!;
      if (entry < 0) return;
      const at = (x: number): number => {
        const moved = Float64Array.from(cpc);
        moved[m] = Math.tanh(Math.atanh(cpc[m]!) + x);
        return correlationMatrix(neta, pairs, moved)[c.first * neta + c.second]!;
      };
      const slope = (at(h) - at(-h)) / (2 * h);
      if (slope !== 0) slopes.push({ entry, slope });
    });
    let variance: number;
    if (slopes.length === 0) return { ...base, ...none };
    if (covariance) {
      variance = 0;
      for (const a of slopes) for (const b of slopes) variance += a.slope * b.slope * covariance[a.entry * d + b.entry]!;
    } else if (slopes.length === 1) variance = (slopes[0]!.slope * seOnScale[slopes[0]!.entry]!) ** 2;
    else return { ...base, ...none };
    const se = Math.sqrt(variance);
    if (!Number.isFinite(se)) return { ...base, ...none };
    const seZ = se / (1 - rho * rho);
    return {
      ...base, se, rse: rho !== 0 ? finiteOrNull((100 * se) / Math.abs(rho)) : null,
      ciLower: finiteOrNull(Math.tanh(z - Z975 * seZ)), ciUpper: finiteOrNull(Math.tanh(z + Z975 * seZ)), seTransformed: finiteOrNull(seZ),
    };
  });
}

/**
 * weights.csv: the network weights of the model's mlp terms at the reported estimate, apart from the estimates
 * table — nuisance parameters without standard errors (the maximum-likelihood finish holds them at their trained
 * values: runtime/uq/neural-held.ts); `initial` is the deterministic start (compiler/lower/neural.ts).
 */
export function weightsCsv(ir: ModelIR, layout: PopulationLayout, population: Float64Array): string | undefined {
  const { phi } = unpack(layout, population);
  const lines = ir.parameters.flatMap((p, k) => (p.neural ? [`${p.name},${cell(phi[k]!)},${cell(p.initial)}`] : []));
  return lines.length > 0 ? `parameter,estimate,initial\n${lines.join('\n')}\n` : undefined;
}

const cell = (v: number | null): string => (v === null || !Number.isFinite(v) ? '' : formatNumber(v));

/** Whether the fit behind the estimates ran to its end, and why it stopped (fit.json's `complete` and `stop`). */
export interface FitStatus {
  readonly complete: boolean;
  readonly stop: string;
}

/**
 * The uncertainty columns are empty where there is no value (fixed parameters, --no-uncertainty, a singular
 * information). With `status`, two last columns on every row: `complete` (yes/no: no after Ctrl-C or a diverged
 * fit) and `stop` (the stop reason), so that the table alone tells a finished fit from a stopped one.
 */
export function estimatesCsv(rows: readonly EstimateRow[], status?: FitStatus): string {
  const tail = status ? ['complete', 'stop'] : [];
  const lines = [['parameter,kind,estimate,estimation_scale,estimate_on_scale,fixed,initial,se,rse,ci_lower,ci_upper,se_on_scale', ...tail].join(',')];
  const marks = status ? [status.complete ? 'yes' : 'no', status.stop] : [];
  for (const r of rows) {
    lines.push([r.name, r.kind, cell(r.estimate), r.scale, cell(r.transformed), r.fixed ? 'yes' : 'no', cell(r.initial), cell(r.se), cell(r.rse), cell(r.ciLower), cell(r.ciUpper), cell(r.seTransformed), ...marks].join(','));
  }
  return `${lines.join('\n')}\n`;
}
