/**
 * The population parameters the fit learns, as one vector on unconstrained scales: each estimated parameter's φ
 * (its estimation scale: log for lognormal, logit for logitnormal, …), log ω of each estimated random-effect sd,
 * z = atanh(c) of each estimated partial correlation of correlated effects (effects-prior.ts; for a pair block
 * c is the correlation and z Fisher's z), and log of each estimated residual-error parameter. Fixed values stay
 * outside the vector.
 */
import { correlationName, type IrCorrelation, type ModelIR } from '../../compiler/ir/model-ir.js';
import { toEstimationScale } from '../../compiler/lower/lower.js';
import { effectsPrior, initialPartialCorrelations, priorDerivatives, type EffectsPrior, type PriorDerivatives } from '../../stdlib/effects-prior.js';

export type PopulationEntry =
  | { readonly kind: 'phi'; readonly index: number; readonly name: string }
  | { readonly kind: 'logOmega'; readonly index: number; readonly name: string }
  | { readonly kind: 'corr'; readonly index: number; readonly name: string }
  | { readonly kind: 'logError'; readonly index: number; readonly name: string };

export interface PopulationLayout {
  readonly entries: readonly PopulationEntry[];
  /** Full φ (all parameters, fixed ones at their values), ω and e at the model's initial values. */
  readonly phi0: Float64Array;
  readonly omega0: Float64Array;
  readonly error0: Float64Array;
  /** The correlated pairs of random effects (the model's), and their initial partial correlations. */
  readonly correlations: readonly IrCorrelation[];
  readonly cpc0: Float64Array;
  /** Entry index of each ω (by effect) and of each pair's z (by pair); −1 when fixed. */
  readonly omegaEntry: Int32Array;
  readonly pairEntry: Int32Array;
  /** The effect whose ω each effect takes (itself, or the first κ of its parameter). */
  readonly omegaSource: Int32Array;
  /** Per entry: the L2 penalty λ of a network weight (runtime/infer/neural-penalty.ts); absent when none has one. */
  readonly l2?: Float64Array;
}


export function populationLayout(ir: ModelIR): PopulationLayout {
  const entries: PopulationEntry[] = [];
  ir.parameters.forEach((p, k) => {
    if (!p.fixed && !p.occasion) entries.push({ kind: 'phi', index: k, name: p.name });
  });
  ir.randomEffects.forEach((r, k) => {
    if (!r.omegaFixed && r.sharesOmegaWith === undefined) entries.push({ kind: 'logOmega', index: k, name: r.omegaName });
  });
  const correlations = ir.correlations ?? [];
  correlations.forEach((c, k) => {
    if (!c.fixed) entries.push({ kind: 'corr', index: k, name: correlationName(ir, c) });
  });
  ir.errorParameters.forEach((e, k) => {
    if (!e.fixed) entries.push({ kind: 'logError', index: k, name: e.name });
  });
  const omegaEntry = new Int32Array(ir.randomEffects.length).fill(-1);
  const pairEntry = new Int32Array(correlations.length).fill(-1);
  entries.forEach((e, n) => {
    if (e.kind === 'logOmega') omegaEntry[e.index] = n;
    else if (e.kind === 'corr') pairEntry[e.index] = n;
  });
  // κ of one parameter at every occasion: one ω, one entry (priorDerivatives adds their gradients into it).
  const omegaSource = Int32Array.from(ir.randomEffects, (r, k) => r.sharesOmegaWith ?? k);
  omegaSource.forEach((source, k) => (omegaEntry[k] = omegaEntry[source]!));
  return {
    entries,
    phi0: Float64Array.from(ir.parameters.map((p) => toEstimationScale(p.transform, p.initial))),
    omega0: Float64Array.from(ir.randomEffects.map((r) => r.omegaInitial)),
    error0: Float64Array.from(ir.errorParameters.map((e) => e.initial)),
    correlations,
    cpc0: initialPartialCorrelations(ir.randomEffects.length, correlations),
    omegaEntry,
    pairEntry,
    omegaSource,
    ...(ir.parameters.some((p) => p.l2) ? { l2: Float64Array.from(entries, (e) => (e.kind === 'phi' ? ir.parameters[e.index]!.l2 ?? 0 : 0)) } : {}),
  };
}

/** The unconstrained vector at the model's initial values. */
export function initialVector(layout: PopulationLayout): Float64Array {
  return Float64Array.from(layout.entries.map((e) => initialValue(layout, e)));
}

/** One entry's value at the model's initial values, on its unconstrained scale. */
export function initialValue(layout: PopulationLayout, e: PopulationEntry): number {
  switch (e.kind) {
    case 'phi':
      return layout.phi0[e.index]!;
    case 'logOmega':
      return Math.log(layout.omega0[e.index]!);
    case 'corr':
      return Math.atanh(layout.cpc0[e.index]!);
    case 'logError':
      return Math.log(layout.error0[e.index]!);
  }
}

/** φ, ω, the partial correlations c and e (natural scale for ω, c and e) from the vector. */
export function unpack(layout: PopulationLayout, v: Float64Array): { phi: Float64Array; omega: Float64Array; cpc: Float64Array; error: Float64Array } {
  const phi = Float64Array.from(layout.phi0);
  const omega = Float64Array.from(layout.omega0);
  const cpc = Float64Array.from(layout.cpc0);
  const error = Float64Array.from(layout.error0);
  layout.entries.forEach((e, i) => {
    if (e.kind === 'phi') phi[e.index] = v[i]!;
    else if (e.kind === 'logOmega') omega[e.index] = Math.exp(v[i]!);
    else if (e.kind === 'corr') cpc[e.index] = Math.tanh(v[i]!);
    else error[e.index] = Math.exp(v[i]!);
  });
  layout.omegaSource.forEach((source, k) => (omega[k] = omega[source]!));
  return { phi, omega, cpc, error };
}

/** The random effects' prior N(0, Ω) at the vector v, with ∂L/∂v of its entries when `derivatives`. */
export function priorAt(layout: PopulationLayout, v: Float64Array): EffectsPrior {
  const { omega, cpc } = unpack(layout, v);
  return effectsPrior(omega, layout.correlations, cpc);
}

/** The prior at v and its derivatives in the population entries (the ELBO's and the information's gradients need them). */
export function priorWithDerivativesAt(layout: PopulationLayout, v: Float64Array): { prior: EffectsPrior; derivatives: PriorDerivatives } {
  const { omega, cpc } = unpack(layout, v);
  const prior = effectsPrior(omega, layout.correlations, cpc);
  return { prior, derivatives: priorDerivatives(prior, omega, layout.correlations, cpc, layout.omegaEntry, layout.pairEntry) };
}
