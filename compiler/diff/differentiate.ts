/**
 * Symbolic differentiation on the IR. Results are built with the simplifying builder and memoized per
 * (node, variable), so shared subexpressions are differentiated once and derivatives share structure with the
 * expressions they came from. Applying `d` to a derivative gives second derivatives.
 */
import { InternalCompilerError } from '../../diagnostics/diagnostic.js';
import { builtins } from '../../stdlib/builtins.js';
import type { NodeId, VarKind } from '../ir/expr.js';
import type { ExprBuilder } from '../rewrite/builder.js';

export class Differentiator {
  private readonly memo = new Map<string, NodeId>();

  constructor(readonly b: ExprBuilder) {}

  /** ∂ root / ∂ var(kind, index). */
  d(root: NodeId, kind: VarKind, index: number): NodeId {
    const key = `${root}|${kind}|${index}`;
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const result = this.rule(root, kind, index);
    this.memo.set(key, result);
    return result;
  }

  private rule(id: NodeId, kind: VarKind, index: number): NodeId {
    const b = this.b;
    const n = b.node(id);
    const zero = b.num(0);
    const d = (x: NodeId): NodeId => this.d(x, kind, index);
    switch (n.op) {
      case 'const':
        return zero;
      case 'var':
        return b.num(n.kind === kind && n.index === index ? 1 : 0);
      case 'add':
        return b.add(d(n.a), d(n.b));
      case 'sub':
        return b.sub(d(n.a), d(n.b));
      case 'neg':
        return b.neg(d(n.a));
      case 'mul':
        // (uv)' = u'v + uv'
        return b.add(b.mul(d(n.a), n.b), b.mul(n.a, d(n.b)));
      case 'div': {
        // (u/v)' = u'/v − u v' / v²
        const da = d(n.a);
        const db = d(n.b);
        return b.sub(b.div(da, n.b), b.div(b.mul(n.a, db), b.pow(n.b, b.num(2))));
      }
      case 'pow': {
        const da = d(n.a);
        const db = d(n.b);
        const exponent = b.constValue(n.b);
        // (u^c)' = c u^(c−1) u'
        if (exponent !== undefined) return b.mul(b.mul(b.num(exponent), b.pow(n.a, b.num(exponent - 1))), da);
        // (u^v)' = u^v (v' log u + v u'/u)
        return b.mul(id, b.add(b.mul(db, b.call('log', [n.a])), b.div(b.mul(n.b, da), n.a)));
      }
      case 'call': {
        const fn = builtins.get(n.fn);
        if (!fn) throw new InternalCompilerError(`no derivative for unknown function ${n.fn}`);
        let acc = zero;
        n.args.forEach((arg, i) => {
          const darg = d(arg);
          if (b.constValue(darg) === 0) return;
          if (fn.derivative === 'not-differentiable') throw new InternalCompilerError(`${n.fn} is not differentiable`);
          acc = b.add(acc, b.mul(fn.derivative(b, n.args, i), darg));
        });
        return acc;
      }
      case 'select':
        return b.select(n.cond, d(n.then), d(n.else));
      // Conditions are piecewise constant: their derivative is zero almost everywhere.
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge':
      case 'eq':
      case 'ne':
      case 'and':
      case 'or':
      case 'not':
        return zero;
    }
  }

  /** The matrix [∂ roots_i / ∂ var(kind, j)] for the listed indices. */
  jacobian(roots: readonly NodeId[], kind: VarKind, indices: readonly number[]): NodeId[][] {
    return roots.map((r) => indices.map((j) => this.d(r, kind, j)));
  }
}
