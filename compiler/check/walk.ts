/** Small traversals of AST expressions shared by the checker passes. */
import type { Expr, Modifier, ModelAst } from '../../grammar/ast.js';

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

/** How deeply `e` nests (a leaf is 1), without recursion: it is asked about expressions too deep to recurse on. */
export function exprDepth(e: Expr): number {
  let max = 0;
  const stack: [Expr, number][] = [[e, 1]];
  while (stack.length > 0) {
    const [x, d] = stack.pop()!;
    if (d > max) max = d;
    for (const s of subExpressions(x)) stack.push([s, d + 1]);
  }
  return max;
}

/** Every top-level expression of the model: values, initial conditions, dosing, observations, modifier arguments. */
export function modelExpressions(ast: ModelAst): Expr[] {
  const modifierArgs = (mods: readonly Modifier[]): Expr[] => mods.flatMap((m) => (m.kind === 'word' ? (m.args ?? []).map((a) => a.value) : []));
  return [
    ...ast.constants.map((c) => c.value),
    ...ast.covariates.flatMap((c) => modifierArgs(c.modifiers)),
    ...ast.parameters.flatMap((p) => modifierArgs(p.modifiers)),
    ...ast.states.flatMap((s) => (s.initial ? [s.initial] : [])),
    ...ast.ode.map((s) => s.value),
    ...ast.dosing.flatMap((d) => [...(d.kind === 'dose' ? [d.amount, d.times] : []), ...modifierArgs(d.modifiers)]),
    ...ast.observations.flatMap((o) => [...o.args.map((a) => a.value), ...modifierArgs(o.modifiers)]),
  ];
}
