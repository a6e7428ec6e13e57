/**
 * Single-layer GRU over a padded batch (seed 001, section 2.2 and supplementary 5.1–5.2: the encoder for
 * irregularly sampled designs). Gate equations (Cho et al. 2014, in PyTorch's and Flax's form, where r
 * multiplies the recurrent part of the candidate including its bias):
 *
 *   r = σ(x Wxr + bxr + h Whr + bhr)
 *   z = σ(x Wxz + bxz + h Whz + bhz)
 *   n = tanh(x Wxn + bxn + r ⊙ (h Whn + bhn))
 *   h' = (1 − z) ⊙ n + z ⊙ h
 *
 * The gate arithmetic of a step is one fused op (`ops-gru.ts`); the matrix products are `matmul`s.
 *
 * Masking: at a padded step the state is carried unchanged, h_t = h_{t−1} + m_t (h' − h_{t−1}) with m_t ∈ {0, 1},
 * so the final state is the state after each sequence's last valid step, and padded inputs receive exactly zero
 * gradient. Weights: wx [D, 3H] and wh [H, 3H] with gate blocks in the order (r, z, n); wx Glorot-uniform per
 * gate, wh orthogonal per gate, biases 0.
 */
import { glorotUniform, orthogonal } from '../init.js';
import { add } from '../ops-elementwise.js';
import { gruStep } from '../ops-gru.js';
import { matmul } from '../ops-matmul.js';
import { stack } from '../ops-shape.js';
import type { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import { Module } from './module.js';

export interface GruConfig {
  readonly inputSize: number;
  readonly hiddenSize: number;
}

/** The final (last valid) state, and optionally the state after every step. */
export interface GruOutput {
  /** [B, H]: the state after each sequence's last valid step (h0 for an empty sequence). */
  readonly last: Tensor;
  /** [B, T, H]: the state after each step (carried through padded steps); only from `forwardSequence`. */
  readonly sequence: Tensor | null;
}

export class Gru extends Module {
  readonly wx: Tensor;
  readonly wh: Tensor;
  readonly bx: Tensor;
  readonly bh: Tensor;

  constructor(readonly config: GruConfig, rng: Rng) {
    super();
    const { inputSize: D, hiddenSize: H } = config;
    const wx = new Float64Array(D * 3 * H);
    const wh = new Float64Array(H * 3 * H);
    for (let gate = 0; gate < 3; gate++) {
      const a = glorotUniform(rng, D, H);
      const q = orthogonal(rng, H);
      for (let i = 0; i < D; i++) for (let j = 0; j < H; j++) wx[i * 3 * H + gate * H + j] = a[i * H + j]!;
      for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) wh[i * 3 * H + gate * H + j] = q[i * H + j]!;
    }
    this.wx = this.addParameter('wx', wx, [D, 3 * H]);
    this.wh = this.addParameter('wh', wh, [H, 3 * H]);
    this.bx = this.addParameter('bx', new Float64Array(3 * H), [3 * H]);
    this.bh = this.addParameter('bh', new Float64Array(3 * H), [3 * H]);
  }

  /** x [B, T, D], mask [B, T] (default: all valid), h0 [B, H] (default 0) → the last valid state [B, H]. */
  forward(x: Tensor, mask?: Tensor, h0?: Tensor): Tensor {
    return this.run(x, mask, h0, false).last;
  }

  /** As `forward`, also returning every step's state [B, T, H] (for attention pooling over GRU states). */
  forwardSequence(x: Tensor, mask?: Tensor, h0?: Tensor): GruOutput {
    return this.run(x, mask, h0, true);
  }

  private run(x: Tensor, mask: Tensor | undefined, h0: Tensor | undefined, keep: boolean): GruOutput {
    if (x.rank !== 3 || x.dim(2) !== this.config.inputSize) throw new Error(`Gru: expected x [B, T, ${this.config.inputSize}], got [${x.shape.join(', ')}]`);
    const [B, T] = x.shape as [number, number, number];
    const H = this.config.hiddenSize;
    if (mask !== undefined && (mask.rank !== 2 || mask.dim(0) !== B || mask.dim(1) !== T)) throw new Error(`Gru: mask must be [${B}, ${T}], got [${mask.shape.join(', ')}]`);
    // All input projections at once: [B, T, 3H].
    const xp = add(matmul(x, this.wx), this.bx);
    let h = h0 ?? new Tensor(new Float64Array(B * H), [B, H]);
    const states: Tensor[] = [];
    for (let t = 0; t < T; t++) {
      const hp = add(matmul(h, this.wh), this.bh);
      h = gruStep(xp, t, hp, h, mask === undefined ? null : maskColumn(mask, t));
      if (keep) states.push(h);
    }
    return { last: h, sequence: keep ? (T === 0 ? new Tensor(new Float64Array(0), [B, 0, H]) : stack(states, 1)) : null };
  }
}

/** Column t of a [B, T] mask, or null when every sequence is valid at t. */
function maskColumn(mask: Tensor, t: number): Float64Array | null {
  const [B, T] = mask.shape as [number, number];
  const col = new Float64Array(B);
  let all = true;
  for (let b = 0; b < B; b++) {
    const v = mask.data[b * T + t]!;
    col[b] = v;
    if (v !== 1) all = false;
  }
  return all ? null : col;
}
