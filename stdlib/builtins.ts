/**
 * The built-in function table: the one place that says everything about a built-in — arity, hover docs, its f64
 * value (for constant folding and the interpreter), its derivative with respect to each argument, and how WGSL
 * and TypeScript spell it. The checker, `diff`, both emitters and the language server all read this table.
 *
 * Derivative rules build IR through the builder handed to them, so they are simplified as they are built.
 */
import type { NodeId } from '../compiler/ir/expr.js';
import type { ExprBuilder } from '../compiler/rewrite/builder.js';
import { erf } from './special-functions.js';

export interface Builtin {
  readonly name: string;
  readonly arity: number;
  readonly signature: string;
  readonly doc: string;
  /** The f64 value; NaN outside the domain, like Math.*. */
  readonly evaluate: (args: readonly number[]) => number;
  /** ∂ name(args) / ∂ args[i], or 'not-differentiable' (then only constant arguments are allowed). */
  readonly derivative: ((b: ExprBuilder, args: readonly NodeId[], i: number) => NodeId) | 'not-differentiable';
  readonly wgsl: (args: readonly string[]) => string;
  readonly ts: (args: readonly string[]) => string;
  /** Helper functions the spellings call, by name; emitted once per module when used. */
  readonly wgslHelpers?: readonly string[];
  readonly tsHelpers?: readonly string[];
}

const LN10 = Math.LN10;
const INV_SQRT_2PI = 0.3989422804014327;

/** Applies a one-argument rule: d f(u) / du as a function of u. */
function unary(rule: (b: ExprBuilder, u: NodeId) => NodeId): Builtin['derivative'] {
  return (b, args) => rule(b, args[0]!);
}

