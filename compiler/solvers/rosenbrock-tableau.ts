/**
 * Linearly implicit (Rosenbrock and Rosenbrock-W) methods as validated data, like butcher-tableau.ts. A stepper is
 * written once against this record (runtime/engine/cpu/rosenbrock.ts).
 *
 * Hairer & Wanner's form (Solving ODEs II, §IV.7), for y' = f(t, y) with W ≈ ∂f/∂y and w ≈ ∂f/∂t:
 *
 *   (I − hγW) k_i = h f(t + α_i h, y + Σ_{j<i} α_ij k_j) + h W Σ_{j<i} γ_ij k_j + h² γ_i w
 *   y₁ = y + Σ b_i k_i,   embedded ŷ₁ = y + Σ bHat_i k_i,   error estimate Σ (b_i − bHat_i) k_i
 *
 * with α_i = Σ_{j<i} α_ij and γ_i = γ + Σ_{j<i} γ_ij. One matrix I − hγW per step (γ is the same on every stage).
 *
 * A W-method keeps its order for ANY matrix W (not only the exact Jacobian): its order conditions hold term by
 * term in W. That is what lets the engine use a block-diagonal approximation of the sensitivity system's
 * Jacobian and drop parts of ∂f/∂t (see rosenbrock.ts). Writing the autonomous system z = (y, t), a W-method is
 * applied with the matrix [[W, w], [0, 0]]: the time component gives k_i^t = h, and the y component is the stage
 * equation above, so any w (including 0) is also covered by the W-method conditions.
 */

export interface RosenbrockTableauInput {
  readonly name: string;
  /** Order of the propagated solution (b). */
  readonly order: number;
  /** Order of the embedded solution (bHat). */
  readonly embeddedOrder: number;
  /**
   * 'W': the order conditions hold for an arbitrary W (checked); 'exact-jacobian': only with W = ∂f/∂y and
   * w = ∂f/∂t (a classical Rosenbrock method).
   */
  readonly kind: 'W' | 'exact-jacobian';
  /** The diagonal γ of Γ. */
  readonly gamma: number;
  /** α_ij, strictly lower triangular: row i has i entries. */
  readonly alpha: readonly (readonly number[])[];
  /** γ_ij below the diagonal, strictly lower triangular: row i has i entries. */
  readonly gammaLower: readonly (readonly number[])[];
  readonly b: readonly number[];
  readonly bHat: readonly number[];
  /** Claimed: b_i = α_si + γ_si (γ_ss = γ) and α_s = 1, so y₁ is the last stage's argument plus k_s. Checked. */
  readonly stifflyAccurate: boolean;
}

export interface RosenbrockTableau extends RosenbrockTableauInput {
  /** α_i = Σ_j α_ij: stage i is evaluated at t + α_i h. */
  readonly c: readonly number[];
  /** γ_i = γ + Σ_j γ_ij: the coefficient of h² ∂f/∂t in stage i. */
  readonly gammaSum: readonly number[];
  /** The stability function at infinity, R(∞) = 1 − bᵀB⁻¹1 with B = (α_ij + γ_ij) incl. the diagonal. 0: L-stable limit. */
  readonly rInfinity: number;
}

const sum = (v: readonly number[]): number => v.reduce((x, y) => x + y, 0);

/**
 * The order conditions of a Rosenbrock-W method up to order 3 (derived by expanding the stages in powers of h with
 * W independent of f; elementary differentials f, f'f, Wf, f''(f,f), f'f'f, f'Wf, Wf'f, WWf):
 *   1: Σ b_i = 1
 *   2: Σ b_i α_i = 1/2,                 Σ b_i γ_i = 0
 *   3: Σ b_i α_i² = 1/3,                Σ b_i α_ij α_j = 1/6,
 *      Σ b_i α_ij γ_j = 0,             Σ b_i Γ_ij α_j = 0,       Σ b_i Γ_ij γ_j = 0      (Γ incl. its diagonal)
 * With W = ∂f/∂y the f'- and W-trees merge and only the sums survive (Hairer & Wanner II, §IV.7, with β = α + Γ):
 *   2: Σ b_i (α_i + γ_i) = 1/2,   3: Σ b_i α_i² = 1/3,   Σ b_i B_ij (α_j + γ_j) = 1/6,  B = α + Γ.
 * Returns the residual of each condition up to `order` (at most 3: higher orders are not checked).
 */
