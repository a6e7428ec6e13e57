/**
 * The built-in table, entry by entry: each derivative rule against central finite differences of `evaluate`
 * (the rule's IR evaluated by an interpreter over the table's own `evaluate`, and again through the TS the
 * emitter prints), each `ts` spelling against `evaluate`, erf/normcdf against reference values, and the macros.
 */
import { describe, expect, it } from 'vitest';
import { Differentiator } from '../../compiler/diff/differentiate.js';
import { straightLine } from '../../compiler/emit/straight-line.js';
import { printTs } from '../../compiler/emit-ts/print-ts.js';
import { topoOrder, type ExprNode, type NodeId } from '../../compiler/ir/expr.js';
import { ExprBuilder } from '../../compiler/rewrite/builder.js';
import { transpileTsModel } from '../../runtime/model/load-ts-module.js';
import { builtins, macros } from '../../stdlib/builtins.js';
import { erf, tsHelperSources } from '../../stdlib/special-functions.js';

// ---- evaluation helpers ----

/** Evaluates IR nodes whose variables are all of kind 'x', with calls through the table's `evaluate`. */
function interpret(b: ExprBuilder, roots: readonly NodeId[], x: readonly number[]): number[] {
  const value = new Map<NodeId, number>();
  const v = (id: NodeId): number => value.get(id)!;
  for (const id of topoOrder(b.pool, roots)) value.set(id, evalNode(b.node(id), v, x));
  return roots.map(v);
}

function evalNode(n: ExprNode, v: (id: NodeId) => number, x: readonly number[]): number {
  switch (n.op) {
    case 'const': return n.value;
    case 'var':
      if (n.kind !== 'x') throw new Error(`unexpected variable ${n.kind}`);
      return x[n.index]!;
    case 'add': return v(n.a) + v(n.b);
    case 'sub': return v(n.a) - v(n.b);
    case 'mul': return v(n.a) * v(n.b);
    case 'div': return v(n.a) / v(n.b);
    case 'pow': return Math.pow(v(n.a), v(n.b));
    case 'neg': return -v(n.a);
    case 'call': return builtins.get(n.fn)!.evaluate(n.args.map(v));
    case 'lt': return v(n.a) < v(n.b) ? 1 : 0;
    case 'le': return v(n.a) <= v(n.b) ? 1 : 0;
    case 'gt': return v(n.a) > v(n.b) ? 1 : 0;
    case 'ge': return v(n.a) >= v(n.b) ? 1 : 0;
    case 'eq': return v(n.a) === v(n.b) ? 1 : 0;
    case 'ne': return v(n.a) !== v(n.b) ? 1 : 0;
    case 'and': return v(n.a) !== 0 && v(n.b) !== 0 ? 1 : 0;
    case 'or': return v(n.a) !== 0 || v(n.b) !== 0 ? 1 : 0;
    case 'not': return v(n.a) === 0 ? 1 : 0;
    case 'select': return v(n.cond) !== 0 ? v(n.then) : v(n.else);
  }
}

/** Imports TS source (transpiled like a model module) from a data: URL. */
async function importTs<T>(source: string): Promise<T> {
  const js = transpileTsModel(source);
  return (await import(/* @vite-ignore */ `data:text/javascript;base64,${Buffer.from(js).toString('base64')}`)) as T;
}

/** All helper sources, once: the spellings may call any of them. */
const helpers = Object.values(tsHelperSources).join('\n');

type VecFn = (x: readonly number[], out: number[]) => void;

/** Emits `roots` as one TS function of x (the emitter's printer and scheduler), one per name. */
async function emitFunctions(b: ExprBuilder, fns: Readonly<Record<string, readonly NodeId[]>>): Promise<Record<string, VecFn>> {
  const parts = Object.entries(fns).map(([name, roots]) => {
    const code = straightLine(b.pool, roots, printTs);
    const lines = [...code.temporaries.map(([n, e]) => `const ${n} = ${e};`), ...code.results.map((r, i) => `out[${i}] = ${r};`)];
    return `export function ${name}(x: ArrayLike<number>, out: number[]): void {\n${lines.join('\n')}\n}`;
  });
  return importTs<Record<string, VecFn>>(`${helpers}\n${parts.join('\n')}`);
}

