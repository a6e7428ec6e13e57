/** Activation functions by name, and as a parameter-free layer for `Sequential`. */
import { gelu, relu, sigmoid, softplus, tanh } from '../ops-elementwise.js';
import type { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';

/** The activations a config may name. GELU is the tanh approximation (see `gelu`). */
export type ActivationName = 'gelu' | 'tanh' | 'relu' | 'sigmoid' | 'softplus' | 'identity';

/** The function of an activation name. */
export function activation(name: ActivationName): (x: Tensor) => Tensor {
  switch (name) {
    case 'gelu':
      return gelu;
    case 'tanh':
      return tanh;
    case 'relu':
      return relu;
    case 'sigmoid':
      return sigmoid;
    case 'softplus':
      return softplus;
    case 'identity':
      return (x) => x;
    default: {
      const never: never = name;
      throw new Error(`unknown activation '${String(never)}'; use gelu, tanh, relu, sigmoid, softplus or identity`);
    }
  }
}

/** An activation as a layer (no parameters). */
export class Activation extends Module implements Layer {
  private readonly fn: (x: Tensor) => Tensor;

  constructor(readonly config: { readonly name: ActivationName }) {
    super();
    this.fn = activation(config.name);
  }

  forward(x: Tensor): Tensor {
    return this.fn(x);
  }
}
