/** Evaluation of the constants block: numbers and lists known when the model is compiled. */
import { diagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import type { ConstantDecl, Expr } from '../../grammar/ast.js';
import { builtins, namedConstants } from '../../stdlib/builtins.js';

export type ConstantValue = number | readonly number[];

/**
 * Evaluates every constant, in any order of declaration. A constant may use numbers, other constants and
 * built-in functions; anything else (a parameter, `t`, a state) is E223, a cycle is E206.
 */
export function evaluateConstants(decls: readonly ConstantDecl[], diagnostics: Diagnostic[]): Map<string, ConstantValue> {
  const byName = new Map(decls.map((d) => [d.name, d]));
  const values = new Map<string, ConstantValue>();
  const visiting: string[] = [];
  const failed = new Set<string>();

  const valueOf = (d: ConstantDecl): ConstantValue | undefined => {
    if (values.has(d.name)) return values.get(d.name);
    if (failed.has(d.name)) return undefined;
    if (visiting.includes(d.name)) {
      const cycle = [...visiting.slice(visiting.indexOf(d.name)), d.name];
      diagnostics.push(diagnostic('E206', d.nameRange, `the constants ${cycle.join(' → ')} form a cycle`));
      failed.add(d.name);
      return undefined;
    }
    visiting.push(d.name);
    const v = evaluate(d.value, d);
    visiting.pop();
    if (v === undefined) failed.add(d.name);
    else values.set(d.name, v);
    return v;
  };

  const num = (e: Expr, owner: ConstantDecl): number | undefined => {
    const v = evaluate(e, owner);
    if (v === undefined) return undefined;
    if (typeof v !== 'number') {
      diagnostics.push(diagnostic('E221', e.range, 'a list cannot be used in arithmetic'));
      return undefined;
    }
    return v;
  };

  const evaluate = (e: Expr, owner: ConstantDecl): ConstantValue | undefined => {
    switch (e.kind) {
      case 'number':
        return e.value;
      case 'missing':
        return undefined;
      case 'name': {
        const d = byName.get(e.name);
        if (d) return valueOf(d);
        const named = namedConstants.get(e.name);
        if (named) return named.value;
        diagnostics.push(diagnostic('E223', e.range, `the constant '${owner.name}' uses '${e.name}', which is not a constant: constants use numbers, other constants and built-in functions`));
        return undefined;
      }
      case 'unary': {
        if (e.op === 'not') break;
        const v = num(e.operand, owner);
        return v === undefined ? undefined : e.op === '-' ? -v : v;
      }
      case 'binary': {
        const a = num(e.left, owner);
        const b = num(e.right, owner);
        if (a === undefined || b === undefined) return undefined;
        switch (e.op) {
          case '+': return a + b;
          case '-': return a - b;
          case '*': return a * b;
          case '/': return a / b;
          case '^': return Math.pow(a, b);
          default: break;
        }
        break;
      }
      case 'call': {
        const fn = builtins.get(e.callee);
        if (!fn || e.args.length !== fn.arity) break;
        const args = e.args.map((a) => num(a.value, owner));
        return args.every((a): a is number => a !== undefined) ? fn.evaluate(args) : undefined;
      }
      case 'list': {
        const items = e.items.map((i) => num(i, owner));
        return items.every((i): i is number => i !== undefined) ? items : undefined;
      }
      default:
        break;
    }
    diagnostics.push(diagnostic('E223', e.range, `the constant '${owner.name}' must be a number or a list of numbers computed from numbers and other constants`));
    return undefined;
  };

  for (const d of decls) {
    const v = valueOf(d);
    if (typeof v === 'number' && !Number.isFinite(v)) diagnostics.push(diagnostic('E223', d.value.range, `the constant '${d.name}' is not a finite number`));
  }
  return values;
}
