/** LayerNorm over the last axis: γ ⊙ (x − μ)/√(σ² + ε) + β, γ = 1 and β = 0 at the start. */
import { layerNorm } from '../ops-norm.js';
import type { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';

export interface LayerNormConfig {
  readonly features: number;
  /** Default 1e-5 (PyTorch's). */
  readonly eps?: number;
}

export class LayerNorm extends Module implements Layer {
  readonly gamma: Tensor;
  readonly beta: Tensor;

  constructor(readonly config: LayerNormConfig) {
    super();
    this.gamma = this.addParameter('gamma', new Float64Array(config.features).fill(1), [config.features]);
    this.beta = this.addParameter('beta', new Float64Array(config.features), [config.features]);
  }

  forward(x: Tensor): Tensor {
    return layerNorm(x, this.gamma, this.beta, this.config.eps ?? 1e-5);
  }
}
