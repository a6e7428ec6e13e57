/**
 * Name resolution and typing of one expression. Types are few: numbers, conditions (from comparisons), and
 * constant lists (only where a list is meaningful: `sum` domains, constants, dose times, `mlp` sizes).
 */
import { diagnostic, type Diagnostic } from '../../diagnostics/diagnostic.js';
import { closest } from '../../diagnostics/suggest.js';
import type { Argument, Expr } from '../../grammar/ast.js';
import { builtins, callableNames, macros, MLP_ACTIVATIONS, namedConstants, specialForms } from '../../stdlib/builtins.js';
import type { Reference, SymbolInfo } from './checked-model.js';

export type ValueType = 'number' | 'bool' | 'list' | 'unknown';

/** What an expression may see and where its findings go. */
export interface ExprScope {
  readonly symbols: ReadonlyMap<string, SymbolInfo>;
  readonly constantLists: ReadonlyMap<string, readonly number[]>;
  readonly diagnostics: Diagnostic[];
  readonly references: Reference[];
  /** Called for every resolved name, with the symbol it resolved to. */
  readonly onUse?: (symbol: SymbolInfo, range: Expr['range']) => void;
  /** Names that may be declared in parts of the file that could not be read: not reported as unknown. */
  readonly unread?: ReadonlySet<string>;
}

/** Activation functions an `mlp` may use. */
export const mlpActivations: readonly string[] = MLP_ACTIVATIONS;

const arithmetic = new Set(['+', '-', '*', '/', '^']);
const comparisons = new Set(['<', '<=', '>', '>=', '==', '!=']);

export class ExprChecker {
  private readonly locals: string[] = [];

  constructor(private readonly scope: ExprScope) {}

  /** Checks `e`, reports a type mismatch against `expected`, and returns the type found. */
  check(e: Expr, expected: 'number' | 'bool' | 'list' | 'number-or-list'): ValueType {
    const found = this.typeOf(e);
    if (found === 'unknown') return found;
    if (expected === 'number' && found === 'bool') {
      this.report('E228', e.range, "a condition cannot be used as a number here; choose a value with 'piecewise(...)' or 'if ... then ... else ...'");
    } else if (expected === 'bool' && found !== 'bool') {
      this.report('E229', e.range, "expected a condition such as 't < 24', found a number");
    } else if ((expected === 'number' || expected === 'bool') && found === 'list') {
      this.report('E221', e.range, 'a list cannot be used here: lists are for sum(...) domains, constants, dose times and mlp sizes');
    } else if (expected === 'list' && found !== 'list') {
      this.report('E221', e.range, 'expected a list such as [0, 24, 48]');
    }
    return found;
  }

  private report(code: Parameters<typeof diagnostic>[0], range: Expr['range'], message: string, fix?: { title: string; newText: string }): void {
    this.scope.diagnostics.push(diagnostic(code, range, message, fix ? { fix: { ...fix, range } } : {}));
  }

  private typeOf(e: Expr): ValueType {
    switch (e.kind) {
      case 'missing':
        return 'unknown';
      case 'number':
        return 'number';
      case 'name':
        return this.name(e.name, e.range);
      case 'unary':
        if (e.op === 'not') {
          this.check(e.operand, 'bool');
          return 'bool';
        }
        this.check(e.operand, 'number');
        return 'number';
      case 'binary':
        if (arithmetic.has(e.op)) {
          this.check(e.left, 'number');
          this.check(e.right, 'number');
          return 'number';
        }
        if (comparisons.has(e.op)) {
          this.check(e.left, 'number');
          this.check(e.right, 'number');
          return 'bool';
        }
        this.check(e.left, 'bool');
        this.check(e.right, 'bool');
        return 'bool';
      case 'if':
        this.check(e.condition, 'bool');
        this.check(e.then, 'number');
        this.check(e.else, 'number');
        return 'number';
      case 'piecewise':
        for (const c of e.cases) {
          this.check(c.condition, 'bool');
          this.check(c.value, 'number');
        }
        if (e.otherwise) this.check(e.otherwise, 'number');
        else this.report('E205', e.range, "piecewise needs a last case 'otherwise: value', taken when no condition holds");
        return 'number';
      case 'list':
        for (const item of e.items) this.check(item, 'number');
        return 'list';
      case 'sum':
        return this.sum(e);
      case 'call':
        return this.call(e);
    }
  }

  private name(name: string, range: Expr['range']): ValueType {
    if (this.locals.includes(name)) return 'number';
    const sym = this.scope.symbols.get(name);
    if (sym) {
      this.scope.references.push({ name, kind: sym.kind, range });
      this.scope.onUse?.(sym, range);
      return this.scope.constantLists.has(name) ? 'list' : 'number';
    }
    if (namedConstants.has(name)) return 'number';
    if (this.scope.unread?.has(name)) return 'unknown';
    if (builtins.has(name) || macros.has(name)) {
      this.report('E201', range, `'${name}' is a function: call it, as in ${name}(x)`);
      return 'unknown';
    }
    const guess = closest(name, [...this.scope.symbols.keys(), ...this.locals, ...namedConstants.keys()]);
    this.report('E201', range, `unknown name '${name}'${guess ? `; did you mean '${guess}'?` : ''}`, guess ? { title: `Change to '${guess}'`, newText: guess } : undefined);
    return 'unknown';
  }

