/**
 * The derivative of the forward-sensitivity system y = [x; S], S = ∂x/∂p (nx × ns, row-major), described once
 * with its sparsity for the back ends to print:
 *   dx/dt = f(t, x, p, c) + r,    dS/dt = (∂f/∂x) S + ∂f/∂p + ∂r/∂p,
 * r being the zero-order input running now (an infusion; the trajectory loop keeps it).
 *
 * Why a description of its own: the integrator evaluates it at every stage of every step, and most entries of
 * ∂f/∂x and ∂f/∂p are structurally zero in the models users write (a compartment feeds one or two others; a rate
 * constant appears in one or two equations). Keeping only the nonzero entries makes the product O(nnz(∂f/∂x)·ns)
 * instead of O(nx²·ns), and the printed function is straight-line code over the entries that exist.
 */
import type { NodeId } from '../ir/expr.js';
import type { ModelIR } from '../ir/model-ir.js';
import type { ModelDerivatives } from '../diff/model-derivatives.js';

/** One structurally nonzero entry of a matrix: its column and the IR root of its value. */
export interface SparseEntry {
  readonly column: number;
  readonly root: NodeId;
}

export interface AugmentedRhs {
  readonly nx: number;
  readonly ns: number;
  /** f_i, one root per state. */
  readonly rhs: readonly NodeId[];
  /** Row i of ∂f/∂x: its nonzero entries (column = the state j). */
  readonly jacobianRows: readonly (readonly SparseEntry[])[];
  /** Row i of ∂f/∂p: its nonzero entries (column = the sensitivity column k). */
  readonly parameterRows: readonly (readonly SparseEntry[])[];
}

/** The augmented system of `ir`, with the entries that are the constant 0 left out. */
export function augmentedRhs(ir: ModelIR, d: ModelDerivatives): AugmentedRhs {
  const isZero = (id: NodeId): boolean => {
    const n = ir.builder.node(id);
    return n.op === 'const' && n.value === 0;
  };
  const sparse = (row: readonly NodeId[]): SparseEntry[] => row.flatMap((root, column) => (isZero(root) ? [] : [{ column, root }]));
  return {
    nx: ir.states.length,
    ns: ir.sensitivityParameters.length,
    rhs: ir.rhs,
    jacobianRows: d.dfdx.map(sparse),
    parameterRows: d.dfdp.map(sparse),
  };
}

/** Every root of the description, in the order a straight-line program evaluates them. */
export function augmentedRoots(a: AugmentedRhs): NodeId[] {
  return [...a.rhs, ...a.jacobianRows.flat().map((e) => e.root), ...a.parameterRows.flat().map((e) => e.root)];
}