export function orderConditionResiduals(t: Pick<RosenbrockTableauInput, 'kind' | 'gamma' | 'alpha' | 'gammaLower'>, b: readonly number[], order: number): number[] {
  const s = b.length;
  const alphaAt = (i: number, j: number): number => (j < i ? t.alpha[i]![j]! : 0);
  const gammaAt = (i: number, j: number): number => (j < i ? t.gammaLower[i]![j]! : j === i ? t.gamma : 0);
  const a = Array.from({ length: s }, (_, i) => sum(t.alpha[i]!.slice()));
  const g = Array.from({ length: s }, (_, i) => t.gamma + sum(t.gammaLower[i]!.slice()));
  const bSum = (term: (i: number) => number): number => b.reduce((acc, bi, i) => acc + bi * term(i), 0);
  const inner = (i: number, m: (i: number, j: number) => number, v: readonly number[]): number => {
    let acc = 0;
    for (let j = 0; j < s; j++) acc += m(i, j) * v[j]!;
    return acc;
  };
  const r: number[] = [bSum(() => 1) - 1];
  if (order >= 2) {
    if (t.kind === 'W') r.push(bSum((i) => a[i]!) - 1 / 2, bSum((i) => g[i]!));
    else r.push(bSum((i) => a[i]! + g[i]!) - 1 / 2);
  }
  if (order >= 3) {
    r.push(bSum((i) => a[i]! ** 2) - 1 / 3);
    if (t.kind === 'W') {
      r.push(
        bSum((i) => inner(i, alphaAt, a)) - 1 / 6,
        bSum((i) => inner(i, alphaAt, g)),
        bSum((i) => inner(i, gammaAt, a)),
        bSum((i) => inner(i, gammaAt, g)),
      );
    } else {
      const ag = a.map((ai, i) => ai + g[i]!);
      r.push(bSum((i) => inner(i, (p, q) => alphaAt(p, q) + gammaAt(p, q), ag)) - 1 / 6);
    }
  }
  return r;
}

/** Checks a Rosenbrock tableau's consistency and order conditions; throws on a malformed record (a bug, not user input). */
export function validateRosenbrockTableau(t: RosenbrockTableauInput): RosenbrockTableau {
  const s = t.b.length;
  const tol = 1e-12;
  const fail = (why: string): never => {
    throw new Error(`${t.name}: ${why}`);
  };
  if (s < 1) fail('a method needs at least one stage');
  if (t.alpha.length !== s || t.gammaLower.length !== s || t.bHat.length !== s) fail('tableau sizes disagree');
  if (!(t.gamma > 0)) fail('the diagonal γ must be positive');
  for (let i = 0; i < s; i++) {
    if (t.alpha[i]!.length !== i) fail(`row ${i} of alpha must have ${i} entries`);
    if (t.gammaLower[i]!.length !== i) fail(`row ${i} of gammaLower must have ${i} entries`);
  }
  const all = [t.gamma, ...t.alpha.flat(), ...t.gammaLower.flat(), ...t.b, ...t.bHat];
  if (!all.every(Number.isFinite)) fail('coefficients must be finite');
  if (!(t.embeddedOrder >= 1 && t.order > t.embeddedOrder)) fail('the embedded order must be at least 1 and below the order');
  if (t.b.every((bi, i) => Math.abs(bi - t.bHat[i]!) < tol)) fail('b and bHat coincide: no error estimate');

  orderConditionResiduals(t, t.b, Math.min(t.order, 3)).forEach((r, k) => {
    if (Math.abs(r) > tol) fail(`order condition ${k + 1} for b fails (residual ${r.toExponential(2)})`);
  });
  orderConditionResiduals(t, t.bHat, Math.min(t.embeddedOrder, 3)).forEach((r, k) => {
    if (Math.abs(r) > tol) fail(`order condition ${k + 1} for bHat fails (residual ${r.toExponential(2)})`);
  });

  const c = t.alpha.map((row) => sum(row.slice()));
  const gammaSum = t.gammaLower.map((row) => t.gamma + sum(row.slice()));
  if (c.some((ci) => ci < -tol || ci > 1 + tol)) fail('stage times α_i must lie in [0, 1]');
  if (t.stifflyAccurate) {
    const last = s - 1;
    if (Math.abs(c[last]! - 1) > tol) fail('stiffly accurate: the last stage must be at t + h (α_s = 1)');
    for (let j = 0; j < s; j++) {
      const bsj = (j < last ? t.alpha[last]![j]! + t.gammaLower[last]![j]! : t.gamma);
      if (Math.abs(bsj - t.b[j]!) > tol) fail(`stiffly accurate: b_${j} must equal α_s${j} + γ_s${j}`);
    }
  }
  const rInfinity = stabilityAtInfinity(t);
  if (!(Math.abs(rInfinity) <= 1 + tol)) fail(`|R(∞)| = ${Math.abs(rInfinity)} > 1: not A-stable`);
  if (t.stifflyAccurate && Math.abs(rInfinity) > 1e-10) fail(`a stiffly accurate method must have R(∞) = 0, got ${rInfinity}`);
  return { ...t, c, gammaSum, rInfinity };
}

