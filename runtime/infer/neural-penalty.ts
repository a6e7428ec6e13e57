/**
 * The L2 penalty of `mlp(..., l2 = λ)` (docs/language.md, "Neural terms"): weight decay on the network's weights,
 * λ/2 · Σ w² per subject, so the objective over N subjects is Σ_i ELBO_i − N · λ/2 · Σ w² — the penalty keeps its
 * weight relative to the data as N grows, as weight decay on a mean loss does. A batch of B subjects carries B
 * shares, so an epoch's batches add up to the whole penalty. λ is per entry (layout.l2; 0 for the others).
 */
import type { PopulationLayout } from './population.js';

/** λ/2 · Σ w² over the entries with a penalty: one subject's share. */
export function penaltyPerSubject(layout: PopulationLayout, population: ArrayLike<number>): number {
  const l2 = layout.l2;
  if (!l2) return 0;
  let total = 0;
  for (let k = 0; k < l2.length; k++) total += 0.5 * l2[k]! * population[k]! ** 2;
  return total;
}

/** The batch's objective and population gradient with its `subjects` shares of the penalty subtracted. */
export function penalized<T extends { readonly elbo: number; readonly dPopulation: Float64Array }>(result: T, layout: PopulationLayout, population: ArrayLike<number>, subjects: number): T {
  const l2 = layout.l2;
  if (!l2) return result;
  const dPopulation = Float64Array.from(result.dPopulation, (g, k) => g - subjects * l2[k]! * population[k]!);
  return { ...result, elbo: result.elbo - subjects * penaltyPerSubject(layout, population), dPopulation };
}
