/**
 * Variable-length sequences as a padded batch: x [B, T, F] with zeros after each sequence's end, and a constant
 * 0/1 mask [B, T] (1 = a real step). Layers take the mask and guarantee that padded steps change no output at
 * a valid position and receive no gradient. Padded entries must be finite (0 · NaN is NaN).
 */
import { Tensor } from './tensor.js';

/** mask[b, t] = 1 for t < lengths[b], else 0. */
export function sequenceMask(lengths: ArrayLike<number>, steps: number): Tensor {
  const B = lengths.length;
  const m = new Float64Array(B * steps);
  for (let b = 0; b < B; b++) {
    const n = lengths[b]!;
    if (!(Number.isInteger(n) && n >= 0 && n <= steps)) throw new Error(`sequenceMask: length ${n} of sequence ${b} is not in [0, ${steps}]`);
    m.fill(1, b * steps, b * steps + n);
  }
  return new Tensor(m, [B, steps]);
}

/**
 * Pads sequences given as flat row-major [length × features] arrays to a batch [B, T, F] (T = the longest, or
 * `steps`), with its mask and lengths.
 */
export function padSequences(sequences: ReadonlyArray<ArrayLike<number>>, features: number, steps?: number): { x: Tensor; mask: Tensor; lengths: Int32Array } {
  const lengths = Int32Array.from(sequences, (s, b) => {
    if (s.length % features !== 0) throw new Error(`padSequences: sequence ${b} has ${s.length} values, not a multiple of ${features} features`);
    return s.length / features;
  });
  const T = steps ?? lengths.reduce((a, n) => Math.max(a, n), 0);
  const B = sequences.length;
  const x = new Float64Array(B * T * features);
  sequences.forEach((s, b) => {
    if (lengths[b]! > T) throw new Error(`padSequences: sequence ${b} has ${lengths[b]} steps, more than ${T}`);
    for (let i = 0; i < s.length; i++) x[b * T * features + i] = s[i]!;
  });
  return { x: new Tensor(x, [B, T, features]), mask: sequenceMask(lengths, T), lengths };
}
