/**
 * Inverted dropout (seed 001, supplementary 4: optional in the encoder): in training mode each entry is zeroed
 * with probability p and the survivors are scaled by 1/(1 − p), so evaluation mode is the identity.
 */
import { mul } from '../ops-elementwise.js';
import type { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';

export class Dropout extends Module implements Layer {
  constructor(readonly config: { readonly p: number }, private readonly rng: Rng) {
    super();
    if (!(config.p >= 0 && config.p < 1)) throw new Error(`Dropout: p must be in [0, 1), got ${config.p}`);
  }

  forward(x: Tensor): Tensor {
    const p = this.config.p;
    if (!this.training || p === 0) return x;
    const keep = new Float64Array(x.size);
    const s = 1 / (1 - p);
    for (let i = 0; i < keep.length; i++) keep[i] = this.rng.uniform() < p ? 0 : s;
    return mul(x, new Tensor(keep, x.shape));
  }
}
