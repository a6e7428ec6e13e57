/**
 * The population parameters the fit learns, as one vector on unconstrained scales: each estimated parameter's φ
 * (its estimation scale: log for lognormal, logit for logitnormal, …), log ω of each estimated random-effect sd,
 * and log of each estimated residual-error parameter. Fixed values stay outside the vector.
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { toEstimationScale } from '../../compiler/lower/lower.js';

export type PopulationEntry =
  | { readonly kind: 'phi'; readonly index: number; readonly name: string }
  | { readonly kind: 'logOmega'; readonly index: number; readonly name: string }
  | { readonly kind: 'logError'; readonly index: number; readonly name: string };

export interface PopulationLayout {
  readonly entries: readonly PopulationEntry[];
  /** Full φ (all parameters, fixed ones at their values), ω and e at the model's initial values. */
  readonly phi0: Float64Array;
  readonly omega0: Float64Array;
  readonly error0: Float64Array;
}

export function populationLayout(ir: ModelIR): PopulationLayout {
  const entries: PopulationEntry[] = [];
  ir.parameters.forEach((p, k) => {
    if (!p.fixed) entries.push({ kind: 'phi', index: k, name: p.name });
  });
  ir.randomEffects.forEach((r, k) => {
    if (!r.omegaFixed) entries.push({ kind: 'logOmega', index: k, name: `omega_${ir.parameters[r.parameter]!.name}` });
  });
  ir.errorParameters.forEach((e, k) => {
    if (!e.fixed) entries.push({ kind: 'logError', index: k, name: e.name });
  });
  return {
    entries,
    phi0: Float64Array.from(ir.parameters.map((p) => toEstimationScale(p.transform, p.initial))),
    omega0: Float64Array.from(ir.randomEffects.map((r) => r.omegaInitial)),
    error0: Float64Array.from(ir.errorParameters.map((e) => e.initial)),
  };
}

/** The unconstrained vector at the model's initial values. */
export function initialVector(layout: PopulationLayout): Float64Array {
  return Float64Array.from(layout.entries.map((e) => (e.kind === 'phi' ? layout.phi0[e.index]! : e.kind === 'logOmega' ? Math.log(layout.omega0[e.index]!) : Math.log(layout.error0[e.index]!))));
}

/** φ, ω and e (natural scale for ω and e) from the vector. */
export function unpack(layout: PopulationLayout, v: Float64Array): { phi: Float64Array; omega: Float64Array; error: Float64Array } {
  const phi = Float64Array.from(layout.phi0);
  const omega = Float64Array.from(layout.omega0);
  const error = Float64Array.from(layout.error0);
  layout.entries.forEach((e, i) => {
    if (e.kind === 'phi') phi[e.index] = v[i]!;
    else if (e.kind === 'logOmega') omega[e.index] = Math.exp(v[i]!);
    else error[e.index] = Math.exp(v[i]!);
  });
  return { phi, omega, error };
}