  private sum(e: Extract<Expr, { kind: 'sum' }>): ValueType {
    const domain = e.domain;
    const constantList = domain.kind === 'name' && this.scope.constantLists.has(domain.name);
    const literalList = domain.kind === 'list' && domain.items.every((i) => i.kind === 'number' || (i.kind === 'unary' && i.op === '-' && i.operand.kind === 'number'));
    if (domain.kind === 'name' && constantList) this.name(domain.name, domain.range);
    if (!constantList && !literalList && domain.kind !== 'missing') {
      this.report('E222', domain.range, "sum(...) runs over a constant list: write 'sum(x in [1, 2, 3]: ...)' or name a list in the constants block");
    }
    if (this.scope.symbols.has(e.variable)) {
      this.report('E222', e.variableRange, `the sum variable '${e.variable}' hides a declared name; choose another name`);
    }
    this.locals.push(e.variable);
    this.check(e.body, 'number');
    this.locals.pop();
    return 'number';
  }

  private call(e: Extract<Expr, { kind: 'call' }>): ValueType {
    if (e.callee === 'mlp') return this.mlp(e);
    const fn = builtins.get(e.callee) ?? macros.get(e.callee);
    if (!fn) {
      const sym = this.scope.symbols.get(e.callee);
      if (sym) {
        this.report('E203', e.calleeRange, `'${e.callee}' is a ${describeKind(sym.kind)}, not a function; use '*' to multiply`);
      } else {
        const guess = closest(e.callee, callableNames());
        this.report('E203', e.calleeRange, `unknown function '${e.callee}'${guess ? `; did you mean '${guess}'?` : ''}`, guess ? { title: `Change to '${guess}'`, newText: guess } : undefined);
      }
      for (const a of e.args) this.check(a.value, 'number');
      return 'unknown';
    }
    for (const a of e.args) {
      if (a.name !== undefined) this.report('E205', a.nameRange ?? a.range, `${fn.signature} takes no named arguments`);
      this.check(a.value, 'number');
    }
    if (e.args.length !== fn.arity) {
      this.report('E204', e.range, `${fn.signature} takes ${fn.arity} argument${fn.arity === 1 ? '' : 's'}, found ${e.args.length}`);
    }
    return 'number';
  }

  /** `mlp(inputs..., hidden = [16, 16], activation = tanh, l2 = 0.01)`. */
  private mlp(e: Extract<Expr, { kind: 'call' }>): ValueType {
    const inputs = e.args.filter((a) => a.name === undefined);
    if (inputs.length === 0) this.report('E230', e.range, 'mlp(...) needs at least one input, e.g. mlp(central, hidden = [8])');
    for (const a of inputs) this.check(a.value, 'number');
    const named = e.args.filter((a): a is Argument & { name: string } => a.name !== undefined);
    for (const a of named) {
      if (a.name === 'hidden') {
        const v = a.value;
        const ok = v.kind === 'list' && v.items.length > 0 && v.items.every((i) => i.kind === 'number' && Number.isInteger(i.value) && i.value >= 1 && i.value <= 256);
        if (!ok) this.report('E230', v.range, 'hidden = [n1, n2, ...] lists the hidden layer widths: whole numbers from 1 to 256');
      } else if (a.name === 'activation') {
        const v = a.value;
        if (v.kind !== 'name' || !mlpActivations.includes(v.name)) {
          this.report('E230', v.range, `activation is one of ${mlpActivations.join(', ')}`);
        }
      } else if (a.name === 'l2') {
        // A constant: the penalty is part of the objective's definition, not something the data move.
        const v = a.value;
        const value = v.kind === 'number' ? v.value : Number.NaN;
        if (!(Number.isFinite(value) && value >= 0)) this.report('E230', v.range, 'l2 = λ is the weight penalty (λ/2 · Σ w² per subject): a number ≥ 0, e.g. l2 = 0.01');
      } else {
        const guess = closest(a.name, specialForms.get('mlp')!.arguments.map((x) => x.name));
        this.report('E205', a.nameRange ?? a.range, `mlp(...) has no argument '${a.name}'${guess ? `; did you mean '${guess}'?` : ''}`);
      }
    }
    return 'number';
  }
}

export function describeKind(kind: SymbolInfo['kind']): string {
  switch (kind) {
    case 'parameter':
      return 'parameter';
    case 'errorParameter':
      return 'error parameter';
    case 'covariate':
      return 'covariate';
    case 'constant':
      return 'constant';
    case 'state':
      return 'state';
    case 'definition':
      return 'definition';
    case 'time':
      return 'time variable';
    case 'namedConstant':
      return 'constant';
  }
}
