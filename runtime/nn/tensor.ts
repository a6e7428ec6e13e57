/**
 * The f64 tensor and reverse-mode autodiff core (micrograd's design, at tensor granularity).
 *
 * A `Tensor` is an immutable row-major `Float64Array` with a shape. Every op (the `ops-*.ts` files) computes its
 * output eagerly and, when gradients are on and an input requires them, records its inputs and a backward
 * closure that adds ∂loss/∂input = (∂output/∂input)ᵀ · output.grad into each input's `grad`. `backward(root)`
 * orders the recorded graph topologically and runs those closures from the root down. Nothing mutates `data`
 * after construction except an optimizer updating a leaf parameter between steps (and the finite-difference
 * tests), so ops may share `data` between tensors (reshape does).
 *
 * Leaf gradients accumulate across `backward` calls, as in PyTorch: zero them (`zeroGrad`) before each step.
 */

/** A dense row-major f64 tensor, a node of the autodiff graph. */
export class Tensor {
  /** Dimensions; `[]` is a scalar (size 1). */
  readonly shape: readonly number[];
  /** Number of entries: the product of `shape`. */
  readonly size: number;
  /** Values, row-major (last axis fastest). Length `size`. */
  readonly data: Float64Array;
  /** ∂root/∂this after `backward(root)`, or null before any gradient reached it. Same layout as `data`. */
  grad: Float64Array | null = null;
  /** Whether gradients flow to (and are kept for) this tensor. */
  readonly requiresGrad: boolean;
  /** The op's inputs (empty for leaves and constants). */
  readonly inputs: readonly Tensor[];
  /** Adds this tensor's `grad` into its inputs' grads; null for leaves. */
  readonly backwardFn: ((grad: Float64Array) => void) | null;
  /** Optional label, shown in errors and by `Module.namedParameters`. */
  name: string | undefined;

  constructor(data: Float64Array, shape: readonly number[], requiresGrad = false, inputs: readonly Tensor[] = [], backwardFn: ((grad: Float64Array) => void) | null = null) {
    const size = shapeSize(shape);
    if (data.length !== size) throw new Error(`Tensor: shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
    this.shape = Object.freeze(shape.slice());
    this.size = size;
    this.data = data;
    this.requiresGrad = requiresGrad;
    this.inputs = inputs;
    this.backwardFn = backwardFn;
  }

  /** Number of axes. */
  get rank(): number {
    return this.shape.length;
  }

  /** True for tensors made by ops (they have a backward closure); false for leaves and constants. */
  get isLeaf(): boolean {
    return this.backwardFn === null;
  }

  /** The single value of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`Tensor.item: tensor of shape [${this.shape.join(', ')}] has ${this.size} values, not 1`);
    return this.data[0]!;
  }

  /** The grad buffer, allocated (zeros) on first use. */
  ensureGrad(): Float64Array {
    if (this.grad === null) this.grad = new Float64Array(this.size);
    return this.grad;
  }

  /** Sets `grad` to null (leaves only accumulate while it is non-null). */
  zeroGrad(): void {
    this.grad = null;
  }

  /** A constant (no grad) tensor with the same values; the graph above it is not reached from it. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** The size of axis `axis` (negative counts from the end). */
  dim(axis: number): number {
    return this.shape[normalizeAxis(axis, this.rank)]!;
  }

  toString(): string {
    return `Tensor(${this.name ?? ''}[${this.shape.join(', ')}])`;
  }
}

/** Product of the dimensions (1 for a scalar). Throws on a negative or fractional dimension. */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid tensor dimension ${d} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** Maps a possibly negative axis into [0, rank); throws when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) throw new Error(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  return a;
}

let gradEnabled = true;

/** Whether ops currently record the graph. */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording the graph (inference: outputs are constants, nothing is kept for backward).
 * Restores the previous mode even when `fn` throws.
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Wraps an op's output. The backward closure is kept only when gradients are on and some input requires them;
 * otherwise the result is a constant, and the closure (and the inputs it holds) can be collected.
 */
export function fromOp(data: Float64Array, shape: readonly number[], inputs: readonly Tensor[], backwardFn: (grad: Float64Array) => void): Tensor {
  if (gradEnabled) for (const t of inputs) if (t.requiresGrad) return new Tensor(data, shape, true, inputs, backwardFn);
  return new Tensor(data, shape);
}

/** Tensors reachable from `root` that require grad, inputs before the tensors made from them. */
export function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  if (!root.requiresGrad) return order;
  const visited = new Set<Tensor>([root]);
  // Iterative post-order DFS: recurrent nets make deep graphs, and recursion would overflow the stack.
  const stack: Array<{ node: Tensor; next: number }> = [{ node: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.node.inputs.length) {
      const child = top.node.inputs[top.next++]!;
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order;
}

/**
 * Reverse-mode sweep: sets root.grad to `seed` (default 1, which needs a size-1 root) and accumulates
 * ∂(seed · root)/∂t into every tensor t reachable from root that requires grad. Gradients of intermediate
 * (op-made) tensors are reset first, so calling it twice on one graph adds the leaf gradients twice, as in PyTorch.
 */
export function backward(root: Tensor, seed?: ArrayLike<number>): void {
  if (!root.requiresGrad) throw new Error('backward: the root does not require grad (no parameter or input with requiresGrad reaches it)');
  const order = topologicalOrder(root);
  for (const t of order) if (!t.isLeaf) t.grad = null;
  const g = root.ensureGrad();
  if (seed === undefined) {
    if (root.size !== 1) throw new Error(`backward: a root of shape [${root.shape.join(', ')}] needs an explicit seed gradient`);
    g[0] = g[0]! + 1;
  } else {
    if (seed.length !== root.size) throw new Error(`backward: seed has ${seed.length} values, root has ${root.size}`);
    for (let i = 0; i < g.length; i++) g[i] = g[i]! + seed[i]!;
  }
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    if (t.backwardFn !== null && t.grad !== null) t.backwardFn(t.grad);
  }
}
