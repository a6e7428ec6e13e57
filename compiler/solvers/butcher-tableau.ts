/**
 * Explicit Runge–Kutta methods as validated data (Diffrax's approach): a stepper is written once against this
 * record, and the WGSL emitter can unroll the same record into straight-line stage code.
 *
 *   c | A        stage i: k_i = f(t + c_i h, y + h Σ_j a_ij k_j)
 *   --+-----     solution: y + h Σ b_i k_i; embedded: y + h Σ bHat_i k_i
 *     | b        error estimate: h Σ (b_i − bHat_i) k_i
 *     | bHat
 */

export interface ButcherTableau {
  readonly name: string;
  /** Order of the propagated solution (b). */
  readonly order: number;
  /** Order of the embedded solution (bHat). */
  readonly embeddedOrder: number;
  readonly c: readonly number[];
  /** Strictly lower triangular; row i has i entries. */
  readonly a: readonly (readonly number[])[];
  readonly b: readonly number[];
  readonly bHat: readonly number[];
  /** First Same As Last: the last stage is evaluated at the new point, so it is the next step's first stage. */
  readonly fsal: boolean;
}

/** Checks the consistency conditions every tableau must meet; throws on a malformed record (a bug, not user input). */
export function validateTableau(t: Omit<ButcherTableau, 'fsal'>): ButcherTableau {
  const s = t.c.length;
  const tol = 1e-14;
  if (t.a.length !== s || t.b.length !== s || t.bHat.length !== s) throw new Error(`${t.name}: tableau sizes disagree`);
  t.a.forEach((row, i) => {
    if (row.length !== i) throw new Error(`${t.name}: row ${i} of A must have ${i} entries`);
    const sum = row.reduce((x, y) => x + y, 0);
    if (Math.abs(sum - t.c[i]!) > tol) throw new Error(`${t.name}: row ${i} of A must sum to c_${i}`);
  });
  if (Math.abs(t.b.reduce((x, y) => x + y, 0) - 1) > tol) throw new Error(`${t.name}: weights b must sum to 1`);
  if (Math.abs(t.bHat.reduce((x, y) => x + y, 0) - 1) > tol) throw new Error(`${t.name}: weights bHat must sum to 1`);
  const last = t.a[s - 1]!;
  const fsal = t.c[s - 1] === 1 && last.every((v, j) => Math.abs(v - t.b[j]!) < tol) && t.b[s - 1] === 0;
  return { ...t, fsal };
}

/** Dormand–Prince 5(4), the default explicit method (Hairer, Nørsett & Wanner, DOPRI5). FSAL, 7 stages. */
export const dormandPrince5: ButcherTableau = validateTableau({
  name: 'Dormand–Prince 5(4)',
  order: 5,
  embeddedOrder: 4,
  c: [0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1, 1],
  a: [
    [],
    [1 / 5],
    [3 / 40, 9 / 40],
    [44 / 45, -56 / 15, 32 / 9],
    [19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729],
    [9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656],
    [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84],
  ],
  b: [35 / 384, 0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0],
  bHat: [5179 / 57600, 0, 7571 / 16695, 393 / 640, -92097 / 339200, 187 / 2100, 1 / 40],
});
