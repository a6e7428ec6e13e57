/** The Cholesky factorization the uncertainty step (Laplace points) and model evaluation (NPDE) share. */

/**
 * The lower Cholesky factor L of a symmetric n × n matrix (row-major), A = L Lᵀ, or undefined when A is not
 * numerically positive definite (a pivot ≤ 1e-12 × the largest diagonal entry).
 */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array | undefined {
  const l = new Float64Array(n * n);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(a[i * n + i]!));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      if (i === j) {
        if (!(s > 1e-12 * scale)) return undefined;
        l[i * n + i] = Math.sqrt(s);
      } else l[i * n + j] = s / l[j * n + j]!;
    }
  }
  return l;
}
