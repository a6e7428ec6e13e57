/**
 * Normalization over the last axis (the feature axis), without the affine part (the LayerNorm layer adds
 * γ·x̂ + β with broadcasting ops):
 *
 *   x̂ = (x − μ) / √(σ² + ε),   μ and σ² the mean and (biased) variance of the row.
 *
 * Backward, with s = 1/√(σ² + ε) and n the row length: ∂L/∂x = s·(g − mean(g) − x̂·mean(g·x̂)).
 */
import { add, mul } from './ops-elementwise.js';
import { Tensor, fromOp } from './tensor.js';

/** Normalizes each row (last axis) to mean 0 and variance 1 (up to ε in the variance). */
export function normalizeLastAxis(a: Tensor, eps = 1e-5): Tensor {
  if (a.rank === 0) throw new Error('normalizeLastAxis: a scalar has no feature axis');
  const n = a.shape[a.rank - 1]!;
  const rows = n === 0 ? 0 : a.size / n;
  const ad = a.data;
  const out = new Float64Array(a.size);
  const inv = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    let mu = 0;
    for (let j = 0; j < n; j++) mu += ad[o + j]!;
    mu /= n;
    let v = 0;
    for (let j = 0; j < n; j++) {
      const d = ad[o + j]! - mu;
      v += d * d;
    }
    const s = 1 / Math.sqrt(v / n + eps);
    inv[r] = s;
    for (let j = 0; j < n; j++) out[o + j] = (ad[o + j]! - mu) * s;
  }
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let r = 0; r < rows; r++) {
      const o = r * n;
      let mg = 0;
      let mgx = 0;
      for (let j = 0; j < n; j++) {
        mg += g[o + j]!;
        mgx += g[o + j]! * out[o + j]!;
      }
      mg /= n;
      mgx /= n;
      const s = inv[r]!;
      for (let j = 0; j < n; j++) ga[o + j]! += s * (g[o + j]! - mg - out[o + j]! * mgx);
    }
  });
}

/** Layer normalization over the last axis: γ ⊙ x̂ + β, with γ and β of the last axis's length (optional). */
export function layerNorm(a: Tensor, gamma?: Tensor, beta?: Tensor, eps = 1e-5): Tensor {
  let y = normalizeLastAxis(a, eps);
  if (gamma !== undefined) y = mul(y, gamma);
  if (beta !== undefined) y = add(y, beta);
  return y;
}
