/**
 * Monte-Carlo marginal likelihood of each subject, log p(Y_i) = log E_r[p(Y_i | η) p_Ω(η) / r(η)], and its exact
 * gradient in the population vector v = (φ, log ω, log e), on the f64 CPU back end.
 *
 * The draws are kept *centred*: for a random effect r on parameter k the stored value is u_r = φ_k + η_r (the
 * individual parameter on its estimation scale, before covariate effects), fixed once drawn. With u fixed, the
 * individual parameters p = g(φ, u − Aφ, c) do not depend on φ_k at all (ψ = h(φ_k + effects + η_k)); φ_k enters
 * only the prior density N(u_r − φ_k; 0, ω_r²). So moving φ_k, ω or e needs no new trajectory: only the population
 * parameters without a random effect (and covariate coefficients, network weights) change the trajectories. That
 * is what makes the information matrix cheap (information.ts). Which directions are free of the trajectories is
 * checked numerically on every draw (∂p/∂φ_k − ∂p/∂η_r = 0), never assumed from the model's text.
 *
 * For each draw l the complete-data log weight is
 *   ℓ_l(v) = log p(Y_i | p_l) + log N(η_l; 0, Ω) − log r(η_l)   (Ω from ω and the correlations: effects-prior.ts),
 * and log p̂_i = log Σ_l exp ℓ_l − log L, ∇ log p̂_i = Σ_l w̄_l ∇ℓ_l with self-normalized weights w̄_l.
 * The Monte-Carlo standard error of log p̂_i is the delta method's: sd(w) / (√L · mean(w)).
 */
import type { Engine } from '../engine/engine.js';
import type { PreparedModel } from '../engine/prepared-model.js';
import { TrajectoryStatus } from '../engine/trajectory-status.js';
import { addEntryGradient, logPriorDensity, logPriorGradients, PriorWorkspace } from '../../stdlib/effects-prior.js';
import { priorWithDerivativesAt, unpack, type PopulationLayout } from '../infer/population.js';
import type { Draws, EstimatorKind } from './proposal.js';
import { HALF_LOG_2PI, observationTerm, type TermValue } from '../../stdlib/observation-terms.js';
import { obsField, subjectCounts, type EngineData } from '../engine/engine-data.js';

/** What the Monte-Carlo integrals need: the model, the data, the layout, and an f64 engine over the same data. */
export interface UqProblem {
  readonly model: PreparedModel;
  readonly data: EngineData;
  readonly layout: PopulationLayout;
  readonly covariates: readonly Float64Array[];
  readonly engine: Engine;
  /** Index of the parameter each random effect belongs to. */
  readonly effectParameter: readonly number[];
}

/** One estimator's draws for every subject, centred (see above) at the population vector they were drawn for. */
export interface SampleSet {
  readonly kind: EstimatorKind;
  /** Draws per subject. */
  readonly samples: number;
  /** Per subject: L × neta centred values u = η + φ̂ of the random effect's parameter. */
  readonly u: readonly Float64Array[];
  /** Per subject: log r of each draw. */
  readonly logR: readonly Float64Array[];
}

/** Centres per-subject draws of η at the full φ vector `phi`. */
export function sampleSet(problem: UqProblem, kind: EstimatorKind, phi: Float64Array, draws: readonly Draws[]): SampleSet {
  const neta = problem.model.dims.neta;
  const samples = draws[0] ? draws[0].logDensity.length : 0;
  const u = draws.map((d) => {
    const out = Float64Array.from(d.eta);
    for (let l = 0; l < samples; l++) for (let r = 0; r < neta; r++) out[l * neta + r] = out[l * neta + r]! + phi[problem.effectParameter[r]!]!;
    return out;
  });
  return { kind, samples, u, logR: draws.map((d) => d.logDensity) };
}

/** Trajectories (predictions and ∂f/∂p) of a sample set at one "data" φ. */
export interface SimBlock {
  /** The full φ the trajectories were computed at. */
  readonly phi: Float64Array;
  /** Per subject, per draw: the row of its trajectory, or −1 when it was not simulated. */
  readonly row: readonly Int32Array[];
  readonly status: Int32Array;
  readonly predictions: Float64Array;
  readonly gradients: Float64Array;
}

