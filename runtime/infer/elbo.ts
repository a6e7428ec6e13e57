/**
 * The training objective for a batch of subjects and its gradients, given each subject's variational parameters
 * from the encoder. The posterior family is Gaussian, q(η_i | Y_i) = N(μ_i, L_i L_iᵀ), with the Cholesky factor
 * L_i = diag(σ_i) (I + U_i): its diagonal is σ_i = exp(ℓ_i) (the batch's `logSigma`) and its strict lower entries
 * are L_rj = σ_r u_rj, with u the batch's `lower` (absent or zero: the mean-field family of seed 001, L = diag σ).
 * Draws are reparameterized, η = μ + L ε. The off-diagonal is scaled by its row's σ so that its gradient, like
 * log σ's, does not grow as 1/σ: with the raw entries as outputs, the DReG gradient (below) of a full-rank fit of
 * theophylline drove σ_V to 1e-3 and the gradient norm to 1e6 within 30 epochs and diverged; scaled, it trains.
 *
 * Two objectives share everything up to the combination of the rows (one row per subject × draw; the data term
 * log p(Y_i | θ_i(φ, η, c_i)) and its gradients come from the engine's fused likelihood, chained through
 * θ_i = g(φ, η, c) with the emitted ∂p/∂φ and ∂p/∂η):
 *
 *   ELBO (iwSamples = 1; seed 001 eqs 5–6): (1/L) Σ_l log p(Y_i | η_il) − KL(N(μ_i, L_i L_iᵀ) ‖ N(0, Ω)), the KL
 *     in closed form against the prior's factor (effects-prior.ts `klToPrior`; for Ω = diag ω² it is
 *     Σ_r [log ω_r − ℓ_ir + (Σ_{j≤r} L_irj² + μ_ir²) / (2 ω_r²) − ½]);
 *
 *   IWAE (iwSamples = K > 1; Burda et al. 2016): (1/L) Σ_l log (1/K) Σ_k w_ilk,
 *     log w = log p(Y_i | η) + log N(η; 0, Ω) − log q(η | Y_i),
 *     with the ordinary gradient Σ_k w̃_k ∇ log w_k for the population parameters (w̃ the normalized weights) and,
 *     for the encoder's outputs, the doubly-reparameterized gradient (DReG, Tucker et al. 2018)
 *     Σ_k w̃_k² (∂ log w_k / ∂η_k)|_q fixed · ∂η_k/∂(μ, ℓ, L), which has the same expectation without the
 *     score-function term whose signal-to-noise ratio falls as K grows. `encoderGradient: 'reparameterized'`
 *     gives the ordinary IWAE gradient instead (the exact derivative of the bound at fixed ε).
 *
 * The flow family (flow.ts): η = μ + L f(ε) with f a stack of planar layers whose parameters are the batch's `flow`.
 * q is then not Gaussian, so there is no closed-form KL: the objective is the Monte-Carlo bound of the IWAE branch
 * (K = 1: the ELBO E[log p(Y|η) + log N(η; 0, Ω) − log q(η)]), log q = log N(ε; 0, I) − log|det f'| − Σ ℓ
 * exact, with the reparameterized gradient (DReG's ∂ log q/∂η at fixed q would need f⁻¹).
 *
 * Returned gradients are of the objective (to maximize).
 */
import { flowTapeWidth, flowWidth, PlanarFlow } from './flow.js';
import { penalized } from './neural-penalty.js';
import type { Engine } from '../engine/engine.js';
import type { PreparedModel } from '../engine/prepared-model.js';
import { TrajectoryStatus } from '../engine/trajectory-status.js';
import { HALF_LOG_2PI } from '../../stdlib/observation-terms.js';
import { addEntryGradient, klToPrior, logPriorDensity, logPriorGradients, PriorWorkspace } from '../../stdlib/effects-prior.js';
import { priorWithDerivativesAt, unpack, type PopulationLayout } from './population.js';

export type { PosteriorFamily } from './posterior-family.js';

