/**
 * The deterministic (standard) autoencoder's objective (posterior family `autoencoder`, the baseline of seed 000's
 * comparison): the encoder's mean μ_i = μ_ψ(Y_i) *is* the random effect, with no draws, no entropy and no KL, and
 * the decoder is the model itself:
 *
 *   objective = Σ_i log p(Y_i | θ_i(φ, η = μ_i, c_i))      (minus the mlp weights' L2 penalty, neural-penalty.ts)
 *
 * maximized over ψ and the population entries that the data identify without a prior: φ (θ and the network's
 * weights) and the residual-error parameters. ω and the correlations do not enter — without the prior there is
 * nothing to fit them to, and with the prior added (MAP over η and ω) the optimum is ω → 0 — so their gradient is
 * zero and they keep their initial values (Adam does not move an entry whose gradient is always zero).
 *
 * The result has the ELBO's shape (elbo.ts) so the training loop treats both alike: `elbo` is the reconstruction
 * log-likelihood, `kl` is 0, and the gradients of log σ, U and the flow are empty (the head has μ only).
 */
import type { Engine } from '../engine/engine.js';
import type { PreparedModel } from '../engine/prepared-model.js';
import { TrajectoryStatus } from '../engine/trajectory-status.js';
import type { ElboResult } from './elbo.js';
import { penalized } from './neural-penalty.js';
import { unpack, type PopulationLayout } from './population.js';

export interface AutoencoderBatch {
  /** Subject indices (into the engine's data). */
  readonly subjects: readonly number[];
  /** Covariates of each subject in the batch. */
  readonly covariates: readonly Float64Array[];
  /** μ per subject: batch × neta (the random effects themselves). */
  readonly mu: Float64Array;
}

export async function evaluateAutoencoderLoss(model: PreparedModel, engine: Engine, layout: PopulationLayout, population: Float64Array, batch: AutoencoderBatch): Promise<ElboResult> {
  const { np, neta, ns, ne } = model.dims;
  const B = batch.subjects.length;
  const { phi, error } = unpack(layout, population);
  const rows = { subject: Int32Array.from(batch.subjects), p: new Float64Array(B * np) };
  const dpdphi = new Float64Array(B * np * np);
  const dpdeta = new Float64Array(B * np * neta);
  const p = new Float64Array(np);
  const jPhi = new Float64Array(np * np);
  const jEta = new Float64Array(np * neta);
  for (let i = 0; i < B; i++) {
    const eta = batch.mu.subarray(i * neta, (i + 1) * neta);
    const c = batch.covariates[i]!;
    model.ts.individual(phi, eta, c, p);
    model.ts.individualDphi(phi, eta, c, jPhi);
    model.ts.individualDeta(phi, eta, c, jEta);
    rows.p.set(p, i * np);
    dpdphi.set(jPhi, i * np * np);
    dpdeta.set(jEta, i * np * neta);
  }
  const lik = await engine.logLikelihood(rows, error);

  // ∂ℓ/∂p over the sensitivity parameters, chained through p = g(φ, η, c); the error parameters on their log scale.
  const dPhi = new Float64Array(np);
  const dError = new Float64Array(ne);
  const dMu = new Float64Array(B * neta);
  const sens = model.sensitivityParameters;
  let objective = 0;
  let failedRows = 0;
  for (let i = 0; i < B; i++) {
    if (lik.status[i] !== TrajectoryStatus.Ok) {
      // A subject whose trajectory fails has no reconstruction: the objective is undefined, as the ELBO's is.
      failedRows++;
      objective = NaN;
      continue;
    }
    objective += lik.logLik[i]!;
    for (let q = 0; q < ne; q++) dError[q] = dError[q]! + lik.dLogLikDe[i * ne + q]! * error[q]!;
    for (let s = 0; s < ns; s++) {
      const j = sens[s]!;
      const g = lik.dLogLikDp[i * ns + s]!;
      for (let k = 0; k < np; k++) dPhi[k] = dPhi[k]! + g * dpdphi[i * np * np + j * np + k]!;
      for (let k = 0; k < neta; k++) dMu[i * neta + k] = dMu[i * neta + k]! + g * dpdeta[i * np * neta + j * neta + k]!;
    }
  }
  const dPopulation = Float64Array.from(layout.entries, (e) => (e.kind === 'phi' ? dPhi[e.index]! : e.kind === 'logError' ? dError[e.index]! : 0));
  const result: ElboResult = {
    elbo: objective, expectedLogLik: objective, kl: 0, dPopulation, dMu,
    dLogSigma: new Float64Array(B * neta), dLower: new Float64Array(0), dFlow: new Float64Array(0), failedRows,
  };
  return penalized(result, layout, population, B);
}
