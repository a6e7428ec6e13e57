/**
 * Conv1d over time, channels last, stride 1, for regularly sampled designs (seed 001, section 2.2;
 * kernel_size 3 or 7, supplementary 5.2–5.3; kernel_size 1 before attention pooling, 5.4).
 *
 * Padding: 'valid' (no padding, output length T − K + 1) or 'same' (output length T, ⌊(K−1)/2⌋ zeros on the
 * left and the rest on the right, as JAX's 'SAME'). With a mask, padded input steps are zeroed first, so a
 * valid output sees zeros past its sequence's end exactly as it would at the end of an unpadded sequence;
 * `outputMask` says which outputs are valid.
 */
import { glorotUniform } from '../init.js';
import { add, mul } from '../ops-elementwise.js';
import { conv1d } from '../ops-conv.js';
import { reshape } from '../ops-shape.js';
import type { Rng } from '../random.js';
import { Tensor } from '../tensor.js';
import { Module } from './module.js';

export interface Conv1dConfig {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  /** Default 'same'. */
  readonly padding?: 'valid' | 'same';
}

/** x [B, T, Cin] (+ mask [B, T]) → y [B, T', Cout]; weight [K, Cin, Cout] (Glorot over K·Cin → K·Cout), bias [Cout]. */
export class Conv1d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  private readonly padLeft: number;
  private readonly padRight: number;

  constructor(readonly config: Conv1dConfig, rng: Rng) {
    super();
    const { inChannels: C, outChannels: O, kernelSize: K } = config;
    if (!(Number.isInteger(K) && K >= 1)) throw new Error(`Conv1d: kernelSize must be a positive integer, got ${K}`);
    this.weight = this.addParameter('weight', glorotUniform(rng, K * C, K * O, K * C * O), [K, C, O]);
    this.bias = this.addParameter('bias', new Float64Array(O), [O]);
    const same = (config.padding ?? 'same') === 'same';
    this.padLeft = same ? Math.floor((K - 1) / 2) : 0;
    this.padRight = same ? K - 1 - this.padLeft : 0;
  }

  forward(x: Tensor, mask?: Tensor): Tensor {
    const input = mask === undefined ? x : mul(x, reshape(mask, [mask.dim(0), mask.dim(1), 1]));
    return add(conv1d(input, this.weight, this.padLeft, this.padRight), this.bias);
  }

  /**
   * The validity of each output step: with 'same', that of its centre step; with 'valid', whether its whole
   * window lies on valid steps.
   */
  outputMask(mask: Tensor): Tensor {
    const [B, T] = mask.shape as [number, number];
    if (this.padLeft + this.padRight > 0 || this.config.kernelSize === 1) return mask;
    const K = this.config.kernelSize;
    const To = Math.max(0, T - K + 1);
    const out = new Float64Array(B * To);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < To; t++) {
        let ok = 1;
        for (let k = 0; k < K; k++) if (mask.data[b * T + t + k] === 0) ok = 0;
        out[b * To + t] = ok;
      }
    }
    return new Tensor(out, [B, To]);
  }
}
