/**
 * The expression DAG. Nodes are immutable and hash-consed in a pool: building the same node twice returns the
 * same id, so common subexpressions are shared by construction (between f, ∂f/∂x and ∂f/∂θ alike) and an
 * emitter only has to give each multiply-used node a name to get common-subexpression elimination.
 */
import { InternalCompilerError } from '../../diagnostics/diagnostic.js';

/** Index of a node in its pool. */
export type NodeId = number & { readonly __brand: 'NodeId' };

/**
 * The variables an expression can read. Each model function fixes which kinds may appear:
 * the RHS reads t, x, p, c; the individual-parameter map reads phi, eta, c; an error model reads f and e.
 */
export type VarKind =
  | 't' // time
  | 'x' // state
  | 'p' // individual (natural-scale) model parameter
  | 'c' // covariate
  | 'phi' // population parameter on its estimation scale
  | 'eta' // random effect
  | 'e' // residual-error parameter
  | 'f'; // the prediction an error model is evaluated at

export type BinaryOpName = 'add' | 'sub' | 'mul' | 'div' | 'pow';
export type CompareOpName = 'lt' | 'le' | 'gt' | 'ge' | 'eq' | 'ne';

export type ExprNode =
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: 'var'; readonly kind: VarKind; readonly index: number }
  | { readonly op: BinaryOpName; readonly a: NodeId; readonly b: NodeId }
  | { readonly op: 'neg'; readonly a: NodeId }
  | { readonly op: 'call'; readonly fn: string; readonly args: readonly NodeId[] }
  | { readonly op: CompareOpName; readonly a: NodeId; readonly b: NodeId }
  | { readonly op: 'and' | 'or'; readonly a: NodeId; readonly b: NodeId }
  | { readonly op: 'not'; readonly a: NodeId }
  /** `cond ? then : else`; both branches are evaluated (GPU style), so each must be finite on its own. */
  | { readonly op: 'select'; readonly cond: NodeId; readonly then: NodeId; readonly else: NodeId };

export type OpName = ExprNode['op'];

function keyOf(n: ExprNode): string {
  switch (n.op) {
    case 'const':
      // Distinguish -0 from 0 and keep NaN stable.
      return Object.is(n.value, -0) ? 'c:-0' : `c:${n.value}`;
    case 'var':
      return `v:${n.kind}:${n.index}`;
    case 'neg':
    case 'not':
      return `${n.op}:${n.a}`;
    case 'call':
      return `call:${n.fn}:${n.args.join(',')}`;
    case 'select':
      return `sel:${n.cond}:${n.then}:${n.else}`;
    default:
      return `${n.op}:${n.a}:${n.b}`;
  }
}

/** The interning table. One pool per compiled model. */
export class ExprPool {
  private readonly nodes: ExprNode[] = [];
  private readonly ids = new Map<string, NodeId>();

  /** Returns the id of `node`, creating it only if no equal node exists. No simplification happens here. */
  intern(node: ExprNode): NodeId {
    const key = keyOf(node);
    const found = this.ids.get(key);
    if (found !== undefined) return found;
    const id = this.nodes.length as NodeId;
    this.nodes.push(node);
    this.ids.set(key, id);
    return id;
  }

  get(id: NodeId): ExprNode {
    const n = this.nodes[id];
    if (!n) throw new InternalCompilerError(`node ${id} is not in this pool`);
    return n;
  }

  get size(): number {
    return this.nodes.length;
  }
}

/** The direct operands of a node. */
export function children(n: ExprNode): readonly NodeId[] {
  switch (n.op) {
    case 'const':
    case 'var':
      return [];
    case 'neg':
    case 'not':
      return [n.a];
    case 'call':
      return n.args;
    case 'select':
      return [n.cond, n.then, n.else];
    default:
      return [n.a, n.b];
  }
}

/** Whether a node yields a truth value rather than a number. */
export function isBoolean(n: ExprNode): boolean {
  return n.op === 'lt' || n.op === 'le' || n.op === 'gt' || n.op === 'ge' || n.op === 'eq' || n.op === 'ne' || n.op === 'and' || n.op === 'or' || n.op === 'not';
}

/** All nodes reachable from `roots`, children before parents (a valid evaluation order). */
export function topoOrder(pool: ExprPool, roots: readonly NodeId[]): NodeId[] {
  const seen = new Set<NodeId>();
  const order: NodeId[] = [];
  // Iterative post-order: deep expression chains must not overflow the JS stack.
  const stack: { id: NodeId; expanded: boolean }[] = roots.map((id) => ({ id, expanded: false })).reverse();
  while (stack.length > 0) {
    const top = stack.pop()!;
    if (seen.has(top.id)) continue;
    if (top.expanded) {
      seen.add(top.id);
      order.push(top.id);
      continue;
    }
    stack.push({ id: top.id, expanded: true });
    const kids = children(pool.get(top.id));
    for (let i = kids.length - 1; i >= 0; i--) if (!seen.has(kids[i]!)) stack.push({ id: kids[i]!, expanded: false });
  }
  return order;
}

/** The set of variable kinds (and indices) an expression reads. */
export function freeVars(pool: ExprPool, roots: readonly NodeId[]): { kind: VarKind; index: number }[] {
  const out: { kind: VarKind; index: number }[] = [];
  for (const id of topoOrder(pool, roots)) {
    const n = pool.get(id);
    if (n.op === 'var') out.push({ kind: n.kind, index: n.index });
  }
  return out;
}

/** Whether an expression reads any variable of the given kinds. */
export function dependsOn(pool: ExprPool, root: NodeId, kinds: readonly VarKind[]): boolean {
  return freeVars(pool, [root]).some((v) => kinds.includes(v.kind));
}
