/**
 * Smart constructors over an ExprPool: every node is constant-folded and simplified by the rule table as it is
 * built, so derivative expressions never accumulate `0 · x` and `1 · y` litter. Commutative operands are put in a
 * canonical order (constants first, then by id) so that `a·b` and `b·a` intern to the same node.
 */
import { builtins } from '../../stdlib/builtins.js';
import { InternalCompilerError } from '../../diagnostics/diagnostic.js';
import { ExprPool, type CompareOpName, type ExprNode, type NodeId, type VarKind } from '../ir/expr.js';
import { rulesByOp, type RuleContext } from './rules.js';

/** Evaluates an operator on constant operands (booleans are 1 and 0). */
function fold(n: ExprNode, value: (id: NodeId) => number): number {
  switch (n.op) {
    case 'const':
      return n.value;
    case 'var':
      throw new InternalCompilerError('cannot fold a variable');
    case 'add':
      return value(n.a) + value(n.b);
    case 'sub':
      return value(n.a) - value(n.b);
    case 'mul':
      return value(n.a) * value(n.b);
    case 'div':
      return value(n.a) / value(n.b);
    case 'pow':
      return Math.pow(value(n.a), value(n.b));
    case 'neg':
      return -value(n.a);
    case 'call': {
      const fn = builtins.get(n.fn);
      if (!fn) throw new InternalCompilerError(`unknown built-in ${n.fn}`);
      return fn.evaluate(n.args.map(value));
    }
    case 'lt':
      return value(n.a) < value(n.b) ? 1 : 0;
    case 'le':
      return value(n.a) <= value(n.b) ? 1 : 0;
    case 'gt':
      return value(n.a) > value(n.b) ? 1 : 0;
    case 'ge':
      return value(n.a) >= value(n.b) ? 1 : 0;
    case 'eq':
      return value(n.a) === value(n.b) ? 1 : 0;
    case 'ne':
      return value(n.a) !== value(n.b) ? 1 : 0;
    case 'and':
      return value(n.a) !== 0 && value(n.b) !== 0 ? 1 : 0;
    case 'or':
      return value(n.a) !== 0 || value(n.b) !== 0 ? 1 : 0;
    case 'not':
      return value(n.a) === 0 ? 1 : 0;
    case 'select':
      return value(n.cond) !== 0 ? value(n.then) : value(n.else);
  }
}

export class ExprBuilder implements RuleContext {
  constructor(readonly pool: ExprPool = new ExprPool()) {}

  node(id: NodeId): ExprNode {
    return this.pool.get(id);
  }

  constValue(id: NodeId): number | undefined {
    const n = this.pool.get(id);
    return n.op === 'const' ? n.value : undefined;
  }

  num(value: number): NodeId {
    return this.pool.intern({ op: 'const', value });
  }

  variable(kind: VarKind, index: number): NodeId {
    return this.pool.intern({ op: 'var', kind, index });
  }

  /** Folds, applies the rule table until nothing changes, then interns. */
  make(n: ExprNode): NodeId {
    const operands = n.op === 'const' || n.op === 'var' ? [] : n.op === 'call' ? n.args : n.op === 'select' ? [n.cond, n.then, n.else] : 'b' in n ? [n.a, n.b] : [n.a];
    if (n.op !== 'const' && n.op !== 'var' && operands.every((o) => this.constValue(o) !== undefined)) {
      const v = fold(n, (id) => this.constValue(id)!);
      // Keep non-finite results symbolic so the emitted code shows where they come from.
      if (Number.isFinite(v)) return this.num(v);
    }
    for (const rule of rulesByOp.get(n.op) ?? []) {
      const simpler = rule.apply(n, this);
      if (simpler !== undefined) return simpler;
    }
    return this.pool.intern(n);
  }

  private ordered(a: NodeId, b: NodeId): [NodeId, NodeId] {
    const ca = this.constValue(a) !== undefined;
    const cb = this.constValue(b) !== undefined;
    if (ca !== cb) return ca ? [a, b] : [b, a];
    return a <= b ? [a, b] : [b, a];
  }

  add(a: NodeId, b: NodeId): NodeId {
    const [x, y] = this.ordered(a, b);
    return this.make({ op: 'add', a: x, b: y });
  }

  sub(a: NodeId, b: NodeId): NodeId {
    return this.make({ op: 'sub', a, b });
  }

  mul(a: NodeId, b: NodeId): NodeId {
    const [x, y] = this.ordered(a, b);
    return this.make({ op: 'mul', a: x, b: y });
  }

  div(a: NodeId, b: NodeId): NodeId {
    return this.make({ op: 'div', a, b });
  }

  pow(a: NodeId, b: NodeId): NodeId {
    return this.make({ op: 'pow', a, b });
  }

  neg(a: NodeId): NodeId {
    return this.make({ op: 'neg', a });
  }

  call(fn: string, args: readonly NodeId[]): NodeId {
    return this.make({ op: 'call', fn, args });
  }

  compare(op: CompareOpName, a: NodeId, b: NodeId): NodeId {
    return this.make({ op, a, b });
  }

  and(a: NodeId, b: NodeId): NodeId {
    return this.make({ op: 'and', a, b });
  }

  or(a: NodeId, b: NodeId): NodeId {
    return this.make({ op: 'or', a, b });
  }

  not(a: NodeId): NodeId {
    return this.make({ op: 'not', a });
  }

  select(cond: NodeId, then: NodeId, otherwise: NodeId): NodeId {
    return this.make({ op: 'select', cond, then, else: otherwise });
  }

  /** Σ of a list; 0 for none. */
  sum(terms: readonly NodeId[]): NodeId {
    return terms.reduce((acc, t) => this.add(acc, t), this.num(0));
  }
}
