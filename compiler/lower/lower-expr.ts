/** AST expressions → IR nodes, given what each name stands for. */
import { InternalCompilerError } from '../../diagnostics/diagnostic.js';
import type { Expr } from '../../grammar/ast.js';
import { builtins, macros, namedConstants } from '../../stdlib/builtins.js';
import type { NodeId } from '../ir/expr.js';
import type { ExprBuilder } from '../rewrite/builder.js';

export interface LowerEnv {
  readonly b: ExprBuilder;
  /** The node a declared name stands for. */
  readonly lookup: (name: string) => NodeId | undefined;
  /** Constant lists by name (sum domains). */
  readonly lists: ReadonlyMap<string, readonly number[]>;
  /** Lowers an `mlp(...)` term given its lowered inputs. */
  readonly mlp: (e: Extract<Expr, { kind: 'call' }>, inputs: NodeId[]) => NodeId;
}

const compareOps = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '==': 'eq', '!=': 'ne' } as const;

/** Lowers a checked expression. Only called on models without errors, so malformed input is a compiler bug. */
export function lowerExpr(e: Expr, env: LowerEnv, locals: ReadonlyMap<string, number> = new Map()): NodeId {
  const { b } = env;
  const go = (x: Expr): NodeId => lowerExpr(x, env, locals);
  switch (e.kind) {
    case 'number':
      return b.num(e.value);
    case 'name': {
      const local = locals.get(e.name);
      if (local !== undefined) return b.num(local);
      const id = env.lookup(e.name);
      if (id !== undefined) return id;
      const named = namedConstants.get(e.name);
      if (named) return b.num(named.value);
      throw new InternalCompilerError(`unresolved name '${e.name}' reached lowering`);
    }
    case 'unary':
      if (e.op === 'not') return b.not(go(e.operand));
      return e.op === '-' ? b.neg(go(e.operand)) : go(e.operand);
    case 'binary': {
      const l = go(e.left);
      const r = go(e.right);
      switch (e.op) {
        case '+': return b.add(l, r);
        case '-': return b.sub(l, r);
        case '*': return b.mul(l, r);
        case '/': return b.div(l, r);
        case '^': return b.pow(l, r);
        case 'and': return b.and(l, r);
        case 'or': return b.or(l, r);
        default: return b.compare(compareOps[e.op], l, r);
      }
    }
    case 'if':
      return b.select(go(e.condition), go(e.then), go(e.else));
    case 'piecewise': {
      if (!e.otherwise) throw new InternalCompilerError('piecewise without otherwise reached lowering');
      let acc = go(e.otherwise);
      for (let i = e.cases.length - 1; i >= 0; i--) acc = b.select(go(e.cases[i]!.condition), go(e.cases[i]!.value), acc);
      return acc;
    }
    case 'sum': {
      const values = e.domain.kind === 'name' ? env.lists.get(e.domain.name) : e.domain.kind === 'list' ? e.domain.items.map((i) => b.constValue(go(i))!) : undefined;
      if (!values) throw new InternalCompilerError('sum over a non-constant domain reached lowering');
      return b.sum(values.map((v) => lowerExpr(e.body, env, new Map([...locals, [e.variable, v]]))));
    }
    case 'call': {
      if (e.callee === 'mlp') return env.mlp(e, e.args.filter((a) => a.name === undefined).map((a) => go(a.value)));
      const args = e.args.map((a) => go(a.value));
      const macro = macros.get(e.callee);
      if (macro) return macro.expand(b, args);
      if (!builtins.has(e.callee)) throw new InternalCompilerError(`unknown function '${e.callee}' reached lowering`);
      return b.call(e.callee, args);
    }
    case 'list':
      throw new InternalCompilerError('a list reached scalar lowering');
    case 'missing':
      throw new InternalCompilerError('a missing expression reached lowering');
  }
}
