/**
 * Eigen-decomposition of a small symmetric matrix by the cyclic Jacobi method (Golub & Van Loan, §8.5): plane
 * rotations annihilate each off-diagonal entry in turn until the off-diagonal mass is below round-off. For the
 * d × d information matrices here (d ≲ 30) it is exact to a few ulps of the largest eigenvalue, converges
 * quadratically, and needs no dependency: no small, maintained npm package does only this (ml-matrix is a whole
 * matrix library; numeric is unmaintained since 2012).
 */

export interface SymmetricEigen {
  /** Eigenvalues, ascending. */
  readonly values: Float64Array;
  /** n × n, row-major; column k (vectors[i * n + k], i = 0..n−1) is the unit eigenvector of values[k]. */
  readonly vectors: Float64Array;
}

/** `a` is n × n row-major and must be symmetric (only its upper triangle is read). It is not modified. */
export function symmetricEigen(a: ArrayLike<number>, n: number): SymmetricEigen {
  if (a.length !== n * n) throw new RangeError(`symmetricEigen: ${a.length} entries for a ${n} × ${n} matrix`);
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      const v = a[i * n + j]!;
      if (!Number.isFinite(v)) throw new RangeError(`symmetricEigen: entry (${i}, ${j}) is ${v}`);
      m[i * n + j] = v;
      m[j * n + i] = v;
    }
  }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale = Math.max(scale, Math.abs(m[i]!));
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q]! ** 2;
    if (off === 0 || Math.sqrt(off) <= 1e-17 * scale) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q]!;
        if (apq === 0) continue;
        const app = m[p * n + p]!;
        const aqq = m[q * n + q]!;
        // The rotation angle that zeroes (p, q): t = tan θ, the smaller root of t² + 2τt − 1 = 0.
        const tau = (aqq - app) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = m[k * n + p]!;
          const akq = m[k * n + q]!;
          m[k * n + p] = c * akp - s * akq;
          m[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = m[p * n + k]!;
          const aqk = m[q * n + k]!;
          m[p * n + k] = c * apk - s * aqk;
          m[q * n + k] = s * apk + c * aqk;
        }
        m[p * n + q] = 0;
        m[q * n + p] = 0;
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p]!;
          const vkq = v[k * n + q]!;
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, k) => k).sort((x, y) => m[x * n + x]! - m[y * n + y]!);
  const values = Float64Array.from(order, (k) => m[k * n + k]!);
  const vectors = new Float64Array(n * n);
  order.forEach((k, col) => {
    // Sign convention: the largest component of each eigenvector is positive, so results are reproducible.
    let big = 0;
    for (let i = 0; i < n; i++) if (Math.abs(v[i * n + k]!) > Math.abs(big)) big = v[i * n + k]!;
    const sign = big < 0 ? -1 : 1;
    for (let i = 0; i < n; i++) vectors[i * n + col] = sign * v[i * n + k]!;
  });
  return { values, vectors };
}
