/**
 * The reported estimate: the maximum-likelihood finish from the variational optimum, guarded against a
 * collapsed random effect.
 *
 * Collapse: mean-field VI can kill a random effect — its ω shrinks towards zero while every subject's q for it
 * becomes the prior (the KL term of that effect vanishes), because a posterior it cannot represent (a strong
 * correlation with another effect) costs more ELBO than the effect is worth. The finish alone can be slow to
 * leave such a point (the likelihood is flat in log ω near ω = 0) or stay in a local maximum there. So when an
 * effect has collapsed, a second finish starts with its ω back at the model's initial value, and the one with the
 * higher marginal likelihood is reported; the output says what was seen and which won.
 */
import type { PopulationLayout } from '../infer/population.js';
import { unpack } from '../infer/population.js';
import type { UqProblem } from './marginal.js';
import { agqEvaluate } from './agq.js';
import { laplacePoints } from './laplace.js';
import { maximizeMarginal, type MlFinishOptions, type MlFinishResult } from './ml-finish.js';
import { holdWeights, type NeuralWeights } from './neural-held.js';

/** A random effect counts as collapsed when ω fell below this share of its initial value … */
export const COLLAPSE_RATIO = 0.2;
/** … and the subjects' mean KL(q_i ‖ prior) for it is below this many nats. */
export const COLLAPSE_KL = 0.05;

export interface CollapsedEffect {
  readonly name: string;
  /** Index into the population vector (a logOmega entry). */
  readonly entry: number;
  readonly omega: number;
  readonly initial: number;
  /** Mean over subjects of the effect's KL(N(μ_i, σ_i²) ‖ N(0, ω²)). */
  readonly kl: number;
}

/** The subjects' q of one effect: per subject μ and the marginal sd. */
export interface EffectPosteriors {
  readonly mu: ArrayLike<number>;
  readonly sd: ArrayLike<number>;
}

export function collapsedEffects(layout: PopulationLayout, v: Float64Array, q: readonly EffectPosteriors[]): CollapsedEffect[] {
  const { omega } = unpack(layout, v);
  const out: CollapsedEffect[] = [];
  layout.entries.forEach((e, entry) => {
    if (e.kind !== 'logOmega') return;
    const w = omega[e.index]!;
    const initial = layout.omega0[e.index]!;
    let kl = 0;
    for (const s of q) {
      const mu = s.mu[e.index]!;
      const sd = s.sd[e.index]!;
      kl += Math.log(w / sd) + (sd * sd + mu * mu) / (2 * w * w) - 0.5;
    }
    kl /= Math.max(1, q.length);
    if (w < COLLAPSE_RATIO * initial && kl < COLLAPSE_KL) out.push({ name: e.name, entry, omega: w, initial, kl });
  });
  return out;
}

export interface MaximumLikelihoodEstimate {
  readonly result: MlFinishResult;
  /** The variational optimum the finish started from. */
  readonly variational: Float64Array;
  readonly collapsed: readonly CollapsedEffect[];
  /** Every finish that ran: from the variational optimum, and with collapsed ω re-inflated. */
  readonly runs: readonly { readonly start: 'variational' | 'reinflated'; readonly logLik: number; readonly converged: boolean }[];
  readonly messages: readonly string[];
  /** Σ log p at the variational optimum on the reported method's full points (AGQ only; deterministic). */
  readonly variationalLogLik?: number;
}

/** The AGQ log-likelihood at the variational optimum, with the grid adapted there: how far below the maximum it is. */
async function logLikAt(problem: UqProblem, v: Float64Array, start: readonly ArrayLike<number>[], nodes: number): Promise<number> {
  const points = await laplacePoints(problem, v, start);
  return (await agqEvaluate(problem, v, points, nodes, true)).logLik;
}

/**
 * The estimate; a model's network weights (mlp terms) stay at their trained values (neural-held.ts says why), and
 * the result is on the full population vector again, the weights among its entries.
 */
