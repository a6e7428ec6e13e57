/**
 * The random effects' prior N(0, Ω) as every estimator and the simulator use it: one factor, one density, one set
 * of derivatives (here, before the runtime stages, because simulate, infer and uq all need it).
 *
 * Ω = L Lᵀ with L = diag(ω) · L_R, L_R the Cholesky factor of the correlation matrix R. R is block-diagonal (the
 * model's `correlation(a, b)` blocks, compiler/check/correlations.ts) and L_R is built from canonical partial
 * correlations (CPCs; Lewandowski, Kurowicka & Joe 2009, as in Stan's cholesky_corr):
 *   L_R[i][0] = c₀ᵢ,  L_R[i][j] = c_jᵢ √(1 − Σ_{k<j} L_R[i][k]²) (0 < j < i),  L_R[i][i] = √(1 − Σ_{k<i} L_R[i][k]²),
 * with c_jᵢ the partial correlation of effects j and i given effects 0 … j−1, c = tanh(z), z unconstrained (the
 * population vector's `corr` entries). A pair in different blocks has c = 0 and no entry: its effects are then
 * independent given any others, so the zeros make R exactly block-diagonal, and inside a block the map is the CPC
 * map of the block alone (a bijection onto its correlation matrices). For a pair block, c = ρ and z is Fisher's z.
 *
 * Derivatives with respect to the prior's entries of the population vector (log ω_r and z) are carried as ∂L/∂v,
 * so each estimator writes its own ∂/∂L (lower triangle) and chains it here: `entryGradient`.
 */
import { HALF_LOG_2PI } from './observation-terms.js';

/** A correlated pair of random effects (indices, first < second): the IR's correlations satisfy it. */
export interface IrCorrelation {
  readonly first: number;
  readonly second: number;
}

export interface EffectsPrior {
  readonly neta: number;
  /** L, neta × neta row-major, lower-triangular: Ω = L Lᵀ. */
  readonly L: Float64Array;
  /** log |L| = ½ log |Ω|. */
  readonly logDet: number;
  /** Ω is diagonal (no correlations): the fast paths apply. */
  readonly diagonal: boolean;
}

/** ∂L/∂v for each population entry that moves the prior. */
export interface PriorDerivatives {
  /** Index of the entry in the population vector, and ∂L/∂v_entry (neta × neta, lower). */
  readonly entries: readonly { readonly entry: number; readonly dL: Float64Array }[];
}

/** The correlation factor L_R (neta × neta) of the partial correlations `cpc` (one per pair, in `pairs` order). */
export function correlationFactor(neta: number, pairs: readonly IrCorrelation[], cpc: ArrayLike<number>): Float64Array {
  return correlationFactorWithDerivative(neta, pairs, cpc, -1).L;
}

/**
 * L_R and, for pair `wrt` (≥ 0), ∂L_R/∂z of that pair's z = atanh(c) (forward mode through the CPC recursion;
 * only the pair's second row depends on it).
 */
export function correlationFactorWithDerivative(neta: number, pairs: readonly IrCorrelation[], cpc: ArrayLike<number>, wrt: number): { L: Float64Array; dL: Float64Array } {
  const c = new Float64Array(neta * neta); // c[j][i], j < i
  pairs.forEach((p, k) => (c[p.first * neta + p.second] = cpc[k]!));
  const L = new Float64Array(neta * neta);
  const dL = new Float64Array(neta * neta);
  const dRow = wrt >= 0 ? pairs[wrt]!.second : -1;
  const dCol = wrt >= 0 ? pairs[wrt]!.first : -1;
  for (let i = 0; i < neta; i++) {
    let s = 0; // Σ_{k<j} L[i][k]²
    let ds = 0;
    for (let j = 0; j < i; j++) {
      const cj = c[j * neta + i]!;
      const root = Math.sqrt(Math.max(0, 1 - s));
      const v = cj * root;
      let dv = 0;
      if (i === dRow) {
        const dc = j === dCol ? 1 - cj * cj : 0;
        dv = dc * root + (root > 0 ? (cj * -ds) / (2 * root) : 0);
      }
      L[i * neta + j] = v;
      dL[i * neta + j] = dv;
      s += v * v;
      ds += 2 * v * dv;
    }
    const root = Math.sqrt(Math.max(0, 1 - s));
    L[i * neta + i] = root;
    dL[i * neta + i] = i === dRow && root > 0 ? -ds / (2 * root) : 0;
  }
  return { L, dL };
}

