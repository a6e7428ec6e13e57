/**
 * Convergence assessment (seed 001, section 2.3; figures 1, 3 and 5): refit from random initial values and look
 * at whether every parameter lands in one tight cluster (practically identifiable, no competing optimum) or in
 * several separated ones.
 *
 * Starting values are spread around the model's initial values: each φ by ±50 % on the natural scale (uniform;
 * for `normal` parameters ±50 % of |ψ₀|, or ±0.5 when ψ₀ = 0; bounded parameters stay inside 1 %–99 % of their
 * range), each ω and residual-error parameter by a factor between ½ and 2 (log-uniform). Network weights start as
 * the model declares them.
 *
 * Clusters, per parameter, on its estimation scale: sort the estimates of all runs and cut where two neighbours
 * differ by more than δ — two 95 % intervals apart (δ = 2 · 1.96 · SE) when the main fit has a standard error for
 * it, else δ = 0.1 (10 % on a log scale).
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { toEstimationScale } from '../../compiler/lower/lower.js';
import type { StopReason } from '../infer/train.js';
import type { PopulationEntry, PopulationLayout } from '../infer/population.js';
import { toNaturalScale } from '../../compiler/lower/lower.js';
import { Z975 } from '../../stdlib/normal-quantiles.js';
import type { Random } from '../nn/random.js';
import { formatNumber } from '../data/format-number.js';

export const START_RANGE = '±50 % on the natural scale for φ, ×/÷ 2 for ω and residual-error parameters';

/** A random initial population vector around the layout's initial values. */
export function randomStart(ir: ModelIR, layout: PopulationLayout, random: Random): Float64Array {
  return Float64Array.from(layout.entries, (e) => {
    if (e.kind === 'logOmega') return Math.log(layout.omega0[e.index]!) + Math.log(2) * (2 * random.uniform() - 1);
    if (e.kind === 'logError') return Math.log(layout.error0[e.index]!) + Math.log(2) * (2 * random.uniform() - 1);
    if (e.kind === 'corr') return Math.atanh(layout.cpc0[e.index]!) + 0.5 * (2 * random.uniform() - 1);
    const p = ir.parameters[e.index]!;
    const phi0 = layout.phi0[e.index]!;
    if (p.neural) return phi0;
    const psi0 = toNaturalScale(ir.parameters[e.index]!.transform, phi0);
    const t = p.transform;
    const u = 2 * random.uniform() - 1;
    if (t.kind === 'normal') return psi0 + 0.5 * (psi0 === 0 ? 1 : Math.abs(psi0)) * u;
    if (t.kind === 'lognormal') return Math.log(psi0 * (1 + 0.5 * u));
    const lo = t.lower + 0.01 * (t.upper - t.lower);
    const hi = t.upper - 0.01 * (t.upper - t.lower);
    return toEstimationScale(t, Math.min(hi, Math.max(lo, psi0 * (1 + 0.5 * u))));
  });
}

export interface StartRun {
  /** 0: the main fit from the model's initial values; 1…N: random starts. */
  readonly start: number;
  readonly seed: number;
  readonly initial: Float64Array;
  readonly population: Float64Array;
  /** Mean training ELBO per subject over the last 10 epochs. */
  readonly elbo: number;
  readonly epochs: number;
  readonly stop: StopReason;
  readonly seconds: number;
}

/** One entry of the population vector on its natural scale: ψ, ω, the (partial) correlation tanh z, e. */
export function entryNatural(ir: ModelIR, e: PopulationEntry, x: number): number {
  return e.kind === 'phi' ? toNaturalScale(ir.parameters[e.index]!.transform, x) : e.kind === 'corr' ? Math.tanh(x) : Math.exp(x);
}

/** A population vector's entries on the natural scale (ψ, ω, c, e). */
export function naturalValues(ir: ModelIR, layout: PopulationLayout, v: Float64Array): number[] {
  return layout.entries.map((e, k) => entryNatural(ir, e, v[k]!));
}

export interface ParameterClusters {
  readonly name: string;
  /** Clusters ordered by their center; centers on the natural scale. */
  readonly clusters: readonly { readonly center: number; readonly size: number; readonly starts: readonly number[] }[];
  readonly separated: boolean;
  /** The cut distance used, on the estimation scale. */
  readonly delta: number;
}

export function clusterStarts(ir: ModelIR, layout: PopulationLayout, runs: readonly StartRun[], seOnScale?: ArrayLike<number>): ParameterClusters[] {
  return layout.entries.map((e, k) => {
    const se = seOnScale?.[k];
    const delta = se !== undefined && Number.isFinite(se) && se > 0 ? 2 * Z975 * se : 0.1;
    const values = runs.map((r) => ({ x: r.population[k]!, start: r.start })).filter((v) => Number.isFinite(v.x)).sort((a, b) => a.x - b.x);
    const groups: { x: number; start: number }[][] = [];
    for (const v of values) {
      const last = groups[groups.length - 1];
      if (last && v.x - last[last.length - 1]!.x <= delta) last.push(v);
      else groups.push([v]);
    }
    const toNatural = (x: number): number => entryNatural(ir, e, x);
    const clusters = groups.map((g) => ({ center: toNatural(g.reduce((s, v) => s + v.x, 0) / g.length), size: g.length, starts: g.map((v) => v.start).sort((a, b) => a - b) }));
    return { name: e.name, clusters, separated: clusters.length > 1, delta };
  });
}

/** starts.csv: one row per run — its seed, ELBO, stop, then each parameter's initial value and estimate (natural scale). */
export function startsCsv(ir: ModelIR, layout: PopulationLayout, runs: readonly StartRun[]): string {
  const names = layout.entries.map((e) => e.name);
  const lines = [['start', 'seed', 'elbo', 'epochs', 'stop', 'seconds', ...names.map((n) => `init_${n}`), ...names].join(',')];
  for (const r of runs) {
    lines.push([r.start, r.seed, formatNumber(r.elbo), r.epochs, r.stop, formatNumber(Number(r.seconds.toFixed(3))), ...naturalValues(ir, layout, r.initial).map(formatNumber), ...naturalValues(ir, layout, r.population).map(formatNumber)].join(','));
  }
  return `${lines.join('\n')}\n`;
}
