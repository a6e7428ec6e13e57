/** Small traversals of AST expressions shared by the checker passes. */
import type { Expr } from '../../grammar/ast.js';

/** The direct subexpressions of `e`. */
export function subExpressions(e: Expr): Expr[] {
  switch (e.kind) {
    case 'number':
    case 'name':
    case 'missing':
      return [];
    case 'unary':
      return [e.operand];
    case 'binary':
      return [e.left, e.right];
    case 'call':
      return e.args.map((a) => a.value);
    case 'piecewise':
      return [...e.cases.flatMap((c) => [c.condition, c.value]), ...(e.otherwise ? [e.otherwise] : [])];
    case 'if':
      return [e.condition, e.then, e.else];
    case 'sum':
      return [e.domain, e.body];
    case 'list':
      return [...e.items];
  }
}

/** Calls `visit` on `e` and every expression inside it, parents first. */
export function forEachExpr(e: Expr, visit: (x: Expr) => void): void {
  const stack = [e];
  while (stack.length > 0) {
    const x = stack.pop()!;
    visit(x);
    stack.push(...subExpressions(x));
  }
}

/** Names read by `e` (excluding the variables bound by `sum` inside it, and `mlp` activation words). */
export function namesIn(e: Expr): { name: string; range: Expr['range'] }[] {
  const out: { name: string; range: Expr['range'] }[] = [];
  const walk = (x: Expr, bound: readonly string[]): void => {
    if (x.kind === 'name') {
      if (!bound.includes(x.name)) out.push({ name: x.name, range: x.range });
      return;
    }
    if (x.kind === 'sum') {
      walk(x.domain, bound);
      walk(x.body, [...bound, x.variable]);
      return;
    }
    if (x.kind === 'call' && x.callee === 'mlp') {
      for (const a of x.args) if (a.name === undefined) walk(a.value, bound);
      return;
    }
    for (const s of subExpressions(x)) walk(s, bound);
  };
  walk(e, []);
  return out;
}