/** The partial correlations (pairs order) of a correlation matrix R (neta × neta; 1 on the diagonal). */
export function partialCorrelations(neta: number, pairs: readonly IrCorrelation[], R: ArrayLike<number>): Float64Array {
  const L = new Float64Array(neta * neta);
  for (let i = 0; i < neta; i++) {
    for (let j = 0; j <= i; j++) {
      let s = R[i * neta + j]!;
      for (let k = 0; k < j; k++) s -= L[i * neta + k]! * L[j * neta + k]!;
      L[i * neta + j] = i === j ? Math.sqrt(Math.max(s, 0)) : s / L[j * neta + j]!;
    }
  }
  return Float64Array.from(pairs, (p) => {
    let s = 0;
    for (let k = 0; k < p.first; k++) s += L[p.second * neta + k]! ** 2;
    return L[p.second * neta + p.first]! / Math.sqrt(Math.max(1e-300, 1 - s));
  });
}

/** The correlation matrix R = L_R L_Rᵀ (neta × neta). */
export function correlationMatrix(neta: number, pairs: readonly IrCorrelation[], cpc: ArrayLike<number>): Float64Array {
  const L = correlationFactor(neta, pairs, cpc);
  const R = new Float64Array(neta * neta);
  for (let i = 0; i < neta; i++) for (let j = 0; j < neta; j++) {
    let v = 0;
    for (let k = 0; k <= Math.min(i, j); k++) v += L[i * neta + k]! * L[j * neta + k]!;
    R[i * neta + j] = v;
  }
  return R;
}

/** The initial partial correlations of the model's correlations (from their initial values). */
export function initialPartialCorrelations(neta: number, pairs: readonly (IrCorrelation & { readonly initial: number })[]): Float64Array {
  const R = new Float64Array(neta * neta);
  for (let i = 0; i < neta; i++) R[i * neta + i] = 1;
  for (const p of pairs) R[p.first * neta + p.second] = R[p.second * neta + p.first] = p.initial;
  return partialCorrelations(neta, pairs, R);
}

/** The prior of sds ω and partial correlations `cpc`. */
export function effectsPrior(omega: ArrayLike<number>, pairs: readonly IrCorrelation[], cpc: ArrayLike<number>): EffectsPrior {
  const neta = omega.length;
  const L = correlationFactor(neta, pairs, cpc);
  let logDet = 0;
  for (let i = 0; i < neta; i++) {
    for (let j = 0; j <= i; j++) L[i * neta + j] = L[i * neta + j]! * omega[i]!;
    logDet += Math.log(L[i * neta + i]!);
  }
  return { neta, L, logDet, diagonal: pairs.length === 0 };
}

/**
 * ∂L/∂v of the prior's entries: log ω_r scales row r of L (∂L/∂log ω_r = row r of L); z of a pair moves row
 * `second` of diag(ω) L_R. `entryOf` names the population-vector entry of each ω (by effect) and each pair (by
 * pair index), −1 when fixed.
 */
export function priorDerivatives(prior: EffectsPrior, omega: ArrayLike<number>, pairs: readonly IrCorrelation[], cpc: ArrayLike<number>, omegaEntry: ArrayLike<number>, pairEntry: ArrayLike<number>): PriorDerivatives {
  const n = prior.neta;
  const entries: { entry: number; dL: Float64Array }[] = [];
  for (let r = 0; r < n; r++) {
    if (omegaEntry[r]! < 0) continue;
    const dL = new Float64Array(n * n);
    for (let j = 0; j <= r; j++) dL[r * n + j] = prior.L[r * n + j]!;
    entries.push({ entry: omegaEntry[r]!, dL });
  }
  pairs.forEach((p, k) => {
    if (pairEntry[k]! < 0) return;
    const { dL } = correlationFactorWithDerivative(n, pairs, cpc, k);
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) dL[i * n + j] = dL[i * n + j]! * omega[i]!;
    entries.push({ entry: pairEntry[k]!, dL });
  });
  return { entries };
}

/** Adds Σ_ij G_ij ∂L_ij/∂v to gradient[entry] for each of the prior's entries (G: ∂f/∂L, lower triangle read). */
export function addEntryGradient(derivatives: PriorDerivatives, G: ArrayLike<number>, n: number, gradient: Float64Array, weight = 1): void {
  for (const { entry, dL } of derivatives.entries) {
    let v = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) v += G[i * n + j]! * dL[i * n + j]!;
    gradient[entry] = gradient[entry]! + weight * v;
  }
}

/** x = L⁻¹ b (forward substitution) into `out`. */
export function solveLower(L: ArrayLike<number>, n: number, b: ArrayLike<number>, offset: number, out: Float64Array): Float64Array {
  for (let i = 0; i < n; i++) {
    let v = b[offset + i]!;
    for (let k = 0; k < i; k++) v -= L[i * n + k]! * out[k]!;
    out[i] = v / L[i * n + i]!;
  }
  return out;
}

/** x = L⁻ᵀ b (back substitution) into `out`. */
export function solveUpper(L: ArrayLike<number>, n: number, b: ArrayLike<number>, out: Float64Array): Float64Array {
  for (let i = n - 1; i >= 0; i--) {
    let v = b[i]!;
    for (let k = i + 1; k < n; k++) v -= L[k * n + i]! * out[k]!;
    out[i] = v / L[i * n + i]!;
  }
  return out;
}

