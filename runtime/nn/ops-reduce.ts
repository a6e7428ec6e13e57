/**
 * Reductions: sum and mean over one axis or over everything. Axis `axis` of shape [..outer.., n, ..inner..]
 * is reduced as `out[o, i] = Σ_j a[o, j, i]`; the backward pass spreads ∂L/∂out back over the n entries.
 */
import { Tensor, fromOp, normalizeAxis } from './tensor.js';

function reduceShape(shape: readonly number[], axis: number, keepDims: boolean): number[] {
  return keepDims ? shape.map((d, k) => (k === axis ? 1 : d)) : shape.filter((_, k) => k !== axis);
}

function sumScaled(a: Tensor, axis: number | undefined, keepDims: boolean, factor: (n: number) => number): Tensor {
  if (axis === undefined) {
    const c = factor(a.size);
    let s = 0;
    const ad = a.data;
    for (let i = 0; i < ad.length; i++) s += ad[i]!;
    const shape = keepDims ? a.shape.map(() => 1) : [];
    return fromOp(Float64Array.of(c * s), shape, [a], (g) => {
      const ga = a.ensureGrad();
      const gi = c * g[0]!;
      for (let i = 0; i < ga.length; i++) ga[i]! += gi;
    });
  }
  const ax = normalizeAxis(axis, a.rank);
  const n = a.shape[ax]!;
  const c = factor(n);
  let outer = 1;
  for (let k = 0; k < ax; k++) outer *= a.shape[k]!;
  const inner = a.size / (outer * n) || 0;
  const out = new Float64Array(outer * inner);
  const ad = a.data;
  for (let o = 0; o < outer; o++) {
    const base = o * n * inner;
    const ob = o * inner;
    for (let j = 0; j < n; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) out[ob + i]! += ad[row + i]!;
    }
    if (c !== 1) for (let i = 0; i < inner; i++) out[ob + i]! *= c;
  }
  return fromOp(out, reduceShape(a.shape, ax, keepDims), [a], (g) => {
    const ga = a.ensureGrad();
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      const ob = o * inner;
      for (let j = 0; j < n; j++) {
        const row = base + j * inner;
        for (let i = 0; i < inner; i++) ga[row + i]! += c * g[ob + i]!;
      }
    }
  });
}

/** Σ over `axis` (all axes when omitted, giving a scalar); `keepDims` leaves the reduced axis with size 1. */
export function sum(a: Tensor, axis?: number, keepDims = false): Tensor {
  return sumScaled(a, axis, keepDims, () => 1);
}

/** Mean over `axis` (all entries when omitted). */
export function mean(a: Tensor, axis?: number, keepDims = false): Tensor {
  return sumScaled(a, axis, keepDims, (n) => 1 / n);
}