const table: readonly Builtin[] = [
  {
    name: 'exp', arity: 1, signature: 'exp(x)', doc: 'The exponential e^x.',
    evaluate: ([x]) => Math.exp(x!),
    derivative: unary((b, u) => b.call('exp', [u])),
    wgsl: ([x]) => `exp(${x})`, ts: ([x]) => `Math.exp(${x})`,
  },
  {
    name: 'log', arity: 1, signature: 'log(x)', doc: 'The natural logarithm; x > 0.',
    evaluate: ([x]) => Math.log(x!),
    derivative: unary((b, u) => b.div(b.num(1), u)),
    wgsl: ([x]) => `log(${x})`, ts: ([x]) => `Math.log(${x})`,
  },
  {
    name: 'log10', arity: 1, signature: 'log10(x)', doc: 'The base-10 logarithm; x > 0.',
    evaluate: ([x]) => Math.log10(x!),
    derivative: unary((b, u) => b.div(b.num(1 / LN10), u)),
    wgsl: ([x]) => `(log(${x}) * 0.4342944819032518)`, ts: ([x]) => `Math.log10(${x})`,
  },
  {
    name: 'sqrt', arity: 1, signature: 'sqrt(x)', doc: 'The square root; x ≥ 0.',
    evaluate: ([x]) => Math.sqrt(x!),
    derivative: unary((b, u) => b.div(b.num(0.5), b.call('sqrt', [u]))),
    wgsl: ([x]) => `sqrt(${x})`, ts: ([x]) => `Math.sqrt(${x})`,
  },
  {
    name: 'abs', arity: 1, signature: 'abs(x)', doc: 'The absolute value |x|; its derivative at 0 is taken as 0.',
    evaluate: ([x]) => Math.abs(x!),
    derivative: unary((b, u) => b.call('sign', [u])),
    wgsl: ([x]) => `abs(${x})`, ts: ([x]) => `Math.abs(${x})`,
  },
  {
    name: 'sign', arity: 1, signature: 'sign(x)', doc: 'The sign of x: -1, 0 or 1 (derivative 0).',
    evaluate: ([x]) => Math.sign(x!),
    derivative: (b) => b.num(0),
    wgsl: ([x]) => `sign(${x})`, ts: ([x]) => `Math.sign(${x})`,
  },
  {
    name: 'min', arity: 2, signature: 'min(a, b)', doc: 'The smaller of a and b.',
    evaluate: ([a, c]) => Math.min(a!, c!),
    derivative: (b, [x, y], i) => b.select(b.compare('le', x!, y!), b.num(i === 0 ? 1 : 0), b.num(i === 0 ? 0 : 1)),
    wgsl: ([a, c]) => `min(${a}, ${c})`, ts: ([a, c]) => `Math.min(${a}, ${c})`,
  },
  {
    name: 'max', arity: 2, signature: 'max(a, b)', doc: 'The larger of a and b.',
    evaluate: ([a, c]) => Math.max(a!, c!),
    derivative: (b, [x, y], i) => b.select(b.compare('ge', x!, y!), b.num(i === 0 ? 1 : 0), b.num(i === 0 ? 0 : 1)),
    wgsl: ([a, c]) => `max(${a}, ${c})`, ts: ([a, c]) => `Math.max(${a}, ${c})`,
  },
  {
    name: 'sin', arity: 1, signature: 'sin(x)', doc: 'The sine (radians).',
    evaluate: ([x]) => Math.sin(x!),
    derivative: unary((b, u) => b.call('cos', [u])),
    wgsl: ([x]) => `sin(${x})`, ts: ([x]) => `Math.sin(${x})`,
  },
  {
    name: 'cos', arity: 1, signature: 'cos(x)', doc: 'The cosine (radians).',
    evaluate: ([x]) => Math.cos(x!),
    derivative: unary((b, u) => b.neg(b.call('sin', [u]))),
    wgsl: ([x]) => `cos(${x})`, ts: ([x]) => `Math.cos(${x})`,
  },
  {
    name: 'tanh', arity: 1, signature: 'tanh(x)', doc: 'The hyperbolic tangent.',
    evaluate: ([x]) => Math.tanh(x!),
    derivative: unary((b, u) => b.sub(b.num(1), b.pow(b.call('tanh', [u]), b.num(2)))),
    // Clamped: some WGSL implementations compute tanh through exp and return NaN for large |x|.
    wgsl: ([x]) => `tanh(clamp(${x}, -20.0, 20.0))`, ts: ([x]) => `Math.tanh(${x})`,
  },
  {
    name: 'expit', arity: 1, signature: 'expit(x)', doc: 'The logistic function 1 / (1 + e^-x), inverse of logit.',
    evaluate: ([x]) => 1 / (1 + Math.exp(-x!)),
    derivative: unary((b, u) => {
      const s = b.call('expit', [u]);
      return b.mul(s, b.sub(b.num(1), s));
    }),
    wgsl: ([x]) => `(1.0 / (1.0 + exp(-(${x}))))`, ts: ([x]) => `(1 / (1 + Math.exp(-(${x}))))`,
  },
  {
    name: 'logit', arity: 1, signature: 'logit(p)', doc: 'The log-odds log(p / (1 - p)); 0 < p < 1.',
    evaluate: ([p]) => Math.log(p! / (1 - p!)),
    derivative: unary((b, u) => b.div(b.num(1), b.mul(u, b.sub(b.num(1), u)))),
    wgsl: ([p]) => `log((${p}) / (1.0 - (${p})))`, ts: ([p]) => `Math.log((${p}) / (1 - (${p})))`,
  },
  {
    name: 'softplus', arity: 1, signature: 'softplus(x)', doc: 'log(1 + e^x), a smooth positive ramp.',
    evaluate: ([x]) => (x! > 30 ? x! : Math.log1p(Math.exp(x!))),
    derivative: unary((b, u) => b.call('expit', [u])),
    wgsl: ([x]) => `nlm_softplus(${x})`, ts: ([x]) => `nlm_softplus(${x})`,
    wgslHelpers: ['nlm_softplus'], tsHelpers: ['nlm_softplus'],
  },
  {
    name: 'normcdf', arity: 1, signature: 'normcdf(x)', doc: 'The standard normal distribution function Φ(x).',
    evaluate: ([x]) => 0.5 * (1 + erf(x! / Math.SQRT2)),
    derivative: unary((b, u) => b.call('normpdf', [u])),
    wgsl: ([x]) => `nlm_normcdf(${x})`, ts: ([x]) => `nlm_normcdf(${x})`,
    wgslHelpers: ['nlm_normcdf'], tsHelpers: ['nlm_normcdf'],
  },
  {
    name: 'normpdf', arity: 1, signature: 'normpdf(x)', doc: 'The standard normal density φ(x).',
    evaluate: ([x]) => INV_SQRT_2PI * Math.exp(-0.5 * x! * x!),
    derivative: unary((b, u) => b.neg(b.mul(u, b.call('normpdf', [u])))),
    wgsl: ([x]) => `(0.3989422804014327 * exp(-0.5 * (${x}) * (${x})))`, ts: ([x]) => `(0.3989422804014327 * Math.exp(-0.5 * (${x}) * (${x})))`,
  },
];

