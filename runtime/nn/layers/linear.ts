/**
 * Dense layer y = x·W + b over the last axis: x [..., in] → y [..., out], W [in, out] (Flax's kernel layout), b
 * [out].
 */
import { glorotUniform, normalInit } from '../init.js';
import { add } from '../ops-elementwise.js';
import { matmul } from '../ops-matmul.js';
import type { Rng } from '../random.js';
import type { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';

/** How W is initialized: Glorot uniform (default), or N(0, std²) — the small-std final layer of the encoder. */
export type LinearInit = 'glorot' | { readonly normalStd: number };

export interface LinearConfig {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** Default true. */
  readonly bias?: boolean;
  /** Default 'glorot'. `{ normalStd: 1e-3 }` is seed 001's final encoder layer (supplementary 5.1). */
  readonly init?: LinearInit;
}

/** y = x·W + b. The bias starts at 0. */
export class Linear extends Module implements Layer {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly config: LinearConfig, rng: Rng) {
    super();
    const { inFeatures: n, outFeatures: m } = config;
    const init = config.init ?? 'glorot';
    const w = init === 'glorot' ? glorotUniform(rng, n, m) : normalInit(rng, n * m, init.normalStd);
    this.weight = this.addParameter('weight', w, [n, m]);
    this.bias = config.bias === false ? null : this.addParameter('bias', new Float64Array(m), [m]);
  }

  forward(x: Tensor): Tensor {
    const y = matmul(x, this.weight);
    return this.bias === null ? y : add(y, this.bias);
  }
}
