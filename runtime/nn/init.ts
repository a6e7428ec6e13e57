/**
 * Weight initializers. Each fills a new Float64Array from an `Rng`, so a seeded model is reproducible.
 *
 * - Glorot (Xavier) uniform: U(−a, a), a = √(6 / (fanIn + fanOut)), keeps activation variance roughly constant
 *   through tanh/GELU layers; the default for weight matrices (as in Flax's Dense and Keras).
 * - Normal(0, std): for the final layer of the encoder with std = 1e-3 (seed 001, supplementary 5.1), so the
 *   posterior starts near the prior instead of at large random offsets.
 * - Orthogonal: for recurrent weight blocks (Saxe et al. 2014; Flax's GRUCell default), so repeated
 *   multiplication by the recurrent matrix neither explodes nor vanishes at the start.
 */
import type { Rng } from './random.js';

/** Glorot-uniform values for a fanIn × fanOut matrix (`count` defaults to fanIn·fanOut). */
export function glorotUniform(rng: Rng, fanIn: number, fanOut: number, count = fanIn * fanOut): Float64Array {
  const a = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = a * (2 * rng.uniform() - 1);
  return out;
}

/** N(0, std²) values. */
export function normalInit(rng: Rng, count: number, std: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) out[i] = std * rng.normal();
  return out;
}

/**
 * A random n × n orthogonal matrix, row-major: Gram–Schmidt (twice, for orthogonality to rounding) on the rows of
 * a standard-normal matrix.
 */
export function orthogonal(rng: Rng, n: number): Float64Array {
  const q = normalInit(rng, n * n, 1);
  for (let i = 0; i < n; i++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let k = 0; k < n; k++) dot += q[i * n + k]! * q[j * n + k]!;
        for (let k = 0; k < n; k++) q[i * n + k]! -= dot * q[j * n + k]!;
      }
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += q[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    for (let k = 0; k < n; k++) q[i * n + k]! /= norm;
  }
  return q;
}
