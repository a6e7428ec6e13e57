/**
 * `Module`: a layer or a network of layers that owns named parameters and child modules. Names compose with
 * dots (`encoder.gru.wh`), in registration order, which fixes the order of `parameters()` (what an optimizer
 * iterates) and of the saved JSON.
 */
import { parameter } from '../create.js';
import type { Tensor } from '../tensor.js';

/** Anything that maps one tensor to one tensor (a step of a `Sequential`). */
export interface Layer {
  forward(x: Tensor): Tensor;
}

/** The base of every layer: parameter and child registration, traversal, train/eval mode. */
export abstract class Module {
  private readonly ownParameters = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();
  /** Training mode (dropout active). Set through `train()` / `eval()` so children follow. */
  training = true;

  /** Registers a trainable parameter that holds `data` (not copied). Names are unique within a module. */
  protected addParameter(name: string, data: Float64Array, shape: readonly number[]): Tensor {
    if (this.ownParameters.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: '${name}' is registered twice`);
    const p = parameter(data, shape, name);
    this.ownParameters.set(name, p);
    return p;
  }

  /** Registers a child module; its parameters are listed as `name.<its names>`. */
  protected addModule<M extends Module>(name: string, module: M): M {
    if (this.ownParameters.has(name) || this.children.has(name)) throw new Error(`${this.constructor.name}: '${name}' is registered twice`);
    this.children.set(name, module);
    return module;
  }

  /** [dotted name, parameter] pairs: own parameters first, then each child's, in registration order. */
  namedParameters(prefix = ''): Array<[string, Tensor]> {
    const out: Array<[string, Tensor]> = [];
    for (const [name, p] of this.ownParameters) out.push([prefix + name, p]);
    for (const [name, child] of this.children) out.push(...child.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** All trainable parameters, in the order of `namedParameters`. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }

  /** Sets training mode here and in every child. */
  train(on = true): this {
    this.training = on;
    for (const child of this.children.values()) child.train(on);
    return this;
  }

  /** Evaluation mode (`train(false)`). */
  eval(): this {
    return this.train(false);
  }
}
