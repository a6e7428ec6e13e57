/**
 * The simplifying builder: every rule of compiler/rewrite/rules.ts fires on a node made for it and gives a node
 * numerically equal to the unsimplified one; hash-consing shares equal structure (commutative operands included);
 * constant folding evaluates constant subtrees and leaves non-finite results symbolic.
 */
import { describe, expect, it } from 'vitest';
import { Differentiator } from '../../compiler/diff/differentiate.js';
import { ExprPool, topoOrder, type ExprNode, type NodeId } from '../../compiler/ir/expr.js';
import { ExprBuilder } from '../../compiler/rewrite/builder.js';
import { rules, rulesByOp } from '../../compiler/rewrite/rules.js';
import { builtins } from '../../stdlib/builtins.js';

/** Evaluates nodes reading only x variables; calls through the built-in table. */
function evaluate(pool: ExprPool, root: NodeId, x: readonly number[]): number {
  const value = new Map<NodeId, number>();
  const v = (id: NodeId): number => value.get(id)!;
  for (const id of topoOrder(pool, [root])) {
    const n = pool.get(id);
    value.set(id, evalNode(n, v, x));
  }
  return v(root);
}

function evalNode(n: ExprNode, v: (id: NodeId) => number, x: readonly number[]): number {
  switch (n.op) {
    case 'const': return n.value;
    case 'var': return x[n.index]!;
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

/** Sample points (x0, x1, x2): all positive so that log, x^0.5 and friends are defined everywhere. */
const points: readonly (readonly number[])[] = [
  [0.7, 2.3, 1.1],
  [3.1, 0.4, 5.5],
  [1.9, 1.3, 0.2],
];

interface RuleCase {
  /** The node the rule should rewrite, built without simplification (operands already simple). */
  readonly raw: (b: ExprBuilder, pool: ExprPool) => ExprNode;
  /** What it should become, built through the builder. */
  readonly expected: (b: ExprBuilder) => NodeId;
}

const x = (b: ExprBuilder, i: number): NodeId => b.variable('x', i);
/** A raw node interned with no rules applied, so the unsimplified form stays available for evaluation. */
const raw = (pool: ExprPool, n: ExprNode): NodeId => pool.intern(n);

const cases: Readonly<Record<string, RuleCase>> = {
  'add-zero-left': { raw: (b) => ({ op: 'add', a: b.num(0), b: x(b, 0) }), expected: (b) => x(b, 0) },
  'add-zero-right': { raw: (b) => ({ op: 'add', a: x(b, 0), b: b.num(0) }), expected: (b) => x(b, 0) },
  'add-neg': { raw: (b, p) => ({ op: 'add', a: x(b, 0), b: raw(p, { op: 'neg', a: x(b, 1) }) }), expected: (b) => b.sub(x(b, 0), x(b, 1)) },
  'sub-neg': { raw: (b, p) => ({ op: 'sub', a: x(b, 0), b: raw(p, { op: 'neg', a: x(b, 1) }) }), expected: (b) => b.add(x(b, 0), x(b, 1)) },
  'sub-zero': { raw: (b) => ({ op: 'sub', a: x(b, 0), b: b.num(0) }), expected: (b) => x(b, 0) },
  'zero-sub': { raw: (b) => ({ op: 'sub', a: b.num(0), b: x(b, 0) }), expected: (b) => b.neg(x(b, 0)) },
  'sub-self': { raw: (b) => ({ op: 'sub', a: b.call('exp', [x(b, 0)]), b: b.call('exp', [x(b, 0)]) }), expected: (b) => b.num(0) },
  'mul-zero': { raw: (b) => ({ op: 'mul', a: b.num(0), b: x(b, 0) }), expected: (b) => b.num(0) },
  'mul-one-left': { raw: (b) => ({ op: 'mul', a: b.num(1), b: x(b, 0) }), expected: (b) => x(b, 0) },
  'mul-one-right': { raw: (b) => ({ op: 'mul', a: x(b, 0), b: b.num(1) }), expected: (b) => x(b, 0) },
  'mul-minus-one': { raw: (b) => ({ op: 'mul', a: b.num(-1), b: x(b, 0) }), expected: (b) => b.neg(x(b, 0)) },
  'mul-neg-neg': {
    raw: (b, p) => ({ op: 'mul', a: raw(p, { op: 'neg', a: x(b, 0) }), b: raw(p, { op: 'neg', a: x(b, 1) }) }),
    expected: (b) => b.mul(x(b, 0), x(b, 1)),
  },
  'div-one': { raw: (b) => ({ op: 'div', a: x(b, 0), b: b.num(1) }), expected: (b) => x(b, 0) },
  'zero-div': { raw: (b) => ({ op: 'div', a: b.num(0), b: x(b, 0) }), expected: (b) => b.num(0) },
  'div-self': { raw: (b) => ({ op: 'div', a: b.add(x(b, 0), x(b, 1)), b: b.add(x(b, 1), x(b, 0)) }), expected: (b) => b.num(1) },
  'div-minus-one': { raw: (b) => ({ op: 'div', a: x(b, 0), b: b.num(-1) }), expected: (b) => b.neg(x(b, 0)) },
  'pow-one': { raw: (b) => ({ op: 'pow', a: x(b, 0), b: b.num(1) }), expected: (b) => x(b, 0) },
  'pow-zero': { raw: (b) => ({ op: 'pow', a: x(b, 0), b: b.num(0) }), expected: (b) => b.num(1) },
  'one-pow': { raw: (b) => ({ op: 'pow', a: b.num(1), b: x(b, 0) }), expected: (b) => b.num(1) },
  'pow-pow-int': { raw: (b, p) => ({ op: 'pow', a: raw(p, { op: 'pow', a: x(b, 0), b: b.num(1.5) }), b: b.num(2) }), expected: (b) => b.pow(x(b, 0), b.num(3)) },
  'neg-neg': { raw: (b, p) => ({ op: 'neg', a: raw(p, { op: 'neg', a: x(b, 0) }) }), expected: (b) => x(b, 0) },
  'select-same': { raw: (b) => ({ op: 'select', cond: b.compare('lt', x(b, 0), x(b, 1)), then: x(b, 2), else: x(b, 2) }), expected: (b) => x(b, 2) },
  'select-const': { raw: (b) => ({ op: 'select', cond: b.num(1), then: x(b, 0), else: x(b, 1) }), expected: (b) => x(b, 0) },
  'exp-log': { raw: (b, p) => ({ op: 'call', fn: 'exp', args: [raw(p, { op: 'call', fn: 'log', args: [x(b, 0)] })] }), expected: (b) => x(b, 0) },
  'log-exp': { raw: (b, p) => ({ op: 'call', fn: 'log', args: [raw(p, { op: 'call', fn: 'exp', args: [x(b, 0)] })] }), expected: (b) => x(b, 0) },
};

describe('simplification rules', () => {
  it('every rule has a case, and rules are indexed by their operator', () => {
    expect(Object.keys(cases).sort()).toEqual(rules.map((r) => r.name).sort());
    expect(new Set(rules.map((r) => r.name)).size).toBe(rules.length);
    for (const r of rules) expect(rulesByOp.get(r.op)).toContain(r);
  });

  for (const rule of rules) {
    it(`${rule.name}: ${rule.math}`, () => {
      const c = cases[rule.name]!;
      const b = new ExprBuilder();
      const node = c.raw(b, b.pool);
      const expected = c.expected(b);
      // The rule itself fires on the node...
      const applied = rule.apply(node, b);
      expect(applied, `${rule.name} did not fire`).toBeDefined();
      expect(applied).toBe(expected);
      // ...and the builder, given the same node, reaches the same result.
      expect(b.make(node)).toBe(expected);
      // The simplified node is numerically the unsimplified one.
      const unsimplified = b.pool.intern(node);
      expect(unsimplified).not.toBe(expected);
      for (const p of points) {
        const before = evaluate(b.pool, unsimplified, p);
        const after = evaluate(b.pool, expected, p);
        expect(Math.abs(after - before), `${rule.name} at (${p.join(', ')}): ${after} vs ${before}`).toBeLessThanOrEqual(1e-14 * Math.max(1, Math.abs(before)));
      }
    });
  }

  it('rules do not fire where they do not hold', () => {
    const b = new ExprBuilder();
    const [x0, x1] = [x(b, 0), x(b, 1)];
    // (x^2)^0.5 is |x|, not x: pow-pow-int only applies to integer outer exponents.
    const root = b.pow(b.pow(x0, b.num(2)), b.num(0.5));
    expect(b.node(root)).toMatchObject({ op: 'pow', b: b.num(0.5) });
    expect(evaluate(b.pool, root, [-3])).toBe(3);
    // Non-integer inner, integer outer, is fine: (x^0.5)^2 = x^1 = x for x ≥ 0.
    expect(b.pow(b.pow(x0, b.num(0.5)), b.num(2))).toBe(x0);
    // x - y, x / y, 2 · x, x + 1 are left alone.
    expect(b.node(b.sub(x0, x1)).op).toBe('sub');
    expect(b.node(b.div(x0, x1)).op).toBe('div');
    expect(b.node(b.mul(b.num(2), x0)).op).toBe('mul');
    expect(b.node(b.add(x0, b.num(1))).op).toBe('add');
    // exp(log(x) + 1) is not exp(log(x)).
    expect(b.node(b.call('exp', [b.add(b.call('log', [x0]), b.num(1))])).op).toBe('call');
  });

  it('rules compose: derivative litter vanishes as it is built', () => {
    const b = new ExprBuilder();
    const [x0, x1] = [x(b, 0), x(b, 1)];
    // 0·x1 + 1·(x0 − 0) − (−x1)·1 → x0 + x1
    const messy = b.sub(b.add(b.mul(b.num(0), x1), b.mul(b.num(1), b.sub(x0, b.num(0)))), b.mul(b.neg(x1), b.num(1)));
    expect(messy).toBe(b.add(x0, x1));
    // d/dx0 (x0 · x1) is x1 exactly, with no 1 · x1 + x0 · 0 left over.
    const D = new Differentiator(b);
    expect(D.d(b.mul(x0, x1), 'x', 0)).toBe(x1);
    expect(D.d(b.call('exp', [x0]), 'x', 0)).toBe(b.call('exp', [x0]));
  });
});

describe('hash-consing', () => {
  it('the same structure gets the same id and no new node', () => {
    const b = new ExprBuilder();
    const build = (): NodeId => b.mul(b.add(x(b, 0), x(b, 1)), b.call('exp', [b.div(x(b, 2), b.num(3))]));
    const first = build();
    const size = b.pool.size;
    expect(build()).toBe(first);
    expect(b.pool.size).toBe(size);
    expect(b.variable('x', 0)).toBe(b.variable('x', 0));
    expect(b.variable('x', 0)).not.toBe(b.variable('p', 0));
    expect(b.num(2.5)).toBe(b.num(2.5));
  });

  it('commutative operands are ordered: a·b and b·a, a+b and b+a are one node', () => {
    const b = new ExprBuilder();
    const [p, q] = [b.call('sin', [x(b, 0)]), b.variable('p', 3)];
    expect(b.mul(p, q)).toBe(b.mul(q, p));
    expect(b.add(p, q)).toBe(b.add(q, p));
    // Constants go first.
    const scaled = b.node(b.mul(q, b.num(2)));
    expect(scaled).toMatchObject({ op: 'mul', a: b.num(2), b: q });
    // Non-commutative operators keep their order.
    expect(b.sub(p, q)).not.toBe(b.sub(q, p));
    expect(b.div(p, q)).not.toBe(b.div(q, p));
    expect(b.pow(p, q)).not.toBe(b.pow(q, p));
    expect(b.compare('lt', p, q)).not.toBe(b.compare('lt', q, p));
  });

  it('keys distinguish -0 from 0 and keep NaN stable', () => {
    const pool = new ExprPool();
    expect(pool.intern({ op: 'const', value: -0 })).not.toBe(pool.intern({ op: 'const', value: 0 }));
    expect(pool.intern({ op: 'const', value: NaN })).toBe(pool.intern({ op: 'const', value: NaN }));
    const b = new ExprBuilder(pool);
    expect(b.call('min', [x(b, 0), x(b, 1)])).toBe(b.call('min', [x(b, 0), x(b, 1)]));
    expect(b.call('min', [x(b, 0), x(b, 1)])).not.toBe(b.call('min', [x(b, 1), x(b, 0)]));
    expect(b.select(b.compare('lt', x(b, 0), x(b, 1)), x(b, 0), x(b, 1))).toBe(b.select(b.compare('lt', x(b, 0), x(b, 1)), x(b, 0), x(b, 1)));
  });

  it('derivatives are memoized and share nodes with their expressions', () => {
    const b = new ExprBuilder();
    const root = b.call('exp', [b.mul(x(b, 0), x(b, 1))]);
    const D = new Differentiator(b);
    const d0 = D.d(root, 'x', 0);
    const size = b.pool.size;
    expect(D.d(root, 'x', 0)).toBe(d0);
    expect(b.pool.size).toBe(size);
    // ∂/∂x0 exp(x0 x1) = exp(x0 x1) · x1: the exp node is the original one.
    expect(b.node(d0)).toMatchObject({ op: 'mul' });
    const n = b.node(d0) as { a: NodeId; b: NodeId };
    expect([n.a, n.b]).toContain(root);
  });
});

describe('constant folding', () => {
  it('folds every operator on constant operands', () => {
    const b = new ExprBuilder();
    const c = (v: number): NodeId => b.num(v);
    const value = (id: NodeId): number | undefined => b.constValue(id);
    expect(value(b.add(c(2), c(3)))).toBe(5);
    expect(value(b.sub(c(2), c(3)))).toBe(-1);
    expect(value(b.mul(c(2), c(3)))).toBe(6);
    expect(value(b.div(c(3), c(4)))).toBe(0.75);
    expect(value(b.pow(c(2), c(10)))).toBe(1024);
    expect(value(b.neg(c(2)))).toBe(-2);
    expect(value(b.call('exp', [c(0)]))).toBe(1);
    expect(value(b.call('log', [c(1)]))).toBe(0);
    expect(value(b.call('max', [c(1), c(4)]))).toBe(4);
    expect(value(b.call('normcdf', [c(0)]))).toBe(0.5);
    expect(value(b.compare('lt', c(1), c(2)))).toBe(1);
    expect(value(b.compare('ge', c(1), c(2)))).toBe(0);
    expect(value(b.compare('eq', c(2), c(2)))).toBe(1);
    expect(value(b.compare('ne', c(2), c(2)))).toBe(0);
    expect(value(b.and(c(1), c(0)))).toBe(0);
    expect(value(b.or(c(1), c(0)))).toBe(1);
    expect(value(b.not(c(0)))).toBe(1);
    expect(value(b.select(c(0), c(7), c(8)))).toBe(8);
    expect(value(b.sum([c(1), c(2), c(3.5)]))).toBe(6.5);
    expect(value(b.sum([]))).toBe(0);
  });

  it('folds nested constant subtrees and leaves the variable part', () => {
    const b = new ExprBuilder();
    const x0 = x(b, 0);
    const e = b.mul(b.add(b.num(2), b.num(3)), x0);
    expect(e).toBe(b.mul(b.num(5), x0));
    expect(b.node(e)).toMatchObject({ op: 'mul', a: b.num(5), b: x0 });
    // A select whose condition folds picks its branch.
    expect(b.select(b.compare('lt', b.num(1), b.num(2)), x0, b.num(9))).toBe(x0);
  });

  it('keeps non-finite results symbolic', () => {
    const b = new ExprBuilder();
    const inf = b.div(b.num(1), b.num(0));
    expect(b.constValue(inf)).toBeUndefined();
    expect(b.node(inf).op).toBe('div');
    const nan = b.call('log', [b.num(-1)]);
    expect(b.node(nan)).toMatchObject({ op: 'call', fn: 'log' });
    expect(b.node(b.call('sqrt', [b.num(-4)])).op).toBe('call');
  });
});
