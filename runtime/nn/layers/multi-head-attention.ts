/**
 * Multi-head self-attention with a key mask (Vaswani et al. 2017), for the transformer encoder of seed 000:
 *
 *   Q, K, V = x Wq + bq, x Wk + bk, x Wv + bv, split into h heads of size d/h,
 *   A = softmax(Q Kᵀ / √(d/h) + mask) over keys,   y = concat_heads(A V) Wo + bo.
 *
 * The mask excludes padded keys (weight exactly 0), so valid positions never read padding. Padded queries still
 * produce (finite, meaningless) outputs; the next masked layer (pooling, loss) ignores them.
 */
import { matmul } from '../ops-matmul.js';
import { scale } from '../ops-elementwise.js';
import { permute, reshape, transpose } from '../ops-shape.js';
import { additiveMask, softmax } from '../ops-softmax.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Linear, type LinearConfig } from './linear.js';
import { Module } from './module.js';

export interface MultiHeadAttentionConfig {
  /** d, the model width; a multiple of `heads`. */
  readonly dModel: number;
  readonly heads: number;
}

/** x [B, T, d] (+ mask [B, T]) → [B, T, d]. */
export class MultiHeadAttention extends Module {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly out: Linear;

  constructor(readonly config: MultiHeadAttentionConfig, rng: Rng) {
    super();
    const { dModel: d, heads } = config;
    if (!(Number.isInteger(heads) && heads >= 1 && d % heads === 0)) throw new Error(`MultiHeadAttention: dModel ${d} must be a multiple of heads ${heads}`);
    const lin = (): LinearConfig => ({ inFeatures: d, outFeatures: d });
    this.q = this.addModule('q', new Linear(lin(), rng));
    this.k = this.addModule('k', new Linear(lin(), rng));
    this.v = this.addModule('v', new Linear(lin(), rng));
    this.out = this.addModule('out', new Linear(lin(), rng));
  }

  forward(x: Tensor, mask?: Tensor): Tensor {
    const [B, T, d] = x.shape as [number, number, number];
    const h = this.config.heads;
    const dh = d / h;
    // [B, T, d] → [B, h, T, dh]
    const heads = (y: Tensor): Tensor => permute(reshape(y, [B, T, h, dh]), [0, 2, 1, 3]);
    const q = heads(this.q.forward(x));
    const k = heads(this.k.forward(x));
    const v = heads(this.v.forward(x));
    const scores = scale(matmul(q, transpose(k)), 1 / Math.sqrt(dh)); // [B, h, T, T]
    const keyMask = mask === undefined ? undefined : reshape(additiveMask(mask), [B, 1, 1, T]);
    const attn = softmax(scores, -1, keyMask);
    const ctx = reshape(permute(matmul(attn, v), [0, 2, 1, 3]), [B, T, d]);
    return this.out.forward(ctx);
  }
}
