/**
 * After (or without) training: each subject's q(b_i | Y_i) from the encoder (μ, the marginal sds and, for the
 * full-rank family, the Cholesky factor), the empirical Bayes estimate
 * EBE = μ_ψ(Y_i), the individual parameters at the EBE, and predictions — PRED at η = 0, IPRED at η = EBE — with
 * IWRES = (y − IPRED) / sd(IPRED), computed on the f64 CPU back end. For the flow family q is not Gaussian: the
 * EBE is q's mean and `sd` its marginal sds, both by FLOW_MOMENT_DRAWS fixed draws (common to all subjects),
 * `chol` the factor of q's covariance by the same draws, `mode` q's mode (flow-mode.ts) and `flow` the fitted flow
 * itself (the importance step's proposal, uq/flow-proposal.ts). For the Gaussian families mode = mean (no `mode`).
 */
import { flowWidth, PlanarFlow } from './flow.js';
import { flowMode } from './flow-mode.js';
import { createCpuEngine } from '../engine/cpu/cpu-engine.js';
import { noGrad, Rng } from '../nn/index.js';
import { choleskyFactor } from './elbo.js';
import { headLayout, type Encoder } from './encoder.js';
import { traceFailures } from './failure-report.js';
import type { FitContext } from './fit-context.js';
import { unpack } from './population.js';
import { obsField, subjectCounts } from '../engine/engine-data.js';
import { solveLower } from '../../stdlib/effects-prior.js';

export interface SubjectPosterior {
  readonly mu: Float64Array;
  /** Marginal sds, sqrt(diag LLᵀ). */
  readonly sd: Float64Array;
  /** Full-rank family only: q's Cholesky factor L (covariance LLᵀ), row-major neta × neta, lower triangular. */
  readonly chol?: Float64Array;
  /** Individual parameters at η = μ. */
  readonly p: Float64Array;
  /** The flow family only: q's mode (μ is its mean), and the fitted flow (base μ, L and the layers' parameters). */
  readonly mode?: Float64Array;
  readonly flow?: FlowPosterior;
}

/** A flow posterior q(η | Y_i): η = μ + L f(ε), f the planar layers with raw parameters `layers` (flow.ts). */
export interface FlowPosterior {
  readonly mu: Float64Array;
  readonly chol: Float64Array;
  readonly layers: Float64Array;
}

export interface ObservationPrediction {
  readonly subject: number;
  readonly time: number;
  readonly output: number;
  /** On the output's scale (transformed data when the model declares a transform). */
  readonly dv: number;
  readonly pred: number;
  readonly ipred: number;
  readonly iwres: number;
}

export interface Posteriors {
  readonly subjects: SubjectPosterior[];
  /** PRED and IPRED of every observation; a trajectory that fails keeps those before the failure (failure-report.ts). */
  readonly predictions: ObservationPrediction[];
}

export async function posteriors(ctx: FitContext, encoder: Encoder, population: Float64Array): Promise<Posteriors> {
  const { neta } = ctx.model.dims;
  const S = ctx.data.nSubjects;
  const all = Array.from({ length: S }, (_, i) => i);
  const out = noGrad(() => encoder.forward(ctx.inputs, all));
  const family = encoder.config.posterior;
  const { lower: nl, flow: nf } = headLayout(neta, family);
  const width = 2 * neta + nl + nf;
  const q: PosteriorMoments[] = [];
  for (let i = 0; i < S; i++) {
    const mu = out.data.slice(i * width, i * width + neta);
    const chol = choleskyFactor(out.data, nl > 0 ? out.data : undefined, neta, i * width + neta, i * width + 2 * neta);
    if (nf > 0) q.push(flowPosterior({ mu, chol, layers: out.data.slice(i * width + 2 * neta + nl, i * width + 2 * neta + nl + nf) }));
    else q.push(nl > 0 ? { mu, sd: marginalSds(chol, neta), chol } : { mu, sd: marginalSds(chol, neta) });
  }
  return predictionsAt(ctx, population, q);
}

const FLOW_MOMENT_DRAWS = 4000;

/** A flow posterior's moments (its mean is the EBE), its mode, and the flow itself. */
export function flowPosterior(flow: FlowPosterior): PosteriorMoments {
  const neta = flow.mu.length;
  if (flow.layers.length !== flowWidth(neta)) throw new Error(`flowPosterior: ${flow.layers.length} layer parameters for ${neta} effects`);
  const moments = flowMoments(flow.mu, flow.chol, flow.layers, 0, neta);
  const layers = new PlanarFlow(neta).load(flow.layers, 0);
  // The mean's ε, a start for the mode's search besides ε = 0: z = L⁻¹(mean − μ), ε = f⁻¹(z).
  const z = solveLower(flow.chol, neta, Float64Array.from(moments.mu, (m, r) => m - flow.mu[r]!), 0, new Float64Array(neta));
  const meanEps = new Float64Array(neta);
  layers.inverse(z, 0, meanEps, 0);
  const { z: zMode } = flowMode(layers, meanEps);
  const mode = Float64Array.from(flow.mu, (m, r) => {
    let v = m;
    for (let c = 0; c <= r; c++) v += flow.chol[r * neta + c]! * zMode[c]!;
    return v;
  });
  return { ...moments, mode, flow };
}