/** Central difference of g at x along coordinate i, step 1e-6·max(1, |x_i|). */
function centralDifference(g: (x: readonly number[]) => number, x: readonly number[], i: number): number {
  const h = 1e-6 * Math.max(1, Math.abs(x[i]!));
  const up = [...x];
  const down = [...x];
  up[i] = x[i]! + h;
  down[i] = x[i]! - h;
  return (g(up) - g(down)) / (up[i]! - down[i]!);
}

/**
 * Relative error 1e-6, with an absolute floor for derivatives near zero: rounding in the difference quotient is
 * about ε·|g|/h ≈ 2e-10·|g|, so 1e-8·max(1, |g|) is far above the noise and far below any real mistake.
 */
function expectDerivative(label: string, analytic: number, fd: number, scale: number): void {
  const tol = 1e-6 * Math.abs(analytic) + 1e-8 * Math.max(1, Math.abs(scale));
  expect(Number.isFinite(analytic), `${label}: analytic ${analytic}`).toBe(true);
  expect(Math.abs(analytic - fd), `${label}: analytic ${analytic} vs finite difference ${fd}`).toBeLessThanOrEqual(tol);
}

// ---- sample points inside each built-in's domain (kept away from kinks such as |x| at 0) ----

const samples: Readonly<Record<string, readonly (readonly number[])[]>> = {
  exp: [[-3], [-0.5], [0.3], [2], [7.5]],
  log: [[0.05], [0.7], [3], [50]],
  log10: [[0.05], [0.7], [3], [1000]],
  sqrt: [[0.02], [1], [7], [400]],
  abs: [[-2], [-0.3], [0.4], [5]],
  sign: [[-2], [-0.3], [0.4], [5]],
  min: [[1, 2], [3, -1], [-0.5, 0.7], [4.2, 4.1]],
  max: [[1, 2], [3, -1], [-0.5, 0.7], [4.2, 4.1]],
  sin: [[-2], [-0.3], [0.5], [1.7], [10]],
  cos: [[-2], [-0.3], [0.5], [1.7], [10]],
  tanh: [[-3], [-0.3], [0.5], [1.7]],
  expit: [[-6], [-0.5], [0.3], [3]],
  logit: [[0.01], [0.3], [0.6], [0.95]],
  softplus: [[-8], [-0.2], [1], [10], [29], [31], [45]],
  normcdf: [[-5], [-4.5], [-1.3], [0], [0.5], [2.5], [4]],
  normpdf: [[-3], [-0.7], [0], [0.2], [1.5]],
};

describe('built-in derivatives', () => {
  it('every built-in has sample points', () => {
    expect(Object.keys(samples).sort()).toEqual([...builtins.keys()].sort());
  });

  for (const fn of builtins.values()) {
    it(`${fn.name}: derivative rule matches finite differences (interpreted and emitted)`, async () => {
      const b = new ExprBuilder();
      const args = Array.from({ length: fn.arity }, (_, i) => b.variable('x', i));
      const root = b.call(fn.name, args);
      const D = new Differentiator(b);
      if (fn.derivative === 'not-differentiable') {
        expect(() => D.d(root, 'x', 0)).toThrow();
        return;
      }
      const grads = args.map((_, i) => D.d(root, 'x', i));
      const emitted = await emitFunctions(b, { value: [root], grad: grads });
      const value = (x: readonly number[]): number => fn.evaluate(x);
      for (const x of samples[fn.name]!) {
        const interpreted = interpret(b, grads, x);
        const printed = new Array<number>(grads.length).fill(NaN);
        emitted.grad!(x, printed);
        const viaEmitted = [NaN];
        emitted.value!(x, viaEmitted);
        expect(viaEmitted[0]).toBeCloseTo(value(x), 14);
        for (let i = 0; i < fn.arity; i++) {
          const fd = centralDifference(value, x, i);
          const label = `d${fn.name}/dx${i} at (${x.join(', ')})`;
          expectDerivative(`${label} [interpreter]`, interpreted[i]!, fd, value(x));
          expectDerivative(`${label} [emitted TS]`, printed[i]!, fd, value(x));
          // The interpreter and the emitted code evaluate the same IR: they agree to rounding.
          expect(Math.abs(printed[i]! - interpreted[i]!)).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(interpreted[i]!)));
        }
      }
    });
  }

  it('derivatives of composed built-ins follow the chain rule', async () => {
    // exp(sin(x0)) · log(x1) + normcdf(tanh(x0 · x1)): exercises the rules as inner functions, not only on variables.
    const b = new ExprBuilder();
    const [x0, x1] = [b.variable('x', 0), b.variable('x', 1)];
    const root = b.add(b.mul(b.call('exp', [b.call('sin', [x0])]), b.call('log', [x1])), b.call('normcdf', [b.call('tanh', [b.mul(x0, x1)])]));
    const D = new Differentiator(b);
    const grads = [D.d(root, 'x', 0), D.d(root, 'x', 1)];
    const g = (x: readonly number[]): number => interpret(b, [root], x)[0]!;
    for (const x of [[0.3, 2.5], [-1.2, 0.4], [2, 7]]) {
      const an = interpret(b, grads, x);
      for (let i = 0; i < 2; i++) expectDerivative(`composite d/dx${i}`, an[i]!, centralDifference(g, x, i), g(x));
    }
  });
});

