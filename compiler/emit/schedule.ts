/**
 * Straight-line code for a set of roots: which nodes get a named temporary and in what order. A node used more
 * than once (counting uses across all roots of the case) is computed once into a temporary — this is where the
 * hash-consed DAG turns into common-subexpression elimination. Leaves are always inlined.
 *
 * Expressions are also kept shallow: an expression nested deeper than `maxExpressionDepth` has its deepest operands
 * bound to temporaries. The TypeScript parser behind ts-morph and WGSL compilers recurse on nesting, and a long flat
 * sum in the source (`k1 + k2 + … + k800`, or `sum` unrolled over a long list) is a chain of that many nested nodes.
 */
import { children, topoOrder, type ExprPool, type NodeId } from '../ir/expr.js';

export interface Schedule {
  /** Nodes to bind to temporaries, in evaluation order. */
  readonly temporaries: readonly NodeId[];
}

/** The deepest nesting of operations one emitted expression may have. */
export const maxExpressionDepth = 32;

export function schedule(pool: ExprPool, roots: readonly NodeId[]): Schedule {
  const order = topoOrder(pool, roots);
  const uses = new Map<NodeId, number>();
  for (const id of order) for (const c of children(pool.get(id))) uses.set(c, (uses.get(c) ?? 0) + 1);
  for (const r of roots) uses.set(r, (uses.get(r) ?? 0) + 1);
  const isLeaf = (id: NodeId): boolean => {
    const op = pool.get(id).op;
    return op === 'const' || op === 'var';
  };
  const temporary = new Set(order.filter((id) => !isLeaf(id) && (uses.get(id) ?? 0) > 1));
  // Depth of each node's expression text, counting a temporary or a leaf as 0; kept ≤ maxExpressionDepth by cutting
  // the operands that reach the limit into temporaries of their own (children come first in `order`).
  const depth = new Map<NodeId, number>();
  const depthOf = (c: NodeId): number => (temporary.has(c) ? 0 : depth.get(c) ?? 0);
  for (const id of order) {
    if (isLeaf(id)) continue;
    const kids = children(pool.get(id));
    let d = 1 + Math.max(0, ...kids.map(depthOf));
    if (d > maxExpressionDepth) {
      for (const c of kids) if (depthOf(c) >= maxExpressionDepth) temporary.add(c);
      d = 1 + Math.max(0, ...kids.map(depthOf));
    }
    depth.set(id, d);
  }
  return { temporaries: order.filter((id) => temporary.has(id)) };
}