/** Strict lower entries of an n × n factor, row-major: (1,0), (2,0), (2,1), (3,0), … (index r(r−1)/2 + j). */
export const lowerCount = (n: number): number => (n * (n - 1)) / 2;

/** Row-major n × n lower-triangular L = diag(σ)(I + U) from log σ = logDiag[offset…] and U's strict lower entries lower[lowerOffset…]. */
export function choleskyFactor(logDiag: ArrayLike<number>, lower: ArrayLike<number> | undefined, n: number, offset = 0, lowerOffset = 0): Float64Array {
  const L = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const d = Math.exp(logDiag[offset + k]!);
    L[k * n + k] = d;
    if (lower) for (let j = 0; j < k; j++) L[k * n + j] = d * lower[lowerOffset + (k * (k - 1)) / 2 + j]!;
  }
  return L;
}

export interface ElboBatch {
  /** Subject indices (into the engine's data). */
  readonly subjects: readonly number[];
  /** Covariates of each subject in the batch (constant within a subject). */
  readonly covariates: readonly Float64Array[];
  /** μ and log diag L per subject: batch × neta each (log σ for the diagonal family). */
  readonly mu: Float64Array;
  readonly logSigma: Float64Array;
  /** u_rj = L_rj / σ_r, the strict lower entries of L over their row's diagonal: batch × neta(neta−1)/2; absent: the diagonal family. */
  readonly lower?: Float64Array;
  /** Standard-normal draws: batch × samples × iwSamples × neta. */
  readonly eps: Float64Array;
  /** L: independent estimates per subject (each averaged into the objective). */
  readonly samples: number;
  /** K: importance samples per estimate (1 or absent: the ELBO with the closed-form KL). */
  readonly iwSamples?: number;
  /** The IWAE's encoder gradient (default 'dreg'). */
  readonly encoderGradient?: 'dreg' | 'reparameterized';
  /** The flow family: the planar layers' raw parameters, batch × flowWidth(neta) (flow.ts); absent: Gaussian q. */
  readonly flow?: Float64Array;
}

export interface ElboResult {
  /** Σ over the batch of the objective (ELBO_i or the importance-weighted bound). */
  readonly elbo: number;
  /** The mean data term and the closed-form KL, summed over the batch (for the IWAE: reported, not optimized). */
  readonly expectedLogLik: number;
  readonly kl: number;
  /** ∂/∂(population vector). */
  readonly dPopulation: Float64Array;
  /** ∂/∂μ, ∂/∂log σ: batch × neta; ∂/∂u (the scaled strict lower entries): batch × neta(neta−1)/2. */
  readonly dMu: Float64Array;
  readonly dLogSigma: Float64Array;
  readonly dLower: Float64Array;
  /** ∂/∂(the flow's raw parameters): batch × flowWidth(neta) (empty without a flow). */
  readonly dFlow: Float64Array;
  /** Rows (subject × draw) whose trajectory failed; their data term is left out. */
  readonly failedRows: number;
}