describe('TS spellings', () => {
  it('each built-in spelled in TS evaluates to the value of `evaluate`', async () => {
    const entries = [...builtins.values()].map((fn) => {
      const params = Array.from({ length: fn.arity }, (_, i) => `a${i}`);
      return `${JSON.stringify(fn.name)}: (${params.map((p) => `${p}: number`).join(', ')}): number => ${fn.ts(params)}`;
    });
    const mod = await importTs<{ spelled: Record<string, (...a: number[]) => number> }>(`${helpers}\nexport const spelled = {\n${entries.join(',\n')}\n};`);
    for (const fn of builtins.values()) {
      // The samples, plus the limits at ±∞ (each spelling must agree with `evaluate` there too).
      const points = [...samples[fn.name]!, ...(fn.arity === 1 ? [[0.25], [1.5], [Infinity], [-Infinity]] : [[2, 2], [Infinity, 1], [-Infinity, 1]])];
      for (const x of points) {
        const expected = fn.evaluate(x);
        const got = mod.spelled[fn.name]!(...x);
        if (Number.isNaN(expected)) expect(got, `${fn.name}(${x.join(', ')})`).toBeNaN();
        else if (!Number.isFinite(expected)) expect(got, `${fn.name}(${x.join(', ')})`).toBe(expected);
        else expect(Math.abs(got - expected), `${fn.name}(${x.join(', ')}): ${got} vs ${expected}`).toBeLessThanOrEqual(2e-16 * Math.max(1, Math.abs(expected)));
      }
    }
  });

  it('every helper a spelling calls is in the helper table', () => {
    for (const fn of builtins.values()) for (const h of fn.tsHelpers ?? []) expect(tsHelperSources[h], `${fn.name} → ${h}`).toBeDefined();
  });
});