function etaAt(problem: UqProblem, u: Float64Array, l: number, phi: ArrayLike<number>, out: Float64Array): void {
  const neta = out.length;
  for (let r = 0; r < neta; r++) out[r] = u[l * neta + r]! - phi[problem.effectParameter[r]!]!;
}

const CHUNK = 4096;

/**
 * Solves the draws' trajectories at `phi`; `active(i, l)` (default: all) selects the draws to solve. The engine is
 * called in chunks, yielding to the event loop between them.
 */
export async function simulateBlock(problem: UqProblem, set: SampleSet, phi: Float64Array, active?: (subject: number, draw: number) => boolean): Promise<SimBlock> {
  const { np, neta, ns } = problem.model.dims;
  const n = set.u.length;
  const L = set.samples;
  const row = Array.from({ length: n }, () => new Int32Array(L).fill(-1));
  const subjects: number[] = [];
  const draws: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let l = 0; l < L; l++) {
      if (active && !active(i, l)) continue;
      row[i]![l] = subjects.length;
      subjects.push(i);
      draws.push(l);
    }
  }
  const nrows = subjects.length;
  const M = problem.data.maxObs;
  const status = new Int32Array(nrows);
  const predictions = new Float64Array(nrows * M);
  const gradients = new Float64Array(nrows * M * ns);
  const eta = new Float64Array(neta);
  const p = new Float64Array(np);
  for (let start = 0; start < nrows; start += CHUNK) {
    const count = Math.min(CHUNK, nrows - start);
    const rows = { subject: new Int32Array(count), p: new Float64Array(count * np) };
    for (let k = 0; k < count; k++) {
      const i = subjects[start + k]!;
      etaAt(problem, set.u[i]!, draws[start + k]!, phi, eta);
      problem.model.ts.individual(phi, eta, problem.covariates[i]!, p);
      rows.subject[k] = i;
      rows.p.set(p, k * np);
    }
    const sim = await problem.engine.simulate(rows);
    status.set(sim.status, start);
    predictions.set(sim.predictions, start * M);
    gradients.set(sim.gradients, start * M * ns);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { phi: Float64Array.from(phi), row, status, predictions, gradients };
}

/**
 * Which entries of the population vector leave every trajectory unchanged when the draws are held centred:
 * log ω and log e always; φ_k when ∂p/∂φ_k − Σ_r ∂p/∂η_r [r belongs to k] vanishes on every draw.
 */
export function trajectoryFreeEntries(problem: UqProblem, set: SampleSet, phi: Float64Array): boolean[] {
  const { np, neta } = problem.model.dims;
  const ts = problem.model.ts;
  const sens = problem.model.sensitivityParameters;
  const entries = problem.layout.entries;
  const candidate = entries.map((e) => e.kind !== 'phi' || problem.effectParameter.includes(e.index));
  const jPhi = new Float64Array(np * np);
  const jEta = new Float64Array(np * neta);
  const eta = new Float64Array(neta);
  for (let i = 0; i < set.u.length && candidate.some((c, k) => c && entries[k]!.kind === 'phi'); i++) {
    for (let l = 0; l < set.samples; l++) {
      etaAt(problem, set.u[i]!, l, phi, eta);
      ts.individualDphi(phi, eta, problem.covariates[i]!, jPhi);
      ts.individualDeta(phi, eta, problem.covariates[i]!, jEta);
      entries.forEach((e, k) => {
        if (!candidate[k] || e.kind !== 'phi') return;
        for (const j of sens) {
          let total = jPhi[j * np + e.index]!;
          let size = Math.abs(total);
          for (let r = 0; r < neta; r++) {
            if (problem.effectParameter[r] !== e.index) continue;
            total -= jEta[j * neta + r]!;
            size += Math.abs(jEta[j * neta + r]!);
          }
          if (!(Math.abs(total) <= 1e-12 * size)) candidate[k] = false;
        }
      });
    }
  }
  return candidate;
}

