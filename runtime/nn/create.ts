/** Making tensors: from numbers or nested arrays, constants, and trainable leaves. */
import { Tensor, shapeSize } from './tensor.js';

/** Nested number arrays, as `tensor()` reads them. */
export type NestedArray = number | readonly NestedArray[];

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (typeof v !== 'number') {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0]!;
  }
  return shape;
}

function flatten(values: NestedArray, shape: readonly number[], depth: number, out: number[]): void {
  if (typeof values === 'number') {
    if (depth !== shape.length) throw new Error('tensor: ragged nested array');
    out.push(values);
    return;
  }
  if (values.length !== shape[depth]) throw new Error('tensor: ragged nested array');
  for (const v of values) flatten(v, shape, depth + 1, out);
}

/**
 * A tensor from a nested array (shape inferred) or from flat values with an explicit shape.
 * `requiresGrad` makes it a leaf that receives gradients (an input whose gradient is wanted, or a parameter).
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: readonly number[], requiresGrad = false): Tensor {
  if (shape !== undefined) {
    if (typeof values === 'number') values = [values];
    const data = Float64Array.from(values as ArrayLike<number>);
    return new Tensor(data, shape, requiresGrad);
  }
  if (values instanceof Float64Array) return new Tensor(values.slice(), [values.length], requiresGrad);
  const nested = values as NestedArray;
  const s = inferShape(nested);
  const out: number[] = [];
  flatten(nested, s, 0, out);
  return new Tensor(Float64Array.from(out), s, requiresGrad);
}

/** A scalar (shape []). */
export function scalar(value: number, requiresGrad = false): Tensor {
  return new Tensor(Float64Array.of(value), [], requiresGrad);
}

/** A tensor filled with `value`. */
export function full(shape: readonly number[], value: number, requiresGrad = false): Tensor {
  return new Tensor(new Float64Array(shapeSize(shape)).fill(value), shape, requiresGrad);
}

/** Zeros. */
export function zeros(shape: readonly number[], requiresGrad = false): Tensor {
  return new Tensor(new Float64Array(shapeSize(shape)), shape, requiresGrad);
}

/** Ones. */
export function ones(shape: readonly number[], requiresGrad = false): Tensor {
  return full(shape, 1, requiresGrad);
}

/** A trainable leaf (requiresGrad) holding `data` (not copied), labelled `name`. */
export function parameter(data: Float64Array, shape: readonly number[], name?: string): Tensor {
  const t = new Tensor(data, shape, true);
  t.name = name;
  return t;
}
