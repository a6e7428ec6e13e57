/**
 * A transformer encoder block (seed 000's encoder): multi-head self-attention with a key mask and a GELU
 * feed-forward network, each with a residual connection and LayerNorm.
 *
 *   pre-norm (default):  x ← x + MHA(LN₁(x));   x ← x + FF(LN₂(x))
 *   post-norm (2017):    x ← LN₁(x + MHA(x));   x ← LN₂(x + FF(x))
 *
 * with FF(x) = GELU(x W₁ + b₁) W₂ + b₂. Pre-norm is the default because it trains stably without a learning-rate
 * warm-up (Xiong et al. 2020), which matters with the seed's plain Adam and constant or cosine schedules.
 * There is no positional encoding: the encoder's step features already carry t and Δt.
 */
import { add, gelu } from '../ops-elementwise.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { LayerNorm } from './layer-norm.js';
import { Linear } from './linear.js';
import { Module } from './module.js';
import { MultiHeadAttention } from './multi-head-attention.js';

export interface TransformerBlockConfig {
  readonly dModel: number;
  readonly heads: number;
  /** Width of the feed-forward hidden layer (commonly 2–4 × dModel). */
  readonly ffHidden: number;
  /** Default 'pre'. */
  readonly norm?: 'pre' | 'post';
}

/** x [B, T, d] (+ mask [B, T]) → [B, T, d]. */
export class TransformerBlock extends Module {
  readonly ln1: LayerNorm;
  readonly attention: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly ff1: Linear;
  readonly ff2: Linear;

  constructor(readonly config: TransformerBlockConfig, rng: Rng) {
    super();
    const { dModel: d, heads, ffHidden } = config;
    this.ln1 = this.addModule('ln1', new LayerNorm({ features: d }));
    this.attention = this.addModule('attention', new MultiHeadAttention({ dModel: d, heads }, rng));
    this.ln2 = this.addModule('ln2', new LayerNorm({ features: d }));
    this.ff1 = this.addModule('ff1', new Linear({ inFeatures: d, outFeatures: ffHidden }, rng));
    this.ff2 = this.addModule('ff2', new Linear({ inFeatures: ffHidden, outFeatures: d }, rng));
  }

  private ff(x: Tensor): Tensor {
    return this.ff2.forward(gelu(this.ff1.forward(x)));
  }

  forward(x: Tensor, mask?: Tensor): Tensor {
    if ((this.config.norm ?? 'pre') === 'pre') {
      const a = add(x, this.attention.forward(this.ln1.forward(x), mask));
      return add(a, this.ff(this.ln2.forward(a)));
    }
    const a = this.ln1.forward(add(x, this.attention.forward(x, mask)));
    return this.ln2.forward(add(a, this.ff(a)));
  }
}