/** The estimator at one population vector, from one block of trajectories. */
export interface Evaluation {
  /** Per subject: log p̂_i, the delta-method Monte-Carlo SE of log p̂_i, and the effective sample size. */
  readonly logLik: Float64Array;
  readonly se: Float64Array;
  readonly ess: Float64Array;
  /** Per subject × draw: the self-normalized weight (0 for a draw not simulated or whose trajectory failed). */
  readonly weights: readonly Float64Array[];
  /** Σ_i ∇ log p̂_i over the population vector. */
  readonly gradient: Float64Array;
  /** Per subject: ∇ℓ_l of every draw (L × d), when asked for; rows of draws without a weight are 0. */
  readonly drawGradients?: readonly Float64Array[];
  /** Draws whose trajectory failed. */
  readonly failedDraws: number;
  /** Subjects none of whose draws has a finite, non-zero weight. */
  readonly emptySubjects: readonly number[];
}

/**
 * ℓ_l and ∇ℓ_l for every draw at the population vector `v`, from trajectories computed at `block.phi` (which must
 * equal φ(v) in every entry that is not trajectory-free), reduced to the estimator and its gradient. Entries
 * marked free in `free` get no trajectory term in their gradient (exact for truly free entries; pass all-true when
 * only the value is wanted).
 */