export async function maximumLikelihoodEstimate(problem: UqProblem & Partial<NeuralWeights>, variational: Float64Array, q: readonly EffectPosteriors[], options: MlFinishOptions, say: (line: string) => void = () => undefined): Promise<MaximumLikelihoodEstimate> {
  const held = await holdWeights(problem, variational);
  if (!held) return estimateOver(problem, variational, q, options, say);
  say(`maximum likelihood: the ${variational.length - held.kept.length} network weights stay at their trained values (nuisance parameters; the standard errors are conditional on them)`);
  try {
    const inner = await estimateOver(held.problem, held.reduce(variational), q, options, say);
    return { ...inner, result: held.expandResult(inner.result), variational };
  } finally {
    held.dispose();
  }
}

async function estimateOver(problem: UqProblem, variational: Float64Array, q: readonly EffectPosteriors[], options: MlFinishOptions, say: (line: string) => void): Promise<MaximumLikelihoodEstimate> {
  const collapsed = collapsedEffects(problem.layout, variational, q);
  const messages: string[] = [];
  const mu = q.map((s) => s.mu);
  const runs: { start: 'variational' | 'reinflated'; logLik: number; converged: boolean }[] = [];
  let best: MlFinishResult;
  let atVariational: number | undefined;
  if (collapsed.length === 0) {
    say('maximum likelihood: from the variational optimum');
    best = await maximizeMarginal(problem, variational, mu, options, (line) => say(`  ${line}`));
    runs.push({ start: 'variational', logLik: best.logLik, converged: best.converged });
  } else {
    // Re-inflated first: from there the finish climbs; from the collapsed point it crawls (log ω is flat near 0).
    // The variational start runs too only when the re-inflated maximum is not above the ELBO optimum's own
    // likelihood (then the collapsed region may hold the higher maximum).
    const seen = collapsed.map((c) => `${c.name} ${c.omega.toPrecision(2)} (initial ${c.initial}, KL ${c.kl.toPrecision(2)} nats per subject)`).join(', ');
    const start = Float64Array.from(variational);
    for (const c of collapsed) start[c.entry] = Math.log(c.initial);
    say(`maximum likelihood: the variational fit collapsed ${seen}; the finish starts with ω at its initial value`);
    const reinflated = await maximizeMarginal(problem, start, q.map((s) => Float64Array.from(s.mu, () => 0)), options, (line) => say(`  ${line}`));
    runs.push({ start: 'reinflated', logLik: reinflated.logLik, converged: reinflated.converged });
    atVariational = reinflated.at.method === 'agq' ? await logLikAt(problem, variational, mu, reinflated.at.size) : undefined;
    best = reinflated;
    let outcome = atVariational !== undefined ? `the ELBO optimum itself has ${(-2 * atVariational).toFixed(2)}` : '';
    if (atVariational === undefined || !(reinflated.logLik > atVariational)) {
      say('maximum likelihood: and from the variational optimum');
      const plain = await maximizeMarginal(problem, variational, mu, options, (line) => say(`  ${line}`));
      runs.push({ start: 'variational', logLik: plain.logLik, converged: plain.converged });
      if (plain.logLik > reinflated.logLik + 1e-6) best = plain;
      outcome = `from the variational optimum ${(-2 * plain.logLik).toFixed(2)}${plain.converged ? '' : ' (stopped)'}`;
    }
    messages.push(`the variational posterior collapsed ${seen}; the maximum-likelihood finish with ω re-inflated reached −2LL ${(-2 * reinflated.logLik).toFixed(2)}, ${outcome}; the ${best === reinflated ? 're-inflated' : 'variational'} start is reported`);
  }
  if (!best.converged) messages.push(`the maximum-likelihood finish did not converge: ${best.message}`);
  const variationalLogLik = atVariational ?? (best.at.method === 'agq' ? await logLikAt(problem, variational, mu, best.at.size) : undefined);
  if (variationalLogLik !== undefined) say(`maximum likelihood: −2LL ${(-2 * best.logLik).toFixed(3)} at the estimate, ${(-2 * variationalLogLik).toFixed(3)} at the variational optimum`);
  return { result: best, variational, collapsed, runs, messages, ...(variationalLogLik !== undefined ? { variationalLogLik } : {}) };
}
