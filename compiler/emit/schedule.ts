/**
 * Straight-line code for a set of roots: which nodes get a named temporary and in what order. A node used more
 * than once (counting uses across all roots of the case) is computed once into a temporary — this is where the
 * hash-consed DAG turns into common-subexpression elimination. Leaves are always inlined.
 */
import { children, topoOrder, type ExprPool, type NodeId } from '../ir/expr.js';

export interface Schedule {
  /** Nodes to bind to temporaries, in evaluation order. */
  readonly temporaries: readonly NodeId[];
}

export function schedule(pool: ExprPool, roots: readonly NodeId[]): Schedule {
  const order = topoOrder(pool, roots);
  const uses = new Map<NodeId, number>();
  for (const id of order) for (const c of children(pool.get(id))) uses.set(c, (uses.get(c) ?? 0) + 1);
  for (const r of roots) uses.set(r, (uses.get(r) ?? 0) + 1);
  const temporaries = order.filter((id) => {
    const n = pool.get(id);
    if (n.op === 'const' || n.op === 'var') return false;
    return (uses.get(id) ?? 0) > 1;
  });
  return { temporaries };
}
