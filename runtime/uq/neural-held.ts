/**
 * The network weights of `mlp(...)` terms in the maximum-likelihood finish and the standard errors: held at their
 * trained values (docs/language.md, "Neural terms"). The finish maximizes the marginal likelihood over the other
 * entries (φ, log ω, correlations, log e) with the weights as known constants, and the information is theirs.
 *
 * Why held, not profiled or included: (1) the weights are rarely identified — hidden units can be permuted, tanh
 * units flipped in sign, and a parameter that multiplies the network (θ·mlp(…)) trades against the output layer's
 * scale — so the joint information is singular and would give no standard errors for anything that touches the
 * network; (2) every weight changes the trajectories, so each adds two solves of every integration point to the
 * information (25 weights: 50 × 7 AGQ nodes × 100 subjects per Newton step). Consequence: the standard errors of
 * the other parameters are conditional on the trained network — they leave out the network's own estimation
 * error, so they are lower bounds where a parameter is confounded with the network.
 */
import type { PopulationLayout } from '../infer/population.js';
import { unpack } from '../infer/population.js';
import type { InformationResult } from './information.js';
import type { UqProblem } from './marginal.js';
import type { MarginalAt, MlFinishResult } from './ml-finish.js';

/** What the finish needs to know about the model's networks: the indices (into ir.parameters) of every weight. */
export interface NeuralWeights {
  readonly neuralParameters: readonly number[];
  /**
   * The problem of the model compiled again with these weights as constants (by name): its trajectories carry no
   * sensitivity columns for them, which is most of the cost of a network's information.
   */
  readonly recompileHolding?: (weights: ReadonlyMap<string, number>) => Promise<UqProblem>;
}

/** Which population-vector entries are network weights. */
export function weightEntries(layout: PopulationLayout, neuralParameters: readonly number[]): boolean[] {
  return layout.entries.map((e) => e.kind === 'phi' && neuralParameters.includes(e.index));
}

export interface HeldWeights {
  /** The problem over the entries that are not weights, the weights fixed at their values in v. */
  readonly problem: UqProblem;
  /** Releases the recompiled model's engine (a no-op when the problem shares the full one). */
  readonly dispose: () => void;
  /** Entry of the full vector of each entry of the reduced one. */
  readonly kept: readonly number[];
  readonly reduce: (v: Float64Array) => Float64Array;
  readonly expand: (reduced: Float64Array) => Float64Array;
  /** The finish's result on the full vector (the weights' rows of the information: see expandInformation). */
  readonly expandResult: (result: MlFinishResult) => MlFinishResult;
  /** An information over the reduced entries, embedded in the full vector's order. */
  readonly expandInformation: (info: InformationResult) => InformationResult;
}

/** The layout without the weight entries; the weights' φ (outside the vector now) at their values in v. */
function layoutHolding(layout: PopulationLayout, held: readonly boolean[], v: Float64Array): { layout: PopulationLayout; kept: number[] } {
  const kept = layout.entries.map((_, k) => k).filter((k) => !held[k]);
  const position = new Int32Array(layout.entries.length).fill(-1);
  kept.forEach((k, j) => (position[k] = j));
  const moved = (entry: number): number => (entry < 0 ? -1 : position[entry]!);
  return {
    kept,
    layout: {
      ...layout, entries: kept.map((k) => layout.entries[k]!), phi0: unpack(layout, v).phi,
      omegaEntry: Int32Array.from(layout.omegaEntry, moved), pairEntry: Int32Array.from(layout.pairEntry, moved),
      ...(layout.l2 ? { l2: Float64Array.from(kept, (k) => layout.l2![k]!) } : {}),
    },
  };
}

/**
 * The reduced information embedded in the full vector's order. A held weight is known exactly (infinite
 * information, zero variance); it stands in as a decoupled entry of the reduced block's largest curvature, so that
 * the inverse of the others is exactly the reduced inverse and the condition number is unchanged. The outputs
 * never show the weights' rows (fit-outputs.ts drops them).
 */
export function expandInformation(info: InformationResult, kept: readonly number[], d: number): InformationResult {
  const r = kept.length;
  const information = new Float64Array(d * d);
  const mcError = new Float64Array(d * d);
  let largest = 0;
  for (let a = 0; a < r; a++) largest = Math.max(largest, info.information[a * r + a]!);
  for (let k = 0; k < d; k++) information[k * d + k] = largest > 0 ? largest : 1;
  kept.forEach((i, a) => kept.forEach((j, b) => {
    information[i * d + j] = info.information[a * r + b]!;
    mcError[i * d + j] = info.mcError[a * r + b]!;
  }));
  return { ...info, information, mcError };
}

function expandAt(at: MarginalAt, kept: readonly number[], d: number): MarginalAt {
  const gradient = new Float64Array(d);
  kept.forEach((i, a) => (gradient[i] = at.evaluation.gradient[a]!));
  const { drawGradients: _unused, ...evaluation } = at.evaluation;
  return { ...at, evaluation: { ...evaluation, gradient }, information: expandInformation(at.information, kept, d) };
}

/** The held-weights problem at v, or undefined when the model has no network weights to hold. */
export async function holdWeights(problem: UqProblem & Partial<NeuralWeights>, v: Float64Array): Promise<HeldWeights | undefined> {
  const held = weightEntries(problem.layout, problem.neuralParameters ?? []);
  if (!held.some((x) => x)) return undefined;
  const d = v.length;
  const { layout, kept } = layoutHolding(problem.layout, held, v);
  const expand = (reduced: Float64Array): Float64Array => {
    const out = Float64Array.from(v);
    kept.forEach((k, j) => (out[k] = reduced[j]!));
    return out;
  };
  const reduced = await recompiled(problem, held, layout, v);
  return {
    problem: reduced ?? { ...problem, layout },
    dispose: () => reduced?.engine.dispose(),
    kept,
    reduce: (full) => Float64Array.from(kept, (k) => full[k]!),
    expand,
    expandResult: (result) => ({ ...result, v: expand(result.v), at: expandAt(result.at, kept, d) }),
    expandInformation: (info) => expandInformation(info, kept, d),
  };
}

/**
 * The model compiled with the weights at their values in v as constants, when the problem can be (it names its
 * source) and the recompiled layout is the reduced one entry by entry; undefined otherwise (the full model then
 * serves, its weight columns computed and unused).
 */
async function recompiled(problem: UqProblem & Partial<NeuralWeights>, held: readonly boolean[], reducedLayout: PopulationLayout, v: Float64Array): Promise<UqProblem | undefined> {
  if (!problem.recompileHolding) return undefined;
  const { phi } = unpack(problem.layout, v);
  // A weight's transform is 'normal': its value is its φ.
  const weights = new Map(problem.layout.entries.flatMap((e, k) => (held[k] ? [[e.name, phi[e.index]!] as const] : [])));
  const again = await problem.recompileHolding(weights);
  const same = again.layout.entries.length === reducedLayout.entries.length && again.layout.entries.every((e, k) => e.name === reducedLayout.entries[k]!.name);
  if (same) return again;
  again.engine.dispose();
  return undefined;
}
