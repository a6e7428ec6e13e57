/**
 * The population estimates table: every parameter on its natural scale and on the scale it was estimated on,
 * with whether it was fixed. Standard errors join this table when the uncertainty step exists (issue: observed
 * information).
 */
import type { ModelIR } from '../../compiler/ir/model-ir.js';
import { erf } from '../../stdlib/special-functions.js';
import { formatNumber } from '../simulate/write-csv.js';
import { unpack, type PopulationLayout } from '../infer/population.js';

export interface EstimateRow {
  readonly name: string;
  readonly kind: 'parameter' | 'omega' | 'error';
  /** Natural scale. */
  readonly estimate: number;
  /** What the estimate is on the estimation scale, and which scale that is. */
  readonly transformed: number;
  readonly scale: string;
  readonly fixed: boolean;
  readonly initial: number;
}

function natural(ir: ModelIR, k: number, phi: number): number {
  const t = ir.parameters[k]!.transform;
  switch (t.kind) {
    case 'normal':
      return phi;
    case 'lognormal':
      return Math.exp(phi);
    case 'logitnormal':
      return t.lower + (t.upper - t.lower) / (1 + Math.exp(-phi));
    case 'probitnormal':
      return t.lower + (t.upper - t.lower) * 0.5 * (1 + erf(phi / Math.SQRT2));
  }
}

export function estimateRows(ir: ModelIR, layout: PopulationLayout, population: Float64Array): EstimateRow[] {
  const { phi, omega, error } = unpack(layout, population);
  const rows: EstimateRow[] = [];
  ir.parameters.forEach((p, k) => {
    if (p.neural) return;
    rows.push({ name: p.name, kind: 'parameter', estimate: natural(ir, k, phi[k]!), transformed: phi[k]!, scale: p.transform.kind === 'normal' ? 'identity' : p.transform.kind === 'lognormal' ? 'log' : p.transform.kind === 'logitnormal' ? 'logit' : 'probit', fixed: p.fixed, initial: p.initial });
  });
  ir.randomEffects.forEach((r, k) => {
    rows.push({ name: `omega_${ir.parameters[r.parameter]!.name}`, kind: 'omega', estimate: omega[k]!, transformed: Math.log(omega[k]!), scale: 'log', fixed: r.omegaFixed, initial: r.omegaInitial });
  });
  ir.errorParameters.forEach((e, k) => {
    rows.push({ name: e.name, kind: 'error', estimate: error[k]!, transformed: Math.log(error[k]!), scale: 'log', fixed: e.fixed, initial: e.initial });
  });
  return rows;
}

export function estimatesCsv(rows: readonly EstimateRow[]): string {
  const lines = ['parameter,kind,estimate,estimation_scale,estimate_on_scale,fixed,initial'];
  for (const r of rows) lines.push([r.name, r.kind, formatNumber(r.estimate), r.scale, formatNumber(r.transformed), r.fixed ? 'yes' : 'no', formatNumber(r.initial)].join(','));
  return `${lines.join('\n')}\n`;
}
