/**
 * Shape ops: reshape, transpose/permute, concat/stack, slice, gather. An axis splits a shape into
 * [..outer.., n, ..inner..]; concat, slice and gather move contiguous blocks of `inner` entries.
 */
import { Tensor, fromOp, normalizeAxis, shapeSize } from './tensor.js';

function outerInner(shape: readonly number[], axis: number): { outer: number; inner: number } {
  let outer = 1;
  for (let k = 0; k < axis; k++) outer *= shape[k]!;
  let inner = 1;
  for (let k = axis + 1; k < shape.length; k++) inner *= shape[k]!;
  return { outer, inner };
}

/** The same values with another shape of equal size; one dimension may be −1 (inferred). Shares `data`. */
export function reshape(a: Tensor, shape: readonly number[]): Tensor {
  const s = shape.slice();
  const free = s.indexOf(-1);
  if (free >= 0) {
    const rest = s.reduce((p, d, k) => (k === free ? p : p * d), 1);
    s[free] = rest === 0 ? 0 : a.size / rest;
  }
  if (shapeSize(s) !== a.size) throw new Error(`reshape: cannot view [${a.shape.join(', ')}] (${a.size} values) as [${shape.join(', ')}]`);
  return fromOp(a.data, s, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[i]! += g[i]!;
  });
}

/** Reorders axes: output axis k is input axis perm[k]. */
export function permute(a: Tensor, perm: readonly number[]): Tensor {
  const rank = a.rank;
  if (perm.length !== rank || new Set(perm.map((p) => normalizeAxis(p, rank))).size !== rank) {
    throw new Error(`permute: [${perm.join(', ')}] is not a permutation of the ${rank} axes of [${a.shape.join(', ')}]`);
  }
  const p = perm.map((x) => normalizeAxis(x, rank));
  const inStrides = new Array<number>(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    inStrides[k] = s;
    s *= a.shape[k]!;
  }
  const shape = p.map((k) => a.shape[k]!);
  const strides = p.map((k) => inStrides[k]!);
  // map[i]: the input index of output entry i (odometer over the output's multi-index).
  const map = new Int32Array(a.size);
  const counter = new Array<number>(rank).fill(0);
  let index = 0;
  for (let i = 0; i < a.size; i++) {
    map[i] = index;
    for (let k = rank - 1; k >= 0; k--) {
      counter[k]!++;
      index += strides[k]!;
      if (counter[k]! < shape[k]!) break;
      index -= strides[k]! * shape[k]!;
      counter[k] = 0;
    }
  }
  const ad = a.data;
  const out = new Float64Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = ad[map[i]!]!;
  return fromOp(out, shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let i = 0; i < g.length; i++) ga[map[i]!]! += g[i]!;
  });
}

/** Swaps two axes (default: the last two, a matrix transpose). */
export function transpose(a: Tensor, axis1 = -2, axis2 = -1): Tensor {
  const i = normalizeAxis(axis1, a.rank);
  const j = normalizeAxis(axis2, a.rank);
  const perm = a.shape.map((_, k) => k);
  perm[i] = j;
  perm[j] = i;
  return permute(a, perm);
}

/** Joins tensors along `axis`; all other dimensions must agree. */
export function concat(tensors: readonly Tensor[], axis: number): Tensor {
  const first = tensors[0];
  if (first === undefined) throw new Error('concat: no tensors');
  const ax = normalizeAxis(axis, first.rank);
  for (const t of tensors) {
    if (t.rank !== first.rank || t.shape.some((d, k) => k !== ax && d !== first.shape[k])) {
      throw new Error(`concat: shapes ${tensors.map((u) => `[${u.shape.join(', ')}]`).join(', ')} differ off axis ${axis}`);
    }
  }
  const { outer, inner } = outerInner(first.shape, ax);
  const widths = tensors.map((t) => t.shape[ax]! * inner);
  const total = widths.reduce((x, y) => x + y, 0);
  const shape = first.shape.slice();
  shape[ax] = tensors.reduce((s, t) => s + t.shape[ax]!, 0);
  const out = new Float64Array(outer * total);
  let offset = 0;
  tensors.forEach((t, q) => {
    const w = widths[q]!;
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * w, (o + 1) * w), o * total + offset);
    offset += w;
  });
  return fromOp(out, shape, tensors, (g) => {
    let off = 0;
    tensors.forEach((t, q) => {
      const w = widths[q]!;
      if (t.requiresGrad) {
        const gt = t.ensureGrad();
        for (let o = 0; o < outer; o++) {
          const src = o * total + off;
          const dst = o * w;
          for (let i = 0; i < w; i++) gt[dst + i]! += g[src + i]!;
        }
      }
      off += w;
    });
  });
}

/** Stacks equal-shaped tensors along a new axis `axis`. */
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const first = tensors[0];
  if (first === undefined) throw new Error('stack: no tensors');
  const ax = axis < 0 ? axis + first.rank + 1 : axis;
  const expanded = tensors.map((t) => {
    const s = t.shape.slice();
    s.splice(ax, 0, 1);
    return reshape(t, s);
  });
  return concat(expanded, ax);
}

/** Entries start ≤ j < end along `axis` (end exclusive, clamped to the dimension). */
export function slice(a: Tensor, axis: number, start: number, end: number): Tensor {
  const ax = normalizeAxis(axis, a.rank);
  const n = a.shape[ax]!;
  const e = Math.min(end, n);
  if (!(Number.isInteger(start) && start >= 0 && start <= e)) throw new Error(`slice: [${start}, ${end}) is not a range within axis ${axis} of size ${n}`);
  const { outer, inner } = outerInner(a.shape, ax);
  const width = (e - start) * inner;
  const shape = a.shape.slice();
  shape[ax] = e - start;
  const out = new Float64Array(outer * width);
  for (let o = 0; o < outer; o++) {
    const src = (o * n + start) * inner;
    out.set(a.data.subarray(src, src + width), o * width);
  }
  return fromOp(out, shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let o = 0; o < outer; o++) {
      const dst = (o * n + start) * inner;
      const src = o * width;
      for (let i = 0; i < width; i++) ga[dst + i]! += g[src + i]!;
    }
  });
}

/**
 * Entries at `indices` along `axis` (repeats allowed; the gradient of a repeated entry is summed), e.g. the
 * rows of a minibatch of subjects. The output's axis has length `indices.length`.
 */
export function gather(a: Tensor, axis: number, indices: ArrayLike<number>): Tensor {
  const ax = normalizeAxis(axis, a.rank);
  const n = a.shape[ax]!;
  const idx = Int32Array.from(indices);
  for (const j of idx) if (j < 0 || j >= n) throw new Error(`gather: index ${j} is outside axis ${axis} of size ${n}`);
  const { outer, inner } = outerInner(a.shape, ax);
  const m = idx.length;
  const shape = a.shape.slice();
  shape[ax] = m;
  const out = new Float64Array(outer * m * inner);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < m; q++) {
      const src = (o * n + idx[q]!) * inner;
      out.set(a.data.subarray(src, src + inner), (o * m + q) * inner);
    }
  }
  return fromOp(out, shape, [a], (g) => {
    const ga = a.ensureGrad();
    for (let o = 0; o < outer; o++) {
      for (let q = 0; q < m; q++) {
        const dst = (o * n + idx[q]!) * inner;
        const src = (o * m + q) * inner;
        for (let i = 0; i < inner; i++) ga[dst + i]! += g[src + i]!;
      }
    }
  });
}
