/**
 * Global-norm gradient clipping (Optax `clip_by_global_norm`, used with max norm 1 for the stiff TGF-β model,
 * seed 001 supplementary 5.3): when ‖g‖₂ over all parameters exceeds `maxNorm`, every gradient is scaled by
 * maxNorm/‖g‖₂, which keeps the update's direction.
 */
import type { Tensor } from '../tensor.js';

/** √(Σ over all parameters and entries of g²); null grads count as 0. Also the seed's gradient-norm criterion. */
export function globalGradNorm(params: readonly Tensor[]): number {
  let s = 0;
  for (const p of params) {
    const g = p.grad;
    if (g === null) continue;
    for (let i = 0; i < g.length; i++) s += g[i]! * g[i]!;
  }
  return Math.sqrt(s);
}

/**
 * Scales all gradients in place so their global norm is at most `maxNorm`; returns the norm before clipping.
 * A non-finite norm leaves the gradients alone: the caller should skip that step.
 */
export function clipGradNorm(params: readonly Tensor[], maxNorm: number): number {
  const norm = globalGradNorm(params);
  if (Number.isFinite(norm) && norm > maxNorm) {
    const c = maxNorm / norm;
    for (const p of params) {
      const g = p.grad;
      if (g === null) continue;
      for (let i = 0; i < g.length; i++) g[i]! *= c;
    }
  }
  return norm;
}