export async function evaluateElbo(model: PreparedModel, engine: Engine, layout: PopulationLayout, population: Float64Array, batch: ElboBatch): Promise<ElboResult> {
  const { np, neta, ns, ne } = model.dims;
  const ts = model.ts;
  const K = batch.iwSamples ?? 1;
  const R = batch.samples * K;
  const B = batch.subjects.length;
  const nl = lowerCount(neta);
  const { phi, error } = unpack(layout, population);
  const { prior, derivatives } = priorWithDerivativesAt(layout, population);
  const factors = Array.from({ length: B }, (_, i) => choleskyFactor(batch.logSigma, batch.lower, neta, i * neta, i * nl));
  const flow = batch.flow ? pushThroughFlow(batch.flow, batch.eps, B, R, neta) : undefined;
  /** The standardized draws that L scales: ε, or f(ε) with a flow. */
  const z = flow?.z ?? batch.eps;
  const gaussianElbo = K === 1 && !flow;
  const reparameterized = flow !== undefined || batch.encoderGradient === 'reparameterized';

  // Rows: η = μ + L ε, the individual parameters and their Jacobians.
  const nrows = B * R;
  const rows = { subject: new Int32Array(nrows), p: new Float64Array(nrows * np) };
  const etas = new Float64Array(nrows * neta);
  const dpdphi = new Float64Array(nrows * np * np);
  const dpdeta = new Float64Array(nrows * np * neta);
  const p = new Float64Array(np);
  const jPhi = new Float64Array(np * np);
  const jEta = new Float64Array(np * neta);
  for (let i = 0; i < B; i++) {
    const L = factors[i]!;
    const c = batch.covariates[i]!;
    for (let s = 0; s < R; s++) {
      const r = i * R + s;
      const eta = etas.subarray(r * neta, (r + 1) * neta);
      for (let k = 0; k < neta; k++) {
        let v = batch.mu[i * neta + k]!;
        for (let j = 0; j <= k; j++) v += L[k * neta + j]! * z[r * neta + j]!;
        eta[k] = v;
      }
      ts.individual(phi, eta, c, p);
      ts.individualDphi(phi, eta, c, jPhi);
      ts.individualDeta(phi, eta, c, jEta);
      rows.subject[r] = batch.subjects[i]!;
      rows.p.set(p, r * np);
      dpdphi.set(jPhi, r * np * np);
      dpdeta.set(jEta, r * np * neta);
    }
  }
  const lik = await engine.logLikelihood(rows, error);

  // Each row's data term and its gradients in φ, e (log scale) and η; ∂ℓ/∂p is over the sensitivity parameters
  // (zero for fixed ones), then through p = g(φ, η, c).
  const ok = new Uint8Array(nrows);
  const gPhi = new Float64Array(nrows * np);
  const gError = new Float64Array(nrows * ne);
  const gEta = new Float64Array(nrows * neta);
  const sens = model.sensitivityParameters;
  for (let r = 0; r < nrows; r++) {
    if (lik.status[r] !== TrajectoryStatus.Ok) continue;
    ok[r] = 1;
    for (let q = 0; q < ne; q++) gError[r * ne + q] = lik.dLogLikDe[r * ne + q]! * error[q]!;
    for (let s = 0; s < ns; s++) {
      const j = sens[s]!;
      const g = lik.dLogLikDp[r * ns + s]!;
      for (let k = 0; k < np; k++) gPhi[r * np + k] = gPhi[r * np + k]! + g * dpdphi[r * np * np + j * np + k]!;
      for (let k = 0; k < neta; k++) gEta[r * neta + k] = gEta[r * neta + k]! + g * dpdeta[r * np * neta + j * neta + k]!;
    }
  }

  const dPhi = new Float64Array(np);
  const dError = new Float64Array(ne);
  /** ∂/∂(population vector) through the prior (its log ω and correlation entries). */
  const dPrior = new Float64Array(layout.entries.length);
  const dMu = new Float64Array(B * neta);
  const dLogSigma = new Float64Array(B * neta);
  const dLower = new Float64Array(B * nl);
  const fw = flow ? flowWidth(neta) : 0;
  const dFlow = new Float64Array(B * fw);
  const gz = new Float64Array(neta);
  /** Adds weight · g_r to the population gradient (data term only). */
  const addPopulation = (r: number, weight: number): void => {
    for (let k = 0; k < np; k++) dPhi[k] = dPhi[k]! + weight * gPhi[r * np + k]!;
    for (let q = 0; q < ne; q++) dError[q] = dError[q]! + weight * gError[r * ne + q]!;
  };
  /**
   * Adds weight · gᵀ ∂η_r/∂(μ_i, ℓ_i, u_i) for η_rk = μ_ik + σ_ik (z_rk + Σ_{j<k} u_ikj z_rj), and with a flow
   * (z = f(ε)) weight · (Lᵀg)ᵀ ∂f/∂(layers) + logDetWeight · ∂ log|det f'|/∂(layers).
   */
  const addEta = (i: number, r: number, g: ArrayLike<number>, weight: number, logDetWeight = 0): void => {
    const L = factors[i]!;
    for (let k = 0; k < neta; k++) {
      const gk = weight * g[k]!;
      dMu[i * neta + k] = dMu[i * neta + k]! + gk;
      let row = 0;
      for (let j = 0; j <= k; j++) row += L[k * neta + j]! * z[r * neta + j]!;
      dLogSigma[i * neta + k] = dLogSigma[i * neta + k]! + gk * row;
      for (let j = 0; j < k; j++) dLower[i * nl + (k * (k - 1)) / 2 + j] = dLower[i * nl + (k * (k - 1)) / 2 + j]! + gk * L[k * neta + k]! * z[r * neta + j]!;
    }
    if (!flow) return;
    gz.fill(0);
    for (let j = 0; j < neta; j++) for (let k = j; k < neta; k++) gz[j] = gz[j]! + L[k * neta + j]! * weight * g[k]!;
    flow.layers[i]!.backward(flow.tape, r * flow.tapeWidth, gz, 0, logDetWeight, dFlow, i * fw, gz);
  };

  // The closed-form KL of each subject (the ELBO's, and reported for the IWAE), with its gradients.
  let kl = 0;
  const klTerms = factors.map((L, i) => klToPrior(prior, batch.mu, i * neta, L));
  for (const t of klTerms) kl += t.kl;
  const ws = new PriorWorkspace(neta);
  const gPrior = new Float64Array(neta * neta);

  let objective = 0;
  let expectedLogLik = 0;
  let failedRows = 0;
  const g = new Float64Array(neta);
  const logW = new Float64Array(K);
  for (let i = 0; i < B; i++) {
    let okRows = 0;
    for (let s = 0; s < R; s++) okRows += ok[i * R + s]!;
    failedRows += R - okRows;
    if (okRows === 0) {
      objective = expectedLogLik = NaN;
      continue;
    }
    for (let s = 0; s < R; s++) if (ok[i * R + s]) expectedLogLik += lik.logLik[i * R + s]! / okRows;
    if (gaussianElbo) {
      // ELBO: the mean data term over the draws that succeeded, minus the closed-form KL (below).
      for (let s = 0; s < R; s++) {
        const r = i * R + s;
        if (!ok[r]) continue;
        objective += lik.logLik[r]! / okRows;
        addPopulation(r, 1 / okRows);
        addEta(i, r, gEta.subarray(r * neta, (r + 1) * neta), 1 / okRows);
      }
      continue;
    }
    const L = factors[i]!;
    let logDetL = 0;
    for (let k = 0; k < neta; k++) logDetL += batch.logSigma[i * neta + k]!;
    for (let l = 0; l < batch.samples; l++) {
      // log w = log p(Y | η) + log N(η; 0, Ω) − log N(η; μ, LLᵀ); L⁻¹(η − μ) = ε, and the 2π terms cancel.
      const first = i * R + l * K;
      logW.fill(-Infinity);
      let okK = 0;
      let max = -Infinity;
      for (let k = 0; k < K; k++) {
        const r = first + k;
        if (!ok[r]) continue;
        okK++;
        // log q = −n log √(2π) − log|L| − |ε|²/2, and logPriorDensity carries its own −n log √(2π).
        let a = lik.logLik[r]! + logDetL + logPriorDensity(prior, etas, r * neta, ws) + neta * HALF_LOG_2PI + (flow?.logDet[r] ?? 0);
        for (let q = 0; q < neta; q++) a += batch.eps[r * neta + q]! ** 2 / 2;
        logW[k] = a;
        if (a > max) max = a;
      }
      if (okK === 0) {
        objective = NaN;
        continue;
      }
      let sum = 0;
      for (let k = 0; k < K; k++) sum += Math.exp(logW[k]! - max);
      const lse = max + Math.log(sum);
      objective += (lse - Math.log(okK)) / batch.samples;
      for (let k = 0; k < K; k++) {
        const r = first + k;
        if (!ok[r]) continue;
        const wn = Math.exp(logW[k]! - lse);
        const weight = wn / batch.samples;
        addPopulation(r, weight);
        logPriorDensity(prior, etas, r * neta, ws);
        const precisionEta = logPriorGradients(prior, ws, gPrior);
        addEntryGradient(derivatives, gPrior, neta, dPrior, weight);
        // ∂ log w/∂η with q's parameters held fixed: data + prior (−Σ⁻¹η) − (∂ log q/∂η = −L⁻ᵀ ε).
        for (let q = 0; q < neta; q++) g[q] = gEta[r * neta + q]! - precisionEta[q]!;
        if (reparameterized) {
          // The bound's total derivative: log q(μ + L f(ε)) = const − Σ ℓ − log|det f'(ε)| − |ε|²/2, so −Σ ℓ
          // depends on (μ, ℓ, u) and −log|det f'| on the flow's layers.
          addEta(i, r, g, weight, weight);
        } else {
          const x = new Float64Array(neta);
          for (let q = neta - 1; q >= 0; q--) {
            let v = batch.eps[r * neta + q]!;
            for (let m = q + 1; m < neta; m++) v -= L[m * neta + q]! * x[m]!;
            x[q] = v / L[q * neta + q]!;
          }
          for (let q = 0; q < neta; q++) g[q] = g[q]! + x[q]!;
          addEta(i, r, g, wn * weight);
        }
      }
      if (reparameterized) for (let q = 0; q < neta; q++) dLogSigma[i * neta + q] = dLogSigma[i * neta + q]! + 1 / batch.samples;
    }
  }

  if (gaussianElbo) {
    // − KL's gradients, chained from ∂KL/∂L_q to q's outputs: L_q row r = σ_r (e_r + u_r), so
    // ∂/∂ℓ_r = Σ_{j≤r} (∂KL/∂L_q)_rj L_q,rj and ∂/∂u_rj = σ_r (∂KL/∂L_q)_rj; the prior's through ∂L/∂v.
    objective -= kl;
    for (let i = 0; i < B; i++) {
      const L = factors[i]!;
      const t = klTerms[i]!;
      for (let k = 0; k < neta; k++) {
        dMu[i * neta + k] = dMu[i * neta + k]! - t.dMu[k]!;
        let row = 0;
        for (let j = 0; j <= k; j++) row += t.dLq[k * neta + j]! * L[k * neta + j]!;
        dLogSigma[i * neta + k] = dLogSigma[i * neta + k]! - row;
        for (let j = 0; j < k; j++) dLower[i * nl + (k * (k - 1)) / 2 + j] = dLower[i * nl + (k * (k - 1)) / 2 + j]! - L[k * neta + k]! * t.dLq[k * neta + j]!;
      }
      addEntryGradient(derivatives, t.dL, neta, dPrior, -1);
    }
  }
  const dPopulation = new Float64Array(layout.entries.length);
  layout.entries.forEach((e, n) => {
    if (e.kind === 'phi') dPopulation[n] = dPhi[e.index]!;
    else if (e.kind === 'logError') dPopulation[n] = dError[e.index]!;
    else dPopulation[n] = dPrior[n]!;
  });
  // With a flow the closed-form KL is the base Gaussian's; the reported KL is the Monte-Carlo one of the bound (K = 1).
  if (flow) kl = expectedLogLik - objective;
  return penalized({ elbo: objective, expectedLogLik, kl, dPopulation, dMu, dLogSigma, dLower, dFlow, failedRows }, layout, population, B);
}

/** f(ε) of every row (subject i's layers, loaded once, for its R rows), the log-determinants and one flat tape for the backward step. */
function pushThroughFlow(params: Float64Array, eps: Float64Array, B: number, R: number, neta: number) {
  const z = new Float64Array(eps.length);
  const logDet = new Float64Array(B * R);
  const tapeWidth = flowTapeWidth(neta);
  const tape = new Float64Array(B * R * tapeWidth);
  const layers = Array.from({ length: B }, (_, i) => new PlanarFlow(neta).load(params, i * flowWidth(neta)));
  for (let r = 0; r < B * R; r++) logDet[r] = layers[Math.floor(r / R)]!.forward(eps, r * neta, z, r * neta, tape, r * tapeWidth);
  return { z, logDet, tape, tapeWidth, layers };
}