export function evaluate(problem: UqProblem, set: SampleSet, block: SimBlock, v: Float64Array, free: readonly boolean[], keepDrawGradients = false): Evaluation {
  const { np, neta, ns, ne } = problem.model.dims;
  const ts = problem.model.ts;
  const data = problem.data;
  const M = data.maxObs;
  const entries = problem.layout.entries;
  const d = entries.length;
  const sens = problem.model.sensitivityParameters;
  const { phi, error } = unpack(problem.layout, v);
  const { prior, derivatives } = priorWithDerivativesAt(problem.layout, v);
  const ws = new PriorWorkspace(neta);
  const dPriorDL = new Float64Array(neta * neta);
  const n = set.u.length;
  const L = set.samples;
  const logLik = new Float64Array(n);
  const se = new Float64Array(n);
  const ess = new Float64Array(n);
  const gradient = new Float64Array(d);
  const weights: Float64Array[] = [];
  const drawGradients: Float64Array[] = [];
  const emptySubjects: number[] = [];
  let failedDraws = 0;

  const needJacobian = entries.some((e, k) => e.kind === 'phi' && !free[k]);
  const ll = new Float64Array(L);
  const eta = new Float64Array(neta);
  const etaData = new Float64Array(neta);
  const jPhi = new Float64Array(np * np);
  const jEta = new Float64Array(np * neta);
  const dldp = new Float64Array(ns);
  const dlde = new Float64Array(ne);
  const dsde = new Float64Array(ne);
  const one = [0];
  const term: TermValue = { ll: 0, dllDf: 0, dllDsd: 0 };

  for (let i = 0; i < n; i++) {
    const u = set.u[i]!;
    const rows = block.row[i]!;
    const nobs = subjectCounts(data, i).observations;
    const c = problem.covariates[i]!;
    const g = new Float64Array(L * d);
    for (let l = 0; l < L; l++) {
      const row = rows[l]!;
      if (row < 0) {
        ll[l] = -Infinity;
        continue;
      }
      if (block.status[row] !== TrajectoryStatus.Ok) {
        ll[l] = -Infinity;
        failedDraws++;
        continue;
      }
      // Data term at the block's φ: log p(Y_i | p), ∂/∂p (sensitivity parameters), ∂/∂e.
      dldp.fill(0);
      dlde.fill(0);
      let value = 0;
      for (let j = 0; j < nobs; j++) {
        const y = obsField(data, i, j, 'value');
        const o = obsField(data, i, j, 'output');
        const f = block.predictions[row * M + j]!;
        ts.errorSd(o, f, error, one);
        const sd = one[0]!;
        ts.errorSdDf(o, f, error, one);
        // The observation's term (observed or censored) as the engines spell it: stdlib/observation-terms.ts.
        observationTerm(data.obsCensoring[i * M + j]!, y, data.obsLimit[i * M + j]!, f, sd, one[0]!, term);
        value += term.ll;
        for (let s = 0; s < ns; s++) dldp[s] = dldp[s]! + term.dllDf * block.gradients[(row * M + j) * ns + s]!;
        ts.errorSdDe(o, f, error, dsde);
        for (let q = 0; q < ne; q++) dlde[q] = dlde[q]! + term.dllDsd * dsde[q]!;
      }
      // Prior term at the actual φ and ω.
      etaAt(problem, u, l, phi, eta);
      value += logPriorDensity(prior, eta, 0, ws);
      const precisionEta = logPriorGradients(prior, ws, dPriorDL);
      ll[l] = Number.isFinite(value) ? value - set.logR[i]![l]! : -Infinity;
      if (needJacobian) {
        etaAt(problem, u, l, block.phi, etaData);
        ts.individualDphi(block.phi, etaData, c, jPhi);
        ts.individualDeta(block.phi, etaData, c, jEta);
      }
      for (let k = 0; k < d; k++) {
        const e = entries[k]!;
        let gk = 0;
        if (e.kind === 'phi') {
          // η_r = u_r − φ_k: ∂ log N/∂φ_k = (Σ⁻¹η)_r summed over k's effects.
          for (let r = 0; r < neta; r++) if (problem.effectParameter[r] === e.index) gk += precisionEta[r]!;
          if (!free[k]) {
            for (let s = 0; s < ns; s++) {
              const j = sens[s]!;
              let dp = jPhi[j * np + e.index]!;
              for (let r = 0; r < neta; r++) if (problem.effectParameter[r] === e.index) dp -= jEta[j * neta + r]!;
              gk += dldp[s]! * dp;
            }
          }
        } else if (e.kind === 'logError') {
          gk = dlde[e.index]! * error[e.index]!;
        }
        g[l * d + k] = gk;
      }
      addEntryGradient(derivatives, dPriorDL, neta, g.subarray(l * d, (l + 1) * d));
    }
    // Reduce: log-sum-exp, delta-method SE, self-normalized gradient.
    let m = -Infinity;
    for (let l = 0; l < L; l++) if (ll[l]! > m) m = ll[l]!;
    const w = new Float64Array(L);
    if (!Number.isFinite(m)) {
      emptySubjects.push(i);
      logLik[i] = -Infinity;
      se[i] = Infinity;
      weights.push(w);
      drawGradients.push(g);
      continue;
    }
    let sw = 0;
    let sw2 = 0;
    for (let l = 0; l < L; l++) {
      const x = Number.isFinite(ll[l]!) ? Math.exp(ll[l]! - m) : 0;
      w[l] = x;
      sw += x;
      sw2 += x * x;
    }
    const mean = sw / L;
    logLik[i] = m + Math.log(mean);
    const variance = L > 1 ? Math.max(0, (sw2 - L * mean * mean) / (L - 1)) : 0;
    se[i] = Math.sqrt(variance / L) / mean;
    ess[i] = (sw * sw) / sw2;
    for (let l = 0; l < L; l++) {
      w[l] = w[l]! / sw;
      if (w[l]! === 0) {
        g.fill(0, l * d, (l + 1) * d);
        continue;
      }
      for (let k = 0; k < d; k++) gradient[k] = gradient[k]! + w[l]! * g[l * d + k]!;
    }
    weights.push(w);
    drawGradients.push(g);
  }
  return { logLik, se, ess, weights, gradient, ...(keepDrawGradients ? { drawGradients } : {}), failedDraws, emptySubjects };
}

/** Σ_i log p̂_i and its Monte-Carlo SE (the subjects' errors are independent). */
export function totalLogLik(e: Evaluation): { logLik: number; se: number } {
  let logLik = 0;
  let v = 0;
  for (let i = 0; i < e.logLik.length; i++) {
    logLik += e.logLik[i]!;
    v += e.se[i]! ** 2;
  }
  return { logLik, se: Math.sqrt(v) };
}
