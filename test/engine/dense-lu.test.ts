/** The small dense LU with partial pivoting that the Rosenbrock stepper factors I − hγJ with. */
import { describe, expect, it } from 'vitest';
import { DenseLu } from '../../runtime/engine/cpu/dense-lu.js';

/** A reproducible pseudo-random sequence in [−1, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  };
}

/** Row-major A (n × n) times X (n × m). */
function multiply(a: ArrayLike<number>, x: ArrayLike<number>, n: number, m: number): Float64Array {
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let k = 0; k < m; k++) {
    let acc = 0;
    for (let j = 0; j < n; j++) acc += a[i * n + j]! * x[j * m + k]!;
    out[i * m + k] = acc;
  }
  return out;
}

describe('DenseLu', () => {
  it('solves random systems of sizes 1 to 12 to near rounding, for one and several right-hand sides', () => {
    const rnd = random(7);
    for (let n = 1; n <= 12; n++) {
      for (const m of [1, 3]) {
        const a = Float64Array.from({ length: n * n }, rnd);
        const x = Float64Array.from({ length: n * m }, rnd);
        const b = multiply(a, x, n, m);
        const lu = new DenseLu(n);
        expect(lu.factor(a)).toBe(true);
        lu.solve(b, 0, m);
        for (let i = 0; i < n * m; i++) expect(Math.abs(b[i]! - x[i]!)).toBeLessThan(1e-10);
      }
    }
  });

  it('pivots: a zero on the diagonal is fine, and a tiny pivot does not lose accuracy', () => {
    const lu = new DenseLu(2);
    expect(lu.factor([0, 1, 1, 0])).toBe(true);
    const b = new Float64Array([2, 3]);
    lu.solve(b);
    expect(Array.from(b)).toEqual([3, 2]);
    // Without pivoting, eliminating with 1e-20 would give x = (0, 1) instead of ≈ (1, 1).
    expect(lu.factor([1e-20, 1, 1, 1])).toBe(true);
    const c = new Float64Array([1, 2]);
    lu.solve(c);
    expect(c[0]!).toBeCloseTo(1, 12);
    expect(c[1]!).toBeCloseTo(1, 12);
  });

  it('reports a singular or non-finite matrix instead of dividing by zero', () => {
    const lu = new DenseLu(3);
    expect(lu.factor([1, 2, 3, 2, 4, 6, 1, 0, 1])).toBe(false);
    expect(lu.factor([1, 0, 0, 0, NaN, 0, 0, 0, 1])).toBe(false);
    expect(() => lu.solve(new Float64Array(3))).toThrow(/no successful factorization/);
    expect(() => lu.factor([1, 2, 3])).toThrow(/expected 9 entries/);
  });

  it('solves in place at an offset, leaving the rest of the array alone (the sensitivity block of y = [x; S])', () => {
    const a = [4, 1, 0, 1, 3, 1, 0, 1, 2];
    const lu = new DenseLu(3);
    expect(lu.factor(a)).toBe(true);
    const x = [1, -2, 0.5, 3, 2, -1]; // 3 × 2
    const rhs = multiply(a, x, 3, 2);
    const y = new Float64Array([7, 8, 9, ...rhs]);
    lu.solve(y, 3, 2);
    expect(Array.from(y.subarray(0, 3))).toEqual([7, 8, 9]);
    y.subarray(3).forEach((v, i) => expect(v).toBeCloseTo(x[i]!, 13));
  });
});
