/**
 * The evidence lower bound (seed 001, equations 5–6) for a batch of subjects and its gradients, given each
 * subject's variational parameters (μ_i, log σ_i) from the encoder:
 *
 *   ELBO_i = (1/L) Σ_l log p(Y_i | θ_i(φ, b_il, c_i)) − KL(N(μ_i, σ_i²) ‖ N(0, Ω)),   b_il = μ_i + σ_i ε_il,
 *   KL = Σ_r [log ω_r − log σ_ir + (σ_ir² + μ_ir²) / (2 ω_r²) − ½].
 *
 * The data term and ∂/∂θ_i come from the engine's fused likelihood (one row per subject × sample); the chain rule
 * through θ_i = g(φ, b, c) uses the emitted ∂p/∂φ and ∂p/∂η. Returned gradients are of the ELBO (to maximize).
 */
import type { Engine } from '../engine/engine.js';
import type { PreparedModel } from '../engine/prepared-model.js';
import { TrajectoryStatus } from '../engine/trajectory-status.js';
import { unpack, type PopulationLayout } from './population.js';

export interface ElboBatch {
  /** Subject indices (into the engine's data). */
  readonly subjects: readonly number[];
  /** Covariates of each subject in the batch (constant within a subject). */
  readonly covariates: readonly Float64Array[];
  /** μ and log σ per subject: batch × neta each. */
  readonly mu: Float64Array;
  readonly logSigma: Float64Array;
  /** Standard-normal draws: batch × L × neta. */
  readonly eps: Float64Array;
  readonly samples: number;
}

export interface ElboResult {
  /** Σ over the batch of ELBO_i. */
  readonly elbo: number;
  /** The data term and the KL term, summed over the batch. */
  readonly expectedLogLik: number;
  readonly kl: number;
  /** ∂ELBO/∂(population vector). */
  readonly dPopulation: Float64Array;
  /** ∂ELBO/∂μ and ∂ELBO/∂log σ, batch × neta. */
  readonly dMu: Float64Array;
  readonly dLogSigma: Float64Array;
  /** Rows (subject × sample) whose trajectory failed; their data term is left out. */
  readonly failedRows: number;
}

export async function evaluateElbo(model: PreparedModel, engine: Engine, layout: PopulationLayout, population: Float64Array, batch: ElboBatch): Promise<ElboResult> {
  const { np, neta, ns, ne } = model.dims;
  const ts = model.ts;
  const L = batch.samples;
  const B = batch.subjects.length;
  const { phi, omega, error } = unpack(layout, population);
  const nrows = B * L;
  const rows = { subject: new Int32Array(nrows), p: new Float64Array(nrows * np) };
  const dpdphi = new Float64Array(nrows * np * np);
  const dpdeta = new Float64Array(nrows * np * neta);
  const eta = new Float64Array(neta);
  const p = new Float64Array(np);
  const jPhi = new Float64Array(np * np);
  const jEta = new Float64Array(np * neta);
  for (let i = 0; i < B; i++) {
    for (let l = 0; l < L; l++) {
      const r = i * L + l;
      for (let k = 0; k < neta; k++) eta[k] = batch.mu[i * neta + k]! + Math.exp(batch.logSigma[i * neta + k]!) * batch.eps[r * neta + k]!;
      const c = batch.covariates[i]!;
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

  const dPopulation = new Float64Array(layout.entries.length);
  const dPhi = new Float64Array(np);
  const dError = new Float64Array(ne);
  const dMu = new Float64Array(B * neta);
  const dLogSigma = new Float64Array(B * neta);
  let expectedLogLik = 0;
  let failedRows = 0;
  const sens = model.sensitivityParameters;
  for (let i = 0; i < B; i++) {
    let ok = 0;
    for (let l = 0; l < L; l++) if (lik.status[i * L + l] === TrajectoryStatus.Ok) ok++;
    failedRows += L - ok;
    if (ok === 0) {
      expectedLogLik = NaN;
      continue;
    }
    const w = 1 / ok;
    for (let l = 0; l < L; l++) {
      const r = i * L + l;
      if (lik.status[r] !== TrajectoryStatus.Ok) continue;
      expectedLogLik += w * lik.logLik[r]!;
      for (let q = 0; q < ne; q++) dError[q] = dError[q]! + w * lik.dLogLikDe[r * ne + q]!;
      // ∂ℓ/∂p over all parameters (zero for fixed ones), then through p = g(φ, η, c).
      for (let s = 0; s < ns; s++) {
        const j = sens[s]!;
        const g = w * lik.dLogLikDp[r * ns + s]!;
        for (let k = 0; k < np; k++) dPhi[k] = dPhi[k]! + g * dpdphi[r * np * np + j * np + k]!;
        for (let k = 0; k < neta; k++) {
          const gEta = g * dpdeta[r * np * neta + j * neta + k]!;
          dMu[i * neta + k] = dMu[i * neta + k]! + gEta;
          dLogSigma[i * neta + k] = dLogSigma[i * neta + k]! + gEta * Math.exp(batch.logSigma[i * neta + k]!) * batch.eps[r * neta + k]!;
        }
      }
    }
  }
  // KL(N(μ, σ²) ‖ N(0, ω²)) per random effect, and its gradients (subtracted: the ELBO is data − KL).
  let kl = 0;
  const dLogOmega = new Float64Array(neta);
  for (let i = 0; i < B; i++) {
    for (let k = 0; k < neta; k++) {
      const mu = batch.mu[i * neta + k]!;
      const ls = batch.logSigma[i * neta + k]!;
      const s2 = Math.exp(2 * ls);
      const w2 = omega[k]! * omega[k]!;
      kl += Math.log(omega[k]!) - ls + (s2 + mu * mu) / (2 * w2) - 0.5;
      dMu[i * neta + k] = dMu[i * neta + k]! - mu / w2;
      dLogSigma[i * neta + k] = dLogSigma[i * neta + k]! - (-1 + s2 / w2);
      dLogOmega[k] = dLogOmega[k]! - (1 - (s2 + mu * mu) / w2);
    }
  }
  layout.entries.forEach((e, n) => {
    if (e.kind === 'phi') dPopulation[n] = dPhi[e.index]!;
    else if (e.kind === 'logOmega') dPopulation[n] = dLogOmega[e.index]!;
    else dPopulation[n] = dError[e.index]! * error[e.index]!;
  });
  return { elbo: expectedLogLik - kl, expectedLogLik, kl, dPopulation, dMu, dLogSigma, failedRows };
}