/** R(∞) = 1 − bᵀ B⁻¹ 1, B = α + Γ lower triangular with γ on the diagonal (forward substitution). */
function stabilityAtInfinity(t: RosenbrockTableauInput): number {
  const s = t.b.length;
  // Solve Bᵀ v = b by back substitution, then R(∞) = 1 − Σ v_i.
  const v = new Array<number>(s).fill(0);
  for (let i = s - 1; i >= 0; i--) {
    let acc = t.b[i]!;
    for (let j = i + 1; j < s; j++) acc -= (t.alpha[j]![i]! + t.gammaLower[j]![i]!) * v[j]!;
    v[i] = acc / t.gamma;
  }
  return 1 - sum(v);
}

/**
 * ROS34PW2 (J. Rang & L. Angermann, "New Rosenbrock W-methods of order 3 for partial differential algebraic
 * equations of index 1", BIT Numer. Math. 45 (2005) 761–787): 4 stages, order 3, embedded order 2, a W-method,
 * stiffly accurate, L-stable.
 *
 * Coefficients as published, copied from two independent public implementations that agree digit for digit:
 * PETSc src/ts/impls/rosw/rosw.c (TSROSWRA34PW2: A, Gamma, b, b2) and MATLODE
 * Coefficients/ROS_Coefficients/Coefficients_ROS34PW2.m (ros_A, ros_C, ros_M, ros_E, Gamma_ii).
 * validateRosenbrockTableau checks them against the W-method order conditions to 1e-12.
 */
export const ros34pw2: RosenbrockTableau = validateRosenbrockTableau({
  name: 'ROS34PW2',
  order: 3,
  embeddedOrder: 2,
  kind: 'W',
  gamma: 4.3586652150845900e-1,
  alpha: [
    [],
    [8.7173304301691801e-1],
    [8.4457060015369423e-1, -1.1299064236484185e-1],
    [0, 0, 1],
  ],
  gammaLower: [
    [],
    [-8.7173304301691801e-1],
    [-9.0338057013044082e-1, 5.4180672388095326e-2],
    [2.4212380706095346e-1, -1.2232505839045147, 5.4526025533510214e-1],
  ],
  b: [2.4212380706095346e-1, -1.2232505839045147, 1.5452602553351020, 4.3586652150845900e-1],
  bHat: [3.7810903145819369e-1, -9.6042292212423178e-2, 5.0000000000000000e-1, 2.1793326075422950e-1],
  stifflyAccurate: true,
});