/** Scratch vectors for the per-draw functions (no allocation per draw). */
export class PriorWorkspace {
  readonly w: Float64Array;
  readonly a: Float64Array;
  constructor(n: number) {
    this.w = new Float64Array(n);
    this.a = new Float64Array(n);
  }
}

/** log N(η; 0, Ω) of η = values[offset …]; leaves w = L⁻¹η in the workspace. */
export function logPriorDensity(prior: EffectsPrior, values: ArrayLike<number>, offset: number, ws: PriorWorkspace): number {
  const n = prior.neta;
  solveLower(prior.L, n, values, offset, ws.w);
  let q = 0;
  for (let i = 0; i < n; i++) q += ws.w[i]! ** 2;
  return -n * HALF_LOG_2PI - prior.logDet - 0.5 * q;
}

/**
 * After `logPriorDensity` of the same η: a = Σ⁻¹η = L⁻ᵀ w into the workspace (∂ log N/∂η = −a), and, with `G`,
 * ∂ log N/∂L = lower(a wᵀ − L⁻ᵀ) written into G (its lower triangle; L⁻ᵀ is upper, so only its diagonal 1/L_ii).
 */
export function logPriorGradients(prior: EffectsPrior, ws: PriorWorkspace, G?: Float64Array): Float64Array {
  const n = prior.neta;
  solveUpper(prior.L, n, ws.w, ws.a);
  if (G) {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j <= i; j++) G[i * n + j] = ws.a[i]! * ws.w[j]! - (i === j ? 1 / prior.L[i * n + i]! : 0);
    }
  }
  return ws.a;
}

/** η = L ε for one draw: out[offset …] from standard normals eps[epsOffset …]. */
export function drawEffects(prior: EffectsPrior, eps: ArrayLike<number>, epsOffset: number, out: Float64Array, offset: number): void {
  const n = prior.neta;
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (let j = 0; j <= i; j++) v += prior.L[i * n + j]! * eps[epsOffset + j]!;
    out[offset + i] = v;
  }
}

export interface KlGradients {
  readonly kl: number;
  /** ∂KL/∂μ. */
  readonly dMu: Float64Array;
  /** ∂KL/∂L_q (lower triangle). */
  readonly dLq: Float64Array;
  /** ∂KL/∂L (lower triangle, the prior's factor). */
  readonly dL: Float64Array;
}

/**
 * KL(N(μ, L_q L_qᵀ) ‖ N(0, L Lᵀ)) = ½ [‖A‖²_F + ‖w‖² − n] + log|L| − log|L_q|, A = L⁻¹ L_q, w = L⁻¹ μ, with
 *   ∂/∂μ = Σ⁻¹ μ,  ∂/∂L_q = lower(Σ⁻¹ L_q − L_q⁻ᵀ),  ∂/∂L = lower(L⁻ᵀ (I − A Aᵀ − w wᵀ)).
 */
export function klToPrior(prior: EffectsPrior, mu: ArrayLike<number>, muOffset: number, Lq: ArrayLike<number>): KlGradients {
  const n = prior.neta;
  const L = prior.L;
  const w = solveLower(L, n, mu, muOffset, new Float64Array(n));
  const A = new Float64Array(n * n); // column j of A = L⁻¹ (column j of L_q)
  const col = new Float64Array(n);
  const x = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) col[i] = Lq[i * n + j]!;
    solveLower(L, n, col, 0, x);
    for (let i = 0; i < n; i++) A[i * n + j] = x[i]!;
  }
  let frob = 0;
  let ww = 0;
  let logDetQ = 0;
  for (let i = 0; i < n * n; i++) frob += A[i]! ** 2;
  for (let i = 0; i < n; i++) {
    ww += w[i]! ** 2;
    logDetQ += Math.log(Math.abs(Lq[i * n + i]!));
  }
  const kl = 0.5 * (frob + ww - n) + prior.logDet - logDetQ;
  const dMu = solveUpper(L, n, w, new Float64Array(n));
  // Σ⁻¹ L_q = L⁻ᵀ A, column by column.
  const dLq = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) col[i] = A[i * n + j]!;
    solveUpper(L, n, col, x);
    for (let i = j; i < n; i++) dLq[i * n + j] = x[i]!;
    dLq[j * n + j] = dLq[j * n + j]! - 1 / Lq[j * n + j]!;
  }
  // B = I − A Aᵀ − w wᵀ; ∂/∂L = L⁻ᵀ B, column by column.
  const dL = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let aa = 0;
      for (let k = 0; k < n; k++) aa += A[i * n + k]! * A[j * n + k]!;
      col[i] = (i === j ? 1 : 0) - aa - w[i]! * w[j]!;
    }
    solveUpper(L, n, col, x);
    for (let i = j; i < n; i++) dL[i * n + j] = x[i]!;
  }
  return { kl, dMu, dLq, dL };
}
