/**
 * Masked attention pooling (seed 001, supplementary 5.4): one learned query w ∈ ℝᴴ scores each time step,
 *
 *   e_t = wᵀ z_t,   α = softmax over valid t of e (padded steps get weight exactly 0),   pool = Σ_t α_t z_t ∈ ℝᴴ.
 *
 * Two departures from the text, both deliberate: the seed's scalar bias c is left out (softmax is invariant to
 * adding one constant to every logit, so c would never move), and the pooled vector is Σ α_t z_t (the text's
 * "Σ α_t e_t ∈ ℝᴴ" is a typo: e_t is a scalar). Masked steps get −∞ rather than −10⁹; both give weight 0 in f64,
 * and −∞ also makes a fully padded sequence pool to 0 rather than to a uniform average of padding.
 */
import { glorotUniform } from '../init.js';
import { matmul } from '../ops-matmul.js';
import { reshape } from '../ops-shape.js';
import { additiveMask, softmax } from '../ops-softmax.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

export interface AttentionPoolingConfig {
  /** H, the feature size of z_t. */
  readonly features: number;
}

/** z [B, T, H] and mask [B, T] → pooled [B, H]. */
export class AttentionPooling extends Module {
  readonly query: Tensor;

  constructor(readonly config: AttentionPoolingConfig, rng: Rng) {
    super();
    const H = config.features;
    this.query = this.addParameter('query', glorotUniform(rng, H, 1), [H, 1]);
  }

  /** The attention weights α [B, T] (rows sum to 1 over valid steps; 0 on padding and for empty sequences). */
  weights(z: Tensor, mask?: Tensor): Tensor {
    const [B, T, H] = z.shape as [number, number, number];
    if (z.rank !== 3 || H !== this.config.features) throw new Error(`AttentionPooling: expected z [B, T, ${this.config.features}], got [${z.shape.join(', ')}]`);
    const logits = reshape(matmul(z, this.query), [B, T]);
    return softmax(logits, -1, mask === undefined ? undefined : additiveMask(mask));
  }

  forward(z: Tensor, mask?: Tensor): Tensor {
    const [B, T, H] = z.shape as [number, number, number];
    const alpha = this.weights(z, mask);
    return reshape(matmul(reshape(alpha, [B, 1, T]), z), [B, H]);
  }
}