export const builtins: ReadonlyMap<string, Builtin> = new Map(table.map((b) => [b.name, b]));

/**
 * Functions that are sugar for an expression (expanded while lowering, so they need no rules of their own).
 * `hill(x, k, n)` = x^n / (k^n + x^n), the sigmoid of pharmacodynamics.
 */
export interface Macro {
  readonly name: string;
  readonly arity: number;
  readonly signature: string;
  readonly doc: string;
  readonly expand: (b: ExprBuilder, args: readonly NodeId[]) => NodeId;
}

export const macros: ReadonlyMap<string, Macro> = new Map(
  [
    {
      name: 'hill', arity: 3, signature: 'hill(x, k, n)', doc: 'The Hill function x^n / (k^n + x^n): 0 at x = 0, 1/2 at x = k.',
      expand: (b: ExprBuilder, [x, k, n]: readonly NodeId[]) => {
        const xn = b.pow(x!, n!);
        return b.div(xn, b.add(b.pow(k!, n!), xn));
      },
    },
    {
      name: 'pow', arity: 2, signature: 'pow(x, y)', doc: 'x raised to the power y, the same as x^y.',
      expand: (b: ExprBuilder, [x, y]: readonly NodeId[]) => b.pow(x!, y!),
    },
  ].map((m) => [m.name, m]),
);

/** A named argument of a special form: its meaning, and the words it takes where it takes words. */
export interface FormArgument {
  readonly name: string;
  readonly doc: string;
  readonly words?: readonly string[];
}

/** The activations an mlp's hidden layers can use (each a built-in function of one argument). */
export const MLP_ACTIVATIONS = ['tanh', 'softplus', 'expit'] as const;

/** What an mlp(...) without the argument gets: the checker's messages, lowering and the signature read these. */
export const MLP_DEFAULTS = { hidden: [8], activation: 'tanh', l2: 0 } as const;

/** Forms with their own syntax or named arguments, handled by the checker and lowering themselves. */
export const specialForms: ReadonlyMap<string, { signature: string; doc: string; arguments: readonly FormArgument[] }> = new Map([
  ['mlp', {
    signature: `mlp(x1, ..., hidden = [${MLP_DEFAULTS.hidden.join(', ')}], activation = ${MLP_DEFAULTS.activation}, l2 = ${MLP_DEFAULTS.l2})`,
    doc: 'A small neural network (multilayer perceptron) with one output. Its weights are population parameters, trained with the rest.',
    arguments: [
      { name: 'hidden', doc: `the hidden layers' widths, e.g. hidden = [8] or hidden = [16, 16]: whole numbers from 1 to 256 (default [${MLP_DEFAULTS.hidden.join(', ')}])` },
      { name: 'activation', doc: `the hidden layers' activation: ${MLP_ACTIVATIONS.join(', ')} (default ${MLP_DEFAULTS.activation})`, words: MLP_ACTIVATIONS },
      { name: 'l2', doc: `λ of the weight penalty λ/2 · Σ w² per subject, on the weights, not the biases: a number ≥ 0 (default ${MLP_DEFAULTS.l2})` },
    ],
  }],
]);

/** Every name that can be called, for "did you mean" and completion. */
export function callableNames(): string[] {
  return [...builtins.keys(), ...macros.keys(), ...specialForms.keys()];
}

/** Named constants usable in expressions. */
export const namedConstants: ReadonlyMap<string, { value: number; doc: string }> = new Map([['pi', { value: Math.PI, doc: 'π = 3.14159…' }]]);