/**
 * Mean, marginal sds and the Cholesky factor of the covariance of η = μ + L f(ε), by fixed draws (seeded, so the
 * outputs are reproducible). The factor is what the uncertainty step's widened Student-t proposal scales
 * (uq/proposal.ts): moment-matched to the flow, a valid proposal without the flow's own sampler there.
 */
export function flowMoments(mu: Float64Array, chol: Float64Array, params: ArrayLike<number>, offset: number, neta: number): PosteriorMoments {
  const random = new Rng(20260);
  const sum = new Float64Array(neta);
  const cross = new Float64Array(neta * neta);
  const eps = new Float64Array(neta);
  const eta = new Float64Array(neta);
  const z = new Float64Array(neta);
  const flow = new PlanarFlow(neta).load(params, offset);
  for (let d = 0; d < FLOW_MOMENT_DRAWS; d++) {
    for (let k = 0; k < neta; k++) eps[k] = random.normal();
    flow.forward(eps, 0, z, 0);
    for (let k = 0; k < neta; k++) {
      let v = mu[k]!;
      for (let j = 0; j <= k; j++) v += chol[k * neta + j]! * z[j]!;
      eta[k] = v;
      sum[k] = sum[k]! + v;
    }
    for (let k = 0; k < neta; k++) for (let j = 0; j <= k; j++) cross[k * neta + j] = cross[k * neta + j]! + eta[k]! * eta[j]!;
  }
  const mean = Float64Array.from(sum, (v) => v / FLOW_MOMENT_DRAWS);
  const cov = Float64Array.from(cross, (v, n) => v / FLOW_MOMENT_DRAWS - mean[Math.floor(n / neta)]! * mean[n % neta]!);
  const factor = lowerCholesky(cov, neta);
  return { mu: mean, sd: marginalSds(factor, neta), chol: factor };
}

/** The lower Cholesky factor of a symmetric positive-definite matrix (only its lower triangle is read). */
function lowerCholesky(a: Float64Array, n: number): Float64Array {
  const L = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j <= k; j++) {
      let v = a[k * n + j]!;
      for (let m = 0; m < j; m++) v -= L[k * n + m]! * L[j * n + m]!;
      L[k * n + j] = k === j ? Math.sqrt(Math.max(v, 1e-300)) : v / L[j * n + j]!;
    }
  }
  return L;
}

/** The marginal sds sqrt(diag LLᵀ) of a lower-triangular factor. */
export function marginalSds(chol: ArrayLike<number>, neta: number): Float64Array {
  return Float64Array.from({ length: neta }, (_, k) => {
    let s2 = 0;
    for (let j = 0; j <= k; j++) s2 += chol[k * neta + j]! ** 2;
    return Math.sqrt(s2);
  });
}

/** A subject's posterior location and spread, from the encoder or from the Laplace approximation at the MLE. */
export interface PosteriorMoments {
  readonly mu: Float64Array;
  readonly sd: Float64Array;
  readonly chol?: Float64Array;
  /** The flow family's mode and flow (SubjectPosterior). */
  readonly mode?: Float64Array;
  readonly flow?: FlowPosterior;
}

/** The EBEs `q[i].mu`, the individual parameters there, and PRED/IPRED/IWRES at `population`. */
export async function predictionsAt(ctx: FitContext, population: Float64Array, q: readonly PosteriorMoments[]): Promise<Posteriors> {
  const { np, neta } = ctx.model.dims;
  const S = ctx.data.nSubjects;
  const { phi, error } = unpack(ctx.layout, population);
  const subjects: SubjectPosterior[] = [];
  const rows = { subject: new Int32Array(2 * S), p: new Float64Array(2 * S * np) };
  for (let i = 0; i < S; i++) {
    const { mu } = q[i]!;
    const p = new Float64Array(np);
    const p0 = new Float64Array(np);
    ctx.model.ts.individual(phi, mu, ctx.covariates[i]!, p);
    ctx.model.ts.individual(phi, new Float64Array(neta), ctx.covariates[i]!, p0);
    subjects.push({ ...q[i]!, p });
    rows.subject[2 * i] = i;
    rows.subject[2 * i + 1] = i;
    rows.p.set(p0, 2 * i * np);
    rows.p.set(p, (2 * i + 1) * np);
  }
  const settings = { rtol: 1e-9, atol: 1e-11, maxSteps: 1_000_000, method: ctx.model.method };
  const engine = createCpuEngine(ctx.model, ctx.data, settings);
  const sim = await traceFailures(ctx.model, ctx.data, settings, rows, await engine.simulate(rows));
  const predictions: ObservationPrediction[] = [];
  const sd = [0];
  const M = ctx.data.maxObs;
  for (let i = 0; i < S; i++) {
    const n = subjectCounts(ctx.data, i).observations;
    for (let j = 0; j < n; j++) {
      const output = obsField(ctx.data, i, j, 'output');
      const dv = obsField(ctx.data, i, j, 'value');
      const pred = sim.predictions[2 * i * M + j]!;
      const ipred = sim.predictions[(2 * i + 1) * M + j]!;
      ctx.model.ts.errorSd(output, ipred, error, sd);
      predictions.push({ subject: i, time: obsField(ctx.data, i, j, 'time'), output, dv, pred, ipred, iwres: (dv - ipred) / sd[0]! });
    }
  }
  return { subjects, predictions };
}
