/**
 * Small dense LU factorization with partial pivoting (Doolittle, row-major, in place), for the n × n matrix
 * I − hγJ of the Rosenbrock stepper. Allocation-free after construction: the stepper factors once per step and
 * solves for several right-hand sides (the state and each sensitivity column) with the same factors.
 */
export class DenseLu {
  /** L (unit diagonal, below) and U (on and above the diagonal) of P·A, row-major. */
  readonly lu: Float64Array;
  /** Row i of P·A is row perm[i] of A. */
  readonly perm: Int32Array;
  private factored = false;

  constructor(readonly n: number) {
    this.lu = new Float64Array(n * n);
    this.perm = new Int32Array(n);
  }

  /**
   * Factors the row-major n × n matrix `a` (not modified). Returns false when a pivot is zero or not finite (a
   * singular or non-finite matrix); `solve` must not be called then.
   */
  factor(a: ArrayLike<number>): boolean {
    const n = this.n;
    const lu = this.lu;
    if (a.length !== n * n) throw new Error(`DenseLu.factor: expected ${n * n} entries, got ${a.length}`);
    for (let i = 0; i < n * n; i++) lu[i] = a[i]!;
    for (let i = 0; i < n; i++) this.perm[i] = i;
    this.factored = false;
    for (let k = 0; k < n; k++) {
      // Partial pivoting: the largest |entry| of column k on or below the diagonal.
      let p = k;
      let best = Math.abs(lu[k * n + k]!);
      for (let i = k + 1; i < n; i++) {
        const v = Math.abs(lu[i * n + k]!);
        if (v > best) {
          best = v;
          p = i;
        }
      }
      if (!(best > 0) || !Number.isFinite(best)) return false;
      if (p !== k) {
        for (let j = 0; j < n; j++) {
          const tmp = lu[k * n + j]!;
          lu[k * n + j] = lu[p * n + j]!;
          lu[p * n + j] = tmp;
        }
        const tp = this.perm[k]!;
        this.perm[k] = this.perm[p]!;
        this.perm[p] = tp;
      }
      const pivot = lu[k * n + k]!;
      for (let i = k + 1; i < n; i++) {
        const l = lu[i * n + k]! / pivot;
        lu[i * n + k] = l;
        if (l === 0) continue;
        for (let j = k + 1; j < n; j++) lu[i * n + j] = lu[i * n + j]! - l * lu[k * n + j]!;
      }
    }
    this.factored = true;
    return true;
  }

  /**
   * Solves A X = B in place for an n × m right-hand side stored row-major in `b` from `offset` (entry (i, k) at
   * b[offset + i·m + k]); m = 1 is a vector. `work` needs n·m entries.
   */
  solve(b: Float64Array, offset = 0, m = 1, work: Float64Array = new Float64Array(this.n * m)): void {
    if (!this.factored) throw new Error('DenseLu.solve: no successful factorization');
    const n = this.n;
    const lu = this.lu;
    // Permute: work = P·B.
    for (let i = 0; i < n; i++) {
      const src = offset + this.perm[i]! * m;
      for (let k = 0; k < m; k++) work[i * m + k] = b[src + k]!;
    }
    // Forward substitution with unit-diagonal L.
    for (let i = 1; i < n; i++) {
      for (let j = 0; j < i; j++) {
        const l = lu[i * n + j]!;
        if (l === 0) continue;
        for (let k = 0; k < m; k++) work[i * m + k] = work[i * m + k]! - l * work[j * m + k]!;
      }
    }
    // Back substitution with U.
    for (let i = n - 1; i >= 0; i--) {
      for (let j = i + 1; j < n; j++) {
        const u = lu[i * n + j]!;
        if (u === 0) continue;
        for (let k = 0; k < m; k++) work[i * m + k] = work[i * m + k]! - u * work[j * m + k]!;
      }
      const d = lu[i * n + i]!;
      for (let k = 0; k < m; k++) {
        const x = work[i * m + k]! / d;
        work[i * m + k] = x;
        b[offset + i * m + k] = x;
      }
    }
  }
}
