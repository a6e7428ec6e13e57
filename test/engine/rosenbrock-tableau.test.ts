/** The Rosenbrock tableau record and its validation: ROS34PW2 passes, malformed records throw. */
import { describe, expect, it } from 'vitest';
import { orderConditionResiduals, ros34pw2, validateRosenbrockTableau, type RosenbrockTableauInput } from '../../compiler/solvers/rosenbrock-tableau.js';

const input: RosenbrockTableauInput = {
  name: ros34pw2.name, order: ros34pw2.order, embeddedOrder: ros34pw2.embeddedOrder, kind: ros34pw2.kind, gamma: ros34pw2.gamma,
  alpha: ros34pw2.alpha, gammaLower: ros34pw2.gammaLower, b: ros34pw2.b, bHat: ros34pw2.bHat, stifflyAccurate: ros34pw2.stifflyAccurate,
};
const withB = (i: number, delta: number): number[] => input.b.map((v, j) => (j === i ? v + delta : v));

describe('Rosenbrock tableaus', () => {
  it('ROS34PW2 satisfies the W-method conditions of order 3 (and 2 for the embedded pair), and is stiffly accurate', () => {
    for (const r of orderConditionResiduals(ros34pw2, ros34pw2.b, 3)) expect(Math.abs(r)).toBeLessThan(1e-14);
    for (const r of orderConditionResiduals(ros34pw2, ros34pw2.bHat, 2)) expect(Math.abs(r)).toBeLessThan(1e-14);
    expect(ros34pw2.c[3]).toBeCloseTo(1, 15);
    expect(Math.abs(ros34pw2.rInfinity)).toBeLessThan(1e-12); // L-stable limit
    // γ_s = γ + Σ_j γ_sj = Σ_j b_j − α_s = 0 for the last stage: a consequence of stiff accuracy.
    expect(Math.abs(ros34pw2.gammaSum[3]!)).toBeLessThan(1e-15);
  });

  it('the embedded method is only of order 2: the third-order W conditions fail for bHat', () => {
    const r = orderConditionResiduals(ros34pw2, ros34pw2.bHat, 3);
    expect(r.slice(3).some((v) => Math.abs(v) > 1e-3)).toBe(true);
  });

  it('throws on malformed records', () => {
    expect(() => validateRosenbrockTableau({ ...input, b: withB(0, 1e-6) })).toThrow(/order condition 1 for b/);
    // Moving weight between b_1 and b_2 keeps Σ b = 1 but breaks a higher condition.
    expect(() => validateRosenbrockTableau({ ...input, b: input.b.map((v, j) => (j === 1 ? v + 1e-3 : j === 2 ? v - 1e-3 : v)) })).toThrow(/order condition \d for b/);
    expect(() => validateRosenbrockTableau({ ...input, alpha: [[], [0.8], [0.84, -0.11], [0, 0, 1]] })).toThrow(/order condition/);
    expect(() => validateRosenbrockTableau({ ...input, alpha: [[], [0.8], [0.84], [0, 0, 1]] })).toThrow(/row 2 of alpha/);
    expect(() => validateRosenbrockTableau({ ...input, bHat: input.bHat.slice(0, 3) })).toThrow(/sizes disagree/);
    expect(() => validateRosenbrockTableau({ ...input, gamma: -input.gamma })).toThrow(/γ must be positive/);
    expect(() => validateRosenbrockTableau({ ...input, bHat: input.b })).toThrow(/no error estimate/);
    expect(() => validateRosenbrockTableau({ ...input, embeddedOrder: 3 })).toThrow(/embedded order/);
    expect(() => validateRosenbrockTableau({ ...input, b: [NaN, 0, 0, 1] })).toThrow(/finite/);
  });

  it('checks a claimed stiff accuracy', () => {
    // A consistent but not stiffly accurate variant: use the embedded weights as the "solution" of an order-2 method.
    const order2 = { ...input, order: 2, embeddedOrder: 1, b: input.bHat, bHat: [1, 0, 0, 0] };
    expect(() => validateRosenbrockTableau(order2)).toThrow(/stiffly accurate/);
    const ok = validateRosenbrockTableau({ ...order2, stifflyAccurate: false });
    expect(ok.order).toBe(2);
  });
});
