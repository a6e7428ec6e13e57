/** AST expressions → IR nodes, given what each name stands for. */
import { InternalCompilerError } from '../../diagnostics/diagnostic.js';
import type { Range } from '../../diagnostics/source-range.js';
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
  /**
   * Where each node came from: the range of the first source expression lowered to it, so that later stages can
   * point at the comparison or the literal they warn about.
   */
  readonly sources?: Map<NodeId, Range>;
}

/** Terms a `sum` adds one after the other; longer sums add such runs pairwise (see `longSum`). */
const sumRun = 32;

/**
 * Σ of the terms of an unrolled `sum`: left to right as written for up to `sumRun` terms, and for more, runs of that
 * many combined pairwise, so that a sum over a long list is a shallow tree rather than a chain as deep as the list
 * (every later stage recurses on depth).
 */
function longSum(b: ExprBuilder, terms: readonly NodeId[]): NodeId {
  let level: NodeId[] = [];
  for (let i = 0; i < terms.length || i === 0; i += sumRun) level.push(b.sum(terms.slice(i, i + sumRun)));
  while (level.length > 1) {
    const next: NodeId[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? b.add(level[i]!, level[i + 1]!) : level[i]!);
    level = next;
  }
  return level[0]!;
}

const compareOps = { '<': 'lt', '<=': 'le', '>': 'gt', '>=': 'ge', '==': 'eq', '!=': 'ne' } as const;

/** Lowers a checked expression. Only called on models without errors, so malformed input is a compiler bug. */
export function lowerExpr(e: Expr, env: LowerEnv, locals: ReadonlyMap<string, number> = new Map()): NodeId {
  const id = lowerNode(e, env, locals);
  if (env.sources && !env.sources.has(id)) env.sources.set(id, e.range);
  return id;
}

function lowerNode(e: Expr, env: LowerEnv, locals: ReadonlyMap<string, number>): NodeId {
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
      return longSum(b, values.map((v) => lowerExpr(e.body, env, new Map([...locals, [e.variable, v]]))));
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
