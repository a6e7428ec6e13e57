/**
 * Softmax over one axis with an optional additive mask:
 *
 *   y_j = exp(z_j − max_k z_k) / Σ_k exp(z_k − max_k z_k),   z = x + mask,
 *
 * where the mask is a constant (no gradient) broadcastable to x holding 0 for allowed entries and −∞ for
 * excluded ones, which get weight exactly 0 and no gradient. Subtracting the max keeps exp from overflowing. A
 * slice whose entries are all excluded gets all-zero weights (instead of 0/0), so a fully padded sequence
 * contributes nothing. Backward: ∂L/∂x_j = y_j (g_j − Σ_k y_k g_k).
 */
import { broadcastMap } from './broadcast.js';
import { Tensor, fromOp, normalizeAxis } from './tensor.js';

/** Softmax of `a` over `axis` (default last), with an optional additive 0/−∞ mask broadcastable to `a`. */
export function softmax(a: Tensor, axis = -1, mask?: Tensor): Tensor {
  const ax = normalizeAxis(axis, a.rank);
  const n = a.shape[ax]!;
  let outer = 1;
  for (let k = 0; k < ax; k++) outer *= a.shape[k]!;
  const inner = n === 0 ? 0 : a.size / (outer * n);
  const ad = a.data;
  const z = new Float64Array(a.size);
  if (mask === undefined) z.set(ad);
  else {
    const mm = broadcastMap(a.shape, mask.shape);
    const md = mask.data;
    for (let i = 0; i < z.length; i++) z[i] = ad[i]! + md[mm === null ? i : mm[i]!]!;
  }
  const out = z; // computed in place
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      let max = -Infinity;
      for (let j = 0; j < n; j++) {
        const v = z[base + j * inner]!;
        if (v > max) max = v;
      }
      if (max === -Infinity) {
        for (let j = 0; j < n; j++) out[base + j * inner] = 0;
        continue;
      }
      let s = 0;
      for (let j = 0; j < n; j++) {
        const e = Math.exp(z[base + j * inner]! - max);
        out[base + j * inner] = e;
        s += e;
      }
      const r = 1 / s;
      for (let j = 0; j < n; j++) out[base + j * inner]! *= r;
    }
  }
  return fromOp(out, a.shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < inner; i++) {
        const base = o * n * inner + i;
        let dot = 0;
        for (let j = 0; j < n; j++) dot += out[base + j * inner]! * g[base + j * inner]!;
        for (let j = 0; j < n; j++) {
          const q = base + j * inner;
          ga[q]! += out[q]! * (g[q]! - dot);
        }
      }
    }
  });
}

/** The additive mask of a 0/1 validity mask: 0 where valid (≠ 0), −∞ where padded. A constant. */
export function additiveMask(mask: Tensor): Tensor {
  const out = new Float64Array(mask.size);
  for (let i = 0; i < out.length; i++) out[i] = mask.data[i] !== 0 ? 0 : -Infinity;
  return new Tensor(out, mask.shape);
}