describe('special functions', () => {
  // Reference values: correctly rounded erf (mpmath / CPython's math.erf).
  const erfReference: readonly (readonly [number, number])[] = [
    [0.01, 0.011283415555849616],
    [0.1, 0.1124629160182849],
    [0.5, 0.5204998778130465],
    [1, 0.8427007929497149],
    [1.5, 0.9661051464753108],
    [1.87, 0.9918207476107067],
    [1.99, 0.995111413199617],
    [2, 0.9953222650189527],
    [2.01, 0.9955248493552482],
    [2.5, 0.999593047982555],
    [2.9, 0.9999589021219005],
    [2.99, 0.9999764743969194],
    [3, 0.9999779095030014],
    [3.5, 0.9999992569016276],
    [4, 0.9999999845827421],
    [6, 1],
  ];

  it('erf matches reference values to 1e-14 and is odd', () => {
    for (const [x, v] of erfReference) {
      expect(Math.abs(erf(x) - v), `erf(${x}) = ${erf(x)}, expected ${v}`).toBeLessThanOrEqual(1e-14);
      expect(erf(-x)).toBe(-erf(x));
    }
    expect(erf(0)).toBe(0);
    expect(erf(Infinity)).toBe(1);
    expect(erf(NaN)).toBeNaN();
  });

  it('erf has no jump where the series hands over to the continued fraction', () => {
    for (const x of [1.999999, 2, 2.000001, 2.999999, 3, 3.000001]) {
      const h = 1e-9;
      const slope = (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x);
      expect(Math.abs(erf(x + h) - erf(x - h) - 2 * h * slope), `erf across ${x}`).toBeLessThanOrEqual(1e-15);
    }
  });

  it('normcdf matches reference values, in both tails', () => {
    const normcdf = builtins.get('normcdf')!.evaluate;
    const reference: readonly (readonly [number, number])[] = [
      [-8, 6.220960574271819e-16],
      [-5, 2.866515718791946e-7],
      [-3, 0.0013498980316300957],
      [-2.5, 0.006209665325776139],
      [-1, 0.15865525393145707],
      [0, 0.5],
      [0.5, 0.6914624612740131],
      [1, 0.8413447460685429],
      [1.96, 0.9750021048517795],
      [3, 0.9986501019683699],
    ];
    for (const [x, v] of reference) expect(Math.abs(normcdf([x]) - v), `normcdf(${x})`).toBeLessThanOrEqual(1e-14);
    // Relative accuracy in the far lower tail, where the value itself is tiny.
    expect(Math.abs(normcdf([-5]) / 2.866515718791946e-7 - 1)).toBeLessThan(1e-8);
  });

  it('normcdf and normpdf have the right limits and symmetry', () => {
    const cdf = builtins.get('normcdf')!.evaluate;
    const pdf = builtins.get('normpdf')!.evaluate;
    expect(cdf([Infinity])).toBe(1);
    expect(cdf([-Infinity])).toBe(0);
    expect(pdf([0])).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 16);
    expect(pdf([1.3])).toBe(pdf([-1.3]));
    for (const x of [0.3, 1.7, 3.9]) expect(cdf([x]) + cdf([-x])).toBeCloseTo(1, 15);
  });
});

describe('macros', () => {
  it('hill(x, k, n) = x^n / (k^n + x^n): value, landmarks and derivatives', () => {
    const hill = macros.get('hill')!;
    const b = new ExprBuilder();
    const [x, k, n] = [b.variable('x', 0), b.variable('x', 1), b.variable('x', 2)];
    const root = hill.expand(b, [x, k, n]);
    const g = (v: readonly number[]): number => interpret(b, [root], v)[0]!;
    expect(g([3, 3, 2.2])).toBeCloseTo(0.5, 15);
    expect(g([0, 3, 2.2])).toBe(0);
    for (const v of [[2, 3, 1.7], [0.4, 1.1, 4], [10, 2, 0.8]]) {
      expect(g(v)).toBeCloseTo(v[0]! ** v[2]! / (v[1]! ** v[2]! + v[0]! ** v[2]!), 15);
      const D = new Differentiator(b);
      const grads = [0, 1, 2].map((i) => D.d(root, 'x', i));
      const an = interpret(b, grads, v);
      for (let i = 0; i < 3; i++) expectDerivative(`dhill/dx${i} at (${v.join(', ')})`, an[i]!, centralDifference(g, v, i), g(v));
    }
    // With constant arguments the whole expansion folds to a number.
    expect(b.constValue(hill.expand(b, [b.num(2), b.num(2), b.num(3)]))).toBe(0.5);
  });

  it('pow(x, y) is x ^ y: same node, same derivatives', () => {
    const pow = macros.get('pow')!;
    const b = new ExprBuilder();
    const [x, y] = [b.variable('x', 0), b.variable('x', 1)];
    const root = pow.expand(b, [x, y]);
    expect(root).toBe(b.pow(x, y));
    expect(pow.expand(b, [x, b.num(1)])).toBe(x);
    const g = (v: readonly number[]): number => interpret(b, [root], v)[0]!;
    const D = new Differentiator(b);
    const grads = [D.d(root, 'x', 0), D.d(root, 'x', 1)];
    for (const v of [[2, 3], [0.5, -1.5], [7, 0.3]]) {
      expect(g(v)).toBe(Math.pow(v[0]!, v[1]!));
      const an = interpret(b, grads, v);
      for (let i = 0; i < 2; i++) expectDerivative(`dpow/dx${i} at (${v.join(', ')})`, an[i]!, centralDifference(g, v, i), g(v));
    }
    // A constant exponent takes the power rule: d(x^3)/dx = 3x^2, with no log(x) (so it holds at x < 0).
    const cube = pow.expand(b, [x, b.num(3)]);
    expect(interpret(b, [D.d(cube, 'x', 0)], [-2])[0]).toBe(12);
  });
});
