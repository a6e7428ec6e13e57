/** Layers applied in order; child names are their positions ('0', '1', …). */
import type { Tensor } from '../tensor.js';
import { Module, type Layer } from './module.js';

/** x → layers[n−1](…layers[0](x)). */
export class Sequential extends Module implements Layer {
  readonly layers: ReadonlyArray<Module & Layer>;

  constructor(layers: ReadonlyArray<Module & Layer>) {
    super();
    this.layers = layers;
    layers.forEach((layer, i) => this.addModule(String(i), layer));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const layer of this.layers) y = layer.forward(y);
    return y;
  }
}
