/** The Jacobi eigen-decomposition: A U = U Λ, U orthonormal, eigenvalues ascending, on known and random matrices. */
import { describe, expect, it } from 'vitest';
import { Random } from '../../runtime/nn/random.js';
import { symmetricEigen } from '../../runtime/uq/symmetric-eigen.js';

function check(a: Float64Array, n: number, tol = 1e-12): void {
  const { values, vectors } = symmetricEigen(a, n);
  let scale = 0;
  for (const x of a) scale = Math.max(scale, Math.abs(x));
  for (let k = 1; k < n; k++) expect(values[k]!).toBeGreaterThanOrEqual(values[k - 1]!);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      let av = 0;
      for (let j = 0; j < n; j++) av += a[i * n + j]! * vectors[j * n + k]!;
      expect(Math.abs(av - values[k]! * vectors[i * n + k]!)).toBeLessThan(tol * Math.max(1, scale));
    }
  }
  for (let k = 0; k < n; k++) {
    for (let m = 0; m < n; m++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += vectors[i * n + k]! * vectors[i * n + m]!;
      expect(Math.abs(dot - (k === m ? 1 : 0))).toBeLessThan(1e-12);
    }
  }
}

describe('symmetricEigen', () => {
  it('2 × 2 with known eigenvalues and vectors', () => {
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 14);
    expect(vectors[0]! * vectors[2]!).toBeCloseTo(-0.5, 14);
  });

  it('diagonal, 1 × 1, repeated eigenvalues and a singular matrix', () => {
    expect(Array.from(symmetricEigen(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3).values)).toEqual([-1, 2, 3]);
    expect(Array.from(symmetricEigen(Float64Array.from([5]), 1).values)).toEqual([5]);
    check(Float64Array.from([2, 0, 0, 0, 2, 0, 0, 0, 2]), 3);
    // Rank one: u uᵀ with u = (1, 2, 3): eigenvalues 0, 0, 14.
    const u = [1, 2, 3];
    const a = Float64Array.from({ length: 9 }, (_, k) => u[Math.floor(k / 3)]! * u[k % 3]!);
    const { values, vectors } = symmetricEigen(a, 3);
    expect(Math.abs(values[0]!)).toBeLessThan(1e-13);
    expect(values[2]).toBeCloseTo(14, 12);
    expect(Math.abs(vectors[0 * 3 + 2]!)).toBeCloseTo(1 / Math.sqrt(14), 12);
    check(a, 3);
  });

  it('random symmetric matrices up to 12 × 12, badly scaled ones too', () => {
    const random = new Random(3);
    for (const n of [2, 3, 5, 8, 12]) {
      const a = new Float64Array(n * n);
      for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = random.normal() * (i === j ? 10 ** (i % 4) : 1);
      check(a, n, 1e-11);
    }
  });

  it('refuses a non-finite entry', () => {
    expect(() => symmetricEigen(Float64Array.from([1, NaN, NaN, 1]), 2)).toThrow(/entry \(0, 1\) is NaN/);
  });
});
