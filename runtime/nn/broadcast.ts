/**
 * NumPy broadcasting for the binary ops: shapes are aligned on the right, and an axis of size 1 (or a missing
 * leading axis) repeats to match the other operand.
 *
 * An operand is read through an index map: `map[i]` is the flat index into the operand of output entry i. Maps
 * are cached by (output shape, operand shape), since a training loop repeats the same shapes every step. A null
 * map means the operand has the output's shape (index i itself), the common fast path.
 */

/** The broadcast shape of two operands; throws with both shapes when they are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let k = 0; k < rank; k++) {
    const da = a[a.length - rank + k] ?? 1;
    const db = b[b.length - rank + k] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`cannot broadcast shapes [${a.join(', ')}] and [${b.join(', ')}]`);
    out[k] = da === 1 ? db : da;
  }
  return out;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

const cache = new Map<string, Int32Array>();
const CACHE_LIMIT = 512;

/**
 * The index map from an output of shape `out` to an operand of shape `operand` (which must broadcast to `out`),
 * or null when the shapes are equal.
 */
export function broadcastMap(out: readonly number[], operand: readonly number[]): Int32Array | null {
  if (sameShape(out, operand)) return null;
  const key = `${out.join(',')}|${operand.join(',')}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const rank = out.length;
  // Operand strides aligned to the output's axes, 0 where the operand is broadcast.
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let k = rank - 1, j = operand.length - 1; k >= 0; k--, j--) {
    const d = j >= 0 ? operand[j]! : 1;
    if (d !== 1 && d !== out[k]) throw new Error(`cannot broadcast shape [${operand.join(', ')}] to [${out.join(', ')}]`);
    strides[k] = d === 1 ? 0 : stride;
    stride *= d;
  }
  let size = 1;
  for (const d of out) size *= d;
  const map = new Int32Array(size);
  const counter = new Array<number>(rank).fill(0);
  let index = 0;
  for (let i = 0; i < size; i++) {
    map[i] = index;
    // Odometer increment of the multi-index, keeping the operand index in step.
    for (let k = rank - 1; k >= 0; k--) {
      counter[k]!++;
      index += strides[k]!;
      if (counter[k]! < out[k]!) break;
      index -= strides[k]! * out[k]!;
      counter[k] = 0;
    }
  }
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, map);
  return map;
}
