/**
 * Closed forms for the linear-Gaussian model of linear.nlm: Y ~ N(Xβ, V(γ)) with X = [1, t, t²], β = (a, k, c),
 * V = ω_a² 11ᵀ + ω_k² t tᵀ + σ² I, γ = (log ω_a, log ω_k, log σ). With P = V⁻¹, r = y − Xβ, α = P r and
 * V_j = ∂V/∂γ_j (= 2 ω_j² z_j z_jᵀ, z = 1, t or the identity; V_jj = 2 V_j, V_jk = 0):
 *   ℓ = −½ n log 2π − ½ log|V| − ½ rᵀα
 *   ∂²ℓ/∂β∂βᵀ = −XᵀPX,   ∂²ℓ/∂β∂γ_j = −XᵀP V_j α,
 *   ∂²ℓ/∂γ_j∂γ_k = −½ tr(P V_jk) + ½ tr(P V_j P V_k) − αᵀ V_j P V_k α + ½ αᵀ V_jk α.
 * The posterior of η = (η_a, η_k) is N(S Zᵀ r / σ², S), S = (Ω⁻¹ + ZᵀZ/σ²)⁻¹, Z = [1, t].
 */
export interface Subject {
  readonly t: readonly number[];
  readonly y: readonly number[];
}

type Mat = number[][];

const zeros = (n: number, m: number): Mat => Array.from({ length: n }, () => new Array<number>(m).fill(0));
const mul = (A: Mat, B: Mat): Mat => A.map((row) => B[0]!.map((_, j) => row.reduce((s, x, k) => s + x * B[k]![j]!, 0)));
const transpose = (A: Mat): Mat => A[0]!.map((_, j) => A.map((row) => row[j]!));
const trace = (A: Mat): number => A.reduce((s, row, i) => s + row[i]!, 0);
const vec = (x: readonly number[]): Mat => x.map((v) => [v]);

/** Inverse and log-determinant of a symmetric positive-definite matrix by Cholesky. */
function spdInverse(A: Mat): { inv: Mat; logDet: number } {
  const n = A.length;
  const Lm = zeros(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i]![j]!;
      for (let k = 0; k < j; k++) s -= Lm[i]![k]! * Lm[j]![k]!;
      Lm[i]![j] = i === j ? Math.sqrt(s) : s / Lm[j]![j]!;
    }
  }
  let logDet = 0;
  for (let i = 0; i < n; i++) logDet += 2 * Math.log(Lm[i]![i]!);
  const inv = zeros(n, n);
  for (let c = 0; c < n; c++) {
    const z = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = 0; k < i; k++) s -= Lm[i]![k]! * z[k]!;
      z[i] = s / Lm[i]![i]!;
    }
    for (let i = n - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < n; k++) s -= Lm[k]![i]! * inv[k]![c]!;
      inv[i]![c] = s / Lm[i]![i]!;
    }
  }
  return { inv, logDet };
}

/** v = (a, k, c, log ω_a, log ω_k, log σ). */
export function closedForm(subject: Subject, v: ArrayLike<number>): { logLik: number; hessian: Float64Array; posterior: { mean: number[]; cov: number[] } } {
  const { t, y } = subject;
  const n = t.length;
  const [a, k, c, la, lk, ls] = Array.from(v) as [number, number, number, number, number, number];
  const wa = Math.exp(2 * la);
  const wk = Math.exp(2 * lk);
  const s2 = Math.exp(2 * ls);
  const X: Mat = t.map((x) => [1, x, x * x]);
  const one = vec(t.map(() => 1));
  const tt = vec(t);
  const outer = (z: Mat): Mat => mul(z, transpose(z));
  const I: Mat = zeros(n, n).map((row, i) => row.map((_, j) => (i === j ? 1 : 0)));
  const scale = (A: Mat, f: number): Mat => A.map((row) => row.map((x) => x * f));
  const add = (...As: Mat[]): Mat => As[0]!.map((row, i) => row.map((_, j) => As.reduce((s, A) => s + A[i]![j]!, 0)));
  const Vj = [scale(outer(one), 2 * wa), scale(outer(tt), 2 * wk), scale(I, 2 * s2)];
  const V = add(scale(outer(one), wa), scale(outer(tt), wk), scale(I, s2));
  const { inv: P, logDet } = spdInverse(V);
  const r = vec(y.map((yy, j) => yy - (a + k * t[j]! + c * t[j]! * t[j]!)));
  const alpha = mul(P, r);
  const logLik = -0.5 * n * Math.log(2 * Math.PI) - 0.5 * logDet - 0.5 * mul(transpose(r), alpha)[0]![0]!;
  const H = new Float64Array(36);
  const XtPX = mul(mul(transpose(X), P), X);
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) H[i * 6 + j] = -XtPX[i]![j]!;
  for (let q = 0; q < 3; q++) {
    const cross = mul(mul(mul(transpose(X), P), Vj[q]!), alpha);
    for (let i = 0; i < 3; i++) {
      H[i * 6 + 3 + q] = -cross[i]![0]!;
      H[(3 + q) * 6 + i] = -cross[i]![0]!;
    }
    for (let q2 = 0; q2 < 3; q2++) {
      const Vjk = q === q2 ? scale(Vj[q]!, 2) : zeros(n, n);
      const PVj = mul(P, Vj[q]!);
      const PVk = mul(P, Vj[q2]!);
      H[(3 + q) * 6 + 3 + q2] = -0.5 * trace(mul(P, Vjk)) + 0.5 * trace(mul(PVj, PVk)) - mul(mul(transpose(alpha), mul(Vj[q]!, PVk)), alpha)[0]![0]! + 0.5 * mul(mul(transpose(alpha), Vjk), alpha)[0]![0]!;
    }
  }
  const Z: Mat = t.map((x) => [1, x]);
  const precision = add([[1 / wa, 0], [0, 1 / wk]], scale(mul(transpose(Z), Z), 1 / s2));
  const S = spdInverse(precision).inv;
  const mean = mul(S, scale(mul(transpose(Z), r), 1 / s2)).map((row) => row[0]!);
  return { logLik, hessian: H, posterior: { mean, cov: [S[0]![0]!, S[0]![1]!, S[1]![0]!, S[1]![1]!] } };
}
